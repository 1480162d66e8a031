/**
 * Stream width converters between widths whose ratio is a whole number (the kernel's widths are
 * powers of two, or multiples of 16 bits over a power-of-two count): a word splits into n
 * narrower beats, element 0 (the low bits) first, or n beats gather into one word, the first
 * beat in the low bits. Both move a beat per cycle on their narrow side, both are registered
 * (no combinational path from in to out), and `clear` drops a partly split or gathered word
 * (between jobs).
 */
import { Module, u, clog2, lit, cat, mux } from '../../hdl/index.ts';
import { streamInput, streamOutput } from '../../hdl/stream.ts';

const cache = new Map<string, Module>();

export function widthConverterName(inBits: number, outBits: number): string {
  return `width_${inBits}_to_${outBits}`;
}

/** A converter from inBits to outBits (one divides the other); equal widths: a register stage. */
export function buildWidthConverter(inBits: number, outBits: number): Module {
  const name = widthConverterName(inBits, outBits);
  const hit = cache.get(name);
  if (hit) return hit;
  const wide = Math.max(inBits, outBits);
  const narrow = Math.min(inBits, outBits);
  if (!Number.isInteger(inBits) || !Number.isInteger(outBits) || narrow < 1 || wide % narrow !== 0) {
    throw new RangeError(`width converter ${inBits} -> ${outBits} bits: accepted widths of which one divides the other`);
  }
  const n = wide / narrow;
  const m = new Module(name);
  m.generator = { name: 'generators/kernel/width.ts buildWidthConverter', params: { inBits, outBits } };
  const cd = m.clockDomain();
  const i = streamInput(m, 'in', u(inBits));
  const o = streamOutput(m, 'out', u(outBits));
  const clear = m.input('clear', u(1), 'drop a partly converted word');
  const cw = clog2(n + 1);
  if (inBits >= outBits) {
    m.doc = `Splits a ${inBits}-bit word into ${n} beats of ${outBits} bits, the low bits first.`;
    // word holds the slices still to send (the next in the low bits); left counts them.
    const word = m.reg('word', u(inBits), { domain: cd, reset: null });
    const left = m.reg('left', u(cw), { domain: cd, reset: 0 });
    const lastOut = left.eq(1).and(o.ready);
    i.ready.set(left.eq(0).or(lastOut));
    o.valid.set(left.ne(0));
    o.data.set(word.trunc(outBits));
    m.when(i.fire, () => {
      word.set(i.data);
      left.set(n);
    }).elsewhen(o.fire, () => {
      if (n > 1) word.set(cat(lit(0, u(outBits)), word.slice(inBits - 1, outBits)));
      left.set(left.sub(1).trunc(cw));
    });
    m.when(clear, () => left.set(0));
  } else {
    m.doc = `Gathers ${n} beats of ${inBits} bits into a ${outBits}-bit word, the first beat in the low bits.`;
    // acc shifts right by a beat as each arrives at the top; after n beats the first is lowest.
    const acc = m.reg('acc', u(outBits), { domain: cd, reset: null });
    const have = m.reg('have', u(cw), { domain: cd, reset: 0 });
    const full = have.eq(n);
    i.ready.set(full.not().or(o.ready));
    o.valid.set(full);
    o.data.set(acc);
    const shifted = cat(i.data, acc.slice(outBits - 1, inBits));
    m.when(i.fire, () => {
      acc.set(shifted);
      have.set(mux(full, lit(1, u(cw)), have.add(1).trunc(cw)));
    }).elsewhen(o.fire, () => have.set(0));
    m.when(clear, () => have.set(0));
  }
  cache.set(name, m);
  return m;
}
