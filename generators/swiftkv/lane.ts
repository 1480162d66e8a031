/**
 * The SwiftKV head lane: a sequence of heads, back to back, one query each.
 *
 *   q  --skid--> q RAM (2 banks x B words)                     a head's q loads while the
 *                    |                                         previous head streams
 *   kv --skid--> issue beat j of a token --> DOT (q . k on tiles) --> score --> MAX/EXP --> e FIFO
 *                    \--> v FIFO ---------------------------------------------------------\
 *                                                      ACC: Z, Y (2 banks) <-- e FIFO + v FIFO
 *                                                       |--> RECIP (1/Z) --\
 *                                                       \--> Y bank ------> NORM --> o queue --> o
 *
 * Control: pulse `start` with cfg_len (L, 1..maxContext) and cfg_heads (n, 1..maxHeads) while
 * busy is low. The lane then takes, for each of the n heads in order: B q beats (tlast on the
 * last), L tokens of B kv beats (tlast on the last beat of each token), and returns B o beats
 * (tlast on the last, o_tuser = the head's saturation mask). `done` pulses when the last o beat
 * of the last head has been taken. status_error: a bad configuration (done follows at once) or
 * a tlast in the wrong place (the job runs on); status_sat: OR of the heads' masks; both
 * sticky until the next start. A rejected start takes nothing from q and kv: beats its input
 * slices took (while idle, in the start cycle) are dropped, none is taken in the done cycle.
 *
 * Steady state: one token every II = max(B, ACC loop depth) cycles; heads follow each other
 * with no gap (the next head's q is loaded and its tokens start while the previous head is
 * divided and normalised). laneTiming() gives every latency, derived from the blocks.
 */
import { Module, u, clog2, mux, lit, cat, type Expr, type Signal } from '../../hdl/index.ts';
import { Fsm } from '../../hdl/fsm.ts';
import { streamInput, streamOutput, streamWires } from '../../hdl/stream.ts';
import { buildFifo } from '../common/fifo.ts';
import { inRange1 } from '../common/bounds.ts';
import { buildSkid } from '../common/skid.ts';
import { buildDot } from './dot.ts';
import { buildMaxExp } from './maxexp.ts';
import { buildAcc } from './acc.ts';
import { buildRecip } from './recip.ts';
import { buildNorm, HEAD_SAT_BITS } from './norm.ts';
import { exp2OutWidth } from './exp2.ts';
import { META, laneConfig, type LaneConfig } from './config.ts';
import type { LaneParamsInput } from './numerics.ts';

export interface LaneTiming {
  /** Beats per token and per vector. */
  readonly B: number;
  /** Cycles between token starts in ACC: max(B, loop depth). */
  readonly interval: number;
  /** ACC: token start -> its head's final Z (z_valid); last beat -> bank complete (bank_valid). */
  readonly accZLatency: number;
  readonly accBankLatency: number;
  readonly accLoop: number;
  readonly dotLatency: number;
  readonly maxExpLatency: number;
  readonly recipLatency: number;
  readonly normLatency: number;
  readonly vFifoDepth: number;
  readonly eFifoDepth: number;
}

function pow2AtLeast(n: number): number {
  return 1 << clog2(Math.max(2, n));
}

export function laneTiming(c: LaneConfig): LaneTiming {
  const dot = buildDot(c);
  const me = buildMaxExp(c);
  const acc = buildAcc(c);
  const recip = buildRecip(c);
  const norm = buildNorm(c, recip.leadWidth);
  // v beats wait in the v FIFO while their token's score and exp2 are computed (plus the
  // token's own B beats and a few cycles of hand-over): sized from the derived latencies, so
  // the KV stream never waits when tokens start every B cycles.
  const vFifoDepth = pow2AtLeast(dot.latency + me.latency + 2 * c.B + 4);
  // Every queued e has its B beats in the v FIFO.
  const eFifoDepth = pow2AtLeast(Math.ceil(vFifoDepth / c.B) + 2);
  return {
    B: c.B,
    interval: acc.interval,
    accZLatency: acc.zLatency,
    accBankLatency: acc.bankLatency,
    accLoop: acc.loopDepth,
    dotLatency: dot.latency,
    maxExpLatency: me.latency,
    recipLatency: recip.latency,
    normLatency: norm.latency,
    vFifoDepth,
    eFifoDepth,
  };
}

