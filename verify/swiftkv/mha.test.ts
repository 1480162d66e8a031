/**
 * The SwiftKV-MHA top on Verilator and Icarus: mha.regress.ts's testCases() (one simulator build
 * per parameter set, reused by every case), each job checked bit-exactly against the golden
 * models (o and o_tuser per head, y with y_tkeep / y_tlast per row, status_sat), cycles equal to
 * mhaAttentionCycles / gemvCycles with every stream always ready, and the status regression of
 * issue 7: after each kind of bad job (rejected configuration, misplaced tlast), whose beats
 * are offered as a source that does not check would offer them, a good attention job and a
 * good GEMV job run exactly with status_error 0 in every cycle from start to done.
 *
 * The job testbench drives x on a stream's tdata while tvalid is low and on cfg_* after the
 * start cycle (Verilator reads x as 0), so a datapath that uses data without valid fails here
 * on Icarus (it found the GEMV tiles' x * 0 in stalled MAC cycles).
 */
import { describe, it, expect } from 'vitest';
import { testCases, mhaCaseName, runCaseRtl, statusJobs, BAD_JOB_KINDS, PARAMS_A, PARAMS_B } from './mha.regress.ts';
import { buildMhaRtl } from './mha.driver.ts';

describe('MHA status regression: the cases cover every bad job kind', () => {
  it('each bad job kind is followed by a good attention and a good GEMV job, in both orders', () => {
    for (const params of [PARAMS_A, PARAMS_B]) {
      const jobs = statusJobs(params);
      for (const bad of BAD_JOB_KINDS) {
        const after = jobs.flatMap((j, k) => (j.kind === 'bad' && j.bad === bad ? [[jobs[k + 1]?.kind, jobs[k + 2]?.kind].join(' ')] : []));
        expect(after.sort(), `jobs after bad(${bad})`).toEqual(['attention gemv', 'gemv attention']);
      }
    }
  });
});

// Every case of both simulators concurrently (vitest's maxConcurrency): Icarus cases run while
// Verilator compiles, and the simulator processes share the cores. Each build is one cached
// promise per parameter set and simulator, awaited by its cases.
describe.concurrent('MHA regression on Verilator and Icarus (make sim runs mhaCases())', () => {
  for (const simulator of ['verilator', 'icarus'] as const) {
    it(`${simulator}: builds each parameter set once`, async () => {
      const t0 = performance.now();
      await Promise.all([buildMhaRtl(PARAMS_A, simulator), buildMhaRtl(PARAMS_B, simulator)]);
      console.log(`${simulator}: MHA builds ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }, 600_000);
    for (const c of testCases()) {
      const p = c.params;
      it(`${simulator} ${c.label}: H=${p.heads} d=${p.lane.headDim} P=${p.lane.pe} G=${p.gemv?.group}, ${c.jobs.length} jobs, valid ${c.vprob}% ready ${c.rprob}%, seed ${c.seed}`, async () => {
        const t0 = performance.now();
        const r = await runCaseRtl(c, simulator);
        console.log(`${simulator} ${c.label}: ${r.results.length} jobs, ${r.cycles} cycles, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        expect(r.problems, mhaCaseName(c)).toEqual([]);
        expect(r.results.length, 'jobs finished').toBe(c.jobs.length);
      }, 600_000);
    }
  }
});
