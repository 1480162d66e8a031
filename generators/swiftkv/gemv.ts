/**
 * GEMV on the PE array: y = W x with INT8 or INT4 signed weights, INT8 signed activations and a
 * signed 16-bit scale per (row, group of G columns). Exact integer arithmetic:
 *
 *   S[r][g] = sum_{j in group g} W[r][j] * x[j]      packed MACs on the PEs (2 INT8 or 3 INT4
 *                                                     rows per PE per cycle)
 *   y[r]    = sum_g scale[r][g] * S[r][g]            the same PE multipliers (plain mode), k
 *                                                     cycles per group (k = rows per PE)
 *
 * y is a signed 64-bit integer; with scales in Q1.15, y carries 15 fraction bits. This module
 * is one lane's share: the operands it sends to the lane's P PEs and the S and Y registers of
 * its k*P rows (row p*k + f of the lane is field f of PE p).
 */
import { Module, u, s, mux, lit, clog2, type Expr, type Signal } from '../../hdl/index.ts';
import { unpack, pack } from './lane.ts';
import { PE_MODE_INT4, PE_MODE_INT8 } from './pe.ts';

export interface GemvParams {
  P: number;
  /** Columns per scale group. */
  group: number;
}

/** One of three values by a 2-bit field index (3 selects the last). */
function pick3(field: Expr, v: readonly [Expr, Expr, Expr]): Expr {
  return mux(field.eq(0), v[0], mux(field.eq(1), v[1], v[2]));
}

export function buildGemvLane(p: GemvParams): Module {
  const { P } = p;
  const m = new Module(`swiftkv_gemv_p${P}`);
  m.doc = `GEMV share of one lane: operands for its ${P} PEs, group sums S and outputs Y of its rows (3 per PE).`;
  m.generator = { name: 'generators/swiftkv/gemv.ts buildGemvLane', params: { ...p } };
  const cd = m.clockDomain();
  const int4 = m.input('int4', u(1), '1: INT4 weights (3 rows per PE), 0: INT8 (2 rows per PE)');
  const mac = m.input('mac', u(1), 'a weight column is presented this cycle');
  const firstCol = m.input('first_col', u(1), 'first column of a group: S restarts');
  const w = unpack(m.input('w', u(P * 32), 'packed weights of each PE for this column'), P, s(32));
  const x = m.input('x', s(8), 'activation of this column');
  const scale = m.input('scale', u(1), 'a scaling cycle: Y[f] += S[f] * scale[f]');
  const field = m.input('field', u(2), 'row field f scaled this cycle');
  const scales = m.input('scales', u(P * 3 * 16), 'scale of each row (PE p, field f at (3p+f)*16)');
  const clear = m.input('clear', u(1), 'new row block: Y = 0');
  const outPe = m.input('out_pe', u(Math.max(1, clog2(P))), 'output select: PE');
  const outField = m.input('out_field', u(2), 'output select: field');
  const peP = unpack(m.input('pe_p', u(P * 64), 'PE products (plain mode)'), P, s(64));
  const peG = m.input('pe_g', u(P * 48), 'PE packed-mode products');

  // Operands (the PEs register them; everything below acts one cycle later).
  const sRegs: Signal[][] = [];
  const yRegs: Signal[][] = [];
  for (let i = 0; i < P; i++) {
    sRegs.push([0, 1, 2].map((f) => m.reg(`s_${i}_${f}`, s(32), { domain: cd, reset: 0 })));
    yRegs.push([0, 1, 2].map((f) => m.reg(`y_${i}_${f}`, s(64), { domain: cd, reset: 0 })));
  }
  const scaleOf = (i: number, f: number): Expr => scales.slice((3 * i + f) * 16 + 15, (3 * i + f) * 16).asSigned();
  const aOut: Expr[] = [];
  const bOut: Expr[] = [];
  for (let i = 0; i < P; i++) {
    const sSel = pick3(field, [sRegs[i]![0]!, sRegs[i]![1]!, sRegs[i]![2]!]);
    const scSel = pick3(field, [scaleOf(i, 0), scaleOf(i, 1), scaleOf(i, 2)]);
    aOut.push(mux(mac, w[i]!, mux(scale, sSel, lit(0, s(32)))));
    bOut.push(mux(mac, x.resize(32), mux(scale, scSel.resize(32), lit(0, s(32)))));
  }
  m.output('pe_a', u(P * 32)).set(pack(aOut));
  m.output('pe_b', u(P * 32)).set(pack(bOut));
  m.output('pe_mode', u(2)).set(mux(mac, mux(int4, lit(PE_MODE_INT4, u(2)), lit(PE_MODE_INT8, u(2))), lit(0, u(2))));

  const macD = m.reg('mac_d', u(1), { domain: cd, reset: 0 });
  const firstD = m.reg('first_d', u(1), { domain: cd, reset: 0 });
  const scaleD = m.reg('scale_d', u(1), { domain: cd, reset: 0 });
  const fieldD = m.reg('field_d', u(2), { domain: cd, reset: 0 });
  macD.set(mac);
  firstD.set(firstCol);
  scaleD.set(scale);
  fieldD.set(field);
  const g = unpack(peG, P * 3, s(16));
  for (let i = 0; i < P; i++) {
    for (let f = 0; f < 3; f++) {
      const sr = sRegs[i]![f]!;
      const prodF = g[3 * i + f]!;
      m.when(macD, () => sr.set(mux(firstD, prodF.resize(32), sr.add(prodF).resize(32))));
      const yr = yRegs[i]![f]!;
      m.when(scaleD.and(fieldD.eq(f)), () => yr.set(yr.add(peP[i]!).resize(64)));
      m.when(clear, () => yr.set(0));
    }
  }
  // Output select: Y of (out_pe, out_field).
  let y: Expr = lit(0, s(64));
  for (let i = P - 1; i >= 0; i--) {
    const row = pick3(outField, [yRegs[i]![0]!, yRegs[i]![1]!, yRegs[i]![2]!]);
    y = P === 1 ? row : mux(outPe.eq(i), row, y);
  }
  m.output('y', s(64), 'Y of the selected row').set(y);
  return m;
}

/**
 * Cycles of a GEMV job from the start pulse to done with every stream ready: the start cycle,
 * N/4 x beats, then per row block of R = k*P*H rows N weight columns, (k + 1) cycles per group
 * (one gap, k scaling cycles) and one drain cycle, and finally one cycle per output row.
 */
export function gemvCycles(o: { M: number; N: number; group: number; int4: boolean; P: number; H: number }): number {
  const k = o.int4 ? 3 : 2;
  const R = k * o.P * o.H;
  const blocks = Math.ceil(o.M / R);
  return 1 + o.N / 4 + blocks * (o.N + (o.N / o.group) * (k + 1) + 1) + o.M;
}

export interface GemvJob {
  /** Weights W[M][N] (INT8 or INT4 values). */
  w: readonly (readonly number[])[];
  /** Activations x[N], INT8. */
  x: readonly number[];
  /** scale[M][N / group], signed 16-bit. */
  scale: readonly (readonly number[])[];
  int4: boolean;
}

/** Golden model: exact integers. */
export function gemvGolden(job: GemvJob, group: number): bigint[] {
  return job.w.map((row, r) => {
    let y = 0n;
    for (let g = 0; g * group < job.x.length; g++) {
      let sum = 0n;
      for (let j = g * group; j < (g + 1) * group; j++) sum += BigInt(row[j]!) * BigInt(job.x[j]!);
      y += sum * BigInt(job.scale[r]![g]!);
    }
    return BigInt.asIntN(64, y);
  });
}
