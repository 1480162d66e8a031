/**
 * Decoder-specialised RoPE: the numbers and the bit-exact golden model (the hardware is
 * rope-unit.ts; it calls the generic steps below on `Expr`, with DSP tiles for the products).
 *
 * A decode step rotates the new token's q and k once, at position `pos` (the number of tokens
 * already cached); cached keys were stored rotated and are never rotated again. Pair i
 * (i = 0 .. d/2-1) turns by theta_i = pos * base^(-2i/d) radians:
 *   y_a = x_a cos(theta_i) - x_b sin(theta_i),   y_b = x_a sin(theta_i) + x_b cos(theta_i)
 * with pair i = (x[i], x[i + d/2]) for LLaMA's half-split pairing, (x[2i], x[2i+1]) for the
 * interleaved pairing.
 *
 * Fixed point, every step exact except the named narrowings:
 *   angle   omega_i = round(base^(-2i/d) / (2 pi) * 2^F)          turns per position, UQ0.F
 *           phi_i   = (pos * omega_i) mod 2^F                       turns, UQ0.F (one DSP chain)
 *   sin/cos quadrant = phi >> (F - 2); u = phi mod 2^(F-2) (a quarter turn is 2^(F-2))
 *           j = top k bits of u, t = the next m bits (the rest is dropped)
 *           S[j] = round(sin(pi/2 j/2^k) 2^Fs), C[j] = round(cos(pi/2 j/2^k) 2^Fs), j = 0..2^k
 *           s_u = S[j] + RNE((S[j+1] - S[j]) t / 2^m), c_u likewise (one DSP tile each)
 *           (c, s) = (c_u, s_u), (-s_u, c_u), (-c_u, -s_u), (s_u, -c_u) for quadrants 0..3
 *   rotate  y_a = narrow(x_a c - x_b s), y_b = narrow(x_a s + x_b c): exact sums of exact
 *           products, rounded to nearest even to the data format and saturated (flagged).
 * Error budget (defaults k = 9, m = 16, Fs = 25, F = log2(maxContext) + 22): the angle is off by
 * at most pos 2^-(F+1) turns (< 1e-6 rad), the interpolated sine by at most
 * (pi/2)^2 2^-2k / 8 (1.2e-6 at k = 9) plus 2^-Fs; the output rounding adds half an LSB of the
 * data format. `ropeError` measures the result against float64 RoPE.
 */
import type { Arith, Bits } from '../../hdl/arith.ts';
import { valueArith } from '../../hdl/arith.ts';
import { type HwType, s, u, clog2 } from '../../hdl/types.ts';
import { Value } from '../../hdl/value.ts';
import { type QFormat, type Flagged, Q, qType, roundShift, narrowFlagged } from '../../hdl/fixed.ts';

export type RopePairing = 'half' | 'interleaved';

export interface RopeParams {
  /** Head dimension d (even). */
  readonly headDim: number;
  /** Frequency base (LLaMA: 10000). */
  readonly base: number;
  readonly pairing: RopePairing;
  /** Largest position + 1 (the lane's maxContext): sizes the angle's fraction bits. */
  readonly maxPos: number;
  /** sin/cos table index bits k (2^k + 1 entries per quarter turn). */
  readonly tableBits: number;
  /** Interpolation bits m. */
  readonly interpBits: number;
  /** Fraction bits Fs of the table and of cos/sin (Q2.Fs, on the DSP's 27-bit port). */
  readonly tableFrac: number;
  /** Fraction bits F of the angle in turns. */
  readonly angleFrac: number;
  /** q, k, v element format. */
  readonly data: QFormat;
}

export type RopeParamsInput = Pick<RopeParams, 'headDim' | 'maxPos'> & Partial<Omit<RopeParams, 'headDim' | 'maxPos'>>;

export const ROPE_DEFAULTS = { base: 10000, pairing: 'half' as RopePairing, tableBits: 9, interpBits: 16, tableFrac: 25 } as const;

function checkInt(name: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`RoPE ${name} = ${v} is out of range: accepted integers ${lo}..${hi}`);
}

