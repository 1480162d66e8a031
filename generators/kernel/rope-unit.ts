/**
 * The RoPE unit: rotates one pair (x_a, x_b) of a vector per cycle at a position, bit-exact with
 * the golden model (rope.ts: ropeRotate), fully pipelined (a pair every cycle, fixed latency,
 * no stall). The kernel feeds it the new token's q and k in pair order (toPairOrder).
 *
 * Stages, each step the golden model's own function on `Expr`:
 *   omega_i from a ROM (d/2 entries), phi = (pos * omega_i) mod 2^F on a chain of DSP tiles;
 *   ropeSplit; four reads of the quarter-wave sine table (C[j] = S[2^k - j]); the neighbour
 *   differences; diff * t on one tile each for sin and cos; the rounding, then the entry added
 *   (ropeInterpFinish in two stages); ropeQuadrant; the four products x * cos / x * sin on
 *   chains of tiles; the sum or difference; then the narrowing (rounding, then saturation).
 * DSP tiles: the angle chain (2 or 3), 2 for the interpolation, 4 x 2 for the rotation.
 */
import { Module, u, clog2, exprArith as A, qType, type Expr } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { roundShiftParts, applyRound, saturateFlagged } from '../../hdl/fixed.ts';
import { chainMul, placeTile, countTiles, pieceCount } from '../swiftkv/wide-mul.ts';
import { type RopeParams, ropeTypes, ropeTablesOf, ropeSplit, ropeQuadrant } from './rope.ts';

export interface RopeUnit {
  module: Module;
  /** Cycles from in_valid to out_valid of the same pair. */
  latency: number;
  /** DSP tiles. */
  tiles: number;
}

/** Position bits of the unit's pos input (positions 0 .. maxPos - 1). */
export function ropePosBits(p: RopeParams): number {
  return Math.max(1, clog2(p.maxPos));
}

/** Pair-index bits (pairs 0 .. d/2 - 1). */
export function ropePairBits(p: RopeParams): number {
  return Math.max(1, clog2(p.headDim / 2));
}

const cache = new Map<string, RopeUnit>();

