/**
 * SwiftKV-MHA top: H head lanes side by side.
 *
 * An attention job (cfg_mode = 0) runs nHeads heads of one query each over a context of L
 * tokens. Lane i serves heads i, i + H, i + 2H, ... back to back (lane.ts), each lane with its
 * own q, kv and o streams carrying its heads in that order. All lanes start in the start cycle;
 * `done` pulses the cycle after the last of them finishes.
 *
 * Control: pulse `start` with the cfg_* inputs while busy is low. status_error and status_sat
 * are sticky until the next start and only count lanes that take part in the current job.
 */
import { Module, u, s as sT, lit, mux, clog2, type Expr } from '../../hdl/index.ts';
import { MAX_WIDTH } from '../../hdl/types.ts';
import { Fsm } from '../../hdl/fsm.ts';
import { streamInput, streamWires } from '../../hdl/stream.ts';
import { inRange1 } from '../common/bounds.ts';
import { buildSkid } from '../common/skid.ts';
import { buildLane, laneCycles, type LaneTiming } from './lane.ts';
import { buildGemvUnit, GEMV_CHUNK, GEMV_MAX_GROUP, GEMV_Y_BITS, GEMV_Y_ROWS, GEMV_SUM_READY, GEMV_Y_READY } from './gemv.ts';
import { HEAD_SAT_BITS } from './norm.ts';
import type { LaneConfig } from './config.ts';
import type { LaneParamsInput } from './numerics.ts';

export interface MhaParams {
  lane: LaneParamsInput;
  /** Lanes H. */
  heads: number;
  /** Largest nHeads accepted at run time. */
  maxHeads: number;
  /** GEMV: columns per scale group (a power of two, 8..4096) and the largest N (a multiple of it). Default GEMV_DEFAULTS. */
  gemv?: { group: number; maxCols: number };
  /** Top module name (default: mhaName()). */
  name?: string;
}

export const GEMV_DEFAULTS = { group: 32, maxCols: 4096 };
/** Activations per x beat. */
export const GEMV_X_PER_BEAT = 8;

export function mhaName(p: MhaParams, c: LaneConfig): string {
  return `swiftkv_mha_h${p.heads}_p${c.P}_d${c.d}`;
}

/** Heads lane i serves in a job of nHeads heads on H lanes. */
export function laneHeadCount(nHeads: number, H: number, i: number): number {
  return i < nHeads ? Math.floor((nHeads - 1 - i) / H) + 1 : 0;
}

/** Cycles of an attention job from the start cycle to the done cycle, every stream ready. */
export function mhaAttentionCycles(t: LaneTiming, H: number, nHeads: number, L: number): number {
  // Lane 0 has the most heads; all lanes start together; done follows the last lane by 1.
  return laneCycles(t, L, laneHeadCount(nHeads, H, 0)) + 1;
}

/**
 * Cycles of a GEMV job (M rows, N columns, group G, T tiles per lane, H lanes) from the start
 * cycle to the done cycle with every stream valid and ready, following the controller:
 *   x: N/8 beats (cycles 1..N/8); a pass then issues N MAC cycles, after the first chunk of
 *   each group the two scaling cycles of the previous group, and after the last column 3
 *   cycles for the last chunk's unpacking, the remaining scaling cycles (a gap cycle between
 *   two groups), 3 cycles for y, and the copy, which waits until the previous pass's rows have
 *   left (one per cycle per lane). After the last copy, the rows leave and done follows.
 * INT4 and INT8 take the same number of cycles (INT4 beats carry two columns).
 */
