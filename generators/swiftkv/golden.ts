/**
 * Bit-exact golden model of the SwiftKV lane: one query, one head.
 *
 * The datapath steps are generic functions over `Bits<T>`: the golden loop at the bottom runs
 * them on `Value`; the pipelined hardware (lane blocks) calls the very same functions on `Expr`
 * with pipeline registers between them. What differs, exactly:
 *   - products (q_i * k_i, c * dot, e * Y, e * v, e * Z, Y * r_m, the exp2 interpolation) are
 *     `mul` here and chains of DSP tiles in hardware (hdl/dsp.ts, wide-mul.ts), each checked
 *     against the exact product;
 *   - sums of products are exact here in any order, in hardware a pipelined tree by partial
 *     product class (exact too, so equal);
 *   - the reciprocal mantissa is an integer division here (`recipMantissa`) and a restoring
 *     divider in hardware (recip.ts), checked against it.
 * Every narrowing (rounding to nearest even, then saturation) is one of the named steps below,
 * in both.
 *
 * Per query (formats from numerics.ts; c = log2(e)/sqrt(d)):
 * Per token t (state m, Z, Y[0..d-1]; first token: m := s, so alpha = beta = 1):
 *   s    = narrow(c * narrowDot(sum_i q_i k_t,i))                     scoreStep
 *   'multiply' rescale (reference paper), maxStage:
 *     if s > m:  m_new = s, alpha = exp2(m - s), beta = 1           (new max: exp2 makes alpha)
 *     else:      m_new = m, alpha = 1, beta = exp2(s - m)           (tie s == m: alpha = beta = 1)
 *   'shift' rescale, maxStageShift (m is an integer):
 *     m_new = max(m, ceil(s)), alpha = 2^(m - m_new) (a right shift), beta = exp2(s - m_new)
 *   Z    = R(alpha * Z) + beta,   Y[j] = R(alpha * Y[j]) + R(beta * v_t,j)     accZ*, accY*
 *   where R() rounds (RNE) to the accumulator's fraction bits (exact when the factor is 1)
 *   and the sum saturates into the accumulator format (it cannot bind up to maxContext).
 * Once:
 *   p = floor(log2 Z_raw), r_m = recipMantissa(Z_raw)                1/Z ~ r_m 2^(zf - p - 17)
 *   o_j = narrow(Y[j] * r_m / 2^(p + ...))                           normFinish
 *
 * Saturation: each narrowing also reports whether it clamped; the flags of a query are ORed
 * per stage (saturation.ts) and compared with the hardware's status_sat.
 */
import { satMask } from './saturation.ts';
import type { Arith, Bits } from '../../hdl/arith.ts';
import { valueArith } from '../../hdl/arith.ts';
import { type HwType, u, typeName, fits } from '../../hdl/types.ts';
import { Value } from '../../hdl/value.ts';
import { type QFormat, type Flagged, type RoundParts, qType, qName, narrowFlagged, saturateFlagged, roundShiftParts } from '../../hdl/fixed.ts';
import { type LaneFormats, type LaneParamsInput, type Rescale, laneFormats, RECIP_BITS, ZM_BITS } from './numerics.ts';
import { type Exp2Lookup, exp2Fixed, valueLookup } from './exp2.ts';

// ---------------------------------------------------------------------------------------------
// Generic datapath steps (Bits<T>)
// ---------------------------------------------------------------------------------------------

/** The constant c = log2(e)/sqrt(d) (unsigned mantissa of the scale format). */
export function scaleLiteral<T extends Bits<T>>(A: Arith<T>, f: LaneFormats): T {
  return A.lit(f.scaleRaw, qType(f.scale));
}

/** Exact sum of products a_i * b_i (every add grows one bit), resized to `width` (a derived bound). */
export function dotExact<T extends Bits<T>>(_A: Arith<T>, a: readonly T[], b: readonly T[], width: number): T {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(`dotExact needs two non-empty vectors of one length, got ${a.length} and ${b.length}`);
  }
  let terms = a.map((x, i) => x.mul(b[i]!));
  while (terms.length > 1) {
    const next: T[] = [];
    for (let i = 0; i + 1 < terms.length; i += 2) next.push(terms[i]!.add(terms[i + 1]!));
    if (terms.length % 2 === 1) next.push(terms[terms.length - 1]!);
    terms = next;
  }
  return terms[0]!.resize(width);
}

