/**
 * Exact cycle counts of a baseline lane job (n heads of L tokens), from the cycle `start` is
 * high to the cycle `done` is high, with every stream always valid and ready: the control
 * rules of lane.ts followed event by event (each line below is one rule of the RTL). The
 * regression compares the result with Verilator and Icarus exactly.
 *
 *   k beats: beat i issues at K_i = max(K_(i-1) + 1, 2), and a block's first beat waits for
 *     its bank: K >= R_(j-2) + 1 (R_j: the cycle the bank of block j is released);
 *   block j's descriptor is visible at D_j = K_(last beat) + dot + 1;
 *   feeder: loads it at l_j = max(D_j, c_(j-1,last) + 1), issues slot 0 (the prime) from
 *     l_j + 1 and slot s at c_(j,s) = max(c_(j,s-1) + 1, S_(g - eDepth) + 1), g = real slots
 *     issued before it in the job (its credit: issued and not yet popped < eDepth);
 *   real slot g (token g in accumulate order): e visible to ACC at E_g = c_g + maxexp + 2;
 *   v beat i enters the v FIFO at V_i, with room: V_i >= Pop_(i - vDepth) + 1, where beat m is
 *     popped at Pop_m = S_(m div B) + m mod B;
 *     native: V_i = max(V_(i-1) + 1, 1, room) (the v stream through its skid);
 *     blockwise: the V reader loads block j at v_j = max(l_j + 1, (last read of j-1) + 1),
 *     reads beat i at r_i = max(r_(i-1) + 1 (or v_j + 1), room), V_i = r_i + 1;
 *   bank release: R_j = c_(j,last) (native), max(c_(j,last), r_(last of j)) (blockwise);
 *   ACC starts token g at S_g = max(E_g, S_(g-1) + II, V_((g+1)B - 1) + 1, and for a head's
 *     first token F_(h-2));
 *   then RECIP and NORM as the lane's laneCycles: z = S_last + accZ, R = max(z + 1, R_prev) +
 *     recip, Y = S_last + B - 1 + accBank, N_h = max(R + 1, Y + 1, N_(h-1) + B), F_h = N_h + B,
 *     done = N_(n-1) + B - 1 + norm + 2.
 */
import type { BaselineTiming } from './lane.ts';

interface Block {
  head: number;
  /** Tokens, and the job's index of the block's first token. */
  n: number;
  first: number;
}

function blocksOf(t: BaselineTiming, L: number, heads: number): Block[] {
  const out: Block[] = [];
  for (let h = 0; h < heads; h++) {
    for (let b0 = 0; b0 < L; b0 += t.block) out.push({ head: h, n: Math.min(t.block, L - b0), first: h * L + b0 });
  }
  return out;
}

export function baselineCycles(t: BaselineTiming, L: number, heads: number): number {
  if (!Number.isInteger(L) || L < 1) throw new RangeError(`L = ${L}: accepted integers >= 1`);
  if (!Number.isInteger(heads) || heads < 1) throw new RangeError(`heads = ${heads}: accepted integers >= 1`);
  const { B, interval: II } = t;
  const native = t.variant.kind === 'native';
  const blocks = blocksOf(t, L, heads);
  const tokens = L * heads;
  const S = new Array<number>(tokens); // ACC start of real slot g (accumulate order = job order per block)
  const popOf = (m: number): number => S[Math.floor(m / B)]! + (m % B);
  const R: number[] = []; // bank release per block
  const F: number[] = []; // NORM frees the ACC bank of head h
  const N: number[] = [];
  let kPrev = 1; // so that beat 0 issues at cycle 2
  let feederIdle = 0; // first cycle the feeder is idle (for the next load)
  let readerIdle = 0; // blockwise: first cycle the V reader is idle
  let vPrev = 0; // native: previous v push (beat 0 at cycle 1)
  let rPrev = 0; // blockwise: previous V read
  let sPrev = -Infinity;
  let recipPrev = -Infinity;
  let g = 0; // real slots so far
  // Block by block: the K phase of a block depends on releases two blocks back; the V phase of
  // a block only on its own K phase and earlier V phases, so one pass in block order works.
  blocks.forEach((blk, j) => {
    // K phase.
    let k = kPrev;
    for (let tok = 0; tok < blk.n; tok++) {
      for (let beat = 0; beat < B; beat++) {
        k = Math.max(k + 1, 2);
        if (tok === 0 && beat === 0 && j >= 2) k = Math.max(k, R[j - 2]! + 1);
      }
    }
    kPrev = k;
    const D = k + t.dotLatency + 1;
    // Feeder (slot by slot, interleaved with ACC: a slot's credit needs an earlier token's start).
    const load = Math.max(D, feederIdle);
    let c = load + 1;
    if (g - t.eFifoDepth >= 0) c = Math.max(c, S[g - t.eFifoDepth]! + 1); // the prime slot
    if (!native) rPrev = Math.max(load + 1, readerIdle);
    for (let i = 0; i < blk.n; i++) {
      const gi = g + i;
      c = c + 1;
      if (gi - t.eFifoDepth >= 0) c = Math.max(c, S[gi - t.eFifoDepth]! + 1);
      const eVisible = c + t.maxExpLatency + 2;
      // The token's B v beats.
      let vLast = 0;
      for (let beat = 0; beat < B; beat++) {
        const m = gi * B + beat;
        const room = m - t.vFifoDepth >= 0 ? popOf(m - t.vFifoDepth) + 1 : -Infinity;
        if (native) {
          vPrev = Math.max(m === 0 ? 1 : vPrev + 1, room);
          vLast = vPrev;
        } else {
          rPrev = Math.max(rPrev + 1, room);
          vLast = rPrev + 1;
        }
      }
      const headFirst = blk.first + i === blk.head * L;
      let s = Math.max(eVisible, sPrev + II, vLast + 1);
      if (headFirst && blk.head >= 2) s = Math.max(s, F[blk.head - 2]!);
      S[gi] = s;
      sPrev = s;
      // A head's last token: RECIP and NORM.
      if (blk.first + i === blk.head * L + L - 1) {
        const z = s + t.accZLatency;
        const r = Math.max(z + 1, recipPrev) + t.recipLatency;
        recipPrev = r;
        const y = s + B - 1 + t.accBankLatency;
        const h = blk.head;
        const nh = Math.max(r + 1, y + 1, h > 0 ? N[h - 1]! + B : -Infinity);
        N.push(nh);
        F.push(nh + B);
      }
    }
    const feederDone = c;
    feederIdle = c + 1;
    if (!native) readerIdle = rPrev + 1;
    R.push(native ? feederDone : Math.max(feederDone, rPrev));
    g += blk.n;
  });
  return N[heads - 1]! + B - 1 + t.normLatency + 2;
}
