/**
 * Mutation checks: the emitted RTL is broken on purpose in small ways, and the suite must
 * notice each one with the check that owns it: the lane regression against the golden model,
 * the block-level differential run, or the exp2 comparison. A check that passed a mutant would
 * be a check that cannot fail. (Equivalent mutants, e.g. `>` vs `>=` in the running max, where a
 * tie gives alpha = beta = 1 either way, are deliberately not used.)
 */
import { describe, expect, it } from 'vitest';
import { runLaneHdl } from './lane.rtl.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { makeJob } from './stimulus.ts';
import { buildAccNorm, buildExp2, laneConfig } from '../../generators/swiftkv/lane.ts';
import { blockRows } from './blocks.stimulus.ts';
import { differential, DifferentialMismatch } from '../harness.ts';
import { makeRng } from '../rng.ts';

const params = { headDim: 16, pe: 4 };

describe('mutation checks', () => {
  it("the lane regression notices a running max that ignores the first token ('max-first')", async () => {
    const rng = makeRng(808);
    const fmt = { frac: 17, width: 32 };
    const jobs = [makeJob('normal', 16, 33, rng, fmt), makeJob('max-middle', 16, 17, rng, fmt)];
    const golden = jobs.map((j) => goldenAttention(j.q, j.k, j.v, params).o);
    const mutation = { name: 'max-first', module: 'swiftkv_max_mul', from: 'assign m_next_sel = first ? s : m;', to: 'assign m_next_sel = first ? m : s;' };
    const res = await runLaneHdl(params, jobs, { simulator: 'verilator', seed: 1, vprob: 100, rprob: 100, mutation });
    expect(res.some((r, i) => r.o.some((x, j) => x !== golden[i]![j])), 'the mutant passed').toBe(true);
  }, 300_000);

  it("the block check notices Z rounded without its sticky bit ('z-rounding'), which o hides", async () => {
    const m = buildAccNorm(laneConfig(params));
    const mutate = {
      name: 'z-rounding',
      module: 'swiftkv_accnorm_d16_p4_mul',
      from: 'z_next_prod[29] & ((|z_next_prod[28:0]) | z_next_prod[30])',
      to: 'z_next_prod[29] & z_next_prod[30]',
    };
    const run = differential(m, blockRows(m, 600, makeRng(4019)), { label: 'mutant', seed: 4019, clock: 'clk', ignoreBefore: 3, simulators: ['verilator'], mutate });
    await expect(run).rejects.toBeInstanceOf(DifferentialMismatch);
  }, 300_000);

  it("the exp2 check notices one table entry off by one LSB ('exp2-table')", async () => {
    const m = buildExp2(laneConfig(params).formats);
    const mutate = { name: 'exp2-table', module: m.name, from: "exp2_table[16] = 32'd1518500250;", to: "exp2_table[16] = 32'd1518500251;" };
    const rows: bigint[][] = [];
    for (let x = -(1n << 17n); x <= 0n; x += 7n) rows.push([BigInt.asUintN(32, x)]);
    const run = differential(m, rows, { label: 'mutant', seed: 0, simulators: ['verilator'], mutate });
    await expect(run).rejects.toBeInstanceOf(DifferentialMismatch);
  }, 300_000);
});
