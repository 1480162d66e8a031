/** `npm run attend`: tensors in, tensors out, through the lane RTL; bad input is refused cleanly. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeNpy, readNpy } from '../testbenches/npy.ts';
import { referenceAttention, relativeError } from '../verify/reference.ts';
import { makeRng } from '../verify/rng.ts';

const script = join(import.meta.dirname, 'attend.ts');

function gaussians(n: number, rng: ReturnType<typeof makeRng>): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  return a;
}

async function withTensors(H: number, L: number, d: number, f: (dir: string) => Promise<void>, tweak?: (q: Float64Array) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'attend-'));
  try {
    const rng = makeRng(12);
    const q = gaussians(H * d, rng);
    tweak?.(q);
    writeNpy(join(dir, 'q.npy'), q, [H, d]);
    writeNpy(join(dir, 'k.npy'), gaussians(H * L * d, rng), [H, L, d], '<f4');
    writeNpy(join(dir, 'v.npy'), gaussians(H * L * d, rng), [H, L, d]);
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const run = (dir: string, extra: string[] = []) =>
  execa('node', ['--import', 'tsx', script, '--q', join(dir, 'q.npy'), '--k', join(dir, 'k.npy'), '--v', join(dir, 'v.npy'), '--out', join(dir, 'o.npy'), ...extra], { reject: false });

describe('npm run attend', () => {
  it('runs each head on the RTL, writes o.npy and reports cycles and error', async () => {
    await withTensors(2, 9, 16, async (dir) => {
      const r = await run(dir, ['--pe', '4', '--sim', 'icarus']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\| 0 \| \d+ \| [\d.]+ \| 4\.00 \| \d+ \| [\d.e-]+ \| yes \|/);
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

  it('refuses mismatched shapes, values outside Q15.17 and L above maxContext, writing nothing', async () => {
    await withTensors(1, 5, 16, async (dir) => {
      const r1 = await run(dir, ['--max-context', '4']);
      expect(r1.exitCode).toBe(2);
      expect(r1.stderr).toContain('context length L = 5 is out of range: accepted 1..4');
      const r2 = await run(dir, ['--pe', '3']);
      expect(r2.exitCode).toBe(2);
      expect(r2.stderr).toContain('pe = 3 does not divide headDim = 16');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    });
    await withTensors(1, 5, 16, async (dir) => {
      const r = await run(dir);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('--q[0, 3] = 20000 is outside Q15.17: accepted -16384 .. 16383.99999237');
      expect(existsSync(join(dir, 'o.npy'))).toBe(false);
    }, (q) => (q[3] = 20000));
  }, 120_000);
});
