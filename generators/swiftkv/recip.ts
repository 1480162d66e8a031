/**
 * RECIP: the mantissa of 1/Z for one head, r_m = min(RNE(2^(K - 1 + 17) / Zm), 2^17 - 1)
 * with Zm the top K = ZM_BITS bits of Z from its leading one (golden.ts: recipMantissa), and the
 * position of Z's leading one as `lead` = p - zLead.min (1/Z ~ r_m 2^(zFrac - p - 17)).
 *
 *   queue (one entry per bank) -> leading one (a tree of ORs) -> Zm = top K bits of Z, 3 Zm
 *   -> restoring division in radix 4, two quotient bits per cycle ((RECIP_BITS + 1) / 2 steps:
 *      the remainder times 4 is compared with Zm, 2 Zm and 3 Zm at once) -> RNE, cap
 *
 * No multiplier. A head's reciprocal takes `latency` cycles; heads of L tokens arrive L * II
 * cycles apart, so only very short contexts wait for it (the cycle model says when).
 */
import { Module, u, qType, clog2, mux, lit, cat, type Expr } from '../../hdl/index.ts';
import { Fsm } from '../../hdl/fsm.ts';
import { buildFifo } from '../common/fifo.ts';
import { RECIP_BITS, ZM_BITS } from './numerics.ts';
import type { LaneConfig } from './config.ts';

export interface RecipBlock {
  readonly module: Module;
  /** Cycles from the cycle the queue shows a Z to the cycle out_valid is high. */
  readonly latency: number;
  /** Bits of `lead`. */
  readonly leadWidth: number;
}

const cache = new Map<string, RecipBlock>();

/** Position of the highest set bit of x (x != 0), by halving: log2(width) levels of ORs and muxes. */
export function leadingOne(x: Expr): Expr {
  if (x.width === 1) return lit(0, u(1));
  if (x.width === 2) return x.bit(1);
  const half = 1 << (clog2(x.width) - 1);
  const hi = x.slice(x.width - 1, half);
  const lo = x.slice(half - 1, 0);
  const w = clog2(x.width);
  const inHi = hi.orR();
  const hiPos = hi.width === 1 ? lit(0, u(w - 1)) : leadingOne(hi).resize(w - 1);
  const loPos = leadingOne(lo).resize(w - 1);
  return cat(inHi, mux(inHi, hiPos, loPos));
}

