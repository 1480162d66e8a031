/**
 * The AXI4-Lite slave `s_axi_control` with the Vitis `ap_ctrl_hs` register map (regmap.ts).
 *
 * Writes: the address is taken first (awready while idle), then the data (wready), then the
 * response (bvalid until bready): one write at a time, as a slave may. Reads likewise: the
 * address, then rdata registered with rvalid until rready. Byte strobes apply to every
 * argument register. Responses are always OKAY (an unmapped address reads 0, writes to it are
 * ignored).
 *
 * Kernel side: `ap_start` is the control bit (set by a host write of 1, cleared when the
 * kernel pulses `ap_ready`); `ap_done` and `ap_ready` pulses set their sticky bits (cleared
 * when the host reads 0x00) and, when enabled in IER, their ISR bits; `interrupt` =
 * GIE and (ISR and IER) != 0. Arguments come out as registers (`arg_<name>`), readable back.
 * With `chain` (ap_ctrl_chain), a host write with bit 4 set pulses `ap_continue`.
 */
import { Module, u, lit, cat, mux, type Expr, type Signal } from '../../hdl/index.ts';
import { CTRL, CTRL_BITS, type RegMap } from './regmap.ts';

export const AXIL_DATA_BITS = 32;

const cache = new Map<string, Module>();

