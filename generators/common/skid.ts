/**
 * A registered stream slice (skid buffer): every output is a register, full throughput (a beat
 * per cycle), and `in_tready` is a register too, so no combinational path crosses it. Two
 * entries: the output register and one skid register that catches the beat arriving in the
 * cycle the output stalls. The stream inputs of the lane go through one before any arithmetic.
 */
import { Module, u, mux, cat, type Expr, type HwType, type ClockDomain } from '../../hdl/index.ts';
import { streamInput, streamOutput } from '../../hdl/stream.ts';

export function skidName(data: HwType, last: boolean, flush = false): string {
  return `skid_w${data.width}${last ? '_l' : ''}${flush ? '_f' : ''}`;
}

/**
 * `flush` (option): a port that drops every beat the slice holds, including one taken in that
 * cycle, and keeps `in_tready` low the next cycle, so a stream's beats up to the flush cycle
 * and the cycle after never reach the output (a rejected job's beats). Ready again after.
 */
export interface SliceOptions {
  last?: boolean;
  flush?: boolean;
}

const cache = new Map<string, Module>();

export function buildSkid(data: HwType, opts: SliceOptions = {}): Module {
  const name = skidName(data, opts.last ?? false, opts.flush ?? false);
  const hit = cache.get(name);
  if (hit) return hit;
  const m = new Module(name);
  m.doc = 'Registered stream slice: outputs and ready are registers; two entries, a beat per cycle.';
  m.generator = { name: 'generators/common/skid.ts buildSkid', params: { width: data.width, last: opts.last ?? false, flush: opts.flush ?? false } };
  const cd = m.clockDomain();
  const i = streamInput(m, 'in', u(data.width), { last: opts.last ?? false });
  const o = streamOutput(m, 'out', u(data.width), { last: opts.last ?? false });
  const w = data.width + (opts.last ? 1 : 0);
  const inWord = opts.last ? i.data.zext(w).or(i.last!.zext(w).shl(data.width).trunc(w)) : i.data;
  const outValid = m.reg('out_valid_q', u(1), { domain: cd, reset: 0 });
  const skidValid = m.reg('skid_valid', u(1), { domain: cd, reset: 0 });
  const inReady = m.reg('in_ready_q', u(1), { domain: cd, reset: 1 }); // empty after reset
  const inFire = i.valid.and(inReady);
  const outFree = o.ready.or(outValid.not());
  m.when(outFree, () => {
    outValid.set(skidValid.or(inFire));
    skidValid.set(skidValid.and(inFire));
  }).otherwise(() => {
    m.when(inFire, () => skidValid.set(1));
  });
  // The words: the output register loads when it is free (from the skid register if that holds
  // a beat), the skid register when a beat arrives that the output cannot take.
  const ctl = { outLoad: outFree, fromSkid: skidValid, skidLoad: mux(outFree, skidValid, inFire) };
  const outWord = w > SKID_CHUNK_ABOVE ? chunkedWords(m, inWord, ctl, cd) : words(m, inWord, ctl, cd);
  // Ready next cycle unless the skid register will be full.
  inReady.set(m.wire('skid_next_empty', mux(outFree, skidValid.and(inFire).not(), skidValid.not().and(inFire.not()))));
  if (opts.flush) {
    const flush = m.input('flush', u(1), 'drop every beat held (and one taken now); not ready the next cycle');
    m.when(flush, () => {
      outValid.set(0);
      skidValid.set(0);
      inReady.set(0);
    });
  }
  i.ready.set(inReady);
  o.valid.set(outValid);
  o.data.set(outWord.trunc(data.width));
  if (o.last) o.last.set(outWord.bit(data.width));
  cache.set(name, m);
  return m;
}

/** Wider slices keep their words in chunk modules (synthesised once, not as one wide register). */
const SKID_CHUNK_ABOVE = 4096;
const SKID_CHUNK = 2048;

interface WordControl {
  outLoad: Expr;
  fromSkid: Expr;
  skidLoad: Expr;
}

