/**
 * Seeded stimulus for the block-level differential runs (blocks.test.ts):
 * each lane block driven the way the lane drives it (tokens of B beats, exp2 inputs from a
 * running max, Z >= 1/2, a reciprocal queue of at most two, valid/ready held until taken),
 * with random gaps and values at the edges of every format.
 *
 * The stimulus is closed-loop: a source must hold its beat until the block takes it, so the
 * rows are made by running the TypeScript simulator and reading its ready outputs. The
 * differential harness then replays the same rows on the TypeScript simulator, Verilator and
 * Icarus and compares every output on every cycle.
 */
import { Simulator, type Module } from '../../hdl/index.ts';
import type { Rng } from '../rng.ts';
import { META, type LaneConfig } from '../../generators/swiftkv/config.ts';
import { qType } from '../../hdl/fixed.ts';
import { RECIP_BITS } from '../../generators/swiftkv/numerics.ts';

export interface BlockStimulus {
  /** One row of raw input values per cycle, in the order of the module's non-clock inputs. */
  rows: bigint[][];
  /** Outputs of earlier cycles are not compared: the warm-up that writes every RAM word once. */
  ignoreBefore: number;
  /** Data outputs that mean nothing while their valid is low: data port -> valid port. */
  validOf: Record<string, string>;
  /** An output that must pulse, and how often it did on the TypeScript simulator. */
  activity: { port: string; count: number };
}

type Inputs = Record<string, bigint | number>;

type Get = (port: string) => bigint;

/**
 * Run `m` on the TypeScript simulator for `cycles` cycles (reset for the first two), with the
 * inputs `drive` returns for each cycle (it may read outputs that depend on state only, such as
 * a read address); `observe` then sees the outputs of that cycle (before the clock edge) to
 * advance its sources. Returns the rows applied and the pulses of `count`.
 */
function closedLoop(m: Module, cycles: number, drive: (cycle: number, get: Get) => Inputs, observe: (get: Get) => void, count: string): { rows: bigint[][]; pulses: number } {
  const names = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
  const sim = new Simulator(m);
  const rows: bigint[][] = [];
  let pulses = 0;
  for (let c = 0; c < cycles; c++) {
    const reset = c < 2;
    const get = (p: string): bigint => sim.get(p).bits;
    const given = reset ? {} : drive(c, get);
    for (const k of Object.keys(given)) if (!names.includes(k)) throw new Error(`stimulus for ${m.name}: no input named '${k}'`);
    const row = names.map((n) => (n === 'rst' ? (reset ? 1n : 0n) : BigInt(given[n] ?? 0)));
    names.forEach((n, i) => sim.set(n, row[i]!));
    rows.push(row);
    if (!reset) {
      observe(get);
      if (get(count) === 1n) pulses++;
    }
    sim.tick();
  }
  return { rows, pulses };
}

const uBits = (x: bigint, w: number): bigint => BigInt.asUintN(w, x);

/** A signed raw value of `w` bits: mostly moderate, sometimes at the format's ends. */
function edgyValue(rng: Rng, w: number, moderateBits: number): bigint {
  const r = rng.next();
  const max = (1n << BigInt(w - 1)) - 1n;
  if (r < 0.05) return max;
  if (r < 0.1) return -max - 1n;
  if (r < 0.15) return rng.pick([0n, 1n, -1n]);
  if (r < 0.3) return BigInt.asIntN(w, rng.bits(w));
  return BigInt.asIntN(moderateBits, rng.bits(moderateBits));
}

/** DOT: tokens of B beats (first, last), random gaps; q, k moderate or at the ends (the score saturates). */
export function dotStimulus(m: Module, c: LaneConfig, cycles: number, rng: Rng): BlockStimulus {
  const W = c.W;
  let beat = 0;
  let big = false;
  const { rows, pulses } = closedLoop(m, cycles, (): Inputs => {
    if (rng.next() >= 0.75) return { in_valid: 0 };
    if (beat === 0) big = rng.next() < 0.3;
    const word = (): bigint => {
      let x = 0n;
      for (let i = 0; i < c.P; i++) x |= uBits(big ? edgyValue(rng, W, W) : edgyValue(rng, W, W - 8), W) << BigInt(i * W);
      return x;
    };
    const row = { in_valid: 1, in_first: beat === 0 ? 1 : 0, in_last: beat === c.B - 1 ? 1 : 0, in_meta: rng.int(0, 7), in_q: word(), in_k: word() };
    beat = (beat + 1) % c.B;
    return row;
  }, () => undefined, 's_valid');
  return { rows, ignoreBefore: 2, validOf: { s: 's_valid', s_sat: 's_valid', s_meta: 's_valid' }, activity: { port: 's_valid', count: pulses } };
}

