/**
 * MAX and EXP: the running max of a head's scores and the one exp2 unit of the lane.
 *
 *   stage 0   MAX: m = max(m, s) (first token: m = s), the lane's only loop on this path: one
 *             compare and a multiplexer
 *   stage 1   exp2 input x = -|s - m| ('multiply'; or s - m_new for 'shift'), saturated
 *   stage 2   exp2 split (n, table index, interpolation weight); table ROM read
 *   stage 3   table difference; then one DSP tile: M = T[i] 2^J + (T[i+1] - T[i]) t
 *   ...       M * 2^(Fe + 1 - n), then RNE to UQ1.Fe (0 when x is too small)
 *
 * Per token out: e (alpha or beta), sel ('multiply': 1 when s is the new max, so alpha = e and
 * beta = 1; 'shift': the rescale shift m_new - m), the token tag, and the saturation flags
 * seen so far (score, exp2 input). The arithmetic is golden.ts's and exp2.ts's functions.
 */
import { Module, u, qType, clog2, lit, exprArith as A, roundShiftParts, applyRound, saturateFlagged, type Expr } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { maxStage, maxStageShift } from './golden.ts';
import { exp2Split, exp2Shift, exp2Table, exp2TableWidth, exp2DiffWidth, exp2OutWidth } from './exp2.ts';
import { placeTile, enableGemvTiles, finishGemvTiles, countTiles } from './wide-mul.ts';
import { META, type LaneConfig } from './config.ts';

export interface MaxExpBlock {
  readonly module: Module;
  /** DSP tiles of the block (each also serves GEMV when the lane has GEMV). */
  readonly tiles: number;
  /** Cycles from a score in to its e out. */
  readonly latency: number;
}

const cache = new Map<string, MaxExpBlock>();

export function buildMaxExp(c: LaneConfig): MaxExpBlock {
  const hit = cache.get(c.key);
  if (hit) return hit;
  const f = c.formats;
  const ec = f.params.exp2;
  const shiftMode = f.params.rescale === 'shift';
  const m = new Module(`swiftkv_maxexp_${shiftMode ? 'sh' : 'mul'}`);
  m.hashName = true;
  m.doc = shiftMode
    ? 'Running max kept integral (m = max(m, ceil(s))), exp2(s - m_new) and the rescale shift m_new - m.'
    : 'Running max; e = exp2(-|s - m|); sel = 1 when s is the new max (alpha = e, beta = 1), else alpha = 1, beta = e.';
  m.generator = { name: 'generators/swiftkv/maxexp.ts buildMaxExp', params: { rescale: f.params.rescale, exp2: ec } };
  const cd = m.clockDomain();
  if (c.gemv) enableGemvTiles(m);
  const p = new Pipeline(m, { domain: cd });
  const valid = p.controlInput(m.input('s_valid', u(1), 'a score'));
  const s = p.input(m.input('s', qType(f.score)));
  const sSat = p.input(m.input('s_sat', u(1), 'the score saturated'));
  const meta = p.input(m.input('s_meta', u(c.metaWidth), 'token tag'));
  const first = meta.bit(META.first);

  // Stage 0: the running max (the loop).
  const mReg = p.input(m.reg('m', qType(f.max), { domain: cd, reset: null })); // read at stage 0, written back at its end
  let sel: Expr;
  let xSat: Expr;
  let x: Expr;
  if (shiftMode) {
    const st = maxStageShift(A, mReg, s, first, f);
    m.when(valid, () => mReg.set(st.mNew));
    sel = st.shift;
    p.next();
    // exp2InputShift (golden.ts) in two stages: the difference, then the saturation.
    const diff = p.get(s).sub(p.get(st.mNew, 'm_new').shl(f.score.fracBits));
    p.next();
    const r = saturateFlagged(A, p.get(diff, 'x_diff'), qType(f.exp2In));
    x = r.value;
    xSat = r.saturated;
  } else {
    const st = maxStage(A, mReg, s, first, f);
    m.when(valid, () => mReg.set(st.mNew));
    const mEff = A.mux(first, s, mReg).named('m_eff');
    sel = st.sNew;
    p.next();
    // exp2Input (golden.ts) in two stages: the difference, then the saturation.
    const mOld = p.get(mEff, 'm_old');
    const sv = p.get(s);
    const diff = A.mux(p.get(st.sNew, 's_new'), mOld.sub(sv), sv.sub(mOld));
    p.next();
    const r = saturateFlagged(A, p.get(diff, 'x_diff'), qType(f.exp2In));
    x = r.value;
    xSat = r.saturated;
  }
  p.next();
  const xr = p.get(x, 'x');
  // exp2: split and table lookup.
  const sp = exp2Split(A, xr, ec);
  const table = exp2Table(ec.indexBits, ec.tableFracBits);
  const rom = m.rom('exp2_table', u(exp2TableWidth(ec)), table);
  const aw = clog2(table.length);
  const lo = rom.read('table_lo', sp.index.zext(aw));
  const hi = rom.read('table_hi', sp.index.zext(aw).add(1).trunc(aw));
  p.input(lo);
  p.input(hi);
  p.next();
  const loR = p.get(lo, 'lo');
  const diff = p.get(hi, 'hi').sub(loR).trunc(exp2DiffWidth(ec));
  p.next();
  // M = lo * 2^J + diff * t on one tile (exp2Mantissa is its golden).
  const mant = sp.t
    ? placeTile(p, 'interp', p.stage, { a: p.get(diff, 'diff'), b: p.get(sp.t, 't'), c: loR.shl(ec.interpBits) }).trunc(ec.tableFracBits + 1 + ec.interpBits).asUnsigned()
    : p.get(loR).trunc(ec.tableFracBits + 1);
  p.next(p.stageOf(mant) - p.stage);
  const shifted = exp2Shift(A, mant, p.get(sp.amount, 'amount'), ec);
  p.next();
  // exp2Finish (exp2.ts) in two stages: the rounding decision, then the add.
  const parts = roundShiftParts(A, p.get(shifted, 'shifted'), ec.tableFracBits + ec.interpBits + 1);
  p.next();
  const rounded = applyRound(A, { floor: p.get(parts.floor, 'e_floor'), up: p.get(parts.up, 'e_up') });
  const e = A.mux(p.get(sp.tooSmall, 'too_small'), lit(0, u(exp2OutWidth(ec))), rounded.trunc(exp2OutWidth(ec)));
  p.next();
  m.output('e_valid', u(1)).set(p.get(valid));
  m.output('e', u(exp2OutWidth(ec)), `exp2 result, ${ec.outFracBits} fraction bits`).set(p.get(e, 'e'));
  m.output('sel', sel.type, shiftMode ? 'rescale shift m_new - m' : '1: alpha = e, beta = 1').set(p.get(sel, 'sel'));
  m.output('meta', u(c.metaWidth), 'token tag').set(p.get(meta));
  m.output('sat_score', u(1)).set(p.get(sSat));
  m.output('sat_exp2in', u(1), 'the exp2 input saturated').set(p.at(xSat, p.stage, 'x_sat'));
  const tiles = c.gemv ? finishGemvTiles(m) : countTiles(m);
  const block = { module: m, tiles, latency: p.stage };
  cache.set(c.key, block);
  return block;
}
