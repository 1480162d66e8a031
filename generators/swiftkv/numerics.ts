/**
 * SwiftKV lane numerics: every number format of the attention lane and the width derivations
 * behind them (DESIGN.md §3). Nothing here builds hardware; the generic datapath functions in
 * golden.ts / exp2.ts take their widths from `laneFormats()`, so the golden model and the
 * generated circuit use one set of formats.
 *
 * Notation: Q(m, f) signed = m integer bits including the sign, f fraction bits, width m + f;
 * UQ(m, f) unsigned. A raw integer r in a format with f fraction bits denotes r * 2^-f.
 * Numbers in the comments are for the defaults (d = 128, P = 16, maxContext = 16384, data
 * Q15.17, exp2 table 5 index bits / 12 interpolation bits / 30 fraction bits).
 */
import { type HwType, bitsFor, typeName } from '../../hdl/types.ts';
import { type QFormat, Q, qType, qName } from '../../hdl/fixed.ts';
import { GEN_PARAMS, apiStyle, checkParam, crossCheck, type ParamKey } from './params.ts';

/** How the running state is rescaled when the running max grows (DESIGN.md §2 variants). */
export type Rescale = 'multiply' | 'shift';

export interface Exp2Params {
  /** Table index bits: the table has 2^indexBits + 1 entries. Default 5 (33 entries). */
  readonly indexBits: number;
  /** Interpolation bits below the index. indexBits + interpBits = score fraction bits. Default 12. */
  readonly interpBits: number;
  /** Fraction bits of the table entries and of the exp2 output. Default 30. */
  readonly tableFracBits: number;
}

export interface LaneParams {
  /** Head dimension d. */
  readonly headDim: number;
  /** Processing elements per lane P (multipliers of the DOT stage). */
  readonly pe: number;
  /** Largest context length L the accumulators are sized for (no overflow up to it). */
  readonly maxContext: number;
  /** Format of q, k, v and o. Default Q(15, 17) (FXP32 Q15.17). */
  readonly dataFormat: QFormat;
  /** Format of the score s and of the exp2 input. Default Q(15, 17). */
  readonly scoreFormat: QFormat;
  readonly exp2: Exp2Params;
  /** Fraction bits of the constant log2(e)/sqrt(d). Default 30. */
  readonly scaleFracBits: number;
  /** Fraction bits of the Y accumulator. Default = exp2.tableFracBits (30). */
  readonly accFracBits: number;
  /** Fraction bits of 1/Z. Default dataFrac + zIntBits + 8 (40). */
  readonly recipFracBits: number;
  readonly rescale: Rescale;
}

/** Parameters as a user gives them: headDim is required, everything else has a default. */
export type LaneParamsInput = Pick<LaneParams, 'headDim'> &
  Partial<Omit<LaneParams, 'headDim' | 'exp2'>> & { readonly exp2?: Partial<Exp2Params> };

export const DEFAULT_MAX_CONTEXT = GEN_PARAMS.maxContext.default;
export const DEFAULT_EXP2: Exp2Params = {
  indexBits: GEN_PARAMS.expIndex.default,
  interpBits: GEN_PARAMS.expInterp.default,
  tableFracBits: GEN_PARAMS.expFrac.default,
};

