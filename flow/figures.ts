/**
 * The figures report.md and report.json state about a configuration that come from the
 * generators' verified cycle formulas rather than from synthesis: attention cycles against the
 * multiplier bound, GEMV MACs per cycle and weight bits per cycle, the decode model, and the
 * share of an Alveo U55C the design takes.
 */
import { laneCycles, laneDrain, type LaneTiming } from '../generators/swiftkv/lane.ts';
import { mhaAttentionCycles, gemvCycles, laneHeadCount } from '../generators/swiftkv/mha.ts';
import { decodeEstimate, MODELS, type DecodeResult } from '../generators/swiftkv/decode.ts';
import type { LaneConfig } from '../generators/swiftkv/config.ts';
import type { Resources } from '../sim/yosys.ts';

export interface DesignShape {
  lane: LaneConfig;
  timing: LaneTiming;
  /** Lanes H and DSP tiles per lane T. */
  heads: number;
  tilesPerLane: number;
  maxHeads: number;
  gemv: { group: number; maxCols: number };
}

export interface AttentionFigure {
  nHeads: number;
  L: number;
  cycles: number;
  /** rounds * L * B: every lane multiplies one kv beat per cycle. */
  bound: number;
  ratio: number;
}

/** Attention jobs of nHeads = maxHeads (at most 32) at L = 128, 512, 2048 (those up to maxContext; else maxContext). */
export function attentionFigures(d: DesignShape): AttentionFigure[] {
  const nHeads = Math.min(32, d.maxHeads);
  const rounds = laneHeadCount(nHeads, d.heads, 0);
  const maxL = d.lane.formats.params.maxContext;
  const fit = [128, 512, 2048].filter((L) => L <= maxL);
  const Ls = fit.length > 0 ? fit : [maxL];
  return Ls.map((L) => {
    const cycles = mhaAttentionCycles(d.timing, d.heads, nHeads, L);
    const bound = rounds * L * d.lane.B;
    return { nHeads, L, cycles, bound, ratio: cycles / bound };
  });
}

/** The lane's job formula in words, with this configuration's numbers. */
export function attentionFormulaText(d: DesignShape): { headLatency: string; attentionJob: string } {
  const t = d.timing;
  const fill = t.B + 2 + t.dotLatency + t.maxExpLatency;
  const drain = laneDrain(t);
  const single = laneCycles(t, 1, 1);
  return {
    headLatency: `one head of L tokens: ${fill} + (L - 1)*${t.interval} + ${drain} cycles for L*${t.interval} >= the head turnaround (L = 1: ${single}); laneCycles() in generators/swiftkv/lane.ts gives every case exactly`,
    attentionJob: `nHeads heads on ${d.heads} lanes: lane 0 takes n0 = ceil(nHeads/${d.heads}) heads back to back, ${fill} + (n0*L - 1)*${t.interval} + ${drain} + 1 cycles from start to done in steady state (mhaAttentionCycles() in generators/swiftkv/mha.ts, exact, checked by the regression)`,
  };
}

export interface GemvFigures {
  /** MACs per cycle at peak (every tile, every cycle) and on a reference layer. */
  peakMacsPerCycle: number;
  layer: { M: number; N: number; cycles: number; macsPerCycle: number };
  /** Weight bits the w stream delivers per cycle (INT8: one column; INT4: two columns every two cycles). */
  weightBitsPerCycle: number;
}

/** GEMV on every tile: 2 rows per tile, one column per cycle (INT8 and INT4 alike). */
export function gemvFigures(d: DesignShape): GemvFigures {
  const tiles = d.heads * d.tilesPerLane;
  const N = Math.min(4096, d.gemv.maxCols - (d.gemv.maxCols % d.gemv.group));
  const M = 4096;
  const cycles = gemvCycles({ M, N, G: d.gemv.group, T: d.tilesPerLane, H: d.heads });
  return { peakMacsPerCycle: 2 * tiles, layer: { M, N, cycles, macsPerCycle: (M * N) / cycles }, weightBitsPerCycle: 16 * tiles };
}

/** Decode estimates at a clock: both models, INT4 and INT8, L = 512, 2048, 4096. */
export function decodeFigures(d: DesignShape, clockMHz: number, dsp: number, bandwidthGBs = 460): DecodeResult[] {
  const kvBytes = Math.ceil(d.lane.W / 8);
  const out: DecodeResult[] = [];
  for (const model of MODELS) {
    if (model.headDim !== d.lane.d) continue;
    for (const weights of [4, 8] as const) {
      for (const L of [512, 2048, 4096]) {
        if (L > d.lane.formats.params.maxContext) continue;
        out.push(decodeEstimate(model, weights, L, { H: d.heads, T: d.tilesPerLane, timing: d.timing, G: d.gemv.group, clockMHz, bandwidthGBs, kvBytes, dsp }));
      }
    }
  }
  return out;
}

/** Alveo U55C (xcu55c-fsvh2892-2L-e) resources, from AMD's Alveo U55C data sheet (DS978). */
export const U55C = { dsp: 9024, lut: 1_303_680, ff: 2_607_360, bram36: 2016, uram: 960 } as const;

export interface FitFigure {
  resource: keyof typeof U55C;
  used: number;
  available: number;
  share: number;
}

export function u55cFit(r: Pick<Resources, 'dsp' | 'lut' | 'ff' | 'bram' | 'uram'>): FitFigure[] {
  const used = { dsp: r.dsp, lut: r.lut, ff: r.ff, bram36: r.bram, uram: r.uram };
  return (Object.keys(U55C) as (keyof typeof U55C)[]).map((k) => ({ resource: k, used: used[k], available: U55C[k], share: used[k] / U55C[k] }));
}

/** The resources over 100% of the U55C, as one message, or undefined. */
export function overfitProblem(fit: readonly FitFigure[]): string | undefined {
  const over = fit.filter((f) => f.share > 1);
  if (over.length === 0) return undefined;
  return `the design does not fit an Alveo U55C: ${over.map((f) => `${f.resource} ${f.used} of ${f.available} (${(100 * f.share).toFixed(1)}%)`).join(', ')}`;
}
