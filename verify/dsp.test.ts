/**
 * DSP tiles as emitted Verilog: lint-clean on Verilator -Wall, Icarus -Wall and Yosys; cycle for
 * cycle equal to the TypeScript simulation on Verilator and Icarus (extremes and seeded random
 * operands); and mapped by Yosys `synth_xilinx -family xcup` to exactly one DSP48E2 each.
 */
import { describe, expect, it } from 'vitest';
import { emitDesign, Value, minValue, maxValue, type HwType } from '../hdl/index.ts';
import { dspTile, type DspTileConfig } from '../hdl/dsp.ts';
import { writeModuleFiles } from '../hdl/artifacts.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { lintVerilog } from '../sim/verilator.ts';
import { iverilogLint } from '../sim/icarus.ts';
import { yosysCheck, synthXilinx } from '../sim/yosys.ts';
import { differential } from './harness.ts';
import { makeRng, type Rng } from './rng.ts';

const configs: DspTileConfig[] = [
  { a: s27(), b: s18(), pWidth: 45 },
  { a: { width: 26, signed: false }, b: { width: 17, signed: false }, pWidth: 44 },
  { a: { width: 26, signed: true }, b: s18(), preAdd: { d: { width: 26, signed: true }, op: 'add' }, pWidth: 45 },
  { a: { width: 26, signed: false }, b: { width: 17, signed: true }, post: { kind: 'c', c: { width: 40, signed: true } }, pWidth: 46 },
  { a: s27(), b: s18(), post: { kind: 'accumulate' }, pWidth: 48 },
  { a: { width: 26, signed: false }, b: s18(), post: { kind: 'dynamic', c: { width: 44, signed: true }, late: true }, pWidth: 48 },
];

function s27(): HwType {
  return { width: 27, signed: true };
}
function s18(): HwType {
  return { width: 18, signed: true };
}

function operand(t: HwType, rng: Rng, i: number): bigint {
  const corners = [minValue(t), maxValue(t), 0n];
  if (i % 7 < corners.length) return corners[i % 7]!;
  const span = maxValue(t) - minValue(t) + 1n;
  return minValue(t) + ((BigInt(rng.int(0, 0x3fffffff)) * 0x40000000n + BigInt(rng.int(0, 0x3fffffff))) % span);
}

describe('DSP tiles as Verilog', () => {
  for (const cfg of configs) {
    const m = dspTile(cfg);
    it(`${m.name}: lint-clean, and equal to the TypeScript simulation on Verilator and Icarus`, async () => {
      const design = emitDesign(m);
      await withTempDir('dsp-lint-', async (dir) => {
        const files = await writeModuleFiles(design, dir);
        expect((await lintVerilog(files, m.name)).output).toBe('');
        expect((await iverilogLint(files, m.name)).output).toBe('');
        expect((await yosysCheck(files, m.name)).warnings).toEqual([]);
      });
      const seed = 4242 + cfg.pWidth;
      const rng = makeRng(seed);
      const inputs = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk');
      const rows: bigint[][] = [];
      for (let i = 0; i < 300; i++) {
        // The first vector starts the accumulation (load = 1, zsel = 0): p has no reset.
        rows.push(inputs.map((p, k) => (p.name === 'load' ? BigInt(i === 0 ? 1 : rng.int(0, 1)) : p.name === 'zsel' ? BigInt(i === 0 ? 0 : rng.int(0, 3)) : BigInt.asUintN(p.width, Value.wrap(operand(p, rng, i + k), p).toBigInt()))));
      }
      // p has no reset: outputs are compared once the first inputs have reached it.
      await differential(m, rows, { label: m.name, seed, clock: 'clk', simulators: ['verilator', 'icarus'], ignoreBefore: m.primitive!.latency });
    }, 120_000);
  }

  it('each configuration maps to exactly one DSP48E2 (Yosys synth_xilinx -family xcup)', async () => {
    for (const cfg of configs) {
      const m = dspTile(cfg);
      await withTempDir('dsp-synth-', async (dir) => {
        const files = await writeModuleFiles(emitDesign(m), dir);
        const r = await synthXilinx(files, m.name);
        expect(r.total.dsp, `${m.name}: DSP48E2 count (${JSON.stringify(r.total.cells)})`).toBe(1);
        expect(r.total.latches).toBe(0);
      });
    }
  }, 300_000);
});
