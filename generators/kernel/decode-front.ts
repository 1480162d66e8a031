/**
 * A lane's decode front: turns the new token's q, k, v (before RoPE, read from memory) into the
 * lane's rotated q and the new token's cache record, one head after another.
 *
 * In: DW-bit words, per head vecWords words of q, then of k, then of v, q and k in pair order
 * (toPairOrder: element 2i is pair i's a, 2i+1 its b). q and k go through the RoPE unit a pair
 * per cycle at position `pos`; v passes by. Out:
 *   q    the rotated q as the lane's q stream (P elements per beat, tlast on beat B-1);
 *   tok  the new token's record as the lane's kv beats {v_b, k_b} (tlast on beat B-1): the
 *        rotated k in pair order, v as read; the kernel appends it after the head's L cached
 *        tokens and writes it to the cache.
 *
 * Buffering: the input FIFO holds a whole head (so the kernel's shared q/k/v stream moves on to
 * the other lanes while this one rotates), the rotated q and k a vector each as pairs and again
 * as beats (so the lane takes them at a beat per cycle), v two vectors.
 * The RoPE unit never stalls: a pair enters only when its destination FIFO has room for it
 * counting every pair already in flight (a credit counter per destination).
 */
import { Module, u, lit, cat, mux, clog2, type Expr, type Signal } from '../../hdl/index.ts';
import { streamInput, streamOutput, streamWires, type StreamSink } from '../../hdl/stream.ts';
import { buildFifo } from '../common/fifo.ts';
import { buildWidthConverter } from './width.ts';
import { buildRopeUnit, ropePosBits, ropePairBits } from './rope-unit.ts';
import type { RopeParams } from './rope.ts';

export interface DecodeFrontParams {
  /** Memory word bits DW. */
  readonly DW: number;
  /** PEs per lane P (elements per q beat). */
  readonly P: number;
  readonly rope: RopeParams;
}

const nextPow2 = (n: number): number => 1 << clog2(Math.max(2, n));

const cache = new Map<string, Module>();

