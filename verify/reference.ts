/**
 * Float64 reference attention (DESIGN.md §3): softmax(q . K^T / sqrt(d)) . V computed stably
 * in float64 on the dequantised inputs, and the error figure users care about:
 * max |o - o_ref| / max |o_ref|.
 *
 * This is not bit-exact with anything; it is the yardstick for the fixed-point golden models
 * (generators/swiftkv/golden.ts) and the RTL.
 */
import { type QFormat, Q, qType } from '../hdl/fixed.ts';
import { minValue, maxValue } from '../hdl/types.ts';

/** The default data format of q, k, v, o: FXP32 Q15.17. */
export const Q15_17: QFormat = Q(15, 17);

/** Raw fixed-point integers to numbers: raw * 2^-fracBits (exact for widths <= 53). */
export function dequantize(raw: readonly bigint[], fmt: QFormat = Q15_17): number[] {
  const scale = 2 ** -fmt.fracBits;
  return raw.map((r) => Number(r) * scale);
}

/**
 * Numbers to raw fixed-point integers: round to nearest, ties to even, saturating at the
 * format's range (so a float tensor with outliers still converts; count saturations with
 * `saturated`). Non-finite inputs throw.
 */
export function quantize(x: readonly number[], fmt: QFormat = Q15_17, saturated?: { count: number }): bigint[] {
  const t = qType(fmt);
  const lo = minValue(t);
  const hi = maxValue(t);
  const scale = 2 ** fmt.fracBits;
  return x.map((xi, i) => {
    if (!Number.isFinite(xi)) throw new RangeError(`quantize: element ${i} is ${xi}: accepted finite numbers`);
    const s = xi * scale; // exact: scaling by a power of two
    let r = Math.round(s); // half up
    if (r - s === 0.5 && r % 2 !== 0) r -= 1; // ties to even
    let v = BigInt(r);
    if (v > hi || v < lo) {
      if (saturated) saturated.count++;
      v = v > hi ? hi : lo;
    }
    return v;
  });
}

/** Neumaier-compensated sum: accurate to a few ulps for the lengths used here (L <= 2^20). */
function compensatedSum(n: number, term: (i: number) => number): number {
  let sum = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const x = term(i);
    const t = sum + x;
    comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + comp;
}

function checkShapes(q: readonly number[], k: readonly (readonly number[])[], v: readonly (readonly number[])[]): void {
  const d = q.length;
  if (d === 0) throw new RangeError('reference attention: q is empty: accepted d >= 1');
  if (k.length === 0) throw new RangeError('reference attention: no tokens (L = 0): accepted L >= 1');
  if (v.length !== k.length) throw new RangeError(`reference attention: k has ${k.length} rows, v has ${v.length}: accepted equal counts`);
  for (let t = 0; t < k.length; t++) {
    if (k[t]!.length !== d) throw new RangeError(`reference attention: k[${t}] has ${k[t]!.length} elements: accepted ${d}`);
    if (v[t]!.length !== d) throw new RangeError(`reference attention: v[${t}] has ${v[t]!.length} elements: accepted ${d}`);
  }
}

/**
 * softmax(q . K^T * scale) . V in float64, stably: s_t = scale * (q . k_t), m = max_t s_t,
 * w_t = exp(s_t - m), o = sum_t w_t v_t / sum_t w_t (compensated sums). scale defaults to
 * 1/sqrt(d). Rows of k and v are tokens.
 */
export function referenceAttention(
  q: readonly number[],
  k: readonly (readonly number[])[],
  v: readonly (readonly number[])[],
  scale: number = 1 / Math.sqrt(q.length),
): number[] {
  checkShapes(q, k, v);
  const d = q.length;
  const L = k.length;
  const s = k.map((kt) => scale * compensatedSum(d, (i) => q[i]! * kt[i]!));
  let m = -Infinity;
  for (const x of s) if (x > m) m = x;
  const w = s.map((x) => Math.exp(x - m));
  const z = compensatedSum(L, (t) => w[t]!);
  const o: number[] = [];
  for (let j = 0; j < d; j++) o.push(compensatedSum(L, (t) => w[t]! * v[t]![j]!) / z);
  return o;
}

/** The reference on raw fixed-point inputs (dequantised first). */
export function referenceAttentionRaw(
  q: readonly bigint[],
  k: readonly (readonly bigint[])[],
  v: readonly (readonly bigint[])[],
  fmt: QFormat = Q15_17,
): number[] {
  return referenceAttention(dequantize(q, fmt), k.map((r) => dequantize(r, fmt)), v.map((r) => dequantize(r, fmt)));
}

export interface ErrorReport {
  /** max |o - o_ref| */
  readonly maxAbs: number;
  /** Index where it occurs. */
  readonly at: number;
  /** max |o_ref| */
  readonly maxRef: number;
  /** maxAbs / maxRef (see relativeError). */
  readonly relative: number;
}

/**
 * max |o - o_ref| and where, max |o_ref|, and their ratio. When o_ref is all zero the ratio is
 * 0 if o is all zero too, else Infinity. Lengths must match; non-finite values throw.
 */
export function errorReport(o: readonly number[], oRef: readonly number[]): ErrorReport {
  if (o.length !== oRef.length) throw new RangeError(`relativeError: o has ${o.length} elements, o_ref has ${oRef.length}: accepted equal lengths`);
  let maxAbs = 0;
  let at = -1;
  let maxRef = 0;
  for (let i = 0; i < o.length; i++) {
    if (!Number.isFinite(o[i]!) || !Number.isFinite(oRef[i]!)) {
      throw new RangeError(`relativeError: element ${i} is not finite (o = ${o[i]}, o_ref = ${oRef[i]})`);
    }
    const e = Math.abs(o[i]! - oRef[i]!);
    if (e > maxAbs || at < 0) {
      maxAbs = e;
      at = i;
    }
    maxRef = Math.max(maxRef, Math.abs(oRef[i]!));
  }
  const relative = maxRef > 0 ? maxAbs / maxRef : maxAbs === 0 ? 0 : Infinity;
  return { maxAbs, at, maxRef, relative };
}

/** max |o - o_ref| / max |o_ref| (0 / 0 = 0; x / 0 = Infinity). */
export function relativeError(o: readonly number[], oRef: readonly number[]): number {
  return errorReport(o, oRef).relative;
}

/**
 * Small deterministic PRNG (mulberry32, 32-bit state) for reproducible test tensors: print
 * the seed with every result. Not for anything cryptographic.
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi) (hi - lo <= 2^53). */
  int(lo: number, hi: number): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
}

export function makeRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`seed ${seed}: accepted integers`);
  let a = seed >>> 0;
  const u32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  // 53 random bits per draw.
  const next = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo)),
    uniform: (lo, hi) => lo + next() * (hi - lo),
    normal: () => {
      let u = 0;
      while (u === 0) u = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
  };
}
