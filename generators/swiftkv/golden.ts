/**
 * Bit-exact golden models of the SwiftKV lane: one query, one head (DESIGN.md §2, §3).
 *
 * The datapath steps are generic functions over `Bits<T>` (`Arith<T>`), so the hardware
 * generator builds the circuit from the very same functions on `Expr`; the golden loop at the
 * bottom only sequences them on `Value`. Every narrowing is a named step below, using
 * round-to-nearest-even (RNE) and saturation from hdl/fixed.ts. Formats come from
 * `laneFormats()` (numerics.ts), where the widths are derived.
 *
 * Per query:
 *   q'_i = narrow(q_i * c)                                     scaleQuery
 * Per token t (state m, Z, Y[0..d-1]; first token: m := s, so alpha = beta = 1):
 *   s    = narrow(sum_i q'_i * k_t,i)                          dotExact + narrowScore
 *   'multiply' rescale (reference paper), maxStage:
 *     if s > m:  m_new = s, alpha = exp2(m - s), beta = 1      (new max: the exp2 unit makes alpha)
 *     else:      m_new = m, alpha = 1, beta = exp2(s - m)      (tie s == m: alpha = beta = 1)
 *   'shift' rescale, maxStageShift (m is an integer):
 *     m_new = max(m, ceil(s)),  alpha = 2^(m - m_new) (a right shift by m_new - m),
 *     beta  = exp2(s - m_new):  s - m_new in (-1, 0] when ceil(s) >= m (the max moves to ceil(s)),
 *                               s - m_new <= -1 when ceil(s) < m (m_new = m >= ceil(s) + 1)
 *   Z    = R(alpha * Z) + beta                                 accZ*
 *   Y[j] = R(alpha * Y[j]) + R(beta * v_t,j)                   accY*
 *   where R() is RNE onto the accumulator's fraction bits (exact when the factor is 1), and
 *   the sum saturates into the accumulator format (never binds up to maxContext tokens).
 * Once:
 *   r    = RNE(2^(recipFrac + zFrac) / Z_raw)                  recipStart / recipStep / recipFinish
 *   o_j  = narrow(Y[j] * r)  (RNE + saturation to the data format)   normalizeOutput
 */
import type { Arith, Bits } from '../../hdl/arith.ts';
import { valueArith } from '../../hdl/arith.ts';
import { type HwType, u, typeName, fits } from '../../hdl/types.ts';
import { Value } from '../../hdl/value.ts';
import { type QFormat, type Flagged, qType, qName, narrowFlagged, saturateFlagged } from '../../hdl/fixed.ts';
import { type LaneFormats, type LaneParamsInput, type Rescale, laneFormats } from './numerics.ts';
import { type Exp2Config, type Exp2Lookup, exp2Fixed, valueLookup } from './exp2.ts';
import { satMask, type SatStageName } from './saturation.ts';

// ---------------------------------------------------------------------------------------------
// Generic datapath steps (Bits<T>)
// ---------------------------------------------------------------------------------------------

function exp2Config(f: LaneFormats): Exp2Config {
  return f.params.exp2;
}

/** q' = narrow(q * c): exact s(w) x s(32) product, drop scaleFracBits (RNE), saturate to data. */
export function scaleQueryFlagged<T extends Bits<T>>(A: Arith<T>, q: T, c: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, q.mul(c), f.scale.fracBits, qType(f.qScaled), 'rne');
}

export function scaleQuery<T extends Bits<T>>(A: Arith<T>, q: T, c: T, f: LaneFormats): T {
  return scaleQueryFlagged(A, q, c, f).value;
}

/** OR of two saturation flags (1 bit each). */
function either<T extends Bits<T>>(a: T, b: T): T {
  return a.or(b);
}

/** The constant c = log2(e)/sqrt(d) as a literal of the scale format. */
export function scaleLiteral<T extends Bits<T>>(A: Arith<T>, f: LaneFormats): T {
  return A.lit(f.scaleRaw, qType(f.scale));
}