/** dotNarrow = RNE(dot) to dotFracBits, saturated at the clip T (never binds unless the score saturates). */
export function narrowDot<T extends Bits<T>>(A: Arith<T>, dot: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, dot, f.dotAcc.fracBits - f.dotNarrow.fracBits, qType(f.dotNarrow), 'rne');
}

/** s = RNE(c * dotNarrow) to the score's fraction bits, saturated to the score format. */
export function scoreFromProduct<T extends Bits<T>>(A: Arith<T>, prod: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, prod, f.dotNarrow.fracBits + f.scale.fracBits - f.score.fracBits, qType(f.score), 'rne');
}

/** The whole score step: s = narrow(c * narrowDot(dot)); saturated if either narrowing clamped. */
export function scoreStep<T extends Bits<T>>(A: Arith<T>, dot: T, f: LaneFormats): Flagged<T> {
  const dn = narrowDot(A, dot, f);
  const sc = scoreFromProduct(A, dn.value.mul(scaleLiteral(A, f).zext(f.scale.intBits + f.scale.fracBits + 1).asSigned()), f);
  return { value: sc.value, saturated: dn.saturated.or(sc.saturated) };
}

export interface MaxStageOut<T> {
  /** The new running max. */
  readonly mNew: T;
  /** 1 when s > m (strictly): alpha = exp2(x), beta = 1; else alpha = 1, beta = exp2(x). */
  readonly sNew: T;
  /** The exp2 input, -|s - m| saturated into the exp2 input format (<= 0). */
  readonly x: T;
  /** 1 when that saturation clamped x. */
  readonly xSaturated: T;
}

/** MAX stage, 'multiply' rescale. `first` marks the first token: m is taken as s (sNew = 0, x = 0). */
export function maxStage<T extends Bits<T>>(A: Arith<T>, m: T, s: T, first: T, f: LaneFormats): MaxStageOut<T> {
  const mEff = A.mux(first, s, m);
  const sNew = s.gt(mEff);
  const mNew = A.mux(sNew, s, mEff);
  const x = exp2Input(A, mEff, s, sNew, f);
  return { mNew, sNew, x: x.value, xSaturated: x.saturated };
}

/** x = m - s when s is the new max, else s - m (both <= 0), saturated into the exp2 input format. */
export function exp2Input<T extends Bits<T>>(A: Arith<T>, m: T, s: T, sNew: T, f: LaneFormats): Flagged<T> {
  return saturateFlagged(A, A.mux(sNew, m.sub(s), s.sub(m)), qType(f.exp2In));
}

export interface MaxStageShiftOut<T> {
  readonly mNew: T;
  /** m_new - m (>= 0): the rescale right shift of Z and Y; unsigned. */
  readonly shift: T;
  /** The exp2 input s - m_new (<= 0), saturated: beta = exp2(x). */
  readonly x: T;
  readonly xSaturated: T;
}

/**
 * MAX stage, 'shift' rescale: the running max is an integer, m_new = max(m, ceil(s)).
 * First token: m := ceil(s), so shift = 0. alpha = 2^(m - m_new) is a right shift.
 */
export function maxStageShift<T extends Bits<T>>(A: Arith<T>, m: T, s: T, first: T, f: LaneFormats): MaxStageShiftOut<T> {
  const fs = f.score.fracBits;
  const mw = qType(f.max).width;
  const floor = s.shr(fs);
  const hasFrac = s.slice(fs - 1, 0).orR();
  const ceil = floor.resize(mw).add(hasFrac.zext(2).asSigned()).trunc(mw);
  const mEff = A.mux(first, ceil, m);
  const up = ceil.gt(mEff);
  const mNew = A.mux(up, ceil, mEff);
  const shift = mNew.sub(mEff).slice(f.shiftAmount.width - 1, 0);
  const x = exp2InputShift(A, s, mNew, f);
  return { mNew, shift, x: x.value, xSaturated: x.saturated };
}

/** The 'shift' rescale's exp2 input s - m_new (<= 0), saturated into the exp2 input format. */
export function exp2InputShift<T extends Bits<T>>(A: Arith<T>, s: T, mNew: T, f: LaneFormats): Flagged<T> {
  return saturateFlagged(A, s.sub(mNew.shl(f.score.fracBits)), qType(f.exp2In));
}

/** v (data format) aligned to the Y accumulator format, exactly: v * 2^(yFrac - dataFrac). */
export function alignToY<T extends Bits<T>>(_A: Arith<T>, v: T, f: LaneFormats): T {
  return v.shl(f.y.fracBits - f.data.fracBits).resize(qType(f.y).width);
}

