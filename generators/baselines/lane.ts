/**
 * The two baselines of the SwiftKV lane, native and blockwise attention, on the same blocks:
 * the lane's DOT (scores on the same DSP tiles), MAX/EXP (the one exp2 unit), ACC (the
 * accumulate step on the same tiles), RECIP and NORM, so every difference from the lane is the
 * algorithm's. Golden models: golden.ts beside this file; cycle model: cycles.ts.
 *
 *   K phase   q --skid--> q RAM;  k --skid--> DOT --> score RAM (bank of the block), block max
 *                                 (blockwise: kv = {v, k}; v --> V RAM, bank of the block)
 *   V phase   feeder: score RAM --> MAX/EXP (primed with the block's m_new) --> e FIFO --\
 *             native: v --skid--> v FIFO --------------------------------------------> ACC --> RECIP, NORM --> o
 *             blockwise: V reader: V RAM (same token order) --> v FIFO -----------------/
 *
 * - native: a block is a whole head (maxContext tokens at most). The scores of every token are
 *   written first (K phase); the max M is kept as they are written; then every score is read
 *   again, e_t = exp2(s_t - M) accumulated with v_t, which the v stream delivers in a second
 *   pass over the cache. Two score banks: the K phase of head h + 1 runs while head h is in its
 *   V phase (the passes of two heads overlap, which is all the algorithm allows).
 * - blockwise (FlashAttention-style): blocks of `block` tokens, k and v together in one stream
 *   (as the lane's kv); a block's scores and v words are buffered; after its last score, the
 *   block's max mb and first argmax t* are known; m_new = max(m, mb); when the max grew, the
 *   block rescales the running Z and Y once: its t* is accumulated first with e = alpha =
 *   exp2(m - m_new) and the lane's sel = 1 step (Y' = RNE(alpha Y) + v_t*), then the others.
 *   Two banks: block j + 1 streams in while block j is accumulated.
 *
 * MAX/EXP is primed per block: a slot with the block's m_new as the head's "first" score, whose
 * output is dropped; every later input s <= m_new then gives exp2(s - m_new) (golden.ts).
 *
 * Interfaces as the lane's (start/cfg_len/cfg_heads/busy/done/status_*; q and o streams;
 * heads back to back); native has separate k and v streams (each P elements per beat, tlast on
 * a token's last beat), blockwise the lane's kv stream ({v, k}). A rejected start (cfg_len or
 * cfg_heads out of range) drops the beats its input slices took while idle, as the lane does
 * (without the MHA top's `flush` port: the baselines run alone).
 */
import { Module, u, clog2, mux, lit, cat, type Expr } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { Fsm } from '../../hdl/fsm.ts';
import { streamInput, streamOutput, streamWires } from '../../hdl/stream.ts';
import { qType } from '../../hdl/fixed.ts';
import { buildFifo } from '../common/fifo.ts';
import { inRange1 } from '../common/bounds.ts';
import { buildSkid } from '../common/skid.ts';
import { buildDot } from '../swiftkv/dot.ts';
import { buildMaxExp } from '../swiftkv/maxexp.ts';
import { buildAcc } from '../swiftkv/acc.ts';
import { buildRecip } from '../swiftkv/recip.ts';
import { buildNorm, HEAD_SAT_BITS } from '../swiftkv/norm.ts';
import { exp2OutWidth } from '../swiftkv/exp2.ts';
import { META, laneConfig, type LaneConfig } from '../swiftkv/config.ts';
import { laneTiming } from '../swiftkv/lane.ts';
import type { LaneParamsInput } from '../swiftkv/numerics.ts';
import { blockTokens, type BaselineVariant } from './golden.ts';

export interface BaselineTiming {
  readonly variant: BaselineVariant;
  /** Tokens per block (native: maxContext) and the power of two a bank holds. */
  readonly block: number;
  readonly bankTokens: number;
  readonly B: number;
  /** ACC: cycles between token starts (max(B, its loop depth)). */
  readonly interval: number;
  readonly dotLatency: number;
  readonly maxExpLatency: number;
  readonly accZLatency: number;
  readonly accBankLatency: number;
  readonly recipLatency: number;
  readonly normLatency: number;
  /** e FIFO entries (credit of the feeder) and v FIFO beats (credit of the v source). */
  readonly eFifoDepth: number;
  readonly vFifoDepth: number;
}

export interface BaselineLane {
  module: Module;
  config: LaneConfig;
  timing: BaselineTiming;
  /** DSP tiles of the lane's blocks (the same blocks as the SwiftKV lane's). */
  tiles: number;
}

function pow2AtLeast(n: number): number {
  return 1 << clog2(Math.max(2, n));
}

