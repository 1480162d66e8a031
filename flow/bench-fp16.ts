/**
 * Plain FP16 attention, the accuracy reference point of `make bench`, with every rounding done
 * by @petamoriken/float16's f16round (IEEE binary16, round to nearest even):
 *
 *   fp16       q, k, v in FP16 and every operation rounded to FP16 (products, running sums,
 *              1/sqrt(d), exp, the divide): attention computed in FP16 throughout;
 *   fp16-fp32  q, k, v in FP16, arithmetic and sums in FP32 (Math.fround), o rounded to FP16:
 *              FP16 storage with FP32 accumulation, as GPU kernels usually do.
 *
 * exp is the correctly rounded value of the float64 exp (the best an FP16 unit can return).
 */
import { f16round } from '@petamoriken/float16';

export type Fp16Mode = 'fp16' | 'fp16-fp32';

export function fp16Attention(q: readonly number[], k: readonly (readonly number[])[], v: readonly (readonly number[])[], mode: Fp16Mode): number[] {
  const d = q.length;
  const L = k.length;
  if (L === 0 || v.length !== L) throw new RangeError(`fp16Attention: k has ${L} rows and v ${v.length}: accepted equal counts >= 1`);
  const acc = mode === 'fp16' ? f16round : Math.fround;
  const qh = q.map(f16round);
  const scale = acc(1 / Math.sqrt(d));
  const s = new Array<number>(L);
  for (let t = 0; t < L; t++) {
    const kt = k[t]!;
    if (kt.length !== d || v[t]!.length !== d) throw new RangeError(`fp16Attention: token ${t} has ${kt.length} k and ${v[t]!.length} v elements: accepted ${d}`);
    let dot = 0;
    for (let j = 0; j < d; j++) dot = acc(dot + acc(qh[j]! * f16round(kt[j]!)));
    s[t] = acc(dot * scale);
  }
  let m = -Infinity;
  for (const x of s) m = Math.max(m, x);
  let z = 0;
  const y = new Array<number>(d).fill(0);
  for (let t = 0; t < L; t++) {
    const e = acc(Math.exp(acc(s[t]! - m)));
    z = acc(z + e);
    const vt = v[t]!;
    for (let j = 0; j < d; j++) y[j] = acc(y[j]! + acc(e * f16round(vt[j]!)));
  }
  return y.map((yj) => f16round(acc(yj / z)));
}
