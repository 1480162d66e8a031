/**
 * Native and blockwise attention lanes (generators/baselines/) on Verilator and Icarus against
 * their golden models: jobs back to back without reset, every data kind, L below, at and above
 * the block size, bit-exact o and o_tuser, cycles equal to baselineCycles with every stream
 * ready and never fewer under random valid gaps and ready stalls.
 */
import { describe, it, expect } from 'vitest';
import { runBaselineCase, baselineCaseName, baselineParamsOf, checkBaselineJobs, variantName, type BaselineCase } from './baseline.regress.ts';
import { runBaselineRtl, buildBaselineRtl } from './baseline.rtl.ts';
import { goldenBaseline, type BaselineVariant } from '../../generators/baselines/golden.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { makeJob } from '../swiftkv/stimulus.ts';
import { makeRng } from '../rng.ts';
import { referenceAttentionRaw, relativeError } from '../reference.ts';

const seed = Number(process.env.BASELINE_SEED ?? 20261201);
const native: BaselineVariant = { kind: 'native' };
const block4: BaselineVariant = { kind: 'blockwise', block: 4 };
const block16: BaselineVariant = { kind: 'blockwise', block: 16 };
const mixed = [{ L: 1, heads: 1 }, { L: 3, heads: 2 }, { L: 4, heads: 1 }, { L: 17, heads: 3 }, { L: 64, heads: 2 }, { L: 5, heads: 4 }];
const short = [{ L: 2, heads: 2 }, { L: 17, heads: 2 }, { L: 33, heads: 1 }];

const cases: BaselineCase[] = [];
const add = (variant: BaselineVariant, d: number, P: number, simulator: 'verilator' | 'icarus', jobs: BaselineCase['jobs'], bp: [number, number]): void => {
  cases.push({ d, P, maxContext: 64, variant, jobs, simulator, seed: seed + cases.length, vprob: bp[0], rprob: bp[1] });
};
for (const v of [native, block4, block16]) {
  add(v, 16, 4, 'verilator', mixed, [100, 100]);
  add(v, 16, 4, 'verilator', short, [60, 45]);
  add(v, 16, 4, 'icarus', short, [100, 100]);
  add(v, 16, 4, 'icarus', [{ L: 9, heads: 2 }, { L: 1, heads: 1 }], [70, 55]);
}
// P = d: one beat per token, the ACC loop sets the pace (a token every 8 cycles).
add(native, 16, 16, 'verilator', mixed, [100, 100]);
add(block4, 16, 16, 'verilator', mixed, [100, 100]);

describe(`baseline lanes on both simulators (BASELINE_SEED=${seed})`, () => {
  for (const c of cases) {
    it(baselineCaseName(c), async () => {
      const r = await runBaselineCase(c);
      expect(r.problems.join('\n'), r.name).toBe('');
      if (c.vprob === 100 && c.rprob === 100) expect(r.cycles, 'cycles per job').toEqual(r.expectedCycles);
    }, 300_000);
  }
});

// While idle a lane's input slices take up to two beats of each stream; a rejected start must
// drop them, or the next job reads them as its first beats (as the SwiftKV lane does).
describe('baseline lanes: a rejected start (cfg_len = 0, L > maxContext) with its beats offered', () => {
  for (const variant of [native, block4]) {
    for (const simulator of ['verilator', 'icarus'] as const) {
      it(`${variantName(variant)}, ${simulator}: done with status_error and no output, and each next job exact`, async () => {
        const params = baselineParamsOf({ d: 16, P: 4, maxContext: 64 });
        const rng = makeRng(seed + 77);
        const fmt = { frac: 17, width: 32 };
        const good = makeJob('normal', 16, 5, rng, fmt);
        const tooLong = makeJob('normal', 16, 65, rng, fmt);
        const jobs = [[{ q: good.q, k: [], v: [] }], [good], [tooLong], [good]];
        const res = await runBaselineRtl(params, variant, jobs, { simulator, seed: seed + 7, vprob: 100, rprob: 100 });
        const { timing } = await buildBaselineRtl(params, variant, simulator);
        for (const j of [0, 2]) {
          expect(res[j]!.error, `job ${j}: status_error`).toBe(true);
          expect(res[j]!.heads, `job ${j}: no output`).toEqual([]);
          expect(res[j]!.cycles, `job ${j}: done the cycle after start`).toBe(1);
        }
        const g = [[goldenBaseline(good.q, good.k, good.v, { ...params, variant })]];
        for (const j of [1, 3]) expect(checkBaselineJobs([[good]], g, [res[j]!], timing, true), `job ${j}, after a rejected start`).toEqual([]);
      }, 300_000);
    }
  }
});

describe('baseline golden models', () => {
  const rng = makeRng(seed);
  const job = makeJob('outliers', 16, 37, rng, { frac: 17, width: 32 }, { qk: 3, v: 40 });
  const params = { headDim: 16, pe: 4, maxContext: 64 };

  it('native equals blockwise with one block holding the whole context, bit for bit', () => {
    const a = goldenBaseline(job.q, job.k, job.v, { ...params, variant: native });
    const b = goldenBaseline(job.q, job.k, job.v, { ...params, variant: { kind: 'blockwise', block: 64 } });
    expect(b).toEqual(a);
  });

  it('blockwise with blocks of one token is the SwiftKV lane (multiply rescale), bit for bit', () => {
    const a = goldenBaseline(job.q, job.k, job.v, { ...params, variant: { kind: 'blockwise', block: 1 } });
    const g = goldenAttention(job.q, job.k, job.v, { ...params, rescale: 'multiply' });
    expect(a.o).toEqual(g.o);
  });

  it('every variant stays within 1e-3 of float64 attention', () => {
    const ref = referenceAttentionRaw(job.q, job.k, job.v);
    for (const variant of [native, block4, block16]) {
      const g = goldenBaseline(job.q, job.k, job.v, { ...params, variant });
      expect(relativeError(g.o.map((x) => Number(x) / 2 ** 17), ref), JSON.stringify(variant)).toBeLessThan(1e-3);
    }
  });

  it('a block size out of range is refused with the accepted range', () => {
    expect(() => goldenBaseline(job.q, job.k, job.v, { ...params, variant: { kind: 'blockwise', block: 65 } })).toThrow(/block = 65 is out of range: accepted integers 1..64/);
  });
});