/**
 * Exact sum of products a_i * b_i (balanced adder tree; every add grows by one bit, so nothing
 * is lost), resized to `width` bits. The caller chooses `width` from the derived bound
 * (dotPartial for P terms, dotAcc for d terms): resizing is then exact.
 */
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

/** DOT accumulator step across cycles: acc + partial, exact within `width` bits (derived bound). */
export function dotAccumulate<T extends Bits<T>>(_A: Arith<T>, acc: T, partial: T, width: number): T {
  return acc.add(partial).resize(width);
}

/** s = narrow(dot): drop 2*dataFrac - scoreFrac fraction bits (RNE), saturate to the score format. */
export function narrowScoreFlagged<T extends Bits<T>>(A: Arith<T>, dot: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, dot, f.dotAcc.fracBits - f.score.fracBits, qType(f.score), 'rne');
}

export function narrowScore<T extends Bits<T>>(A: Arith<T>, dot: T, f: LaneFormats): T {
  return narrowScoreFlagged(A, dot, f).value;
}

export interface MaxStageOut<T> {
  /** The new running max. */
  readonly mNew: T;
  /** 1 when s > m (strictly): alpha = exp2(x), beta = 1; else alpha = 1, beta = exp2(x). */
  readonly sNew: T;
  /** The exp2 input, -|s - m| saturated into the exp2 input format (<= 0). */
  readonly x: T;
  /** 1 when that saturation clamped x. */
  readonly xSat: T;
}

/**
 * MAX stage, 'multiply' rescale. `first` (1 bit) marks the first token: m is taken as s, so
 * sNew = 0 and x = 0 (alpha = beta = 1). Ties (s == m) keep m: sNew = 0, x = 0, beta = 1.
 */
export function maxStage<T extends Bits<T>>(A: Arith<T>, m: T, s: T, first: T, f: LaneFormats): MaxStageOut<T> {
  const mEff = A.mux(first, s, m);
  const sNew = s.gt(mEff);
  const mNew = A.mux(sNew, s, mEff);
  // x = m - s when s is the new max, else s - m: both <= 0. One type for the two arms.
  const diff = A.mux(sNew, mEff.sub(s), s.sub(mEff));
  const x = saturateFlagged(A, diff, qType(f.exp2In));
  return { mNew, sNew, x: x.value, xSat: x.saturated };
}

export interface MaxStageShiftOut<T> {
  /** The new running max (an integer). */
  readonly mNew: T;
  /** m_new - m (>= 0): the rescale right shift of Z and Y; unsigned. */
  readonly shift: T;
  /** The exp2 input s - m_new (<= 0), saturated into the exp2 input format: beta = exp2(x). */
  readonly x: T;
  /** 1 when that saturation clamped x. */
  readonly xSat: T;
}

/**
 * MAX stage, 'shift' rescale: the running max is an integer, m_new = max(m, ceil(s)).
 * ceil(s) = floor(s) + (fraction bits of s != 0). First token: m := ceil(s), so shift = 0.
 * alpha = 2^(m - m_new) is a right shift by `shift`; beta = exp2(s - m_new) with
 * s - m_new in (-1, 0] when ceil(s) >= m, and s - m_new <= -1 when ceil(s) < m. Both alpha
 * and beta may differ from 1 at once, but alpha is a shift: still one exp2 unit.
 */
export function maxStageShift<T extends Bits<T>>(A: Arith<T>, m: T, s: T, first: T, f: LaneFormats): MaxStageShiftOut<T> {
  const fs = f.score.fracBits;
  const mw = qType(f.max).width;
  const floor = s.shr(fs); // signed score.intBits
  const hasFrac = s.slice(fs - 1, 0).orR();
  const ceil = floor.resize(mw).add(hasFrac.zext(2).asSigned()).trunc(mw); // ceil(s) fits: derived in numerics
  const mEff = A.mux(first, ceil, m);
  const up = ceil.gt(mEff);
  const mNew = A.mux(up, ceil, mEff);
  const shift = mNew.sub(mEff).slice(f.shiftAmount.width - 1, 0); // >= 0 and < 2^mw
  const x = saturateFlagged(A, s.sub(mNew.shl(fs)), qType(f.exp2In));
  return { mNew, shift, x: x.value, xSat: x.saturated };
}