/** All formats of the lane (see the derivations in `laneFormats`). */
export interface LaneFormats {
  readonly params: LaneParams;
  /** q, k, v (inputs) and o (output). */
  readonly data: QFormat;
  /** The constant log2(e)/sqrt(d), signed Q(2, scaleFracBits). */
  readonly scale: QFormat;
  /** Its raw value: round-to-nearest(log2(e)/sqrt(d) * 2^scaleFracBits), exact (see scaleConstant). */
  readonly scaleRaw: bigint;
  /** Exact q * c product before narrowing to q'. */
  readonly scaleProduct: QFormat;
  /** q' = q * c narrowed (RNE + saturation) back to the data format. */
  readonly qScaled: QFormat;
  /** One exact q'_i * k_i product. */
  readonly product: QFormat;
  /** Exact sum of P products (one DOT cycle, adder tree). */
  readonly dotPartial: QFormat;
  /** Exact sum of all d products (the DOT accumulator). */
  readonly dotAcc: QFormat;
  /** The score s (dot narrowed with RNE + saturation). Also the exp2 input format. */
  readonly score: QFormat;
  /** Running max m: the score format ('multiply') or a signed integer ('shift'). */
  readonly max: QFormat;
  /** exp2 input x <= 0 (= score format; differences are saturated into it). */
  readonly exp2In: QFormat;
  /** exp2 output alpha/beta in [0, 1]: UQ1.tableFracBits; 1.0 is exactly representable. */
  readonly exp2Out: QFormat;
  /** exp2 table entries round(2^(i/2^indexBits) * 2^F) in [2^F, 2^(F+1)]: UQ2.F. */
  readonly exp2Table: QFormat;
  /** Right-shift amount of the 'shift' rescale, m_new - m, unsigned (unused by 'multiply'). */
  readonly shiftAmount: HwType;
  /** Z accumulator, UQ(zInt, tableFracBits). */
  readonly z: QFormat;
  /** Y accumulator, Q(yInt, accFracBits). */
  readonly y: QFormat;
  /** 1/Z = RNE(2^(recipFrac + zFrac) / Z_raw): UQ2.recipFrac (Z >= 1/2 so 1/Z <= 2). */
  readonly recip: QFormat;
  /** Iterations of the restoring reciprocal divider: recipFrac + zFrac. */
  readonly recipSteps: number;
  /** o = Y * (1/Z) exact product before narrowing. */
  readonly outProduct: QFormat;
  /** Output o (= data format). */
  readonly out: QFormat;
  /** Cycles per token in steady state: ceil(d / P). */
  readonly cyclesPerToken: number;
}

function checkInt(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} = ${value} is out of range: accepted integers ${lo}..${hi}`);
  }
  return value;
}

/** A parameter of the table in params.ts: the same range the command line states. */
function checkTable(k: ParamKey, value: number, max?: number): number {
  const problem = checkParam(k, value, apiStyle, max);
  if (problem) throw new RangeError(problem);
  return value;
}

function checkFormat(name: string, f: QFormat, fracLo: number, fracHi: number): QFormat {
  if (!f.signed) throw new RangeError(`${name} = ${qName(f)} must be signed (two's complement): accepted signed Q(m, f)`);
  // The lane alone takes any width up to 64 (the MHA top fixes 32: params.ts).
  checkInt(`${name}.intBits`, f.intBits, 2, 32);
  checkInt(`${name}.fracBits`, f.fracBits, fracLo, fracHi);
  return f;
}

/**
 * Fill in defaults and validate; every RangeError names the parameter, its value and the
 * accepted range. Ranges shared with the command line come from params.ts.
 */
export function resolveLaneParams(p: LaneParamsInput): LaneParams {
  const headDim = checkTable('headDim', p.headDim);
  const pe = checkTable('pe', p.pe ?? Math.min(16, headDim), Math.min(GEN_PARAMS.pe.max, headDim));
  const maxContext = checkTable('maxContext', p.maxContext ?? DEFAULT_MAX_CONTEXT);
  const dataFormat = checkFormat('dataFormat', p.dataFormat ?? Q(15, 17), 0, 32);
  const indexBits = checkTable('expIndex', p.exp2?.indexBits ?? DEFAULT_EXP2.indexBits);
  const interpBits = checkTable('expInterp', p.exp2?.interpBits ?? DEFAULT_EXP2.interpBits);
  const tableFracBits = checkTable('expFrac', p.exp2?.tableFracBits ?? DEFAULT_EXP2.tableFracBits);
  const scoreFormat = checkFormat('scoreFormat', p.scoreFormat ?? Q(15, 17), 1, 34);
  if (scoreFormat.fracBits !== indexBits + interpBits) {
    throw new RangeError(
      `scoreFormat ${qName(scoreFormat)} has ${scoreFormat.fracBits} fraction bits but the exp2 unit splits ` +
        `exp2.indexBits + exp2.interpBits = ${indexBits} + ${interpBits} = ${indexBits + interpBits}: accepted equal counts`,
    );
  }
  if (scoreFormat.fracBits > 2 * dataFormat.fracBits) {
    throw new RangeError(
      `scoreFormat ${qName(scoreFormat)} has more fraction bits than the q'*k product (${2 * dataFormat.fracBits}): ` +
        `accepted 1..${2 * dataFormat.fracBits}`,
    );
  }
  const scaleFracBits = checkInt('scaleFracBits', p.scaleFracBits ?? 30, 8, 62);
  if (p.accFracBits === undefined) {
    // Y keeps the exp2 output's fraction bits: name the parameter the user gave.
    const problem = crossCheck('exp-frac-covers-data', { expFrac: tableFracBits, dataFrac: dataFormat.fracBits }, apiStyle);
    if (problem) throw new RangeError(problem);
  }
  const accFracBits = checkInt('accFracBits', p.accFracBits ?? tableFracBits, dataFormat.fracBits, 64);
  const zIntBits = bitsFor(BigInt(maxContext), false);
  // The ACC/NORM multipliers take e (UQ1.F) and 1/Z (UQ2.R) on one operand: R + 2 >= F + 1.
  const recipFracBits = checkInt('recipFracBits', p.recipFracBits ?? Math.max(dataFormat.fracBits + zIntBits + 8, tableFracBits - 1), tableFracBits - 1, 96);
  const rescale = p.rescale ?? GEN_PARAMS.rescale.default;
  const badRescale = checkParam('rescale', rescale, apiStyle);
  if (badRescale) throw new RangeError(badRescale);
  return {
    headDim, pe, maxContext, dataFormat, scoreFormat,
    exp2: { indexBits, interpBits, tableFracBits },
    scaleFracBits, accFracBits, recipFracBits, rescale,
  };
}

