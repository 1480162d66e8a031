/**
 * Renders the generic cycle-driven vector testbench (vector_tb.v.hbs).
 *
 * Input vector file fields: every input except the clock, in `ports` order.
 * Output vector file fields: every output, in `ports` order.
 * `vectorFields(opts)` returns both lists for use with testbenches/vectors.ts.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { VectorField } from './vectors.ts';

export interface PortSpec {
  name: string;
  direction: 'input' | 'output';
  width: number;
  signed: boolean;
}

export interface VectorTbOptions {
  tbName: string;
  dutModule: string;
  ports: PortSpec[];
  /** Name of the clock input, if any (1-bit input; not part of the input vectors). */
  clock?: string;
}

const TEMPLATE_URL = new URL('./vector_tb.v.hbs', import.meta.url);

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Verilog-2005 keywords plus SystemVerilog ones (Verilator parses .v files as SystemVerilog). */
const KEYWORDS = new Set(
  (
    'always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default ' +
    'defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive ' +
    'endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if ' +
    'ifnone incdir include initial inout input instance integer join large liblist library localparam ' +
    'macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter ' +
    'pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent rcmos real ' +
    'realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small ' +
    'specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 ' +
    'triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor ' +
    // SystemVerilog
    'alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte chandle ' +
    'class clocking const constraint context continue cover covergroup coverpoint cross dist do endclass ' +
    'endclocking endgroup endinterface endpackage endprogram endproperty endsequence enum expect export ' +
    'extends extern final first_match foreach forkjoin iff ignore_bins illegal_bins import inside int ' +
    'interface intersect join_any join_none local logic longint matches modport new null package packed ' +
    'priority program property protected pure rand randc randcase randsequence ref return sequence ' +
    'shortint shortreal solve static string struct super tagged this throughout timeprecision timeunit ' +
    'type typedef union unique var virtual void wait_order wildcard with within'
  ).split(' '),
);

/** Names used by the testbench itself (plus `tb_in_<port>` staging registers). */
const TB_INTERNAL = new Set([
  'u_dut',
  'tb_in_path',
  'tb_out_path',
  'tb_waves_path',
  'tb_fd_in',
  'tb_fd_out',
  'tb_max_cycles',
  'tb_cycle',
  'tb_line',
  'tb_ch',
  'tb_n',
  'tb_done',
]);

export class TestbenchSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TestbenchSpecError';
  }
}

let compiled: Handlebars.TemplateDelegate<TemplateData> | undefined;

interface DataInput {
  index: number;
  name: string;
  /** e.g. '8 bits' */
  bits: string;
  staging: string;
}

interface TemplateData {
  tbName: string;
  dutModule: string;
  clock: string | null;
  inputFieldList: string;
  outputFieldList: string;
  inputDecls: string[];
  outputDecls: string[];
  stagingDecls: string[];
  connections: string[];
  dataInputs: DataInput[];
  outputFormat: string;
  outputArgs: string;
}

function checkIdent(kind: string, name: string): void {
  if (typeof name !== 'string' || !IDENT_RE.test(name)) {
    throw new TestbenchSpecError(`${kind} '${String(name)}' is not a legal Verilog identifier`);
  }
  if (KEYWORDS.has(name)) throw new TestbenchSpecError(`${kind} '${name}' is a Verilog/SystemVerilog keyword`);
}

function validate(opts: VectorTbOptions): void {
  checkIdent('testbench name', opts.tbName);
  checkIdent('DUT module name', opts.dutModule);
  if (opts.tbName === opts.dutModule) {
    throw new TestbenchSpecError(`testbench name '${opts.tbName}' equals the DUT module name`);
  }
  const seen = new Set<string>();
  for (const p of opts.ports) {
    checkIdent('port name', p.name);
    if (seen.has(p.name)) throw new TestbenchSpecError(`duplicate port '${p.name}'`);
    seen.add(p.name);
    if (p.direction !== 'input' && p.direction !== 'output') {
      throw new TestbenchSpecError(`port '${p.name}': direction must be 'input' or 'output'`);
    }
    if (!Number.isSafeInteger(p.width) || p.width < 1) {
      throw new TestbenchSpecError(`port '${p.name}': invalid width ${p.width}`);
    }
    if (TB_INTERNAL.has(p.name) || p.name === opts.tbName || p.name === opts.dutModule) {
      throw new TestbenchSpecError(`port '${p.name}' clashes with a name used by the testbench`);
    }
  }
  for (const p of opts.ports) {
    if (p.direction === 'input' && seen.has(stagingName(p.name))) {
      throw new TestbenchSpecError(
        `port '${stagingName(p.name)}' clashes with the testbench staging register for input '${p.name}'`,
      );
    }
  }
  if (opts.clock !== undefined) {
    const clk = opts.ports.find((p) => p.name === opts.clock);
    if (!clk) throw new TestbenchSpecError(`clock '${opts.clock}' is not a port of ${opts.dutModule}`);
    if (clk.direction !== 'input' || clk.width !== 1) {
      throw new TestbenchSpecError(`clock '${opts.clock}' must be a 1-bit input`);
    }
  }
}

