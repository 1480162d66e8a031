/**
 * An AXI4 master for one `m_axi_*` port, shared by several read clients and write clients.
 *
 * Read client c gives commands (a DW-aligned byte address and a word count) and takes the
 * words in order from its FIFO (`rc<c>_data`). The master cuts a command into INCR bursts of
 * full-width beats: at most the client's burst length, never across a 4 KB boundary, and only
 * when the client's FIFO has room for the whole burst (its credit), so `rready` is always high
 * and an outstanding read can always complete. Each client reads with its own ARID, so the
 * slave may return the clients' bursts interleaved; data is routed by RID.
 *
 * Write client c gives single-word items (`wc<c>_tdata` = {byte address, strobe, data}); each
 * becomes a one-beat INCR burst with ID 0 (writes are o, y and an appended token: a small share
 * of the traffic). The address goes to AW, the data and strobe into a four-entry W FIFO; a new
 * item is taken when AW is free and the FIFO has room, so one write per cycle goes out even to a
 * slave that raises wready only once it holds the address. `bready` is always high.
 *
 * `writes_idle`: every write answered (a job ends on it: its reads are all in once the array
 * is done, and the next job's reads may already run). `resp_error` (sticky
 * until `clear`): a response other than OKAY, or RLAST where the burst's length does not put it.
 */
import { Module, u, clog2, lit, mux, type Expr, type Signal } from '../../hdl/index.ts';
import { streamInput, streamOutput } from '../../hdl/stream.ts';
import { buildFifo } from '../common/fifo.ts';

export interface ClientSpec {
  /** FIFO depth in words (a power of two >= 2 * burst). */
  readonly depth: number;
  /** Longest burst in beats (a power of two). */
  readonly burst: number;
}

export interface AxiMasterSpec {
  readonly dataBits: number;
  readonly reads: readonly ClientSpec[];
  /** Write clients: streams of single-word items {address, strobe, data}. */
  readonly writes: number;
}

export const AXI_ADDR_BITS = 64;
export const CMD_WORDS_BITS = 32;

/** ID bits of a master with this many read clients (at least 1). */
export function idBits(reads: number): number {
  return Math.max(1, clog2(reads));
}

