import { describe, it, expect } from 'vitest';
import { runScript } from '../run-script.ts';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Q } from '../../hdl/fixed.ts';
import { writeNpy } from '../../testbenches/npy.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { makeRng } from '../rng.ts';
import { makeJob, formatInfoOf } from '../swiftkv/stimulus.ts';
import { attendOnKernel } from './attend.ts';

describe('npm run attend -- --kernel', () => {
  it('runs heads through the kernel and the memory model, bit-exact with the golden model, a mask per head', async () => {
    const params = { headDim: 16, pe: 4, maxContext: 64 };
    const rng = makeRng(3);
    const heads = Array.from({ length: 2 }, () => makeJob('normal', 16, 20, rng, formatInfoOf(Q(15, 17))));
    const res = await attendOnKernel(params, heads, 'verilator');
    expect(res.length).toBe(2);
    res.forEach((r, h) => {
      const g = goldenAttention(heads[h]!.q, heads[h]!.k, heads[h]!.v, params);
      expect(r.heads[0]!.o, `head ${h}`).toEqual(g.o);
      expect(r.heads[0]!.mask, `head ${h} mask`).toBe(g.sat);
      expect(r.error).toBe(false);
    });
  }, 600_000);

  it('--decode-pos: the decode step through the kernel from .npy files, bit-exact (the CLI compares with RoPE + golden), o written', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'attend-decode-'));
    try {
      const rng = makeRng(8);
      const heads = Array.from({ length: 2 }, () => makeJob('normal', 16, 9, rng, formatInfoOf(Q(15, 17))));
      const flat = (xs: readonly bigint[]): number[] => xs.map((x) => Number(x) / 2 ** 17);
      writeNpy(path.join(dir, 'q.npy'), Float64Array.from(heads.flatMap((h) => flat(h.q))), [2, 16]);
      writeNpy(path.join(dir, 'k.npy'), Float64Array.from(heads.flatMap((h) => h.k.flatMap(flat))), [2, 9, 16]);
      writeNpy(path.join(dir, 'v.npy'), Float64Array.from(heads.flatMap((h) => h.v.flatMap(flat))), [2, 9, 16]);
      const files = ['--q', path.join(dir, 'q.npy'), '--k', path.join(dir, 'k.npy'), '--v', path.join(dir, 'v.npy'), '--out', path.join(dir, 'o.npy'), '--pe', '4', '--max-context', '64'];
      const run = runScript('attend.ts', [...files, '--kernel', '--decode-pos', '37', '--rope-pairing', 'interleaved']);
      expect(run.code, run.stderr).toBe(0);
      const stdout = run.stdout;
      expect(stdout).toMatch(/decode step at position 37 \(RoPE base 10000, interleaved pairs/);
      expect(stdout.match(/^\| [01] \| [0-9.e+-]+ \| yes \|/gm)?.length, stdout).toBe(2);
      expect(existsSync(path.join(dir, 'o.npy'))).toBe(true);
      for (const [args, message] of [
        [['--decode-pos', '3'], /--decode-pos needs --kernel/],
        [['--kernel', '--decode-pos', '64'], /--decode-pos 64 is out of range: accepted integers 0\.\.63/],
        [['--kernel', '--rope-base', '500'], /--rope-base and --rope-pairing apply to --decode-pos only/],
      ] as const) {
        const r = runScript('attend.ts', [...files.slice(0, 7), path.join(dir, 'o2.npy'), ...files.slice(8), ...args]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(message);
        expect(existsSync(path.join(dir, 'o2.npy'))).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('refuses d < 8 with exit 2, naming the value, and writes nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'attend-kernel-'));
    try {
      writeNpy(path.join(dir, 'q.npy'), new Float64Array(4), [1, 4]);
      writeNpy(path.join(dir, 'k.npy'), new Float64Array(12), [1, 3, 4]);
      writeNpy(path.join(dir, 'v.npy'), new Float64Array(12), [1, 3, 4]);
      const r = runScript('attend.ts', ['--q', path.join(dir, 'q.npy'), '--k', path.join(dir, 'k.npy'), '--v', path.join(dir, 'v.npy'), '--out', path.join(dir, 'o.npy'), '--pe', '4', '--kernel']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/attend: --kernel with head dimension d = 4: .* accepted d >= 8/);
      expect(existsSync(path.join(dir, 'o.npy'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
