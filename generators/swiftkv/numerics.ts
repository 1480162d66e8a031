/**
 * SwiftKV lane numerics: every number format of the attention lane and the derivation of each
 * width. Nothing here builds hardware: the golden model (golden.ts) and the generators take
 * their formats from `laneFormats()`, so both use one set of formats. docs/design.md states
 * the same contract in prose.
 *
 * Notation: Q(m, f) signed = m integer bits including the sign, f fraction bits, width m + f;
 * UQ(m, f) unsigned. A raw integer r in a format with f fraction bits denotes r * 2^-f.
 * Numbers in the comments are for the defaults (d = 128, maxContext = 16384, data Q15.17,
 * exp2 table 5 index / 12 interpolation / 30 fraction bits, exp2 output 16 fraction bits,
 * accumulators 23 fraction bits, dot narrowed to 24 fraction bits, c with 26 bits).
 *
 * The multiplier geometry shapes several formats: every product runs on DSP48E2 tiles (signed
 * 27 x 18), so the exp2 output (alpha, beta) and the reciprocal mantissa are kept within 17
 * unsigned bits (the 18-bit port), and c within 26 unsigned bits (the 27-bit port).
 */
import { type HwType, bitsFor, typeName, s } from '../../hdl/types.ts';
import { type QFormat, Q, qType, qName } from '../../hdl/fixed.ts';
import { scaleConstant } from './constants.ts';
import { exp2Table } from './exp2.ts';

/** How the running state is rescaled when the running max grows. */
export type Rescale = 'multiply' | 'shift';

export interface Exp2Params {
  /** Table index bits: the table has 2^indexBits + 1 entries. Default 5 (33 entries). */
  readonly indexBits: number;
  /** Interpolation bits below the index; indexBits + interpBits = score fraction bits. Default 12. */
  readonly interpBits: number;
  /** Fraction bits of the table entries. Default 30. */
  readonly tableFracBits: number;
  /** Fraction bits of the exp2 output (alpha, beta), rounded to nearest even. Default 16. */
  readonly outFracBits: number;
}

export interface LaneParams {
  /** Head dimension d. */
  readonly headDim: number;
  /** Processing elements per lane P: q.k products per cycle. */
  readonly pe: number;
  /** Largest context length L the accumulators are sized for (no overflow up to it). */
  readonly maxContext: number;
  /** Format of q, k, v and o. Default Q(15, 17) (FXP32 Q15.17). */
  readonly dataFormat: QFormat;
  /** Format of the score s and of the exp2 input. Default: the data format. */
  readonly scoreFormat: QFormat;
  readonly exp2: Exp2Params;
  /** Fraction bits of the Y and Z accumulators. Default 23. */
  readonly accFracBits: number;
  /** Fraction bits the exact dot product is rounded to before it is scaled by c. Default 24. */
  readonly dotFracBits: number;
  /** Significant bits of c = log2(e)/sqrt(d) (unsigned, <= 26: the DSP's 27-bit port). Default 26. */
  readonly scaleBits: number;
  readonly rescale: Rescale;
}

/** Parameters as a user gives them: headDim is required, everything else has a default. */
export type LaneParamsInput = Pick<LaneParams, 'headDim'> &
  Partial<Omit<LaneParams, 'headDim' | 'exp2'>> & { readonly exp2?: Partial<Exp2Params> };

export const DEFAULT_MAX_CONTEXT = 16384;
export const DEFAULT_EXP2: Exp2Params = { indexBits: 5, interpBits: 12, tableFracBits: 30, outFracBits: 16 };
export const DEFAULT_ACC_FRAC = 23;
export const DEFAULT_DOT_FRAC = 24;
export const DEFAULT_SCALE_BITS = 26;

