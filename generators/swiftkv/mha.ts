/**
 * SwiftKV-MHA top, attention mode: H head lanes side by side, each with its own q, KV and o
 * streams; nHeads heads are processed in ceil(nHeads / H) rounds. In round r, lane i serves
 * head r*H + i (lanes without a head that round stay idle); the `round` output tells the
 * stream sources which heads to send. A round ends when every started lane has raised done.
 *
 * Control: pulse `start` with cfg_len (L) and cfg_heads (nHeads) while busy is low; `done`
 * pulses when the last round finishes; `status_error` is sticky (a lane's error, or nHeads
 * outside 1..maxHeads).
 */
import { Module, u, lit, clog2, type Expr } from '../../hdl/index.ts';
import { buildLane, laneConfig, laneName, type LaneConfig } from './lane.ts';
import type { LaneParamsInput } from './numerics.ts';

export interface MhaParams {
  lane: LaneParamsInput;
  /** Lanes H. */
  heads: number;
  /** Largest nHeads accepted at run time. */
  maxHeads: number;
}

export function mhaName(p: MhaParams): string {
  const c = laneConfig(p.lane);
  return `swiftkv_mha_h${p.heads}_pe${c.P}_d${c.d}`;
}

export function mhaRounds(p: MhaParams, nHeads: number): number {
  return Math.ceil(nHeads / p.heads);
}

export function buildMha(p: MhaParams): { module: Module; lane: LaneConfig } {
  const c = laneConfig(p.lane);
  const H = p.heads;
  if (!Number.isInteger(H) || H < 1 || H > 64) throw new RangeError(`heads = ${H} is out of range: accepted 1..64`);
  if (!Number.isInteger(p.maxHeads) || p.maxHeads < 1 || p.maxHeads > 1024) throw new RangeError(`maxHeads = ${p.maxHeads} is out of range: accepted 1..1024`);
  const W = c.formats.data.intBits + c.formats.data.fracBits;
  const m = new Module(mhaName(p));
  m.doc = [
    `SwiftKV-MHA, attention mode: ${H} lane(s) of P = ${c.P} (d = ${c.d}); nHeads heads in ceil(nHeads/${H}) rounds.`,
    'In round r (output `round`), lane i serves head r*H + i. Per lane: q<i>, kv<i>, o<i> streams as in the lane.',
  ].join('\n');
  m.generator = { name: 'generators/swiftkv/mha.ts buildMha', params: { heads: H, maxHeads: p.maxHeads, lane: laneName(c) } };
  const cd = m.clockDomain();
  const lenT = u(c.lenWidth);
  const hw = clog2(p.maxHeads + 1);
  const rw = clog2(Math.ceil(p.maxHeads / H) + 1);
  const start = m.input('start', u(1), 'pulse: begin nHeads heads (ignored while busy)');
  const cfgLen = m.input('cfg_len', lenT, 'context length L');
  const cfgHeads = m.input('cfg_heads', u(hw), `number of heads, 1..${p.maxHeads}`);
  const busy = m.output('busy', u(1));
  const doneOut = m.output('done', u(1), 'pulse: all heads finished');
  const errorOut = m.output('status_error', u(1), 'sticky until start');
  const roundOut = m.output('round', u(rw), 'current round: lane i serves head round*H + i');

  const active = m.reg('active', u(1), { domain: cd, reset: 0 });
  const round = m.reg('round_q', u(rw), { domain: cd, reset: 0 });
  const nHeads = m.reg('n_heads', u(hw), { domain: cd, reset: 0 });
  const len = m.reg('len', lenT, { domain: cd, reset: 0 });
  const kick = m.reg('kick', u(1), { domain: cd, reset: 0 });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const startFire = m.wire('start_fire', start.and(active.not()));
  const headsOk = m.wire('heads_ok', cfgHeads.ne(0).and(cfgHeads.le(p.maxHeads)));

  const lane = buildLane(p.lane);
  const gemvPorts = lane.signals.some((x) => x.name === 'pe_override');
  const finished: Expr[] = [];
  const laneErrors: Expr[] = [];
  for (let i = 0; i < H; i++) {
    // Lane i has a head this round when round*H + i < nHeads.
    const head = round.zext(rw + clog2(H + 1) + 1).mul(H).add(i);
    const used = m.wire(`lane${i}_used`, head.lt(nHeads));
    const doneSeen = m.reg(`lane${i}_done_seen`, u(1), { domain: cd, reset: 0 });
    const inst = m.instance(`u_lane${i}`, lane, {
      clk: cd.clock,
      rst: cd.reset!,
      start: kick.and(used),
      cfg_len: len,
      q_tvalid: m.input(`q${i}_tvalid`, u(1)),
      q_tdata: m.input(`q${i}_tdata`, u(c.P * W)),
      q_tlast: m.input(`q${i}_tlast`, u(1)),
      kv_tvalid: m.input(`kv${i}_tvalid`, u(1)),
      kv_tdata: m.input(`kv${i}_tdata`, u(2 * c.P * W)),
      kv_tlast: m.input(`kv${i}_tlast`, u(1)),
      o_tready: m.input(`o${i}_tready`, u(1)),
      ...(gemvPorts ? { pe_override: lit(0, u(1)), pe_mode: lit(0, u(2)), pe_a: lit(0, u(c.P * W)), pe_b: lit(0, u(c.P * W)) } : {}),
    });
    m.output(`q${i}_tready`, u(1)).set(inst.out('q_tready'));
    m.output(`kv${i}_tready`, u(1)).set(inst.out('kv_tready'));
    m.output(`o${i}_tvalid`, u(1)).set(inst.out('o_tvalid'));
    m.output(`o${i}_tdata`, u(c.P * W)).set(inst.out('o_tdata'));
    m.output(`o${i}_tlast`, u(1)).set(inst.out('o_tlast'));
    m.when(kick, () => doneSeen.set(used.not()));
    m.when(inst.out('done'), () => doneSeen.set(1));
    finished.push(doneSeen);
    laneErrors.push(inst.out('status_error'));
    void inst.out('busy');
  }
  const allDone = m.wire('all_done', finished.reduce((a, b) => a.and(b)));
  const anyLaneError = m.wire('any_lane_error', laneErrors.reduce((a, b) => a.or(b)));
  kick.set(0);
  done.set(0);
  m.when(startFire, () => {
    error.set(headsOk.not());
    m.when(headsOk, () => {
      active.set(1);
      kick.set(1);
      round.set(0);
      nHeads.set(cfgHeads);
      len.set(cfgLen);
    }).otherwise(() => done.set(1));
  }).elsewhen(active.and(kick.not()).and(allDone), () => {
    // The last round is the one whose heads reach nHeads: (round + 1) * H >= nHeads.
    m.when(round.add(1).mul(H).ge(nHeads), () => {
      active.set(0);
      done.set(1);
    }).otherwise(() => {
      round.set(round.add(1).trunc(rw));
      kick.set(1);
    });
  });
  m.when(anyLaneError, () => error.set(1));
  busy.set(active);
  doneOut.set(done);
  errorOut.set(error);
  roundOut.set(round);
  return { module: m, lane: c };
}