/** e (UQ1.Fe) aligned to the Z format, exactly. */
export function alignToZ<T extends Bits<T>>(_A: Arith<T>, e: T, f: LaneFormats): T {
  return e.shl(f.z.fracBits - f.exp2Out.fracBits).resize(qType(f.z).width);
}

/** The ACC multiplier's operand, 'multiply' rescale: Y when s is the new max (alpha = e), else v. */
export function accYOperand<T extends Bits<T>>(A: Arith<T>, y: T, v: T, sNew: T, f: LaneFormats): T {
  return A.mux(sNew, y, alignToY(A, v, f));
}

/**
 * a + b + cin in one adder: ({a, 1} + {b, cin}) >> 1, the carry-in trick (cin is 1 bit). The
 * result is signed, one bit wider than the wider operand (never overflows).
 */
export function addWithCarry<T extends Bits<T>>(A: Arith<T>, a: T, b: T, cin: T): T {
  const w = Math.max(a.width + (a.signed ? 0 : 1), b.width + (b.signed ? 0 : 1)) + 1;
  const ext = (x: T): T => (x.signed ? x.sext(w) : x.zext(w).asSigned());
  const aa = A.cat(ext(a), A.lit(1, u(1))).asSigned();
  const bb = A.cat(ext(b), cin).asSigned();
  return aa.add(bb).shr(1).trunc(w);
}

/**
 * ACC finish for one Y[j], 'multiply' rescale, from the product prod = e * operand:
 *   sNew: Y' = RNE(e * Y) + v     else: Y' = Y + RNE(e * v)      saturated into Y.
 * RNE(e x) cannot leave Y's range (|e x| <= |x| and x is on Y's grid), so its rounding carry is
 * added with the addend in one adder: Y' = sat(floor(e x) + addend + roundUp).
 */
export function accYFinish<T extends Bits<T>>(A: Arith<T>, prod: T, y: T, v: T, sNew: T, f: LaneFormats): Flagged<T> {
  const parts = accParts(A, prod, f);
  return saturateFlagged(A, addWithCarry(A, parts.floor, A.mux(sNew, alignToY(A, v, f), y), parts.up), qType(f.y));
}

/** The rounding of e * x onto the accumulator's fraction bits, before its add: floor and round-up bit. */
export function accParts<T extends Bits<T>>(A: Arith<T>, prod: T, f: LaneFormats): RoundParts<T> {
  return roundShiftParts(A, prod, f.exp2Out.fracBits);
}

/** ACC stage for one Y[j], 'multiply' rescale (= RNE(alpha Y) + RNE(beta v) exactly). */
export function accYMultiply<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, sNew: T, f: LaneFormats): Flagged<T> {
  return accYFinish(A, e.mul(accYOperand(A, y, v, sNew, f)), y, v, sNew, f);
}

/**
 * ACC finish for Z, 'multiply' rescale, from prod = e * Z: sNew: RNE(e Z) + 1, else Z + e;
 * saturated. As for Y, the rounding carry joins the add.
 */
export function accZFinish<T extends Bits<T>>(A: Arith<T>, prod: T, z: T, e: T, sNew: T, f: LaneFormats): Flagged<T> {
  const zt = qType(f.z);
  const parts = accParts(A, prod, f);
  const w = Math.max(parts.floor.width, z.width);
  const base = A.mux(sNew, parts.floor.zext(w), z.zext(w));
  const one = A.lit(1n << BigInt(f.z.fracBits), zt);
  // The sum is >= 0: its signed bits read as unsigned are its value.
  return saturateFlagged(A, addWithCarry(A, base, A.mux(sNew, one, alignToZ(A, e, f)), sNew.and(parts.up)).asUnsigned(), zt);
}

export function accZMultiply<T extends Bits<T>>(A: Arith<T>, z: T, e: T, sNew: T, f: LaneFormats): Flagged<T> {
  return accZFinish(A, e.mul(z), z, e, sNew, f);
}

/** x >> k in parts, for a dynamic k: the floor, the guard bit (first bit shifted out) and the sticky bit (any bit below it). */
export interface ShiftParts<T> {
  readonly floor: T;
  readonly guard: T;
  readonly sticky: T;
}

