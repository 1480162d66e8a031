/**
 * The processing element: one signed 32 x 32 multiplier, registered (the DOT multiplier of a
 * lane), serving two kinds of work chosen at run time by `mode`:
 *
 *   mode 0  attention: p = a * b, FXP32 operands, exact 64-bit product.
 *   mode 1  GEMV INT8 x INT8, two MACs per cycle: weights w0 = a[7:0], w1 = a[15:8] (signed),
 *           activation x = b[7:0] (signed). The multiplier sees A = w0 + w1 * 2^16 and
 *           B = x, so A * B = w0*x + (w1*x) * 2^16. |wi*x| <= 2^14 fits a signed 16-bit field.
 *   mode 2  GEMV INT4 x INT8, three MACs per cycle: w0 = a[3:0], w1 = a[7:4], w2 = a[11:8],
 *           A = w0 + w1 * 2^12 + w2 * 2^24; |wi*x| <= 2^10 fits a signed 12-bit field.
 *
 * Unpacking is exact: field i is the low bits of (p >> (i*S)) after the borrows of the signed
 * fields below it are added back (corr_i = 1 when field i-1 is negative). Packing adds two
 * shifted adds on A and this correction after the register: muxes and adders, no multiplier.
 */
import { Module, u, s, mux, lit, cat, type Expr, type HwType } from '../../hdl/index.ts';

export const PE_MODE_ATTENTION = 0;
export const PE_MODE_INT8 = 1;
export const PE_MODE_INT4 = 2;

export interface PeParams {
  /** Build the GEMV packing (false: the plain attention multiplier, for the cost comparison). */
  gemv: boolean;
}

export function peName(p: PeParams): string {
  return p.gemv ? 'swiftkv_pe' : 'swiftkv_pe_attn_only';
}

/** The packed operand A of a GEMV mode: weights at field offsets 0, S, 2S, ... (exact, signed). */
function packWeights(a: Expr, count: number, wbits: number, field: number): Expr {
  let acc: Expr = a.slice(wbits - 1, 0).asSigned().resize(32);
  for (let i = 1; i < count; i++) {
    const w = a.slice((i + 1) * wbits - 1, i * wbits).asSigned();
    acc = acc.add(w.shl(i * field)).resize(32);
  }
  return acc;
}

/** Split a registered product into `count` signed `field`-bit results, with borrow correction. */
export function unpackFields(p: Expr, count: number, field: number): Expr[] {
  const out: Expr[] = [];
  let rest: Expr = p;
  for (let i = 0; i < count; i++) {
    const f = rest.slice(field - 1, 0).asSigned();
    out.push(f);
    if (i + 1 < count) {
      // rest' = (rest - f) / 2^field = (rest >> field) + (f < 0)
      rest = rest.shr(field).add(f.bit(field - 1).zext(2).asSigned()).resize(rest.width - field);
    }
  }
  return out;
}

export function buildPe(p: PeParams = { gemv: true }): Module {
  const m = new Module(peName(p));
  m.doc = p.gemv
    ? 'Processing element: registered signed 32x32 multiplier; mode 0 attention (FXP32), mode 1 two INT8xINT8 MACs, mode 2 three INT4xINT8 MACs.'
    : 'Processing element without GEMV support: registered signed 32x32 multiplier (cost reference).';
  m.generator = { name: 'generators/swiftkv/pe.ts buildPe', params: { ...p } };
  const cd = m.clockDomain({ reset: null });
  const a = m.input('a', s(32), 'attention: FXP32 operand; GEMV: packed signed weights');
  const b = m.input('b', s(32), 'attention: FXP32 operand; GEMV: activation in b[7:0]');
  const prodT: HwType = s(64);
  const prod = m.reg('p_q', prodT, { domain: cd, reset: null });
  m.output('p', prodT, 'attention product (one cycle after the operands)').set(prod);
  if (!p.gemv) {
    prod.set(a.mul(b));
    return m;
  }
  const mode = m.input('mode', u(2), '0 attention, 1 INT8xINT8 (2 MACs), 2 INT4xINT8 (3 MACs)');
  const modeQ = m.reg('mode_q', u(2), { domain: cd, reset: null });
  modeQ.set(mode);
  const isInt8 = mode.eq(PE_MODE_INT8);
  const isInt4 = mode.eq(PE_MODE_INT4);
  const opA = m.wire('op_a', mux(isInt8, packWeights(a, 2, 8, 16), mux(isInt4, packWeights(a, 3, 4, 12), a)));
  const x = b.slice(7, 0).asSigned().resize(32);
  const opB = m.wire('op_b', mux(isInt8.or(isInt4), x, b));
  prod.set(opA.mul(opB));
  const int8 = unpackFields(prod, 2, 16);
  const int4 = unpackFields(prod, 3, 12);
  // GEMV results, 16 bits per field (INT4 fields sign-extended): {g2, g1, g0}.
  const g = [0, 1, 2].map((i) =>
    mux(modeQ.eq(PE_MODE_INT8), i < 2 ? int8[i]! : lit(0, s(16)), int4[i]!.resize(16)),
  );
  m.output('g', u(48), 'GEMV products {g2, g1, g0}, signed 16 bits each').set(cat(g[2]!, g[1]!, g[0]!));
  return m;
}

/** Golden model of the GEMV modes: the products, plainly. */
export function peGolden(mode: number, a: bigint, b: bigint): bigint[] {
  const sx = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);
  const x = sx(b, 8);
  if (mode === PE_MODE_INT8) return [sx(a, 8) * x, sx(a >> 8n, 8) * x, 0n];
  if (mode === PE_MODE_INT4) return [0, 1, 2].map((i) => sx(a >> BigInt(4 * i), 4) * x);
  return [sx(a, 32) * sx(b, 32)];
}