export function buildControlRegs(map: RegMap, name: string, chain = false): Module {
  const key = JSON.stringify([map, name, chain]);
  const hit = cache.get(key);
  if (hit) return hit;
  const m = new Module(name);
  m.doc = `AXI4-Lite slave s_axi_control: ${chain ? 'ap_ctrl_chain' : 'ap_ctrl_hs'} control, interrupt registers, kernel arguments, read-only status.`;
  m.generator = { name: 'generators/kernel/axil-regs.ts buildControlRegs', params: { args: map.args.map((a) => a.name), addrBits: map.addrBits, chain } };
  const cd = m.clockDomain();
  const A = map.addrBits;
  const p = 's_axi_control_';
  const awvalid = m.input(`${p}awvalid`, u(1));
  const awready = m.output(`${p}awready`, u(1));
  const awaddr = m.input(`${p}awaddr`, u(A));
  const wvalid = m.input(`${p}wvalid`, u(1));
  const wready = m.output(`${p}wready`, u(1));
  const wdata = m.input(`${p}wdata`, u(32));
  const wstrb = m.input(`${p}wstrb`, u(4));
  const bvalid = m.output(`${p}bvalid`, u(1));
  const bready = m.input(`${p}bready`, u(1));
  const bresp = m.output(`${p}bresp`, u(2), 'always OKAY');
  const arvalid = m.input(`${p}arvalid`, u(1));
  const arready = m.output(`${p}arready`, u(1));
  const araddr = m.input(`${p}araddr`, u(A));
  const rvalid = m.output(`${p}rvalid`, u(1));
  const rready = m.input(`${p}rready`, u(1));
  const rdata = m.output(`${p}rdata`, u(32));
  const rresp = m.output(`${p}rresp`, u(2), 'always OKAY');

  const apDone = m.input('ap_done', u(1), 'pulse: the job finished');
  const apReady = m.input('ap_ready', u(1), 'pulse: the kernel took the job (ap_start is cleared)');
  const apIdle = m.input('ap_idle', u(1), 'the kernel is idle');
  const statusIn = m.input('status', u(32), 'read-only status register');
  const satIn = m.input('sat', u(32), 'read-only saturation register');
  const cyclesIn = m.input('cycles', u(32), 'read-only cycles register');
  const apStartOut = m.output('ap_start', u(1), 'the control register\'s ap_start bit');
  const irq = m.output('interrupt', u(1), 'GIE and (ISR and IER) != 0');

  // ---- write channel: address, data, response ------------------------------------------------
  const wstate = m.reg('wstate', u(2), { domain: cd, reset: 0 }); // 0 idle, 1 data, 2 response
  const waddr = m.reg('waddr', u(A), { domain: cd, reset: null });
  const awFire = m.wire('aw_fire', awvalid.and(wstate.eq(0)));
  const wFire = m.wire('w_fire', wvalid.and(wstate.eq(1)));
  m.when(awFire, () => {
    waddr.set(awaddr);
    wstate.set(1);
  });
  m.when(wFire, () => wstate.set(2));
  m.when(wstate.eq(2).and(bready), () => wstate.set(0));
  awready.set(wstate.eq(0));
  wready.set(wstate.eq(1));
  bvalid.set(wstate.eq(2));
  bresp.set(0);
  const wordAt = (a: Expr): Expr => a.slice(A - 1, 2);
  const wWord = wordAt(waddr);
  const writeTo = (offset: number): Expr => wFire.and(wWord.eq(offset >> 2));
  const strobed = (old: Expr): Expr => {
    const bytes = [0, 1, 2, 3].map((b) => mux(wstrb.bit(b), wdata.slice(8 * b + 7, 8 * b), old.slice(8 * b + 7, 8 * b)));
    return cat(bytes[3]!, bytes[2]!, bytes[1]!, bytes[0]!);
  };

  // ---- control and interrupt registers ------------------------------------------------------
  const apStart = m.reg('ap_start_q', u(1), { domain: cd, reset: 0 });
  const doneBit = m.reg('ap_done_q', u(1), { domain: cd, reset: 0 });
  const readyBit = m.reg('ap_ready_q', u(1), { domain: cd, reset: 0 });
  const gie = m.reg('gie', u(1), { domain: cd, reset: 0 });
  const ier = m.reg('ier', u(2), { domain: cd, reset: 0 });
  const isr = m.reg('isr', u(2), { domain: cd, reset: 0 });
  const rvalidQ = m.reg('rvalid_q', u(1), { domain: cd, reset: 0 });
  const arFire = m.wire('ar_fire', arvalid.and(rvalidQ.not()));
  const rWord = wordAt(araddr);
  const readCtrl = arFire.and(rWord.eq(CTRL.control >> 2));
  m.when(writeTo(CTRL.control).and(wstrb.bit(0)).and(wdata.bit(CTRL_BITS.start)), () => apStart.set(1));
  m.when(apReady, () => apStart.set(0));
  if (chain) m.output('ap_continue', u(1), 'pulse: the host wrote ap_continue (bit 4 of 0x00)').set(writeTo(CTRL.control).and(wstrb.bit(0)).and(wdata.bit(CTRL_BITS.continue)));
  // Sticky until the host reads 0x00; a pulse in the read cycle survives the read.
  m.when(apDone, () => doneBit.set(1)).elsewhen(readCtrl, () => doneBit.set(0));
  m.when(apReady, () => readyBit.set(1)).elsewhen(readCtrl, () => readyBit.set(0));
  m.when(writeTo(CTRL.gie).and(wstrb.bit(0)), () => gie.set(wdata.bit(0)));
  m.when(writeTo(CTRL.ier).and(wstrb.bit(0)), () => ier.set(wdata.slice(1, 0)));
  const isrSet = cat(apReady.and(ier.bit(1)), apDone.and(ier.bit(0)));
  const isrToggle = mux(writeTo(CTRL.isr).and(wstrb.bit(0)), wdata.slice(1, 0), lit(0, u(2)));
  isr.set(isr.xor(isrToggle).or(isrSet));
  irq.set(gie.and(isr.and(ier).orR()));
  apStartOut.set(apStart);

  // ---- arguments ------------------------------------------------------------------------------
  const words: { offset: number; reg: Signal }[] = [];
  for (const a of map.args) {
    if (a.size === 4) {
      const r = m.reg(`arg_${a.name}_q`, u(32), { domain: cd, reset: 0 });
      m.when(writeTo(a.offset), () => r.set(strobed(r)));
      m.output(`arg_${a.name}`, u(32), a.doc).set(r);
      words.push({ offset: a.offset, reg: r });
    } else {
      const lo = m.reg(`arg_${a.name}_lo`, u(32), { domain: cd, reset: 0 });
      const hi = m.reg(`arg_${a.name}_hi`, u(32), { domain: cd, reset: 0 });
      m.when(writeTo(a.offset), () => lo.set(strobed(lo)));
      m.when(writeTo(a.offset + 4), () => hi.set(strobed(hi)));
      m.output(`arg_${a.name}`, u(64), a.doc).set(cat(hi, lo));
      words.push({ offset: a.offset, reg: lo }, { offset: a.offset + 4, reg: hi });
    }
  }

  // ---- read channel: one word at a time, rdata registered --------------------------------------
  const rdataQ = m.reg('rdata_q', u(32), { domain: cd, reset: 0 });
  arready.set(rvalidQ.not());
  const readValue = m.wire('read_value', u(32));
  const sw = m.switch(rWord)
    .is(CTRL.control >> 2, () => readValue.set(cat(lit(0, u(28)), readyBit, apIdle, doneBit, apStart)))
    .is(CTRL.gie >> 2, () => readValue.set(gie.zext(32)))
    .is(CTRL.ier >> 2, () => readValue.set(ier.zext(32)))
    .is(CTRL.isr >> 2, () => readValue.set(isr.zext(32)))
    .is(map.status >> 2, () => readValue.set(statusIn))
    .is(map.sat >> 2, () => readValue.set(satIn))
    .is(map.cycles >> 2, () => readValue.set(cyclesIn));
  for (const w of words) sw.is(w.offset >> 2, () => readValue.set(w.reg));
  sw.default(() => readValue.set(0));
  m.when(arFire, () => {
    rvalidQ.set(1);
    rdataQ.set(readValue);
  }).elsewhen(rready, () => rvalidQ.set(0));
  rvalid.set(rvalidQ);
  rdata.set(rdataQ);
  rresp.set(0);
  cache.set(key, m);
  return m;
}
