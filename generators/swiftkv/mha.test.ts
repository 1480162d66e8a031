/**
 * The MHA top (attention mode): several (heads, pe) pairs including one lane with one PE and an
 * odd number of lanes, several rounds with a partial last round, two jobs back to back without
 * reset, random backpressure on every stream; against the whole-system golden model (the lane
 * golden per head) on the TypeScript simulator, replayed cycle for cycle on Verilator (and a
 * case on Icarus).
 */
import { describe, expect, it } from 'vitest';
import { buildMha } from './mha.ts';
import { runMhaTs, type MhaJob, type GemvJobSpec } from './mha.driver.ts';
import { gemvGolden, type GemvJob } from './gemv.ts';
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

/** An attention job (nHeads, L) or a GEMV job ('int8' | 'int4', M rows, N columns). */
type JobSpec = [number, number] | ['int8' | 'int4', number, number];

const cases: { H: number; P: number; d: number; rescale: Rescale; jobs: JobSpec[]; sims: SimulatorName[] }[] = [
  { H: 1, P: 1, d: 16, rescale: 'multiply', jobs: [[2, 3], ['int8', 3, 32], [1, 2], ['int4', 4, 64]], sims: ['verilator'] },
  { H: 3, P: 4, d: 16, rescale: 'shift', jobs: [[5, 3], ['int8', 30, 64], [3, 17], ['int4', 40, 32]], sims: ['verilator', 'icarus'] },
  { H: 2, P: 16, d: 16, rescale: 'multiply', jobs: [['int4', 100, 96], [3, 4], [4, 2]], sims: ['verilator'] },
];

function randomGemv(rng: ReturnType<typeof makeRng>, int4: boolean, M: number, N: number): GemvJob {
  const wmax = int4 ? 8 : 128;
  return {
    int4,
    w: Array.from({ length: M }, () => Array.from({ length: N }, () => rng.int(-wmax, wmax - 1))),
    x: Array.from({ length: N }, () => rng.int(-128, 127)),
    scale: Array.from({ length: M }, () => Array.from({ length: N / 32 }, () => rng.int(-32768, 32767))),
  };
}

describe('SwiftKV-MHA top: attention and GEMV jobs interleaved without reset', () => {
  for (const c of cases) {
    it(`H = ${c.H}, P = ${c.P}, d = ${c.d}, ${c.rescale}: jobs ${c.jobs.map((j) => `(${j.join(', ')})`).join(' ')} back to back`, async () => {
      const seed = 100 + c.H * 10 + c.P;
      const rng = makeRng(seed);
      const lane = { headDim: c.d, pe: c.P, rescale: c.rescale, maxContext: 64 };
      const { module, lane: lc } = buildMha({ lane, heads: c.H, maxHeads: 8 });
      const kinds = ['normal', 'max-last', 'ties', 'outliers'] as const;
      const jobs: (MhaJob | GemvJobSpec)[] = c.jobs.map((j) =>
        typeof j[0] === 'string'
          ? { gemv: randomGemv(rng, j[0] === 'int4', j[1], j[2]) }
          : { heads: Array.from({ length: j[0] }, (_, h) => makeJob(kinds[h % kinds.length]!, c.d, j[1], rng, fmt)) },
      );
      const { runs, rows } = runMhaTs(module, lc, c.H, jobs, { rng, validProb: 0.7, readyProb: 0.6 });
      runs.forEach((r, i) => {
        const job = jobs[i]!;
        expect(r.error, `job ${i}`).toBe(false);
        if ('gemv' in job) expect(r.y, `GEMV job ${i}, seed ${seed}`).toEqual(gemvGolden(job.gemv, 32));
        else expect(r.o, `attention job ${i}, seed ${seed}`).toEqual(mhaGolden(job, c.rescale));
      });
      const { module: fresh } = buildMha({ lane, heads: c.H, maxHeads: 8 });
      await differential(fresh, rows, { label: `mha H=${c.H} P=${c.P}`, seed, clock: 'clk', simulators: c.sims, ignoreBefore: 1 });
    }, 300_000);
  }
});
