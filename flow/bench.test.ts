/**
 * The pure parts of `make bench` (no simulator, no Yosys): the bounds, the Pareto front, the
 * SVG writer, the bench.json schema, the report writer, the design-space helpers, FP16
 * attention and the GEMV quantisation error.
 */
import { describe, it, expect } from 'vitest';
import { computeBoundCycles, kvStreamBoundCycles } from './bench-bounds.ts';
import { paretoFront, dominates, type Objective } from './bench-pareto.ts';
import { lineChart, barChart, scatterChart, escapeXml, niceTicks, logTicks, formatTick } from './bench-svg.ts';
import { BenchJson, benchJsonText, type BenchJsonT, type SpacePoint } from './bench-json.ts';
import { benchReport } from './bench-report.ts';
import { linearInH, markPareto } from './bench-space.ts';
import { fp16Attention } from './bench-fp16.ts';
import { gemvQuantError, quantizeSymmetric } from './bench-gemv-error.ts';
import { referenceAttention, relativeError } from '../verify/reference.ts';
import { makeRng } from '../verify/rng.ts';

describe('bounds', () => {
  it('compute bound: 2*L*d MACs over 2P multipliers per round of heads', () => {
    expect(computeBoundCycles({ L: 4096, d: 128, P: 16, heads: 1, lanes: 1 })).toBe(4096 * 8);
    // 32 heads on 8 lanes: 4 rounds.
    expect(computeBoundCycles({ L: 128, d: 128, P: 16, heads: 32, lanes: 8 })).toBe(4 * 128 * 8);
    // 32 heads on 5 lanes: 7 rounds (ceil).
    expect(computeBoundCycles({ L: 128, d: 128, P: 16, heads: 32, lanes: 5 })).toBe(7 * 128 * 8);
  });

  it('KV-stream bound: 2*L*d*heads*bytes at the bandwidth, in clock cycles', () => {
    // 2*1000*100*1*4 = 800,000 bytes at 400 GB/s = 2 us = 200 cycles at 100 MHz.
    expect(kvStreamBoundCycles({ L: 1000, d: 100, heads: 1, bytesPerElement: 4, clockMHz: 100, bandwidthGBs: 400 })).toBeCloseTo(200, 9);
    expect(kvStreamBoundCycles({ L: 1000, d: 100, heads: 32, bytesPerElement: 4, clockMHz: 100, bandwidthGBs: 400 })).toBeCloseTo(6400, 9);
  });

  it('refuses a non-positive input, naming it', () => {
    expect(() => computeBoundCycles({ L: 0, d: 128, P: 16, heads: 1, lanes: 1 })).toThrow(/L = 0: accepted positive numbers/);
    expect(() => kvStreamBoundCycles({ L: 1, d: 1, heads: 1, bytesPerElement: 4, clockMHz: 100, bandwidthGBs: -1 })).toThrow(/bandwidthGBs = -1/);
  });
});

describe('Pareto front', () => {
  type P = { speed: number; cost: number };
  const obj: Objective<P>[] = [
    { name: 'speed', value: (p) => p.speed, maximize: true },
    { name: 'cost', value: (p) => p.cost, maximize: false },
  ];
  it('keeps the points nothing beats in every objective', () => {
    const pts: P[] = [
      { speed: 1, cost: 1 }, // front: cheapest
      { speed: 2, cost: 2 }, // front
      { speed: 2, cost: 3 }, // dominated by (2, 2)
      { speed: 3, cost: 5 }, // front: fastest
      { speed: 1, cost: 4 }, // dominated
    ];
    expect(paretoFront(pts, obj)).toEqual([0, 1, 3]);
  });
  it('equal points do not dominate each other (both stay)', () => {
    const pts: P[] = [{ speed: 2, cost: 2 }, { speed: 2, cost: 2 }];
    expect(dominates(pts[0]!, pts[1]!, obj)).toBe(false);
    expect(paretoFront(pts, obj)).toEqual([0, 1]);
  });
  it('refuses NaN objectives and an empty objective list', () => {
    expect(() => paretoFront([{ speed: NaN, cost: 1 }], obj)).toThrow(/point 0: objective 'speed' is NaN/);
    expect(() => paretoFront([{ speed: 1, cost: 1 }], [])).toThrow(/at least one objective/);
  });
  it('design space: points that do not fit the U55C are never on the front', () => {
    const base: SpacePoint = { H: 1, P: 16, weights: 8, tokensPerSecond: 10, dsp: 100, lut: 1000, dspShare: 0.01, lutShare: 0.01, estimatedMHz: 200, resourceSource: 'yosys', attentionError: 1e-4, gemvError: 1e-2, fits: true, pareto: false };
    const big: SpacePoint = { ...base, H: 64, tokensPerSecond: 1000, dsp: 20000, dspShare: 2.2, fits: false };
    const marked = markPareto([base, big]);
    expect(marked.map((p) => p.pareto)).toEqual([true, false]);
  });
  it('linearInH: H = 1 and 2 reproduce the runs, others extend the difference', () => {
    expect([1, 2, 4, 8].map((H) => linearInH(100, 150, H))).toEqual([100, 150, 250, 450]);
    expect(() => linearInH(1, 2, 0)).toThrow(/H = 0/);
  });
});