/** The exp2 unit on the lane's formats (see exp2.ts). */
export function exp2Stage<T extends Bits<T>>(A: Arith<T>, x: T, lookup: Exp2Lookup<T>, f: LaneFormats): T {
  return exp2Fixed(A, x, lookup, exp2Config(f));
}

/** v (data format) aligned to the Y accumulator format, exactly: v * 2^(yFrac - dataFrac). */
export function alignToY<T extends Bits<T>>(_A: Arith<T>, v: T, f: LaneFormats): T {
  return v.shl(f.y.fracBits - f.data.fracBits).resize(qType(f.y).width);
}

/**
 * ACC stage for Z, 'multiply' rescale, one multiplier:
 *   sNew: Z' = RNE(e * Z) + 1    (alpha = e, beta = 1)
 *   else: Z' = Z + e             (alpha = 1, beta = e; exact)
 * equal to Z' = RNE(alpha * Z) + beta since multiplying by exactly 1 is exact. e is UQ1.F,
 * Z is UQ(zInt).F: the product has 2F fraction bits; RNE drops F. Saturates into Z.
 */
export function accZMultiplyFlagged<T extends Bits<T>>(A: Arith<T>, z: T, e: T, sNew: T, f: LaneFormats): Flagged<T> {
  const zt = qType(f.z);
  const F = f.exp2Out.fracBits;
  const scaled = narrowFlagged(A, e.mul(z), F, zt, 'rne');
  const one = A.lit(1n << BigInt(F), qType(f.exp2Out));
  const sum = saturateFlagged(A, A.mux(sNew, scaled.value, z).add(A.mux(sNew, one, e)), zt);
  // The product is used (and can clamp) only when sNew.
  return { value: sum.value, saturated: either(sNew.and(scaled.saturated), sum.saturated) };
}

export function accZMultiply<T extends Bits<T>>(A: Arith<T>, z: T, e: T, sNew: T, f: LaneFormats): T {
  return accZMultiplyFlagged(A, z, e, sNew, f).value;
}

/**
 * ACC stage for one Y[j], 'multiply' rescale, one multiplier per element:
 *   sNew: Y' = RNE(e * Y) + v    (alpha = e, beta = 1)
 *   else: Y' = Y + RNE(e * v)    (alpha = 1, beta = e)
 * = RNE(alpha * Y) + RNE(beta * v) exactly (a factor of exactly 1 needs no rounding). The
 * multiplier operand is a mux of Y and v aligned to Y's format; e (UQ1.F) x Y-format gives
 * F + yFrac fraction bits, RNE drops F. Saturates into Y.
 */
export function accYMultiplyFlagged<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, sNew: T, f: LaneFormats): Flagged<T> {
  const yt = qType(f.y);
  const F = f.exp2Out.fracBits;
  const vy = alignToY(A, v, f);
  const operand = A.mux(sNew, y, vy);
  const scaled = narrowFlagged(A, e.mul(operand), F, yt, 'rne');
  const addend = A.mux(sNew, vy, y);
  const sum = saturateFlagged(A, scaled.value.add(addend), yt);
  return { value: sum.value, saturated: either(scaled.saturated, sum.saturated) };
}

export function accYMultiply<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, sNew: T, f: LaneFormats): T {
  return accYMultiplyFlagged(A, y, v, e, sNew, f).value;
}

/**
 * x / 2^k rounded to nearest, ties to even, for a dynamic k >= 0 (unsigned, any width);
 * result has x's type. Exact RNE with the full sticky bit:
 *   t = (2x) >> k           (arithmetic for signed) so t = floor(x / 2^(k-1)) for k >= 1
 *   floor = t >> 1,  guard = t[0],  sticky = ((t << k) != 2x)   (bits of x below k - 1)
 * k = 0 gives guard = sticky = 0 (x unchanged). k is clamped to w + 1 (w = x's width): every
 * k >= w + 1 rounds to 0 (|x| / 2^k < 1/2), so the barrel shifter needs only clog2(w + 2) bits.
 * |result| <= |x|, so it fits x's width.
 */