/** MAX/EXP: heads of 1..12 scores (first flag on each head's first), scores near each other or far apart (the exp2 input saturates). */
export function maxExpStimulus(m: Module, c: LaneConfig, cycles: number, rng: Rng): BlockStimulus {
  const sw = qType(c.formats.score).width;
  const fs = c.formats.score.fracBits;
  let left = 0;
  const { rows, pulses } = closedLoop(m, cycles, (): Inputs => {
    if (rng.next() >= 0.7) return { s_valid: 0 };
    const first = left === 0;
    if (first) left = rng.int(1, 12);
    left--;
    const r = rng.next();
    const s = r < 0.15 ? edgyValue(rng, sw, sw) : BigInt(rng.int(-(20 << fs), 20 << fs));
    return { s_valid: 1, s: uBits(s, sw), s_sat: rng.next() < 0.1 ? 1 : 0, s_meta: (first ? 1 << META.first : 0) | (rng.int(0, 3) << 1) };
  }, () => undefined, 'e_valid');
  const validOf = { e: 'e_valid', sel: 'e_valid', meta: 'e_valid', sat_score: 'e_valid', sat_exp2in: 'e_valid' };
  return { rows, ignoreBefore: 2, validOf, activity: { port: 'e_valid', count: pulses } };
}

/**
 * ACC: heads of 1..7 tokens on alternating banks (each head's first and last token tagged), e
 * in [0, 1], sel random (the 'shift' amount up to 60: beyond the accumulator widths), v moderate
 * or at the ends, a v FIFO model with random arrivals, banks freed at random; NORM's read port
 * sweeps the words of completed banks. With a small maxContext, heads longer than it saturate
 * the accumulators (the acc flag), which the lane itself never allows.
 */
export function accStimulus(m: Module, c: LaneConfig, cycles: number, rng: Rng): BlockStimulus {
  const f = c.formats;
  const shift = f.params.rescale === 'shift';
  const eOne = 1n << BigInt(f.exp2Out.fracBits);
  const W = c.W;
  interface Tok { e: bigint; sel: bigint; meta: number; sat: number }
  const toks: Tok[] = [];
  let bank = 0;
  // Warm-up: one token on each bank, so every Y word is written before the comparison starts.
  for (let b = 0; b < 2; b++) toks.push({ e: eOne, sel: 0n, meta: (1 << META.first) | (1 << META.last) | (b << META.bank), sat: 0 });
  const moreHead = (): void => {
    // Now and then a head longer than the accumulators hold: Z has room for fewer than
    // 2 maxContext tokens of e = 1 (no rescale), so 2 maxContext + 1 of them saturate it.
    const long = rng.next() < 0.25;
    const maxContext = f.params.maxContext;
    const L = long ? rng.int(2 * maxContext + 1, 2 * maxContext + 6) : rng.int(1, 7);
    for (let t = 0; t < L; t++) {
      const first = t === 0;
      const e = long || rng.next() < 0.2 ? eOne : rng.next() < 0.1 ? 0n : BigInt(rng.int(0, Number(eOne)));
      const sel = long ? 0n : shift ? BigInt(first ? 0 : rng.pick([0, 0, 1, 2, 3, 7, 17, 40, 60])) : BigInt(first ? 0 : rng.int(0, 1));
      toks.push({ e, sel, meta: (first ? 1 << META.first : 0) | (t === L - 1 ? 1 << META.last : 0) | (bank << META.bank), sat: rng.int(0, 3) });
    }
    bank ^= 1;
  };
  let ti = 0;
  let vAvail = 0;
  let vWord = 0n;
  const newV = (): bigint => {
    let x = 0n;
    for (let i = 0; i < c.P; i++) x |= uBits(edgyValue(rng, W, W - 6), W) << BigInt(i * W);
    return x;
  };
  vWord = newV();
  const done: number[] = [];
  let readWord = 0;
  let warm = -1;
  let take = false;
  let pop = false;
  const vCountMax = (1 << m.portInfo().find((p) => p.name === 'v_count')!.width) - 1;
  const { rows, pulses } = closedLoop(m, cycles, (cyc) => {
    if (ti >= toks.length) moreHead();
    const t = toks[ti]!;
    if (rng.next() < 0.5 && vAvail < 3 * c.B) vAvail++;
    const readBank = done.length > 0 ? done[done.length - 1]! : 0;
    readWord = (readWord + 1) % c.B;
    if (warm < 0 && done.length >= 2) warm = cyc + 1;
    const valid = ti < 2 || rng.next() < 0.8 ? 1 : 0;
    return {
      tok_valid: valid,
      tok_e: t.e,
      tok_sel: t.sel,
      tok_meta: t.meta,
      tok_sat: t.sat,
      bank_free: ti < 2 ? 3 : rng.next() < 0.85 ? 3 : rng.int(0, 3),
      v_count: Math.min(vAvail, vCountMax),
      v_data: vWord,
      norm_addr: (readBank << Math.max(1, Math.ceil(Math.log2(c.B)))) | readWord,
    };
  }, (get) => {
    take = get('tok_ready') === 1n;
    pop = get('v_pop') === 1n;
    if (get('bank_valid') === 1n) done.push(Number(get('bank')));
    if (take) ti++;
    if (pop) {
      vAvail--;
      vWord = newV();
    }
  }, 'bank_valid');
  if (warm < 0) throw new Error(`acc stimulus: the warm-up heads did not complete within ${cycles} cycles`);
  return { rows, ignoreBefore: warm, validOf: { z: 'z_valid', z_bank: 'z_valid', bank: 'bank_valid', bank_sat: 'bank_valid' }, activity: { port: 'bank_valid', count: pulses } };
}

