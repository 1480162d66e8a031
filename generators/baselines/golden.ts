/**
 * Bit-exact golden models of the two baselines SwiftKV is compared with, built from the lane's
 * own datapath functions (generators/swiftkv/golden.ts, exp2.ts), so the three variants differ
 * only in the algorithm, never in the arithmetic:
 *
 *   native     all L scores first (s_t = scoreStep(q . k_t)), then M = max_t s_t, then
 *              e_t = exp2(s_t - M), Z = sum e_t, Y = sum RNE(e_t v_t), o = Y / Z
 *   blockwise  FlashAttention-style, blocks of `block` tokens: the block's scores, its max mb and
 *              the first token t* attaining it; m_new = max(m, mb); if the max grew (not on the
 *              head's first block) the running Z and Y are rescaled by alpha = exp2(m - m_new),
 *              once per block; then e_t = exp2(s_t - m_new) for the block's tokens.
 *
 * Native is blockwise with one block holding the whole context (block >= L): the same function.
 *
 * The accumulate step is the lane's (accZMultiply / accYMultiply). In the lane, sel = 1 means
 * "alpha = e, beta = 1": Y' = RNE(e Y) + v, Z' = RNE(e Z) + 1. A block's rescale is exactly that
 * step applied to t*, the token whose weight is exp2(mb - m_new) = 1 when the max grew, so the
 * hardware accumulates t* first, with e = alpha and sel = 1, and the block's other tokens after
 * it with sel = 0 (Y' = Y + RNE(e_t v_t), Z' = Z + e_t). The adds are exact (no accumulator
 * saturates up to maxContext), so this equals the textbook order, Y' = RNE(alpha Y) and then
 * every token of the block in turn (t* with weight exactly 1), bit for bit.
 *
 * The exp2 input of every token is x = sat(s_t - m_new) (<= 0), and of alpha sat(m - m_new): the
 * lane's maxStage with a running max primed to m_new (the hardware feeds m_new to the lane's
 * MAX/EXP block as a head's "first" score, then the others). Saturation flags use the lane's
 * mask bits (generators/swiftkv/saturation.ts).
 */
import { valueArith as A } from '../../hdl/arith.ts';
import { Value } from '../../hdl/value.ts';
import { u, fits, typeName } from '../../hdl/types.ts';
import { qType, qName } from '../../hdl/fixed.ts';
import { laneFormats, RECIP_BITS, type LaneFormats } from '../swiftkv/numerics.ts';
import { exp2Fixed, valueLookup } from '../swiftkv/exp2.ts';
import {
  SAT, dotExact, scoreStep, maxStage, accZMultiply, accYMultiply, zLeadingOne, recipMantissa, normFinish,
  type GoldenOptions, type GoldenResult,
} from '../swiftkv/golden.ts';

export type BaselineKind = 'native' | 'blockwise';

export interface BaselineVariant {
  readonly kind: BaselineKind;
  /** Tokens per block (blockwise only): 1..maxContext. */
  readonly block?: number;
}

export interface BaselineGoldenOptions extends Omit<GoldenOptions, 'trace' | 'rescale'> {
  readonly variant: BaselineVariant;
}

/** Tokens per block of a variant: native holds the whole context in one block. */
export function blockTokens(v: BaselineVariant, maxContext: number): number {
  if (v.kind === 'native') return maxContext;
  const b = v.block;
  if (b === undefined || !Number.isInteger(b) || b < 1 || b > maxContext) {
    throw new RangeError(`blockwise block = ${String(b)} is out of range: accepted integers 1..${maxContext} (maxContext)`);
  }
  return b;
}

function checkInputs(q: readonly bigint[], k: readonly (readonly bigint[])[], v: readonly (readonly bigint[])[], f: LaneFormats): void {
  const d = f.params.headDim;
  const L = k.length;
  if (q.length !== d) throw new RangeError(`q has ${q.length} elements but headDim = ${d}`);
  if (L < 1 || L > f.params.maxContext) throw new RangeError(`context length L = ${L} is out of range: accepted 1..${f.params.maxContext} (maxContext)`);
  if (v.length !== L) throw new RangeError(`k has ${L} rows but v has ${v.length}: accepted equal counts`);
  const dt = qType(f.data);
  const check = (what: string, x: bigint): void => {
    if (typeof x !== 'bigint' || !fits(x, dt)) throw new RangeError(`${what} = ${String(x)} does not fit the data format ${qName(f.data)} (${typeName(dt)})`);
  };
  q.forEach((x, i) => check(`q[${i}]`, x));
  for (let t = 0; t < L; t++) {
    if (k[t]!.length !== d || v[t]!.length !== d) throw new RangeError(`token ${t}: k has ${k[t]!.length} and v ${v[t]!.length} elements: accepted ${d} (headDim)`);
    k[t]!.forEach((x, i) => check(`k[${t}][${i}]`, x));
    v[t]!.forEach((x, i) => check(`v[${t}][${i}]`, x));
  }
}

