/**
 * SwiftKV-MHA top: H head lanes side by side, and the GEMV engine that drives their PEs.
 *
 * Attention jobs (cfg_mode = 0): each lane has its own q, KV and o streams; nHeads heads are
 * processed in ceil(nHeads / H) rounds. In round r, lane i serves head r*H + i (lanes without
 * a head that round stay idle); the `round` output tells the stream sources which heads to
 * send. A round ends when every started lane has raised done.
 *
 * GEMV jobs (cfg_mode = 1): y = W x on every lane's PEs (gemv.ts), x loaded once into a
 * buffer, weights streamed a column per beat for a block of rows, group scales after every G
 * columns, rows out on the y stream. docs/mha.md has the formats and timing diagrams.
 *
 * Control: pulse `start` with the cfg_* inputs while busy is low; `done` pulses when the job
 * finishes; `status_error` is sticky until the next start (a lane's error, or a configuration
 * outside its range); `status_sat` (saturation.ts) is the OR of the saturation flags of every
 * lane that served a head of the job, sticky until the next start. Only lanes started by the
 * current job count: a lane keeps its own flags until it is started again (GEMV jobs and
 * unused lanes never restart it), so flags left over from an earlier job are masked out.
 */
import { Module, u, s, lit, mux, clog2, type Expr } from '../../hdl/index.ts';
import { buildGemvLane } from './gemv.ts';
import { buildLane, laneConfig, laneName, type LaneConfig } from './lane.ts';
import type { LaneParamsInput } from './numerics.ts';
import { GEN_PARAMS, apiStyle, checkGenValues, type GenValues } from './params.ts';
import { SAT_WIDTH } from './saturation.ts';

export interface MhaParams {
  lane: LaneParamsInput;
  /** Lanes H. */
  heads: number;
  /** Largest nHeads accepted at run time. */
  maxHeads: number;
  /** GEMV mode (needs 32-bit data, whose PEs pack narrow products): group size and largest N. */
  gemv?: { group: number; maxCols: number };
  /** Top module name (default: derived from the parameters; `npm run gen` uses swiftkv_mha). */
  name?: string;
}

export const GEMV_DEFAULTS = { group: GEN_PARAMS.gemvGroup.default, maxCols: GEN_PARAMS.gemvMaxCols.default };

/** The configuration in the terms of the parameter table (params.ts); undefined: the default. */
function mhaValues(p: MhaParams): Partial<GenValues> {
  const l = p.lane;
  return {
    heads: p.heads,
    maxHeads: p.maxHeads,
    headDim: l.headDim,
    pe: l.pe ?? Math.min(GEN_PARAMS.pe.default, l.headDim),
    maxContext: l.maxContext,
    dataInt: l.dataFormat?.intBits,
    dataFrac: l.dataFormat?.fracBits,
    expIndex: l.exp2?.indexBits,
    expInterp: l.exp2?.interpBits,
    expFrac: l.exp2?.tableFracBits,
    rescale: l.rescale,
    gemvGroup: p.gemv?.group,
    gemvMaxCols: p.gemv?.maxCols,
  };
}

/** Every problem of a configuration (params.ts ranges and cross-checks), one message each. */
export function mhaProblems(p: MhaParams): string[] {
  return checkGenValues(mhaValues(p), apiStyle).problems;
}

export function mhaName(p: MhaParams): string {
  const c = laneConfig(p.lane);
  return `swiftkv_mha_h${p.heads}_pe${c.P}_d${c.d}`;
}

export function mhaRounds(p: MhaParams, nHeads: number): number {
  return Math.ceil(nHeads / p.heads);
}