export function buildRecip(c: LaneConfig): RecipBlock {
  const hit = cache.get(c.key);
  if (hit) return hit;
  const f = c.formats;
  const zT = qType(f.z);
  const zw = zT.width;
  const { min: pMin, max: pMax } = f.zLead;
  const range = pMax - pMin;
  const lw = Math.max(1, clog2(range + 1));
  const qbits = RECIP_BITS + 1; // quotient bits RECIP_BITS .. 0
  if (qbits % 2 !== 0) throw new RangeError('internal: the radix-4 divider needs an even number of quotient bits');
  const steps = qbits / 2;
  const m = new Module(`swiftkv_recip_z${zw}`);
  m.hashName = true;
  m.doc = `1/Z as a ${RECIP_BITS}-bit mantissa and an exponent: normalise Z, radix-4 restoring division (${steps} cycles), RNE.`;
  m.generator = { name: 'generators/swiftkv/recip.ts buildRecip', params: { zw, steps } };
  const cd = m.clockDomain();
  const inValid = m.input('in_valid', u(1), "a head's final Z");
  const zIn = m.input('z', zT);
  const bankIn = m.input('bank', u(1));
  const pop = m.wire('queue_pop', u(1));
  const q = m.instance('u_queue', buildFifo(zw + 1, 2), { push_valid: inValid, push_data: cat(bankIn, zIn), pop_ready: pop }, { domain: cd });

  const st = new Fsm(m, 'state', ['IDLE', 'LEAD', 'NORM', 'TRIPLE', 'DIV', 'ROUND', 'CAP'] as const, { domain: cd });
  const z = m.reg('z_cur', zT, { domain: cd, reset: null });
  const bank = m.reg('bank_cur', u(1), { domain: cd, reset: null });
  const lead = m.reg('lead_q', u(lw), { domain: cd, reset: null });
  const K = ZM_BITS;
  const kT = u(K);
  const zm = m.reg('zm', kT, { domain: cd, reset: null });
  const rem = m.reg('rem', kT, { domain: cd, reset: null });
  const zm3 = m.reg('zm3', u(K + 2), { domain: cd, reset: null });
  const quot = m.reg('quot', u(qbits), { domain: cd, reset: null });
  const up = m.reg('round_up', u(1), { domain: cd, reset: null });
  const count = m.reg('count', u(clog2(steps)), { domain: cd, reset: 0 });
  const outValid = m.reg('out_valid_q', u(1), { domain: cd, reset: 0 });
  const rOut = m.reg('r_q', f.recipMant, { domain: cd, reset: null });

  pop.set(st.is('IDLE').and(q.out('pop_valid')));
  const head = q.out('pop_data');
  // One radix-4 restoring step: r = 4 rem (< 4 Zm); subtract the largest of Zm, 2 Zm, 3 Zm that fits.
  const r4 = rem.zext(K + 2).shl(2).trunc(K + 2);
  const zm1 = zm.zext(K + 2);
  const zm2 = zm.zext(K + 2).shl(1).trunc(K + 2);
  const ge3 = r4.ge(zm3);
  const ge2 = r4.ge(zm2);
  const ge1 = r4.ge(zm1);
  const digit = mux(ge3, lit(3, u(2)), mux(ge2, lit(2, u(2)), mux(ge1, lit(1, u(2)), lit(0, u(2)))));
  const remNext = mux(ge3, r4.sub(zm3), mux(ge2, r4.sub(zm2), mux(ge1, r4.sub(zm1), r4.zext(K + 3)))).trunc(K);
  // RNE from the remainder, then the cap 2^RECIP_BITS - 1.
  const r2 = rem.shl(1);
  const upNow = r2.gt(zm).or(r2.eq(zm).and(quot.bit(0)));
  // quot + up in [2^16, 2^17]; it passes the cap 2^17 - 1 only when quot = 2^17, or quot =
  // 2^17 - 1 and it rounds up: tested on quot beside the add, not after it.
  const rounded = quot.add(up).trunc(qbits + 1);
  const cap = (1 << RECIP_BITS) - 1;
  const overCap = quot.bit(RECIP_BITS).or(quot.slice(RECIP_BITS - 1, 0).andR().and(up));
  const capped = mux(overCap, lit(cap, f.recipMant), rounded.trunc(RECIP_BITS));
  outValid.set(0);
  m.when(st.is('IDLE').and(q.out('pop_valid')), () => {
    z.set(head.slice(zw - 1, 0));
    bank.set(head.bit(zw));
    st.goto('LEAD');
  });
  m.when(st.is('LEAD'), () => {
    // Z >= 1/2, so its leading one is at bit pMin or above.
    lead.set(range === 0 ? lit(0, u(lw)) : leadingOne(z.slice(pMax, pMin)).resize(lw));
    st.goto('NORM');
  });
  m.when(st.is('NORM'), () => {
    // Normalise (leading one to the top bit), keep the top K bits.
    const zn = range === 0 ? z : z.shlv(lit(range, u(lw)).sub(lead).trunc(lw));
    zm.set(zw >= K ? zn.slice(zw - 1, zw - K) : zn.zext(K).shl(K - zw).trunc(K));
    st.goto('TRIPLE');
  });
  m.when(st.is('TRIPLE'), () => {
    zm3.set(zm.zext(K + 2).add(zm.zext(K + 1).shl(1)).trunc(K + 2));
    rem.set(lit(1n << BigInt(K - 2), kT)); // the first step's 4 rem = 2^K: quotient bits 17 and 16
    quot.set(0);
    count.set(0);
    st.goto('DIV');
  });
  m.when(st.is('DIV'), () => {
    rem.set(remNext);
    quot.set(quot.shl(2).trunc(qbits).or(digit.zext(qbits)));
    count.set(count.add(1).trunc(count.width));
    m.when(count.eq(steps - 1), () => st.goto('ROUND'));
  });
  m.when(st.is('ROUND'), () => {
    up.set(upNow);
    st.goto('CAP');
  });
  m.when(st.is('CAP'), () => {
    rOut.set(capped);
    outValid.set(1);
    st.goto('IDLE');
  });
  m.output('out_valid', u(1), 'pulse: r_m, lead and bank of a head').set(outValid);
  m.output('r_m', f.recipMant, `mantissa of 1/Z (${RECIP_BITS} bits)`).set(rOut);
  m.output('lead', u(lw), `p - ${pMin}: Z's leading one above its lowest possible place`).set(lead);
  m.output('out_bank', u(1)).set(bank);
  m.output('overflow', u(1), 'a Z arrived with the queue full (never, if the lane is right)').set(inValid.and(q.out('push_ready').not()));
  // IDLE (sees the queue) -> LEAD -> NORM -> TRIPLE -> steps x DIV -> ROUND -> CAP -> out_valid.
  const block = { module: m, latency: 6 + steps, leadWidth: lw };
  cache.set(c.key, block);
  return block;
}
