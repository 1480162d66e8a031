/**
 * The MHA top: attention and GEMV jobs interleaved without reset on several (heads, pe) pairs,
 * including one lane with one PE and an odd number of lanes, with random backpressure on every
 * stream; against the whole-system golden model on the TypeScript simulator, then replayed
 * cycle for cycle on Verilator (and Icarus for one case). `make sim` runs larger cases.
 */
import { describe, expect, it } from 'vitest';
import { mhaCases, mhaCaseName, runMhaCase, randomGemv } from './mha.regress.ts';
import { buildMha } from './mha.ts';
import { runMhaTs } from './mha.driver.ts';
import { gemvCycles, gemvGolden } from './gemv.ts';
import { makeRng } from '../../sim/rng.ts';

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
