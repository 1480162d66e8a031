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

export async function accuracyTable(o: AccuracyOptions): Promise<string[]> {
  const lines = ['| L | data | rescale multiply | rescale shift |', '|---|---|---|---|'];
  for (const L of o.Ls) {
    for (const kind of ['normal', 'outliers'] as DataKind[]) {
      // Outliers x3 in q and k (scores stay in the softmax's soft range) and x40 in v.
      const job = makeJob(kind, o.d, L, makeRng(o.seed + L), { frac: 17, width: 32 }, { qk: 3, v: 40 });
      const ref = referenceAttentionRaw(job.q, job.k, job.v);
      const errs: string[] = [];
      for (const rescale of ['multiply', 'shift'] as const) {
        const g = goldenAttention(job.q, job.k, job.v, { rescale });
        errs.push(relativeError(g.o.map((x) => Number(x) / 2 ** 17), ref).toExponential(2));
      }
      o.onProgress?.(`L=${L} ${kind}: ${errs.join(' / ')}`);
      lines.push(`| ${L} | ${kind} | ${errs[0]} | ${errs[1]} |`);
      await new Promise((r) => setImmediate(r));
    }
  }
  return lines;
}