/** Bits of the reciprocal mantissa r_m (unsigned, fits the DSP's 18-bit port). */
export const RECIP_BITS = 17;
/**
 * Bits of normalised Z the reciprocal divides by (the top ZM_BITS of Zm). Dropping the rest
 * changes r_m by at most 2^-(ZM_BITS-1) relative, far below its own 2^-17 rounding, and keeps
 * the divider's subtractors 26 bits wide.
 */
export const ZM_BITS = 24;

export interface LaneFormats {
  readonly params: LaneParams;
  /** q, k, v (inputs) and o (output). */
  readonly data: QFormat;
  /** One exact q_i * k_i product. */
  readonly product: QFormat;
  /** Exact sum of P products (one DOT cycle). */
  readonly dotPartial: QFormat;
  /** Exact sum of all d products (the DOT accumulator). */
  readonly dotAcc: QFormat;
  /** The dot rounded (RNE) to dotFracBits and saturated where the score saturates anyway. */
  readonly dotNarrow: QFormat;
  /** c = log2(e)/sqrt(d) as an unsigned mantissa: c ~ scaleRaw * 2^-scale.fracBits. */
  readonly scale: QFormat;
  readonly scaleRaw: bigint;
  /** dotNarrow * c, exact. */
  readonly scoreProduct: QFormat;
  /** The score s = c * (q . k), narrowed (RNE + saturation). Also the exp2 input format. */
  readonly score: QFormat;
  /** Running max m: the score format ('multiply') or a signed integer ('shift'). */
  readonly max: QFormat;
  readonly exp2In: QFormat;
  /** exp2 output alpha/beta in [0, 1]: UQ1.outFracBits (1.0 exactly representable). */
  readonly exp2Out: QFormat;
  /** exp2 table entries round(2^(i/2^indexBits) * 2^F) in [2^F, 2^(F+1)]: UQ2.F. */
  readonly exp2Table: QFormat;
  /** Right-shift amount of the 'shift' rescale, m_new - m, unsigned (unused by 'multiply'). */
  readonly shiftAmount: HwType;
  /** Z accumulator, UQ(zInt).accFrac. */
  readonly z: QFormat;
  /** Y accumulator, Q(yInt).accFrac. */
  readonly y: QFormat;
  /** Reciprocal mantissa r_m, unsigned RECIP_BITS bits, in [2^16, 2^17 - 1]. */
  readonly recipMant: HwType;
  /** Leading-one position p of Z_raw: between these (inclusive). */
  readonly zLead: { readonly min: number; readonly max: number };
  /** Y * r_m exact product (signed). */
  readonly normProduct: HwType;
  /** Output o (= data format). */
  readonly out: QFormat;
}

function checkInt(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} = ${value} is out of range: accepted integers ${lo}..${hi}`);
  }
  return value;
}

function checkFormat(name: string, f: QFormat, widthHi: number): QFormat {
  if (!f.signed) throw new RangeError(`${name} = ${qName(f)} must be signed (two's complement): accepted signed Q(m, f)`);
  checkInt(`${name}.intBits`, f.intBits, 2, 32);
  checkInt(`${name}.fracBits`, f.fracBits, 1, 32);
  checkInt(`${name} width`, f.intBits + f.fracBits, 3, widthHi);
  return f;
}

/**
 * Bits of the largest exp2 table difference T[i+1] - T[i]: it must fit the 27-bit port
 * unsigned (26 bits), as the multiplier operand of the interpolation (exp2.ts).
 */
function exp2DiffBits(indexBits: number, tableFracBits: number): number {
  const t = exp2Table(indexBits, tableFracBits);
  let max = 0n;
  for (let i = 0; i + 1 < t.length; i++) if (t[i + 1]! - t[i]! > max) max = t[i + 1]! - t[i]!;
  return bitsFor(max, false);
}