/**
 * Step 1 of x / 2^k with rounding, for a dynamic k >= 0 (unsigned): floor = x >> k
 * (arithmetic), guard = bit k-1 of x, sticky = (bits k-2..0 of x) != 0. k is clamped to w + 1
 * (w = x's width): every k >= w + 1 gives floor = 0 or -1 with guard = sign and a sticky that
 * rounds the result to 0. The sticky bit is a mask test, so it runs beside the shifter.
 */
export function shiftParts<T extends Bits<T>>(A: Arith<T>, x: T, k: T): ShiftParts<T> {
  if (k.signed) throw new RangeError(`shiftParts: the shift amount must be unsigned, got ${typeName(k)}`);
  const w = x.width;
  const cap = w + 1;
  const kw = Math.max(1, cap.toString(2).length);
  const kc = k.width <= kw ? k.zext(kw) : A.mux(k.gt(cap), A.lit(cap, u(kw)), k.slice(kw - 1, 0));
  const x2 = x.shl(1); // bit i of x is bit i+1 of x2: t = x2 >> k keeps the guard bit at t[0]
  const t = x2.shrv(kc);
  const ones = A.lit((1n << BigInt(w + 1)) - 1n, u(w + 1));
  const below = ones.shlv(kc).not(); // bits 0..k-1 set: the bits of x2 shifted out
  const sticky = x2.asUnsigned().and(below).orR();
  return { floor: t.shr(1), guard: t.bit(0), sticky };
}

/** Step 2: round the parts to nearest, ties to even; the result has x's type. */
export function roundParts<T extends Bits<T>>(_A: Arith<T>, parts: ShiftParts<T>, width: number): T {
  const { floor, guard, sticky } = parts;
  const up = guard.and(sticky.or(floor.bit(0)));
  return floor.add(floor.signed ? up.zext(2).asSigned() : up).trunc(width);
}

/** x / 2^k rounded to nearest, ties to even, for a dynamic k >= 0 (unsigned); x's type. */
export function shiftRightRne<T extends Bits<T>>(A: Arith<T>, x: T, k: T): T {
  return roundParts(A, shiftParts(A, x, k), x.width);
}

/** RNE(e * v) in the Y format: the 'shift' rescale's beta * v. */
export function betaV<T extends Bits<T>>(A: Arith<T>, prod: T, f: LaneFormats): T {
  return narrowFlagged(A, prod, f.exp2Out.fracBits, qType(f.y), 'rne').value;
}

/** ACC for Y, 'shift' rescale, last step: Y' = (RNE(Y >> shift)) + RNE(e v), saturated. */
export function accShiftAdd<T extends Bits<T>>(A: Arith<T>, shifted: T, addend: T, t: HwType): Flagged<T> {
  return saturateFlagged(A, shifted.add(addend), t);
}

/** ACC for Y, 'shift' rescale: Y' = RNE(Y >> shift) + RNE(e v), saturated; prod = e * alignToY(v). */
export function accYShift<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, shift: T, f: LaneFormats): Flagged<T> {
  return accShiftAdd(A, shiftRightRne(A, y, shift), betaV(A, e.mul(alignToY(A, v, f)), f), qType(f.y));
}

/** ACC for Z, 'shift' rescale: Z' = RNE(Z >> shift) + e, saturated. */
export function accZShift<T extends Bits<T>>(A: Arith<T>, z: T, e: T, shift: T, f: LaneFormats): Flagged<T> {
  return accShiftAdd(A, shiftRightRne(A, z, shift), alignToZ(A, e, f), qType(f.z));
}

/** Bits dropped by the output narrowing beyond p: RECIP_BITS + yFrac - zFrac - dataFrac. */
export function normDropBase(f: LaneFormats): number {
  return RECIP_BITS + f.y.fracBits - f.z.fracBits - f.out.fracBits;
}

/**
 * NORM, step 1: Y * r_m * 2^(range) >> lead, with range = zLead.max - zLead.min and lead =
 * p - zLead.min: the variable part of the shift, done first so every shifted-out bit is kept.
 */
export function normShift<T extends Bits<T>>(_A: Arith<T>, prod: T, lead: T, f: LaneFormats): T {
  const range = f.zLead.max - f.zLead.min;
  return range > 0 ? prod.shl(range).shrv(lead) : prod;
}

/** NORM, step 2: the fixed number of bits the output narrowing drops after normShift. */
export function normDrop(f: LaneFormats): number {
  return f.zLead.max + normDropBase(f);
}

/** NORM: o = RNE(Y * r_m / 2^(p + normDropBase)), saturated to the output format. */
export function normFinish<T extends Bits<T>>(A: Arith<T>, prod: T, lead: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, normShift(A, prod, lead, f), normDrop(f), qType(f.out), 'rne');
}

