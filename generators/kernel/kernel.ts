/**
 * The Alveo RTL kernel around the SwiftKV-MHA top: ap_clk, ap_rst_n (registered twice inside),
 * interrupt, the AXI4-Lite slave s_axi_control (axil-regs.ts, map in regmap.ts) and AXI4
 * masters (axi-master.ts) that read q, the K and V caches, x, the GEMV weights and scales, and
 * write o, y and (decode) the new token's k and v. The MHA top is a child module; this file moves
 * data, checks arguments and holds each lane's decode front (decode-front.ts: RoPE).
 *
 * Job: the host writes the arguments and ap_start. SHAPE walks the job's shape (per-lane head
 * counts for attention and decode, passes for GEMV) to find every buffer's end; a decode job then
 * walks its cache regions against each other (REGIONS, one a cycle); CHECK then reads the first
 * failing check's code (ranges, DW alignment, an output buffer overlapping another buffer of the
 * job). A job that fails ends with ap_done and the error code in `status`, having read and
 * written nothing. Otherwise RUN issues the read commands, starts the array and routes the
 * streams; the job ends when the array is done, every output word has been handed to its master
 * and every write is acknowledged (its reads are all in by then). Then ap_done pulses.
 * ap_ctrl_hs: one job at a time, ap_ready with ap_done. ap_ctrl_chain: the checks run in a stage
 * of their own, so the next job is taken (ap_ready), checked and its x (and, after a GEMV job,
 * its stripes) read while one runs; each ap_done waits for the host's ap_continue of the last.
 *
 * Streams (memory layouts: docs/kernel.md, host side layout.ts):
 *   q (io, client 1): nHeads * d words of 32 bits, head h to lane h mod H, B beats per head;
 *     decode: per head its q, k_new and v_new vectors, to the front of lane h mod H;
 *   k, v (g<i>, g<H+i>, client 0): lane i's heads, each L tokens of d values; a kv beat {v_b, k_b}
 *     takes P of each; decode: then the front's new token, also written to token L of both caches;
 *   o (io, write client i): lane i's heads, head h at o + 4dh;
 *   x (io, client 0): N bytes; w, s (g<k>, clients 0 and 1): beat word k of each beat in stripe k;
 *   y (io, write client i): lane i's rows, 64-bit each (sign-extended from 48), at y + 8 row,
 *     through the lane's word buffer (y-words.ts).
 */
import { Module, u, lit, mux, cat, clog2, type Expr, type Signal, type ClockDomain } from '../../hdl/index.ts';
import { Fsm } from '../../hdl/fsm.ts';
import { streamWires, type StreamSink, type StreamSource } from '../../hdl/stream.ts';
import { GEMV_Y_BITS, GEMV_Y_ROWS } from '../swiftkv/gemv.ts';
import { HEAD_SAT_BITS } from '../swiftkv/norm.ts';
import { buildAxiMaster, axiSignals, idBits, AXI_ADDR_BITS, CMD_WORDS_BITS, type ClientSpec } from './axi-master.ts';
import { buildControlRegs } from './axil-regs.ts';
import { buildWidthConverter } from './width.ts';
import { buildDecodeFront } from './decode-front.ts';
import { buildYWords, yItemBits } from './y-words.ts';
import { ropePosBits } from './rope-unit.ts';
import { regMap, masterNames, ERROR, STATUS_FLAG, type RegMap } from './regmap.ts';
import type { KernelConfig } from './config.ts';

const A = AXI_ADDR_BITS;
/** log2 of a power of two (clog2 gives at least 1, a width). */
const log2 = (n: number): number => Math.log2(n);

interface MasterPorts {
  readonly name: string;
  readonly inst: ReturnType<Module['instance']>;
  readonly reads: number;
}

