/**
 * Test data for the lane regression, in the data format (raw integers), from a seeded PRNG:
 * normal data, outlier channels, tied scores, a running max that moves on the first, middle or
 * last token, and values at the edges of the format.
 */
import type { Rng } from '../rng.ts';
import type { LaneJob } from './lane.driver.ts';
import { quantize } from '../reference.ts';
import { Q, type QFormat } from '../../hdl/fixed.ts';

export type DataKind = 'normal' | 'outliers' | 'ties' | 'max-first' | 'max-middle' | 'max-last' | 'edges';
export const dataKinds: readonly DataKind[] = ['normal', 'outliers', 'ties', 'max-first', 'max-middle', 'max-last', 'edges'];

export interface DataFormatInfo {
  /** Fraction bits of the data format (17 for Q15.17). */
  frac: number;
  /** Total width (32). */
  width: number;
}

function gaussian(rng: Rng): number {
  const u1 = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.next());
}

/** The data format of `f` as a Q format. */
export function qFormatOf(f: DataFormatInfo): QFormat {
  return Q(f.width - f.frac, f.frac);
}

/** The `DataFormatInfo` of a (signed) Q format. */
export function formatInfoOf(f: QFormat): DataFormatInfo {
  return { frac: f.fracBits, width: f.intBits + f.fracBits };
}

export interface OutlierScales {
  /** Factor on the outlier channels of q and k (default 40: the scores saturate the softmax). */
  qk: number;
  /** Factor on the outlier channels of v (default 40). */
  v: number;
}

/** One query job of `kind` with context length L and head dimension d. */
export function makeJob(kind: DataKind, d: number, L: number, rng: Rng, f: DataFormatInfo, outliers: OutlierScales = { qk: 40, v: 40 }): LaneJob {
  const vec = (scale = 1): number[] => Array.from({ length: d }, () => gaussian(rng) * scale);
  const q = vec();
  let k = Array.from({ length: L }, () => vec());
  let v = Array.from({ length: L }, () => vec());
  const boost = (t: number): void => {
    // k_t along q: its score is the largest so far.
    const norm = Math.sqrt(q.reduce((s2, x) => s2 + x * x, 0)) || 1;
    k[t] = q.map((x) => (x / norm) * 6 + gaussian(rng) * 0.1);
  };
  switch (kind) {
    case 'normal':
      break;
    case 'outliers': {
      // A few channels much larger in q, k and v (as in LLM activations).
      const channels = [0, Math.floor(d / 3), d - 1];
      for (const c of channels) {
        q[c]! *= outliers.qk;
        k = k.map((row) => row.map((x, i) => (i === c ? x * outliers.qk : x)));
        v = v.map((row) => row.map((x, i) => (i === c ? x * outliers.v : x)));
      }
      break;
    }
    case 'ties': {
      // Every other token repeats the previous key: equal scores, ties in the running max.
      for (let t = 1; t < L; t += 2) k[t] = [...k[t - 1]!];
      break;
    }
    case 'max-first':
      boost(0);
      break;
    case 'max-middle':
      boost(Math.floor(L / 2));
      break;
    case 'max-last':
      boost(L - 1);
      break;
    case 'edges': {
      // Values at the limits of the format: +-max and tiny magnitudes.
      const top = 2 ** (f.width - 1 - f.frac);
      const edge = (): number => rng.pick([top, -top, top * 0.999, -top * 0.999, 2 ** -f.frac, -(2 ** -f.frac), 0]);
      for (let i = 0; i < d; i += 3) q[i] = edge();
      k = k.map((row) => row.map((x, i) => (i % 4 === 0 ? edge() : x)));
      v = v.map((row) => row.map((x, i) => (i % 2 === 0 ? edge() : x)));
      break;
    }
  }
  // The one float-to-fixed conversion of the project: round to nearest even, saturating.
  const fmt = qFormatOf(f);
  return { q: quantize(q, fmt), k: k.map((row) => quantize(row, fmt)), v: v.map((row) => quantize(row, fmt)) };
}