export function buildRopeUnit(p: RopeParams): RopeUnit {
  const key = JSON.stringify(p);
  const hit = cache.get(key);
  if (hit) return hit;
  const t = ropeTypes(p);
  const m = new Module(`rope_d${p.headDim}_${p.pairing === 'half' ? 'h' : 'i'}`);
  m.hashName = true;
  m.doc = `RoPE of one (x_a, x_b) pair per cycle at position pos, base ${p.base}, ${p.pairing} pairing; bit-exact with generators/kernel/rope.ts ropeRotate.`;
  m.generator = { name: 'generators/kernel/rope-unit.ts buildRopeUnit', params: { ...p, data: `Q${p.data.intBits}.${p.data.fracBits}` } };
  const cd = m.clockDomain();
  const pl = new Pipeline(m, { domain: cd });
  const valid = pl.controlInput(m.input('in_valid', u(1), 'a pair'));
  const pos = pl.input(m.input('in_pos', u(ropePosBits(p)), `position 0 .. ${p.maxPos - 1} (the tokens already cached)`));
  const pair = pl.input(m.input('in_pair', u(ropePairBits(p)), `pair index i, 0 .. ${p.headDim / 2 - 1}`));
  const xa = pl.input(m.input('in_a', t.data, 'x_a, the pair\'s first element (data format)'));
  const xb = pl.input(m.input('in_b', t.data, 'x_b, its second element'));

  // omega_i, registered.
  const tables = ropeTablesOf(p);
  const omegaRom = m.rom('omega', t.angle, tables.omega);
  const omega = pl.input(omegaRom.read('omega_rd', pair.resize(clog2(tables.omega.length) || 1)));
  pl.next();
  // phi = pos * omega mod 2^F: omega cut into pieces on the port that needs fewer tiles.
  const posOp = pl.get(pos, 'pos_q');
  const omegaOp = pl.get(omega, 'omega_q');
  const port = posOp.width <= 17 && pieceCount(omegaOp.width, false, 'a') <= pieceCount(omegaOp.width, false, 'b') ? 'a' : 'b';
  const prod = chainMul(pl, 'angle', omegaOp, posOp, port);
  pl.next(pl.stageOf(prod) - pl.stage);
  pl.next();
  const phi = pl.get(prod.trunc(p.angleFrac).asUnsigned(), 'phi');
  const sp = ropeSplit(A, phi, p);
  // Table reads: S[j], S[j+1] and C[j] = S[2^k - j], C[j+1] = S[2^k - j - 1].
  const aw = clog2(tables.sin.length);
  const n = 1 << p.tableBits;
  const sinRom = m.rom('sine', t.entry, tables.sin);
  const j = sp.index.zext(aw);
  const jc = A.lit(n, u(aw)).sub(j).trunc(aw);
  const reads = {
    sLo: pl.input(sinRom.read('sin_lo', j)),
    sHi: pl.input(sinRom.read('sin_hi', j.add(1).trunc(aw))),
    cLo: pl.input(sinRom.read('cos_lo', jc)),
    cHi: pl.input(sinRom.read('cos_hi', jc.sub(1).trunc(aw))),
  };
  pl.next();
  const entry = { s: pl.get(reads.sLo, 'sin_entry'), c: pl.get(reads.cLo, 'cos_entry') };
  const diffOf = (lo: Expr, hi: Expr): Expr => hi.zext(t.entry.width + 1).asSigned().sub(lo.zext(t.entry.width + 1).asSigned()).resize(t.diff.width);
  const dS = diffOf(entry.s, pl.get(reads.sHi, 'sin_next'));
  const dC = diffOf(entry.c, pl.get(reads.cHi, 'cos_next'));
  pl.next();
  // diff * t (exact), one tile each.
  const weight = pl.get(sp.weight, 'weight');
  const stepS = placeTile(pl, 'sin_interp', pl.stage, { a: pl.get(dS, 'sin_diff'), b: weight });
  const stepC = placeTile(pl, 'cos_interp', pl.stage, { a: pl.get(dC, 'cos_diff'), b: weight });
  pl.next(pl.stageOf(stepS) - pl.stage);
  // ropeInterpFinish in two stages: the rounding, then the entry added.
  // A rounding in two stages: the parts (floor, round-up bit) registered here, applied a stage later.
  const roundParts = (x: Expr, drop: number, nm: string): { floor: Expr; up: Expr } => {
    const parts = roundShiftParts(A, x, drop);
    return { floor: pl.reg(`${nm}_floor`, parts.floor), up: pl.reg(`${nm}_up`, parts.up) };
  };
  const prodWidth = t.diff.width + t.weight.width + 1;
  const rS = roundParts(stepS.trunc(prodWidth), p.interpBits, 'sin_step');
  const rC = roundParts(stepC.trunc(prodWidth), p.interpBits, 'cos_step');
  pl.next();
  const finish = (entryV: Expr, r: { floor: Expr; up: Expr }): Expr =>
    entryV.zext(t.trig.width).asSigned().add(applyRound(A, { floor: pl.get(r.floor), up: pl.get(r.up) }).resize(t.trig.width)).resize(t.trig.width);
  const su = finish(pl.get(entry.s), rS);
  const cu = finish(pl.get(entry.c), rC);
  pl.next();
  const trig = ropeQuadrant(A, pl.get(sp.quadrant, 'quadrant'), pl.get(cu, 'cos_u'), pl.get(su, 'sin_u'));
  pl.next();
  const cos = pl.get(trig.cos, 'cos');
  const sin = pl.get(trig.sin, 'sin');
  // The rotation: x on the B port in pieces, cos / sin whole on A.
  const xaQ = pl.get(xa, 'xa');
  const xbQ = pl.get(xb, 'xb');
  const pAc = chainMul(pl, 'xa_cos', xaQ, cos, 'b');
  const pBs = chainMul(pl, 'xb_sin', xbQ, sin, 'b');
  const pAs = chainMul(pl, 'xa_sin', xaQ, sin, 'b');
  const pBc = chainMul(pl, 'xb_cos', xbQ, cos, 'b');
  pl.next(pl.stageOf(pAc) - pl.stage);
  const sumWidth = pAc.width + 1;
  const ya = pl.reg('ya_sum', pl.get(pAc).resize(sumWidth).sub(pl.get(pBs).resize(sumWidth)).trunc(sumWidth));
  const yb = pl.reg('yb_sum', pl.get(pAs).resize(sumWidth).add(pl.get(pBc).resize(sumWidth)).trunc(sumWidth));
  pl.next();
  // ropeRotateFinish (narrowFlagged) in two stages: the rounding, then the saturation.
  const ra = roundParts(ya, p.tableFrac, 'ya');
  const rb = roundParts(yb, p.tableFrac, 'yb');
  pl.next();
  const outA = saturateFlagged(A, applyRound(A, ra), t.data);
  const outB = saturateFlagged(A, applyRound(A, rb), t.data);
  pl.next();
  m.output('out_valid', u(1), 'the pair in_valid took latency cycles earlier').set(pl.get(valid));
  m.output('out_a', qType(p.data), 'y_a').set(pl.get(outA.value, 'y_a'));
  m.output('out_b', qType(p.data), 'y_b').set(pl.get(outB.value, 'y_b'));
  m.output('out_sat', u(1), 'y_a or y_b saturated').set(pl.get(outA.saturated.or(outB.saturated), 'y_sat'));
  const unit: RopeUnit = { module: m, latency: pl.stage, tiles: countTiles(m) };
  cache.set(key, unit);
  return unit;
}
