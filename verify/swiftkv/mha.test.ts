/**
 * The MHA top: attention and GEMV jobs interleaved without reset on several (heads, pe) pairs,
 * including one lane with one PE and an odd number of lanes, with random backpressure on every
 * stream; against the whole-system golden model on the TypeScript simulator, then replayed
 * cycle for cycle on Verilator (and Icarus for one case). `make sim` runs larger cases.
 */
import { describe, expect, it } from 'vitest';
import { mhaCases, mhaCaseName, runMhaCase, randomGemv, runStatusRegression } from './mha.regress.ts';
import { buildMha } from '../../generators/swiftkv/mha.ts';
import { runMhaTs } from './mha.driver.ts';
import { gemvCycles, gemvGolden } from '../../generators/swiftkv/gemv.ts';
import { makeRng } from '../rng.ts';
import { Simulator } from '../../hdl/index.ts';
import { makeJob } from './stimulus.ts';
import { differential } from '../harness.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { satMask } from '../../generators/swiftkv/saturation.ts';

describe('SwiftKV-MHA top: attention and GEMV jobs interleaved without reset', () => {
  for (const c of mhaCases(false)) {
    it(mhaCaseName(c), async () => {
      expect(await runMhaCase(c)).toEqual([]);
    }, 300_000);
  }
});

describe('GEMV cycle model', () => {
  it('cycles equal 1 + N/4 + blocks * (N + (N/G)(k+1) + 1) + M with every stream ready', () => {
    const rng = makeRng(3);
    for (const [H, P, int4, M, N] of [[1, 1, false, 2, 64], [2, 4, true, 30, 96], [1, 4, false, 17, 128]] as const) {
      const { module, lane } = buildMha({ lane: { headDim: 16, pe: P, maxContext: 64 }, heads: H, maxHeads: 4 });
      const job = randomGemv(rng, int4, M, N);
      const { runs } = runMhaTs(module, lane, H, [{ gemv: job }], { rng, validProb: 1, readyProb: 1 });
      expect(runs[0]!.y).toEqual(gemvGolden(job, 32));
      expect(runs[0]!.cycles, `H=${H} P=${P} int4=${int4} M=${M} N=${N}`).toBe(gemvCycles({ M, N, group: 32, int4, P, H }));
    }
  }, 120_000);
});

describe('MHA top rejects bad job configurations', () => {
  it('nHeads = 0, N not a multiple of the group, N above maxCols, M = 0: done at once with status_error; the next good start clears it', () => {
    const rng = makeRng(5);
    const { module, lane } = buildMha({ lane: { headDim: 16, pe: 4, maxContext: 64 }, heads: 2, maxHeads: 4 });
    const sim = new Simulator(module);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    const bad: Record<string, number>[] = [
      { cfg_mode: 0, cfg_heads: 0, cfg_len: 3 },
      { cfg_mode: 1, cfg_rows: 4, cfg_cols: 40 },
      { cfg_mode: 1, cfg_rows: 4, cfg_cols: 4096 + 32 },
      { cfg_mode: 1, cfg_rows: 0, cfg_cols: 64 },
    ];
    for (const cfg of bad) {
      for (const [k, v] of Object.entries(cfg)) sim.set(k, v);
      sim.set('start', 1);
      sim.tick();
      sim.set('start', 0);
      expect(sim.get('done').isTrue(), JSON.stringify(cfg)).toBe(true);
      expect(sim.get('status_error').isTrue(), JSON.stringify(cfg)).toBe(true);
      expect(sim.get('busy').isTrue(), JSON.stringify(cfg)).toBe(false);
      sim.tick();
    }
    // The next good start clears the sticky error and begins the job.
    for (const [k, v] of Object.entries({ cfg_mode: 1, cfg_rows: 3, cfg_cols: 32, start: 1 })) sim.set(k, v);
    sim.tick();
    sim.set('start', 0);
    expect(sim.get('status_error').isTrue()).toBe(false);
    expect(sim.get('busy').isTrue()).toBe(true);
    expect(sim.get('x_tready').isTrue()).toBe(true);
    // And the same design computes a good job (fresh simulation).
    const job = randomGemv(rng, false, 3, 32);
    const { runs } = runMhaTs(module, lane, 2, [{ gemv: job }], { rng, validProb: 1, readyProb: 1 });
    expect(runs[0]!.error).toBe(false);
    expect(runs[0]!.y).toEqual(gemvGolden(job, 32));
  });
});

describe('MHA top status_error: sticky until the next start, never leaking into the next good job', () => {
  it('after cfg_heads = 0, cfg_heads > maxHeads, cfg_len = 0, misplaced kv_tlast / q_tlast and a bad GEMV configuration, good attention and GEMV jobs (both orders) show status_error = 0 in every cycle; TypeScript, then replayed on Verilator and Icarus', async () => {
    expect(await runStatusRegression(['verilator', 'icarus'])).toEqual([]);
  }, 600_000);
});

describe('MHA top status_sat', () => {
  it("is the OR of the job's lanes' masks, sticky until the next start, and ignores a lane the job does not start (TypeScript, replayed on Verilator)", async () => {
    const rng = makeRng(21);
    const fmt = { frac: 17, width: 32 };
    const lane = { headDim: 16, pe: 4, maxContext: 64 };
    const { module, lane: lc } = buildMha({ lane, heads: 2, maxHeads: 4 });
    const big = 60n << 17n; // q = k = 60 at d = 16: scores near 20,800, beyond Q15.17
    const saturating = { q: Array<bigint>(16).fill(big), k: [Array<bigint>(16).fill(big)], v: [Array<bigint>(16).fill(1n << 17n)] };
    const clean = () => makeJob('normal', 16, 1, rng, fmt);
    // Job 0: head 1 (lane 1) saturates. Job 1: GEMV (no lane starts). Job 2: one head, so
    // lane 1 is not started and still holds its flags from job 0. Job 3: both heads clean.
    const jobs = [{ heads: [clean(), saturating] }, { gemv: randomGemv(rng, false, 3, 32) }, { heads: [clean()] }, { heads: [clean(), clean()] }];
    expect(goldenAttention(saturating.q, saturating.k, saturating.v, lane).sat).toBe(satMask(['score']));
    const { runs, rows } = runMhaTs(module, lc, 2, jobs, { rng, validProb: 0.8, readyProb: 0.8 });
    expect(runs.map((r) => r.sat)).toEqual([satMask(['score']), 0, 0, 0]);
    const { module: fresh } = buildMha({ lane, heads: 2, maxHeads: 4 });
    const res = await differential(fresh, rows, { label: 'mha status_sat', seed: 21, clock: 'clk', simulators: ['verilator'], ignoreBefore: 1 });
    const col = res.outputs.indexOf('status_sat');
    expect(res.actual.verilator![runs[0]!.lastRow]![col]).toBe(BigInt(satMask(['score'])));
  }, 300_000);
});