export function resolveRope(p: RopeParamsInput): RopeParams {
  const d = p.headDim;
  if (!Number.isInteger(d) || d < 2 || d % 2 !== 0) throw new RangeError(`RoPE head dimension d = ${d}: accepted even integers >= 2`);
  checkInt('maxPos', p.maxPos, 1, 1 << 24);
  const base = p.base ?? ROPE_DEFAULTS.base;
  if (!Number.isFinite(base) || base <= 1 || base > 1e9) throw new RangeError(`RoPE base = ${base} is out of range: accepted numbers > 1 and <= 1e9`);
  const pairing = p.pairing ?? ROPE_DEFAULTS.pairing;
  if (pairing !== 'half' && pairing !== 'interleaved') throw new RangeError(`RoPE pairing = '${String(pairing)}': accepted 'half' or 'interleaved'`);
  const tableBits = p.tableBits ?? ROPE_DEFAULTS.tableBits;
  checkInt('tableBits', tableBits, 4, 12);
  // t is an unsigned operand of the DSP's 18-bit port.
  const interpBits = p.interpBits ?? ROPE_DEFAULTS.interpBits;
  checkInt('interpBits', interpBits, 1, 17);
  // cos/sin in Q2.Fs are signed operands of the 27-bit port: Fs <= 25.
  const tableFrac = p.tableFrac ?? ROPE_DEFAULTS.tableFrac;
  checkInt('tableFrac', tableFrac, 8, 25);
  // The angle: pos (<= 24 bits) times omega (F bits) on a DSP chain; 22 bits below pos's top keep
  // the angle error under 2^-23 turns at the largest position.
  const angleFrac = p.angleFrac ?? Math.min(48, Math.max(clog2(p.maxPos), 1) + 22);
  checkInt('angleFrac', angleFrac, tableBits + interpBits + 2, 48);
  const data = p.data ?? Q(15, 17);
  return { headDim: d, base, pairing, maxPos: p.maxPos, tableBits, interpBits, tableFrac, angleFrac, data };
}

// ---- tables (one function each, used by the golden model and by the ROMs) ----------------------

/** omega_i = round(base^(-2i/d) / (2 pi) * 2^F), i = 0 .. d/2-1 (turns per position). */
export function ropeOmegaTable(p: RopeParams): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < p.headDim / 2; i++) {
    const turns = Math.pow(p.base, (-2 * i) / p.headDim) / (2 * Math.PI);
    // turns < 1/(2 pi): the scaled value stays far below 2^53 for F <= 48 (exact enough: the
    // table is the definition; the float64 reference uses the formula).
    out.push(BigInt(Math.round(turns * 2 ** p.angleFrac)));
  }
  return out;
}

/** S[j] = round(sin(pi/2 j / 2^k) 2^Fs), j = 0 .. 2^k. */
export function ropeSinTable(p: RopeParams): bigint[] {
  const n = 1 << p.tableBits;
  return Array.from({ length: n + 1 }, (_, j) => BigInt(Math.round(Math.sin((Math.PI / 2) * (j / n)) * 2 ** p.tableFrac)));
}

/** C[j] = round(cos(pi/2 j / 2^k) 2^Fs), j = 0 .. 2^k (the sine table read backwards). */
export function ropeCosTable(p: RopeParams): bigint[] {
  return [...ropeSinTable(p)].reverse();
}

// ---- types -------------------------------------------------------------------------------------

export function ropeTypes(p: RopeParams) {
  return {
    /** Angle in turns, UQ0.F. */
    angle: u(p.angleFrac),
    /** Table entry: UQ1.Fs (1.0 included). */
    entry: u(p.tableFrac + 1),
    /** Difference of neighbouring entries: signed, |diff| < 2^Fs * pi/2 / 2^k. */
    diff: s(Math.max(2, p.tableFrac - p.tableBits + 3)),
    /** Interpolation weight t. */
    weight: u(p.interpBits),
    /** cos, sin: Q2.Fs signed. */
    trig: s(p.tableFrac + 2),
    data: qType(p.data),
  } satisfies Record<string, HwType>;
}

