/**
 * The exp2 unit of the SwiftKV lane: 2^x for x <= 0, x in the score format (Q15.17 by
 * default), by a table of 2^(i/32) with linear interpolation and a right shift.
 *
 * Written against `Bits<T>` in three steps, so the golden model runs them on `Value` and the
 * pipelined hardware runs the very same functions on `Expr` with registers between them
 * (the middle step's multiply-add runs on a DSP tile there: `exp2Mantissa` is its golden):
 *
 *   exp2Split(x)             n = -floor(x), table index i, interpolation weight t, x too small
 *   exp2Mantissa(lo, hi, t)  M = T[i] * 2^J + (T[i+1] - T[i]) * t     (exact; J interp bits)
 *   exp2Round(M, n, small)   out = RNE(M / 2^(F + J + n - Fe)) in UQ1.Fe, or 0 when small
 *
 * Definition (bit-exact). x has fs = indexBits + interpBits fraction bits, x <= 0; F table
 * fraction bits, Fe output fraction bits (Fe <= F):
 *   n   = -floor(x);   i = fraction bits [fs-1 : J];   t = fraction bits [J-1 : 0]
 *   M   = T[i] * 2^J + (T[i+1] - T[i]) * t          2^(x - floor x) interpolated, F + J frac bits
 *   out = RNE(M / 2^(F + J + n - Fe))               when n <= Fe + 1
 *   out = 0                                          when n >= Fe + 2
 * i.e. the correctly rounded (to Fe fraction bits, ties to even) value of the interpolated
 * curve 2^floor(x) * lerp(T[i], T[i+1]). For n >= Fe + 2 that value is below 2^-(Fe+1) and
 * rounds to 0, so the cut-off changes no result. exp2(0) = 2^Fe exactly (1.0). The result
 * never increases as x decreases.
 */
import type { Arith, Bits } from '../../hdl/arith.ts';
import { u, bitsFor } from '../../hdl/types.ts';
import { Value } from '../../hdl/value.ts';
import { valueArith } from '../../hdl/arith.ts';
import { roundShift } from '../../hdl/fixed.ts';
import { iroot } from './constants.ts';
import type { Exp2Params } from './numerics.ts';

export type Exp2Config = Exp2Params;

export const EXP2_DEFAULTS: Exp2Config = { indexBits: 5, interpBits: 12, tableFracBits: 30, outFracBits: 16 };

const tableCache = new Map<string, readonly bigint[]>();

/**
 * The exp2 table: entry i (0 <= i <= 2^indexBits) is round(2^(i / 2^indexBits) * 2^tableFracBits),
 * 2^indexBits + 1 entries (33 by default), values in [2^F, 2^(F+1)].
 *
 * Rounding is exact, with no floating point: with N = 2^indexBits and T_i = 2^(i/N + F),
 *   round(T_i) = floor((floor(2 T_i) + 1) / 2),  floor(2 T_i) = iroot(2^(i + N (F + 1)), N)
 * where iroot is the exact integer N-th root. A tie would need 2^(i/N) rational, which holds
 * only for i = 0 and i = N, where T_i is an integer. This is the ONE function used by the
 * golden model and by the ROM the generator emits.
 */
export function exp2Table(indexBits = EXP2_DEFAULTS.indexBits, tableFracBits = EXP2_DEFAULTS.tableFracBits): bigint[] {
  if (!Number.isInteger(indexBits) || indexBits < 1 || indexBits > 10) throw new RangeError(`exp2 indexBits = ${indexBits} is out of range: accepted 1..10`);
  if (!Number.isInteger(tableFracBits) || tableFracBits < 1 || tableFracBits > 60) throw new RangeError(`exp2 tableFracBits = ${tableFracBits} is out of range: accepted 1..60`);
  const key = `${indexBits}/${tableFracBits}`;
  let t = tableCache.get(key);
  if (!t) {
    const N = 1 << indexBits;
    const entries: bigint[] = [];
    for (let i = 0; i <= N; i++) {
      const twice = iroot(1n << BigInt(i + N * (tableFracBits + 1)), N);
      entries.push((twice + 1n) >> 1n);
    }
    t = Object.freeze(entries);
    tableCache.set(key, t);
  }
  return [...t];
}

/** Width of the table entries (unsigned): the largest entry is 2^(F+1). */
export function exp2TableWidth(c: Exp2Config): number {
  return c.tableFracBits + 2;
}

/** Width of T[i+1] - T[i] (unsigned): bits of the largest difference of the table. */
export function exp2DiffWidth(c: Exp2Config): number {
  const t = exp2Table(c.indexBits, c.tableFracBits);
  let maxDiff = 0n;
  for (let i = 0; i + 1 < t.length; i++) {
    const dd = t[i + 1]! - t[i]!;
    if (dd > maxDiff) maxDiff = dd;
  }
  return bitsFor(maxDiff, false);
}

/** Width of the interpolated mantissa M (unsigned): M < 2^(F+1) * 2^J. */
export function exp2MantissaWidth(c: Exp2Config): number {
  return c.tableFracBits + 1 + c.interpBits;
}

/** Output width: UQ1.Fe, unsigned Fe + 1 bits (1.0 = 2^Fe). */
export function exp2OutWidth(c: Exp2Config): number {
  return c.outFracBits + 1;
}

/** Bits of the shift amount n once capped (n <= Fe + 1 whenever the result is not 0). */
export function exp2ShiftWidth(c: Exp2Config): number {
  return bitsFor(BigInt(c.outFracBits + 1), false);
}

