import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
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

  it('refuses d < 8 with exit 2, naming the value, and writes nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'attend-kernel-'));
    try {
      writeNpy(path.join(dir, 'q.npy'), new Float64Array(4), [1, 4]);
      writeNpy(path.join(dir, 'k.npy'), new Float64Array(12), [1, 3, 4]);
      writeNpy(path.join(dir, 'v.npy'), new Float64Array(12), [1, 3, 4]);
      let code = 0;
      let err = '';
      try {
        execFileSync(process.execPath, ['--import', 'tsx', 'scripts/attend.ts', '--q', path.join(dir, 'q.npy'), '--k', path.join(dir, 'k.npy'), '--v', path.join(dir, 'v.npy'), '--out', path.join(dir, 'o.npy'), '--pe', '4', '--kernel'], { stdio: 'pipe' });
      } catch (e) {
        code = (e as { status: number }).status;
        err = String((e as { stderr: Buffer }).stderr);
      }
      expect(code).toBe(2);
      expect(err).toMatch(/attend: --kernel with head dimension d = 4: .* accepted d >= 8/);
      expect(existsSync(path.join(dir, 'o.npy'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