// ---- generic steps (Value for the golden model, Expr for the hardware) ------------------------

/** The table address j and weight t of an angle (and its quadrant). */
export function ropeSplit<T extends Bits<T>>(_A: Arith<T>, phi: T, p: RopeParams): { quadrant: T; index: T; weight: T } {
  const F = p.angleFrac;
  const k = p.tableBits;
  const mBits = p.interpBits;
  return {
    quadrant: phi.slice(F - 1, F - 2),
    index: phi.slice(F - 3, F - 2 - k),
    weight: phi.slice(F - 3 - k, F - 2 - k - mBits),
  };
}

/** table[j] + RNE(diff * t / 2^m), from the exact product diff * t. */
export function ropeInterpFinish<T extends Bits<T>>(A: Arith<T>, entry: T, prod: T, p: RopeParams): T {
  const step = roundShift(A, prod, p.interpBits, 'rne');
  const tt = ropeTypes(p).trig;
  return entry.zext(tt.width).asSigned().add(step.resize(tt.width)).resize(tt.width);
}

/** (cos, sin) of the angle from the quarter-turn values c_u = cos(u), s_u = sin(u). */
export function ropeQuadrant<T extends Bits<T>>(A: Arith<T>, quadrant: T, cu: T, su: T): { cos: T; sin: T } {
  const w = cu.width;
  const neg = (x: T): T => x.neg().resize(w);
  const q1 = quadrant.bit(0);
  const q2 = quadrant.bit(1);
  // q0: (c, s); q1: (-s, c); q2: (-c, -s); q3: (s, -c)
  const cosOdd = A.mux(q2, su, neg(su));
  const cosEven = A.mux(q2, neg(cu), cu);
  const sinOdd = A.mux(q2, neg(cu), cu);
  const sinEven = A.mux(q2, neg(su), su);
  return { cos: A.mux(q1, cosOdd, cosEven), sin: A.mux(q1, sinOdd, sinEven) };
}

/** y = narrow(prodA + sign * prodB) to the data format: RNE on Fs fraction bits, saturated. */
export function ropeRotateFinish<T extends Bits<T>>(A: Arith<T>, prodA: T, prodB: T, subtract: boolean, p: RopeParams): Flagged<T> {
  const sum = subtract ? prodA.sub(prodB) : prodA.add(prodB);
  return narrowFlagged(A, sum, p.tableFrac, qType(p.data), 'rne');
}

// ---- golden model ---------------------------------------------------------------------------

export interface RopeTrig {
  cos: bigint;
  sin: bigint;
}

/** (cos, sin) of pair i at position pos, bit-exact with the hardware's angle unit. */
export function ropeCosSin(p: RopeParams, pos: number, i: number, tables = ropeTablesOf(p)): RopeTrig {
  const A = valueArith;
  const t = ropeTypes(p);
  if (!Number.isInteger(pos) || pos < 0 || pos >= p.maxPos) throw new RangeError(`RoPE position ${pos} is out of range: accepted 0..${p.maxPos - 1}`);
  const phiRaw = (BigInt(pos) * tables.omega[i]!) & ((1n << BigInt(p.angleFrac)) - 1n);
  const phi = Value.of(phiRaw, t.angle);
  const sp = ropeSplit(A, phi, p);
  const j = Number(sp.index.toBigInt());
  const interp = (table: readonly bigint[]): Value => {
    const entry = Value.of(table[j]!, t.entry);
    const diff = Value.of(table[j + 1]! - table[j]!, t.diff);
    return ropeInterpFinish(A, entry, diff.mul(sp.weight.zext(sp.weight.width + 1).asSigned()), p);
  };
  const r = ropeQuadrant(A, sp.quadrant, interp(tables.cos), interp(tables.sin));
  return { cos: r.cos.toBigInt(), sin: r.sin.toBigInt() };
}

export interface RopeTables {
  omega: readonly bigint[];
  sin: readonly bigint[];
  cos: readonly bigint[];
}

const tableCache = new Map<string, RopeTables>();