export interface Exp2Split<T> {
  /** n = -floor(x), capped to its low exp2ShiftWidth bits (meaningful when !tooSmall). */
  readonly amount: T;
  /** 1 when n >= Fe + 2: the result is 0. */
  readonly tooSmall: T;
  /** Table index i (indexBits, unsigned). */
  readonly index: T;
  /** Interpolation weight t (interpBits, unsigned; absent when interpBits = 0). */
  readonly t: T | undefined;
}

/** Step 1: split x (signed, fs fraction bits and at least one integer bit) into n, i, t. */
export function exp2Split<T extends Bits<T>>(_A: Arith<T>, x: T, c: Exp2Config): Exp2Split<T> {
  const fs = c.indexBits + c.interpBits;
  if (!x.signed || x.width <= fs) {
    throw new RangeError(`exp2 input must be signed with more than ${fs} bits (integer part + ${fs} fraction bits), got ${x.signed ? 's' : 'u'}${x.width}`);
  }
  const J = c.interpBits;
  const xInt = x.shr(fs); // floor(x), signed
  const n = xInt.neg(); // >= 0 for x <= 0
  const tooSmall = xInt.lt(-(c.outFracBits + 1));
  const shBits = exp2ShiftWidth(c);
  const amount = n.width > shBits ? n.slice(shBits - 1, 0) : n.asUnsigned().zext(shBits);
  return { amount, tooSmall, index: x.slice(fs - 1, J), t: J > 0 ? x.slice(J - 1, 0) : undefined };
}

/** Step 2 (golden of the DSP tile): M = lo * 2^J + (hi - lo) * t, exact, unsigned. */
export function exp2Mantissa<T extends Bits<T>>(_A: Arith<T>, lo: T, hi: T, t: T | undefined, c: Exp2Config): T {
  const mw = exp2MantissaWidth(c);
  if (!t) return lo.trunc(Math.min(lo.width, mw)).zext(mw);
  const diff = hi.sub(lo).trunc(exp2DiffWidth(c)); // hi >= lo: the table increases
  return lo.shl(c.interpBits).add(diff.mul(t)).trunc(mw);
}

/** Step 3a: M * 2^(Fe + 1 - n): the right shift by n <= Fe + 1, with every shifted-out bit kept. */
export function exp2Shift<T extends Bits<T>>(_A: Arith<T>, mant: T, amount: T, c: Exp2Config): T {
  return mant.shl(c.outFracBits + 1).shrv(amount);
}

/** Step 3b: round away F + J + 1 bits (RNE) to UQ1.Fe; 0 when x is too small. */
export function exp2Finish<T extends Bits<T>>(A: Arith<T>, shifted: T, tooSmall: T, c: Exp2Config): T {
  const rounded = roundShift(A, shifted, c.tableFracBits + c.interpBits + 1, 'rne'); // <= 2^Fe
  const ow = exp2OutWidth(c);
  return A.mux(tooSmall, A.lit(0, u(ow)), rounded.trunc(ow));
}

/** Step 3: out = RNE(M / 2^(F + J + n - Fe)), 0 when x is too small; UQ1.Fe. */
export function exp2Round<T extends Bits<T>>(A: Arith<T>, mant: T, amount: T, tooSmall: T, c: Exp2Config): T {
  return exp2Finish(A, exp2Shift(A, mant, amount, c), tooSmall, c);
}

/** Table lookup: T[index] and T[index + 1], both unsigned of exp2TableWidth bits. */
export type Exp2Lookup<T> = (index: T) => { lo: T; hi: T };

/** 2^x for x <= 0, the three steps in a row (golden model and unpipelined use). */
export function exp2Fixed<T extends Bits<T>>(A: Arith<T>, x: T, lookup: Exp2Lookup<T>, c: Exp2Config): T {
  const sp = exp2Split(A, x, c);
  const { lo, hi } = lookup(sp.index);
  return exp2Round(A, exp2Mantissa(A, lo, hi, sp.t, c), sp.amount, sp.tooSmall, c);
}

/** A lookup into the table array, for the golden model. */
export function valueLookup(c: Exp2Config): Exp2Lookup<Value> {
  const table = exp2Table(c.indexBits, c.tableFracBits);
  const tw = exp2TableWidth(c);
  const vals = table.map((e) => Value.of(e, u(tw)));
  return (index) => {
    const i = Number(index.toBigInt());
    return { lo: vals[i]!, hi: vals[i + 1]! };
  };
}

const lookupCache = new Map<string, Exp2Lookup<Value>>();

/** Golden exp2 on raw integers: xRaw <= 0 with indexBits + interpBits fraction bits, `inWidth` bits signed. */
export function exp2Golden(xRaw: bigint, c: Exp2Config = EXP2_DEFAULTS, inWidth = 32): bigint {
  if (xRaw > 0n) throw new RangeError(`exp2Golden: x = ${xRaw} (raw) is positive: accepted x <= 0`);
  const key = `${c.indexBits}/${c.interpBits}/${c.tableFracBits}/${c.outFracBits}`;
  let lookup = lookupCache.get(key);
  if (!lookup) {
    lookup = valueLookup(c);
    lookupCache.set(key, lookup);
  }
  return exp2Fixed(valueArith, Value.of(xRaw, { width: inWidth, signed: true }), lookup, c).toBigInt();
}