/** Q format of a signed value that must hold every integer raw value in [lo, hi], with f fraction bits. */
function signedQ(lo: bigint, hi: bigint, f: number): QFormat {
  const w = Math.max(bitsFor(lo, true), bitsFor(hi, true));
  return Q(w - f, f, true);
}

function unsignedQ(hi: bigint, f: number): QFormat {
  return Q(bitsFor(hi, false) - f, f, false);
}

/**
 * Derive every format of the lane. The arithmetic, written out for the defaults
 * (d = 128, P = 16, maxContext = 16384, data Q15.17, exp2 5/12/30):
 *
 * - scale c = log2(e)/sqrt(d): signed Q2.30 (width 32). c <= log2(e) = 1.4427 < 2 for every
 *   d >= 1, so 2 integer bits (sign + 1) hold it; 30 fraction bits give c a relative precision
 *   of 2^-31 / c (2^-28 at d = 128). Raw = round(c * 2^30), computed exactly (scaleConstant).
 * - q * c: s32 x s32 = s64, 17 + 30 = 47 fraction bits (Q17.47), exact.
 * - q' = narrow(q * c): drop 30 fraction bits (RNE), saturate to Q15.17. Saturation only acts
 *   when |q| * c >= 2^14, i.e. never for d >= 3 (|q| < 2^14 and c < 0.84).
 * - q' * k: s32 x s32 = s64 with 2 * 17 = 34 fraction bits (Q30.34). Its magnitude is at most
 *   2^31 * 2^31 = 2^62 raw (reached by (-2^31)^2), which s64 holds.
 * - DOT partial (P products, one cycle): |sum| <= P * 2^62 raw -> bitsFor(16 * 2^62) = 68 bits
 *   (Q34.34).
 * - DOT accumulator (all d products): |sum| <= d * 2^62 raw -> bitsFor(128 * 2^62 = 2^69,
 *   signed) = 71 bits (Q37.34). The sum is exact, so its value does not depend on the order
 *   (adder tree, P per cycle, or serial): the golden and any hardware schedule agree.
 * - score s = narrow(dot): drop 34 - 17 = 17 fraction bits (RNE), saturate to Q15.17. A score
 *   outside [-16384, 16384) (in log2 units: e^11356) saturates; real models are nowhere near.
 * - running max m: 'multiply' -> the score format Q15.17 (m is always one of the scores);
 *   'shift' -> m = ceil of a score, an integer in [-2^14, 2^14] -> signed 16-bit integer Q16.0.
 * - exp2 input x = m - s or s - m_new (<= 0): the difference of two Q15.17 values is Q16.17
 *   (33 bits); it is saturated into Q15.17. Only the lower bound can bind (x <= 0), and any
 *   x <= -32 gives exp2 = 0 anyway, so the saturation changes no result.
 * - exp2 output alpha, beta in [0, 1]: UQ1.30 (31 bits): 30 fraction bits like the table,
 *   1 integer bit so that 2^0 = 1 is exactly 2^30 raw.
 * - exp2 table: round(2^(i/32) * 2^30) in [2^30, 2^31] -> UQ2.30 (32 bits, unsigned).
 * - Z = alpha * Z + beta: every term <= 1 and alpha * Z rounds (RNE) to at most Z, so after t
 *   tokens Z <= t <= maxContext = 2^14 -> UQ15.30: bitsFor(2^14 * 2^30) = 45 bits, i.e.
 *   floor(log2(maxContext)) + 1 = 15 integer bits (= clog2(maxContext) + 1 for a power of
 *   two) + 30 fraction bits (beta adds without rounding). Also Z >= 1/2 always: the token that
 *   set the max contributes beta = 1 ('multiply') or beta = 2^(s - ceil(s)) > 1/2 ('shift').
 * - Y[j] = alpha * Y[j] + beta * v[j]: |beta * v| <= |v| <= 2^14 and the rescale never grows
 *   |Y|, so |Y| <= maxContext * max|v| = 2^14 * 2^14 = 2^28 -> raw bound 2^28 * 2^30 ->
 *   bitsFor(-2^58, signed) = 59 bits: Q29.30 (15 data integer bits + 14 for the sum).
 * - 1/Z: Z in [1/2, maxContext], so 1/Z in [2^-14, 2] -> UQ2.40 (42 bits). 40 fraction bits =
 *   17 (output) + 15 (zInt) + 8 guard: at the smallest 1/Z = 2^-14 the raw value still has 26
 *   significant bits (relative error <= 2^-27). Computed as RNE(2^(40 + 30) / Z_raw): an exact
 *   integer division, 70 iterations of a restoring divider + one RNE step from the remainder.
 * - o = Y * (1/Z): s59 x s43 (the unsigned 42-bit reciprocal widened by one zero bit) = s102
 *   with 30 + 40 = 70 fraction bits; narrowed (drop 53, RNE) and saturated to Q15.17. |o| <=
 *   max|v| up to rounding, so saturation only clips a rounding overshoot at -2^14 / +2^14.
 */
