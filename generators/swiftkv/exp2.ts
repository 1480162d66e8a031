/**
 * The exp2 unit of the SwiftKV lane (DESIGN.md §3): 2^x for x <= 0, x in the score format
 * (Q15.17 by default), by a table of 2^(i/32) with linear interpolation and a right shift.
 *
 * Written once against `Bits<T>`: the golden model runs it on `Value`, the generator runs it on
 * `Expr` with a ROM for `lookup`; `exp2Table` is the one source of the table contents.
 *
 * Definition (bit-exact). Let x have fs = indexBits + interpBits fraction bits, x <= 0:
 *   n   = -floor(x)                 integer part (x's raw value shifted right by fs, negated)
 *   i   = fraction bits [fs-1 : interpBits]   (table index, 0..2^indexBits - 1)
 *   t   = fraction bits [interpBits-1 : 0]    (interpolation weight t / 2^interpBits)
 *   M   = T[i] * 2^interpBits + (T[i+1] - T[i]) * t        exact, F + interpBits fraction bits
 *         (= 2^(x - floor(x)) interpolated, in [1, 2), scaled by 2^(F + interpBits))
 *   out = RNE(M / 2^(interpBits + n))  in UQ1.F           when n <= F + 1
 *   out = 0                                               when n >= F + 2 (x < -(F + 1))
 * i.e. the output is the correctly rounded (to F fraction bits, ties to even) value of the
 * interpolated curve 2^floor(x) * lerp(T[i], T[i+1]). For n >= F + 2 the interpolated value
 * is below 2^-(F+1), which rounds to 0, so the cut-off changes no result. exp2(0) = T[0] =
 * 2^F exactly (1.0). The result is non-increasing as x decreases (lerp is monotonic, the table
 * is increasing, and RNE is monotonic).
 */
import type { Arith, Bits } from '../../hdl/arith.ts';
import { u, bitsFor } from '../../hdl/types.ts';
import { Value } from '../../hdl/value.ts';
import { valueArith } from '../../hdl/arith.ts';
import { roundShift } from '../../hdl/fixed.ts';
import { iroot } from './numerics.ts';

export interface Exp2Config {
  /** Table index bits (5): 2^indexBits + 1 table entries. */
  readonly indexBits: number;
  /** Interpolation bits (12). */
  readonly interpBits: number;
  /** Fraction bits of the table and of the output (30). */
  readonly tableFracBits: number;
}

export const EXP2_DEFAULTS: Exp2Config = { indexBits: 5, interpBits: 12, tableFracBits: 30 };

function checkConfig(c: Exp2Config): void {
  const chk = (n: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`exp2 ${n} = ${v} is out of range: accepted integers ${lo}..${hi}`);
  };
  chk('indexBits', c.indexBits, 1, 10);
  chk('interpBits', c.interpBits, 0, 24);
  chk('tableFracBits', c.tableFracBits, 1, 60);
}

const tableCache = new Map<string, readonly bigint[]>();

/**
 * The exp2 table: entry i (0 <= i <= 2^indexBits) is round(2^(i / 2^indexBits) * 2^tableFracBits),
 * 2^indexBits + 1 entries (33 by default), values in [2^F, 2^(F+1)].
 *
 * Rounding is exact, with no floating point: with N = 2^indexBits and T_i = 2^(i/N + F),
 *   round(T_i) = floor((floor(2 T_i) + 1) / 2),  floor(2 T_i) = iroot(2^(i + N (F + 1)), N)
 * where iroot is the exact integer N-th root (BigInt). A tie (2 T_i odd) would need
 * 2^(i/N) rational, which holds only for i = 0 and i = N, where T_i is an integer; so the
 * rounding mode at ties never matters. This is the ONE function used by the golden model and
 * by the ROM the generator emits.
 */
