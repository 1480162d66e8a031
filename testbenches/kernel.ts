/** Renders the kernel system testbench (testbenches/kernel_tb.v.hbs) for one kernel top. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export interface KernelTbPort {
  readonly name: string;
  readonly direction: 'input' | 'output';
  readonly width: number;
}

export interface KernelTbOptions {
  tbName: string;
  dut: string;
  /** AXI data bits of every master. */
  DW: number;
  /** Memory words of the model. */
  memWords: number;
  /** Address bits of s_axi_control. */
  ctlAddrBits: number;
  masters: readonly { name: string; writes: boolean; idBits: number }[];
  ports: readonly KernelTbPort[];
}

const template = Handlebars.compile(readFileSync(new URL('./kernel_tb.v.hbs', import.meta.url), 'utf8'), { noEscape: true, strict: true });

/** Ports the template declares itself. */
const OWN = new Set(['ap_clk', 'ap_rst_n']);

export function renderKernelTestbench(o: KernelTbOptions): string {
  if (o.DW !== 256 && o.DW !== 512) throw new RangeError(`kernel testbench DW = ${o.DW}: accepted 256 or 512`);
  if (!Number.isInteger(o.memWords) || o.memWords < 1) throw new RangeError(`kernel testbench memory of ${o.memWords} words: accepted positive integers`);
  const declarations = o.ports.filter((p) => !OWN.has(p.name)).map((p) => `  wire ${p.width > 1 ? `[${p.width - 1}:0] ` : ''}${p.name};`).join('\n');
  const connections = o.ports.map((p) => `    .${p.name}(${p.name})`).join(',\n');
  return template({
    tbName: o.tbName,
    dut: o.dut,
    DW: o.DW,
    DWB: o.DW / 8,
    SIZE: Math.log2(o.DW / 8),
    MEMW: o.memWords,
    CTLA: o.ctlAddrBits,
    masters: o.masters.map((m) => ({ name: m.name, writes: m.writes, idw: m.idBits })),
    declarations,
    connections,
  });
}