/** The AXI4 signals of a master, as (suffix, direction from the master, width). */
export function axiSignals(dataBits: number, ids: number, writes = true): { name: string; dir: 'out' | 'in'; width: number; doc: string }[] {
  const s = (name: string, dir: 'out' | 'in', width: number, doc = ''): { name: string; dir: 'out' | 'in'; width: number; doc: string } => ({ name, dir, width, doc });
  const all = [
    s('awvalid', 'out', 1), s('awready', 'in', 1), s('awaddr', 'out', AXI_ADDR_BITS), s('awlen', 'out', 8, 'beats - 1'), s('awsize', 'out', 3, 'log2 bytes per beat'),
    s('awburst', 'out', 2, '1: INCR'), s('awid', 'out', ids),
    s('wvalid', 'out', 1), s('wready', 'in', 1), s('wdata', 'out', dataBits), s('wstrb', 'out', dataBits / 8), s('wlast', 'out', 1),
    s('bvalid', 'in', 1), s('bready', 'out', 1), s('bresp', 'in', 2), s('bid', 'in', ids),
    s('arvalid', 'out', 1), s('arready', 'in', 1), s('araddr', 'out', AXI_ADDR_BITS), s('arlen', 'out', 8, 'beats - 1'), s('arsize', 'out', 3, 'log2 bytes per beat'),
    s('arburst', 'out', 2, '1: INCR'), s('arid', 'out', ids),
    s('rvalid', 'in', 1), s('rready', 'out', 1), s('rdata', 'in', dataBits), s('rresp', 'in', 2), s('rlast', 'in', 1), s('rid', 'in', ids),
  ];
  // A read-only master has no AW, W or B channel (AXI4 allows it; Vivado infers read-only).
  return writes ? all : all.filter((x) => !/^(aw|w|b)/.test(x.name));
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

const cache = new Map<string, Module>();

export function buildAxiMaster(spec: AxiMasterSpec): Module {
  const key = JSON.stringify(spec);
  const hit = cache.get(key);
  if (hit) return hit;
  const DW = spec.dataBits;
  const DWB = DW / 8;
  const sizeLog = clog2(DWB);
  const pageWords = 4096 / DWB;
  for (const c of spec.reads) {
    if (!isPow2(c.burst) || c.burst > Math.min(256, pageWords) || !isPow2(c.depth) || c.depth < 2 * c.burst) {
      throw new RangeError(`AXI master client depth ${c.depth} burst ${c.burst}: accepted power-of-two bursts up to ${Math.min(256, pageWords)} beats and power-of-two depths of at least two bursts`);
    }
  }
  const m = new Module(`axi_master_${DW}_r${spec.reads.length}_w${spec.writes}`);
  m.hashName = true;
  m.doc = `AXI4 master (${DW}-bit data, 64-bit addresses): ${spec.reads.length} read client(s), ${spec.writes} write client(s).`;
  m.generator = { name: 'generators/kernel/axi-master.ts buildAxiMaster', params: { ...spec } };
  const cd = m.clockDomain();
  const ids = idBits(spec.reads.length);
  const port = new Map<string, Signal>();
  for (const sg of axiSignals(DW, ids, spec.writes > 0)) {
    port.set(sg.name, sg.dir === 'out' ? m.output(`axi_${sg.name}`, u(sg.width), sg.doc) : m.input(`axi_${sg.name}`, u(sg.width), sg.doc));
  }
  const P = (n: string): Signal => port.get(n)!;
  const clear = m.input('clear', u(1), 'pulse at a job start: clears resp_error');
  const wordsT = u(CMD_WORDS_BITS);
  const pageBits = clog2(pageWords);
  // Words left before the next 4 KB boundary, from an address.
  const toBoundary = (addr: Expr): Expr => lit(pageWords, u(pageBits + 1)).sub(addr.slice(11, sizeLog).zext(pageBits + 1)).trunc(pageBits + 1);
  const minOf = (a: Expr, b: Expr): Expr => mux(a.lt(b), a, b);
  // The burst of a command: min(words left, client burst, words to the boundary), in pageBits + 1 bits.
  const burstLen = (left: Expr, addr: Expr, burst: number): Expr => {
    const capped = mux(left.lt(burst), left.trunc(pageBits + 1), lit(burst, u(pageBits + 1)));
    return minOf(capped, toBoundary(addr));
  };

  // ---- reads ---------------------------------------------------------------------------------
  const nR = spec.reads.length;
  const arValid = m.reg('ar_valid', u(1), { domain: cd, reset: 0 });
  const arAddr = m.reg('ar_addr', u(AXI_ADDR_BITS), { domain: cd, reset: null });
  const arLen = m.reg('ar_len', u(8), { domain: cd, reset: null });
  const arId = m.reg('ar_id', u(ids), { domain: cd, reset: null });
  const arFree = arValid.not().or(P('arready'));
  const rFire = P('rvalid');
  const canIssue: Expr[] = [];
  const issueLen: Expr[] = [];
  const rrR = m.reg('rd_turn', u(ids), { domain: cd, reset: 0 });
  const rdGrant: Signal[] = [];
  const readAddr: Signal[] = [];
  const lastErrors: Expr[] = [];
  spec.reads.forEach((c, i) => {
    const cmd = {
      valid: m.input(`rc${i}_cmd_valid`, u(1)),
      ready: m.output(`rc${i}_cmd_ready`, u(1)),
      addr: m.input(`rc${i}_cmd_addr`, u(AXI_ADDR_BITS), 'byte address, DW-aligned'),
      words: m.input(`rc${i}_cmd_words`, wordsT, 'words to read'),
    };
    const out = streamOutput(m, `rc${i}_data`, u(DW));
    const addr = m.reg(`rc${i}_addr`, u(AXI_ADDR_BITS), { domain: cd, reset: null });
    readAddr.push(addr);
    const left = m.reg(`rc${i}_left`, wordsT, { domain: cd, reset: 0 });
    const cw = clog2(c.depth + 1);
    const credit = m.reg(`rc${i}_credit`, u(cw), { domain: cd, reset: c.depth });
    cmd.ready.set(left.eq(0));
    const len = m.wire(`rc${i}_burst`, burstLen(left, addr, c.burst));
    issueLen.push(len);
    canIssue.push(m.wire(`rc${i}_can`, left.ne(0).and(credit.ge(len))));
    const grant = m.wire(`rc${i}_grant`, u(1));
    rdGrant.push(grant);
    const push = rFire.and(P('rid').eq(i));
    const fifo = m.instance(`u_rc${i}_fifo`, buildFifo(DW, c.depth), { push_valid: push, push_data: P('rdata'), pop_ready: out.ready }, { domain: cd });
    out.valid.set(fifo.out('pop_valid'));
    out.data.set(fifo.out('pop_data'));
    const pop = out.valid.and(out.ready);
    m.when(cmd.valid.and(cmd.ready), () => {
      addr.set(cmd.addr);
      left.set(cmd.words);
    });
    m.when(grant, () => {
      addr.set(addr.add(len.zext(AXI_ADDR_BITS).shl(sizeLog).trunc(AXI_ADDR_BITS)).trunc(AXI_ADDR_BITS));
      left.set(left.sub(len.zext(CMD_WORDS_BITS)).trunc(CMD_WORDS_BITS));
    });
    // credit: words the FIFO can still take beyond those held and those requested.
    const granted = mux(grant, len.resize(cw), lit(0, u(cw)));
    credit.set(credit.add(pop).sub(granted).trunc(cw));
    // rlast must close each burst of this ID where its length says: lengths wait in a queue.
    // At most `depth` bursts are in flight (each holds at least one word of credit).
    const lengths = m.instance(`u_rc${i}_lengths`, buildFifo(9, c.depth), { push_valid: grant, push_data: len.resize(9), pop_ready: push.and(P('rlast')) }, { domain: cd });
    const beat = m.reg(`rc${i}_beat`, u(9), { domain: cd, reset: 0 });
    const lastExpected = beat.add(1).trunc(9).eq(lengths.out('pop_data'));
    m.when(push, () => beat.set(mux(P('rlast'), lit(0, u(9)), beat.add(1).trunc(9))));
    lastErrors.push(push.and(P('rlast').xor(lastExpected).or(lengths.out('pop_valid').not())));
  });
  // Round robin from rd_turn: the first client at or after it that can issue.
  {
    const order = (k: number): number => k % nR;
    const picks: Expr[] = spec.reads.map(() => lit(0, u(1)));
    for (let start = 0; start < nR; start++) {
      // When rd_turn == start, grant the first of start, start+1, ... that can issue.
      let taken: Expr = lit(0, u(1));
      for (let k = 0; k < nR; k++) {
        const c = order(start + k);
        const g = rrR.eq(start).and(canIssue[c]!).and(taken.not());
        picks[c] = picks[c]!.or(g);
        taken = taken.or(canIssue[c]!);
      }
    }
    rdGrant.forEach((g, c) => g.set(arFree.and(picks[c]!)));
    const any = rdGrant.reduce<Expr>((a, b) => a.or(b), lit(0, u(1)));
    m.when(any, () => {
      arValid.set(1);
      let addrSel: Expr = lit(0, u(AXI_ADDR_BITS));
      let lenSel: Expr = lit(0, u(8));
      let idSel: Expr = lit(0, u(ids));
      rdGrant.forEach((g, c) => {
        addrSel = mux(g, readAddr[c]!, addrSel);
        lenSel = mux(g, issueLen[c]!.sub(1).resize(8).asUnsigned().trunc(8), lenSel);
        idSel = mux(g, lit(c, u(ids)), idSel);
      });
      arAddr.set(addrSel);
      arLen.set(lenSel);
      arId.set(idSel);
      if (nR > 1) rrR.set(mux(idSel.eq(nR - 1), lit(0, u(ids)), idSel.add(1).trunc(ids)));
    }).elsewhen(P('arready'), () => arValid.set(0));
  }
  P('arvalid').set(arValid);
  P('araddr').set(arAddr);
  P('arlen').set(arLen);
  P('arsize').set(lit(sizeLog, u(3)));
  P('arburst').set(lit(1, u(2)));
  P('arid').set(arId);
  P('rready').set(lit(1, u(1)));

  // ---- writes: single-beat bursts, one per client item ----------------------------------------
  // Writes are a small share of the traffic (o, y, an appended token), so each item is its own
  // one-beat burst at its own address: no burst can cross 4 KB, and no item waits for others.
  // AW and W go out together and are released independently as the slave takes them.
  const nW = spec.writes;
  let writesBusy: Expr = lit(0, u(1));
  if (nW === 0) {
    // Read-only master: no write channels.
  } else {
    // AW from a register; W from a four-entry FIFO, so addresses run ahead of their data: a slave
    // that raises wready (registered) only once it holds an address then takes a write per cycle
    // (with two entries the FIFO filled up while wready caught up: two writes per three cycles).
    const awValid = m.reg('aw_valid', u(1), { domain: cd, reset: 0 });
    const awAddr = m.reg('aw_addr', u(AXI_ADDR_BITS), { domain: cd, reset: null });
    const wPush = m.wire('w_push', u(1));
    const wIn = m.wire('w_item', u(DWB + DW));
    const wFifo = m.instance('u_w_fifo', buildFifo(DWB + DW, 4), { push_valid: wPush, push_data: wIn, pop_ready: P('wready') }, { domain: cd });
    const wValid = wFifo.out('pop_valid');
    const outstanding = m.reg('outstanding', u(16), { domain: cd, reset: 0 });
    const awFire = awValid.and(P('awready'));
    const slotFree = m.wire('w_slot_free', awValid.not().or(P('awready')).and(wFifo.out('push_ready')));
    const items = Array.from({ length: nW }, (_, i) => streamInput(m, `wc${i}`, u(AXI_ADDR_BITS + DWB + DW), { doc: '{byte address (DW-aligned), strobe, data}' }));
    const cwb = Math.max(1, clog2(nW));
    const rrW = m.reg('wr_turn', u(cwb), { domain: cd, reset: 0 });
    const picks: Expr[] = items.map(() => lit(0, u(1)));
    for (let start = 0; start < nW; start++) {
      let taken: Expr = lit(0, u(1));
      for (let k = 0; k < nW; k++) {
        const c = (start + k) % nW;
        picks[c] = picks[c]!.or(rrW.eq(start).and(items[c]!.valid).and(taken.not()));
        taken = taken.or(items[c]!.valid);
      }
    }
    let sel: Expr = items[0]!.data;
    let idSel: Expr = lit(0, u(cwb));
    let anyTake: Expr = lit(0, u(1));
    items.forEach((it, c) => {
      const take = m.wire(`wc${c}_take`, slotFree.and(picks[c]!));
      it.ready.set(take);
      anyTake = anyTake.or(take);
      if (c > 0) {
        sel = mux(take, it.data, sel);
        idSel = mux(take, lit(c, u(cwb)), idSel);
      }
    });
    const take = m.wire('w_take', anyTake);
    wPush.set(take);
    wIn.set(sel.slice(DWB + DW - 1, 0));
    m.when(take, () => {
      awValid.set(1);
      awAddr.set(sel.slice(AXI_ADDR_BITS + DWB + DW - 1, DWB + DW));
      if (nW > 1) rrW.set(mux(idSel.eq(nW - 1), lit(0, u(cwb)), idSel.add(1).trunc(cwb)));
    }).elsewhen(P('awready'), () => awValid.set(0));
    m.when(awFire.and(P('bvalid').not()), () => outstanding.set(outstanding.add(1).trunc(16))).elsewhen(P('bvalid').and(awFire.not()), () => outstanding.set(outstanding.sub(1).trunc(16)));
    P('awvalid').set(awValid);
    P('awaddr').set(awAddr);
    P('awlen').set(lit(0, u(8)));
    P('awsize').set(lit(sizeLog, u(3)));
    P('awburst').set(lit(1, u(2)));
    P('awid').set(lit(0, u(ids)));
    P('wvalid').set(wValid);
    P('wdata').set(wFifo.out('pop_data').slice(DW - 1, 0));
    P('wstrb').set(wFifo.out('pop_data').slice(DWB + DW - 1, DW));
    P('wlast').set(lit(1, u(1)));
    P('bready').set(lit(1, u(1)));
    writesBusy = awValid.or(wValid).or(outstanding.ne(0));
  }

  // ---- status --------------------------------------------------------------------------------
  const respError = m.reg('resp_error_q', u(1), { domain: cd, reset: 0 });
  const badResponse = spec.writes > 0 ? P('rvalid').and(P('rresp').ne(0)).or(P('bvalid').and(P('bresp').ne(0).or(P('bid').ne(0)))) : P('rvalid').and(P('rresp').ne(0));
  const badLast = lastErrors.reduce<Expr>((a, b) => a.or(b), lit(0, u(1)));
  m.when(clear, () => respError.set(0)).elsewhen(badResponse.or(badLast), () => respError.set(1));
  m.output('resp_error', u(1), 'sticky until clear: a response other than OKAY, a BID other than 0, or RLAST out of place').set(respError);
  m.output('writes_idle', u(1), 'every write item taken has been answered').set(writesBusy.not());
  cache.set(key, m);
  return m;
}
