/**
 * NORM: o = Y / Z for each head, P elements per beat, on tiles of its own, so a head is
 * normalised while the next head accumulates.
 *
 * A head starts when its reciprocal (r_m, lead) has arrived and its Y bank is complete; its
 * B words are read from the bank (ACC's read port), multiplied by r_m on chains of DSP tiles,
 * shifted by the exponent, rounded and saturated (golden.ts: normShift, normDrop), and queued
 * for the o stream. A word issues only if the output queue has room for it and for every word
 * in flight, so the o stream may stall at will. When a head's last word has issued, its bank
 * is free for the head after next.
 *
 * o_tuser: the head's saturation mask (saturation.ts); complete on the beat with o_tlast.
 */
import { SAT_WIDTH } from './saturation.ts';
import { Module, u, qType, clog2, mux, lit, cat, exprArith as A } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { streamOutput } from '../../hdl/stream.ts';
import { buildFifo } from '../common/fifo.ts';
import { pack, unpack } from '../common/packing.ts';
import { normShift, normDrop } from './golden.ts';
import { chainMul, enableGemvTiles, finishGemvTiles, countTiles } from './wide-mul.ts';
import { RECIP_BITS } from './numerics.ts';
import type { LaneConfig } from './config.ts';

/** Saturation mask bits carried per head (saturation.ts gives their meaning). */
export const HEAD_SAT_BITS = SAT_WIDTH;
export const SAT_BIT = { score: 0, exp2in: 1, acc: 2, out: 3 } as const;

export interface NormBlock {
  readonly module: Module;
  /** DSP tiles of the block (each also serves GEMV when the lane has GEMV). */
  readonly tiles: number;
  /** Cycles from a word's issue to its entry in the output queue. */
  readonly latency: number;
  readonly queueDepth: number;
}

const cache = new Map<string, NormBlock>();