// ---------------------------------------------------------------------------------------------
// The reciprocal mantissa (integers)
// ---------------------------------------------------------------------------------------------

/** p = floor(log2 zRaw): the position of Z's leading one. */
export function zLeadingOne(zRaw: bigint): number {
  if (zRaw <= 0n) throw new RangeError(`Z = ${zRaw} (raw) must be positive`);
  return zRaw.toString(2).length - 1;
}

/** Round-to-nearest-even of n / d for n, d > 0. */
export function divRne(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n - q * d;
  return 2n * r > d || (2n * r === d && (q & 1n) === 1n) ? q + 1n : q;
}

/**
 * r_m = min(RNE(2^(ZM_BITS - 1 + RECIP_BITS) / Zm), 2^RECIP_BITS - 1), where Zm is the top
 * ZM_BITS bits of zRaw from its leading one (the bits below are dropped), in
 * [2^(ZM_BITS-1), 2^ZM_BITS): a RECIP_BITS-bit mantissa of 1/Z (1/Z ~ r_m * 2^(zFrac - p -
 * RECIP_BITS)). The restoring divider in recip.ts computes exactly this.
 */
export function recipMantissa(zRaw: bigint, _f: LaneFormats): bigint {
  const p = zLeadingOne(zRaw);
  const zm = p >= ZM_BITS - 1 ? zRaw >> BigInt(p - (ZM_BITS - 1)) : zRaw << BigInt(ZM_BITS - 1 - p);
  const r = divRne(1n << BigInt(ZM_BITS - 1 + RECIP_BITS), zm);
  const cap = (1n << BigInt(RECIP_BITS)) - 1n;
  return r > cap ? cap : r;
}

// ---------------------------------------------------------------------------------------------
// Golden model (Value)
// ---------------------------------------------------------------------------------------------

/** Bits of the saturation mask (saturation.ts defines the stages and their meaning). */
/** Mask bit of each saturation stage (saturation.ts). */
export const SAT = { score: satMask(['score']), exp2in: satMask(['exp2in']), acc: satMask(['acc']), out: satMask(['out']) } as const;

export interface GoldenOptions extends Partial<Omit<LaneParamsInput, 'headDim'>> {
  readonly headDim?: number;
  readonly rescale?: Rescale;
  /** Record per-token state and the final Z, r_m, Y. */
  readonly trace?: boolean;
}

export interface TokenTrace {
  readonly s: bigint;
  readonly m: bigint;
  readonly sNew: number;
  readonly shift: number;
  readonly x: bigint;
  readonly e: bigint;
  readonly z: bigint;
}

export interface GoldenTrace {
  readonly formats: LaneFormats;
  readonly tokens: TokenTrace[];
  readonly z: bigint;
  readonly lead: number;
  readonly recip: bigint;
  readonly y: bigint[];
}

export interface GoldenResult {
  /** Output o, raw in the data format (Q15.17 by default). */
  readonly o: bigint[];
  /** Saturation mask of the query (SAT bits). */
  readonly sat: number;
  readonly trace?: GoldenTrace;
}

function checkRaw(what: string, raw: bigint, t: HwType, fmt: QFormat): void {
  if (typeof raw !== 'bigint') throw new TypeError(`${what} must be a bigint raw value, got ${typeof raw}`);
  if (!fits(raw, t)) throw new RangeError(`${what} = ${raw} does not fit the data format ${qName(fmt)} (${typeName(t)})`);
}

/**
 * Bit-exact SwiftKV attention for one query and one head. q: d raw values; k, v: L rows of d
 * raw values (data format). Returns o (d raw values) and the saturation mask.
 */
