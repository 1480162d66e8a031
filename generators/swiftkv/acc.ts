/**
 * ACC: the rescale-accumulate of Z and of the d-vector Y, P elements per cycle.
 *
 * A token starts when its exp2 result is at the head of the token queue, all B of its v beats
 * are in the v FIFO, and at least II cycles have passed since the previous token started;
 * then its B beats issue on B consecutive cycles. Y lives in a small RAM of two banks (one
 * per head in flight, so a head's Y can be normalised while the next head accumulates), B
 * words of P elements each; Z in a register.
 *
 * 'multiply' rescale, per element (golden.ts: accYOperand / accRound / accAdd):
 *   read Y[bank][j] -> operand (Y if s is the new max, else v) -> e * operand on a chain of
 *   DSP tiles -> RNE onto Y's fraction bits -> + (v or Y) -> saturate -> write Y[bank][j]
 * 'shift' rescale: e * v on the tiles (outside the loop); Y is read later, shifted right with
 *   rounding, added, written back.
 * The loop (read of a word to the write of its new value) is the only one; its depth D is
 * derived from the pipeline, and tokens start at least II = max(B, D) cycles apart, so a word
 * is never read before its previous update was written. With B >= D (e.g. d = 128, P = 16)
 * this costs nothing: one token every B cycles.
 *
 * The first token of a head adds to 0 instead of the RAM's stale contents (no clearing).
 * When the last token of a head is done, the block reports that head's final Z (for the
 * reciprocal) and, once the last Y word is written, that its bank is complete (for NORM),
 * with the head's accumulator saturation flag.
 */
import { Module, u, qType, clog2, cat, mux, lit, exprArith as A, saturateFlagged, type Expr } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { accYOperand, accParts, addWithCarry, alignToY, alignToZ, shiftParts, roundParts, betaV } from './golden.ts';
import { chainMul, enableGemvTiles, finishGemvTiles, countTiles } from './wide-mul.ts';
import { pack, unpack } from '../common/packing.ts';
import { META, type LaneConfig } from './config.ts';

export interface AccBlock {
  readonly module: Module;
  /** DSP tiles of the block (each also serves GEMV when the lane has GEMV). */
  readonly tiles: number;
  /** Loop depth: cycles from the read of a Y word to the first cycle its new value can be read. */
  readonly loopDepth: number;
  /** Initiation interval: cycles between the starts of two tokens (max(B, loopDepth)). */
  readonly interval: number;
  /** Cycles from a token's start to its head's Z out (last token) / bank done (last beat + this). */
  readonly zLatency: number;
  readonly bankLatency: number;
}

const cache = new Map<string, AccBlock>();