export function buildNorm(c: LaneConfig, leadWidth: number): NormBlock {
  const hit = cache.get(c.key);
  if (hit) return hit;
  const f = c.formats;
  const { P, B } = c;
  const yT = qType(f.y);
  const outT = qType(f.out);
  const bw = Math.max(1, clog2(B));
  const aw = bw + 1; // Y address: {bank, word}
  const m = new Module(`swiftkv_norm_d${c.d}_p${P}`);
  m.hashName = true;
  m.doc = 'o = Y / Z per head: Y words times the reciprocal mantissa on DSP tiles, exponent shift, RNE, saturation; an output queue.';
  m.generator = { name: 'generators/swiftkv/norm.ts buildNorm', params: { d: c.d, P } };
  const cd = m.clockDomain();
  if (c.gemv) enableGemvTiles(m);
  const rValid = m.input('r_valid', u(1), "pulse: a head's reciprocal");
  const rM = m.input('r_m', f.recipMant);
  const rLead = m.input('lead', u(leadWidth));
  const rBank = m.input('r_bank', u(1));
  const bankValid = m.input('bank_valid', u(1), "pulse: a head's Y bank is complete");
  const bankId = m.input('bank', u(1));
  const bankSat = m.input('bank_sat', u(HEAD_SAT_BITS - 1), 'the head\'s saturation flags so far (score, exp2in, acc)');
  const yAddr = m.output('y_addr', u(aw), 'read address: {bank, word}');
  const yWord = m.input('y_word', u(P * yT.width), 'Y word at y_addr');
  const release = m.output('bank_release', u(1), 'pulse: NORM has read the head of bank release_bank: the bank is free');
  const releaseBank = m.output('release_bank', u(1));
  const o = streamOutput(m, 'o', u(P * outT.width), { last: true, doc: 'P elements of o' });
  const oUser = m.output('o_tuser', u(HEAD_SAT_BITS), 'saturation mask of the head (complete with o_tlast)');

  // Reciprocals wait in a queue (one per bank at most).
  const rw = RECIP_BITS + leadWidth + 1;
  const rPop = m.wire('r_pop', u(1));
  const rq = m.instance('u_recip_queue', buildFifo(rw, 2), { push_valid: rValid, push_data: cat(rBank, rLead, rM), pop_ready: rPop }, { domain: cd });
  const rHead = rq.out('pop_data');
  const headM = rHead.slice(RECIP_BITS - 1, 0);
  const headLead = rHead.slice(RECIP_BITS + leadWidth - 1, RECIP_BITS);
  const headBank = rHead.bit(rw - 1);
  // Per bank: complete (waiting for NORM), and its saturation flags.
  const ready = [0, 1].map((b) => m.reg(`bank${b}_ready`, u(1), { domain: cd, reset: 0 }));
  const sats = [0, 1].map((b) => m.reg(`bank${b}_sat`, u(HEAD_SAT_BITS - 1), { domain: cd, reset: 0 }));
  const bankReady = mux(headBank, ready[1]!, ready[0]!);
  const headSat = mux(headBank, sats[1]!, sats[0]!);

  // Issue words of the head at the queue's head, with credit for the output queue.
  const word = m.reg('word', u(bw), { domain: cd, reset: 0 });
  const inflight = m.reg('inflight', u(6), { domain: cd, reset: 0 });
  const issueOk = m.wire('issue_ok', u(1));
  const issue = m.wire('issue', rq.out('pop_valid').and(bankReady).and(issueOk));
  const lastWord = B === 1 ? lit(1, u(1)) : word.eq(B - 1);
  m.when(issue, () => {
    if (B > 1) word.set(mux(lastWord, lit(0, u(bw)), word.add(1).trunc(bw)));
  });
  rPop.set(issue.and(lastWord));
  ready.forEach((r, b) => {
    m.when(bankValid.and(bankId.eq(b)), () => r.set(1));
    m.when(issue.and(lastWord).and(headBank.eq(b)), () => r.set(0));
  });
  sats.forEach((r, b) => m.when(bankValid.and(bankId.eq(b)), () => r.set(bankSat)));
  release.set(issue.and(lastWord));
  releaseBank.set(headBank);
  yAddr.set(cat(headBank, word));

  // The word pipeline.
  const p = new Pipeline(m, { domain: cd });
  const valid = p.controlInput(issue);
  const last = p.controlInput(lastWord);
  const lead = p.input(headLead);
  const sat0 = p.input(headSat);
  const rm = p.input(headM);
  const ys = unpack(p.input(yWord), P, yT);
  const prods = ys.map((y, i) => chainMul(p, `o${i}`, y, rm, 'a'));
  p.next(p.stageOf(prods[0]!) - p.stage);
  // normFinish (golden.ts): the exponent shift, then narrowFlagged's three steps.
  const shifted = prods.map((pr) => normShift(A, pr, p.get(lead), f));
  p.next();
  const outs = p.narrowAll('o', shifted.map((x, i) => p.get(x, `o${i}_shifted`)), normDrop(f), outT);
  const anySat = outs.map((x) => x.saturated).reduce((a, b) => a.or(b));
  p.next();
  const oValidIn = p.get(valid);
  const oLastIn = p.get(last);
  const oData = p.get(pack(outs.map((x) => x.value)), 'o_word');
  // The 'out' flag of the head so far (restarted by its first word).
  const outSat = m.reg('out_sat', u(1), { domain: cd, reset: 0 });
  const firstOfHead = m.reg('next_is_first', u(1), { domain: cd, reset: 1 });
  const satHere = p.get(anySat, 'out_sat_word');
  const headOut = mux(firstOfHead, satHere, outSat.or(satHere));
  m.when(oValidIn, () => {
    outSat.set(headOut);
    firstOfHead.set(oLastIn);
  });
  const mask = cat(headOut, p.get(sat0));
  const latency = p.stage;
  const depth = 1 << clog2(latency + 3);
  const qw = P * outT.width + 1 + HEAD_SAT_BITS;
  const oq2 = m.instance('u_out_queue', buildFifo(qw, depth), { push_valid: oValidIn, push_data: cat(mask, oLastIn, oData), pop_ready: o.ready }, { domain: cd });
  // Room for this word: queued + in flight < depth.
  const occupied = oq2.out('count').zext(7).add(inflight.zext(7));
  issueOk.set(occupied.lt(depth));
  m.when(issue.and(oValidIn.not()), () => inflight.set(inflight.add(1).trunc(6))).elsewhen(oValidIn.and(issue.not()), () => inflight.set(inflight.sub(1).trunc(6)));
  const qHead = oq2.out('pop_data');
  o.valid.set(oq2.out('pop_valid'));
  o.data.set(qHead.slice(P * outT.width - 1, 0));
  o.last!.set(qHead.bit(P * outT.width));
  oUser.set(qHead.slice(qw - 1, P * outT.width + 1));
  if (latency >= 32) throw new RangeError(`internal: NORM latency ${latency} exceeds its in-flight counter`);
  const tiles = c.gemv ? finishGemvTiles(m) : countTiles(m);
  const block = { module: m, tiles, latency, queueDepth: depth };
  cache.set(c.key, block);
  return block;
}