/** RECIP: Z values >= 1/2 (powers of two, both ends of the format, random), at most two waiting. */
export function recipStimulus(m: Module, c: LaneConfig, cycles: number, rng: Rng): BlockStimulus {
  const f = c.formats;
  const zw = qType(f.z).width;
  const lo = 1n << BigInt(f.z.fracBits - 1);
  const hi = (1n << BigInt(zw)) - 1n;
  let waiting = 0;
  let sent = 0;
  let warm = -1;
  const { rows, pulses } = closedLoop(m, cycles, (cyc): Inputs => {
    if (warm < 0 && sent >= 2) warm = cyc;
    if (waiting >= 2 || rng.next() >= 0.3) return { in_valid: 0 };
    const r = rng.next();
    const bits = rng.int(f.z.fracBits - 1, zw - 1);
    const z = r < 0.1 ? lo : r < 0.2 ? hi : r < 0.35 ? 1n << BigInt(bits) : r < 0.45 ? (1n << BigInt(bits + 1)) - 1n : (1n << BigInt(bits)) | rng.bits(bits);
    waiting++;
    sent++;
    return { in_valid: 1, z, bank: rng.int(0, 1) };
  }, (get) => {
    if (get('out_valid') === 1n) waiting--;
  }, 'out_valid');
  return { rows, ignoreBefore: Math.max(warm, 2), validOf: { r_m: 'out_valid', lead: 'out_valid', out_bank: 'out_valid' }, activity: { port: 'out_valid', count: pulses } };
}

/**
 * NORM: a head = a reciprocal (r_m in [2^16, 2^17), any lead) and a completed bank, in either
 * order a few cycles apart; the Y RAM is modelled (y_word = the word at y_addr, which depends
 * on NORM's state only; Y moderate or at the ends of its format, so outputs saturate now and
 * then); o_tready random.
 */
export function normStimulus(m: Module, c: LaneConfig, cycles: number, rng: Rng): BlockStimulus {
  const f = c.formats;
  const yT = qType(f.y);
  const leadW = m.portInfo().find((p) => p.name === 'lead')!.width;
  const range = f.zLead.max - f.zLead.min;
  const bw = Math.max(1, Math.ceil(Math.log2(c.B)));
  const ram: bigint[] = Array.from({ length: 2 << bw }, () => 0n);
  const fill = (bank: number): void => {
    for (let w = 0; w < c.B; w++) {
      let x = 0n;
      for (let i = 0; i < c.P; i++) x |= uBits(edgyValue(rng, yT.width, yT.width - 8), yT.width) << BigInt(i * yT.width);
      ram[(bank << bw) | w] = x;
    }
  };
  // Bank b is busy from its head's start until NORM releases it; NORM's reciprocal queue holds two.
  const busy = [false, false];
  let recips = 0;
  let nextBank = 0;
  let warm = -1;
  let heads = 0;
  const events: { at: number; fields: Inputs }[] = [];
  const { rows, pulses } = closedLoop(m, cycles, (cyc, get) => {
    const row: Inputs = { o_tready: rng.next() < 0.7 ? 1 : 0, y_word: ram[Number(get('y_addr'))]! };
    if (warm < 0 && heads >= 2 && events.length === 0) warm = cyc;
    // One head's two events at a time: a second head's bank (or recip) event landing on the
    // cycle of the first's would overwrite it, and that head would never finish.
    if (!busy[nextBank] && recips < 2 && events.length === 0 && rng.next() < 0.2) {
      const b = nextBank;
      fill(b);
      busy[b] = true;
      recips++;
      heads++;
      nextBank ^= 1;
      const recip = { r_valid: 1, r_m: BigInt(rng.int(1 << (RECIP_BITS - 1), (1 << RECIP_BITS) - 1)), lead: BigInt(rng.next() < 0.2 ? range : rng.int(0, Math.min(range, (1 << leadW) - 1))), r_bank: b };
      const bank = { bank_valid: 1, bank: b, bank_sat: rng.int(0, 7) };
      const [a, z] = rng.next() < 0.5 ? [recip, bank] : [bank, recip];
      events.push({ at: cyc, fields: a }, { at: cyc + rng.pick([0, 1, 4]), fields: z });
    }
    for (const e of events.filter((x) => x.at === cyc)) Object.assign(row, e.fields);
    events.splice(0, events.length, ...events.filter((x) => x.at > cyc));
    return row;
  }, (get) => {
    if (get('bank_release') === 1n) {
      busy[Number(get('release_bank'))] = false;
      recips--;
    }
  }, 'o_tlast');
  if (warm < 0) throw new Error(`norm stimulus: two heads did not start within ${cycles} cycles`);
  return {
    rows,
    ignoreBefore: warm,
    validOf: { o_tdata: 'o_tvalid', o_tlast: 'o_tvalid', o_tuser: 'o_tvalid' },
    activity: { port: 'o_tlast', count: pulses },
  };
}
