/**
 * Fixed-point layer: Q formats, rounding and saturation, written once against `Bits<T>` so a
 * golden model (on `Value`) and the hardware (on `Expr`) call the very same functions.
 *
 * Q(m, f): m integer bits (including the sign bit when signed) and f fraction bits; the raw
 * integer r denotes r * 2^-f. Q15.17 is the signed 32-bit format of the SwiftKV datapath.
 */
import type { HwType } from './types.ts';
import { minValue, maxValue } from './types.ts';
import type { Arith, Bits } from './arith.ts';

export interface QFormat {
  readonly intBits: number;
  readonly fracBits: number;
  readonly signed: boolean;
}

export function Q(intBits: number, fracBits: number, signed = true): QFormat {
  if (!Number.isInteger(intBits) || !Number.isInteger(fracBits) || fracBits < 0 || intBits + fracBits < 1) {
    throw new RangeError(`Q(${intBits}, ${fracBits}): need integers with fracBits >= 0 and a total width >= 1`);
  }
  if (signed && intBits < 1) throw new RangeError(`Q(${intBits}, ${fracBits}) signed needs at least the sign bit`);
  return { intBits, fracBits, signed };
}

export function qType(f: QFormat): HwType {
  return { width: f.intBits + f.fracBits, signed: f.signed };
}

export function qName(f: QFormat): string {
  return `${f.signed ? '' : 'U'}Q${f.intBits}.${f.fracBits}`;
}

export type Rounding = 'trunc' | 'rne';

/** Raw integer nearest to `x` in format f, rounding half to even; throws if out of range. */
export function toFixed(x: number, f: QFormat): bigint {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is not a finite number`);
  const scaled = x * 2 ** f.fracBits;
  let r = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5 && r % 2 !== 0) r -= 1; // ties to even
  const v = BigInt(r);
  const t = qType(f);
  if (v < minValue(t) || v > maxValue(t)) {
    throw new RangeError(
      `${x} is outside ${qName(f)}: accepted ${Number(minValue(t)) / 2 ** f.fracBits} .. ${Number(maxValue(t)) / 2 ** f.fracBits}`,
    );
  }
  return v;
}

export function fromFixed(raw: bigint, fracBits: number): number {
  return Number(raw) / 2 ** fracBits;
}

/** x >> n and the rounding decision of round-to-nearest-even, before the add (a pipeline can register between). */
export interface RoundParts<T> {
  /** floor(x / 2^n): width w - n, x's signedness. */
  readonly floor: T;
  /** 1 bit: round up (guard and (sticky or lsb)). */
  readonly up: T;
}

/** The parts of dropping n >= 1 low bits of x with round-to-nearest-even. */
export function roundShiftParts<T extends Bits<T>>(A: Arith<T>, x: T, n: number): RoundParts<T> {
  if (n < 1 || n >= x.width) throw new RangeError(`cannot drop ${n} bits of a ${x.width}-bit value: accepted 1..${x.width - 1}`);
  const floor = x.shr(n);
  const guard = x.bit(n - 1);
  const sticky = n >= 2 ? x.slice(n - 2, 0).orR() : A.lit(0, { width: 1, signed: false });
  const lsb = x.bit(n);
  return { floor, up: guard.and(sticky.or(lsb)) };
}

/** floor + up: width w - n + 1 (rounding up can carry). */
export function applyRound<T extends Bits<T>>(_A: Arith<T>, parts: RoundParts<T>): T {
  const { floor, up } = parts;
  const widened = floor.resize(floor.width + 1);
  return widened.add(floor.signed ? up.zext(2).asSigned() : up).trunc(floor.width + 1);
}

/**
 * Drop the n low bits of x with the given rounding.
 * - trunc: floor (arithmetic shift right); width w - n.
 * - rne: round to nearest, ties to even; width w - n + 1 (rounding up can carry).
 */
export function roundShift<T extends Bits<T>>(A: Arith<T>, x: T, n: number, mode: Rounding): T {
  if (n === 0) return x;
  if (n >= x.width) throw new RangeError(`cannot drop ${n} bits of a ${x.width}-bit value`);
  if (mode === 'trunc') return x.shr(n);
  return applyRound(A, roundShiftParts(A, x, n));
}

/** A narrowed value and whether the narrowing clamped it (1-bit unsigned flag). */
export interface Flagged<T> {
  readonly value: T;
  /** 1 when the value was outside the target type and was clamped to its nearest end. */
  readonly saturated: T;
}

/**
 * Clamp x into type t (same signedness as x) and narrow it to t's width; also say whether it
 * clamped. The range test looks at the bits above t's width (all copies of the sign, or all
 * zero when unsigned): a tree of ANDs and ORs rather than two wide comparisons.
 */
export function saturateFlagged<T extends Bits<T>>(A: Arith<T>, x: T, t: HwType): Flagged<T> {
  if (t.signed !== x.signed) throw new RangeError('saturate keeps signedness: cast first');
  if (t.width >= x.width) return { value: x.resize(t.width), saturated: A.lit(0, { width: 1, signed: false }) };
  const narrowed = x.trunc(t.width);
  const w = x.width;
  if (!x.signed) {
    const tooHigh = x.slice(w - 1, t.width).orR();
    return { value: A.mux(tooHigh, A.lit(maxValue(t), t), narrowed), saturated: tooHigh };
  }
  // Fits iff bits w-1 .. t.width-1 are all equal; the sign bit says which end to clamp to.
  const sign = x.bit(w - 1);
  const above = x.slice(w - 2, t.width - 1);
  const tooHigh = sign.not().and(above.orR());
  const tooLow = sign.and(above.andR().not());
  return {
    value: A.mux(tooHigh, A.lit(maxValue(t), t), A.mux(tooLow, A.lit(minValue(t), t), narrowed)),
    saturated: tooHigh.or(tooLow),
  };
}

/** Clamp x into type t (same signedness as x) and narrow it to t's width. */
export function saturate<T extends Bits<T>>(A: Arith<T>, x: T, t: HwType): T {
  return saturateFlagged(A, x, t).value;
}

/**
 * The named narrowing point of the datapath with its saturation flag: drop `dropFrac`
 * fraction bits with `mode` rounding, then saturate into `out`. The golden model and the
 * hardware both call this, so a saturation flag means the same thing in both.
 */
export function narrowFlagged<T extends Bits<T>>(A: Arith<T>, x: T, dropFrac: number, out: HwType, mode: Rounding = 'rne'): Flagged<T> {
  return saturateFlagged(A, roundShift(A, x, dropFrac, mode), out);
}

/**
 * The named narrowing point of the datapath: drop `dropFrac` fraction bits with `mode`
 * rounding, then saturate into `out`.
 */
export function narrow<T extends Bits<T>>(A: Arith<T>, x: T, dropFrac: number, out: HwType, mode: Rounding = 'rne'): T {
  return narrowFlagged(A, x, dropFrac, out, mode).value;
}