function stagingName(port: string): string {
  return `tb_in_${port}`;
}

function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0]`;
}

/** Aligned `kind signed [w-1:0] name;  // comment` declarations. */
function declarations(
  kind: 'reg' | 'wire',
  items: { name: string; width: number; signed: boolean; comment: string }[],
): string[] {
  const types = items.map((i) => [kind, i.signed ? 'signed' : '', range(i.width)].filter(Boolean).join(' '));
  const typeWidth = Math.max(0, ...types.map((t) => t.length));
  const stmts = items.map((i, k) => `${(types[k] as string).padEnd(typeWidth)} ${i.name};`);
  const stmtWidth = Math.max(0, ...stmts.map((s) => s.length));
  return items.map((i, k) => `${(stmts[k] as string).padEnd(stmtWidth)}  // ${i.comment}`);
}

function bits(width: number): string {
  return `${width} bit${width === 1 ? '' : 's'}`;
}

function describe(p: PortSpec): string {
  return `${bits(p.width)}${p.signed ? ', signed' : ''}`;
}

/** Fields of the input vector file (non-clock inputs) and output vector file (outputs), in port order. */
export function vectorFields(opts: VectorTbOptions): { inputs: VectorField[]; outputs: VectorField[] } {
  return {
    inputs: opts.ports
      .filter((p) => p.direction === 'input' && p.name !== opts.clock)
      .map((p) => ({ name: p.name, width: p.width })),
    outputs: opts.ports.filter((p) => p.direction === 'output').map((p) => ({ name: p.name, width: p.width })),
  };
}

function fieldList(fields: VectorField[]): string {
  return fields.length === 0 ? '(none)' : fields.map((f) => `${f.name}[${f.width}]`).join(' ');
}

export function renderVectorTestbench(opts: VectorTbOptions): string {
  validate(opts);
  const inputs = opts.ports.filter((p) => p.direction === 'input');
  const outputs = opts.ports.filter((p) => p.direction === 'output');
  const dataPorts = inputs.filter((p) => p.name !== opts.clock);
  const fields = vectorFields(opts);

  const nameWidth = Math.max(0, ...opts.ports.map((p) => p.name.length));
  const connections = opts.ports.map(
    (p, i) => `.${p.name.padEnd(nameWidth)} (${p.name})${i === opts.ports.length - 1 ? '' : ','}`,
  );

  const data: TemplateData = {
    tbName: opts.tbName,
    dutModule: opts.dutModule,
    clock: opts.clock ?? null,
    inputFieldList: fieldList(fields.inputs),
    outputFieldList: fieldList(fields.outputs),
    inputDecls: declarations(
      'reg',
      inputs.map((p) => ({
        ...p,
        comment: p.name === opts.clock ? 'clock' : `input field ${dataPorts.indexOf(p)}: ${describe(p)}`,
      })),
    ),
    // Output wires are declared unsigned: the vectors carry raw bits, and Verilator 5.006
    // prints a signed output it has folded to a constant with 32-bit width under %h.
    outputDecls: declarations(
      'wire',
      outputs.map((p, i) => ({ ...p, signed: false, comment: `output field ${i}: ${describe(p)}` })),
    ),
    stagingDecls: declarations(
      'reg',
      dataPorts.map((p) => ({ name: stagingName(p.name), width: p.width, signed: false, comment: p.name })),
    ),
    connections,
    dataInputs: dataPorts.map((p, i) => ({ index: i, name: p.name, bits: bits(p.width), staging: stagingName(p.name) })),
    outputFormat: outputs.map(() => '%h').join(' ') + '\\n',
    outputArgs: outputs.map((p) => `, ${p.name}`).join(''),
  };

  compiled ??= Handlebars.compile<TemplateData>(readFileSync(TEMPLATE_URL, 'utf8'), {
    noEscape: true,
    strict: true,
  });
  return compiled(data);
}