export function laneFormats(input: LaneParamsInput): LaneFormats {
  const params = resolveLaneParams(input);
  const { headDim: d, pe: P, maxContext, dataFormat: data, scoreFormat: score } = params;
  const F = params.exp2.tableFracBits;
  const dataT = qType(data);
  const dataMin = -(1n << BigInt(dataT.width - 1));

  const scale = Q(2, params.scaleFracBits);
  const scaleRaw = scaleConstant(d, params.scaleFracBits);
  const scaleProduct = Q(data.intBits + scale.intBits, data.fracBits + scale.fracBits);
  const qScaled = data;

  // Largest product magnitude: (-2^(w-1))^2 = 2^(2w-2) (positive); most negative -2^(w-1) * (2^(w-1) - 1).
  const maxProd = dataMin * dataMin;
  const minProd = dataMin * (-dataMin - 1n);
  const prodFrac = 2 * data.fracBits;
  const product = signedQ(minProd, maxProd, prodFrac);
  const dotPartial = signedQ(BigInt(P) * minProd, BigInt(P) * maxProd, prodFrac);
  const dotAcc = signedQ(BigInt(d) * minProd, BigInt(d) * maxProd, prodFrac);

  const scoreMin = -(1n << BigInt(qType(score).width - 1));
  // 'shift': ceil(s) for s in [-2^(m-1), 2^(m-1)) lies in [-2^(m-1), 2^(m-1)]: m + 1 bits signed.
  const intMax = signedQ(scoreMin >> BigInt(score.fracBits), -(scoreMin >> BigInt(score.fracBits)), 0);
  const max: QFormat = params.rescale === 'multiply' ? score : intMax;
  // m_new - m for two such integers: in [0, 2^m] (2^15 by default), unsigned m + 1 bits.
  const shiftAmount: HwType = { width: qType(intMax).width, signed: false };

  const exp2In = score;
  const exp2Out = Q(1, F, false);
  const exp2Table = Q(2, F, false);

  const z = unsignedQ(BigInt(maxContext) << BigInt(F), F);
  const yFrac = params.accFracBits;
  const vMax = -dataMin; // |v| <= 2^(w-1) raw (data fraction bits)
  const yBound = (BigInt(maxContext) * vMax) << BigInt(yFrac - data.fracBits);
  const y = signedQ(-yBound, yBound - 1n, yFrac);

  const R = params.recipFracBits;
  const recip = Q(2, R, false);
  const recipSteps = R + z.fracBits;
  const outProduct = Q(y.intBits + recip.intBits + 1, yFrac + R);
  const out = data;

  for (const [name, f] of Object.entries({ dotAcc, y, z, outProduct })) {
    const w = qType(f).width;
    if (w > 256) throw new RangeError(`derived ${name} width ${w} is too large: accepted up to 256 bits; reduce the parameters`);
  }

  return {
    params, data, scale, scaleRaw, scaleProduct, qScaled, product, dotPartial, dotAcc, score, max,
    exp2In, exp2Out, exp2Table, shiftAmount, z, y, recip, recipSteps, outProduct, out,
    cyclesPerToken: Math.ceil(d / P),
  };
}