export function baselineName(c: LaneConfig, v: BaselineVariant): string {
  const kind = v.kind === 'native' ? 'native' : `block${v.block}`;
  return `baseline_${kind}_d${c.d}_p${c.P}_c${c.formats.params.maxContext}`;
}

/** Block latencies (the lane's, from its blocks) and this design's buffer sizes. */
export function baselineTiming(c: LaneConfig, v: BaselineVariant): BaselineTiming {
  const t = laneTiming(c);
  const block = blockTokens(v, c.formats.params.maxContext);
  const B = c.B;
  // The sources keep a lead over ACC while the next block's K phase and its scores' way to
  // ACC (DOT, the feeder, MAX/EXP) take place: `lead` cycles of ACC work in each FIFO.
  const lead = t.dotLatency + t.maxExpLatency + 16;
  const vFifoDepth = pow2AtLeast(lead + 2 * B);
  const eFifoDepth = pow2AtLeast(Math.ceil(lead / Math.max(1, Math.min(B, t.interval))) + 4);
  return {
    variant: v,
    block,
    bankTokens: 1 << clog2(Math.max(2, block)),
    B,
    interval: t.interval,
    dotLatency: t.dotLatency,
    maxExpLatency: t.maxExpLatency,
    accZLatency: t.accZLatency,
    accBankLatency: t.accBankLatency,
    recipLatency: t.recipLatency,
    normLatency: t.normLatency,
    eFifoDepth,
    vFifoDepth,
  };
}

/** Token of position `seq` in a block's accumulate order: t* first when the block rescales. */
function orderToken(seq: Expr, rescale: Expr, arg: Expr): Expr {
  const w = seq.width;
  const before = seq.sub(1).trunc(w);
  const skipped = mux(before.lt(arg), before, seq);
  return mux(rescale, mux(seq.eq(0), arg, skipped), seq);
}