/** The two word registers of a slice: out_word (returned) and skid_word. */
function words(m: Module, inWord: Expr, c: WordControl, cd: ClockDomain): Expr {
  const outWord = m.reg('out_word', inWord.type, { domain: cd, reset: null });
  const skidWord = m.reg('skid_word', inWord.type, { domain: cd, reset: null });
  m.when(c.outLoad, () => outWord.set(mux(c.fromSkid, skidWord, inWord)));
  m.when(c.skidLoad, () => skidWord.set(inWord));
  return outWord;
}

/** The words of a slice `width` bits wide, with their loads as inputs. */
function buildSkidWords(width: number): Module {
  const name = `skid_words_w${width}`;
  const hit = cache.get(name);
  if (hit) return hit;
  const m = new Module(name);
  m.doc = 'Word registers of a wide stream slice (its control is in the slice).';
  m.generator = { name: 'generators/common/skid.ts buildSkidWords', params: { width } };
  const cd = m.clockDomain();
  const inWord = m.input('in_word', u(width));
  const c = {
    outLoad: m.input('out_load', u(1), 'the output register takes a word'),
    fromSkid: m.input('from_skid', u(1), "1: the output register takes the skid register's word, 0: in_word"),
    skidLoad: m.input('skid_load', u(1), 'the skid register takes in_word'),
  };
  m.output('out_data', u(width), 'the output register').set(words(m, inWord, c, cd));
  cache.set(name, m);
  return m;
}

/** The words of a wide slice in SKID_CHUNK-bit chunk modules (one module for all full chunks). */
function chunkedWords(m: Module, inWord: Expr, c: WordControl, cd: ClockDomain): Expr {
  const parts: Expr[] = [];
  for (let lo = 0, k = 0; lo < inWord.width; lo += SKID_CHUNK, k++) {
    const hi = Math.min(inWord.width, lo + SKID_CHUNK) - 1;
    const chunk = m.instance(`u_words${k}`, buildSkidWords(hi - lo + 1), { in_word: inWord.slice(hi, lo), out_load: c.outLoad, from_skid: c.fromSkid, skid_load: c.skidLoad }, { domain: cd });
    parts.push(chunk.out('out_data'));
  }
  return cat(...parts.reverse());
}

/**
 * A one-entry input register for streams that never need a beat every cycle (one beat per
 * several cycles): data and valid are registers; ready is `empty or taken now`.
 */
export function buildInputRegister(data: HwType, opts: { flush?: boolean } = {}): Module {
  const name = `inreg_w${data.width}${opts.flush ? '_f' : ''}`;
  const hit = cache.get(name);
  if (hit) return hit;
  const m = new Module(name);
  m.doc = 'One-entry stream register: data and valid registered, ready = empty or the held beat is taken.';
  m.generator = { name: 'generators/common/skid.ts buildInputRegister', params: { width: data.width, flush: opts.flush ?? false } };
  const cd = m.clockDomain();
  const i = streamInput(m, 'in', u(data.width));
  const o = streamOutput(m, 'out', u(data.width));
  const full = m.reg('full', u(1), { domain: cd, reset: 0 });
  const word = m.reg('word', u(data.width), { domain: cd, reset: null });
  if (opts.flush) {
    // flush: drop the held beat (and one taken now), take none the next cycle (`blocked`).
    // Ready stays one LUT of full, out ready and blocked.
    const flush = m.input('flush', u(1), 'drop the held beat (and one taken now); not ready the next cycle');
    const blocked = m.reg('blocked', u(1), { domain: cd, reset: 0 });
    blocked.set(flush);
    i.ready.set(mux(full, o.ready, blocked.not()));
    m.when(i.fire, () => {
      full.set(1);
      word.set(i.data);
    }).elsewhen(o.ready, () => full.set(0));
    m.when(flush, () => full.set(0));
  } else {
    i.ready.set(full.not().or(o.ready));
    m.when(i.fire, () => {
      full.set(1);
      word.set(i.data);
    }).elsewhen(o.ready, () => full.set(0));
  }
  o.valid.set(full);
  o.data.set(word);
  cache.set(name, m);
  return m;
}
