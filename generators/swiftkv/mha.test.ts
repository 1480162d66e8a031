/**
 * The MHA top: attention and GEMV jobs interleaved without reset on several (heads, pe) pairs,
 * including one lane with one PE and an odd number of lanes, with random backpressure on every
 * stream; against the whole-system golden model on the TypeScript simulator, then replayed
 * cycle for cycle on Verilator (and Icarus for one case). `make sim` runs larger cases.
 */
import { describe, expect, it } from 'vitest';
import { mhaCases, mhaCaseName, runMhaCase } from './mha.regress.ts';

describe('SwiftKV-MHA top: attention and GEMV jobs interleaved without reset', () => {
  for (const c of mhaCases(false)) {
    it(mhaCaseName(c), async () => {
      expect(await runMhaCase(c)).toEqual([]);
    }, 300_000);
  }
});
