/** report.json: the schema, and the report of a small design with and without synthesis. */
import { describe, expect, it } from 'vitest';
import { emitDesign, Q } from '../hdl/index.ts';
import { buildMha } from '../generators/swiftkv/mha.ts';
import { mhaAttentionCycles, gemvCycles } from '../generators/swiftkv/mha.ts';
import { ReportJson, reportJsonText } from './report-json.ts';
import { designReport, type ReportInput } from './report.ts';
import { estimateClock } from './timing.ts';

/** The design of `npm run gen -- --heads 1 --pe 4 --head-dim 16 --max-context 64` (scripts/gen.test.ts). */
function smallMha(synth: boolean): ReportInput {
  const lane = { headDim: 16, pe: 4, maxContext: 64, rescale: 'multiply' as const, dataFormat: Q(15, 17), scoreFormat: Q(15, 17) };
  const built = buildMha({ lane, heads: 1, maxHeads: 32, gemv: { group: 32, maxCols: 4096 }, name: 'swiftkv_mha' });
  return {
    design: emitDesign(built.module),
    params: { heads: 1, pe: 4, 'head-dim': 16 },
    shape: { lane: built.lane, timing: built.timing, heads: 1, tilesPerLane: built.tiles, maxHeads: 32, gemv: { group: 32, maxCols: 4096 } },
    formats: [],
    synth,
    generationMs: 1,
  };
}

describe('report.json', () => {
  it('rejects a report that breaks the schema, naming every bad field', () => {
    const good = JSON.parse(reportJsonText({
      schema: 'swiftkv-report/2', top: 't', params: {}, resources: null, dspRegistered: 0, dspTotal: null, timing: null,
      cycles: { perToken: 1, headLatency: '3 + L*1 + 4', attentionJob: 'x', attention: [] }, accuracy: null, modules: [],
      gemv: { peakMacsPerCycle: 2, layer: { M: 2, N: 8, cycles: 9, macsPerCycle: 1.7, macsPerDsp: 1.7 }, macsPerCycle: { int8: 1, int4: 1 }, macsPerDsp: { int8: 1, int4: 1 }, dspCount: 1, dspCountSource: 'tiles', weightBitsPerCycle: 16, weightGBsAtClock: 1 },
      decode: [], u55c: null,
    }));
    expect(ReportJson.parse(good)).toEqual(good);
    const bad = { ...good, resources: { dsp: -1, lut: 1, ff: 1, bram36: 0.25, uram: 0, latches: 0, lutram: 0 }, cycles: { perToken: 1, headLatency: '' } };
    expect(() => reportJsonText(bad)).toThrow(/resources\.dsp: .*\n.*resources\.bram36: .*\n.*cycles\.headLatency: .*\n.*cycles\.attentionJob: /);
  });

  it('without synthesis: cycles and GEMV figures from the formulas, no resources or timing, the 300 MHz template clock', async () => {
    const input = smallMha(false);
    const r = await designReport(input);
    const j = ReportJson.parse(JSON.parse(r.json));
    expect(j.top).toBe('swiftkv_mha');
    expect(j.resources).toBeNull();
    expect(j.timing).toBeNull();
    // Every DSP of the design is a registered tile.
    expect(j.dspRegistered).toBe(input.shape.tilesPerLane);
    expect(j.cycles.perToken).toBe(input.shape.timing.interval);
    const cycles = mhaAttentionCycles(input.shape.timing, 1, 32, 64);
    expect(j.cycles.attention).toEqual([{ nHeads: 32, L: 64, cycles, bound: 32 * 64 * 4, ratio: cycles / (32 * 64 * 4) }]);
    expect(j.gemv.peakMacsPerCycle).toBe(2 * input.shape.tilesPerLane);
    expect(j.gemv.macsPerDsp).toEqual({ int8: 2, int4: 2 });
    expect(j.gemv.dspCountSource).toBe('tiles');
    expect(j.gemv.weightBitsPerCycle).toBe(16 * input.shape.tilesPerLane);
    expect(j.gemv.layer.cycles).toBe(gemvCycles({ M: 4096, N: 4096, G: 32, T: input.shape.tilesPerLane, H: 1 }));
    expect(j.decode).toEqual([]); // d = 16: no model of that head dimension
    expect(j.u55c).toBeNull();
    expect(j.modules.map((m) => m.name)).toEqual(input.design.modules.map((m) => m.name));
    expect(r.xdc).toContain('create_clock -period 3.333 -name clk');
  });

  it('with synthesis: resources, the design timing and the XDC period agree with each other', async () => {
    const lines: string[] = [];
    const r = await designReport({ ...smallMha(true), onProgress: (l) => lines.push(l) });
    const j = ReportJson.parse(JSON.parse(r.json));
    expect(j.resources!.latches).toBe(0);
    expect(j.dspTotal).toBe(j.resources!.dsp);
    expect(j.dspTotal).toBeGreaterThan(0);
    expect(j.dspRegistered).toBe(j.dspTotal);
    expect(j.gemv.dspCountSource).toBe('yosys');
    expect(j.u55c!.find((f) => f.resource === 'dsp')!.used).toBe(j.dspTotal);
    const t = j.timing!;
    // The design's worst path is the worst of every module's (found in the module it lies in).
    const regToReg = j.modules.filter((m) => m.timing?.kind === 'reg-to-reg');
    expect(t.worstLogicNs).toBe(Math.max(...regToReg.map((m) => m.timing!.worstLogicNs!)));
    expect(regToReg.find((m) => m.name === t.worstPath.module)?.timing?.worstLogicNs).toBe(t.worstLogicNs);
    expect(t.estimatedMHz).toBeCloseTo(estimateClock(t.worstLogicNs).estimatedMHz, 0);
    expect(t.routingAllowance.ns).toBeCloseTo(0.2 * t.worstLogicNs, 2);
    expect(r.xdc).toContain(`create_clock -period ${t.clockPeriodNs.toFixed(3)} -name clk`);
    expect(t.clockPeriodNs).toBeCloseTo(1000 / t.estimatedMHz, 1);
    expect(t.unmodelledCells).toEqual([]);
    // Every module has its timing; the top's is the design's.
    expect(j.modules.every((m) => m.timing !== null)).toBe(true);
    expect(j.modules.at(-1)!.timing!.worstLogicNs).toBe(t.worstLogicNs);
    expect(r.markdown).toContain('not a timing sign-off');
    expect(lines.filter((l) => l.startsWith('yosys synth [')).length).toBe(j.modules.length);
  }, 900_000);
});