/**
 * Cycles of a lane job (n heads of L tokens) from the cycle `start` is high to the cycle `done`
 * is high, with every stream always valid and ready, derived from the block latencies by
 * following the schedule (each line is one rule of the control logic):
 *
 *   kv beats issue one per cycle from cycle 2 (q word 0 is written at cycle 1);
 *   token k's last beat issues at K_k = 2 + k B + B - 1;
 *   its e reaches the token queue at E_k = K_k + dot + maxexp + 1;
 *   ACC starts it at S_k = max(E_k, S_(k-1) + II, F_(h-2))   (F: bank of head h-2 free again,
 *                                                             only for a head's first token);
 *   head h's final Z: z_h = S_last + accZ; its reciprocal R_h = max(z_h + 1, R_(h-1)) + recip;
 *   its bank is complete at Y_h = S_last + B - 1 + accBank;
 *   NORM starts it at N_h = max(R_h + 1, Y_h + 1, N_(h-1) + B) and frees the bank at F_h = N_h + B;
 *   the last o beat is taken at N_(n-1) + B - 1 + norm + 1, and done is high a cycle later.
 * In steady state (L II >= the head turnaround) this is
 *   total = (B + 2 + dot + maxexp) + (n L - 1) II + drain,
 * with the drain after the last token's start given by laneDrain(). The regression checks
 * the result exactly.
 */
export function laneCycles(t: LaneTiming, L: number, n: number): number {
  const { B, interval: II } = t;
  const S: number[] = [];
  const N: number[] = [];
  const F: number[] = [];
  let rPrev = -Infinity;
  let sPrev = -Infinity;
  for (let h = 0; h < n; h++) {
    for (let k = 0; k < L; k++) {
      const tok = h * L + k;
      const K = 2 + tok * B + B - 1;
      const E = K + t.dotLatency + t.maxExpLatency + 1;
      let s = Math.max(E, sPrev + II);
      if (k === 0 && h >= 2) s = Math.max(s, F[h - 2]!);
      S.push(s);
      sPrev = s;
    }
    const last = S[S.length - 1]!;
    const z = last + t.accZLatency;
    const r = Math.max(z + 1, rPrev) + t.recipLatency;
    rPrev = r;
    const y = last + B - 1 + t.accBankLatency;
    const nh = Math.max(r + 1, y + 1, h > 0 ? N[h - 1]! + B : -Infinity);
    N.push(nh);
    F.push(nh + B);
  }
  return N[n - 1]! + B - 1 + t.normLatency + 1 + 1;
}

/** Cycles from the last token's start in ACC to done, when nothing waits (see laneCycles). */
export function laneDrain(t: LaneTiming): number {
  const r = t.accZLatency + 1 + t.recipLatency + 1;
  const y = t.B - 1 + t.accBankLatency + 1;
  return Math.max(r, y) + t.B + t.normLatency + 1;
}

export function laneName(c: LaneConfig): string {
  const p = c.formats.params;
  return `swiftkv_lane_d${c.d}_p${c.P}_${p.rescale === 'shift' ? 'sh' : 'mul'}`;
}