export function buildKernel(c: KernelConfig): { module: Module; map: RegMap } {
  const map = regMap(c);
  const m = new Module(c.name);
  m.doc = [
    `SwiftKV Alveo kernel: ${c.H} lane(s) of P = ${c.P}, d = ${c.d}; ${c.DW}-bit AXI4 masters`,
    `m_axi_io and m_axi_g0..g${c.NG - 1}; ap_ctrl_${c.control} control on s_axi_control.`,
  ].join('\n');
  m.generator = { name: 'generators/kernel/kernel.ts buildKernel', params: { name: c.name, dataBits: c.DW, maxBurst: c.maxBurst, readDepth: c.readDepth, control: c.control } };
  const raw = m.clockDomain({ name: 'ap', clock: 'ap_clk', reset: null });
  const rstN = m.input('ap_rst_n', u(1), 'synchronous reset, active low (registered twice inside)');
  const rst1 = m.reg('rst_pipe1', u(1), { domain: raw, reset: null });
  const rst2 = m.reg('rst_pipe2', u(1), { domain: raw, reset: null });
  rst1.set(rstN.not());
  rst2.set(rst1);
  const cd: ClockDomain = { name: 'core', clock: raw.clock, reset: rst2, resetKind: 'sync', resetActive: 'high' };
  const DWB = c.DWB;
  const sizeLog = log2(DWB);
  const add = (a: Expr, b: Expr | number, w = A): Expr => a.add(b).trunc(w);

  // ---- s_axi_control --------------------------------------------------------------------------
  const regs = buildControlRegs(map, `${c.name}_control`, c.control === 'chain');
  const ctrlIn: Record<string, Expr> = {};
  for (const p of regs.portInfo()) {
    if (p.direction === 'input' && p.name.startsWith('s_axi_control_')) ctrlIn[p.name] = m.input(p.name, u(p.width));
  }
  const apDone = m.wire('ap_done', u(1));
  const apReady = m.wire('ap_ready', u(1));
  const apIdle = m.wire('ap_idle', u(1));
  const statusW = m.wire('status_word', u(32));
  const satW = m.wire('sat_word', u(32));
  const cyclesQ = m.reg('cycles_q', u(32), { domain: cd, reset: 0 });
  const ctrl = m.instance('u_control', regs, { ...ctrlIn, ap_done: apDone, ap_ready: apReady, ap_idle: apIdle, status: statusW, sat: satW, cycles: cyclesQ }, { domain: cd });
  for (const p of regs.portInfo()) {
    if (p.direction === 'output' && p.name.startsWith('s_axi_control_')) m.output(p.name, u(p.width)).set(ctrl.out(p.name));
  }
  m.output('interrupt', u(1), 'ap_done interrupt (GIE and IER and ISR)').set(ctrl.out('interrupt'));
  const arg = (name: string): Signal => ctrl.out(`arg_${name}`);

  // ---- masters --------------------------------------------------------------------------------
  const big: ClientSpec = { depth: c.readDepth, burst: c.maxBurst };
  const small: ClientSpec = { depth: 2 * c.maxBurst, burst: c.maxBurst };
  const masterSpecs = new Map<string, { reads: ClientSpec[]; writes: number }>();
  masterSpecs.set('io', { reads: [small, small], writes: c.H });
  // g<k>, k < 2H (lane k mod H's K or V cache), also writes the decode step's new k or v.
  for (let k = 0; k < c.NG; k++) masterSpecs.set(`g${k}`, { reads: k < c.Wb ? [big, small] : [big], writes: k < 2 * c.H ? 1 : 0 });
  // Per master: command and data wires of each read client, item wires of each write client.
  const clear = m.wire('job_clear', u(1));
  interface ReadClient { cmdValid: Signal; cmdReady: Signal; addr: Signal; words: Signal; data: StreamSink }
  const readClients = new Map<string, ReadClient[]>();
  const writeClients = new Map<string, StreamSource[]>();
  const masters: MasterPorts[] = [];
  for (const name of masterNames(c)) {
    const spec = masterSpecs.get(name)!;
    const mod = buildAxiMaster({ dataBits: c.DW, reads: spec.reads, writes: spec.writes });
    const inputs: Record<string, Expr | ReturnType<typeof streamWires>['source'] | StreamSink> = { clear };
    const ids = idBits(spec.reads.length);
    for (const sg of axiSignals(c.DW, ids, spec.writes > 0)) {
      if (sg.dir === 'in') inputs[`axi_${sg.name}`] = m.input(`m_axi_${name}_${sg.name}`, u(sg.width), sg.doc);
    }
    const rcs: ReadClient[] = spec.reads.map((_, i) => {
      const data = streamWires(m, `${name}_rc${i}`, u(c.DW));
      const rc = {
        cmdValid: m.wire(`${name}_rc${i}_cmd_valid`, u(1)),
        cmdReady: m.wire(`${name}_rc${i}_cmd_ready`, u(1)),
        addr: m.wire(`${name}_rc${i}_cmd_addr`, u(A)),
        words: m.wire(`${name}_rc${i}_cmd_words`, u(CMD_WORDS_BITS)),
        data: data.sink,
      };
      inputs[`rc${i}_cmd_valid`] = rc.cmdValid;
      inputs[`rc${i}_cmd_addr`] = rc.addr;
      inputs[`rc${i}_cmd_words`] = rc.words;
      inputs[`rc${i}_data`] = data.source;
      return rc;
    });
    const wcs: StreamSource[] = [];
    for (let i = 0; i < spec.writes; i++) {
      const item = streamWires(m, `${name}_wc${i}`, u(A + DWB + c.DW));
      inputs[`wc${i}`] = item.sink;
      wcs.push(item.source);
    }
    const inst = m.instance(`u_m_axi_${name}`, mod, inputs, { domain: cd });
    for (const sg of axiSignals(c.DW, ids, spec.writes > 0)) {
      if (sg.dir === 'out') m.output(`m_axi_${name}_${sg.name}`, u(sg.width), sg.doc).set(inst.out(`axi_${sg.name}`));
    }
    rcs.forEach((rc, i) => rc.cmdReady.set(inst.out(`rc${i}_cmd_ready`)));
    readClients.set(name, rcs);
    writeClients.set(name, wcs);
    masters.push({ name, inst, reads: spec.reads.length });
  }
  const io = readClients.get('io')!;
  const ioW = writeClients.get('io')!;
  const g = (k: number): ReadClient[] => readClients.get(`g${k}`)!;

  // ---- job control ----------------------------------------------------------------------------
  // Two stages. `check` takes ap_start and checks the job on the argument registers (SHAPE,
  // REGIONS, CHECK); a job that passed and waits for the other stage sits in WAIT. `job` runs
  // it (RUN), waits for its writes (FINISH) and pulses ap_done (DONE). The handover copies what
  // `job` needs after its first cycle: with ap_ctrl_chain the host may then write the next job's
  // arguments (ap_ready pulses), which `check` checks, and whose x it reads, while this one runs.
  const chain = c.control === 'chain';
  const check = new Fsm(m, 'check', ['IDLE', 'SHAPE', 'REGIONS', 'CHECK', 'WAIT'] as const, { domain: cd });
  const job = new Fsm(m, 'job', ['IDLE', 'RUN', 'FINISH', 'DONE'] as const, { domain: cd });
  const apStart = ctrl.out('ap_start');
  // ap_ctrl_hs: one job at a time (ap_start stays set until ap_done, which is also ap_ready).
  const accept = m.wire('job_accept', check.is('IDLE').and(apStart).and(chain ? lit(1, u(1)) : job.is('IDLE')));
  const handover = m.wire('job_handover', check.isAny('CHECK', 'WAIT').and(job.is('IDLE')));
  // The checked job's kind, and the running job's.
  const kind = arg('kind');
  const checkGemv = m.reg('check_is_gemv', u(1), { domain: cd, reset: 0 });
  const checkDecode = m.reg('check_is_decode', u(1), { domain: cd, reset: 0 });
  const isGemv = m.reg('is_gemv', u(1), { domain: cd, reset: 0 });
  const isDecode = m.reg('is_decode', u(1), { domain: cd, reset: 0 });
  // A value of the checked job as the running job sees it: with ap_ctrl_chain a copy taken at
  // the handover (the check stage may hold the next job's by then); with ap_ctrl_hs the value
  // itself. Values used in the handover cycle itself come from the check stage (`arg`).
  const holdAtHandover = (value: Signal, name: string): Signal => {
    if (!chain) return value;
    const r = m.reg(name, u(value.width), { domain: cd, reset: 0 });
    m.when(handover, () => r.set(value));
    return r;
  };
  const held = (name: string): Signal => holdAtHandover(arg(name), `held_${name}`);
  const nHeadsA = arg('n_heads');
  const lenA = arg('len');
  const capA = arg('cap');
  const rowsA = arg('rows');
  const colsA = arg('cols');
  const int4A = arg('int4').bit(0);
  const posA = arg('pos');
  const kNewA = arg('k_new');
  const vNewA = arg('v_new');
  const nHeads = held('n_heads');
  const len = held('len');
  const cap = held('cap');
  const rows = held('rows');
  const pos = held('pos');
  const kNew = held('k_new');
  const vNew = held('v_new');
  clear.set(handover);
  m.when(accept, () => {
    checkGemv.set(kind.eq(1));
    checkDecode.set(kind.eq(2));
    check.goto('SHAPE');
  });
  m.when(handover, () => {
    isGemv.set(checkGemv);
    isDecode.set(checkDecode);
    check.goto('IDLE');
  });
  // Cycles of a job from the cycle it was taken (accept) to ap_done, latched at ap_done.
  const now = m.reg('cycle_now', u(32), { domain: cd, reset: 0 });
  now.set(add(now, 1, 32));
  const checkSince = m.reg('check_since', u(32), { domain: cd, reset: 0 });
  const jobSince = m.reg('job_since', u(32), { domain: cd, reset: 0 });
  m.when(accept, () => checkSince.set(now));
  m.when(handover, () => jobSince.set(checkSince));
  apIdle.set(check.is('IDLE').and(job.is('IDLE')));
  apDone.set(job.is('DONE'));
  // ap_ctrl_hs: ready with done; ap_ctrl_chain: ready as the job's arguments are taken.
  apReady.set(chain ? handover : job.is('DONE'));
  m.when(job.is('DONE'), () => job.goto('IDLE'));

  // Sizes in bytes from shifts only (d and DW are powers of two).
  const vecBytes = c.d * 4;
  // A vector's words go to consecutive addresses; after its last word the address jumps to where
  // the next vector of the same writer goes (o: the lane's next head; a new token: the next
  // head's token L). `word` counts the words of the current vector.
  const stepVector = (fire: Expr, addr: Signal, word: Signal, nextVector: Expr): void => {
    m.when(fire, () => {
      m.when(word.eq(c.vecWords - 1), () => {
        word.set(0);
        addr.set(nextVector);
      }).otherwise(() => {
        word.set(add(word, 1, clog2(c.vecWords + 1)));
        addr.set(add(addr, DWB));
      });
    });
  };
  // A head's region in either cache: cap tokens of d values (the checked job's, the running job's).
  const strideA = m.wire('check_head_stride', capA.zext(A).shl(log2(vecBytes)).trunc(A));
  const stride = chain ? m.wire('head_stride', cap.zext(A).shl(log2(vecBytes)).trunc(A)) : strideA;
  const qoBytes = nHeadsA.zext(A).shl(log2(vecBytes)).trunc(A);

  // SHAPE: per-lane cache region sizes (attention, decode) and passes (GEMV), one step per cycle.
  const R = 2 * c.T * c.H;
  const hBase = m.reg('shape_head', u(33), { domain: cd, reset: 0 });
  const rowsLeft = m.reg('shape_rows_left', u(18), { domain: cd, reset: 0 });
  const passes = m.reg('passes', u(17), { domain: cd, reset: 0 });
  // Bytes of lane i's K cache region and of its V cache region (the same: its heads times stride).
  const regionBytes: Signal[] = [];
  for (let i = 0; i < c.H; i++) regionBytes.push(m.reg(`cache${i}_bytes`, u(A), { domain: cd, reset: null }));
  const colBeats = m.wire('col_beats', mux(int4A, colsA.shr(1).zext(32), colsA));
  const sPassWords = m.wire('s_pass_words', colsA.shr(log2(c.G) - 1).zext(32));
  // A weight stripe's and a scale stripe's words (the checked job's; held for the running one).
  const wWordsA = m.reg('w_words', u(32), { domain: cd, reset: 0 });
  const sWordsA = m.reg('s_words', u(32), { domain: cd, reset: 0 });
  const wWords = holdAtHandover(wWordsA, 'held_w_words');
  const sWords = holdAtHandover(sWordsA, 'held_s_words');
  m.when(accept, () => {
    hBase.set(0);
    rowsLeft.set(rowsA.trunc(16).zext(18));
    passes.set(0);
    wWordsA.set(0);
    sWordsA.set(0);
    regionBytes.forEach((e) => e.set(0));
  });
  // Bounded walks: at most ceil(maxHeads/H) rounds, ceil(65535/R) passes (arguments out of
  // range are cut short; CHECK rejects them anyway).
  const shapeDone = m.wire('shape_done', mux(checkGemv, rowsLeft.eq(0).or(passes.ge(Math.ceil(65535 / R))), hBase.ge(nHeadsA.zext(33)).or(hBase.ge(c.maxHeads))));
  m.when(check.is('SHAPE'), () => {
    m.when(shapeDone, () => m.when(checkDecode, () => check.goto('REGIONS')).otherwise(() => check.goto('CHECK'))).otherwise(() => {
      hBase.set(add(hBase, c.H, 33));
      regionBytes.forEach((e, i) => m.when(add(hBase, i, 33).lt(nHeadsA.zext(33)), () => e.set(add(e, strideA))));
      rowsLeft.set(mux(rowsLeft.le(R), lit(0, u(18)), rowsLeft.sub(R).trunc(18)));
      passes.set(add(passes, 1, 17));
      wWordsA.set(add(wWordsA, colBeats, 32));
      sWordsA.set(add(sWordsA, sPassWords, 32));
    });
  });

  // CHECK: one cycle, the first failing check's code.
  const aligned = (p: Expr): Expr => p.slice(sizeLog - 1, 0).eq(0);
  // Two byte ranges [lo, hi) share a byte (an empty range, a lane without heads, shares none).
  const overlaps = (aLo: Expr, aHi: Expr, bLo: Expr, bHi: Expr): Expr => aLo.lt(bHi).and(bLo.lt(aHi)).and(aLo.lt(aHi)).and(bLo.lt(bHi));
  const qA = arg('q');
  const oA = arg('o');
  const x = arg('x');
  const yA = arg('y');
  const oEnd = add(oA, qoBytes);
  const qEnd = add(qA, qoBytes);
  const xWords = m.wire('x_words', colsA.add(DWB - 1).trunc(32).shr(sizeLog).zext(32).trunc(32));
  const xEnd = add(x, xWords.zext(A).shl(sizeLog).trunc(A));
  const yEnd = add(yA, rowsA.trunc(16).zext(A).shl(3).trunc(A));
  const stripeEnd = (base: Expr, words: Expr): Expr => add(base, words.zext(A).shl(sizeLog).trunc(A));
  let attnMisaligned: Expr = aligned(qA).and(aligned(oA)).not();
  let attnOverlap: Expr = overlaps(oA, oEnd, qA, qEnd);
  // The 2H cache regions: lane i's K cache (region i) and V cache (region H + i).
  const regions = Array.from({ length: 2 * c.H }, (_, r) => {
    const lo = arg(r < c.H ? `k_cache${r}` : `v_cache${r - c.H}`);
    return { lo, hi: m.wire(`cache_region${r}_end`, add(lo, regionBytes[r % c.H]!)) };
  });
  for (const g of regions) {
    attnMisaligned = attnMisaligned.or(aligned(g.lo).not());
    attnOverlap = attnOverlap.or(overlaps(oA, oEnd, g.lo, g.hi));
  }
  // Decode: o and every lane's cache region are written; q, k_new, v_new and the regions read.
  const kEnd = add(kNewA, qoBytes);
  const vEnd = add(vNewA, qoBytes);
  let decMisaligned: Expr = attnMisaligned.or(aligned(kNewA).and(aligned(vNewA)).not());
  let decOverlap: Expr = attnOverlap.or(overlaps(oA, oEnd, kNewA, kEnd)).or(overlaps(oA, oEnd, vNewA, vEnd));
  for (const g of regions) {
    for (const [lo, hi] of [[qA, qEnd], [kNewA, kEnd], [vNewA, vEnd]] as const) decOverlap = decOverlap.or(overlaps(g.lo, g.hi, lo, hi));
  }
  // The cache regions against each other (a token written into another head's cached tokens):
  // REGIONS walks region r = 0..2H-1, one a cycle, against all the others.
  const walk = m.reg('region_walk', u(clog2(2 * c.H + 1)), { domain: cd, reset: 0 });
  const cachesOverlap = m.reg('caches_overlap', u(1), { domain: cd, reset: 0 });
  let walkLo: Expr = regions[0]!.lo;
  let walkHi: Expr = regions[0]!.hi;
  regions.forEach((g, r) => {
    if (r === 0) return;
    walkLo = mux(walk.eq(r), g.lo, walkLo);
    walkHi = mux(walk.eq(r), g.hi, walkHi);
  });
  let walkHit: Expr = lit(0, u(1));
  regions.forEach((g, r) => (walkHit = walkHit.or(walk.ne(r).and(overlaps(walkLo, walkHi, g.lo, g.hi)))));
  decOverlap = decOverlap.or(cachesOverlap);
  let gemvMisaligned: Expr = aligned(x).and(aligned(yA)).not();
  let gemvOverlap: Expr = overlaps(yA, yEnd, x, xEnd);
  for (let k = 0; k < c.Wb; k++) {
    gemvMisaligned = gemvMisaligned.or(aligned(arg(`w${k}`)).and(aligned(arg(`s${k}`))).not());
    gemvOverlap = gemvOverlap.or(overlaps(yA, yEnd, arg(`w${k}`), stripeEnd(arg(`w${k}`), wWordsA))).or(overlaps(yA, yEnd, arg(`s${k}`), stripeEnd(arg(`s${k}`), sWordsA)));
  }
  const code = (n: number): Expr => lit(n, u(8));
  const attnCode = mux(nHeadsA.eq(0).or(nHeadsA.gt(c.maxHeads)), code(ERROR.heads),
    mux(lenA.eq(0).or(lenA.gt(c.maxContext)), code(ERROR.len),
      mux(capA.lt(lenA).or(capA.gt(c.maxContext)), code(ERROR.cap),
        mux(attnMisaligned, code(ERROR.misaligned), mux(attnOverlap, code(ERROR.overlap), code(ERROR.none))))));
  const decodeCode = mux(nHeadsA.eq(0).or(nHeadsA.gt(c.maxHeads)), code(ERROR.heads),
    mux(lenA.ge(c.maxContext), code(ERROR.len),
      mux(capA.le(lenA).or(capA.gt(c.maxContext)), code(ERROR.cap),
        mux(posA.ge(c.rope.maxPos), code(ERROR.pos),
          mux(decMisaligned, code(ERROR.misaligned), mux(decOverlap, code(ERROR.overlap), code(ERROR.none)))))));
  const gemvCode = mux(rowsA.eq(0).or(rowsA.gt(65535)), code(ERROR.rows),
    mux(colsA.eq(0).or(colsA.gt(c.maxCols)).or(colsA.slice(log2(c.G) - 1, 0).ne(0)), code(ERROR.cols),
      mux(gemvMisaligned, code(ERROR.misaligned), mux(gemvOverlap, code(ERROR.overlap), code(ERROR.none)))));
  // The checked job's code (final in CHECK) and the running job's.
  const checkCode = m.reg('check_error_code', u(8), { domain: cd, reset: 0 });
  const errCode = m.reg('error_code', u(8), { domain: cd, reset: 0 });
  const checkedOk = m.wire('checked_ok', check.isAny('CHECK', 'WAIT').and(checkCode.eq(0)));
  const startArray = m.wire('start_array', handover.and(checkCode.eq(0)));
  m.when(accept, () => checkCode.set(mux(kind.gt(2), code(ERROR.kind), code(ERROR.none))));
  // Attention and GEMV: checked when the shape is known; decode after REGIONS.
  m.when(check.is('SHAPE').and(shapeDone).and(checkCode.eq(0)).and(checkDecode.not()), () => checkCode.set(mux(checkGemv, gemvCode, attnCode)));
  m.when(check.is('SHAPE'), () => {
    walk.set(0);
    cachesOverlap.set(0);
  });
  m.when(check.is('REGIONS'), () => {
    m.when(walkHit.and(walk.lt(2 * c.H)), () => cachesOverlap.set(1));
    walk.set(add(walk, 1, clog2(2 * c.H + 1)));
    m.when(walk.eq(2 * c.H), () => {
      m.when(checkCode.eq(0), () => checkCode.set(decodeCode));
      check.goto('CHECK');
    });
  });
  m.when(check.is('CHECK').and(handover.not()), () => check.goto('WAIT'));
  // A job that failed a check runs nothing: straight to FINISH (nothing to wait for) and ap_done.
  m.when(handover, () => {
    errCode.set(checkCode);
    m.when(checkCode.eq(0), () => job.goto('RUN')).otherwise(() => job.goto('FINISH'));
  });

  // ---- the array --------------------------------------------------------------------------------
  const mhaIn: Record<string, Expr | StreamSink | StreamSource> = {
    // The array takes its configuration with start, in the handover cycle: the checked job's.
    start: startArray,
    cfg_mode: checkGemv,
    // Decode: the L cached tokens and the new one.
    cfg_len: mux(checkDecode, lenA.add(1).trunc(32), lenA).trunc(c.lane.lenWidth),
    cfg_heads: nHeadsA.trunc(clog2(c.maxHeads + 1)),
    cfg_int4: int4A,
    cfg_rows: rowsA.trunc(16),
    cfg_cols: colsA.trunc(16),
  };
  const laneQ = Array.from({ length: c.H }, (_, i) => streamWires(m, `lane${i}_q`, u(c.PW), { last: true }));
  const laneKv = Array.from({ length: c.H }, (_, i) => streamWires(m, `lane${i}_kv`, u(2 * c.PW), { last: true }));
  const laneO = Array.from({ length: c.H }, (_, i) => streamWires(m, `lane${i}_o`, u(c.PW), { last: true }));
  const laneY = Array.from({ length: c.H }, (_, i) => streamWires(m, `lane${i}_y`, u(GEMV_Y_ROWS * GEMV_Y_BITS), { last: true }));
  const xS = streamWires(m, 'arr_x', u(64));
  const wS = streamWires(m, 'arr_w', u(c.gemvBits));
  const sS = streamWires(m, 'arr_s', u(c.gemvBits));
  for (let i = 0; i < c.H; i++) {
    mhaIn[`q${i}`] = laneQ[i]!.sink;
    mhaIn[`kv${i}`] = laneKv[i]!.sink;
    mhaIn[`o${i}`] = laneO[i]!.source;
    mhaIn[`y${i}`] = laneY[i]!.source;
  }
  mhaIn['x'] = xS.sink;
  mhaIn['w'] = wS.sink;
  mhaIn['s'] = sS.sink;
  const mha = m.instance('u_mha', c.mha, mhaIn as Record<string, Expr | StreamSink | StreamSource>, { domain: cd });

  // ---- read commands ----------------------------------------------------------------------------
  const running = job.is('RUN');
  // The handover of a job that passed its checks: the running side's counters and addresses
  // start from the argument registers here (the held copies are loaded in this same cycle).
  const enter = m.wire('run_enter', startArray);
  const pend = (name: string): Signal => {
    const r = m.reg(name, u(1), { domain: cd, reset: 0 });
    return r;
  };
  // io: x (GEMV), q (attention): one command each. x's goes out from the check stage, as soon as
  // the job passed its checks: with ap_ctrl_chain while the previous job still runs.
  const xPend = pend('x_cmd_pending');
  const xAddr = m.reg('x_cmd_addr', u(A), { domain: cd, reset: null });
  const xCmdWords = m.reg('x_cmd_words', u(32), { domain: cd, reset: 0 });
  const xSent = m.reg('x_cmd_sent', u(1), { domain: cd, reset: 0 });
  const qPend = pend('q_cmd_pending');
  // Decode: per round of H heads (the last may have fewer), first each head's q, then each head's
  // k_new and v_new: every lane's q arrives before any lane's new token, so no lane waits for
  // another's rotation to start.
  const lw = clog2(c.H + 1);
  const Q = 0;
  const K = 1;
  const V = 2;
  const cmdRound = m.reg('new_cmd_round', u(33), { domain: cd, reset: 0 });
  const cmdLane = m.reg('new_cmd_lane', u(lw), { domain: cd, reset: 0 });
  const cmdPhase = m.reg('new_cmd_phase', u(2), { domain: cd, reset: 0 });
  const lastOfRound = (round: Expr, lane: Expr): Expr => lane.eq(c.H - 1).or(add(add(round, lane.zext(33), 33), 1, 33).eq(nHeads.zext(33)));
  const newWant = isDecode.and(cmdRound.lt(nHeads.zext(33)));
  const cmdHeadOffset = add(cmdRound, cmdLane.zext(33), 33).zext(A).shl(log2(vecBytes)).trunc(A);
  m.when(accept, () => xSent.set(0));
  m.when(enter, () => {
    qPend.set(checkGemv.not().and(checkDecode.not()));
    cmdRound.set(0);
    cmdLane.set(0);
    cmdPhase.set(Q);
  });
  // x leads a GEMV job (the array takes no weight before all of x). The command goes out the
  // first cycle the checked job is known good (CHECK or WAIT) and client 0 is free, or waits in
  // x_cmd_pending with its address and length copied (the registers may change after handover).
  const xFirst = m.wire('x_cmd_first', checkedOk.and(checkGemv).and(xSent.not()).and(xPend.not()));
  io[0]!.cmdValid.set(xPend.or(xFirst));
  io[0]!.addr.set(mux(xPend, xAddr, x));
  io[0]!.words.set(mux(xPend, xCmdWords, xWords));
  m.when(xFirst, () => {
    xSent.set(1);
    xAddr.set(x);
    xCmdWords.set(xWords);
    m.when(io[0]!.cmdReady.not(), () => xPend.set(1));
  });
  m.when(xPend.and(io[0]!.cmdReady), () => xPend.set(0));
  io[1]!.cmdValid.set(qPend.or(newWant).and(running));
  const q = held('q');
  io[1]!.addr.set(mux(isDecode, add(mux(cmdPhase.eq(Q), q, mux(cmdPhase.eq(K), kNew, vNew)), cmdHeadOffset), q));
  io[1]!.words.set(mux(isDecode, lit(c.vecWords, u(32)), nHeads.shl(log2(c.vecWords)).trunc(32)));
  m.when(io[1]!.cmdValid.and(io[1]!.cmdReady), () => {
    qPend.set(0);
    const last = lastOfRound(cmdRound, cmdLane);
    const nextLane = add(cmdLane, 1, lw);
    m.when(cmdPhase.eq(Q), () => {
      m.when(last, () => {
        cmdLane.set(0);
        cmdPhase.set(K);
      }).otherwise(() => cmdLane.set(nextLane));
    }).elsewhen(cmdPhase.eq(K), () => cmdPhase.set(V)).otherwise(() => {
      m.when(last, () => {
        cmdLane.set(0);
        cmdPhase.set(Q);
        cmdRound.set(add(cmdRound, c.H, 33));
      }).otherwise(() => {
        cmdLane.set(nextLane);
        cmdPhase.set(K);
      });
    });
  });

  // g<k>: per head of lane k mod H its K (k < H) or V (H <= k < 2H) cache tokens; GEMV w and s
  // stripes, one command each.
  const wordsPerHead = m.wire('cache_words_per_head', len.shl(log2(c.vecWords)).trunc(32));
  // ap_ctrl_chain: a checked GEMV job's stripe commands go out while a GEMV job runs, once that
  // job's own are out (its words come first in the same FIFO and its array takes exactly
  // them); not while an attention or decode job runs (these clients carry its caches). Each
  // goes once (`sent`), or at the handover as usual if it could not.
  const stripesEarly = chain ? m.wire('stripes_early_ok', checkedOk.and(checkGemv).and(isGemv).and(job.isAny('RUN', 'FINISH', 'DONE'))) : lit(0, u(1));
  const earlyCommand = (name: string, pending: Signal, client: ReadClient): { fire: Expr; sent: Expr } => {
    const sent = m.reg(`${name}_cmd_early_sent`, u(1), { domain: cd, reset: 0 });
    const fire = m.wire(`${name}_cmd_early`, stripesEarly.and(sent.not()).and(pending.not()).and(client.cmdReady));
    m.when(accept, () => sent.set(0)).elsewhen(fire, () => sent.set(1));
    return { fire, sent };
  };
  for (let k = 0; k < c.NG; k++) {
    const rc = g(k);
    const wPend = pend(`w${k}_cmd_pending`);
    const sPend = k < c.Wb ? pend(`s${k}_cmd_pending`) : undefined;
    const isCache = k < 2 * c.H;
    const cacheName = k < c.H ? `k${k}` : `v${k - c.H}`;
    const kvAddr = isCache ? m.reg(`${cacheName}_addr`, u(A), { domain: cd, reset: null }) : undefined;
    const kvHead = isCache ? m.reg(`${cacheName}_head`, u(33), { domain: cd, reset: 0 }) : undefined;
    const none = { fire: lit(0, u(1)), sent: lit(0, u(1)) };
    const wEarlyCmd = chain && sPend ? earlyCommand(`w${k}`, wPend, rc[0]!) : none;
    const sEarlyCmd = chain && sPend ? earlyCommand(`s${k}`, sPend, rc[1]!) : none;
    const wEarly = wEarlyCmd.fire;
    const sEarly = sEarlyCmd.fire;
    const wSent = wEarlyCmd.sent;
    const sSent = sEarlyCmd.sent;
    m.when(enter, () => {
      wPend.set(k < c.Wb ? checkGemv.and(wSent.not()) : lit(0, u(1)));
      if (sPend) sPend.set(checkGemv.and(sSent.not()));
      if (kvAddr && kvHead) {
        kvAddr.set(regions[k]!.lo);
        kvHead.set(k % c.H);
      }
    });
    // A decode step over an empty cache (L = 0) reads no token.
    const kvWant = kvHead ? isGemv.not().and(kvHead.lt(nHeads.zext(33))).and(len.ne(0)) : lit(0, u(1));
    rc[0]!.cmdValid.set(running.and(wPend.or(kvWant)).or(wEarly));
    const w = k < c.Wb ? held(`w${k}`) : lit(0, u(A));
    const runAddr = kvAddr ? mux(isGemv, w, kvAddr) : w;
    const runWords = mux(isGemv, wWords, wordsPerHead);
    rc[0]!.addr.set(chain && sPend ? mux(wEarly, arg(`w${k}`), runAddr) : runAddr);
    rc[0]!.words.set(chain && sPend ? mux(wEarly, wWordsA, runWords) : runWords);
    m.when(running.and(rc[0]!.cmdValid).and(rc[0]!.cmdReady).and(wEarly.not()), () => {
      wPend.set(0);
      if (kvAddr && kvHead) {
        kvAddr.set(add(kvAddr, stride));
        kvHead.set(add(kvHead, c.H, 33));
      }
    });
    if (sPend) {
      rc[1]!.cmdValid.set(running.and(sPend).or(sEarly));
      rc[1]!.addr.set(chain ? mux(sEarly, arg(`s${k}`), held(`s${k}`)) : held(`s${k}`));
      rc[1]!.words.set(chain ? mux(sEarly, sWordsA, sWords) : sWords);
      m.when(running.and(sPend).and(rc[1]!.cmdReady), () => sPend.set(0));
    }
  }

  // ---- read data to the array ---------------------------------------------------------------------
  // x: DW words to 8-byte beats, exactly N/8 of them to the array: the extra beats of a last
  // partial word must not reach it (its input slice would keep them into the next job); they
  // stay in the converter until the next job clears it.
  // The converter takes exactly the running job's x words: a queued job's x waits in the read
  // FIFO (the handover clears the converter, which would drop a word it held).
  const xBeats = streamWires(m, 'x_beats', u(64));
  const xIn = streamWires(m, 'x_in_words', u(c.DW));
  const xWordsLeft = m.reg('x_words_left', u(32), { domain: cd, reset: 0 });
  xIn.source.valid.set(io[0]!.data.valid.and(xWordsLeft.ne(0)));
  xIn.source.data.set(io[0]!.data.data);
  io[0]!.data.ready.set(xIn.source.ready.and(xWordsLeft.ne(0)));
  m.when(enter, () => xWordsLeft.set(mux(checkGemv, xWords, lit(0, u(32))))).elsewhen(io[0]!.data.fire, () => xWordsLeft.set(xWordsLeft.sub(1).trunc(32)));
  m.instance('u_x_width', buildWidthConverter(c.DW, 64), { in: xIn.sink, out: xBeats.source, clear }, { domain: cd });
  const xLeft = m.reg('x_beats_left', u(13), { domain: cd, reset: 0 });
  const xOpen = xLeft.ne(0);
  m.when(enter, () => xLeft.set(colsA.trunc(16).shr(3).trunc(13)));
  xS.source.valid.set(xBeats.sink.valid.and(xOpen));
  xS.source.data.set(xBeats.sink.data);
  xBeats.sink.ready.set(xS.source.ready.and(xOpen));
  m.when(xS.source.valid.and(xS.source.ready), () => xLeft.set(xLeft.sub(1).trunc(13)));
  // q (attention): DW words to PW beats, head h to lane h mod H, B beats per head.
  // Decode: the q, k_new and v_new words of head h to the front of lane h mod H (order below).
  const qWords = streamWires(m, 'q_words', u(c.DW));
  qWords.source.valid.set(io[1]!.data.valid.and(isDecode.not()));
  qWords.source.data.set(io[1]!.data.data);
  const qBeats = streamWires(m, 'q_beats', u(c.PW));
  m.instance('u_q_width', buildWidthConverter(c.DW, c.PW), { in: qWords.sink, out: qBeats.source, clear }, { domain: cd });
  // The words come back in command order: per round, vecWords of q per lane, then 2 vecWords
  // (k_new, v_new) per lane.
  const nww = clog2(2 * c.vecWords + 1);
  const newWord = m.reg('new_word', u(nww), { domain: cd, reset: 0 });
  const newLane = m.reg('new_lane', u(lw), { domain: cd, reset: 0 });
  const newRound = m.reg('new_round', u(33), { domain: cd, reset: 0 });
  const newIsKv = m.reg('new_is_kv', u(1), { domain: cd, reset: 0 });
  m.when(clear, () => {
    newWord.set(0);
    newLane.set(0);
    newRound.set(0);
    newIsKv.set(0);
  }).elsewhen(io[1]!.data.fire.and(isDecode), () => {
    m.when(newWord.eq(mux(newIsKv, lit(2 * c.vecWords - 1, u(nww)), lit(c.vecWords - 1, u(nww)))), () => {
      newWord.set(0);
      m.when(lastOfRound(newRound, newLane), () => {
        newLane.set(0);
        newIsKv.set(newIsKv.not());
        m.when(newIsKv, () => newRound.set(add(newRound, c.H, 33)));
      }).otherwise(() => newLane.set(add(newLane, 1, lw)));
    }).otherwise(() => newWord.set(add(newWord, 1, nww)));
  });
  const frontMod = buildDecodeFront({ DW: c.DW, P: c.P, rope: c.rope });
  let newReady: Expr = lit(0, u(1));
  let ropeSat: Expr = lit(0, u(1));
  const frontQ: StreamSink[] = [];
  const frontTok: StreamSink[] = [];
  for (let i = 0; i < c.H; i++) {
    const fin = streamWires(m, `lane${i}_new_words`, u(c.DW));
    const fq = streamWires(m, `lane${i}_rotated_q`, u(c.PW), { last: true });
    const ft = streamWires(m, `lane${i}_new_token`, u(2 * c.PW), { last: true });
    fin.source.valid.set(io[1]!.data.valid.and(isDecode).and(newLane.eq(i)));
    fin.source.data.set(io[1]!.data.data);
    newReady = mux(newLane.eq(i), fin.source.ready, newReady);
    const f = m.instance(`u_front${i}`, frontMod, { clear, pos: pos.trunc(ropePosBits(c.rope)), in: fin.sink, q: fq.source, tok: ft.source }, { domain: cd });
    ropeSat = ropeSat.or(f.out('sat'));
    frontQ.push(fq.sink);
    frontTok.push(ft.sink);
  }
  io[1]!.data.ready.set(mux(isDecode, newReady, qWords.source.ready));
  const bw = clog2(c.B + 1);
  const qBeat = m.reg('q_beat', u(bw), { domain: cd, reset: 0 });
  const qLane = m.reg('q_lane', u(clog2(c.H + 1)), { domain: cd, reset: 0 });
  m.when(clear, () => {
    qBeat.set(0);
    qLane.set(0);
  });
  let qReady: Expr = lit(0, u(1));
  for (let i = 0; i < c.H; i++) {
    const mine = qLane.eq(i);
    const lq = laneQ[i]!.source;
    lq.valid.set(mux(isDecode, frontQ[i]!.valid, qBeats.sink.valid.and(mine)));
    lq.data.set(mux(isDecode, frontQ[i]!.data, qBeats.sink.data));
    lq.last!.set(mux(isDecode, frontQ[i]!.last!, qBeat.eq(c.B - 1)));
    frontQ[i]!.ready.set(isDecode.and(lq.ready));
    qReady = mux(mine, lq.ready, qReady);
  }
  qBeats.sink.ready.set(qReady);
  m.when(qBeats.sink.fire, () => {
    m.when(qBeat.eq(c.B - 1), () => {
      qBeat.set(0);
      qLane.set(mux(qLane.eq(c.H - 1), lit(0, u(clog2(c.H + 1))), add(qLane, 1, clog2(c.H + 1))));
    }).otherwise(() => qBeat.set(add(qBeat, 1, bw)));
  });
  const ones = lit((1n << BigInt(DWB)) - 1n, u(DWB));
  let tokTakes: Expr = lit(0, u(32));
  // K and V: each cache's words to PW beats; lane i's kv beat {v_b, k_b} takes one of each, tlast
  // on each token's last beat. In GEMV jobs the client-0 words of stripe k go to the weight beat.
  const wParts: Expr[] = [];
  const sParts: Expr[] = [];
  let wAll: Expr = lit(1, u(1));
  let sAll: Expr = lit(1, u(1));
  for (let k = 0; k < c.Wb; k++) {
    wAll = wAll.and(g(k)[0]!.data.valid);
    sAll = sAll.and(g(k)[1]!.data.valid);
    wParts.unshift(g(k)[0]!.data.data);
    sParts.unshift(g(k)[1]!.data.data);
  }
  wS.source.valid.set(isGemv.and(wAll));
  wS.source.data.set(cat(...wParts).trunc(c.gemvBits));
  sS.source.valid.set(isGemv.and(sAll));
  sS.source.data.set(cat(...sParts).trunc(c.gemvBits));
  for (let k = 0; k < c.Wb; k++) g(k)[1]!.data.ready.set(sS.sink.ready.and(sAll).and(isGemv));
  const cacheBeats: StreamSink[] = [];
  for (let k = 0; k < c.NG; k++) {
    const words = g(k)[0]!.data;
    const toGemv = k < c.Wb ? wS.sink.ready.and(wAll).and(isGemv) : lit(0, u(1));
    if (k < 2 * c.H) {
      const name = k < c.H ? `lane${k}_k` : `lane${k - c.H}_v`;
      const cacheIn = streamWires(m, `${name}_words`, u(c.DW));
      cacheIn.source.valid.set(words.valid.and(isGemv.not()));
      cacheIn.source.data.set(words.data);
      words.ready.set(mux(isGemv, toGemv, cacheIn.source.ready));
      const beats = streamWires(m, `${name}_beats`, u(c.PW));
      m.instance(`u_${name}_width`, buildWidthConverter(c.DW, c.PW), { in: cacheIn.sink, out: beats.source, clear }, { domain: cd });
      cacheBeats.push(beats.sink);
    } else {
      words.ready.set(toGemv);
    }
  }
  for (let k = 0; k < c.H; k++) {
    const kB = cacheBeats[k]!;
    const vB = cacheBeats[c.H + k]!;
    const kvBeats = streamWires(m, `lane${k}_kv_beats`, u(2 * c.PW));
    kvBeats.source.valid.set(kB.valid.and(vB.valid));
    kvBeats.source.data.set(cat(vB.data, kB.data));
    kB.ready.set(kvBeats.source.ready.and(vB.valid));
    vB.ready.set(kvBeats.source.ready.and(kB.valid));
    const beat = m.reg(`kv${k}_beat`, u(bw), { domain: cd, reset: 0 });
    m.when(clear, () => beat.set(0));
    const kvS = laneKv[k]!.source;
    // Decode: after the head's L cached tokens, the new token from the front; its k and v also
    // go (as DW words) to token L of lane k's K and V caches through g<k> and g<H+k>.
    const tokIdx = m.reg(`kv${k}_token`, u(c.lane.lenWidth), { domain: cd, reset: 0 });
    const useNew = m.wire(`kv${k}_use_new`, isDecode.and(tokIdx.zext(32).eq(len)));
    const ft = frontTok[k]!;
    const halves = [['k', k, ft.data.slice(c.PW - 1, 0)], ['v', c.H + k, ft.data.slice(2 * c.PW - 1, c.PW)]] as const;
    const tokIns = halves.map(([h]) => streamWires(m, `lane${k}_new_${h}_beats`, u(c.PW)));
    const allTake = (except: number): Expr => tokIns.reduce<Expr>((a, t, n) => (n === except ? a : a.and(t.source.ready)), kvS.ready);
    kvS.valid.set(mux(useNew, ft.valid.and(tokIns[0]!.source.ready).and(tokIns[1]!.source.ready), kvBeats.sink.valid));
    kvS.data.set(mux(useNew, ft.data, kvBeats.sink.data));
    kvS.last!.set(mux(useNew, ft.last!, beat.eq(c.B - 1)));
    kvBeats.sink.ready.set(useNew.not().and(kvS.ready));
    ft.ready.set(useNew.and(allTake(-1)));
    m.when(kvS.valid.and(kvS.ready), () => beat.set(mux(beat.eq(c.B - 1), lit(0, u(bw)), add(beat, 1, bw))));
    m.when(clear, () => tokIdx.set(0)).elsewhen(kvS.fire.and(kvS.last!), () => tokIdx.set(mux(useNew, lit(0, u(c.lane.lenWidth)), tokIdx.add(1).trunc(c.lane.lenWidth))));
    halves.forEach(([h, master, data], n) => {
      const tokIn = tokIns[n]!;
      tokIn.source.valid.set(useNew.and(ft.valid).and(kvS.ready).and(tokIns[1 - n]!.source.ready));
      tokIn.source.data.set(data);
      const tokWords = streamWires(m, `lane${k}_new_${h}_words`, u(c.DW));
      m.instance(`u_new_${h}${k}_width`, buildWidthConverter(c.PW, c.DW), { in: tokIn.sink, out: tokWords.source, clear }, { domain: cd });
      // Token L of the lane's j-th head: cache base + j * stride + L * 4d, word by word.
      const tokAddr = m.reg(`new_${h}${k}_addr`, u(A), { domain: cd, reset: null });
      const tokWord = m.reg(`new_${h}${k}_word`, u(clog2(c.vecWords + 1)), { domain: cd, reset: 0 });
      m.when(clear, () => {
        tokAddr.set(add(regions[master]!.lo, lenA.zext(A).shl(log2(vecBytes)).trunc(A)));
        tokWord.set(0);
      });
      const item = writeClients.get(`g${master}`)![0]!;
      item.valid.set(tokWords.sink.valid);
      item.data.set(cat(tokAddr, ones, tokWords.sink.data));
      tokWords.sink.ready.set(item.ready);
      stepVector(item.valid.and(item.ready), tokAddr, tokWord, add(tokAddr, stride).sub(vecBytes - DWB).trunc(A));
      tokTakes = add(tokTakes, item.valid.and(item.ready).zext(32), 32);
    });
  }

  // ---- results to memory ------------------------------------------------------------------------
  const y = held('y');
  // Per lane: o words (attention) or y beats (GEMV) become write items of io's write client i.
  const oCountW = 32;
  const oWritten = m.reg('o_words_written', u(oCountW), { domain: cd, reset: 0 });
  let yLastAll: Expr = lit(1, u(1));
  // Words of one pass per lane: 2T rows of 8 bytes, in DW words, and a word more where the lane's
  // rows start in the middle of one.
  const yWordsMod = buildYWords(c.DW, 1 << clog2(Math.ceil((2 * c.T * 8) / DWB) + 2));
  const oLastBad = m.reg('o_last_bad', u(1), { domain: cd, reset: 0 });
  m.when(clear, () => oLastBad.set(0));
  let oTakes: Expr = lit(0, u(oCountW));
  for (let i = 0; i < c.H; i++) {
    const oWords = streamWires(m, `lane${i}_o_words`, u(c.DW));
    // The o beats without tlast (the word count places each head).
    const oBeats = streamWires(m, `lane${i}_o_beats`, u(c.PW));
    oBeats.source.valid.set(laneO[i]!.sink.valid);
    oBeats.source.data.set(laneO[i]!.sink.data);
    laneO[i]!.sink.ready.set(oBeats.source.ready);
    // o_tlast must close every head's B-th beat: a check of the array's stream (status bit 9).
    const oBeat = m.reg(`o${i}_beat`, u(bw), { domain: cd, reset: 0 });
    m.when(clear, () => oBeat.set(0));
    m.when(laneO[i]!.sink.fire, () => {
      oBeat.set(mux(oBeat.eq(c.B - 1), lit(0, u(bw)), add(oBeat, 1, bw)));
      m.when(laneO[i]!.sink.last!.xor(oBeat.eq(c.B - 1)), () => oLastBad.set(1));
    });
    m.instance(`u_o${i}_width`, buildWidthConverter(c.PW, c.DW), { in: oBeats.sink, out: oWords.source, clear }, { domain: cd });
    const oAddr = m.reg(`o${i}_addr`, u(A), { domain: cd, reset: null });
    const oWord = m.reg(`o${i}_word`, u(clog2(c.vecWords + 1)), { domain: cd, reset: 0 });
    m.when(clear, () => {
      oAddr.set(add(oA, i * vecBytes));
      oWord.set(0);
    });
    // y: lane i's rows, 4 per beat: pass base row pR, offset k in the lane's 2T rows.
    const yPass = m.reg(`y${i}_pass_row`, u(18), { domain: cd, reset: 0 });
    const yOff = m.reg(`y${i}_offset`, u(clog2(2 * c.T + 4)), { domain: cd, reset: 0 });
    const yLastSeen = m.reg(`y${i}_last_seen`, u(1), { domain: cd, reset: 0 });
    const hasRows = rows.trunc(16).zext(18).gt(2 * c.T * i);
    m.when(clear, () => {
      yPass.set(0);
      yOff.set(0);
      yLastSeen.set(0);
    });
    yLastAll = yLastAll.and(yLastSeen.or(hasRows.not()));
    const yRow = add(add(yPass, 2 * c.T * i, 18), yOff.zext(18), 18);
    const yByte = yRow.zext(A).shl(3).trunc(A);
    const yAddrFull = add(y, yByte);
    const yAddr = cat(yAddrFull.slice(A - 1, sizeLog), lit(0, u(sizeLog)));
    const ySrc = laneY[i]!.sink;
    const keep = mha.out(`y${i}_tkeep`);
    const rowsData: Expr[] = [];
    const rowsStrb: Expr[] = [];
    for (let e = GEMV_Y_ROWS - 1; e >= 0; e--) {
      rowsData.push(ySrc.data.slice(GEMV_Y_BITS * e + GEMV_Y_BITS - 1, GEMV_Y_BITS * e).sext(64));
      rowsStrb.push(mux(keep.bit(e), lit(0xff, u(8)), lit(0, u(8))));
    }
    const y256 = cat(...rowsData);
    const s32 = cat(...rowsStrb);
    let yData: Expr = y256;
    let yStrb: Expr = s32;
    if (c.DW === 512) {
      const upper = yAddrFull.bit(5);
      yData = cat(y256, y256);
      yStrb = mux(upper, cat(s32, lit(0, u(32))), cat(lit(0, u(32)), s32));
    }
    // y beats through the lane's word buffer (a pass's rows, DW = 512: two beats per word).
    const yIn = streamWires(m, `lane${i}_y_items`, u(yItemBits(c.DW)));
    const yOut = streamWires(m, `lane${i}_y_words`, u(yItemBits(c.DW)));
    m.instance(`u_y${i}_words`, yWordsMod, { in: yIn.sink, out: yOut.source }, { domain: cd });
    yIn.source.valid.set(ySrc.valid.and(isGemv));
    yIn.source.data.set(cat(ySrc.last!, yAddr, yStrb, yData));
    ySrc.ready.set(isGemv.and(yIn.source.ready));
    const item = ioW[i]!;
    item.valid.set(mux(isGemv, yOut.sink.valid, oWords.sink.valid));
    item.data.set(mux(isGemv, yOut.sink.data.trunc(A + DWB + c.DW), cat(oAddr, ones, oWords.sink.data)));
    oWords.sink.ready.set(isGemv.not().and(item.ready));
    yOut.sink.ready.set(isGemv.and(item.ready));
    m.when(yOut.sink.fire.and(yOut.sink.data.bit(yItemBits(c.DW) - 1)), () => yLastSeen.set(1));
    const oTake = isGemv.not().and(item.valid).and(item.ready);
    oTakes = add(oTakes, oTake.zext(oCountW), oCountW);
    stepVector(oTake, oAddr, oWord, add(oAddr, DWB + (c.H - 1) * vecBytes));
    m.when(ySrc.fire, () => {
      const nextOff = add(yOff.zext(18), 4, 18);
      m.when(nextOff.ge(2 * c.T).or(add(yRow, 4, 18).ge(rows.trunc(16).zext(18))), () => {
        yOff.set(0);
        yPass.set(add(yPass, R, 18));
      }).otherwise(() => yOff.set(nextOff.trunc(clog2(2 * c.T + 4))));
    });
  }
  m.when(clear, () => oWritten.set(0)).otherwise(() => oWritten.set(add(oWritten, oTakes, oCountW)));
  const tokWritten = m.reg('token_words_written', u(32), { domain: cd, reset: 0 });
  m.when(clear, () => tokWritten.set(0)).otherwise(() => tokWritten.set(add(tokWritten, tokTakes, 32)));

  // ---- completion ---------------------------------------------------------------------------------
  const arrDone = m.reg('array_done_seen', u(1), { domain: cd, reset: 0 });
  const arrErr = m.reg('array_error', u(1), { domain: cd, reset: 0 });
  const sat = m.reg('sat_q', u(HEAD_SAT_BITS), { domain: cd, reset: 0 });
  const axiErr = m.reg('axi_error', u(1), { domain: cd, reset: 0 });
  m.when(clear, () => {
    arrDone.set(0);
    arrErr.set(0);
    axiErr.set(0);
    sat.set(0);
  });
  m.when(running.and(mha.out('done')), () => {
    arrDone.set(1);
    arrErr.set(mha.out('status_error'));
    sat.set(mha.out('status_sat'));
  });
  // The job's reads are all in once the array is done (it took every word); what is left is
  // its writes' responses. The next job's reads (x, with ap_ctrl_chain) may be in flight.
  let writesIdle: Expr = lit(1, u(1));
  let anyRespErr: Expr = lit(0, u(1));
  for (const ms of masters) {
    writesIdle = writesIdle.and(ms.inst.out('writes_idle'));
    anyRespErr = anyRespErr.or(ms.inst.out('resp_error'));
  }
  m.when(anyRespErr.and(job.isAny('RUN', 'FINISH')), () => axiErr.set(1));
  const oAllOut = oWritten.eq(nHeads.shl(log2(c.vecWords)).trunc(32));
  const outputsOut = mux(isGemv, yLastAll, oAllOut.and(isDecode.not().or(tokWritten.eq(nHeads.shl(log2(c.tokenWords)).trunc(32)))));
  m.when(running.and(arrDone).and(outputsOut), () => job.goto('FINISH'));
  // FINISH: every write answered. RUN leaves a cycle after the last output item was taken (the
  // counts are registered), when that item already shows in its master's AW register, so one
  // idle cycle is enough. With ap_ctrl_chain ap_done also waits until the host has written
  // ap_continue for the previous one (whose status it may still be reading).
  let continued: Expr = lit(1, u(1));
  if (chain) {
    const cont = m.reg('continued', u(1), { domain: cd, reset: 1 });
    m.when(ctrl.out('ap_continue'), () => cont.set(1)).elsewhen(job.is('DONE'), () => cont.set(0));
    continued = cont;
  }
  const finish = m.wire('job_finish', job.is('FINISH').and(writesIdle).and(continued));
  m.when(finish, () => job.goto('DONE'));
  const ropeSatQ = m.reg('rope_sat', u(1), { domain: cd, reset: 0 });
  m.when(clear, () => ropeSatQ.set(0)).elsewhen(isDecode.and(ropeSat), () => ropeSatQ.set(1));
  // Status, saturation and cycles of the last finished job, latched as it finishes (with
  // ap_ctrl_chain the next job may start before the host reads them).
  const statusQ = m.reg('status_q', u(32), { domain: cd, reset: 0 });
  const satQ = m.reg('sat_word_q', u(32), { domain: cd, reset: 0 });
  m.when(finish, () => {
    statusQ.set(cat(lit(0, u(21)), ropeSatQ, arrErr.or(oLastBad), axiErr, errCode));
    satQ.set(sat.zext(32));
    cyclesQ.set(add(now, 1, 32).sub(jobSince).trunc(32));
  });
  statusW.set(statusQ);
  satW.set(satQ);
  void STATUS_FLAG;
  return { module: m, map };
}