export function gemvCycles(o: { M: number; N: number; G: number; T: number; H: number }): number {
  const { M, N, G, T, H } = o;
  const R = 2 * T * H;
  const groups = N / G;
  const passes = Math.ceil(M / R);
  const beatsOf = (rows: number): number => Math.ceil(rows / GEMV_Y_ROWS);
  const laneRows = (p: number): number => Math.max(0, Math.min(2 * T, M - p * R)); // lane 0 has the most
  let t = N / GEMV_X_PER_BEAT + 2; // the first MAC cycle (after the x beats and PREP)
  let drained = -Infinity; // first cycle with every lane's y empty (the scaling gate sees it a cycle later)
  // The scale pair is free after a scaling's row-1 cycle r1 and full again at r1 + 3 (two
  // beats); the first pair arrives in cycles 1 and 2.
  let pairFull = 3;
  for (let p = 0; p < passes; p++) {
    let c = t; // next MAC cycle
    let firstScaled = false;
    let last = -1; // the last scaling cycle
    for (let g = 0; g < groups; g++) {
      for (let ch = 0; ch < G / GEMV_CHUNK; ch++) {
        const head = ch === 0 && g >= 1;
        // A group's first chunk (g >= 1) starts when the scaling after it can run at once:
        // the pair of group g - 1 is held and, for group 1, the previous pass's rows have left.
        if (head) c = Math.max(c, pairFull, g === 1 ? drained + 1 : -Infinity);
        c += GEMV_CHUNK; // a chunk of MAC cycles; c is the cycle after it
        if (head) {
          last = c + 1; // rows 0 and 1 scaled in cycles c and c + 1
          firstScaled = true;
          pairFull = last + 3;
          c = last + 1;
        }
      }
    }
    // c - 1 was the last MAC cycle (or the previous group's scaling).
    const lastMac = c - 1;
    const prevScaled = last === lastMac; // the last chunk triggered the previous group's scaling
    const waitStart = lastMac + 1;
    const scaleAt = prevScaled ? waitStart + (GEMV_SUM_READY - 1) : Math.max(waitStart + (GEMV_SUM_READY - 1), lastMac + GEMV_SUM_READY);
    // The last group's scaling waits in SCALE for its pair and, as a pass's first, for the rows.
    const s0 = Math.max(scaleAt, pairFull, firstScaled ? -Infinity : drained + 1);
    last = s0 + 1;
    pairFull = last + 3;
    const emit = last + GEMV_Y_READY;
    drained = emit + beatsOf(laneRows(p)) + 1;
    t = emit + 1;
  }
  // After the last emit: the rows leave, DRAIN sees every lane empty a cycle later (registered)
  // and done follows.
  return drained + 2;
}