export function shiftRightRne<T extends Bits<T>>(A: Arith<T>, x: T, k: T): T {
  if (k.signed) throw new RangeError(`shiftRightRne: the shift amount must be unsigned, got ${typeName(k)}`);
  const w = x.width;
  const cap = w + 1;
  const kw = Math.max(1, (cap).toString(2).length);
  let kc: T;
  if (k.width <= kw) {
    kc = k.zext(kw);
  } else {
    kc = A.mux(k.gt(cap), A.lit(cap, u(kw)), k.slice(kw - 1, 0));
  }
  const x2 = x.shl(1);
  const t = x2.shrv(kc);
  const guard = t.bit(0);
  const floor = t.shr(1);
  const sticky = t.shlv(kc).ne(x2);
  const up = guard.and(sticky.or(floor.bit(0)));
  return floor.add(x.signed ? up.zext(2).asSigned() : up).trunc(w);
}

/** ACC stage for Z, 'shift' rescale: Z' = RNE(Z >> shift) + e. Saturates into Z. */
export function accZShiftFlagged<T extends Bits<T>>(A: Arith<T>, z: T, e: T, shift: T, f: LaneFormats): Flagged<T> {
  return saturateFlagged(A, shiftRightRne(A, z, shift).add(e), qType(f.z));
}

export function accZShift<T extends Bits<T>>(A: Arith<T>, z: T, e: T, shift: T, f: LaneFormats): T {
  return accZShiftFlagged(A, z, e, shift, f).value;
}

/** ACC stage for one Y[j], 'shift' rescale: Y' = RNE(Y >> shift) + RNE(e * v). Saturates into Y. */
export function accYShiftFlagged<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, shift: T, f: LaneFormats): Flagged<T> {
  const yt = qType(f.y);
  const bv = narrowFlagged(A, e.mul(alignToY(A, v, f)), f.exp2Out.fracBits, yt, 'rne');
  const sum = saturateFlagged(A, shiftRightRne(A, y, shift).add(bv.value), yt);
  return { value: sum.value, saturated: either(bv.saturated, sum.saturated) };
}

export function accYShift<T extends Bits<T>>(A: Arith<T>, y: T, v: T, e: T, shift: T, f: LaneFormats): T {
  return accYShiftFlagged(A, y, v, e, shift, f).value;
}

export interface RecipState<T> {
  /** Partial remainder, < Z (Z's width). */
  readonly rem: T;
  /** Quotient bits so far (recip width; the bits above it are always 0 because Z >= 1/2). */
  readonly quot: T;
}

/**
 * Restoring division N / Z with N = 2^K, K = recipSteps: the leading 1 of N is taken into the
 * remainder at the start (quotient bit 0, valid since Z_raw >= 2), then K steps shift in the
 * zero bits of N, one quotient bit per step.
 */
export function recipStart<T extends Bits<T>>(A: Arith<T>, f: LaneFormats): RecipState<T> {
  return { rem: A.lit(1, qType(f.z)), quot: A.lit(0, qType(f.recip)) };
}

export function recipStep<T extends Bits<T>>(A: Arith<T>, st: RecipState<T>, z: T): RecipState<T> {
  const zw = z.width;
  const rem2 = st.rem.shl(1); // < 2Z: zw + 1 bits
  const ge = rem2.ge(z);
  const rem = A.mux(ge, rem2.sub(z).trunc(zw), rem2.trunc(zw));
  const quot = st.quot.shl(1).or(ge.zext(st.quot.width + 1)).trunc(st.quot.width);
  return { rem, quot };
}

/** RNE from the remainder: round up when 2 rem > Z, or 2 rem == Z and the quotient is odd. */
export function recipFinish<T extends Bits<T>>(_A: Arith<T>, st: RecipState<T>, z: T): T {
  const rem2 = st.rem.shl(1);
  const up = rem2.gt(z).or(rem2.eq(z).and(st.quot.bit(0)));
  return st.quot.add(up).trunc(st.quot.width);
}

