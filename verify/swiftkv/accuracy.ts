/**
 * Accuracy of the SwiftKV lane against float64 attention: max |o - o_ref| / max |o_ref|, on
 * normal and outlier-channel data, for both rescale options. The golden model is bit-exact with
 * the RTL (the regression checks it), so these figures are the RTL's.
 */
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { makeJob, type DataKind } from './stimulus.ts';
import { referenceAttentionRaw, relativeError } from '../reference.ts';
import { makeRng } from '../rng.ts';

export interface AccuracyOptions {
  d: number;
  Ls: number[];
  seed: number;
  onProgress?: (line: string) => void;
}

export interface AccuracyPoint {
  L: number;
  kind: DataKind;
  /** max |o - o_ref| / max |o_ref| of the golden model (= the RTL) per rescale option. */
  multiply: number;
  shift: number;
}

/** The error of every (L, data kind) point, both rescale options. */
export async function accuracyPoints(o: AccuracyOptions): Promise<AccuracyPoint[]> {
  const points: AccuracyPoint[] = [];
  for (const L of o.Ls) {
    for (const kind of ['normal', 'outliers'] as DataKind[]) {
      // Outliers x3 in q and k (scores stay in the softmax's soft range) and x40 in v.
      const job = makeJob(kind, o.d, L, makeRng(o.seed + L), { frac: 17, width: 32 }, { qk: 3, v: 40 });
      const ref = referenceAttentionRaw(job.q, job.k, job.v);
      const err = (rescale: 'multiply' | 'shift'): number => {
        const g = goldenAttention(job.q, job.k, job.v, { headDim: o.d, rescale });
        return relativeError(g.o.map((x) => Number(x) / 2 ** 17), ref);
      };
      const point = { L, kind, multiply: err('multiply'), shift: err('shift') };
      o.onProgress?.(`L=${L} ${kind}: ${point.multiply.toExponential(2)} / ${point.shift.toExponential(2)}`);
      points.push(point);
      await new Promise((r) => setImmediate(r));
    }
  }
  return points;
}

export async function accuracyTable(o: AccuracyOptions): Promise<string[]> {
  const lines = ['| L | data | rescale multiply | rescale shift |', '|---|---|---|---|'];
  for (const p of await accuracyPoints(o)) lines.push(`| ${p.L} | ${p.kind} | ${p.multiply.toExponential(2)} | ${p.shift.toExponential(2)} |`);
  return lines;
}