export function buildMha(p: MhaParams): { module: Module; lane: LaneConfig } {
  const problems = mhaProblems(p);
  if (problems.length > 0) throw new RangeError(problems.join('\n'));
  const c = laneConfig(p.lane);
  const H = p.heads;
  const W = c.formats.data.intBits + c.formats.data.fracBits;
  const m = new Module(p.name ?? mhaName(p));
  m.doc = [
    `SwiftKV-MHA, attention mode: ${H} lane(s) of P = ${c.P} (d = ${c.d}); nHeads heads in ceil(nHeads/${H}) rounds.`,
    'In round r (output `round`), lane i serves head r*H + i. Per lane: q<i>, kv<i>, o<i> streams as in the lane.',
  ].join('\n');
  m.generator = { name: 'generators/swiftkv/mha.ts buildMha', params: { heads: H, maxHeads: p.maxHeads, lane: laneName(c), gemv: p.gemv ?? GEMV_DEFAULTS } };
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
  const satOut = m.output('status_sat', u(SAT_WIDTH), 'sticky until start: OR of the saturation flags of the lanes of this job (saturation.ts)');
  const roundOut = m.output('round', u(rw), 'current round: lane i serves head round*H + i');

  const active = m.reg('active', u(1), { domain: cd, reset: 0 });
  const round = m.reg('round_q', u(rw), { domain: cd, reset: 0 });
  const nHeads = m.reg('n_heads', u(hw), { domain: cd, reset: 0 });
  const len = m.reg('len', lenT, { domain: cd, reset: 0 });
  const kick = m.reg('kick', u(1), { domain: cd, reset: 0 });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const cfgMode = m.input('cfg_mode', u(1), '0: attention job, 1: GEMV job');
  const gActive = m.reg('gemv_active', u(1), { domain: cd, reset: 0 });
  const idle = m.wire('idle', active.not().and(gActive.not()));
  const startFire = m.wire('start_fire', start.and(idle).and(cfgMode.not()));
  // When maxHeads = 2^hw - 1 every cfg_heads is <= maxHeads: no compare (lint: CMPCONST).
  const headsFit = p.maxHeads === 2 ** hw - 1;
  const headsOk = m.wire('heads_ok', headsFit ? cfgHeads.ne(0) : cfgHeads.ne(0).and(cfgHeads.le(p.maxHeads)));
  // Any accepted or rejected start, attention or GEMV: ends the previous job's status.
  const anyStart = m.wire('any_start', start.and(idle));

  const lane = buildLane(p.lane);
  const gemvPorts = lane.signals.some((x) => x.name === 'pe_override');
  const gp = p.gemv ?? GEMV_DEFAULTS;
  if (!gemvPorts) throw new Error('internal: a 32-bit lane without GEMV ports');
  const gemvLane = buildGemvLane({ P: c.P, group: gp.group });
  // GEMV control signals shared by every lane (driven below).
  const gInt4 = m.reg('gemv_int4', u(1), { domain: cd, reset: 0 });
  const gMac = m.wire('gemv_mac', u(1));
  const gFirstCol = m.wire('gemv_first_col', u(1));
  const gX = m.wire('gemv_x', s(8));
  const gScale = m.wire('gemv_scale', u(1));
  const gField = m.reg('gemv_field', u(2), { domain: cd, reset: 0 });
  const gClear = m.reg('gemv_clear', u(1), { domain: cd, reset: 0 });
  const pw = Math.max(1, clog2(c.P));
  const outLane = m.reg('out_lane', u(Math.max(1, clog2(H))), { domain: cd, reset: 0 });
  const outPe = m.reg('out_pe', u(pw), { domain: cd, reset: 0 });
  const outField = m.reg('out_field', u(2), { domain: cd, reset: 0 });
  const wData = m.input('w_tdata', u(H * c.P * 32), 'GEMV weights of one column: PE (lane i, pe p) at bits (i*P+p)*32, rows packed in it');
  const sData = m.input('s_tdata', u(H * c.P * 3 * 16), 'GEMV scales of one group: row field f of PE (i, p) at ((i*P+p)*3+f)*16');
  const laneYs: Expr[] = [];
  const finished: Expr[] = [];
  const laneErrors: Expr[] = [];
  const laneSats: Expr[] = [];
  for (let i = 0; i < H; i++) {
    // Lane i has a head this round when round*H + i < nHeads.
    const head = round.zext(rw + clog2(H + 1) + 1).mul(H).add(i);
    const used = m.wire(`lane${i}_used`, head.lt(nHeads));
    const doneSeen = m.reg(`lane${i}_done_seen`, u(1), { domain: cd, reset: 0 });
    // The lane's PE operands come from its GEMV share, instantiated after it.
    const peMode = m.wire(`lane${i}_pe_mode`, u(2));
    const peA = m.wire(`lane${i}_pe_a`, u(c.P * 32));
    const peB = m.wire(`lane${i}_pe_b`, u(c.P * 32));
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
      pe_override: gActive,
      pe_mode: peMode,
      pe_a: peA,
      pe_b: peB,
    });
    const gl = m.instance(`u_gemv${i}`, gemvLane, {
      clk: cd.clock,
      rst: cd.reset!,
      int4: gInt4,
      mac: gMac,
      first_col: gFirstCol,
      w: wData.slice((i + 1) * c.P * 32 - 1, i * c.P * 32),
      x: gX,
      scale: gScale,
      field: gField,
      scales: sData.slice((i + 1) * c.P * 48 - 1, i * c.P * 48),
      clear: gClear,
      out_pe: outPe,
      out_field: outField,
      pe_p: inst.out('pe_p'),
      pe_g: inst.out('pe_g'),
    });
    peMode.set(gl.out('pe_mode'));
    peA.set(gl.out('pe_a'));
    peB.set(gl.out('pe_b'));
    laneYs.push(gl.out('y'));
    m.output(`q${i}_tready`, u(1)).set(inst.out('q_tready'));
    m.output(`kv${i}_tready`, u(1)).set(inst.out('kv_tready'));
    m.output(`o${i}_tvalid`, u(1)).set(inst.out('o_tvalid'));
    m.output(`o${i}_tdata`, u(c.P * W)).set(inst.out('o_tdata'));
    m.output(`o${i}_tlast`, u(1)).set(inst.out('o_tlast'));
    m.when(kick, () => doneSeen.set(used.not()));
    m.when(inst.out('done'), () => doneSeen.set(1));
    finished.push(doneSeen);
    // The lane's status counts once this job has started it: its status registers take the
    // new query's values in the cycle after its start, exactly when `armed` rises.
    const armed = m.reg(`lane${i}_armed`, u(1), { domain: cd, reset: 0 });
    m.when(kick.and(used), () => armed.set(1));
    m.when(anyStart, () => armed.set(0));
    laneErrors.push(armed.and(inst.out('status_error')));
    laneSats.push(mux(armed, inst.out('status_sat'), lit(0, u(SAT_WIDTH))));
  }
  const allDone = m.wire('all_done', finished.reduce((a, b) => a.and(b)));
  const anyLaneError = m.wire('any_lane_error', laneErrors.reduce((a, b) => a.or(b)));
  const sat = m.reg('sat', u(SAT_WIDTH), { domain: cd, reset: 0 });
  sat.set(sat.or(laneSats.reduce((a, b) => a.or(b))));
  m.when(anyStart, () => sat.set(0));
  kick.set(0);
  done.set(0);
  // Before the start assignments below, which take priority: a start clears the error.
  m.when(anyLaneError, () => error.set(1));
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

  // ---- GEMV job: x into a buffer, then per row block: N weight columns (packed MACs), after
  // every group k scaling cycles, then the block's rows on the y stream -----------------------
  const G_LOADX = 1, G_MAC = 2, G_GAP = 3, G_SCALE = 4, G_DRAIN = 5, G_OUT = 6;
  const cw = clog2(gp.maxCols + 1);
  const cfgInt4 = m.input('cfg_int4', u(1), 'GEMV: 1 INT4 weights, 0 INT8');
  const cfgRows = m.input('cfg_rows', u(16), 'GEMV: rows M of W');
  const cfgCols = m.input('cfg_cols', u(16), `GEMV: columns N of W, a multiple of ${gp.group} up to ${gp.maxCols}`);
  const xValid = m.input('x_tvalid', u(1));
  const xData = m.input('x_tdata', u(32), 'GEMV: 4 activations (INT8), element 0 in the low bits');
  const xReady = m.output('x_tready', u(1));
  const wValid = m.input('w_tvalid', u(1));
  const wReady = m.output('w_tready', u(1));
  const sValid = m.input('s_tvalid', u(1));
  const sReady = m.output('s_tready', u(1));
  const yValid = m.output('y_tvalid', u(1));
  const yReady = m.input('y_tready', u(1));
  const yData = m.output('y_tdata', s(64), 'GEMV: y[r] = sum over groups of scale * (W x), exact');
  const yLast = m.output('y_tlast', u(1), 'GEMV: last row');
  const gState = m.reg('gemv_state', u(3), { domain: cd, reset: 0 });
  const gRows = m.reg('gemv_rows', u(16), { domain: cd, reset: 0 });
  const gCols = m.reg('gemv_cols', u(16), { domain: cd, reset: 0 });
  const xCount = m.reg('x_count', u(cw), { domain: cd, reset: 0 });
  const col = m.reg('col', u(cw), { domain: cd, reset: 0 });
  const colInGroup = m.reg('col_in_group', u(clog2(gp.group)), { domain: cd, reset: 0 });
  const row = m.reg('row', u(16), { domain: cd, reset: 0 });
  const gDone = m.reg('gemv_done', u(1), { domain: cd, reset: 0 });
  const inG = (st: number): Expr => gState.eq(lit(st, u(3)));
  const xbuf = m.memory('x_buf', { type: u(32), depth: gp.maxCols / 4 });
  const xAddrW = xbuf.addrWidth;
  xbuf.write(xCount.resize(xAddrW), xData, xValid.and(inG(G_LOADX)), cd);
  const xWord = xbuf.read('x_word', col.shr(2).resize(xAddrW));
  gX.set(mux(col.bit(1), mux(col.bit(0), xWord.slice(31, 24), xWord.slice(23, 16)), mux(col.bit(0), xWord.slice(15, 8), xWord.slice(7, 0))).asSigned());
  const gStart = m.wire('gemv_start', start.and(idle).and(cfgMode));
  const colsOk = m.wire('gemv_cfg_ok', cfgCols.ne(0).and(cfgCols.le(gp.maxCols)).and(cfgRows.ne(0)).and(cfgCols.slice(clog2(gp.group) - 1, 0).eq(0)));
  const wFire = m.wire('w_fire', wValid.and(inG(G_MAC)));
  const k = m.wire('rows_per_pe', mux(gInt4, lit(3, u(2)), lit(2, u(2))));
  const lastField = m.wire('last_field', gField.add(1).eq(k));
  const blockEnd = m.wire('block_end', outField.add(1).eq(k).and(outPe.eq(c.P - 1)).and(outLane.eq(H - 1)));
  const yFire = m.wire('y_fire', yReady.and(inG(G_OUT)));
  gMac.set(wFire);
  gFirstCol.set(colInGroup.eq(0));
  gScale.set(inG(G_SCALE).and(sValid));
  xReady.set(inG(G_LOADX));
  wReady.set(inG(G_MAC));
  sReady.set(inG(G_SCALE).and(lastField));
  yValid.set(inG(G_OUT));
  yLast.set(row.add(1).eq(gRows));
  let ySel: Expr = laneYs[H - 1]!;
  for (let i = H - 2; i >= 0; i--) ySel = mux(outLane.eq(i), laneYs[i]!, ySel);
  yData.set(ySel);
  gClear.set(0);
  gDone.set(0);
  m.when(gStart, () => {
    m.when(colsOk, () => {
      gActive.set(1);
      gState.set(G_LOADX);
      gInt4.set(cfgInt4);
      gRows.set(cfgRows);
      gCols.set(cfgCols);
      gClear.set(1);
    }).otherwise(() => gDone.set(1));
    error.set(colsOk.not());
    xCount.set(0);
    col.set(0);
    colInGroup.set(0);
    row.set(0);
    gField.set(0);
    outLane.set(0);
    outPe.set(0);
    outField.set(0);
  });
  m.when(inG(G_LOADX).and(xValid), () => {
    xCount.set(xCount.add(1).trunc(cw));
    m.when(xCount.add(1).eq(gCols.shr(2)), () => gState.set(G_MAC));
  });
  m.when(wFire, () => {
    col.set(col.add(1).trunc(cw));
    colInGroup.set(colInGroup.add(1).trunc(colInGroup.width));
    m.when(colInGroup.eq(gp.group - 1), () => gState.set(G_GAP));
  });
  m.when(inG(G_GAP), () => {
    gState.set(G_SCALE);
    gField.set(0);
  });
  m.when(inG(G_SCALE).and(sValid), () => {
    gField.set(gField.add(1).trunc(2));
    m.when(lastField, () => gState.set(mux(col.eq(gCols.resize(cw)), lit(G_DRAIN, u(3)), lit(G_MAC, u(3)))));
  });
  m.when(inG(G_DRAIN), () => gState.set(G_OUT));
  m.when(yFire, () => {
    row.set(row.add(1).trunc(16));
    m.when(outField.add(1).eq(k), () => {
      outField.set(0);
      m.when(outPe.eq(c.P - 1), () => {
        outPe.set(0);
        outLane.set(mux(outLane.eq(H - 1), lit(0, outLane.type), outLane.add(1).trunc(outLane.width)));
      }).otherwise(() => outPe.set(outPe.add(1).trunc(pw)));
    }).otherwise(() => outField.set(outField.add(1).trunc(2)));
    m.when(yLast, () => {
      gState.set(0);
      gActive.set(0);
      gDone.set(1);
    }).elsewhen(blockEnd, () => {
      gState.set(G_MAC);
      col.set(0);
      colInGroup.set(0);
      gClear.set(1);
    });
  });

  busy.set(active.or(gActive));
  doneOut.set(done.or(gDone));
  errorOut.set(error);
  satOut.set(sat);
  roundOut.set(round);
  return { module: m, lane: c };
}