export function ropeTablesOf(p: RopeParams): RopeTables {
  const key = JSON.stringify(p);
  let t = tableCache.get(key);
  if (!t) {
    t = { omega: ropeOmegaTable(p), sin: ropeSinTable(p), cos: ropeCosTable(p) };
    tableCache.set(key, t);
  }
  return t;
}

/** Element indices (a, b) of pair i. */
export function ropePair(p: Pick<RopeParams, 'headDim' | 'pairing'>, i: number): [number, number] {
  return p.pairing === 'half' ? [i, i + p.headDim / 2] : [2 * i, 2 * i + 1];
}

/** Pair order: element 2i is pair i's a, 2i+1 its b (the order the kernel keeps q and keys in). */
export function toPairOrder<T>(p: Pick<RopeParams, 'headDim' | 'pairing'>, x: readonly T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < p.headDim / 2; i++) {
    const [a, b] = ropePair(p, i);
    out.push(x[a]!, x[b]!);
  }
  return out;
}

/** The inverse of toPairOrder. */
export function fromPairOrder<T>(p: Pick<RopeParams, 'headDim' | 'pairing'>, y: readonly T[]): T[] {
  const out: T[] = new Array(p.headDim);
  for (let i = 0; i < p.headDim / 2; i++) {
    const [a, b] = ropePair(p, i);
    out[a] = y[2 * i]!;
    out[b] = y[2 * i + 1]!;
  }
  return out;
}

export interface RopeResult {
  /** Rotated vector in natural element order (raw data-format integers). */
  y: bigint[];
  /** 1 if any output saturated. */
  sat: boolean;
}

/** Rotate one vector (raw integers in the data format) at position pos: the golden model. */
export function ropeRotate(p: RopeParams, x: readonly bigint[], pos: number): RopeResult {
  if (x.length !== p.headDim) throw new RangeError(`RoPE vector has ${x.length} elements: accepted ${p.headDim} (d)`);
  const A = valueArith;
  const t = ropeTypes(p);
  const tables = ropeTablesOf(p);
  const y: bigint[] = new Array(p.headDim);
  let sat = false;
  for (let i = 0; i < p.headDim / 2; i++) {
    const [a, b] = ropePair(p, i);
    const { cos, sin } = ropeCosSin(p, pos, i, tables);
    const xa = Value.of(x[a]!, t.data);
    const xb = Value.of(x[b]!, t.data);
    const c = Value.of(cos, t.trig);
    const sn = Value.of(sin, t.trig);
    const ya = ropeRotateFinish(A, xa.mul(c), xb.mul(sn), true, p);
    const yb = ropeRotateFinish(A, xa.mul(sn), xb.mul(c), false, p);
    y[a] = ya.value.toBigInt();
    y[b] = yb.value.toBigInt();
    sat ||= ya.saturated.isTrue() || yb.saturated.isTrue();
  }
  return { y, sat };
}

/** float64 RoPE of real values (the reference the error is measured against). */
export function ropeReference(p: Pick<RopeParams, 'headDim' | 'pairing' | 'base'>, x: readonly number[], pos: number): number[] {
  const y: number[] = new Array(p.headDim);
  for (let i = 0; i < p.headDim / 2; i++) {
    const [a, b] = ropePair(p, i);
    const theta = pos * Math.pow(p.base, (-2 * i) / p.headDim);
    const c = Math.cos(theta);
    const sn = Math.sin(theta);
    y[a] = x[a]! * c - x[b]! * sn;
    y[b] = x[a]! * sn + x[b]! * c;
  }
  return y;
}

/** max |y - y_ref| / max |y_ref| of the golden (= hardware) result against float64 RoPE of the same input. */
export function ropeError(p: RopeParams, x: readonly bigint[], pos: number): number {
  const scale = 2 ** p.data.fracBits;
  const y = ropeRotate(p, x, pos).y.map((v) => Number(v) / scale);
  const ref = ropeReference(p, x.map((v) => Number(v) / scale), pos);
  const maxRef = Math.max(...ref.map(Math.abs));
  const maxErr = Math.max(...y.map((v, i) => Math.abs(v - ref[i]!)));
  return maxRef === 0 ? maxErr : maxErr / maxRef;
}