export function goldenAttention(q: readonly bigint[], k: readonly (readonly bigint[])[], v: readonly (readonly bigint[])[], options: GoldenOptions = {}): GoldenResult {
  const d = q.length;
  const f = laneFormats({ ...options, headDim: options.headDim ?? d });
  if (d !== f.params.headDim) throw new RangeError(`q has ${d} elements but headDim = ${f.params.headDim}`);
  const L = k.length;
  if (L < 1 || L > f.params.maxContext) throw new RangeError(`context length L = ${L} is out of range: accepted 1..${f.params.maxContext} (maxContext)`);
  if (v.length !== L) throw new RangeError(`k has ${L} rows but v has ${v.length}: accepted equal counts`);
  const dt = qType(f.data);
  for (let i = 0; i < d; i++) checkRaw(`q[${i}]`, q[i]!, dt, f.data);
  for (let t = 0; t < L; t++) {
    if (k[t]!.length !== d) throw new RangeError(`k[${t}] has ${k[t]!.length} elements: accepted ${d} (headDim)`);
    if (v[t]!.length !== d) throw new RangeError(`v[${t}] has ${v[t]!.length} elements: accepted ${d} (headDim)`);
    for (let i = 0; i < d; i++) {
      checkRaw(`k[${t}][${i}]`, k[t]![i]!, dt, f.data);
      checkRaw(`v[${t}][${i}]`, v[t]![i]!, dt, f.data);
    }
  }

  const A = valueArith;
  const lookup: Exp2Lookup<Value> = valueLookup(f.params.exp2);
  const qv = q.map((x) => Value.of(x, dt));
  const dotW = qType(f.dotAcc).width;
  let sat = 0;
  const flag = (bit: number, v: Value): void => {
    if (v.isTrue()) sat |= bit;
  };

  let m = A.lit(0, qType(f.max));
  let z = A.lit(0, qType(f.z));
  const y: Value[] = Array.from({ length: d }, () => A.lit(0, qType(f.y)));
  const tokens: TokenTrace[] = [];
  const one = A.lit(1, u(1));
  const zero = A.lit(0, u(1));

  for (let t = 0; t < L; t++) {
    const kt = k[t]!.map((x) => Value.of(x, dt));
    const vt = v[t]!.map((x) => Value.of(x, dt));
    const sc = scoreStep(A, dotExact(A, qv, kt, dotW), f);
    flag(SAT.score, sc.saturated);
    const s = sc.value;
    const first = t === 0 ? one : zero;
    if (f.params.rescale === 'multiply') {
      const st = maxStage(A, m, s, first, f);
      flag(SAT.exp2in, st.xSaturated);
      const e = exp2Fixed(A, st.x, lookup, f.params.exp2);
      const zr = accZMultiply(A, z, e, st.sNew, f);
      flag(SAT.acc, zr.saturated);
      z = zr.value;
      for (let j = 0; j < d; j++) {
        const yr = accYMultiply(A, y[j]!, vt[j]!, e, st.sNew, f);
        flag(SAT.acc, yr.saturated);
        y[j] = yr.value;
      }
      m = st.mNew;
      if (options.trace) tokens.push({ s: s.toBigInt(), m: m.toBigInt(), sNew: Number(st.sNew.toBigInt()), shift: 0, x: st.x.toBigInt(), e: e.toBigInt(), z: z.toBigInt() });
    } else {
      const st = maxStageShift(A, m, s, first, f);
      flag(SAT.exp2in, st.xSaturated);
      const e = exp2Fixed(A, st.x, lookup, f.params.exp2);
      const zr = accZShift(A, z, e, st.shift, f);
      flag(SAT.acc, zr.saturated);
      z = zr.value;
      for (let j = 0; j < d; j++) {
        const yr = accYShift(A, y[j]!, vt[j]!, e, st.shift, f);
        flag(SAT.acc, yr.saturated);
        y[j] = yr.value;
      }
      m = st.mNew;
      if (options.trace) tokens.push({ s: s.toBigInt(), m: m.toBigInt(), sNew: 0, shift: Number(st.shift.toBigInt()), x: st.x.toBigInt(), e: e.toBigInt(), z: z.toBigInt() });
    }
  }

  const zRaw = z.toBigInt();
  if (zRaw < 1n << BigInt(f.z.fracBits - 1)) {
    throw new Error(`internal: Z = ${zRaw} (raw) is below 1/2; the reciprocal would overflow`);
  }
  const p = zLeadingOne(zRaw);
  const rm = recipMantissa(zRaw, f);
  const rmV = Value.of(rm, f.recipMant).zext(RECIP_BITS + 1).asSigned();
  const lead = Value.of(p - f.zLead.min, u(Math.max(1, (f.zLead.max - f.zLead.min).toString(2).length)));
  const o = y.map((yj) => {
    const r = normFinish(A, yj.mul(rmV), lead, f);
    flag(SAT.out, r.saturated);
    return r.value.toBigInt();
  });
  if (!options.trace) return { o, sat };
  return { o, sat, trace: { formats: f, tokens, z: zRaw, lead: p, recip: rm, y: y.map((x) => x.toBigInt()) } };
}
