/**
 * A lane's GEMV results on their way to memory: y beats (four 64-bit rows, 256 bits) become
 * DW-bit write items, buffered so the lane's y stream empties at the array's rate (the array
 * starts a pass's second group only once the previous pass's rows have left, docs/mha.md) while
 * the shared write port takes the words during the next pass.
 *
 * In and out: {last, byte address (DW-aligned), strobe, data} with the beat already in its half
 * of the word (strobe says which). At DW = 512 two beats of consecutive rows share a word: a beat
 * in the lower half waits for the next one; if that beat is in the same word the two leave as one
 * item, otherwise the lone half leaves first (a cycle in which no beat is taken). A beat with
 * `last` (the lane's last of the job) or in the upper half never waits. At DW = 256 each beat is a
 * word. The FIFO holds `depth` words.
 */
import { Module, u, cat, mux } from '../../hdl/index.ts';
import { streamInput, streamOutput, streamWires } from '../../hdl/stream.ts';
import { buildFifo } from '../common/fifo.ts';
import { AXI_ADDR_BITS } from './axi-master.ts';

const A = AXI_ADDR_BITS;
const cache = new Map<string, Module>();

export function yItemBits(DW: number): number {
  return 1 + A + DW / 8 + DW;
}

export function buildYWords(DW: number, depth: number): Module {
  const key = `${DW}_${depth}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (DW !== 256 && DW !== 512) throw new RangeError(`y words: DW = ${DW}; accepted 256 or 512`);
  const DWB = DW / 8;
  const W = yItemBits(DW);
  const m = new Module(`y_words_m${DW}_d${depth}`);
  m.doc = `GEMV y beats to ${DW}-bit write items${DW === 512 ? ', two beats of one word merged' : ''}, ${depth} words buffered.`;
  m.generator = { name: 'generators/kernel/y-words.ts buildYWords', params: { DW, depth } };
  const cd = m.clockDomain();
  const inS = streamInput(m, 'in', u(W), { doc: '{last, byte address, strobe, data}' });
  const outS = streamOutput(m, 'out', u(W), { doc: '{last, byte address, strobe, data}' });
  const words = streamWires(m, 'words', u(W));
  const fifo = m.instance('u_fifo', buildFifo(W, depth), { push_valid: words.sink.valid, push_data: words.sink.data, pop_ready: outS.ready }, { domain: cd });
  words.sink.ready.set(fifo.out('push_ready'));
  outS.valid.set(fifo.out('pop_valid'));
  outS.data.set(fifo.out('pop_data'));
  const field = {
    last: (x: typeof inS.data) => x.bit(W - 1),
    addr: (x: typeof inS.data) => x.slice(W - 2, DWB + DW),
    strb: (x: typeof inS.data) => x.slice(DWB + DW - 1, DW),
  };
  if (DW === 256) {
    words.source.valid.set(inS.valid);
    words.source.data.set(inS.data);
    inS.ready.set(words.source.ready);
  } else {
    // pend: a lower-half beat waiting for its partner.
    const pend = m.reg('pend_valid', u(1), { domain: cd, reset: 0 });
    const pendItem = m.reg('pend_item', u(W), { domain: cd, reset: null });
    const upper = field.strb(inS.data).slice(DWB - 1, DWB / 2).ne(0);
    const sameWord = field.addr(inS.data).eq(field.addr(pendItem));
    // A pending half meets a beat of another word: it leaves alone, the beat waits a cycle.
    const flushOnly = m.wire('flush_pending', pend.and(inS.valid).and(sameWord.not()));
    const merged = cat(field.last(inS.data), field.addr(inS.data), field.strb(inS.data).or(field.strb(pendItem)), inS.data.slice(DW - 1, DW / 2), pendItem.slice(DW / 2 - 1, 0));
    const holds = upper.not().and(field.last(inS.data).not());
    words.source.valid.set(flushOnly.or(inS.valid.and(pend.or(holds.not()))));
    words.source.data.set(mux(flushOnly, pendItem, mux(pend, merged, inS.data)));
    inS.ready.set(words.source.ready.and(flushOnly.not()));
    m.when(words.source.ready, () => {
      m.when(flushOnly, () => pend.set(0)).elsewhen(inS.valid, () => {
        m.when(pend, () => pend.set(0)).elsewhen(holds, () => {
          pend.set(1);
          pendItem.set(inS.data);
        });
      });
    });
  }
  cache.set(key, m);
  return m;
}