describe('SVG writer', () => {
  const series = [{ name: 'a<b & "c"', points: [[128, 1000], [512, 4000], [4096, 32000]] as [number, number][] }, { name: 'bound', dashed: true, points: [[128, 500], [4096, 16000]] as [number, number][] }];
  it('a line chart: one polyline and a legend entry per series, text escaped', () => {
    const svg = lineChart({ title: 'cycles', x: { label: 'L', log: true, ticks: [128, 512, 4096] }, y: { label: 'cycles', log: true }, series });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)?.length).toBe(2);
    expect(svg).toContain('a&lt;b &amp; &quot;c&quot;');
    expect(svg).not.toContain('a<b');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });
  it('larger values are drawn higher (smaller y) on linear and log axes', () => {
    for (const log of [false, true]) {
      const svg = lineChart({ title: 't', x: { label: 'x' }, y: { label: 'y', log }, series: [{ name: 's', points: [[1, 10], [2, 1000]] }] });
      const pts = /<polyline[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ').map((p) => p.split(',').map(Number));
      expect(pts[1]![0]!).toBeGreaterThan(pts[0]![0]!);
      expect(pts[1]![1]!).toBeLessThan(pts[0]![1]!);
    }
  });
  it('refuses values a log axis cannot show, naming the axis and the value', () => {
    expect(() => lineChart({ title: 't', x: { label: 'L' }, y: { label: 'error', log: true }, series: [{ name: 's', points: [[1, 0]] }] })).toThrow(/y axis 'error': value 0 cannot be plotted on a log axis/);
    expect(() => lineChart({ title: 't', x: { label: 'L' }, y: { label: 'e' }, series: [{ name: 's', points: [[1, NaN]] }] })).toThrow(/value NaN cannot be plotted/);
  });
  it('bar and scatter charts: one rect per bar, filled highlighted points', () => {
    const bars = barChart({ title: 'res', y: { label: 'n' }, categories: ['x', 'y'], series: [{ name: 'DSP', values: [1, 2] }, { name: 'LUT', values: [3, 4] }] });
    expect(bars.match(/<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="#/g)?.length).toBe(4);
    expect(() => barChart({ title: 'res', y: { label: 'n' }, categories: ['x'], series: [{ name: 'DSP', values: [1, 2] }] })).toThrow(/series 'DSP' has 2 values for 1 categories/);
    const sc = scatterChart({ title: 's', x: { label: 'x' }, y: { label: 'y' }, points: [{ x: 1, y: 1, highlight: true, label: 'front' }, { x: 2, y: 0.5, highlight: false }], legend: ['front', 'other'] });
    expect(sc).toContain('fill="white"');
    expect(sc).toContain('>front</text>');
  });
  it('ticks: 1-2-5 steps, decades, compact labels', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(logTicks(1e-5, 1e-2)).toEqual([1e-5, 1e-4, 1e-3, 1e-2]);
    expect(logTicks(10, 300)).toEqual([10, 20, 50, 100, 200]);
    expect(formatTick(4096)).toBe('4096');
    expect(formatTick(1e-5)).toBe('1e-5');
    expect(escapeXml('<&>"')).toBe('&lt;&amp;&gt;&quot;');
  });
});

/** A small but complete bench.json. */
export function sampleBench(): BenchJsonT {
  const cyc = (variant: string, L: number, cycles: number, heads = 1, lanes = 1) => ({
    variant, P: 16, L, heads, lanes, cycles, source: 'rtl' as const, computeBound: L * 8 * Math.ceil(heads / lanes), kvStreamBound: L, vsCompute: cycles / (L * 8 * Math.ceil(heads / lanes)), vsKvStream: cycles / L, vsSwiftkv: 1,
  });
  return {
    schema: 1, quick: true, startedAt: '2026-11-30T00:00:00Z', seconds: { total: 10, phases: { cycles: 5 } }, machine: { cores: 2, loadAverage: [1, 1, 1] },
    config: { d: 128, Ps: [16], Ls: [128, 512], extendedLs: [], blocks: [32], maxContext: 16384, nHeads: 32, lanes: [1, 8], bandwidthGBs: 460, clockMHz: 200, clockSource: 'test', bytesPerElement: 4 },
    variants: [{ kind: 'swiftkv', name: 'SwiftKV' }, { kind: 'native', name: 'native' }, { kind: 'blockwise', block: 32, name: 'blockwise b=32' }],
    cycles: [
      cyc('SwiftKV', 128, 1100), cyc('native', 128, 2200), cyc('blockwise b=32', 128, 1500),
      cyc('SwiftKV', 512, 4200), cyc('native', 512, 8400), cyc('blockwise b=32', 512, 4600),
      cyc('SwiftKV', 128, 33000, 32, 1), cyc('SwiftKV', 128, 4200, 32, 8), cyc('native', 128, 66000, 32, 1), cyc('native', 128, 8400, 32, 8),
    ],
    formulasMatch: true,
    resources: [{ variant: 'SwiftKV', maxContext: 4096, top: 'lane', dsp: 134, lut: 20000, ff: 40000, bram36: 0, uram: 0, lutram: 300, estimatedMHz: 240 }],
    accuracy: [{ variant: 'SwiftKV', data: 'normal', L: 128, error: 3e-5 }, { variant: 'FP16', data: 'normal', L: 128, error: 1e-3 }, { variant: 'SwiftKV', data: 'outliers', L: 128, error: 0 }],
    decode: [{ model: 'LLaMA2-7B', weights: 4, L: 512, tokensPerSecond: 50, attentionMs: 1, gemvMs: 19, weightStreamingBound: 100, dspComputeBound: 200 }],
    space: [{ H: 1, P: 16, weights: 4, tokensPerSecond: 5, dsp: 134, lut: 70000, dspShare: 0.015, lutShare: 0.05, estimatedMHz: 239, resourceSource: 'yosys', attentionError: 1e-4, gemvError: 0.05, fits: true, pareto: true }],
    toolSpeed: { genSeconds: 2.5, verilatorBuildSeconds: 60, verilatorBuildCached: false, verilatorCyclesPerSecond: 30000 },
    paper: { swiftkvVsNative: 7.16, mhaSpeedup: 13.48, ours: { swiftkvVsNative: 2, mhaSpeedup: 7.9, mhaLanes: 8, P: 16, L: 512 } },
  };
}