export function buildAcc(c: LaneConfig): AccBlock {
  const hit = cache.get(c.key);
  if (hit) return hit;
  const f = c.formats;
  const { P, B } = c;
  const shiftMode = f.params.rescale === 'shift';
  const dataT = qType(f.data);
  const yT = qType(f.y);
  const zT = qType(f.z);
  const eT = qType(f.exp2Out);
  const selT = shiftMode ? f.shiftAmount : u(1);
  const bw = Math.max(1, clog2(B));
  const aw = bw + 1; // Y address: {bank, word}
  const m = new Module(`swiftkv_acc_d${c.d}_p${P}_${shiftMode ? 'sh' : 'mul'}`);
  m.hashName = true;
  m.doc = 'Rescale-accumulate of Z and Y (P elements per cycle), Y in two banks of B words, one token every II cycles.';
  m.generator = { name: 'generators/swiftkv/acc.ts buildAcc', params: { d: c.d, P, rescale: f.params.rescale } };
  const cd = m.clockDomain();
  if (c.gemv) enableGemvTiles(m);

  // ---- token queue and v FIFO (heads of two FIFOs in the lane) ------------------------------
  const tokValid = m.input('tok_valid', u(1), 'a token: its e, sel and tag');
  const tokReady = m.output('tok_ready', u(1), 'the token starts (pop)');
  const tokE = m.input('tok_e', eT);
  const tokSel = m.input('tok_sel', selT);
  const tokMeta = m.input('tok_meta', u(c.metaWidth));
  const tokSat = m.input('tok_sat', u(2), 'saturation flags of the token so far: {exp2 input, score}');
  const bankFree = m.input('bank_free', u(2), 'bank b may take a new head (NORM has read the old one)');
  const vCount = m.input('v_count', u(clog2(2 * B + 64)), 'beats in the v FIFO');
  const vData = m.input('v_data', u(P * dataT.width), 'the v FIFO head: P elements');
  const vPop = m.output('v_pop', u(1), 'one v beat is taken');
  const normAddr = m.input('norm_addr', u(aw), 'NORM read: {bank, word}');
  const normY = m.output('norm_y', u(P * yT.width), 'Y word at norm_addr (no latency)');

  // ---- issue: B consecutive beats per token, tokens at least II cycles apart ---------------
  const beat = m.reg('beat', u(bw), { domain: cd, reset: 0 });
  const busy = m.reg('issuing', u(1), { domain: cd, reset: 0 });
  const curE = m.reg('cur_e', eT, { domain: cd, reset: null });
  const curSel = m.reg('cur_sel', selT, { domain: cd, reset: null });
  const curMeta = m.reg('cur_meta', u(c.metaWidth), { domain: cd, reset: null });
  const curSat = m.reg('cur_sat', u(2), { domain: cd, reset: null });
  // II is only known once the loop is built; `since` counts cycles since the last start
  // (saturating), wide enough for any II this block can have (max(B, loop depth < 64)).
  const sw = clog2(Math.max(B, 64) + 2);
  const sinceMax = (1 << sw) - 1;
  const since = m.reg('since_start', u(sw), { domain: cd, reset: sinceMax });
  const intervalOk = m.wire('interval_ok', u(1));
  const lastBeat = B === 1 ? lit(1, u(1)) : beat.eq(B - 1);
  // A token's v beats all entered the v FIFO before its score existed, so B are there; the
  // check keeps its beats on B consecutive cycles whatever the FIFO does.
  // A head's first token also needs its bank free.
  const tokFirst = tokMeta.bit(META.first);
  const tokBankFree = mux(tokMeta.bit(META.bank), bankFree.bit(1), bankFree.bit(0));
  const canStart = m.wire('can_start', tokValid.and(vCount.ge(B)).and(intervalOk).and(busy.not()).and(tokFirst.not().or(tokBankFree)));
  tokReady.set(canStart);
  const issue = m.wire('issue', busy.or(canStart));
  vPop.set(issue);
  const startNow = canStart;
  m.when(startNow, () => {
    curE.set(tokE);
    curSel.set(tokSel);
    curMeta.set(tokMeta);
    curSat.set(tokSat);
    since.set(1);
  }).otherwise(() => m.when(since.ne(sinceMax), () => since.set(since.add(1).trunc(sw))));
  m.when(issue, () => {
    if (B > 1) beat.set(mux(lastBeat, lit(0, u(bw)), beat.add(1).trunc(bw)));
  });
  m.when(startNow, () => busy.set(B > 1 ? 1 : 0)).elsewhen(busy.and(lastBeat), () => busy.set(0));
  // The beat's operands: a starting token takes its values from the queue head directly.
  const e0 = mux(startNow, tokE, curE);
  const sel0 = mux(startNow, tokSel, curSel);
  const meta0 = mux(startNow, tokMeta, curMeta);
  const tsat0 = mux(startNow, tokSat, curSat);
  const j0 = beat; // 0 when a token starts: the previous token's last beat wrapped it

  // ---- the beat pipeline --------------------------------------------------------------------
  const p = new Pipeline(m, { domain: cd });
  const valid = p.controlInput(issue);
  const e = p.input(e0.named('beat_e'));
  const sel = p.input(sel0.named('beat_sel'));
  const meta = p.input(meta0.named('beat_meta'));
  const tsat = p.input(tsat0.named('beat_tok_sat'));
  const j = p.input(j0.named('beat_word'));
  const isFirstBeat = p.input(j0.eq(0).named('beat_is_first'));
  const isLastBeat = p.input((B === 1 ? lit(1, u(1)) : j0.eq(B - 1)).named('beat_is_last'));
  const v = unpack(p.input(vData), P, dataT);
  const first = meta.bit(META.first);
  const bank = meta.bit(META.bank);
  const yRam = m.memory('y_ram', { type: u(P * yT.width), depth: 1 << aw });
  yRam.doc = `Y: 2 banks x ${B} words of ${P} elements`;
  const addrOf = (bk: Expr, word: Expr): Expr => cat(bk, word);
  normY.set(yRam.read('norm_word', normAddr));

  const zReg = m.reg('z_acc', zT, { domain: cd, reset: null });
  const zFinValid = m.output('z_valid', u(1), 'a head is complete: its final Z');
  const zFin = m.output('z', zT, 'final Z of the head');
  const zBank = m.output('z_bank', u(1));
  const bankDone = m.output('bank_valid', u(1), 'the last Y word of a head is written');
  const bankId = m.output('bank', u(1));
  const bankSat = m.output('bank_sat', u(3), "saturation flags of that head: {acc, exp2 input, score}");

  let loopRead: number;
  let writeData: Expr;
  let ySat: Expr;
  let zNew: Expr;
  let zSat: Expr;
  // Z is written only between tokens (II apart), so within a token's flight it is steady.
  p.steady(zReg);
  if (!shiftMode) {
    // Read Y at stage 0; the operand is Y (s is the new max) or v.
    const yRd = p.input(yRam.read('y_old', addrOf(bank, j)));
    loopRead = p.stage;
    const prods = unpack(yRd, P, yT).map((y, i) => chainMul(p, `y${i}`, accYOperand(A, y, v[i]!, sel, f), e, 'a'));
    // Z: one product per token (the beat-0 slot carries it).
    // e * Z >= 0: as unsigned, the type the golden model's e * Z has (exact).
    const zProdS = chainMul(p, 'z', zReg, e, 'a');
    const zProd = zProdS.trunc(zT.width + eT.width).asUnsigned();
    p.next(p.stageOf(prods[0]!) - p.stage);
    // accYFinish / accZFinish (golden.ts) in three stages: rounding decision (and the addend,
    // read again: the RAM still holds the old Y until this token writes it), one add with the
    // rounding carry, the saturation.
    const parts = prods.map((pr) => accParts(A, pr, f));
    const zParts = accParts(A, zProd, f);
    const sNew = p.get(sel);
    const fst = p.get(first);
    const yAgain = unpack(p.input(yRam.read('y_addend', addrOf(p.get(bank), p.get(j)))), P, yT);
    const addends = yAgain.map((y, i) => mux(sNew, alignToY(A, p.get(v[i]!), f), mux(fst, lit(0, yT), y)));
    p.next();
    const sums = parts.map((pt, i) => addWithCarry(A, p.get(pt.floor, `y${i}_floor`), p.get(addends[i]!, `y${i}_addend`), p.get(pt.up, `y${i}_up`)));
    const zw = Math.max(zParts.floor.width, zT.width);
    const sNew2 = p.get(sNew);
    const zBase = mux(sNew2, p.get(zParts.floor, 'z_floor').zext(zw), mux(p.get(fst), lit(0, zT), zReg).zext(zw));
    const zAdd = mux(sNew2, lit(1n << BigInt(f.z.fracBits), zT), alignToZ(A, p.get(e), f));
    const zSum = addWithCarry(A, zBase, zAdd, sNew2.and(p.get(zParts.up, 'z_up')));
    p.next();
    const ys = sums.map((x, i) => saturateFlagged(A, p.get(x, `y${i}_sum`), yT));
    writeData = pack(ys.map((r) => r.value));
    ySat = ys.map((r) => r.saturated).reduce((a, b) => a.or(b));
    const zr = saturateFlagged(A, p.get(zSum, 'z_sum').asUnsigned(), zT);
    zNew = zr.value;
    zSat = zr.saturated;
  } else {
    // e * v on the tiles first; Y is read when the product is nearly ready.
    const prods = v.map((x, i) => chainMul(p, `bv${i}`, alignToY(A, x, f), e, 'a'));
    p.next(p.stageOf(prods[0]!) - p.stage - 1);
    loopRead = p.stage;
    const yRd = p.input(yRam.read('y_old', addrOf(p.get(bank), p.get(j))));
    const shift = p.get(sel);
    const fst = p.get(first);
    // accYShift / accZShift (golden.ts) in four stages: shift parts; the rounding adds (and
    // RNE(e v)); the sum; the saturation.
    const yParts = unpack(yRd, P, yT).map((y) => shiftParts(A, mux(fst, lit(0, yT), y), shift));
    const zParts = shiftParts(A, mux(fst, lit(0, zT), zReg), shift);
    p.next();
    const round = (pt: { floor: Expr; guard: Expr; sticky: Expr }, w: number, nm: string): Expr =>
      roundParts(A, { floor: p.get(pt.floor, `${nm}_floor`), guard: p.get(pt.guard, `${nm}_guard`), sticky: p.get(pt.sticky, `${nm}_sticky`) }, w);
    const yShifted = yParts.map((pt, i) => round(pt, yT.width, `y${i}`));
    const bvs = prods.map((pr) => betaV(A, pr, f));
    const zShifted = round(zParts, zT.width, 'z');
    p.next();
    const sums = yShifted.map((y, i) => p.get(y, `y${i}_shifted`).add(p.get(bvs[i]!, `bv${i}`)));
    const zSum = p.get(zShifted, 'z_shifted').add(alignToZ(A, p.get(e), f));
    p.next();
    const ys = sums.map((x, i) => saturateFlagged(A, p.get(x, `y${i}_sum`), yT));
    writeData = pack(ys.map((r) => r.value));
    ySat = ys.map((r) => r.saturated).reduce((a, b) => a.or(b));
    const zr = saturateFlagged(A, p.get(zSum, 'z_sum'), zT);
    zNew = zr.value;
    zSat = zr.saturated;
  }
  // Write back at this stage: the new value can be read from the next cycle on.
  const wValid = p.get(valid);
  yRam.write(addrOf(p.get(bank), p.get(j)), writeData, wValid, cd);
  const loopDepth = p.stage + 1 - loopRead;
  const interval = Math.max(B, loopDepth);
  if (interval > sinceMax) throw new RangeError(`internal: II = ${interval} exceeds the start counter (${sinceMax})`);
  intervalOk.set(since.ge(interval));
  const zWrite = wValid.and(p.get(isFirstBeat));
  m.when(zWrite, () => zReg.set(zNew));
  // Per-head saturation: a flag per bank, restarted by the head's first beat.
  const satBank = [0, 1].map((b) => m.reg(`sat_bank${b}`, u(3), { domain: cd, reset: 0 }));
  const thisBank = p.get(bank);
  const headFirst = p.get(first).and(p.get(isFirstBeat));
  const satNow = cat(ySat.or(zSat.and(zWrite)), p.get(tsat));
  satBank.forEach((r, b) => {
    m.when(wValid.and(thisBank.eq(b)), () => r.set(mux(headFirst, satNow, r.or(satNow))));
  });
  const lastTok = p.get(meta.bit(META.last));
  const headDone = wValid.and(lastTok).and(p.get(isLastBeat));
  p.next();
  zFinValid.set(p.get(zWrite.and(lastTok), 'z_fin_valid'));
  zFin.set(zReg);
  zBank.set(p.get(thisBank, 'z_fin_bank'));
  bankDone.set(p.get(headDone, 'bank_done'));
  const doneBank = p.get(thisBank, 'bank_done_id');
  bankId.set(doneBank);
  bankSat.set(mux(doneBank, satBank[1]!, satBank[0]!));
  const tiles = c.gemv ? finishGemvTiles(m) : countTiles(m);
  const block = { module: m, tiles, loopDepth, interval, zLatency: p.stage, bankLatency: p.stage };
  cache.set(c.key, block);
  return block;
}