/** o = narrow(Y * r): drop yFrac + recipFrac - outFrac fraction bits (RNE), saturate to the output format. */
export function normalizeOutputFlagged<T extends Bits<T>>(A: Arith<T>, y: T, r: T, f: LaneFormats): Flagged<T> {
  return narrowFlagged(A, y.mul(r), f.y.fracBits + f.recip.fracBits - f.out.fracBits, qType(f.out), 'rne');
}

export function normalizeOutput<T extends Bits<T>>(A: Arith<T>, y: T, r: T, f: LaneFormats): T {
  return normalizeOutputFlagged(A, y, r, f).value;
}

// ---------------------------------------------------------------------------------------------
// Golden model (Value)
// ---------------------------------------------------------------------------------------------

export interface GoldenOptions extends Partial<Omit<LaneParamsInput, 'headDim'>> {
  readonly headDim?: number;
  readonly rescale?: Rescale;
  /** Record per-token state (s, m, exp2 input/output, Z) and the final Z, 1/Z, Y. */
  readonly trace?: boolean;
}

export interface TokenTrace {
  /** Score s (raw, score format). */
  readonly s: bigint;
  /** Running max after this token (raw, max format). */
  readonly m: bigint;
  /** 'multiply': 1 if s > m (alpha = e); 'shift': unused (0). */
  readonly sNew: number;
  /** 'shift': the rescale shift m_new - m; 'multiply': 0. */
  readonly shift: number;
  /** exp2 input (raw, exp2In format) and output (raw, UQ1.F). */
  readonly x: bigint;
  readonly e: bigint;
  /** Z after this token (raw). */
  readonly z: bigint;
}

export interface GoldenTrace {
  readonly formats: LaneFormats;
  readonly qScaled: bigint[];
  readonly tokens: TokenTrace[];
  readonly z: bigint;
  readonly recip: bigint;
  readonly y: bigint[];
}

export interface GoldenResult {
  /** Output o, raw in the data format (Q15.17 by default). */
  readonly o: bigint[];
  /** The lane's status_sat for this query: bit i = SAT_STAGES[i] clamped a value (saturation.ts). */
  readonly sat: number;
  readonly trace?: GoldenTrace;
}

function checkRaw(what: string, raw: bigint, t: HwType, fmt: QFormat): void {
  if (typeof raw !== 'bigint') throw new TypeError(`${what} must be a bigint raw value, got ${typeof raw}`);
  if (!fits(raw, t)) {
    throw new RangeError(`${what} = ${raw} does not fit the data format ${qName(fmt)} (${typeName(t)})`);
  }
}

/**
 * Bit-exact SwiftKV attention for one query and one head. q: d raw values; k, v: L rows of d
 * raw values (data format, Q15.17 by default). Returns o (d raw values, data format).
 * `options.rescale` selects the golden model: 'multiply' (default, the reference paper) or
 * 'shift'. 1 <= L <= maxContext.
 */