describe('bench.json schema and report', () => {
  it('accepts a complete bench and round-trips it', () => {
    const text = benchJsonText(sampleBench());
    expect(BenchJson.parse(JSON.parse(text))).toEqual(sampleBench());
  });
  it('refuses a figure that is not a finite number, naming the field', () => {
    const b = sampleBench();
    b.cycles[0]!.vsCompute = Infinity;
    expect(() => benchJsonText(b)).toThrow(/bench\.json: cycles\.0\.vsCompute/);
    const c = sampleBench() as unknown as { decode: { weights: number }[] };
    c.decode[0]!.weights = 6;
    expect(() => benchJsonText(c)).toThrow(/bench\.json: decode\.0\.weights/);
  });
  it('the report has every section, a chart per figure the issue asks for, and plots an error of 0', () => {
    const r = benchReport(sampleBench());
    for (const h of ['## Attention latency, one head', '## SwiftKV against native', '## Multi-head', '## Resources', '## Accuracy', '## Decode model', '## Design space', '## Tool speed']) expect(r.markdown).toContain(h);
    expect(Object.keys(r.svgs).sort()).toEqual(['accuracy-normal.svg', 'accuracy-outliers.svg', 'cycles-p16.svg', 'design-space.svg', 'resources-logic.svg', 'resources.svg']);
    for (const name of Object.keys(r.svgs)) expect(r.markdown).toContain(`(${name})`);
    expect(r.markdown).toContain('| 128 | 1,100 | 2,200 | 1,500 |');
    expect(r.markdown).not.toMatch(/NaN/);
  });
});

describe('FP16 attention and GEMV quantisation', () => {
  const rng = makeRng(3);
  const g = (): number => rng.next() * 2 - 1;
  const d = 64;
  const q = Array.from({ length: d }, g);
  const k = Array.from({ length: 300 }, () => Array.from({ length: d }, g));
  const v = Array.from({ length: 300 }, () => Array.from({ length: d }, g));
  it('FP16 attention is close to float64 but not equal; FP32 sums are closer', () => {
    const ref = referenceAttention(q, k, v);
    const e16 = relativeError(fp16Attention(q, k, v, 'fp16'), ref);
    const e32 = relativeError(fp16Attention(q, k, v, 'fp16-fp32'), ref);
    expect(e16).toBeGreaterThan(1e-5);
    expect(e16).toBeLessThan(5e-2);
    expect(e32).toBeLessThan(e16);
    expect(e32).toBeGreaterThan(0);
  });
  it('every FP16 output is a binary16 value', () => {
    const o = fp16Attention(q, k, v, 'fp16');
    const f16 = new Float32Array(1);
    for (const x of o) {
      f16[0] = x;
      // binary16 keeps 11 significant bits: the low 13 bits of the float32 mantissa are zero.
      expect(new Uint32Array(f16.buffer)[0]! & 0x1fff, `o = ${x}`).toBe(0);
    }
  });
  it('INT4 weights lose more than INT8; quantisation clamps to the signed range', () => {
    const e4 = gemvQuantError(4, { M: 16, N: 256, G: 32, seed: 1 });
    const e8 = gemvQuantError(8, { M: 16, N: 256, G: 32, seed: 1 });
    expect(e8).toBeGreaterThan(0);
    expect(e4).toBeGreaterThan(4 * e8);
    expect(quantizeSymmetric([1, -1, 0.5], 4)).toEqual({ q: [7, -7, 4], scale: 1 / 7 });
    expect(() => gemvQuantError(8, { M: 1, N: 100, G: 32, seed: 1 })).toThrow(/N = 100 is not a multiple of the group G = 32/);
  });
});
