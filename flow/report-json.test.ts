/** report.json: the schema, and the report of a small design with and without synthesis. */
import { describe, expect, it } from 'vitest';
import { emitDesign, Q } from '../hdl/index.ts';
import { buildMha } from '../generators/swiftkv/mha.ts';
import { laneCycles } from '../generators/swiftkv/lane.ts';
import { ReportJson, reportJsonText } from './report-json.ts';
import { designReport, type ReportInput } from './report.ts';
import { estimateClock } from './timing.ts';

/** The design of `npm run gen -- --heads 1 --pe 4 --head-dim 16 --max-context 64` (scripts/gen.test.ts). */
function smallMha(synth: boolean): ReportInput {
  const lane = {
    headDim: 16,
    pe: 4,
    maxContext: 64,
    rescale: 'multiply' as const,
    dataFormat: Q(15, 17),
    scoreFormat: Q(15, 17),
    exp2: { indexBits: 5, interpBits: 12, tableFracBits: 30 },
  };
  const built = buildMha({ lane, heads: 1, maxHeads: 32, gemv: { group: 32, maxCols: 4096 }, name: 'swiftkv_mha' });
  const lc = laneCycles(built.lane, 1);
  return {
    design: emitDesign(built.module),
    params: { heads: 1, pe: 4, 'head-dim': 16 },
    lane: built.lane,
    heads: 1,
    formats: [],
    cycles: { ...lc, attentionJob: `ceil(nHeads/1) rounds of ${lc.fill} + L*${lc.perToken} + ${lc.drain}` },
    synth,
    gemvWeightBits: 8,
    gemv: { group: 32, maxCols: 4096 },
    generationMs: 1,
  };
}

describe('report.json', () => {
  it('rejects a report that breaks the schema, naming every bad field', () => {
    const good = JSON.parse(reportJsonText({
      schema: 'swiftkv-report/1', top: 't', params: {}, resources: null, dspRegistered: 0, dspTotal: null, timing: null,
      cycles: { perToken: 1, headLatency: '3 + L*1 + 4', attentionJob: 'x' }, accuracy: null, modules: [],
    }));
    expect(ReportJson.parse(good)).toEqual(good);
    const bad = { ...good, resources: { dsp: -1, lut: 1, ff: 1, bram36: 0.25, uram: 0, latches: 0, lutram: 0 }, cycles: { perToken: 1, headLatency: '' } };
    expect(() => reportJsonText(bad)).toThrow(/resources\.dsp: .*\n.*resources\.bram36: .*\n.*cycles\.headLatency: .*\n.*cycles\.attentionJob: /);
  });

  it('without synthesis: cycles from the caller, no resources or timing, the 300 MHz template clock', async () => {
    const input = smallMha(false);
    const r = await designReport(input);
    const j = ReportJson.parse(JSON.parse(r.json));
    expect(j.top).toBe('swiftkv_mha');
    expect(j.resources).toBeNull();
    expect(j.timing).toBeNull();
    expect(j.dspRegistered).toBe(0);
    expect(j.cycles).toEqual({ perToken: input.cycles.perToken, headLatency: `${input.cycles.fill} + L*${input.cycles.perToken} + ${input.cycles.drain}`, attentionJob: input.cycles.attentionJob });
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