export function buildMha(p: MhaParams): { module: Module; lane: LaneConfig; timing: LaneTiming; tiles: number } {
  const H = p.heads;
  if (!Number.isInteger(H) || H < 1 || H > 64) throw new RangeError(`heads = ${H} is out of range: accepted 1..64`);
  if (!Number.isInteger(p.maxHeads) || p.maxHeads < 1 || p.maxHeads > 1024) throw new RangeError(`maxHeads = ${p.maxHeads} is out of range: accepted 1..1024`);
  const gemv = p.gemv ?? GEMV_DEFAULTS;
  const G = gemv.group;
  if (!Number.isInteger(G) || G < GEMV_CHUNK || G > GEMV_MAX_GROUP || (G & (G - 1)) !== 0) throw new RangeError(`gemv group = ${G} is out of range: accepted powers of two ${GEMV_CHUNK}..${GEMV_MAX_GROUP}`);
  const maxN = gemv.maxCols;
  if (!Number.isInteger(maxN) || maxN < G || maxN % G !== 0 || maxN > 65535) throw new RangeError(`gemv maxCols = ${maxN} is out of range: accepted multiples of the group (${G}) up to 65535`);
  const laneMaxHeads = Math.ceil(p.maxHeads / H);
  const { module: lane, config: c, timing, tiles: T } = buildLane(p.lane, { maxHeads: laneMaxHeads, gemv: true });
  // The GEMV weight and scale streams carry 16 bits per tile of every lane, in one signal.
  if (H * T * 16 > MAX_WIDTH) {
    throw new RangeError(`heads = ${H} with ${T} DSP tiles per lane (pe = ${c.P}): w_tdata would carry ${H * T * 16} bits and a signal has at most ${MAX_WIDTH}; accepted heads <= ${Math.floor(MAX_WIDTH / (16 * T))} with this lane`);
  }
  const dataW = c.P * c.W;
  const m = new Module(p.name ?? mhaName(p, c));
  m.doc = [
    `SwiftKV-MHA: ${H} lane(s) of P = ${c.P} (d = ${c.d}); an attention job runs nHeads heads (1..${p.maxHeads}),`,
    `lane i taking heads i, i+${H}, i+${2 * H}, ... back to back on its own q<i>, kv<i>, o<i> streams.`,
  ].join('\n');
  m.generator = { name: 'generators/swiftkv/mha.ts buildMha', params: { heads: H, maxHeads: p.maxHeads, lane: c.formats.params } };
  const cd = m.clockDomain();
  const hw = clog2(p.maxHeads + 1);
  const start = m.input('start', u(1), 'pulse: begin a job (ignored while busy)');
  const cfgMode = m.input('cfg_mode', u(1), '0: attention job, 1: GEMV job');
  const cfgLen = m.input('cfg_len', u(c.lenWidth), `attention: context length L, 1..${c.formats.params.maxContext}`);
  const cfgHeads = m.input('cfg_heads', u(hw), `attention: heads nHeads, 1..${p.maxHeads}`);
  const busy = m.output('busy', u(1));
  const doneOut = m.output('done', u(1), 'pulse: the job finished (the cycle after a rejected start)');
  const errorOut = m.output('status_error', u(1), 'sticky until start: bad configuration, or a lane saw a tlast out of place');
  const satOut = m.output('status_sat', u(HEAD_SAT_BITS), 'sticky until start: OR of the saturation masks of the job\'s heads');

  const active = m.reg('active', u(1), { domain: cd, reset: 0 });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const armed = m.reg('armed', u(1), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const idle = m.wire('idle', u(1));
  const startFire = m.wire('start_fire', start.and(idle));
  const attnStart = m.wire('attn_start', startFire.and(cfgMode.not()));
  const headsOk = inRange1(cfgHeads, p.maxHeads);
  const lenOk = inRange1(cfgLen, c.formats.params.maxContext);
  const cfgOk = m.wire('cfg_ok', headsOk.and(lenOk));

  // Heads per lane: lane i takes floor(n / H) + (i < n mod H), from a table over n.
  const lw = c.headsWidth;
  const rw = clog2(H + 1);
  // Every address of the cfg_heads port has an entry (0 past maxHeads, a rejected start), so
  // the read is never out of range (undefined in Verilog).
  const split = m.rom('head_split', u(lw + rw), Array.from({ length: 1 << hw }, (_, n) => (n > p.maxHeads ? 0n : (BigInt(Math.floor(n / H)) << BigInt(rw)) | BigInt(n % H))));
  split.doc = `nHeads -> {floor(nHeads / ${H}), nHeads mod ${H}} (0 past ${p.maxHeads})`;
  const splitWord = split.read('split', cfgHeads);
  const full = splitWord.slice(lw + rw - 1, rw);
  const rem = splitWord.slice(rw - 1, 0);

  // GEMV: shared control (driven below) and per-lane units around each lane's tiles.
  const gemvUnit = buildGemvUnit({ tiles: T });
  const gEn = m.wire('gemv_en', u(1));
  const gc = {
    mac: m.wire('g_mac', u(1)), chunk_first: m.wire('g_chunk_first', u(1)), chunk_last: m.wire('g_chunk_last', u(1)),
    group_first: m.wire('g_group_first', u(1)), int4: m.wire('g_int4', u(1)),
    phase: m.wire('g_phase', u(1)), x: m.wire('g_x', sT(8)), scale: m.wire('g_scale', u(1)), scale_row: m.wire('g_scale_row', u(1)),
    first_group: m.wire('g_first_group', u(1)), emit_start: m.wire('g_emit_start', u(1)),
  };
  const wBeat = m.wire('w_beat', u(H * T * 16));
  // The scales of one group: row 0 of every tile and row 1, both held (in each lane's GEMV
  // unit, its share) before the group's scaling may be scheduled.
  const sLoad0 = m.wire('s_load0', u(1));
  const sLoad1 = m.wire('s_load1', u(1));
  const sData = m.wire('s_data', u(H * T * 16));
  const yEmpty: Expr[] = [];
  const R = 2 * T * H; // rows per pass
  const emitW = clog2(2 * T + 1);
  const rowsLeft = m.reg('gemv_rows_left', u(17), { domain: cd, reset: 0 });
  // rows_left <= R, registered like the lanes' emit counts (read at EMIT only).
  const finalPass = m.reg('gemv_final_pass', u(1), { domain: cd, reset: null });
  finalPass.set(rowsLeft.le(R));

  const used: Expr[] = [];
  const laneDone: Expr[] = [];
  const laneErr: Expr[] = [];
  const laneSat: Expr[] = [];
  for (let i = 0; i < H; i++) {
    const n = m.wire(`lane${i}_heads`, full.add(rem.gt(i)).trunc(lw));
    const use = m.reg(`lane${i}_used`, u(1), { domain: cd, reset: 0 });
    const seen = m.reg(`lane${i}_done_seen`, u(1), { domain: cd, reset: 0 });
    // The lane's tiles take their GEMV operands from this lane's GEMV unit (instantiated below).
    const tileIn = {
      gemv_zsel: m.wire(`lane${i}_gemv_zsel`, u(2)),
      gemv_a: m.wire(`lane${i}_gemv_a`, u(27 * T)),
      gemv_b: m.wire(`lane${i}_gemv_b`, u(18 * T)),
      gemv_c: m.wire(`lane${i}_gemv_c`, u(48 * T)),
    };
    const inst = m.instance(`u_lane${i}`, lane, {
      start: attnStart.and(cfgOk).and(n.ne(0)),
      cfg_len: cfgLen,
      cfg_heads: n,
      q: { kind: 'stream', side: 'sink', valid: m.input(`q${i}_tvalid`, u(1)), ready: m.output(`q${i}_tready`, u(1)), data: m.input(`q${i}_tdata`, u(dataW), 'P elements of q'), last: m.input(`q${i}_tlast`, u(1)) },
      kv: { kind: 'stream', side: 'sink', valid: m.input(`kv${i}_tvalid`, u(1)), ready: m.output(`kv${i}_tready`, u(1)), data: m.input(`kv${i}_tdata`, u(2 * dataW), '{v, k}'), last: m.input(`kv${i}_tlast`, u(1)) },
      o: { kind: 'stream', side: 'source', valid: m.output(`o${i}_tvalid`, u(1)), ready: m.input(`o${i}_tready`, u(1)), data: m.output(`o${i}_tdata`, u(dataW), 'P elements of o'), last: m.output(`o${i}_tlast`, u(1)) },
      gemv_en: gEn,
      // A rejected attention start: every lane's q and kv slices drop their beats (lane.ts).
      flush: attnStart.and(cfgOk.not()),
      ...tileIn,
    }, { domain: cd });
    // Rows of this lane in the current pass: clamp(rows left - i * 2T, 0, 2T).
    const mine = rowsLeft.zext(18).asSigned().sub(i * 2 * T);
    // Registered: rows_left changes at start and EMIT only, and the unit reads these at EMIT,
    // a pass (at least a chunk of columns) later.
    const emit = m.reg(`lane${i}_emit`, u(emitW), { domain: cd, reset: null });
    emit.set(mux(mine.le(0), lit(0, u(emitW)), mux(mine.ge(2 * T), lit(2 * T, u(emitW)), mine.trunc(emitW).asUnsigned())));
    // This lane's last rows of the job: in this pass, and none in the next.
    const lastPass = m.reg(`lane${i}_last_pass`, u(1), { domain: cd, reset: null });
    lastPass.set(mine.gt(0).and(mine.le(2 * T).or(rowsLeft.le(R + i * 2 * T))));
    const unit = m.instance(`u_gemv${i}`, gemvUnit, {
      ...gc,
      emit,
      last_pass: lastPass,
      w: wBeat.slice((i + 1) * T * 16 - 1, i * T * 16),
      s: sData.slice((i + 1) * T * 16 - 1, i * T * 16),
      s_load0: sLoad0,
      s_load1: sLoad1,
      tile_p: inst.out('gemv_p'),
      y: { kind: 'stream', side: 'source', valid: m.output(`y${i}_tvalid`, u(1)), ready: m.input(`y${i}_tready`, u(1)), data: m.output(`y${i}_tdata`, u(GEMV_Y_ROWS * GEMV_Y_BITS), `GEMV: ${GEMV_Y_ROWS} rows of this lane, row k at [48k+47:48k], signed, exact`), last: m.output(`y${i}_tlast`, u(1)) },
    }, { domain: cd });
    tileIn.gemv_zsel.set(unit.out('tile_zsel'));
    tileIn.gemv_a.set(unit.out('tile_a'));
    tileIn.gemv_b.set(unit.out('tile_b'));
    tileIn.gemv_c.set(unit.out('tile_c'));
    m.output(`y${i}_tkeep`, u(GEMV_Y_ROWS), 'GEMV: row k of the beat is a row of W').set(unit.out('y_tkeep'));
    yEmpty.push(unit.out('y_empty'));
    m.output(`o${i}_tuser`, u(HEAD_SAT_BITS), "the head's saturation mask (with o_tlast)").set(inst.out('o_tuser'));
    m.when(startFire, () => {
      use.set(attnStart.and(cfgOk).and(n.ne(0)));
      seen.set(attnStart.and(cfgOk).and(n.ne(0)).not());
    });
    m.when(inst.out('done'), () => seen.set(1));
    used.push(use);
    laneDone.push(seen.or(inst.out('done')));
    laneErr.push(use.and(inst.out('status_error')));
    laneSat.push(mux(use, inst.out('status_sat'), lit(0, u(HEAD_SAT_BITS))));
  }
  const allDone = m.wire('all_done', laneDone.reduce((a, b) => a.and(b)));

  // ---- GEMV job ---------------------------------------------------------------------------
  // y = W x on every tile of every lane (gemv.ts). The job: x into a buffer, then passes of
  // R = 2 T H rows: N columns (a MAC cycle each), after the first chunk of each group the
  // two scaling cycles of the previous group, after the last column the last group's; then
  // y is copied to the lanes' output registers and streamed while the next pass runs.
  const cfgInt4 = m.input('cfg_int4', u(1), 'GEMV: 1 INT4 weights, 0 INT8');
  const cfgRows = m.input('cfg_rows', u(16), 'GEMV: rows M of W, 1..65535');
  const cfgCols = m.input('cfg_cols', u(16), `GEMV: columns N of W, a multiple of ${G} up to ${maxN}`);
  const xIn = streamInput(m, 'x', u(8 * GEMV_X_PER_BEAT), { doc: `GEMV: ${GEMV_X_PER_BEAT} activations (INT8), element 0 in the low byte` });
  const wIn = streamInput(m, 'w', u(H * T * 16), { doc: 'GEMV weights of one column (INT8) or two (INT4): lane i tile t at bits [(iT+t)*16 + 15 : (iT+t)*16]' });
  const sIn = streamInput(m, 's', u(H * T * 16), { doc: 'GEMV scales of one group, two beats: row 0 of every tile, then row 1; lane i tile t at [(iT+t)*16 + 15 : (iT+t)*16]' });
  const x = streamWires(m, 'x_in', u(8 * GEMV_X_PER_BEAT));
  const w = streamWires(m, 'w_in', u(H * T * 16));
  // A rejected GEMV start: x and w drop the beats their slices took (as the lanes do); s is
  // taken only while a job runs.
  const gemvReject = m.wire('gemv_reject', u(1));
  m.instance('u_x_skid', buildSkid(u(8 * GEMV_X_PER_BEAT), { flush: true }), { in: xIn, out: x.source, flush: gemvReject }, { domain: cd });
  m.instance('u_w_skid', buildSkid(u(H * T * 16), { flush: true }), { in: wIn, out: w.source, flush: gemvReject }, { domain: cd });
  wBeat.set(w.sink.data);

  const cw = clog2(maxN + 1);
  // MAC: columns; SCALE: the two scaling cycles of a group; GAP, WAIT: idle cycles (y pair,
  // unpacking); EMIT: y is final, the lanes start sending; DRAIN: the job's last rows leave.
  const g = new Fsm(m, 'gemv', ['IDLE', 'LOADX', 'PREP', 'MAC', 'SCALE', 'WAIT', 'TAIL', 'EMIT', 'DRAIN'] as const, { domain: cd });
  const gemvStart = m.wire('gemv_start', startFire.and(cfgMode));
  const colsOk = m.wire('gemv_cfg_ok', cfgCols.ne(0).and(cfgCols.le(maxN)).and(cfgRows.ne(0)).and(cfgCols.slice(clog2(G) - 1, 0).eq(0)));
  gemvReject.set(gemvStart.and(colsOk.not()));
  const int4 = m.reg('gemv_int4', u(1), { domain: cd, reset: 0 });
  const nCols = m.reg('gemv_cols', u(cw), { domain: cd, reset: 0 });
  const xCount = m.reg('x_count', u(cw), { domain: cd, reset: 0 });
  const col = m.reg('col', u(cw), { domain: cd, reset: 0 });
  const phase = m.reg('w_phase', u(1), { domain: cd, reset: 0 });
  const scaleRow = m.reg('scale_row', u(1), { domain: cd, reset: 0 });
  const scaleFirst = m.reg('scale_first_group', u(1), { domain: cd, reset: 0 });
  const scaleLast = m.reg('scale_is_last', u(1), { domain: cd, reset: 0 });
  const waitCount = m.reg('wait_count', u(4), { domain: cd, reset: 0 });
  // Flags kept one step ahead of the counters, so no compare of a count with cfg_cols sits in
  // front of the state register: x_last (the next x beat is the last), last_col (col is the
  // pass's last column), cols_done (the pass's last column has been multiplied).
  const xLast = m.reg('x_last', u(1), { domain: cd, reset: 0 });
  const lastColQ = m.reg('last_col', u(1), { domain: cd, reset: 0 });
  const colsDone = m.reg('cols_done', u(1), { domain: cd, reset: 0 });
  // scale_prev: col is the last column of the first chunk of a group g >= 1 (its compare of
  // col is made a column ahead, so only this flag sits in front of the state register).
  const scalePrevQ = m.reg('scale_prev', u(1), { domain: cd, reset: 0 });
  // group_head: col is the first column of a group g >= 1. Its chunk may start only when the
  // scaling of group g - 1 that follows it can run at once (scale_ok): the chunk's unpacking
  // restarts the group sums 4 cycles after its last MAC, so that scaling must not wait.
  const groupHeadQ = m.reg('group_head', u(1), { domain: cd, reset: 0 });
  // The scale pair: s_have0 (row 0 held), s_have1 (both held). Beats are taken while a job
  // runs and has pairs to come (s_more; s_recv_group, s_recv_rows count them), never ahead
  // into the next job.
  const sHave0 = m.reg('s_have0', u(1), { domain: cd, reset: 0 });
  const sHave1 = m.reg('s_have1', u(1), { domain: cd, reset: 0 });
  const sMore = m.reg('s_more', u(1), { domain: cd, reset: 0 });
  const gw = clog2(Math.floor(maxN / G) + 1);
  const sRecvGroup = m.reg('s_recv_group', u(gw), { domain: cd, reset: 0 });
  const sLastGroup = m.reg('s_last_group', u(gw), { domain: cd, reset: 0 });
  const sRecvRows = m.reg('s_recv_rows', u(17), { domain: cd, reset: 0 });
  const xbuf = m.memory('x_buf', { type: u(8 * GEMV_X_PER_BEAT), depth: Math.ceil(maxN / GEMV_X_PER_BEAT) });
  xbuf.attributes = { ram_style: 'distributed' }; // read without latency, a few LUTs deep
  const xaw = xbuf.addrWidth;
  const xbw = clog2(GEMV_X_PER_BEAT);
  xbuf.write(xCount.shr(xbw).resize(xaw), x.sink.data, x.sink.fire, cd);
  // x of the current column in a register (x_cur), the next column's behind it (x_next), and
  // the RAM word holding the column after that (x_word_q, byte x_byte), read at a column
  // counter of its own (x_ahead = col + 3): the tiles' B operand, the RAM address and the byte
  // select all come from registers. A pass starts from x_first (the first x beat, columns 0..7).
  const macFireW = m.wire('mac_fire', u(1));
  const xAhead = m.reg('x_ahead', u(cw), { domain: cd, reset: null });
  const xWordQ = m.reg('x_word_q', u(8 * GEMV_X_PER_BEAT), { domain: cd, reset: null });
  const xByte = m.reg('x_byte', u(xbw), { domain: cd, reset: null });
  let xSel: Expr = xWordQ.slice(7, 0);
  for (let k = 1; k < GEMV_X_PER_BEAT; k++) xSel = mux(xByte.eq(k), xWordQ.slice(8 * k + 7, 8 * k), xSel);
  const xCur = m.reg('x_cur', sT(8), { domain: cd, reset: null });
  const xNext = m.reg('x_next', sT(8), { domain: cd, reset: null });
  const xFirst = m.reg('x_first', u(8 * GEMV_X_PER_BEAT), { domain: cd, reset: null });
  m.when(x.sink.fire.and(xCount.eq(0)), () => xFirst.set(x.sink.data));
  const chunkPos = col.slice(clog2(GEMV_CHUNK) - 1, 0);
  const groupPos = col.slice(clog2(G) - 1, 0);
  const groupIdx = col.shr(clog2(G));
  const lastCol = lastColQ;
  const allYEmpty = yEmpty.reduce((a, b) => a.and(b));
  // A MAC cycle needs a weight beat; INT4 takes two cycles per beat.
  const macFire = macFireW;
  // Every lane's y empty, a cycle late: the gate of a pass's first scaling and DRAIN's exit
  // read a register, not the AND of the lanes' flags (that path ran on into mac and the state
  // register). Cleared in the EMIT cycle, whose copy fills the y streams a cycle later, so the
  // first DRAIN cycle never reads the empty streams of before the copy.
  const allYEmptyQ = m.reg('all_y_empty_q', u(1), { domain: cd, reset: 0 });
  allYEmptyQ.set(allYEmpty.and(g.is('EMIT').not()));
  const scaleOk = m.wire('scale_ok', sHave1.and(scaleFirst.not().or(allYEmptyQ)));
  const macGateOk = m.wire('mac_gate_ok', groupHeadQ.not().or(scaleOk));
  macFire.set(g.is('MAC').and(w.sink.valid).and(macGateOk));
  const chunkEnd = chunkPos.eq(GEMV_CHUNK - 1);
  // A scaling cycle reads its row's scales from the held pair; before a pass's first group
  // overwrites y, the previous pass's rows must have left (scale_ok).
  const scaleFire = m.wire('scale_fire', g.is('SCALE').and(scaleOk));
  x.sink.ready.set(g.is('LOADX'));
  w.sink.ready.set(g.is('MAC').and(macGateOk).and(int4.not().or(phase)));
  sIn.ready.set(g.is('IDLE').not().and(sMore).and(sHave1.not()));
  sData.set(sIn.data);
  sLoad0.set(sIn.fire.and(sHave0.not()));
  sLoad1.set(sIn.fire.and(sHave0));
  m.when(sIn.fire, () => {
    m.when(sHave0.not(), () => {
      sHave0.set(1);
    }).otherwise(() => {
      sHave1.set(1);
      // A pair is in: the next group's, or the first group of the next pass.
      m.when(sRecvGroup.eq(sLastGroup), () => {
        sRecvGroup.set(0);
        sRecvRows.set(sRecvRows.sub(R).trunc(17));
        sMore.set(sRecvRows.gt(R));
      }).otherwise(() => sRecvGroup.set(sRecvGroup.add(1).trunc(gw)));
    });
  });

  gEn.set(g.isAny('MAC', 'SCALE', 'WAIT', 'TAIL'));
  gc.mac.set(macFire);
  gc.chunk_first.set(chunkPos.eq(0));
  gc.chunk_last.set(chunkEnd);
  gc.group_first.set(groupPos.lt(GEMV_CHUNK));
  gc.int4.set(int4);
  gc.phase.set(phase);
  // x is 0 in a cycle with no MAC, so the tiles' running chunk sums hold through stalls.
  gc.x.set(mux(macFire, xCur, lit(0, sT(8))));
  m.when(g.is('PREP').or(g.is('EMIT')), () => {
    xCur.set(xFirst.slice(7, 0).asSigned());
    xNext.set(xFirst.slice(15, 8).asSigned());
    xWordQ.set(xFirst);
    xByte.set(lit(2, u(xbw)));
    xAhead.set(lit(3, u(cw)));
  });
  m.when(macFire, () => {
    xCur.set(xNext);
    xNext.set(xSel.asSigned());
    xWordQ.set(xbuf.read('x_word', xAhead.shr(xbw).resize(xaw)));
    xByte.set(xAhead.slice(xbw - 1, 0));
    xAhead.set(xAhead.add(1).trunc(cw));
  });
  gc.scale.set(scaleFire);
  gc.scale_row.set(scaleRow);
  gc.first_group.set(scaleFirst);
  const emitNow = g.is('EMIT');
  gc.emit_start.set(emitNow);

  const gDone = m.reg('gemv_done', u(1), { domain: cd, reset: 0 });
  gDone.set(0);
  m.when(gemvStart, () => {
    m.when(colsOk, () => {
      g.goto('LOADX');
      int4.set(cfgInt4);
      nCols.set(cfgCols.resize(cw));
      rowsLeft.set(cfgRows.zext(17));
    }).otherwise(() => gDone.set(1));
    xCount.set(0);
    xLast.set(cfgCols.le(GEMV_X_PER_BEAT));
    col.set(0);
    lastColQ.set(cfgCols.eq(1));
    colsDone.set(0);
    scalePrevQ.set(0);
    groupHeadQ.set(0);
    sHave0.set(0);
    sHave1.set(0);
    sMore.set(colsOk);
    sRecvGroup.set(0);
    sLastGroup.set(cfgCols.shr(clog2(G)).sub(1).trunc(gw));
    sRecvRows.set(cfgRows.zext(17));
    phase.set(0);
    scaleRow.set(0);
    scaleFirst.set(1);
    scaleLast.set(0);
  });
  m.when(x.sink.fire, () => {
    xCount.set(xCount.add(GEMV_X_PER_BEAT).trunc(cw));
    xLast.set(xCount.zext(cw + 1).add(2 * GEMV_X_PER_BEAT).ge(nCols));
    m.when(xLast, () => g.goto('PREP'));
  });
  m.when(g.is('PREP'), () => {
    g.goto('MAC');
  });
  m.when(macFire, () => {
    m.when(int4, () => phase.set(phase.not()));
    col.set(col.add(1).trunc(cw));
    lastColQ.set(col.zext(cw + 1).add(2).eq(nCols));
    m.when(lastCol, () => colsDone.set(1));
    scalePrevQ.set(groupPos.eq(GEMV_CHUNK - 2).and(groupIdx.ne(0)));
    groupHeadQ.set(groupPos.eq(G - 1));
    m.when(chunkEnd, () => {
      // The first chunk of group g (g >= 1) is done: group g - 1 is unpacked, scale it now,
      // before this chunk's unpacking restarts the sums.
      const scalePrev = scalePrevQ;
      m.when(scalePrev, () => {
        scaleLast.set(0);
        g.goto('SCALE');
      }).elsewhen(lastCol, () => {
        waitCount.set(0);
        g.goto('WAIT');
      });
    });
  });
  m.when(scaleFire, () => {
    scaleRow.set(scaleRow.not());
    m.when(scaleRow, () => {
      sHave0.set(0);
      sHave1.set(0);
      scaleFirst.set(0);
      waitCount.set(0);
      // After the last group's scaling: wait for y. After another group's: back to the
      // columns, or (the pass's last column is done) wait for the last group's unpacking.
      m.when(scaleLast, () => g.goto('TAIL')).elsewhen(colsDone, () => g.goto('WAIT')).otherwise(() => g.goto('MAC'));
    });
  });
  // WAIT: the last chunk's sums are ready GEMV_SUM_READY cycles after its last MAC, and a
  // scaling right before needs GEMV_SCALE_GAP idle cycles; the counter covers both.
  m.when(g.is('WAIT'), () => {
    waitCount.set(waitCount.add(1).trunc(4));
    m.when(waitCount.eq(GEMV_SUM_READY - 2), () => {
      scaleLast.set(1);
      g.goto('SCALE');
    });
  });
  // y is final GEMV_Y_READY cycles after the last scaling cycle.
  m.when(g.is('TAIL'), () => {
    waitCount.set(waitCount.add(1).trunc(4));
    m.when(waitCount.eq(GEMV_Y_READY - 2), () => g.goto('EMIT'));
  });
  m.when(emitNow, () => {
    m.when(finalPass, () => g.goto('DRAIN')).otherwise(() => {
      rowsLeft.set(rowsLeft.sub(R).trunc(17));
      col.set(0);
      lastColQ.set(nCols.eq(1));
      colsDone.set(0);
      scalePrevQ.set(0);
      groupHeadQ.set(0);
      scaleFirst.set(1);
      g.goto('MAC');
    });
  });
  m.when(g.is('DRAIN').and(allYEmptyQ), () => {
    g.goto('IDLE');
    gDone.set(1);
  });

  done.set(0);
  m.when(startFire, () => {
    error.set(mux(cfgMode, colsOk.not(), cfgOk.not()));
    armed.set(0);
    m.when(attnStart.and(cfgOk), () => active.set(1)).elsewhen(cfgMode.not(), () => done.set(1));
  }).elsewhen(active, () => {
    armed.set(1);
    m.when(allDone.and(armed), () => {
      active.set(0);
      done.set(1);
    });
  });
  // Lane flags count once the lanes have restarted (the cycle after start).
  const anyLaneErr = laneErr.reduce((a, b) => a.or(b));
  const satOr = laneSat.reduce((a, b) => a.or(b));
  busy.set(active.or(g.is('IDLE').not()));
  doneOut.set(done.or(gDone));
  errorOut.set(error.or(armed.and(anyLaneErr)));
  satOut.set(mux(armed, satOr, lit(0, u(HEAD_SAT_BITS))));
  idle.set(active.not().and(g.is('IDLE')));
  return { module: m, lane: c, timing, tiles: T };
}
