/** `npm run attend`: tensors in, tensors out, through the lane RTL; bad input is refused cleanly. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeNpy, readNpy } from '../testbenches/npy.ts';
import { referenceAttention, relativeError } from '../verify/reference.ts';
import { makeRng } from '../verify/rng.ts';
import { readOnlyFolder } from '../verify/readonly-folder.ts';

const script = join(import.meta.dirname, 'attend.ts');
const root = join(import.meta.dirname, '..');

function gaussians(n: number, rng: ReturnType<typeof makeRng>): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  return a;
}

async function withTensors(H: number, L: number, d: number, f: (dir: string) => Promise<void>, tweak?: (q: Float64Array, k: Float64Array) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'attend-'));
  try {
    const rng = makeRng(12);
    const q = gaussians(H * d, rng);
    const k = gaussians(H * L * d, rng);
    tweak?.(q, k);
    writeNpy(join(dir, 'q.npy'), q, [H, d]);
    writeNpy(join(dir, 'k.npy'), new Float32Array(k), [H, L, d], '<f4');
    writeNpy(join(dir, 'v.npy'), gaussians(H * L * d, rng), [H, L, d]);
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const attend = (args: string[], opts: { env?: Record<string, string> } = {}) =>
  execa('node', ['--import', 'tsx', script, ...args], { reject: false, cwd: root, ...(opts.env ? { env: opts.env } : {}) });

const run = (dir: string, extra: string[] = []) =>
  attend(['--q', join(dir, 'q.npy'), '--k', join(dir, 'k.npy'), '--v', join(dir, 'v.npy'), '--out', join(dir, 'o.npy'), ...extra]);

/** A user error: exit 2, one `attend:` line per problem, never a stack trace. */
function expectUsage(r: { exitCode?: number; stderr: string }, message: string): void {
  expect(r.exitCode, r.stderr).toBe(2);
  expect(r.stderr).toContain(`attend: ${message}`);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('npm run attend', () => {
  it('runs each head on the RTL, writes o.npy and reports cycles, error and no saturation', async () => {
    await withTensors(2, 9, 16, async (dir) => {
      const r = await run(dir, ['--pe', '4', '--sim', 'icarus']);
      expect(r.exitCode, r.stderr).toBe(0);
      // One lane job of both heads: measured cycles equal laneCycles; bound 2 x 9 x B (B = 4).
      expect(r.stdout).toMatch(/\| 0 \| 2 \| (\d+) \| \1 \| [\d.]+ \| 72 \|/);
      for (const h of [0, 1]) expect(r.stdout).toMatch(new RegExp(`\\| ${h} \\| [\\d.e-]+ \\| yes \\| - \\|`));
      expect(r.stderr).toBe('');
      const o = readNpy(join(dir, 'o.npy'));
      expect(o.shape).toEqual([2, 16]);
      const q = readNpy(join(dir, 'q.npy'));
      const k = readNpy(join(dir, 'k.npy'));
      const v = readNpy(join(dir, 'v.npy'));
      const rows = (a: Float32Array | Float64Array, h: number) => Array.from({ length: 9 }, (_, t) => Array.from(a.subarray((h * 9 + t) * 16, (h * 9 + t + 1) * 16)));
      const ref = referenceAttention(Array.from(q.data.subarray(0, 16)), rows(k.data, 0), rows(v.data, 0));
      expect(relativeError(Array.from(o.data.subarray(0, 16)), ref)).toBeLessThan(1e-3);
    });
  }, 120_000);

  it('refuses mismatched shapes, values outside Q15.17, L above maxContext and a pe that does not divide d, writing nothing', async () => {
    await withTensors(1, 5, 16, async (dir) => {
      expectUsage(await run(dir, ['--max-context', '4']), 'context length L = 5 is out of range: accepted 1..4 (--max-context)');
      expectUsage(await run(dir, ['--pe', '3']), '--pe 3 does not divide the head dimension d = 16 (the last dimension of q): accepted divisors of d');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    });
    await withTensors(1, 5, 16, async (dir) => {
      expectUsage(await run(dir), '--q[0, 3] = 20000 is outside Q15.17: accepted -16384 .. 16383.99999237');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    }, (q) => (q[3] = 20000));
  }, 120_000);

  it('refuses zero heads: q of shape (0, 32), k and v (0, 8, 32)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'attend-'));
    try {
      writeNpy(join(dir, 'q.npy'), new Float64Array(0), [0, 32]);
      writeNpy(join(dir, 'k.npy'), new Float64Array(0), [0, 8, 32]);
      writeNpy(join(dir, 'v.npy'), new Float64Array(0), [0, 8, 32]);
      expectUsage(await run(dir), `--q ${join(dir, 'q.npy')}: shape (0, 32) has no heads: accepted [heads, d] with heads >= 1`);
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers bad flags with exit 2 and a message naming the flag, the value and the accepted values', async () => {
    await withTensors(1, 2, 16, async (dir) => {
      expectUsage(await run(dir, ['--fast']), 'unknown option --fast; see `npm run attend -- --help`');
      expectUsage(await run(dir, ['extra']), "unexpected argument 'extra'");
      expectUsage(await run(dir, ['--pe', '-4']), '--pe -4 is out of range: accepted integers 1..128');
      expectUsage(await run(dir, ['--pe', '2.5']), "--pe '2.5' is not a plain decimal integer: accepted integers 1..128");
      expectUsage(await run(dir, ['--max-context', '0x10']), "--max-context '0x10' is not a plain decimal integer: accepted integers 1..16777216");
      expectUsage(await run(dir, ['--sim', 'xsim']), "--sim 'xsim' is not supported: accepted verilator, icarus");
      expectUsage(await run(dir, ['--on-saturation', 'ignore']), "--on-saturation 'ignore' is not supported: accepted fail, warn");
      expectUsage(await attend(['--q', join(dir, 'q.npy')]), '--k <file.npy> is required');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    });
  }, 120_000);

  it('checks every path before any work, resolving relative ones against the caller folder (INIT_CWD)', async () => {
    await withTensors(1, 2, 16, async (dir) => {
      const files = ['--q', join(dir, 'q.npy'), '--k', join(dir, 'k.npy'), '--v', join(dir, 'v.npy')];
      expectUsage(await attend([...files, '--out', join(dir, 'missing', 'o.npy')]), `--out ${join(dir, 'missing', 'o.npy')}: the folder ${join(dir, 'missing')} does not exist`);
      expectUsage(await attend([...files, '--out', dir]), `--out ${dir} is a folder: accepted a file path`);
      expectUsage(await attend([...files, '--out', '']), "--out '' is empty: accepted a path");
      expectUsage(await attend(['--q', join(dir, 'nope.npy'), '--k', join(dir, 'k.npy'), '--v', join(dir, 'v.npy'), '--out', join(dir, 'o.npy')]), `--q ${join(dir, 'nope.npy')}: no such file`);
      await readOnlyFolder(join(dir, 'ro'), async (ro) => {
        expectUsage(await attend([...files, '--out', join(ro, 'o.npy')]), `--out ${join(ro, 'o.npy')}: cannot write in ${ro}`);
      });
      // Relative names, from the folder npm was run in.
      const r = await attend(['--q', 'q.npy', '--k', 'k.npy', '--v', 'v.npy', '--out', 'o.npy', '--pe', '4'], { env: { ...process.env, INIT_CWD: dir } as Record<string, string> });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain(`wrote ${join(dir, 'o.npy')} [1, 16] float64`);
      expectUsage(await attend(['--q', 'absent.npy', '--k', 'k.npy', '--v', 'v.npy', '--out', 'o.npy'], { env: { ...process.env, INIT_CWD: dir } as Record<string, string> }), `--q ${join(dir, 'absent.npy')}: no such file`);
    });
  }, 120_000);

  it('--max-context 1 builds and runs (the range end that failed with an internal width error)', async () => {
    await withTensors(1, 1, 16, async (dir) => {
      const r = await run(dir, ['--pe', '4', '--max-context', '1']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\| 0 \| 1 \| (\d+) \| \1 \|/);
      expect(r.stdout).toMatch(/\| 0 \| [\d.e-]+ \| yes \| - \|/);
    });
  }, 120_000);
});

describe('npm run attend reports saturation', () => {
  // q = k = 60 at d = 16: every score is about 20,800, beyond Q15.17; the output is far from attention.
  const saturating = (q: Float64Array, k: Float64Array): void => {
    q.fill(60);
    k.fill(60);
    k.fill(-60, 16, 32);
  };

  it('fails by default: exit 2, the head and the stage named, nothing written', async () => {
    await withTensors(2, 3, 16, async (dir) => {
      const r = await run(dir, ['--pe', '4']);
      expectUsage(r, 'head 0: score saturated: a score was clamped');
      expect(r.stderr).toContain('attend: head 1: score saturated');
      expect(r.stderr).toContain("nothing written (--on-saturation warn writes the hardware's output anyway)");
      expect(r.stdout).toMatch(/\| 0 \| .* \| yes \| score, exp2in \|/);
      expect(r.stdout).toContain('note: head 0: exp2in saturated (cannot change o here');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    }, saturating);
  }, 120_000);

  it('--on-saturation warn writes the output and warns on stderr', async () => {
    await withTensors(2, 3, 16, async (dir) => {
      const r = await run(dir, ['--pe', '4', '--on-saturation', 'warn']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('attend: warning: head 0: score saturated: a score was clamped');
      expect(readNpy(join(dir, 'o.npy')).shape).toEqual([2, 16]);
    }, saturating);
  }, 120_000);
});

describe('npm run attend leaves no temporary folder when interrupted', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} during the simulation: exit ${code}, its lane-* folder removed, the simulator stopped`, async () => {
      await withTensors(4, 4096, 16, async (dir) => {
        const tmp = join(dir, 'tmp');
        await mkdir(tmp);
        const child = execa('node', ['--import', 'tsx', script, '--q', join(dir, 'q.npy'), '--k', join(dir, 'k.npy'), '--v', join(dir, 'v.npy'), '--out', join(dir, 'o.npy'), '--pe', '1', '--sim', 'icarus'], {
          reject: false,
          cwd: root,
          env: { ...process.env, TMPDIR: tmp },
        });
        // The simulation has started once the testbench has opened its output file.
        let laneDir: string | undefined;
        const t0 = Date.now();
        while (!laneDir && Date.now() - t0 < 60_000) {
          const d = (await readdir(tmp)).find((n) => n.startsWith('lane-'));
          if (d && existsSync(join(tmp, d, 'out.txt'))) laneDir = join(tmp, d);
          else await new Promise((r) => setTimeout(r, 50));
        }
        expect(laneDir, 'the simulation did not start within 60 s').toBeDefined();
        child.kill(signal);
        const r = await child;
        expect(r.exitCode, r.stderr).toBe(code);
        // Everything of ours is gone (tsx keeps its compile cache there: not ours).
        expect((await readdir(tmp)).filter((n) => !n.startsWith('tsx-'))).toEqual([]);
        expect(existsSync(join(dir, 'o.npy'))).toBe(false);
        // No simulator still running on the removed folder.
        await new Promise((res) => setTimeout(res, 500));
        const ps = await execa('ps', ['-eo', 'args'], { reject: false });
        expect(ps.stdout.split('\n').filter((l) => l.includes(laneDir!))).toEqual([]);
      });
    }, 180_000);
  }
});

describe('help', () => {
  it('--help lists every option, the saturation stages and the exit codes', async () => {
    const r = await attend(['--help']);
    expect(r.exitCode).toBe(0);
    for (const opt of ['--q', '--k', '--v', '--out', '--pe', '--sim', '--rescale', '--max-context', '--on-saturation']) expect(r.stdout).toContain(opt);
    for (const stage of ['0 score: ', '1 exp2in: ', '2 acc: ', '3 out: ']) expect(r.stdout).toContain(stage);
    expect(r.stdout).toContain('--kernel');
    expect(r.stdout).toContain('Exit codes: 0 done; 2 a problem with');
  });
});