export function buildBaselineLane(input: LaneParamsInput, variant: BaselineVariant, opts: { maxHeads?: number } = {}): BaselineLane {
  if (input.rescale !== undefined && input.rescale !== 'multiply') {
    throw new RangeError(`baseline lanes use the 'multiply' accumulate step: rescale = '${input.rescale}' is not accepted`);
  }
  const c = laneConfig({ ...input, rescale: 'multiply' }, { maxHeads: opts.maxHeads ?? 64, gemv: false });
  const f = c.formats;
  const { P, B, W } = c;
  const t = baselineTiming(c, variant);
  const native = variant.kind === 'native';
  const bw = Math.max(1, clog2(B));
  const tw = Math.max(1, clog2(t.bankTokens)); // token index within a block
  const nw = clog2(t.bankTokens + 1); // slots of a block: 0..n
  const scoreT = qType(f.score);
  const m = new Module(baselineName(c, variant));
  m.doc = [
    native
      ? `Native attention lane: all scores of a head first (score RAM of ${t.bankTokens} tokens x 2 banks), then exp2 and the weighted sum of v (second stream pass).`
      : `Blockwise attention lane (FlashAttention-style): blocks of ${t.block} tokens, scores and v buffered per block (2 banks), one rescale per block.`,
    `d = ${c.d}, P = ${P}; the SwiftKV lane's DOT, MAX/EXP, ACC, RECIP and NORM blocks; contexts up to ${f.params.maxContext}; heads back to back.`,
  ].join('\n');
  m.generator = { name: 'generators/baselines/lane.ts buildBaselineLane', params: { ...f.params, variant, maxHeads: c.maxHeads } };
  const cd = m.clockDomain();
  const dataW = P * W;
  const kW = native ? dataW : 2 * dataW;
  const start = m.input('start', u(1), 'pulse: begin a job (ignored while busy)');
  const cfgLen = m.input('cfg_len', u(c.lenWidth), `context length L, 1..${f.params.maxContext}`);
  const cfgHeads = m.input('cfg_heads', u(c.headsWidth), `heads n, 1..${c.maxHeads}`);
  const qIn = streamInput(m, 'q', u(dataW), { last: true, doc: 'P elements of q' });
  const kIn = streamInput(m, native ? 'k' : 'kv', u(kW), { last: true, doc: native ? 'P elements of k (first pass)' : '{v, k}: P elements each, k in the low half' });
  const vIn = native ? streamInput(m, 'v', u(dataW), { last: true, doc: 'P elements of v (second pass)' }) : undefined;
  const oOut = streamOutput(m, 'o', u(dataW), { last: true, doc: 'P elements of o' });
  const oUser = m.output('o_tuser', u(HEAD_SAT_BITS), 'saturation mask of the head (read it with o_tlast)');
  const busyOut = m.output('busy', u(1));
  const doneOut = m.output('done', u(1), 'pulse: the last o beat of the job was taken, or a rejected start');
  const errorOut = m.output('status_error', u(1), 'sticky until start: bad configuration or a tlast out of place');
  const satOut = m.output('status_sat', u(HEAD_SAT_BITS), "sticky until start: OR of the heads' saturation masks");

  const phase = new Fsm(m, 'phase', ['IDLE', 'RUN'] as const, { domain: cd });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const satSticky = m.reg('sat_sticky', u(HEAD_SAT_BITS), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const startFire = m.wire('start_fire', start.and(phase.is('IDLE')));
  const cfgOk = m.wire('cfg_ok', inRange1(cfgLen, f.params.maxContext).and(inRange1(cfgHeads, c.maxHeads)));
  const running = phase.is('RUN');
  const hw = c.headsWidth;
  const headsM1 = m.reg('heads_m1', u(hw), { domain: cd, reset: 0 });
  const lenM1 = m.reg('len_m1', u(c.lenWidth), { domain: cd, reset: 0 });

  // ---- K phase: q RAM and the k issue (the lane's front end) -------------------------------
  const q = streamWires(m, 'q_in', u(dataW), { last: true });
  const kv = streamWires(m, 'k_in', u(kW), { last: true });
  // While idle the slices take up to two beats each (the next job's first); a rejected start
  // drops them, with any taken in the start cycle, as the SwiftKV lane does.
  const sliceFlush = m.wire('slice_flush', phase.is('IDLE').and(start).and(cfgOk.not()));
  m.instance('u_q_skid', buildSkid(u(dataW), { last: true, flush: true }), { in: qIn, out: q.source, flush: sliceFlush }, { domain: cd });
  m.instance('u_k_skid', buildSkid(u(kW), { last: true, flush: true }), { in: kIn, out: kv.source, flush: sliceFlush }, { domain: cd });
  const qHead = m.reg('q_head', u(hw), { domain: cd, reset: 0 });
  const qWord = m.reg('q_word', u(bw), { domain: cd, reset: 0 });
  const kvHead = m.reg('k_head', u(hw), { domain: cd, reset: 0 });
  const kvBeat = m.reg('k_beat', u(bw), { domain: cd, reset: 0 });
  const kvTok = m.reg('k_tok', u(c.lenWidth), { domain: cd, reset: 0 });
  const qLastWord = B === 1 ? lit(1, u(1)) : qWord.eq(B - 1);
  const qMore = m.reg('q_more', u(1), { domain: cd, reset: 0 });
  const kvMore = m.reg('k_more', u(1), { domain: cd, reset: 0 });
  const headLead = m.reg('head_lead', u(2), { domain: cd, reset: 0 });
  const leadW = clog2(2 * B + 1);
  const qLead = m.reg('q_lead', u(leadW), { domain: cd, reset: 0 });
  q.sink.ready.set(running.and(qMore).and(headLead.bit(1).not()));
  const qRam = m.memory('q_ram', { type: u(dataW), depth: 1 << (bw + 1) });
  qRam.doc = 'q of two heads: {bank, word}';
  qRam.write(cat(qHead.bit(0), qWord), q.sink.data, q.sink.fire, cd);
  m.when(q.sink.fire, () => {
    if (B > 1) qWord.set(mux(qLastWord, lit(0, u(bw)), qWord.add(1).trunc(bw)));
    m.when(qLastWord, () => {
      qHead.set(qHead.add(1).trunc(hw));
      m.when(qHead.eq(headsM1), () => qMore.set(0));
    });
    m.when(q.sink.last!.ne(qLastWord), () => error.set(1));
  });

  // Blocks: a block holds up to `block` tokens of one head; it claims a bank (score RAM and,
  // blockwise, V RAM) with its first beat, which waits until the bank's previous block is read.
  const blkTok = m.reg('blk_tok', u(tw), { domain: cd, reset: 0 });
  const blkBank = m.reg('blk_bank', u(1), { domain: cd, reset: 0 });
  const claimed = m.reg('blk_claimed', u(1), { domain: cd, reset: 0 });
  const bankBusy = [0, 1].map((b) => m.reg(`bank${b}_busy`, u(1), { domain: cd, reset: 0 }));
  const bankOk = m.wire('bank_ok', claimed.or(mux(blkBank, bankBusy[1]!, bankBusy[0]!).not()));
  const kvLastBeat = B === 1 ? lit(1, u(1)) : kvBeat.eq(B - 1);
  const kvLastTok = m.wire('k_last_tok', kvTok.eq(lenM1));
  const blkLastTok = m.wire('blk_last_tok', kvLastTok.or(t.block === 1 ? lit(1, u(1)) : blkTok.eq(t.block - 1)));
  const qReadyForBeat = m.wire('q_word_ready', qLead.ne(0));
  kv.sink.ready.set(running.and(kvMore).and(qReadyForBeat).and(bankOk));
  const descHeadFirst = [0, 1].map((b) => m.reg(`desc${b}_head_first`, u(1), { domain: cd, reset: null }));
  const descHeadLast = [0, 1].map((b) => m.reg(`desc${b}_head_last`, u(1), { domain: cd, reset: null }));
  const descAccBank = [0, 1].map((b) => m.reg(`desc${b}_acc_bank`, u(1), { domain: cd, reset: null }));
  m.when(kv.sink.fire, () => {
    if (B > 1) kvBeat.set(mux(kvLastBeat, lit(0, u(bw)), kvBeat.add(1).trunc(bw)));
    m.when(claimed.not(), () => {
      claimed.set(1);
      [0, 1].forEach((b) =>
        m.when(blkBank.eq(b), () => {
          descHeadFirst[b]!.set(kvTok.eq(0));
          descAccBank[b]!.set(kvHead.bit(0));
        }),
      );
    });
    m.when(kvLastBeat, () => {
      kvTok.set(mux(kvLastTok, lit(0, u(c.lenWidth)), kvTok.add(1).trunc(c.lenWidth)));
      m.when(kvLastTok, () => {
        kvHead.set(kvHead.add(1).trunc(hw));
        m.when(kvHead.eq(headsM1), () => kvMore.set(0));
      });
      m.when(blkLastTok, () => {
        claimed.set(0);
        blkBank.set(blkBank.not());
        blkTok.set(0);
        [0, 1].forEach((b) => m.when(blkBank.eq(b), () => descHeadLast[b]!.set(kvLastTok)));
      }).otherwise(() => blkTok.set(blkTok.add(1).trunc(tw)));
    });
    m.when(kv.sink.last!.ne(kvLastBeat), () => error.set(1));
  });
  const kvTokenWrap = kv.sink.fire.and(kvLastBeat).and(kvLastTok.not());
  const qLeadStep = mux(kvTokenWrap, lit(B, u(leadW)), lit(0, u(leadW)));
  qLead.set(qLead.add(q.sink.fire.zext(leadW)).trunc(leadW).add(qLeadStep).trunc(leadW).sub(kv.sink.fire.zext(leadW)).trunc(leadW));
  const qHeadIn = q.sink.fire.and(qLastWord);
  const kvHeadOut = kv.sink.fire.and(kvLastBeat).and(kvLastTok);
  m.when(qHeadIn.and(kvHeadOut.not()), () => headLead.set(headLead.add(1).trunc(2)));
  m.when(kvHeadOut.and(qHeadIn.not()), () => headLead.set(headLead.sub(1).trunc(2)));

  // Blockwise: v words of the block, at {bank, token, beat}.
  const vRam = native ? undefined : m.memory('v_ram', { type: u(dataW), depth: 1 << (1 + tw + bw) });
  if (vRam) {
    vRam.doc = `v of two blocks: {bank, token (${t.block}), beat (${B})}`;
    vRam.write(cat(blkBank, blkTok, kvBeat), kv.sink.data.slice(2 * dataW - 1, dataW), kv.sink.fire, cd);
  }

  // ---- DOT: scores into the score RAM; the block's max, first argmax and saturation --------
  const blocks = { dot: buildDot(c), me: buildMaxExp(c), acc: buildAcc(c), recip: buildRecip(c) };
  const normB = buildNorm(c, blocks.recip.leadWidth);
  const dot = m.instance('u_dot', blocks.dot.module, {
    in_valid: kv.sink.fire,
    in_first: kvBeat.eq(0),
    in_last: kvLastBeat,
    in_meta: cat(blkBank, blkLastTok, blkTok.eq(0)), // {bank, last of block, first of block}: META
    in_q: qRam.read('q_for_beat', cat(kvHead.bit(0), kvBeat)),
    in_k: kv.sink.data.slice(dataW - 1, 0),
  }, { domain: cd });
  if (META.first !== 0 || META.last !== 1 || META.bank !== 2) throw new Error('internal: META layout');
  const sValid = dot.out('s_valid');
  const s = dot.out('s');
  const sMeta = dot.out('s_meta');
  const sFirst = sMeta.bit(META.first);
  const sLast = sMeta.bit(META.last);
  const sBank = sMeta.bit(META.bank);
  const scoreRam = m.memory('score_ram', { type: scoreT, depth: 1 << (1 + tw) });
  scoreRam.doc = `scores of two blocks: {bank, token (${t.block})}`;
  const scIdxReg = m.reg('sc_idx', u(tw), { domain: cd, reset: null });
  const scIdx = m.wire('sc_idx_now', mux(sFirst, lit(0, u(tw)), scIdxReg));
  scoreRam.write(cat(sBank, scIdx), s, sValid, cd);
  const bMax = m.reg('blk_max', scoreT, { domain: cd, reset: null });
  const bArg = m.reg('blk_arg', u(tw), { domain: cd, reset: null });
  const bSat = m.reg('blk_sat', u(1), { domain: cd, reset: null });
  const grows = m.wire('blk_max_grows', sFirst.or(s.gt(bMax)));
  const maxNow = mux(grows, s, bMax);
  const argNow = mux(grows, scIdx, bArg);
  const satNow = mux(sFirst, dot.out('s_sat'), bSat.or(dot.out('s_sat')));
  const full = [0, 1].map((b) => m.reg(`bank${b}_full`, u(1), { domain: cd, reset: 0 }));
  const descMax = [0, 1].map((b) => m.reg(`desc${b}_max`, scoreT, { domain: cd, reset: null }));
  const descArg = [0, 1].map((b) => m.reg(`desc${b}_arg`, u(tw), { domain: cd, reset: null }));
  const descLast = [0, 1].map((b) => m.reg(`desc${b}_last`, u(tw), { domain: cd, reset: null }));
  const descSat = [0, 1].map((b) => m.reg(`desc${b}_sat`, u(1), { domain: cd, reset: null }));
  m.when(sValid, () => {
    scIdxReg.set(scIdx.add(1).trunc(tw));
    bMax.set(maxNow);
    bArg.set(argNow);
    bSat.set(satNow);
    m.when(sLast, () =>
      [0, 1].forEach((b) =>
        m.when(sBank.eq(b), () => {
          full[b]!.set(1);
          descMax[b]!.set(maxNow);
          descArg[b]!.set(argNow);
          descLast[b]!.set(scIdx);
          descSat[b]!.set(satNow);
        }),
      ),
    );
  });

  // ---- feeder: per block, the prime slot (m_new), then its tokens in accumulate order ------
  const fdBank = m.reg('fd_bank', u(1), { domain: cd, reset: 0 });
  const feeding = m.reg('feeding', u(1), { domain: cd, reset: 0 });
  const slot = m.reg('fd_slot', u(nw), { domain: cd, reset: 0 });
  const curLastSlot = m.reg('fd_last_slot', u(nw), { domain: cd, reset: null });
  const curMNew = m.reg('fd_m_new', scoreT, { domain: cd, reset: null });
  const curMOld = m.reg('fd_m_old', scoreT, { domain: cd, reset: null });
  const curRescale = m.reg('fd_rescale', u(1), { domain: cd, reset: null });
  const curArg = m.reg('fd_arg', u(tw), { domain: cd, reset: null });
  const curSat = m.reg('fd_sat', u(1), { domain: cd, reset: null });
  const curHeadFirst = m.reg('fd_head_first', u(1), { domain: cd, reset: null });
  const curHeadLast = m.reg('fd_head_last', u(1), { domain: cd, reset: null });
  const curAccBank = m.reg('fd_acc_bank', u(1), { domain: cd, reset: null });
  const mRun = m.reg('m_run', scoreT, { domain: cd, reset: null });
  const pick = <T extends Expr>(regs: readonly T[]): Expr => mux(fdBank, regs[1]!, regs[0]!);
  const headFirstIn = pick(descHeadFirst);
  const mbIn = pick(descMax);
  const maxGrew = m.wire('fd_max_grew', mbIn.gt(mRun));
  const load = m.wire('fd_load', feeding.not().and(pick(full)));
  const orderQueueW = 1 + 1 + tw + tw; // {bank, rescale, arg, last token}
  m.when(load, () => {
    const mNew = mux(headFirstIn.or(maxGrew), mbIn, mRun);
    curMNew.set(mNew);
    curMOld.set(mRun);
    mRun.set(mNew);
    curRescale.set(headFirstIn.not().and(maxGrew));
    curArg.set(pick(descArg));
    curLastSlot.set(pick(descLast).zext(nw).add(1).trunc(nw));
    curSat.set(pick(descSat));
    curHeadFirst.set(headFirstIn);
    curHeadLast.set(pick(descHeadLast));
    curAccBank.set(pick(descAccBank));
    [0, 1].forEach((b) => m.when(fdBank.eq(b), () => full[b]!.set(0)));
    feeding.set(1);
    slot.set(0);
  });
  // Blockwise: the block's accumulate order, for the V reader.
  const orderData = cat(fdBank, headFirstIn.not().and(maxGrew), pick(descArg), pick(descLast));

  // Credit: slots issued into MAX/EXP and not yet popped by ACC stay below the e FIFO depth.
  const eW = exp2OutWidth(f.params.exp2);
  const tokW = 2 + c.metaWidth + 1 + eW;
  const cw = clog2(t.eFifoDepth + 1);
  const inflight = m.reg('e_inflight', u(cw), { domain: cd, reset: 0 });
  const ePop = m.wire('e_pop', u(1));
  const eCount = m.wire('e_count', u(cw));
  const credit = m.wire('e_credit', eCount.zext(cw + 1).add(inflight.zext(cw + 1)).trunc(cw + 1).lt(t.eFifoDepth));
  const issue = m.wire('fd_issue', feeding.and(credit));
  const isPrime = slot.eq(0);
  const seq = slot.sub(1).trunc(nw).trunc(tw); // accumulate position of a real slot
  const isAlpha = curRescale.and(slot.eq(1));
  const lastSlot = m.wire('fd_last', slot.eq(curLastSlot));
  const realIssue = m.wire('fd_real', issue.and(isPrime.not()));
  m.when(issue, () => {
    slot.set(slot.add(1).trunc(nw));
    m.when(lastSlot, () => {
      feeding.set(0);
      fdBank.set(fdBank.not());
    });
  });
  const scoreRd = scoreRam.read('score_rd', cat(fdBank, orderToken(seq, curRescale, curArg)), { latency: 1, domain: cd });
  // Slot pipeline: stage 0 issues (RAM address), stage 1 enters MAX/EXP, its e leaves at 1 + latency.
  const p = new Pipeline(m, { domain: cd });
  const pValid = p.controlInput(issue.named('fd_slot_valid'));
  const pReal = p.controlInput(realIssue);
  const pPrime = p.input(isPrime.named('fd_is_prime'));
  const pAlpha = p.input(isAlpha.named('fd_is_alpha'));
  const pFirst = p.input(curHeadFirst.and(slot.eq(1)).named('fd_tok_first'));
  const pLast = p.input(curHeadLast.and(lastSlot).named('fd_tok_last'));
  const pBank = p.input(curAccBank);
  const pSat = p.input(curSat);
  const pMNew = p.input(curMNew);
  const pMOld = p.input(curMOld);
  p.next();
  p.input(scoreRd);
  const meIn = mux(p.get(pPrime), p.get(pMNew, 'fd_prime_value'), mux(p.get(pAlpha), p.get(pMOld, 'fd_alpha_value'), scoreRd));
  const me = m.instance('u_maxexp', blocks.me.module, {
    s_valid: p.get(pValid),
    s: meIn,
    s_sat: lit(0, u(1)),
    s_meta: cat(lit(0, u(2)), p.get(pPrime)), // only `first` matters: the prime slot restarts the max
  }, { domain: cd });
  p.next(blocks.me.latency);
  const pushE = p.get(pReal, 'e_push');
  const eFifo = m.instance('u_e_fifo', buildFifo(tokW, t.eFifoDepth), {
    push_valid: pushE,
    push_data: cat(me.out('sat_exp2in'), p.get(pSat), p.get(pBank), p.get(pLast), p.get(pFirst), p.get(pAlpha), me.out('e')),
    pop_ready: ePop,
  }, { domain: cd });
  eCount.set(eFifo.out('count'));
  m.when(realIssue.and(pushE.not()), () => inflight.set(inflight.add(1).trunc(cw))).elsewhen(pushE.and(realIssue.not()), () => inflight.set(inflight.sub(1).trunc(cw)));
  const eHead = eFifo.out('pop_data');

  // ---- v: a second stream pass (native) or the V RAM read in accumulate order (blockwise) --
  const vPop = m.wire('v_pop', u(1));
  const vPush = m.wire('v_push', u(1));
  const vPushData = m.wire('v_push_data', u(dataW));
  const vFifo = m.instance('u_v_fifo', buildFifo(dataW, t.vFifoDepth), { push_valid: vPush, push_data: vPushData, pop_ready: vPop }, { domain: cd });
  // Blockwise: the V reader's last read of a block (its bank is free once the feeder is done too).
  const vDoneNow = native ? undefined : m.wire('v_block_done', u(1));
  const vDoneBank = native ? undefined : m.wire('v_block_bank', u(1));
  if (native) {
    const vs = streamWires(m, 'v_in', u(dataW), { last: true });
    m.instance('u_v_skid', buildSkid(u(dataW), { last: true, flush: true }), { in: vIn!, out: vs.source, flush: sliceFlush }, { domain: cd });
    const vBeat = m.reg('v_beat', u(bw), { domain: cd, reset: 0 });
    const vTok = m.reg('v_tok', u(c.lenWidth), { domain: cd, reset: 0 });
    const vHead = m.reg('v_head', u(hw), { domain: cd, reset: 0 });
    const vMore = m.reg('v_more', u(1), { domain: cd, reset: 0 });
    const vLastBeat = B === 1 ? lit(1, u(1)) : vBeat.eq(B - 1);
    const vLastTok = vTok.eq(lenM1);
    vs.sink.ready.set(running.and(vMore).and(vFifo.out('push_ready')));
    vPush.set(vs.sink.fire);
    vPushData.set(vs.sink.data);
    m.when(vs.sink.fire, () => {
      if (B > 1) vBeat.set(mux(vLastBeat, lit(0, u(bw)), vBeat.add(1).trunc(bw)));
      m.when(vLastBeat, () => {
        vTok.set(mux(vLastTok, lit(0, u(c.lenWidth)), vTok.add(1).trunc(c.lenWidth)));
        m.when(vLastTok, () => {
          vHead.set(vHead.add(1).trunc(hw));
          m.when(vHead.eq(headsM1), () => vMore.set(0));
        });
      });
      m.when(vs.sink.last!.ne(vLastBeat), () => error.set(1));
    });
    m.when(startFire, () => {
      vBeat.set(0);
      vTok.set(0);
      vHead.set(0);
      m.when(cfgOk, () => vMore.set(1));
    });
  } else {
    const orderPop = m.wire('order_pop', u(1));
    const orders = m.instance('u_order_queue', buildFifo(orderQueueW, 2), { push_valid: load, push_data: orderData, pop_ready: orderPop }, { domain: cd });
    const oHead = orders.out('pop_data');
    const vrBusy = m.reg('vr_busy', u(1), { domain: cd, reset: 0 });
    const vrBank = m.reg('vr_bank', u(1), { domain: cd, reset: null });
    const vrRescale = m.reg('vr_rescale', u(1), { domain: cd, reset: null });
    const vrArg = m.reg('vr_arg', u(tw), { domain: cd, reset: null });
    const vrLast = m.reg('vr_last', u(tw), { domain: cd, reset: null });
    const vrSeq = m.reg('vr_seq', u(tw), { domain: cd, reset: 0 });
    const vrBeat = m.reg('vr_beat', u(bw), { domain: cd, reset: 0 });
    const vrLoad = m.wire('vr_load', vrBusy.not().and(orders.out('pop_valid')));
    orderPop.set(vrLoad);
    const dw = clog2(t.vFifoDepth + 1);
    const vrInflight = m.reg('vr_inflight', u(1), { domain: cd, reset: 0 });
    const vRoom = m.wire('vr_room', vFifo.out('count').zext(dw + 1).add(vrInflight.zext(dw + 1)).trunc(dw + 1).lt(t.vFifoDepth));
    const vrRead = m.wire('vr_read', vrBusy.and(vRoom));
    const vrLastBeat = B === 1 ? lit(1, u(1)) : vrBeat.eq(B - 1);
    const vrLastTok = vrSeq.eq(vrLast);
    m.when(vrLoad, () => {
      vrBusy.set(1);
      vrLast.set(oHead.slice(tw - 1, 0));
      vrArg.set(oHead.slice(2 * tw - 1, tw));
      vrRescale.set(oHead.bit(2 * tw));
      vrBank.set(oHead.bit(2 * tw + 1));
      vrSeq.set(0);
      vrBeat.set(0);
    });
    m.when(vrRead, () => {
      if (B > 1) vrBeat.set(mux(vrLastBeat, lit(0, u(bw)), vrBeat.add(1).trunc(bw)));
      m.when(vrLastBeat, () => {
        vrSeq.set(vrSeq.add(1).trunc(tw));
        m.when(vrLastTok, () => vrBusy.set(0));
      });
    });
    vrInflight.set(vrRead);
    const vData = vRam!.read('v_rd', cat(vrBank, orderToken(vrSeq, vrRescale, vrArg), vrBeat), { latency: 1, domain: cd });
    vPush.set(vrInflight);
    vPushData.set(vData);
    vDoneNow!.set(vrRead.and(vrLastBeat).and(vrLastTok));
    vDoneBank!.set(vrBank);
  }

  // A bank is free again once the feeder (and, blockwise, the V reader) have read its block.
  const fdDoneNow = issue.and(lastSlot);
  const fdFlag = [0, 1].map((b) => m.reg(`bank${b}_fd_done`, u(1), { domain: cd, reset: 0 }));
  const vFlag = native ? [] : [0, 1].map((b) => m.reg(`bank${b}_v_done`, u(1), { domain: cd, reset: 0 }));
  [0, 1].forEach((b) => {
    const fd = fdFlag[b]!.or(fdDoneNow.and(fdBank.eq(b)));
    const vd = vDoneNow && vDoneBank ? vFlag[b]!.or(vDoneNow.and(vDoneBank.eq(b))) : lit(1, u(1));
    m.when(fd.and(vd), () => {
      bankBusy[b]!.set(0);
      fdFlag[b]!.set(0);
      vFlag[b]?.set(0);
    }).otherwise(() => {
      fdFlag[b]!.set(fd);
      vFlag[b]?.set(vd);
    });
  });
  // The claim of a bank by the K phase comes after its release in the same cycle (never both).
  m.when(kv.sink.fire.and(claimed.not()), () => [0, 1].forEach((b) => m.when(blkBank.eq(b), () => bankBusy[b]!.set(1))));

  // ---- ACC, RECIP, NORM (the lane's back end) ------------------------------------------------
  const vCountW = clog2(2 * B + 64);
  const vCount = vFifo.out('count');
  const vCountSat = vCount.width <= vCountW ? vCount.zext(vCountW) : mux(vCount.ge(B), lit(B, u(vCountW)), vCount.trunc(vCountW));
  const normAddr = m.wire('norm_addr', u(bw + 1));
  const bankFree = m.wire('acc_bank_free', u(2));
  const acc = m.instance('u_acc', blocks.acc.module, {
    tok_valid: eFifo.out('pop_valid'),
    tok_e: eHead.slice(eW - 1, 0),
    tok_sel: eHead.slice(eW, eW),
    tok_meta: eHead.slice(eW + c.metaWidth, eW + 1),
    tok_sat: eHead.slice(tokW - 1, tokW - 2),
    bank_free: bankFree,
    v_count: vCountSat,
    v_data: vFifo.out('pop_data'),
    norm_addr: normAddr,
  }, { domain: cd });
  ePop.set(acc.out('tok_ready'));
  vPop.set(acc.out('v_pop'));
  const recip = m.instance('u_recip', blocks.recip.module, { in_valid: acc.out('z_valid'), z: acc.out('z'), bank: acc.out('z_bank') }, { domain: cd });
  const o = streamWires(m, 'o_out', u(dataW), { last: true });
  const norm = m.instance('u_norm', normB.module, {
    r_valid: recip.out('out_valid'),
    r_m: recip.out('r_m'),
    lead: recip.out('lead'),
    r_bank: recip.out('out_bank'),
    bank_valid: acc.out('bank_valid'),
    bank: acc.out('bank'),
    bank_sat: acc.out('bank_sat'),
    y_word: acc.out('norm_y'),
    o: o.source,
  }, { domain: cd });
  normAddr.set(norm.out('y_addr'));
  const owned = [0, 1].map((b) => m.reg(`acc_bank${b}_owned`, u(1), { domain: cd, reset: 0 }));
  const accStartsHead = acc.out('tok_ready').and(eHead.bit(eW + 1 + META.first));
  const accHeadBank = eHead.bit(eW + 1 + META.bank);
  owned.forEach((ow, b) => {
    m.when(norm.out('bank_release').and(norm.out('release_bank').eq(b)), () => ow.set(0));
    m.when(accStartsHead.and(accHeadBank.eq(b)), () => ow.set(1));
  });
  bankFree.set(cat(owned[1]!.not(), owned[0]!.not()));
  oOut.valid.set(o.sink.valid);
  oOut.data.set(o.sink.data);
  oOut.last!.set(o.sink.last!);
  oUser.set(norm.out('o_tuser'));
  o.sink.ready.set(oOut.ready);

  // ---- job control ---------------------------------------------------------------------------
  const headsOut = m.reg('heads_out', u(hw), { domain: cd, reset: 0 });
  const headOutFire = m.wire('head_out', o.sink.fire.and(o.sink.last!));
  done.set(0);
  m.when(startFire, () => {
    error.set(cfgOk.not());
    satSticky.set(0);
    qHead.set(0);
    qWord.set(0);
    kvHead.set(0);
    kvBeat.set(0);
    kvTok.set(0);
    headsOut.set(0);
    qLead.set(0);
    headLead.set(0);
    blkTok.set(0);
    m.when(cfgOk, () => {
      phase.goto('RUN');
      lenM1.set(cfgLen.sub(1).trunc(c.lenWidth));
      headsM1.set(cfgHeads.sub(1).trunc(hw));
      qMore.set(1);
      kvMore.set(1);
    }).otherwise(() => done.set(1));
  });
  m.when(headOutFire, () => {
    headsOut.set(headsOut.add(1).trunc(hw));
    satSticky.set(satSticky.or(norm.out('o_tuser')));
    m.when(headsOut.eq(headsM1), () => {
      phase.goto('IDLE');
      done.set(1);
    });
  });
  m.when(recip.out('overflow').or(pushE.and(eFifo.out('push_ready').not())), () => error.set(1));
  busyOut.set(running);
  doneOut.set(done);
  errorOut.set(error);
  satOut.set(satSticky);
  const tiles = blocks.dot.tiles + blocks.me.tiles + blocks.acc.tiles + normB.tiles;
  return { module: m, config: c, timing: t, tiles };
}
