/**
 * The design-space map of `make bench`: lanes H x PEs per lane P x weight width, each point's
 * decode speed (LLaMA2-7B, the decode model of generators/swiftkv/decode.ts), its DSP and LUT
 * share of an Alveo U55C, its estimated clock and accuracy, and the Pareto front.
 *
 * Resources come from Yosys runs of the SwiftKV-MHA top at H = 1 and H = 2 for each P (cached,
 * flow/bench-synth.ts); a design with H lanes is the H = 1 design plus H - 1 times the
 * difference (each lane is the same module, the top's own logic grows about linearly with H),
 * so points with H > 2 are marked `linear-in-H`. The clock is the H = 2 design's estimate.
 */
import { decodeEstimate, MODELS } from '../generators/swiftkv/decode.ts';
import type { LaneTiming } from '../generators/swiftkv/lane.ts';
import { U55C } from './figures.ts';
import { paretoFront, type Objective } from './bench-pareto.ts';
import type { SpacePoint } from './bench-json.ts';
import type { DesignResources } from './bench-synth.ts';

export interface PerP {
  P: number;
  tilesPerLane: number;
  timing: LaneTiming;
  /** Yosys results of the MHA top at H = 1 and H = 2. */
  h1: DesignResources;
  h2: DesignResources;
}

export interface SpaceInput {
  Hs: readonly number[];
  perP: readonly PerP[];
  weights: readonly (4 | 8)[];
  /** Context length of the decode step and the model. */
  L: number;
  model: string;
  group: number;
  bandwidthGBs: number;
  kvBytes: number;
  attentionError: number;
  gemvError: Record<4 | 8, number>;
  /** GEMV bus limit: H * tiles per lane. */
  maxTiles: number;
}

/** Resources of H lanes from the runs at H = 1 and 2: r1 + (H - 1)(r2 - r1), never below 0. */
export function linearInH(r1: number, r2: number, H: number): number {
  if (!Number.isInteger(H) || H < 1) throw new RangeError(`H = ${H}: accepted integers >= 1`);
  return Math.max(0, Math.round(r1 + (H - 1) * (r2 - r1)));
}

export const SPACE_OBJECTIVES: readonly Objective<SpacePoint>[] = [
  { name: 'tokens/s', value: (p) => p.tokensPerSecond, maximize: true },
  { name: 'DSP share', value: (p) => p.dspShare, maximize: false },
  { name: 'LUT share', value: (p) => p.lutShare, maximize: false },
  { name: 'GEMV error', value: (p) => p.gemvError, maximize: false },
];

/** Marks the Pareto front among the points that fit the U55C. */
export function markPareto(points: readonly SpacePoint[]): SpacePoint[] {
  const fitting = points.map((p, i) => ({ p, i })).filter((x) => x.p.fits);
  const front = new Set(paretoFront(fitting.map((x) => x.p), SPACE_OBJECTIVES).map((k) => fitting[k]!.i));
  return points.map((p, i) => ({ ...p, pareto: front.has(i) }));
}

export function designSpace(s: SpaceInput): SpacePoint[] {
  const model = MODELS.find((m) => m.name === s.model);
  if (!model) throw new RangeError(`model '${s.model}': accepted ${MODELS.map((m) => m.name).join(', ')}`);
  const points: SpacePoint[] = [];
  for (const pp of s.perP) {
    const clock = pp.h2.estimatedMHz;
    if (clock === null) throw new Error(`design space: no clock estimate for P = ${pp.P}`);
    for (const H of s.Hs) {
      const dsp = H <= 2 ? (H === 1 ? pp.h1.dsp : pp.h2.dsp) : linearInH(pp.h1.dsp, pp.h2.dsp, H);
      const lut = H <= 2 ? (H === 1 ? pp.h1.lut : pp.h2.lut) : linearInH(pp.h1.lut, pp.h2.lut, H);
      const ff = H <= 2 ? (H === 1 ? pp.h1.ff : pp.h2.ff) : linearInH(pp.h1.ff, pp.h2.ff, H);
      const fits = dsp <= U55C.dsp && lut <= U55C.lut && ff <= U55C.ff && H * pp.tilesPerLane <= s.maxTiles;
      for (const weights of s.weights) {
        const d = decodeEstimate(model, weights, s.L, { H, T: pp.tilesPerLane, timing: pp.timing, G: s.group, clockMHz: clock, bandwidthGBs: s.bandwidthGBs, kvBytes: s.kvBytes, dsp });
        points.push({
          H, P: pp.P, weights,
          tokensPerSecond: d.tokensPerSecond,
          dsp, lut,
          dspShare: dsp / U55C.dsp,
          lutShare: lut / U55C.lut,
          estimatedMHz: clock,
          resourceSource: H <= 2 ? 'yosys' : 'linear-in-H',
          attentionError: s.attentionError,
          gemvError: s.gemvError[weights],
          fits,
          pareto: false,
        });
      }
    }
  }
  return markPareto(points);
}