export function goldenAttention(q: readonly bigint[], k: readonly (readonly bigint[])[], v: readonly (readonly bigint[])[], options: GoldenOptions = {}): GoldenResult {
  const d = q.length;
  const f = laneFormats({ ...options, headDim: options.headDim ?? d });
  if (d !== f.params.headDim) throw new RangeError(`q has ${d} elements but headDim = ${f.params.headDim}`);
  const L = k.length;
  if (L < 1 || L > f.params.maxContext) {
    throw new RangeError(`context length L = ${L} is out of range: accepted 1..${f.params.maxContext} (maxContext)`);
  }
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
  const lookup = valueLookup(f.params.exp2);
  const rescale = f.params.rescale;
  const c = scaleLiteral(A, f);
  // Stages that clamped a value during this query (status_sat, saturation.ts).
  const sat = new Set<SatStageName>();
  const flag = (stage: SatStageName, saturated: Value): void => {
    if (saturated.isTrue()) sat.add(stage);
  };
  const qp = q.map((x) => {
    const r = scaleQueryFlagged(A, Value.of(x, dt), c, f);
    flag('qscale', r.saturated);
    return r.value;
  });
  const dotW = qType(f.dotAcc).width;

  let m = A.lit(0, qType(f.max));
  let z = A.lit(0, qType(f.z));
  const y: Value[] = Array.from({ length: d }, () => A.lit(0, qType(f.y)));
  const tokens: TokenTrace[] = [];
  const one = A.lit(1, u(1));
  const zero = A.lit(0, u(1));
  const accumulate = (r: Flagged<Value>): Value => {
    flag('acc', r.saturated);
    return r.value;
  };

  for (let t = 0; t < L; t++) {
    const kt = k[t]!.map((x) => Value.of(x, dt));
    const vt = v[t]!.map((x) => Value.of(x, dt));
    const sf = narrowScoreFlagged(A, dotExact(A, qp, kt, dotW), f);
    flag('score', sf.saturated);
    const s = sf.value;
    const first = t === 0 ? one : zero;
    if (rescale === 'multiply') {
      const st = maxStage(A, m, s, first, f);
      flag('exp2in', st.xSat);
      const e = exp2Stage(A, st.x, lookup, f);
      z = accumulate(accZMultiplyFlagged(A, z, e, st.sNew, f));
      for (let j = 0; j < d; j++) y[j] = accumulate(accYMultiplyFlagged(A, y[j]!, vt[j]!, e, st.sNew, f));
      m = st.mNew;
      if (options.trace) {
        tokens.push({ s: s.toBigInt(), m: m.toBigInt(), sNew: Number(st.sNew.toBigInt()), shift: 0, x: st.x.toBigInt(), e: e.toBigInt(), z: z.toBigInt() });
      }
    } else {
      const st = maxStageShift(A, m, s, first, f);
      flag('exp2in', st.xSat);
      const e = exp2Stage(A, st.x, lookup, f);
      z = accumulate(accZShiftFlagged(A, z, e, st.shift, f));
      for (let j = 0; j < d; j++) y[j] = accumulate(accYShiftFlagged(A, y[j]!, vt[j]!, e, st.shift, f));
      m = st.mNew;
      if (options.trace) {
        tokens.push({ s: s.toBigInt(), m: m.toBigInt(), sNew: 0, shift: Number(st.shift.toBigInt()), x: st.x.toBigInt(), e: e.toBigInt(), z: z.toBigInt() });
      }
    }
  }

  // Z >= 1/2 is an invariant of both rescale modes (numerics.ts); the divider relies on it.
  if (z.toBigInt() < 1n << BigInt(f.z.fracBits - 1)) {
    throw new Error(`internal: Z = ${z.toBigInt()} (raw) is below 1/2; the reciprocal would overflow ${qName(f.recip)}`);
  }
  let rs = recipStart(A, f);
  for (let i = 0; i < f.recipSteps; i++) rs = recipStep(A, rs, z);
  const r = recipFinish(A, rs, z);
  const o = y.map((yj) => {
    const of = normalizeOutputFlagged(A, yj, r, f);
    flag('out', of.saturated);
    return of.value.toBigInt();
  });

  if (!options.trace) return { o, sat: satMask(sat) };
  return {
    o,
    sat: satMask(sat),
    trace: {
      formats: f,
      qScaled: qp.map((x) => x.toBigInt()),
      tokens,
      z: z.toBigInt(),
      recip: r.toBigInt(),
      y: y.map((x) => x.toBigInt()),
    },
  };
}

/** The reciprocal specification on integers: RNE(2^K / zRaw), K = recipSteps (reference for the divider). */
export function recipExact(zRaw: bigint, steps: number): bigint {
  if (zRaw <= 0n) throw new RangeError(`recipExact: Z = ${zRaw} must be positive`);
  const n = 1n << BigInt(steps);
  const qt = n / zRaw;
  const rem = n - qt * zRaw;
  const up = 2n * rem > zRaw || (2n * rem === zRaw && (qt & 1n) === 1n);
  return up ? qt + 1n : qt;
}
