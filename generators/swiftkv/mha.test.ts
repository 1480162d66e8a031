/**
 * The MHA top (attention mode): several (heads, pe) pairs including one lane with one PE and an
 * odd number of lanes, several rounds with a partial last round, two jobs back to back without
 * reset, random backpressure on every stream; against the whole-system golden model (the lane
 * golden per head) on the TypeScript simulator, replayed cycle for cycle on Verilator (and a
 * case on Icarus).
 */
import { describe, expect, it } from 'vitest';
import { buildMha } from './mha.ts';
import { runMhaTs, type MhaJob } from './mha.driver.ts';
import { goldenAttention } from './golden.ts';
import { makeJob } from './lane.data.ts';
import { differential } from '../../sim/harness.ts';
import { makeRng } from '../../sim/rng.ts';
import type { Rescale } from './numerics.ts';
import type { SimulatorName } from '../../sim/simulator.ts';

const fmt = { frac: 17, width: 32 };

/** Whole-system golden model: every head through the lane golden model. */
export function mhaGolden(job: MhaJob, rescale: Rescale): bigint[][] {
  return job.heads.map((h) => goldenAttention(h.q, h.k, h.v, { rescale }).o);
}

const cases: { H: number; P: number; d: number; rescale: Rescale; jobs: [number, number][]; sims: SimulatorName[] }[] = [
  { H: 1, P: 1, d: 16, rescale: 'multiply', jobs: [[2, 3], [1, 2]], sims: ['verilator'] },
  { H: 3, P: 4, d: 16, rescale: 'shift', jobs: [[5, 3], [3, 17]], sims: ['verilator', 'icarus'] },
  { H: 2, P: 16, d: 16, rescale: 'multiply', jobs: [[3, 4], [4, 2]], sims: ['verilator'] },
];

describe('SwiftKV-MHA top, attention mode', () => {
  for (const c of cases) {
    it(`H = ${c.H}, P = ${c.P}, d = ${c.d}, ${c.rescale}: jobs (nHeads, L) = ${c.jobs.map((j) => `(${j.join(', ')})`).join(' ')} back to back`, async () => {
      const seed = 100 + c.H * 10 + c.P;
      const rng = makeRng(seed);
      const lane = { headDim: c.d, pe: c.P, rescale: c.rescale, maxContext: 64 };
      const { module, lane: lc } = buildMha({ lane, heads: c.H, maxHeads: 8 });
      const kinds = ['normal', 'max-last', 'ties', 'outliers'] as const;
      const jobs: MhaJob[] = c.jobs.map(([n, L]) => ({ heads: Array.from({ length: n }, (_, h) => makeJob(kinds[h % kinds.length]!, c.d, L, rng, fmt)) }));
      const { runs, rows } = runMhaTs(module, lc, c.H, jobs, { rng, validProb: 0.7, readyProb: 0.6 });
      runs.forEach((r, i) => {
        expect(r.error, `job ${i}`).toBe(false);
        expect(r.o, `job ${i}, seed ${seed}`).toEqual(mhaGolden(jobs[i]!, c.rescale));
      });
      const { module: fresh } = buildMha({ lane, heads: c.H, maxHeads: 8 });
      await differential(fresh, rows, { label: `mha H=${c.H} P=${c.P}`, seed, clock: 'clk', simulators: c.sims, ignoreBefore: 1 });
    }, 300_000);
  }
});
