/**
 * The MHA top: attention and GEMV jobs interleaved without reset on several (heads, pe) pairs,
 * including one lane with one PE and an odd number of lanes, with random backpressure on every
 * stream; against the whole-system golden model on the TypeScript simulator, then replayed
 * cycle for cycle on Verilator (and Icarus for one case). `make sim` runs larger cases.
 */
import { describe, expect, it } from 'vitest';
import { mhaCases, mhaCaseName, runMhaCase, randomGemv } from './mha.regress.ts';
import { buildMha } from '../../generators/swiftkv/mha.ts';
import { runMhaTs } from './mha.driver.ts';
import { gemvCycles, gemvGolden } from '../../generators/swiftkv/gemv.ts';
import { makeRng } from '../rng.ts';
import { Simulator } from '../../hdl/index.ts';

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
