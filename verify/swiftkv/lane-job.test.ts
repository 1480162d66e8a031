/**
 * The lane RTL on Verilator and Icarus against the golden model: several jobs without reset,
 * several heads per job, random valid gaps and ready stalls; with every stream ready the
 * cycle count equals laneCycles exactly.
 */
import { describe, it, expect } from 'vitest';
import { runLaneRtl, type LaneHeadsJob } from './lane-job.rtl.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { laneCycles } from '../../generators/swiftkv/lane.ts';
import { buildLaneRtl } from './lane-job.rtl.ts';
import { makeJob, dataKinds } from './stimulus.ts';
import { makeRng } from '../rng.ts';
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';

const SIMS = ['verilator', 'icarus'] as const;

function jobsFor(params: LaneParamsInput, shape: readonly (readonly [number, number])[], seed: number): LaneHeadsJob[] {
  const rng = makeRng(seed);
  let k = seed;
  return shape.map(([L, n]) => Array.from({ length: n }, () => makeJob(dataKinds[k++ % dataKinds.length]!, params.headDim, L, rng, { frac: 17, width: 32 })));
}

describe('lane RTL (job testbench)', () => {
  const cases: { params: LaneParamsInput; shape: [number, number][] }[] = [
    { params: { headDim: 16, pe: 4, rescale: 'multiply', maxContext: 64 }, shape: [[1, 1], [5, 3], [17, 2], [1, 4]] },
    { params: { headDim: 16, pe: 16, rescale: 'shift', maxContext: 64 }, shape: [[3, 2], [9, 3]] },
  ];
  for (const sim of SIMS) {
    for (const { params, shape } of cases) {
      for (const [vprob, rprob] of [[100, 100], [60, 40]] as const) {
        it(`${sim} d=${params.headDim} P=${params.pe} ${params.rescale} valid ${vprob}% ready ${rprob}%`, async () => {
          const seed = 1000 + (params.pe ?? 1) + vprob;
          console.log(`lane RTL seed ${seed}`);
          const jobs = jobsFor(params, shape, seed);
          const res = await runLaneRtl(params, jobs, { simulator: sim, seed, vprob, rprob });
          const { timing } = await buildLaneRtl(params, sim);
          jobs.forEach((job, j) => {
            const r = res[j]!;
            expect(r.error, `job ${j}: status_error`).toBe(false);
            expect(r.heads.length, `job ${j}: heads out`).toBe(job.length);
            let satOr = 0;
            job.forEach((h, i) => {
              const g = goldenAttention(h.q, h.k, h.v, params);
              expect(r.heads[i]!.o, `job ${j} head ${i}: o`).toEqual(g.o);
              expect(r.heads[i]!.mask, `job ${j} head ${i}: o_tuser`).toBe(g.sat);
              satOr |= g.sat;
            });
            expect(r.sat, `job ${j}: status_sat`).toBe(satOr);
            const model = laneCycles(timing, job[0]!.k.length, job.length);
            if (vprob === 100 && rprob === 100) expect(r.cycles, `job ${j}: cycles`).toBe(model);
            else expect(r.cycles, `job ${j}: cycles`).toBeGreaterThan(model);
          });
        }, 600_000);
      }
    }
  }
});