export function exp2Table(indexBits = EXP2_DEFAULTS.indexBits, tableFracBits = EXP2_DEFAULTS.tableFracBits): bigint[] {
  checkConfig({ indexBits, interpBits: 0, tableFracBits });
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
export function exp2TableWidth(c: Exp2Config = EXP2_DEFAULTS): number {
  return c.tableFracBits + 2;
}

/** Width of T[i+1] - T[i] (unsigned): bits of the largest difference of the table. */
export function exp2DiffWidth(c: Exp2Config = EXP2_DEFAULTS): number {
  const t = exp2Table(c.indexBits, c.tableFracBits);
  let maxDiff = 0n;
  for (let i = 0; i + 1 < t.length; i++) {
    const dd = t[i + 1]! - t[i]!;
    if (dd > maxDiff) maxDiff = dd;
  }
  return bitsFor(maxDiff, false);
}

/** Output width: UQ1.F, unsigned F + 1 bits (1.0 = 2^F). */
export function exp2OutWidth(c: Exp2Config = EXP2_DEFAULTS): number {
  return c.tableFracBits + 1;
}

/** Table lookup: T[index] and T[index + 1], both unsigned of exp2TableWidth bits. */
export type Exp2Lookup<T> = (index: T) => { lo: T; hi: T };

/**
 * 2^x for x <= 0 (x signed, with indexBits + interpBits fraction bits and at least one integer
 * bit); result UQ1.F (unsigned, F + 1 bits). Positive x is outside the contract (the caller
 * guarantees x <= 0: x is -|s - m|); for x > 0 the result is unspecified.
 *
 * Hardware: one ROM read (two entries), a (diffWidth x interpBits) multiplier, an adder, a
 * right barrel shifter over (F + interpBits + 1) + (F + 1) bits with a 0..F+1 amount (the low
 * F + 1 extension bits keep every shifted-out bit, so the final RNE sees the exact sticky),
 * and one RNE rounding step.
 */
export function exp2Fixed<T extends Bits<T>>(A: Arith<T>, x: T, lookup: Exp2Lookup<T>, c: Exp2Config = EXP2_DEFAULTS): T {
  checkConfig(c);
  const fs = c.indexBits + c.interpBits;
  const F = c.tableFracBits;
  if (!x.signed || x.width <= fs) {
    throw new RangeError(`exp2 input must be signed with more than ${fs} bits (integer part + ${fs} fraction bits), got ${x.signed ? 's' : 'u'}${x.width}`);
  }
  const J = c.interpBits;
  const tw = exp2TableWidth(c);
  const dw = exp2DiffWidth(c);

  // Integer part floor(x) <= 0 and its negation n = -floor(x) >= 0 (the shift amount).
  const xInt = x.shr(fs); // signed, floor(x)
  const n = xInt.neg(); // signed, one bit wider, in [0, 2^(intBits-1)]
  const tooSmall = xInt.lt(-(F + 1)); // n >= F + 2: result 0
  const shBits = bitsFor(BigInt(F + 1), false);
  const amount = n.width > shBits ? n.slice(shBits - 1, 0) : n.asUnsigned().zext(shBits); // valid when !tooSmall

  // Table index and interpolation weight.
  const index = x.slice(fs - 1, J);
  const { lo, hi } = lookup(index);
  if (lo.width !== tw || hi.width !== tw || lo.signed || hi.signed) {
    throw new RangeError(`exp2 lookup must return two u${tw} entries, got ${lo.signed ? 's' : 'u'}${lo.width} / ${hi.signed ? 's' : 'u'}${hi.width}`);
  }
  // M = lo * 2^J + (hi - lo) * t: exact. hi >= lo (the table increases), so the difference
  // fits in dw bits; M < 2^(F+1) * 2^J, i.e. F + 1 + J bits.
  const mw = F + 1 + J;
  let mant: T;
  if (J > 0) {
    const t = x.slice(J - 1, 0);
    const diff = hi.sub(lo).trunc(dw);
    mant = lo.shl(J).add(diff.mul(t)).trunc(mw);
  } else {
    mant = lo.trunc(mw);
  }
  // Shift right by n (<= F + 1) without losing bits, then round away J + F + 1 bits.
  const ext = mant.shl(F + 1); // (F + 1 + J) + (F + 1) bits
  const shifted = ext.shrv(amount);
  const rounded = roundShift(A, shifted, J + F + 1, 'rne'); // F + 2 bits, value <= 2^F
  const ow = exp2OutWidth(c);
  const out = rounded.trunc(ow); // value <= 2^F (= 1.0): M/2^J < 2^(F+1) and n >= 1 unless x = 0
  return A.mux(tooSmall, A.lit(0, u(ow)), out);
}

/** A lookup into a table array, for the golden model. */
export function valueLookup(c: Exp2Config = EXP2_DEFAULTS): Exp2Lookup<Value> {
  const table = exp2Table(c.indexBits, c.tableFracBits);
  const tw = exp2TableWidth(c);
  const vals = table.map((e) => Value.of(e, u(tw)));
  return (index) => {
    const i = Number(index.toBigInt());
    return { lo: vals[i]!, hi: vals[i + 1]! };
  };
}

const lookupCache = new Map<string, Exp2Lookup<Value>>();

/**
 * Golden exp2 on raw integers: xRaw (<= 0) has indexBits + interpBits fraction bits and is a
 * signed value of `inWidth` bits (32 for Q15.17); returns the raw UQ1.F result.
 */
export function exp2Golden(xRaw: bigint, c: Exp2Config = EXP2_DEFAULTS, inWidth = 32): bigint {
  if (xRaw > 0n) throw new RangeError(`exp2Golden: x = ${xRaw} (raw) is positive: accepted x <= 0`);
  const key = `${c.indexBits}/${c.interpBits}/${c.tableFracBits}`;
  let lookup = lookupCache.get(key);
  if (!lookup) {
    lookup = valueLookup(c);
    lookupCache.set(key, lookup);
  }
  const x = Value.of(xRaw, { width: inWidth, signed: true });
  return exp2Fixed(valueArith, x, lookup, c).toBigInt();
}