/** The order in which the hardware accumulates a block's tokens: t* first when the block rescales. */
export function blockOrder(n: number, argmax: number, rescale: boolean): number[] {
  const rest = Array.from({ length: n }, (_, i) => i);
  return rescale ? [argmax, ...rest.filter((i) => i !== argmax)] : rest;
}

/**
 * Bit-exact native or blockwise attention for one query and one head (raw data-format values,
 * as goldenAttention). The rescale option of the lane does not apply: both baselines use the
 * 'multiply' accumulate step.
 */
export function goldenBaseline(q: readonly bigint[], k: readonly (readonly bigint[])[], v: readonly (readonly bigint[])[], options: BaselineGoldenOptions): GoldenResult {
  const { variant, ...lane } = options;
  const f = laneFormats({ ...lane, headDim: lane.headDim ?? q.length, rescale: 'multiply' });
  checkInputs(q, k, v, f);
  const bk = blockTokens(variant, f.params.maxContext);
  const L = k.length;
  const d = f.params.headDim;
  const dt = qType(f.data);
  const lookup = valueLookup(f.params.exp2);
  const ex = (x: Value): Value => exp2Fixed(A, x, lookup, f.params.exp2);
  const dotW = qType(f.dotAcc).width;
  const qv = q.map((x) => Value.of(x, dt));
  const one = A.lit(1, u(1));
  const zero = A.lit(0, u(1));
  let sat = 0;
  const flag = (bit: number, x: Value): void => {
    if (x.isTrue()) sat |= bit;
  };

  let m = A.lit(0, qType(f.max));
  let z = A.lit(0, qType(f.z));
  const y: Value[] = Array.from({ length: d }, () => A.lit(0, qType(f.y)));
  const accumulate = (t: number, e: Value, sel: Value): void => {
    const zr = accZMultiply(A, z, e, sel, f);
    flag(SAT.acc, zr.saturated);
    z = zr.value;
    for (let j = 0; j < d; j++) {
      const yr = accYMultiply(A, y[j]!, Value.of(v[t]![j]!, dt), e, sel, f);
      flag(SAT.acc, yr.saturated);
      y[j] = yr.value;
    }
  };

  for (let b0 = 0; b0 < L; b0 += bk) {
    const n = Math.min(bk, L - b0);
    // The block's scores, its max and the first token attaining it (strict >, as the hardware).
    const s: Value[] = [];
    let argmax = 0;
    for (let i = 0; i < n; i++) {
      const sc = scoreStep(A, dotExact(A, qv, k[b0 + i]!.map((x) => Value.of(x, dt)), dotW), f);
      flag(SAT.score, sc.saturated);
      s.push(sc.value);
      if (i > 0 && sc.value.gt(s[argmax]!).isTrue()) argmax = i;
    }
    const mb = s[argmax]!;
    const firstBlock = b0 === 0;
    const rescale = !firstBlock && mb.gt(m).isTrue();
    const mNew = firstBlock || rescale ? mb : m;
    // The MAX/EXP block primed with m_new: every later input s <= m_new gives x = sat(s - m_new).
    const expOf = (x: Value): Value => {
      const st = maxStage(A, mNew, x, zero, f);
      flag(SAT.exp2in, st.xSaturated);
      return ex(st.x);
    };
    for (const i of blockOrder(n, argmax, rescale)) {
      if (rescale && i === argmax) accumulate(b0 + i, expOf(m), one);
      else accumulate(b0 + i, expOf(s[i]!), zero);
    }
    m = mNew;
  }

  const zRaw = z.toBigInt();
  if (zRaw < 1n << BigInt(f.z.fracBits - 1)) throw new Error(`internal: Z = ${zRaw} (raw) is below 1/2; the reciprocal would overflow`);
  const p = zLeadingOne(zRaw);
  const rmV = Value.of(recipMantissa(zRaw, f), f.recipMant).zext(RECIP_BITS + 1).asSigned();
  const lead = Value.of(p - f.zLead.min, u(Math.max(1, (f.zLead.max - f.zLead.min).toString(2).length)));
  const o = y.map((yj) => {
    const r = normFinish(A, yj.mul(rmV), lead, f);
    flag(SAT.out, r.saturated);
    return r.value.toBigInt();
  });
  return { o, sat };
}
