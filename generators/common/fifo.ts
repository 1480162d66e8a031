/**
 * A synchronous FIFO (first-word fall-through): `pop_data` shows the head whenever
 * `pop_valid` is high. Storage is a memory with a combinational read (LUT RAM on FPGAs).
 * A push into a full FIFO or a pop from an empty one is ignored (push_ready/pop_valid say so).
 */
import { Module, u, clog2, type HwType } from '../../hdl/index.ts';

export function fifoName(width: number, depth: number): string {
  return `fifo_w${width}_d${depth}`;
}

export function buildFifo(width: number, depth: number): Module {
  if (!Number.isInteger(depth) || depth < 2 || (depth & (depth - 1)) !== 0) {
    throw new RangeError(`FIFO depth ${depth} is out of range: accepted powers of two >= 2`);
  }
  const m = new Module(fifoName(width, depth));
  m.doc = `Synchronous FIFO, ${depth} entries of ${width} bits, first-word fall-through.`;
  m.generator = { name: 'generators/common/fifo.ts buildFifo', params: { width, depth } };
  const cd = m.clockDomain();
  const dataT: HwType = u(width);
  const aw = clog2(depth);
  const cw = clog2(depth + 1);
  const pushValid = m.input('push_valid', u(1));
  const pushData = m.input('push_data', dataT);
  const popReady = m.input('pop_ready', u(1));
  const pushReady = m.output('push_ready', u(1), 'not full');
  const popValid = m.output('pop_valid', u(1), 'not empty');
  const popData = m.output('pop_data', dataT, 'head entry');
  const countOut = m.output('count', u(cw), 'entries held');

  const wptr = m.reg('wptr', u(aw), { domain: cd, reset: 0 });
  const rptr = m.reg('rptr', u(aw), { domain: cd, reset: 0 });
  const count = m.reg('count_q', u(cw), { domain: cd, reset: 0 });
  const notFull = m.wire('not_full', count.ne(depth));
  const notEmpty = m.wire('not_empty', count.ne(0));
  const push = m.wire('push', pushValid.and(notFull));
  const pop = m.wire('pop', popReady.and(notEmpty));

  const mem = m.memory('storage', { type: dataT, depth });
  mem.write(wptr, pushData, push, cd);
  popData.set(mem.read('head', rptr));
  m.when(push, () => wptr.set(wptr.add(1).trunc(aw)));
  m.when(pop, () => rptr.set(rptr.add(1).trunc(aw)));
  m.when(push.and(pop.not()), () => count.set(count.add(1).trunc(cw)))
    .elsewhen(pop.and(push.not()), () => count.set(count.sub(1).trunc(cw)));
  pushReady.set(notFull);
  popValid.set(notEmpty);
  countOut.set(count);
  return m;
}
