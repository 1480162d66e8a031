/**
 * Two configurations can live in one FPGA project: a module name they share stands for the
 * same Verilog (issue 7). Every module but the top is named by its content (Module.hashName).
 */
import { describe, expect, it } from 'vitest';
import { emitDesign, Q } from '../../hdl/index.ts';
import { buildMha } from './mha.ts';

function modules(lane: Parameters<typeof buildMha>[0]['lane'], name: string): Map<string, string> {
  const d = emitDesign(buildMha({ lane, heads: 2, maxHeads: 4, gemv: { group: 8, maxCols: 64 }, name }).module);
  return new Map(d.modules.map((m) => [m.name, m.text]));
}

describe('module names', () => {
  for (const [what, other] of [
    ['data format Q16.16 instead of Q15.17', { dataFormat: Q(16, 16), scoreFormat: Q(16, 16), exp2: { indexBits: 5, interpBits: 11 } }],
    ['rescale shift instead of multiply', { rescale: 'shift' as const }],
    ['accumulator fraction bits 24 instead of 23', { accFracBits: 24 }],
  ] as const) {
    it(`a shared name has identical Verilog (${what})`, () => {
      const a = modules({ headDim: 16, pe: 4, maxContext: 64 }, 'top_a');
      const b = modules({ headDim: 16, pe: 4, maxContext: 64, ...other }, 'top_b');
      const shared = [...a.keys()].filter((n) => b.has(n));
      for (const n of shared) expect(b.get(n), `module ${n}`).toBe(a.get(n));
      // The change reaches the lane: its name differs, and so do some blocks'.
      const differing = [...a.keys()].filter((n) => !b.has(n));
      expect(differing.length, 'modules whose name changed').toBeGreaterThan(1);
      expect(differing.some((n) => n.startsWith('swiftkv_lane_'))).toBe(true);
    });
  }
});