export function buildDecodeFront(p: DecodeFrontParams): Module {
  const key = JSON.stringify(p);
  const hit = cache.get(key);
  if (hit) return hit;
  const { DW, P, rope } = p;
  const d = rope.headDim;
  const W = rope.data.intBits + rope.data.fracBits;
  if (W !== 32) throw new RangeError(`decode front: ${W}-bit elements; accepted 32 (the kernel's memory format)`);
  const PW = P * W;
  const B = d / P;
  const pairs = d / 2;
  const vecWords = (d * W) / DW;
  if (!Number.isInteger(vecWords) || vecWords < 1) throw new RangeError(`decode front: a ${d}-element vector is narrower than a ${DW}-bit word; accepted d >= ${DW / W}`);
  const unit = buildRopeUnit(rope);
  const m = new Module(`decode_front_d${d}_p${P}_m${DW}`);
  m.hashName = true;
  m.doc = [
    `Decode front: q and k (pair order) rotated by RoPE at pos, a pair per cycle; v passed by.`,
    `In: per head ${vecWords} word(s) of q, k, v; out: rotated q (${B} beats of ${P} elements) and the`,
    `new token's kv beats {v_b, k_b} (${B} beats).`,
  ].join('\n');
  m.generator = { name: 'generators/kernel/decode-front.ts buildDecodeFront', params: { DW, P, d, base: rope.base, pairing: rope.pairing, maxPos: rope.maxPos } };
  const cd = m.clockDomain();
  const clear = m.input('clear', u(1), 'a job starts: drop partly converted words, reset the counters');
  const pos = m.input('pos', u(ropePosBits(rope)), `the new token's position, 0 .. ${rope.maxPos - 1}`);
  const inS = streamInput(m, 'in', u(DW));
  const qOut = streamOutput(m, 'q', u(PW), { last: true });
  const tokOut = streamOutput(m, 'tok', u(2 * PW), { last: true });
  const satOut = m.output('sat', u(1), 'a RoPE output saturated since clear');

  // The head's words: q, k (to the pair converter), then v (to its FIFO).
  const inDepth = nextPow2(4 * vecWords);
  const inPop = m.wire('in_pop', u(1));
  const inFifo = m.instance('u_in_fifo', buildFifo(DW, inDepth), { push_valid: inS.valid, push_data: inS.data, pop_ready: inPop }, { domain: cd });
  inS.ready.set(inFifo.out('push_ready'));
  const ww = clog2(3 * vecWords + 1);
  const word = m.reg('head_word', u(ww), { domain: cd, reset: 0 });
  const isV = m.wire('word_is_v', word.ge(2 * vecWords));
  const head = { valid: inFifo.out('pop_valid'), data: inFifo.out('pop_data') };
  const pairWords = streamWires(m, 'pair_words', u(DW));
  const vDepth = nextPow2(2 * vecWords);
  const vPop = m.wire('v_pop', u(1));
  const vFifo = m.instance('u_v_fifo', buildFifo(DW, vDepth), { push_valid: head.valid.and(isV), push_data: head.data, pop_ready: vPop }, { domain: cd });
  pairWords.source.valid.set(head.valid.and(isV.not()));
  pairWords.source.data.set(head.data);
  const take = mux(isV, vFifo.out('push_ready'), pairWords.source.ready);
  inPop.set(take);
  m.when(clear, () => word.set(0)).elsewhen(head.valid.and(take), () => word.set(mux(word.eq(3 * vecWords - 1), lit(0, u(ww)), word.add(1).trunc(ww))));

  // Pairs into the RoPE unit: pair index i, q (tag 0) or k (tag 1), each under its credit.
  const pairS = streamWires(m, 'pair', u(64));
  m.instance('u_pair_width', buildWidthConverter(DW, 64), { in: pairWords.sink, out: pairS.source, clear }, { domain: cd });
  const pw = ropePairBits(rope);
  const pairIdx = m.reg('pair_index', u(pw), { domain: cd, reset: 0 });
  const isK = m.reg('pair_is_k', u(1), { domain: cd, reset: 0 });
  const vecDepth = nextPow2(pairs);
  const cw = clog2(vecDepth + 1);
  const qCredit = m.reg('q_in_flight', u(cw), { domain: cd, reset: 0 });
  const kCredit = m.reg('k_in_flight', u(cw), { domain: cd, reset: 0 });
  // Room for one more pair, registered from the credits' next values (a compare and the FIFO's
  // pop off the path from the credits into the input FIFO's pointers).
  const qRoom = m.reg('q_room', u(1), { domain: cd, reset: 1 });
  const kRoom = m.reg('k_room', u(1), { domain: cd, reset: 1 });
  const room = mux(isK, kRoom, qRoom);
  const issue = m.wire('rope_issue', pairS.sink.valid.and(room));
  pairS.sink.ready.set(room);
  m.when(clear, () => {
    pairIdx.set(0);
    isK.set(0);
  }).elsewhen(issue, () => {
    m.when(pairIdx.eq(pairs - 1), () => {
      pairIdx.set(0);
      isK.set(isK.not());
    }).otherwise(() => pairIdx.set(pairIdx.add(1).trunc(pw)));
  });
  const rot = m.instance('u_rope', unit.module, {
    in_valid: issue,
    in_pos: pos,
    in_pair: pairIdx,
    in_a: pairS.sink.data.slice(31, 0).asSigned(),
    in_b: pairS.sink.data.slice(63, 32).asSigned(),
  }, { domain: cd });
  // The tag rides along the unit's fixed latency.
  const tags = m.reg('rope_tags', u(unit.latency), { domain: cd, reset: 0 });
  tags.set(unit.latency > 1 ? cat(tags.slice(unit.latency - 2, 0), isK) : isK);
  const outIsK = tags.bit(unit.latency - 1);
  const outValid = rot.out('out_valid');
  const rotated = m.wire('rotated_pair', cat(rot.out('out_b').asUnsigned(), rot.out('out_a').asUnsigned()));
  const sat = m.reg('sat_q', u(1), { domain: cd, reset: 0 });
  m.when(clear, () => sat.set(0)).elsewhen(outValid.and(rot.out('out_sat')), () => sat.set(1));
  satOut.set(sat);

  // Rotated vectors: q to the lane's q stream, k beside v into the new token's kv beats.
  const vecFifo = (name: string, tag: 0 | 1, pop: Signal) => m.instance(`u_${name}_fifo`, buildFifo(64, vecDepth), {
    push_valid: outValid.and(tag === 1 ? outIsK : outIsK.not()),
    push_data: rotated,
    pop_ready: pop,
  }, { domain: cd });
  const qPopReady = m.wire('q_pop', u(1));
  const kPopReady = m.wire('k_pop', u(1));
  const qFifo = vecFifo('q', 0, qPopReady);
  const kFifo = vecFifo('k', 1, kPopReady);
  const credit = (r: Signal, roomQ: Signal, issued: Expr, popped: Expr): void => {
    const next = mux(issued.and(popped.not()), r.add(1).trunc(cw), mux(popped.and(issued.not()), r.sub(1).trunc(cw), r));
    m.when(clear, () => {
      r.set(0);
      roomQ.set(1);
    }).otherwise(() => {
      r.set(next);
      roomQ.set(next.ne(vecDepth));
    });
  };
  const qPop = qFifo.out('pop_valid').and(qPopReady);
  const kPop = kFifo.out('pop_valid').and(kPopReady);
  credit(qCredit, qRoom, issue.and(isK.not()), qPop);
  credit(kCredit, kRoom, issue.and(isK), kPop);

  const bw = clog2(B + 1);
  const beatCounter = (name: string, fire: Expr): Signal => {
    const r = m.reg(name, u(bw), { domain: cd, reset: 0 });
    m.when(clear, () => r.set(0)).elsewhen(fire, () => r.set(mux(r.eq(B - 1), lit(0, u(bw)), r.add(1).trunc(bw))));
    return r;
  };
  // A rotated vector's pairs to PW-bit beats: after the pair-to-beat converter a FIFO of a
  // vector's beats, which the converter fills at a pair per cycle ahead of time, so the lane takes
  // q, and the new token, at a beat per cycle.
  const beatDepth = nextPow2(B);
  const rotatedBeats = (name: string, pairFifo: ReturnType<typeof vecFifo>, popReady: Signal): StreamSink => {
    const conv = streamWires(m, `${name}_converted`, u(PW));
    const beats = streamWires(m, `${name}_beats`, u(PW));
    const f = m.instance(`u_${name}_beat_fifo`, buildFifo(PW, beatDepth), { push_valid: conv.sink.valid, push_data: conv.sink.data, pop_ready: beats.source.ready }, { domain: cd });
    conv.sink.ready.set(f.out('push_ready'));
    beats.source.valid.set(f.out('pop_valid'));
    beats.source.data.set(f.out('pop_data'));
    const pairsS = streamWires(m, `${name}_pairs`, u(64));
    pairsS.source.valid.set(pairFifo.out('pop_valid'));
    pairsS.source.data.set(pairFifo.out('pop_data'));
    popReady.set(pairsS.source.ready);
    m.instance(`u_${name}_width`, buildWidthConverter(64, PW), { in: pairsS.sink, out: conv.source, clear }, { domain: cd });
    return beats.sink;
  };
  const qBeats = rotatedBeats('q', qFifo, qPopReady);
  const qBeat = beatCounter('q_beat', qOut.valid.and(qOut.ready));
  qOut.valid.set(qBeats.valid);
  qOut.data.set(qBeats.data);
  qOut.last!.set(qBeat.eq(B - 1));
  qBeats.ready.set(qOut.ready);

  const kBeats = rotatedBeats('k', kFifo, kPopReady);
  const vBeats = streamWires(m, 'v_beats', u(PW));
  const vWords = streamWires(m, 'v_words', u(DW));
  vWords.source.valid.set(vFifo.out('pop_valid'));
  vWords.source.data.set(vFifo.out('pop_data'));
  vPop.set(vWords.source.ready);
  m.instance('u_v_width', buildWidthConverter(DW, PW), { in: vWords.sink, out: vBeats.source, clear }, { domain: cd });
  const tokFire = tokOut.valid.and(tokOut.ready);
  const tokBeat = beatCounter('tok_beat', tokFire);
  tokOut.valid.set(kBeats.valid.and(vBeats.sink.valid));
  tokOut.data.set(cat(vBeats.sink.data, kBeats.data));
  tokOut.last!.set(tokBeat.eq(B - 1));
  kBeats.ready.set(tokOut.ready.and(vBeats.sink.valid));
  vBeats.sink.ready.set(tokOut.ready.and(kBeats.valid));
  cache.set(key, m);
  return m;
}
