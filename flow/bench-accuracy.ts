/**
 * Accuracy of every variant against float64 attention (max |o - o_ref| / max |o_ref|), on
 * normal data and on data with outlier channels (3 channels x3 in q and k, x40 in v: the data of
 * the lane's accuracy table, verify/swiftkv/accuracy.ts), for the bit-exact golden models (the
 * RTL's outputs: the regressions check them equal) and for plain FP16 attention.
 */
import { makeJob, type DataKind } from '../verify/swiftkv/stimulus.ts';
import { referenceAttentionRaw, relativeError, dequantize, Q15_17 } from '../verify/reference.ts';
import { makeRng } from '../verify/rng.ts';
import type { LaneJob } from '../verify/swiftkv/lane.driver.ts';
import type { GoldenResult } from '../generators/swiftkv/golden.ts';
import { fp16Attention, type Fp16Mode } from './bench-fp16.ts';
import { goldenOfVariant, variantLabel, type BenchVariant } from './bench-variants.ts';
import type { AccuracyPoint } from './bench-json.ts';

export const FP16_LABELS: Record<Fp16Mode, string> = { fp16: 'FP16', 'fp16-fp32': 'FP16 in, FP32 sums' };

/** The data of one accuracy point (seeded by L, as the lane's table). */
export function accuracyJob(kind: DataKind, d: number, L: number, seed: number): LaneJob {
  return makeJob(kind, d, L, makeRng(seed + L), { frac: 17, width: 32 }, { qk: 3, v: 40 });
}

export interface AccuracyInput {
  d: number;
  L: number;
  kind: DataKind;
  seed: number;
  variants: readonly BenchVariant[];
  /** maxContext of the golden models (at least L). */
  maxContext: number;
  /** Golden results already computed for this data (e.g. by the RTL comparison), by label. */
  known?: ReadonlyMap<string, GoldenResult>;
}

export function accuracyPoints(a: AccuracyInput): { points: AccuracyPoint[]; golden: Map<string, GoldenResult> } {
  const job = accuracyJob(a.kind, a.d, a.L, a.seed);
  const ref = referenceAttentionRaw(job.q, job.k, job.v);
  const data = a.kind === 'outliers' ? 'outliers' : 'normal';
  const golden = new Map<string, GoldenResult>();
  const points: AccuracyPoint[] = a.variants.map((v) => {
    const label = variantLabel(v);
    const g = a.known?.get(label) ?? goldenOfVariant(v, job, { headDim: a.d, maxContext: a.maxContext });
    golden.set(label, g);
    return { variant: label, data, L: a.L, error: relativeError(dequantize(g.o, Q15_17), ref) };
  });
  const f = (x: readonly bigint[]): number[] => dequantize(x, Q15_17);
  for (const mode of ['fp16', 'fp16-fp32'] as const) {
    const o = fp16Attention(f(job.q), job.k.map(f), job.v.map(f), mode);
    points.push({ variant: FP16_LABELS[mode], data, L: a.L, error: relativeError(o, ref) });
  }
  return { points, golden };
}
