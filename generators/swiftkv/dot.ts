/**
 * DOT and SCORE: the score of each token, s = narrow(c * narrowDot(q . k)).
 *
 *   beat (P elements of q and of k)
 *     -> P x (tiles per product) DSP tiles: every partial product class (the product's pieces,
 *        e.g. q_lo*k_lo, q_lo*k_hi, q_hi*k_lo, q_hi*k_hi for 32-bit data) on its own tile
 *     -> one pipelined adder tree per class over the P elements (exact)
 *     -> per class, accumulation over the B beats of a token (the only loop: one add)
 *     -> after the token's last beat: the classes combined into the exact dot (q . k)
 *     -> narrowDot (RNE to dotFracBits, clip) -> c * dotN on a chain of tiles -> s (RNE, sat)
 *
 * Summing each class before combining keeps every adder narrow (about 50 bits instead of 64 to
 * 71) and is exact, so the score equals the golden model's. Data registers carry no reset;
 * valid bits do. Latency (valid beat in -> score out) is derived by the pipeline helper.
 */
import { Module, u, type Expr, bitsFor, qType, exprArith as A } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { scaleLiteral } from './golden.ts';
import { gridProducts, chainMul, enableGemvTiles, finishGemvTiles, countTiles } from './wide-mul.ts';
import { unpack } from '../common/packing.ts';
import type { LaneConfig } from './config.ts';

export interface DotBlock {
  readonly module: Module;
  /** DSP tiles of the block (each also serves GEMV when the lane has GEMV). */
  readonly tiles: number;
  /** Cycles from a token's last beat in to its score out. */
  readonly latency: number;
}

const cache = new Map<string, DotBlock>();

export function buildDot(c: LaneConfig): DotBlock {
  const key = c.key;
  const hit = cache.get(key);
  if (hit) return hit;
  const f = c.formats;
  const { P } = c;
  const dataT = qType(f.data);
  const m = new Module(`swiftkv_dot_d${c.d}_p${P}`);
  m.hashName = true;
  m.doc = 'Scores of tokens: q . k on DSP tiles by partial-product class, accumulated over the beats of a token, then s = narrow(c * narrowDot(dot)).';
  m.generator = { name: 'generators/swiftkv/dot.ts buildDot', params: { d: c.d, P } };
  const cd = m.clockDomain();
  if (c.gemv) enableGemvTiles(m);
  const p = new Pipeline(m, { domain: cd });
  const valid = p.controlInput(m.input('in_valid', u(1), 'one beat of q and k'));
  const first = p.controlInput(m.input('in_first', u(1), 'first beat of a token'));
  const last = p.controlInput(m.input('in_last', u(1), 'last beat of a token'));
  const meta = p.input(m.input('in_meta', u(c.metaWidth), 'token tag, returned with its score'));
  const qs = unpack(p.input(m.input('in_q', u(P * dataT.width), 'P elements of q')), P, dataT);
  const ks = unpack(p.input(m.input('in_k', u(P * dataT.width), 'P elements of k')), P, dataT);

  // Partial products of every element, grouped by class (same shift).
  const classes = new Map<number, Expr[]>();
  for (let i = 0; i < P; i++) {
    for (const pp of gridProducts(p, `pe${i}`, qs[i]!, ks[i]!)) {
      const list = classes.get(pp.shift) ?? [];
      list.push(pp.value);
      classes.set(pp.shift, list);
    }
  }
  p.next(3);
  const shifts = [...classes.keys()].sort((a, b) => a - b);
  const trees = shifts.map((sh) => p.sumTree(`cls${sh}`, classes.get(sh)!));
  p.next(p.stageOf(trees[0]!) - p.stage);
  // Accumulate each class over the beats of a token.
  const accs = trees.map((t, i) => {
    const w = t.width + bitsFor(BigInt(c.B), false);
    const acc = m.reg(`acc_cls${shifts[i]}`, t.type.signed ? { width: w, signed: true } : u(w), { domain: cd, reset: null });
    const beat = p.get(valid);
    m.when(beat, () => acc.set(A.mux(p.get(first), t.resize(w), acc.add(t).resize(w))));
    return acc;
  });
  const tokenValid = p.get(valid).and(p.get(last));
  p.next();
  accs.forEach((a) => p.input(a));
  const dotW = qType(f.dotAcc).width;
  // The exact dot fits dotW bits (numerics.ts), so resizing the class sum to it is exact.
  const dot = p.sumTree('dot', accs.map((a, i) => a.shl(shifts[i]!)));
  p.next(p.stageOf(dot) - p.stage);
  // narrowDot and scoreFromProduct (golden.ts), each as its three steps in three stages.
  const dn = p.narrow('dot', dot.resize(dotW), f.dotAcc.fracBits - f.dotNarrow.fracBits, qType(f.dotNarrow));
  p.next();
  const dnValue = p.get(dn.value, 'dot_narrow');
  const prod = chainMul(p, 'scale', dnValue, scaleLiteral(A, f), 'b');
  p.next(p.stageOf(prod) - p.stage);
  const sc = p.narrow('score', prod.resize(qType(f.scoreProduct).width), f.dotNarrow.fracBits + f.scale.fracBits - f.score.fracBits, qType(f.score));
  const sat = p.get(dn.saturated).or(sc.saturated);
  p.next();
  m.output('s_valid', u(1), 'a score').set(p.get(tokenValid, 'score_valid'));
  m.output('s', qType(f.score), 'score, narrowed').set(p.get(sc.value, 'score'));
  m.output('s_sat', u(1), 'the score (or the dot before it) saturated').set(p.get(sat, 'score_sat'));
  m.output('s_meta', u(c.metaWidth), 'the token tag').set(p.get(meta));
  // Stage 0 takes the token's last beat; the score leaves at the last stage.
  const tiles = c.gemv ? finishGemvTiles(m) : countTiles(m);
  const block = { module: m, tiles, latency: p.stage };
  cache.set(key, block);
  return block;
}