/** Fill in defaults and validate; every RangeError names the parameter, its value and the accepted range. */
export function resolveLaneParams(p: LaneParamsInput): LaneParams {
  const headDim = checkInt('headDim', p.headDim, 1, 4096);
  const pe = checkInt('pe', p.pe ?? Math.min(16, headDim), 1, headDim);
  if (headDim % pe !== 0) throw new RangeError(`pe = ${pe} does not divide headDim = ${headDim}: accepted divisors of headDim`);
  const maxContext = checkInt('maxContext', p.maxContext ?? DEFAULT_MAX_CONTEXT, 1, 1 << 24);
  const dataFormat = checkFormat('dataFormat', p.dataFormat ?? Q(15, 17), 32);
  const scoreFormat = checkFormat('scoreFormat', p.scoreFormat ?? dataFormat, 32);
  const indexBits = checkInt('exp2.indexBits', p.exp2?.indexBits ?? DEFAULT_EXP2.indexBits, 1, 10);
  const interpBits = checkInt('exp2.interpBits', p.exp2?.interpBits ?? DEFAULT_EXP2.interpBits, 0, 17);
  if (scoreFormat.fracBits !== indexBits + interpBits) {
    throw new RangeError(
      `scoreFormat ${qName(scoreFormat)} has ${scoreFormat.fracBits} fraction bits but the exp2 unit splits ` +
        `exp2.indexBits + exp2.interpBits = ${indexBits} + ${interpBits} = ${indexBits + interpBits}: accepted equal counts`,
    );
  }
  const tableFracBits = checkInt('exp2.tableFracBits', p.exp2?.tableFracBits ?? DEFAULT_EXP2.tableFracBits, 4, 40);
  if (exp2DiffBits(indexBits, tableFracBits) > 26) {
    throw new RangeError(
      `exp2.tableFracBits = ${tableFracBits} with exp2.indexBits = ${indexBits}: table differences need ${exp2DiffBits(indexBits, tableFracBits)} bits, ` +
        'the interpolation multiplier takes 26: lower tableFracBits or raise indexBits',
    );
  }
  if (tableFracBits + 2 + interpBits > 47) {
    throw new RangeError(`exp2.tableFracBits + exp2.interpBits = ${tableFracBits + interpBits}: the interpolated mantissa must fit the DSP post-adder (accepted <= 45)`);
  }
  const outFracBits = checkInt('exp2.outFracBits', p.exp2?.outFracBits ?? Math.min(DEFAULT_EXP2.outFracBits, tableFracBits), 1, Math.min(16, tableFracBits));
  const accFracBits = checkInt('accFracBits', p.accFracBits ?? DEFAULT_ACC_FRAC, Math.max(dataFormat.fracBits, outFracBits), 40);
  const dotFracBits = checkInt('dotFracBits', p.dotFracBits ?? DEFAULT_DOT_FRAC, scoreFormat.fracBits, 2 * dataFormat.fracBits);
  const scaleBits = checkInt('scaleBits', p.scaleBits ?? DEFAULT_SCALE_BITS, 8, 26);
  const rescale = p.rescale ?? 'multiply';
  if (rescale !== 'multiply' && rescale !== 'shift') {
    throw new RangeError(`rescale = '${String(rescale)}' is not supported: accepted 'multiply', 'shift'`);
  }
  return {
    headDim, pe, maxContext, dataFormat, scoreFormat,
    exp2: { indexBits, interpBits, tableFracBits, outFracBits },
    accFracBits, dotFracBits, scaleBits, rescale,
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
 * Every format of the lane. The arithmetic, written out for the defaults:
 *
 * - q . k: s32 x s32 = s64 with 2 * 17 = 34 fraction bits (Q30.34); magnitude <= 2^62 raw.
 *   P products: Q34.34 (68 bits); all d = 128: Q37.34 (71 bits). The sum is exact, so its
 *   value does not depend on the order of the additions.
 * - c = log2(e)/sqrt(d) = 0.12752 is applied to the score, once per token, not to q (which
 *   would cost d multiplies per query on the DOT multipliers): s = c * (q . k) is the same
 *   number. c is held as a 26-bit mantissa: scaleRaw = round(c * 2^cf) in [2^25, 2^26), here
 *   cf = 28, a relative precision of 2^-26.
 * - Before scaling, the dot is rounded (RNE) to 24 fraction bits and saturated at
 *   T = 2^(dotInt - 1), the smallest power of two with c * (T - 2^-24) >= 2^14 (the score's
 *   bound): every clipped dot gives a saturated score anyway, so the clip changes no result.
 *   Here T = 2^17: dotNarrow = Q18.24 (42 bits).
 * - score: dotNarrow * c is Q?.52 exact (68 bits); s = RNE to 17 fraction bits, saturated to
 *   Q15.17.
 * - running max m: 'multiply' -> Q15.17 (m is a score); 'shift' -> m = ceil of a score, an
 *   integer in [-2^14, 2^14]: Q16.0.
 * - exp2 input x = -|s - m| (or s - m_new for 'shift') saturated into Q15.17 (x <= 0).
 * - exp2 output e = alpha or beta in [0, 1]: UQ1.16 (17 bits, the DSP's 18-bit port holds it
 *   unsigned). The table keeps 30 fraction bits; the interpolated value is rounded once, to
 *   16 fraction bits: error <= 2^-17 absolute, below the interpolation error of the 33-entry
 *   table (about 6e-5 relative).
 * - Z = alpha * Z + beta: every term <= 1 and alpha * Z rounds to at most Z, so Z <= L <=
 *   maxContext = 2^14: UQ15.23 (38 bits). Z >= 1/2 always (the token that set the max
 *   contributes beta = 1, or 2^(s - ceil(s)) > 1/2 with 'shift').
 * - Y[j] = alpha * Y[j] + beta * v[j]: |Y| <= maxContext * max|v| = 2^14 * 2^14 = 2^28:
 *   Q29.23 (52 bits: two 26-bit pieces on the DSP's 27-bit port).
 * - 1/Z: with p = floor(log2 Z_raw) (22..37 here), Zm = the top 24 bits of Z_raw from its
 *   leading one, in [2^23, 2^24); r_m = min(RNE(2^(23 + 17) / Zm), 2^17 - 1) in [2^16, 2^17):
 *   17 bits, relative error <= 2^-17 (+ 2^-23 from the dropped bits); 1/Z ~ r_m *
 *   2^(accFrac - p - 17).
 * - o = Y / Z = RNE(Y_raw * r_m / 2^p) (data fraction bits), saturated to Q15.17. Y * r_m is
 *   s52 x u17 = s69 exact. |o| <= max|v| up to rounding.
 */
export function laneFormats(input: LaneParamsInput): LaneFormats {
  const params = resolveLaneParams(input);
  const { headDim: d, pe: P, maxContext, dataFormat: data, scoreFormat: score } = params;
  const dataT = qType(data);
  const dataMin = -(1n << BigInt(dataT.width - 1));

  const maxProd = dataMin * dataMin;
  const minProd = dataMin * (-dataMin - 1n);
  const prodFrac = 2 * data.fracBits;
  const product = signedQ(minProd, maxProd, prodFrac);
  const dotPartial = signedQ(BigInt(P) * minProd, BigInt(P) * maxProd, prodFrac);
  const dotAcc = signedQ(BigInt(d) * minProd, BigInt(d) * maxProd, prodFrac);

  // c as a normalised mantissa of scaleBits bits.
  const sb = params.scaleBits;
  let cf = sb - 1 - Math.floor(Math.log2(Math.LOG2E / Math.sqrt(d)));
  let scaleRaw = scaleConstant(d, cf);
  while (scaleRaw >= 1n << BigInt(sb)) scaleRaw = scaleConstant(d, --cf);
  while (scaleRaw < 1n << BigInt(sb - 1)) scaleRaw = scaleConstant(d, ++cf);
  const scale = Q(sb - cf, cf, false);

  // The dot clip T = 2^(dotInt - 1): smallest with c * (T - 2^-fd) >= 2^(scoreInt - 1).
  const fd = params.dotFracBits;
  const scoreBound = 1n << BigInt(score.intBits - 1 + cf + fd); // 2^(si-1), in units of 2^-(cf + fd)
  let dotInt = 2;
  while (scaleRaw * ((1n << BigInt(dotInt - 1 + fd)) - 1n) < scoreBound) dotInt++;
  // Never wider than the exact dot itself.
  const dotNarrow = Q(Math.min(dotInt, dotAcc.intBits), fd);
  const dnT = qType(dotNarrow);
  const scoreProduct = signedQ(-(1n << BigInt(dnT.width - 1)) * scaleRaw, ((1n << BigInt(dnT.width - 1)) - 1n) * scaleRaw, fd + cf);

  const scoreMin = -(1n << BigInt(qType(score).width - 1));
  const intMax = signedQ(scoreMin >> BigInt(score.fracBits), -(scoreMin >> BigInt(score.fracBits)), 0);
  const max: QFormat = params.rescale === 'multiply' ? score : intMax;
  const shiftAmount: HwType = { width: qType(intMax).width, signed: false };

  const Fe = params.exp2.outFracBits;
  const exp2Out = Q(1, Fe, false);
  const exp2Table = Q(2, params.exp2.tableFracBits, false);

  const af = params.accFracBits;
  const z = unsignedQ(BigInt(maxContext) << BigInt(af), af);
  const vMax = -dataMin; // |v| <= 2^(w-1) raw (data fraction bits)
  const yBound = (BigInt(maxContext) * vMax) << BigInt(af - data.fracBits);
  const y = signedQ(-yBound, yBound - 1n, af);

  const zw = qType(z).width;
  const zLead = { min: af - 1, max: zw - 1 };
  const recipMant: HwType = { width: RECIP_BITS, signed: false };
  const normProduct = s(qType(y).width + RECIP_BITS + 1);

  for (const [name, f] of Object.entries({ dotAcc, y, z, scoreProduct })) {
    const w = qType(f).width;
    if (w > 128) throw new RangeError(`derived ${name} width ${w} is too large: accepted up to 128 bits; reduce the parameters`);
  }

  return {
    params, data, product, dotPartial, dotAcc, dotNarrow, scale, scaleRaw, scoreProduct, score, max,
    exp2In: score, exp2Out, exp2Table, shiftAmount, z, y, recipMant, zLead, normProduct, out: data,
  };
}

/** One line per format, e.g. for a generator report: `name: Q15.17 (s32)`. */
export function describeFormats(f: LaneFormats): string[] {
  const rows: [string, QFormat][] = [
    ['data (q, k, v, o)', f.data], ["q.k product", f.product], ['dot partial (P)', f.dotPartial],
    ['dot accumulator (d)', f.dotAcc], ['dot narrowed', f.dotNarrow], ['scale constant c', f.scale],
    ['c * dot', f.scoreProduct], ['score s', f.score], ['running max m', f.max],
    ['exp2 input', f.exp2In], ['exp2 output', f.exp2Out], ['exp2 table', f.exp2Table],
    ['Z accumulator', f.z], ['Y accumulator', f.y], ['output o', f.out],
  ];
  return [
    ...rows.map(([n, q]) => `${n}: ${qName(q)} (${typeName(qType(q))})`),
    `c = log2(e)/sqrt(d): raw ${f.scaleRaw} (x 2^-${f.scale.fracBits})`,
    `reciprocal mantissa r_m: ${typeName(f.recipMant)}; Z leading one at bit ${f.zLead.min}..${f.zLead.max}`,
    `Y * r_m product: ${typeName(f.normProduct)}`,
    `shift amount: ${typeName(f.shiftAmount)}`,
  ];
}
