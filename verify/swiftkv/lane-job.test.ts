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
import { buildLane, laneCycles } from '../../generators/swiftkv/lane.ts';
import { Simulator } from '../../hdl/index.ts';
import { unpackValues } from '../../generators/common/packing.ts';
import { beats, type LaneJob } from './lane.driver.ts';

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

describe('lane: a start in the done cycle of a rejected start (TypeScript simulator)', () => {
  // docs/mha.md: the slices take no beat in a rejected start's done cycle, so a job started in
  // that cycle takes its first beats a cycle late: exact o, no error, laneCycles + 1 cycles.
  it('the rejected job offers q and kv from its start; the next job, started in its done cycle, is exact and one cycle later', () => {
    const params = { headDim: 16, pe: 4, rescale: 'multiply' as const, maxContext: 8 };
    const { module, config: c, timing } = buildLane(params, { maxHeads: 2 });
    const rng = makeRng(91);
    const junk = makeJob('normal', 16, 2, rng, { frac: 17, width: 32 });
    const job = makeJob('outliers', 16, 3, rng, { frac: 17, width: 32 });
    const stream = (h: LaneJob) => ({
      q: beats(h.q, c.P, c.W).map((data, b) => ({ data, last: b === c.B - 1 })),
      kv: h.k.flatMap((k, t) => beats(k, c.P, c.W).map((kb, b) => ({ data: (beats(h.v[t]!, c.P, c.W)[b]! << BigInt(c.P * c.W)) | kb, last: b === c.B - 1 }))),
    });
    const sim = new Simulator(module);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    let src = stream(junk);
    let qi = 0;
    let ki = 0;
    const o: bigint[] = [];
    let startCycle = -1;
    let result: { cycles: number; error: boolean } | undefined;
    for (let cyc = 0; cyc < 1000 && !result; cyc++) {
      // Cycle 0: start with cfg_len = 9 > maxContext; cycle 1 (its done): start the real job.
      if (cyc === 1) {
        expect(sim.get('done').isTrue(), 'the rejected start is done the next cycle').toBe(true);
        expect(sim.get('status_error').isTrue()).toBe(true);
        src = stream(job);
        qi = 0;
        ki = 0;
        startCycle = 1;
      }
      sim.set('start', cyc <= 1 ? 1 : 0);
      sim.set('cfg_len', cyc === 0 ? 9 : 3);
      sim.set('cfg_heads', 1);
      const q = src.q[qi];
      const kv = src.kv[ki];
      sim.set('q_tvalid', q ? 1 : 0);
      sim.set('q_tdata', q?.data ?? 0n);
      sim.set('q_tlast', q?.last ? 1 : 0);
      sim.set('kv_tvalid', kv ? 1 : 0);
      sim.set('kv_tdata', kv?.data ?? 0n);
      sim.set('kv_tlast', kv?.last ? 1 : 0);
      sim.set('o_tready', 1);
      const qFire = q !== undefined && sim.get('q_tready').isTrue();
      const kvFire = kv !== undefined && sim.get('kv_tready').isTrue();
      if (sim.get('o_tvalid').isTrue()) o.push(...unpackValues(sim.get('o_tdata').bits, c.P, c.W, true));
      if (cyc > 1 && sim.get('done').isTrue()) result = { cycles: cyc - startCycle, error: sim.get('status_error').isTrue() };
      sim.tick();
      if (qFire) qi++;
      if (kvFire) ki++;
    }
    expect(result, 'the job after the rejected start finished').toBeDefined();
    expect(result!.error, 'status_error of the job after the rejected start').toBe(false);
    expect(o, 'o of the job started in the done cycle').toEqual(goldenAttention(job.q, job.k, job.v, params).o);
    expect(result!.cycles, 'cycles: laneCycles + 1 (first beats a cycle late)').toBe(laneCycles(timing, 3, 1) + 1);
  });
});