/** One line per format, e.g. for a generator report: `name: Q15.17 (s32)`. */
export function describeFormats(f: LaneFormats): string[] {
  const rows: [string, QFormat][] = [
    ['data (q, k, v, o)', f.data], ['scale constant', f.scale], ['q*c product', f.scaleProduct],
    ["q'", f.qScaled], ["q'*k product", f.product], ['dot partial (P)', f.dotPartial],
    ['dot accumulator (d)', f.dotAcc], ['score s', f.score], ['running max m', f.max],
    ['exp2 input', f.exp2In], ['exp2 output', f.exp2Out], ['exp2 table', f.exp2Table],
    ['Z accumulator', f.z], ['Y accumulator', f.y], ['1/Z', f.recip], ['Y*(1/Z) product', f.outProduct],
    ['output o', f.out],
  ];
  return [
    ...rows.map(([n, q]) => `${n}: ${qName(q)} (${typeName(qType(q))})`),
    `shift amount: ${typeName(f.shiftAmount)}`,
    `reciprocal divider steps: ${f.recipSteps}`,
    `cycles per token: ${f.cyclesPerToken}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// Exact constants (BigInt; no floating-point rounding involved)
// ---------------------------------------------------------------------------------------------

/** floor(sqrt(a)) for a >= 0, exact. */
export function isqrt(a: bigint): bigint {
  if (a < 0n) throw new RangeError(`isqrt of negative ${a}`);
  if (a < 2n) return a;
  let x = 1n << BigInt(Math.ceil(a.toString(2).length / 2));
  for (;;) {
    const y = (x + a / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(a^(1/n)) for a >= 0, n >= 1, exact (bit-by-bit: set each bit if the power stays <= a). */
export function iroot(a: bigint, n: number): bigint {
  if (a < 0n || !Number.isInteger(n) || n < 1) throw new RangeError(`iroot(${a}, ${n}): need a >= 0, integer n >= 1`);
  const N = BigInt(n);
  const bits = Math.ceil(a.toString(2).length / n) + 1;
  let x = 0n;
  for (let b = bits; b >= 0; b--) {
    const c = x | (1n << BigInt(b));
    if (c ** N <= a) x = c;
  }
  return x;
}

const LN2_BITS = 192;
/** ln(2) * 2^192 with an error below 2^-20 * 2^0 (guarded below), from ln 2 = sum_{k>=1} 1/(k 2^k). */
function ln2Scaled(): { lo: bigint; hi: bigint } {
  const G = 32n;
  const P = BigInt(LN2_BITS) + G;
  let s = 0n;
  let terms = 0n;
  for (let k = 1n; k <= P + 8n; k++) {
    s += (1n << P) / (k << k); // each term floored: total error < number of terms (units of 2^-P)
    terms++;
  }
  // Tail sum_{k > P+8} 1/(k 2^k) < 2^-(P+8); floors lose < terms units. So true*2^P in [s, s + terms + 1].
  return { lo: s >> G, hi: ((s + terms + 1n) >> G) + 1n };
}

/**
 * round(log2(e) / sqrt(d) * 2^fracBits), exact. With T = log2(e) * 2^f / sqrt(d):
 * round(T) = floor((floor(2T) + 1) / 2) and floor(2T) = isqrt(floor(4 T^2)); T^2 = 2^(2f) /
 * (d ln(2)^2) is computed from bounds on ln 2 (192 bits), and the result is accepted only if
 * both bounds give the same integer (they do for every d we accept; T is irrational, no ties).
 */
export function scaleConstant(d: number, fracBits: number): bigint {
  checkInt('headDim', d, 1, 1 << 20);
  checkInt('scaleFracBits', fracBits, 0, 120);
  const { lo, hi } = ln2Scaled();
  const P2 = 2n * BigInt(LN2_BITS);
  const f2 = 2n * BigInt(fracBits);
  const at = (ln2: bigint): bigint => {
    // 4 T^2 = 4 * 2^(2f) * 2^(2*LN2_BITS) / (d * ln2Scaled^2)
    const four = ((4n << f2) << P2) / (BigInt(d) * ln2 * ln2);
    return (isqrt(four) + 1n) >> 1n;
  };
  const a = at(hi);
  const b = at(lo);
  if (a !== b) throw new Error(`scaleConstant(${d}, ${fracBits}): rounding could not be verified (${a} vs ${b})`);
  return a;
}