export function buildLane(input: LaneParamsInput, opts: { maxHeads?: number; gemv?: boolean } = {}): { module: Module; config: LaneConfig; timing: LaneTiming; tiles: number } {
  const c = laneConfig(input, opts);
  const f = c.formats;
  const { P, B, W } = c;
  const t = laneTiming(c);
  const bw = Math.max(1, clog2(B));
  const m = new Module(laneName(c));
  m.hashName = true;
  m.doc = [
    `SwiftKV attention lane: heads back to back; d = ${c.d}, P = ${P}, one token every ${t.interval} cycle(s).`,
    `Data ${W}-bit Q${f.data.intBits}.${f.data.fracBits}; rescale '${f.params.rescale}'; contexts up to ${f.params.maxContext} tokens; up to ${c.maxHeads} heads per job.`,
    'Per head: q (B beats, tlast on the last), L tokens of B kv beats (tdata = {v, k}, tlast on each',
    "token's last beat); out: o (B beats, tlast on the last, o_tuser = the head's saturation mask).",
  ].join('\n');
  m.generator = { name: 'generators/swiftkv/lane.ts buildLane', params: { ...f.params, maxHeads: c.maxHeads } };
  const cd = m.clockDomain();
  const dataW = P * W;
  const start = m.input('start', u(1), 'pulse: begin a job (ignored while busy)');
  const cfgLen = m.input('cfg_len', u(c.lenWidth), `context length L, 1..${f.params.maxContext}`);
  const cfgHeads = m.input('cfg_heads', u(c.headsWidth), `heads n, 1..${c.maxHeads}`);
  const qIn = streamInput(m, 'q', u(dataW), { last: true, doc: 'P elements of q, element i at bits [W*i+W-1 : W*i]' });
  const kvIn = streamInput(m, 'kv', u(2 * dataW), { last: true, doc: '{v, k}: P elements each, k in the low half' });
  const oOut = streamOutput(m, 'o', u(dataW), { last: true, doc: 'P elements of o' });
  const oUser = m.output('o_tuser', u(HEAD_SAT_BITS), "saturation mask of the head (read it with o_tlast)");
  const busyOut = m.output('busy', u(1));
  const doneOut = m.output('done', u(1), 'pulse: the last o beat of the job was taken, or a rejected start');
  const errorOut = m.output('status_error', u(1), 'sticky until start: bad configuration or a tlast out of place');
  const satOut = m.output('status_sat', u(HEAD_SAT_BITS), 'sticky until start: OR of the heads\' saturation masks');

  const phase = new Fsm(m, 'phase', ['IDLE', 'RUN'] as const, { domain: cd });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const satSticky = m.reg('sat_sticky', u(HEAD_SAT_BITS), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const startFire = m.wire('start_fire', start.and(phase.is('IDLE')));
  const cfgOk = m.wire('cfg_ok', inRange1(cfgLen, f.params.maxContext).and(inRange1(cfgHeads, c.maxHeads)));
  const running = phase.is('RUN');

  // ---- inputs through registered slices ------------------------------------------------------
  // While idle the slices take up to two beats each: the next job's first beats, so q word 0
  // is written the cycle after start. A rejected start (or `flush`, the MHA top's rejected
  // start) drops them, with any taken in the start cycle, and the slices take nothing in the
  // done cycle: a rejected job leaves nothing behind. The flush only feeds slice registers.
  const flushIn = m.input('flush', u(1), 'pulse while idle: the q and kv slices drop their beats (a rejected job\'s; the MHA top drives it)');
  const sliceFlush = m.wire('slice_flush', phase.is('IDLE').and(start.and(cfgOk.not()).or(flushIn)));
  const q = streamWires(m, 'q_in', u(dataW), { last: true });
  const kv = streamWires(m, 'kv_in', u(2 * dataW), { last: true });
  m.instance('u_q_skid', buildSkid(u(dataW), { last: true, flush: true }), { in: qIn, out: q.source, flush: sliceFlush }, { domain: cd });
  m.instance('u_kv_skid', buildSkid(u(2 * dataW), { last: true, flush: true }), { in: kvIn, out: kv.source, flush: sliceFlush }, { domain: cd });

  // ---- q RAM: head h in bank h mod 2 ---------------------------------------------------------
  const hw = c.headsWidth;
  const qHead = m.reg('q_head', u(hw), { domain: cd, reset: 0 });
  const qWord = m.reg('q_word', u(bw), { domain: cd, reset: 0 });
  const kvHead = m.reg('kv_head', u(hw), { domain: cd, reset: 0 });
  const kvBeat = m.reg('kv_beat', u(bw), { domain: cd, reset: 0 });
  const kvTok = m.reg('kv_tok', u(c.lenWidth), { domain: cd, reset: 0 });
  const qLastWord = B === 1 ? lit(1, u(1)) : qWord.eq(B - 1);
  // The ready conditions read small counters and flags, not compares of head and word indices:
  // ready feeds the FIFO and counter updates, and compares there made the lane's longest path.
  // q_more / kv_more: heads of the job still to come on q / kv. head_lead = qHead - kvHead
  // (0..2). q_lead = q words written minus kv's position (kvHead * B + kvBeat), 0..2B: kv beat
  // j of a token needs q word j of its head, so a kv beat may go while q_lead is not zero.
  const qMore = m.reg('q_more', u(1), { domain: cd, reset: 0 });
  const kvMore = m.reg('kv_more', u(1), { domain: cd, reset: 0 });
  const headLead = m.reg('head_lead', u(2), { domain: cd, reset: 0 });
  const leadW = clog2(2 * B + 1);
  const qLead = m.reg('q_lead', u(leadW), { domain: cd, reset: 0 });
  const headsM1 = m.reg('heads_m1', u(hw), { domain: cd, reset: 0 });
  const lenM1 = m.reg('len_m1', u(c.lenWidth), { domain: cd, reset: 0 });
  // Bank of head h is free once head h - 2 has passed DOT: q may run one head ahead of kv.
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

  // ---- kv issue: beat j of a token needs q word j of its head ------------------------------
  const kvLastBeat = B === 1 ? lit(1, u(1)) : kvBeat.eq(B - 1);
  const kvLastTok = m.wire('kv_last_tok', kvTok.eq(lenM1));
  const qReadyForBeat = m.wire('q_word_ready', qLead.ne(0));
  const vPush = m.wire('v_push', u(1));
  const vRoom = m.wire('v_room', u(1));
  kv.sink.ready.set(running.and(kvMore).and(qReadyForBeat).and(vRoom));
  vPush.set(kv.sink.fire);
  m.when(kv.sink.fire, () => {
    if (B > 1) kvBeat.set(mux(kvLastBeat, lit(0, u(bw)), kvBeat.add(1).trunc(bw)));
    m.when(kvLastBeat, () => {
      kvTok.set(mux(kvLastTok, lit(0, u(c.lenWidth)), kvTok.add(1).trunc(c.lenWidth)));
      m.when(kvLastTok, () => {
        kvHead.set(kvHead.add(1).trunc(hw));
        m.when(kvHead.eq(headsM1), () => kvMore.set(0));
      });
    });
    m.when(kv.sink.last!.ne(kvLastBeat), () => error.set(1));
  });
  // q_lead moves by +1 per q word, -1 per kv beat, and +B when a token's last beat goes back to
  // word 0 of the same head; head_lead by +1 per q head, -1 per kv head.
  const kvTokenWrap = kv.sink.fire.and(kvLastBeat).and(kvLastTok.not());
  const qLeadStep = mux(kvTokenWrap, lit(B, u(leadW)), lit(0, u(leadW)));
  qLead.set(qLead.add(q.sink.fire.zext(leadW)).trunc(leadW).add(qLeadStep).trunc(leadW).sub(kv.sink.fire.zext(leadW)).trunc(leadW));
  const qHeadIn = q.sink.fire.and(qLastWord);
  const kvHeadOut = kv.sink.fire.and(kvLastBeat).and(kvLastTok);
  m.when(qHeadIn.and(kvHeadOut.not()), () => headLead.set(headLead.add(1).trunc(2)));
  m.when(kvHeadOut.and(qHeadIn.not()), () => headLead.set(headLead.sub(1).trunc(2)));
  const meta = cat(kvHead.bit(0), kvLastTok, kvTok.eq(0)); // {bank, last token, first token}: META
  if (META.first !== 0 || META.last !== 1 || META.bank !== 2) throw new Error('internal: META layout');

  // ---- GEMV access to every tile: the blocks' gemv_* ports side by side (dot, maxexp, acc, norm)
  const blocks = [buildDot(c), buildMaxExp(c), buildAcc(c)];
  const recipB = buildRecip(c);
  const normB = buildNorm(c, recipB.leadWidth);
  const tileCounts = [...blocks.map((b) => b.tiles), normB.tiles];
  const tiles = tileCounts.reduce((a, b) => a + b, 0);
  const gemvIn = (k: number): Record<string, Expr> => {
    if (!c.gemv || tileCounts[k] === 0) return {};
    const first = tileCounts.slice(0, k).reduce((a, b) => a + b, 0);
    const n = tileCounts[k]!;
    const part = (port: Signal, bits: number): Expr => port.slice((first + n) * bits - 1, first * bits);
    return { gemv_en: gemvEn!, gemv_zsel: gemvZsel!, gemv_a: part(gemvA!, 27), gemv_b: part(gemvB!, 18), gemv_c: part(gemvC!, 48) };
  };
  const gemvEn = c.gemv ? m.input('gemv_en', u(1), 'GEMV: every tile takes the gemv_* operands (the lane must be idle)') : undefined;
  const gemvZsel = c.gemv ? m.input('gemv_zsel', u(2), 'GEMV: post-adder select of every tile') : undefined;
  const gemvA = c.gemv ? m.input('gemv_a', u(27 * tiles), `GEMV: A operands of the ${tiles} tiles`) : undefined;
  const gemvB = c.gemv ? m.input('gemv_b', u(18 * tiles), 'GEMV: B operands') : undefined;
  const gemvC = c.gemv ? m.input('gemv_c', u(48 * tiles), 'GEMV: C operands (one cycle after A and B)') : undefined;

  // ---- DOT -> MAX/EXP -> e FIFO --------------------------------------------------------------
  const dot = m.instance('u_dot', blocks[0]!.module, {
    ...gemvIn(0),
    in_valid: kv.sink.fire,
    in_first: kvBeat.eq(0),
    in_last: kvLastBeat,
    in_meta: meta,
    in_q: qRam.read('q_for_beat', cat(kvHead.bit(0), kvBeat)),
    in_k: kv.sink.data.slice(dataW - 1, 0),
  }, { domain: cd });
  const me = m.instance('u_maxexp', blocks[1]!.module, {
    ...gemvIn(1),
    s_valid: dot.out('s_valid'),
    s: dot.out('s'),
    s_sat: dot.out('s_sat'),
    s_meta: dot.out('s_meta'),
  }, { domain: cd });
  const eW = exp2OutWidth(f.params.exp2);
  const selT = f.params.rescale === 'shift' ? f.shiftAmount : u(1);
  const tokW = 2 + c.metaWidth + selT.width + eW;
  const ePop = m.wire('e_pop', u(1));
  const eFifo = m.instance('u_e_fifo', buildFifo(tokW, t.eFifoDepth), {
    push_valid: me.out('e_valid'),
    push_data: cat(me.out('sat_exp2in'), me.out('sat_score'), me.out('meta'), me.out('sel').asUnsigned(), me.out('e')),
    pop_ready: ePop,
  }, { domain: cd });
  const eHead = eFifo.out('pop_data');

  // ---- v FIFO and ACC ------------------------------------------------------------------------
  const vPop = m.wire('v_pop', u(1));
  const vFifo = m.instance('u_v_fifo', buildFifo(dataW, t.vFifoDepth), {
    push_valid: vPush,
    push_data: kv.sink.data.slice(2 * dataW - 1, dataW),
    pop_ready: vPop,
  }, { domain: cd });
  vRoom.set(vFifo.out('push_ready'));
  const normAddr = m.wire('norm_addr', u(bw + 1));
  const bankFree = m.wire('bank_free', u(2));
  const acc = m.instance('u_acc', blocks[2]!.module, {
    ...gemvIn(2),
    tok_valid: eFifo.out('pop_valid'),
    tok_e: eHead.slice(eW - 1, 0),
    tok_sel: selT.signed ? eHead.slice(eW + selT.width - 1, eW).asSigned() : eHead.slice(eW + selT.width - 1, eW),
    tok_meta: eHead.slice(eW + selT.width + c.metaWidth - 1, eW + selT.width),
    tok_sat: eHead.slice(tokW - 1, tokW - 2),
    bank_free: bankFree,
    v_count: vFifo.out('count').resize(clog2(2 * B + 64)),
    v_data: vFifo.out('pop_data'),
    norm_addr: normAddr,
  }, { domain: cd });
  ePop.set(acc.out('tok_ready'));
  vPop.set(acc.out('v_pop'));

  // ---- RECIP and NORM ------------------------------------------------------------------------
  const recip = m.instance('u_recip', recipB.module, { in_valid: acc.out('z_valid'), z: acc.out('z'), bank: acc.out('z_bank') }, { domain: cd });
  const o = streamWires(m, 'o_out', u(dataW), { last: true });
  const norm = m.instance('u_norm', normB.module, {
    ...gemvIn(3),
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
  // A bank is owned from the start of its head's first token in ACC until NORM has read it.
  const owned = [0, 1].map((b) => m.reg(`bank${b}_owned`, u(1), { domain: cd, reset: 0 }));
  const accStartsHead = acc.out('tok_ready').and(eHead.bit(eW + selT.width + META.first));
  const accHeadBank = eHead.bit(eW + selT.width + META.bank);
  owned.forEach((o, b) => {
    m.when(norm.out('bank_release').and(norm.out('release_bank').eq(b)), () => o.set(0));
    m.when(accStartsHead.and(accHeadBank.eq(b)), () => o.set(1));
  });
  bankFree.set(cat(owned[1]!.not(), owned[0]!.not()));
  oOut.valid.set(o.sink.valid);
  oOut.data.set(o.sink.data);
  oOut.last!.set(o.sink.last!);
  oUser.set(norm.out('o_tuser'));
  o.sink.ready.set(oOut.ready);

  // ---- job control -----------------------------------------------------------------------------
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
  // Internal overflows cannot happen when the derived sizes are right; flag them if they do.
  m.when(recip.out('overflow').or(me.out('e_valid').and(eFifo.out('push_ready').not())), () => error.set(1));
  if (c.gemv) {
    const insts = [dot, me, acc, norm].filter((_, k) => tileCounts[k]! > 0);
    m.output('gemv_p', u(48 * tiles), 'GEMV: P of every tile').set(cat(...insts.map((h) => h.out('gemv_p')).reverse()));
  }
  busyOut.set(running);
  doneOut.set(done);
  errorOut.set(error);
  satOut.set(satSticky);
  return { module: m, config: c, timing: t, tiles };
}
