/**
 * The lane RTL on Verilator and Icarus against the golden model: the quick subset of the lane
 * regression (lane.regress.ts; `make sim` runs the full matrix). Several jobs without reset,
 * 1..5 heads per job, every data kind, random valid gaps and ready stalls, random register
 * initialisation; bit-exact o and o_tuser, status_sat, and cycles equal to laneCycles with
 * every stream ready. Also the job-level error handling: a rejected configuration and a
 * misplaced tlast set status_error, and the next job is clean.
 */
import { describe, it, expect } from 'vitest';
import { quickMatrix, runCase, caseName, laneParamsOf, caseJobs, goldenOf, checkLaneJobs, type RegressCase } from './lane.regress.ts';
import { runLaneRtl, buildLaneRtl } from './lane-job.rtl.ts';
import { makeJob } from './stimulus.ts';
import { makeRng } from '../rng.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';

const seed = Number(process.env.LANE_SEED ?? 20261130);

describe(`lane regression, quick subset (LANE_SEED=${seed}; make sim runs the full matrix)`, () => {
  for (const c of quickMatrix(seed)) {
    it(caseName(c), async () => {
      console.log(`lane case seed ${c.seed}: ${caseName(c)}`);
      const r = await runCase(c);
      expect(r.failure ?? '', r.name).toBe('');
      expect(r.ok).toBe(true);
      expect(r.cycles.length, 'jobs finished').toBe(c.jobs.length);
    }, 600_000);
  }
});

describe('lane job errors (status_error), then a clean job without reset', () => {
  const base: RegressCase = { d: 16, P: 4, rescale: 'multiply', format: 'Q15.17', simulator: 'verilator', seed: 77, vprob: 100, rprob: 100, jobs: [{ L: 3, heads: 2 }] };
  const params = laneParamsOf(base);
  const B = 4;
  const head = makeJob('normal', 16, 3, makeRng(78), { frac: 17, width: 32 });

  for (const simulator of ['verilator', 'icarus'] as const) {
    const c = { ...base, simulator };
    const { jobs: [good] } = caseJobs(c);
    const goldenGood = goldenOf(c, [good!]);

    it(`${simulator}: a misplaced kv_tlast or q_tlast sets status_error, o is still exact, and the next job is exact and clean`, async () => {
      const badKv = { ...head, kvLast: Array.from({ length: 3 * B }, () => true) }; // tlast on every beat
      const badQ = { ...head, qLast: Array.from({ length: B }, (_, j) => j === 0) }; // tlast on the first beat
      const res = await runLaneRtl(params, [[badKv], good!, [badQ], good!], { simulator, seed: 5, vprob: 100, rprob: 100 });
      const g = goldenOf(c, [[head]])[0]![0]!;
      expect(res[0]!.error, 'kv_tlast on every beat: status_error').toBe(true);
      expect(res[2]!.error, 'q_tlast on the first beat: status_error').toBe(true);
      expect(res[0]!.heads[0]!.o, 'o after a misplaced kv_tlast').toEqual(g.o);
      expect(res[2]!.heads[0]!.o, 'o after a misplaced q_tlast').toEqual(g.o);
      const { timing } = await buildLaneRtl(params, simulator);
      for (const j of [1, 3]) expect(checkLaneJobs([good!], goldenGood, [res[j]!], timing, true), `job ${j}, after an error`).toEqual([]);
    }, 600_000);

    // While the lane is idle its input slices (u_q_skid, u_kv_skid) take up to two beats each;
    // a rejected start must drop them (before the fix the next job read them as its first q
    // words: wrong o, status_error from the q tlast). maxContext = 2: cfg_len = 3 fits the
    // 2-bit port (with maxContext = 1 the port has 1 bit and L = 2 would arrive as 0).
    it(`${simulator}: a rejected start (cfg_len = 0 or L > maxContext, q and kv offered from start) gives done with no output, and the next job is exact and clean`, async () => {
      const empty = { q: head.q, k: [], v: [] };
      const tooLong = makeJob('normal', 16, 3, makeRng(79), { frac: 17, width: 32 });
      const smallParams = { ...params, maxContext: 2 };
      const { timing } = await buildLaneRtl(params, simulator);
      const res = await runLaneRtl(params, [[empty], good!], { simulator, seed: 5, vprob: 100, rprob: 100 });
      expect(res[0]!.error, 'cfg_len = 0: status_error').toBe(true);
      expect(res[0]!.heads, 'cfg_len = 0: no output').toEqual([]);
      expect(res[0]!.cycles, 'cfg_len = 0: done the cycle after start').toBe(1);
      expect(checkLaneJobs([good!], goldenGood, [res[1]!], timing, true), 'the job after cfg_len = 0').toEqual([]);
      const small = await runLaneRtl(smallParams, [[tooLong], [{ ...head, k: head.k.slice(0, 1), v: head.v.slice(0, 1) }]], { simulator, seed: 5, vprob: 100, rprob: 100 });
      expect(small[0]!.error, 'L = 3 > maxContext = 2: status_error').toBe(true);
      expect(small[0]!.heads, 'L > maxContext: no output').toEqual([]);
      expect(small[0]!.cycles, 'L > maxContext: done the cycle after start').toBe(1);
      const one = { ...head, k: head.k.slice(0, 1), v: head.v.slice(0, 1) };
      const { timing: t1 } = await buildLaneRtl(smallParams, simulator);
      expect(checkLaneJobs([[one]], [[goldenAttention(one.q, one.k, one.v, smallParams)]], [small[1]!], t1, true), 'the job after L > maxContext').toEqual([]);
    }, 600_000);
  }
});
