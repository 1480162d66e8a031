/**
 * Timing estimate per module and for the design: the worst register-to-register logic delay
 * from Yosys `sta`, and the clock it implies once a routing allowance is added. An estimate of
 * logic delay without place and route, not a timing sign-off.
 *
 * What `sta` computes (Yosys 0.23, passes/cmds/sta.cc and kernel/timinginfo.h), and how the
 * register-to-register figure follows from it:
 * - It works on one flattened module. Primary inputs arrive at time 0; a cell's delays come
 *   from the specify blocks of its library model (cells_sim.v read with `-specify`, plus our
 *   models in flow/timing-models/). A register output arrives at its clock-to-out after its
 *   clock pin (`(posedge C => (Q : D)) = 303` for FDRE), so with the clock port at time 0 and
 *   no clock buffer in the netlist (synthesis runs with -noclkbuf), a register's Q arrives at
 *   its clock-to-out. A BUFG would add its 96 ps to the launch side only (sta has no capture
 *   clock): that is what a default synth_xilinx netlist shows, and why it reads 2.18 ns for a
 *   registered 32-bit add where the register-to-register delay is 2.09 ns.
 * - Endpoint setup is added where the library has one: a cell input with a `$setup` is an
 *   endpoint and its setup is added to the arrival (FDRE CE 109, R 404; DSP and RAM inputs
 *   per their models). FDRE D has setup 0 in the library (7-series -46 ps; Yosys drops
 *   negative values), so a D endpoint adds nothing (flip-flops.v: 1 ps to win ties, taken
 *   off again in parseSta).
 * - The reported figure is the largest arrival (plus setup at endpoints) at ANY net, not only
 *   at endpoints. So paths from primary inputs and paths into primary outputs count, and so do
 *   nets that lead nowhere timed. For a register-to-register figure we therefore remove the
 *   module's ports (inputs but the clock stop driving anything, outputs stop being ports),
 *   keep every cell with a setup check, and let `opt_clean` delete the logic that only fed the
 *   outputs. What is left: clock -> register -> logic -> register, so the figure is
 *   clock-to-out + logic + setup of one register-to-register path, exactly what a clock period
 *   must cover (before routing and clock skew). Paths from and to the top's ports are left
 *   out: they depend on the logic around the design (constrain them in the FPGA project).
 * - A module without a clock has no register: its figure is its worst input-to-output delay
 *   (ports kept), which its parent's run sees as part of a longer path.
 *
 * Hierarchy: each module's run reads its own netlist and its children's interface logic models
 * (staScript), so no run flattens the whole design; a module's figure is the worst of its own
 * run and its children's figures (checked against a whole-design run in timing.test.ts).
 *
 * DSP tile primitives (`Module.primitive`, hdl/dsp.ts) are written in the register pattern
 * Vivado absorbs into one DSP48E2, but Yosys keeps their registers in fabric. A parent's run
 * therefore reads each tile as a blackbox with a slice model (primitiveModel): with both
 * register flags, its inputs are register endpoints (input-register setup) and its output a
 * register startpoint (P clock-to-out); otherwise the combinational part of the slice. The
 * tile's own internal stages are bounded by the data-sheet FMAX (775 MHz with all registers).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmittedDesign, EmittedModule } from '../hdl/verilog.ts';
import { Module, Signal, type PrimitiveInfo } from '../hdl/module.ts';
import { KeyHasher, getOrCreateCacheEntry } from '../sim/cache.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { runYosys, yosysVersion } from '../sim/yosys.ts';
import { createLimiter, secondsSince } from './jobs.ts';
import { yosysCacheRoot, type DesignSynth, type FlowOptions, type ModuleSynth } from './synth.ts';
import { CLOCK_TREE_FMAX_MHZ, DS923_DSP_FMAX_MHZ, DSP48E2_PS } from './timing-models/dsp48e2.ts';

const TIMING_FORMAT = 4;

const modelDir = join(dirname(fileURLToPath(import.meta.url)), 'timing-models');
/** Our `-specify` models of cells the Yosys library leaves without delays. */
export const MODEL_FILES = [join(modelDir, 'dsp48e2.v'), join(modelDir, 'ultrascale-cells.v'), join(modelDir, 'flip-flops.v')];

/** flip-flops.v gives D a 1 ps setup so that flip-flops win ties against nets leading nowhere; taken off again here. */
export const FF_D_SETUP_TIEBREAK_PS = 1;

/**
 * Routing allowance: estimated clock period = worst logic delay x CELL_SCALE / (1 - ROUTING_SHARE).
 *
 * - CELL_SCALE 0.6: the library's cell delays are 7-series figures (Project X-Ray, Artix-7),
 *   pessimistic for UltraScale+. The one path we can compare on both sides is the DSP's
 *   two-register multiply without MREG: 2868 ps in the library's DSP48E1 model (AREG
 *   clock-to-out 2952 - 2823 = 129, plus A -> PREG setup 2739) against 1838 ps from DS923's
 *   FMAX_MULT_NOMREG (544 MHz, -2): 0.64. Block RAM clock-to-out, UG949's "about 1.5 ns without
 *   the output register and 0.4 ns with it" for UltraScale+ against the library's 2454 / 882
 *   ps: 0.61 and 0.45. We take 0.6; AMD publishes no UltraScale+ LUT or carry delays.
 * - ROUTING_SHARE 0.5: AMD UG949 ("Datapath Delay and Logic Levels") calls an UltraScale path
 *   cell-dominated when cells exceed 50% of its delay and route-dominated when routing does:
 *   routing about equal to cell delay is the expected balance.
 * So the estimated period is 1.2 x the logic delay: a registered 32-bit add (2.09 ns here)
 * estimates 400 MHz, a 64-bit add (3.0 ns) 278 MHz, a 3.5 ns path 238 MHz. Paths inside a DSP
 * slice get no allowance (the data-sheet FMAX covers them), and nothing goes above the global
 * clock tree's FMAX (775 MHz).
 */
export const ROUTING_MODEL = {
  cellScale: 0.6,
  routingShare: 0.5,
  text: 'estimated period = logic x 0.6 (UltraScale+ vs the 7-series cell delays) / (1 - 0.5 routing share, UG949)',
} as const;

export interface TimingPath {
  /** Module whose run found the path: the module itself, or the child whose own figure is the worst. */
  module: string;
  /** Start register (or input), as Yosys names it after flattening (`lane0.acc.y_q[5]`). */
  from: string;
  /** End register (or output), with the endpoint pin. */
  to: string;
  /** Cells on the path after the start register. */
  cells: number;
}

export interface ModuleTiming {
  name: string;
  /**
   * reg-to-reg: worst register-to-register logic delay; in-to-out: a module without a clock,
   * its worst input-to-output delay; primitive: a DSP tile, its slice's data-sheet stage;
   * none: no timed path at all.
   */
  kind: 'reg-to-reg' | 'in-to-out' | 'primitive' | 'none';
  worstLogicNs: number | null;
  path: TimingPath | null;
  /** Lowest data-sheet FMAX of a DSP tile primitive at or below this module. */
  primitiveBound: { mhz: number; module: string; what: string } | null;
  routingAllowanceNs: number | null;
  estimatedMHz: number | null;
  /** Cell types `sta` had no delays for (paths through them are missing). */
  unmodelledCells: string[];
  cached: boolean;
}

/** Estimated clock for a register-to-register logic delay, capped by primitive and clock-tree FMAX. */
export function estimateClock(worstLogicNs: number, boundMHz: number | null = null): { periodNs: number; routingAllowanceNs: number; estimatedMHz: number } {
  const period = (worstLogicNs * ROUTING_MODEL.cellScale) / (1 - ROUTING_MODEL.routingShare);
  const mhz = Math.min(1000 / period, boundMHz ?? Infinity, CLOCK_TREE_FMAX_MHZ);
  return { periodNs: 1000 / mhz, routingAllowanceNs: period - worstLogicNs, estimatedMHz: mhz };
}

/** The slice's own register-to-register stages, bounded by DS923 FMAX (null: none inside). */
export function primitiveInternalBound(p: PrimitiveInfo): { mhz: number; what: string } | null {
  if (p.inputsRegistered && p.outputRegistered && p.latency >= 3) {
    return { mhz: DS923_DSP_FMAX_MHZ.allRegisters, what: 'DSP48E2 with all registers (DS923 FMAX, -2)' };
  }
  if (p.inputsRegistered && p.outputRegistered && p.latency === 2) {
    return { mhz: DS923_DSP_FMAX_MHZ.multiplyWithoutMreg, what: 'DSP48E2 multiply without MREG (DS923 FMAX_MULT_NOMREG, -2)' };
  }
  if (p.latency >= 2) return { mhz: DS923_DSP_FMAX_MHZ.allRegisters, what: 'DSP48E2 M register stage (DS923 FMAX, -2)' };
  return null;
}

/** Clock inputs of a module: its domains' clocks, and inputs it passes to its children's clocks. */
export function clockPorts(em: EmittedModule): string[] {
  const names = new Set(em.module.domains.map((d) => d.clock.name));
  for (const inst of em.module.instances) {
    if (!(inst.target instanceof Module)) continue;
    for (const d of inst.target.domains) {
      const bound = inst.inputs.get(d.clock.name);
      if (bound instanceof Signal && bound.kind === 'input') names.add(bound.name);
    }
  }
  return [...names].sort();
}

/**
 * `-specify` blackbox of a DSP tile primitive for its parents' timing runs: the slice it will
 * be once Vivado absorbs its registers (see the header of this file and dsp48e2.v).
 */
export function primitiveModel(em: EmittedModule): string {
  const p = em.module.primitive;
  if (!p) throw new Error(`${em.name} is not a primitive module`);
  const clocks = clockPorts(em);
  const ports = em.module.portInfo();
  const range = (w: number): string => (w > 1 ? `[${w - 1}:0] ` : '');
  const clk = clocks[0];
  const ins = ports.filter((x) => x.direction === 'input' && !clocks.includes(x.name));
  const outs = ports.filter((x) => x.direction === 'output');
  const T = DSP48E2_PS;
  const arcs: string[] = [];
  // Inputs: the input registers' setup, or the path to the first register inside the slice.
  const inputRequired = p.inputsRegistered ? T.setupB : p.latency >= 2 ? T.stageAllRegisters : p.latency === 1 ? T.stageMultiplyWithoutMreg : null;
  // Output: the P register's clock-to-out, or the path from the last register inside the slice.
  const outputArrival = p.outputRegistered ? T.clockToP : p.latency >= 2 ? T.stageAllRegisters : p.latency === 1 ? T.stageMultiplyWithoutMreg : null;
  if (clk !== undefined) {
    for (const i of ins) if (inputRequired !== null) arcs.push(`    $setup(${i.name}, posedge ${clk}, ${inputRequired});`);
    for (const o of outs) if (outputArrival !== null) arcs.push(`    (posedge ${clk} => (${o.name} : ${o.width}'bx)) = ${outputArrival};`);
  }
  if (p.latency === 0 || clk === undefined) {
    for (const i of ins) for (const o of outs) arcs.push(`    (${i.name} *> ${o.name}) = ${T.stageMultiplyWithoutMreg};`);
  }
  return [
    `// Timing model of DSP tile ${em.name}: ${JSON.stringify(p)} (flow/timing.ts primitiveModel).`,
    '(* blackbox *)',
    `module ${em.name} (${ports.map((x) => x.name).join(', ')});`,
    ...ports.map((x) => `  ${x.direction} ${range(x.width)}${x.name};`),
    '  specify',
    ...arcs,
    '  endspecify',
    'endmodule',
    '',
  ].join('\n');
}

export interface StaPath {
  arrivalPs: number;
  from: string;
  to: string;
  cells: number;
  /** The path ends at a net nothing timed reads (an unused output bit of a cell). */
  deadEnd: boolean;
}

/** Yosys names made readable: no leading backslash, `x [3]` -> `x[3]`, `y[5]\FDRE` -> `y[5]`. */
export function readableName(s: string): string {
  return s
    .trim()
    .replace(/^\\/, '')
    .replace(/\$flatten\\/g, '')
    .replace(/(^|\.)__ilm_(in|out)\./g, '$1')
    .replace(/ \[(\d+)\]$/, '[$1]')
    .replace(/\\(FD[RSCP]E(_1|_ENDPOINT)?)$/, '');
}

/**
 * The critical path of an `sta` log, or null when it found none. `sta` prints it from the
 * endpoint back to the primary input: the endpoint line, then for each net its name and the
 * line of the cell driving it (`arrival cell (TYPE.FROM->TO)`), then the primary input. A path
 * that starts at one of `clocks` starts at the register clocked by it (the last driver).
 */
export function parseSta(log: string, clocks: readonly string[] = []): StaPath | null {
  const start = log.indexOf('Latest arrival time in');
  if (start < 0) return null;
  const lines = log.slice(start).split('\n');
  const head = /Latest arrival time in '.*' is (-?\d+):/.exec(lines[0]!);
  if (!head) return null;
  let to = '';
  let endsAtFlipFlopD = false;
  const nets: string[] = [];
  const drivers: { cell: string; type: string; arc: string }[] = [];
  let input: string | undefined;
  for (const line of lines.slice(1)) {
    if (/^Arrival histogram:|^End of script/.test(line)) break;
    if (/^Warning:/.test(line) || line.trim() === '') continue;
    let m: RegExpExecArray | null;
    if ((m = /^\s*-?\d+\s+(.+) \(<primary input>\)$/.exec(line))) {
      input = readableName(m[1]!);
      break;
    }
    if ((m = /^\s*-?\d+ (.+) \(([^.()]+)\.(\S+)->(\S+)\)$/.exec(line))) {
      drivers.push({ cell: m[1]!, type: m[2]!, arc: `${m[3]}->${m[4]}` });
    } else if (!to && (m = /^\s*-?\d+ \((<unknown>|<primary output>)\)$/.exec(line))) {
      to = m[1]!;
    } else if (!to && (m = /^\s*-?\d+ (.+) \(([^.()]+)\.(\S+)\)$/.exec(line))) {
      endsAtFlipFlopD = /^FD[RSCP]E(_ENDPOINT)?$/.test(m[2]!) && m[3] === 'D';
      to = endsAtFlipFlopD ? readableName(m[1]!) : `${readableName(m[1]!)} (${m[2]}.${m[3]})`;
    } else if ((m = /^\s{6,}(\S.*)$/.exec(line))) {
      nets.push(m[1]!);
    }
  }
  const deadEnd = to === '<unknown>';
  if (to === '<unknown>' || to === '<primary output>') {
    to = `${readableName(nets[0] ?? '?')} (${deadEnd ? 'no timed endpoint' : 'output'})`;
  }
  const last = drivers.at(-1);
  const fromRegister = last !== undefined && input !== undefined && clocks.includes(input);
  let from = input ?? '?';
  if (fromRegister) {
    // nets[i] is the output of drivers[i]. A flip-flop is named after the net it drives (its
    // register); a RAM, DSP or tile by its cell, since its output net may carry a reader's name.
    const q = readableName(nets[drivers.length - 1] ?? '');
    if (/^FD/.test(last.type)) from = q && !q.startsWith('$') ? q : readableName(last.cell);
    else from = `${readableName(last.cell)} (${last.type}.${last.arc})`;
  }
  const arrivalPs = Number(head[1]) - (endsAtFlipFlopD ? FF_D_SETUP_TIEBREAK_PS : 0);
  return { arrivalPs, from, to, cells: fromRegister ? drivers.length - 1 : drivers.length, deadEnd };
}

const FLIP_FLOPS = 'FDRE,FDSE,FDCE,FDPE';
const BRAMS = 'RAMB18E2,RAMB36E2';
const BRAM_OUTPUTS = 'DOUTADOUT,DOUTBDOUT,DOUTPADOUTP,DOUTPBDOUTP,CASDOUTA,CASDOUTB,CASDOUTPA,CASDOUTPB';
const BRAM_INPUTS = 'ADDRARDADDR,ADDRBWRADDR,ADDRENA,ADDRENB,DINADIN,DINBDIN,DINPADINP,DINPBDINP,WEA,WEBWE,ENARDEN,ENBWREN,REGCEAREGCE,REGCEB,RSTRAMARSTRAM,RSTRAMB,RSTREGARSTREG,RSTREGB,CLKARDCLK,CLKBWRCLK';

export interface ScriptInput {
  top: string;
  clocks: readonly string[];
  /** The module's own netlist, then the interface models of its children. */
  netlists: readonly string[];
  primitives: string | null;
  /** Registered DSP tile primitives met in the run: where their input / output cones stop. */
  tiles: readonly { name: string; inputs: readonly string[]; outputs: readonly string[]; inputsRegistered: boolean; outputRegistered: boolean }[];
  /** Write `ilm.il`, the module's interface logic model, for its parents' runs (needs `ilmWrapper`). */
  writeIlm: boolean;
  /** Verilog of the model's top (ilmWrapperText), written beside the script. */
  ilmWrapper?: string;
}

/** Names of the two halves of an interface logic model (flattened away in the parent's run). */
const ILM_IN = '__ilm_in';
const ILM_OUT = '__ilm_out';

/**
 * Top of a module's interface logic model: the module's ports, feeding the input half and
 * driven by the output half (see staScript).
 */
export function ilmWrapperText(name: string, ports: readonly { name: string; direction: 'input' | 'output'; width: number }[]): string {
  const range = (w: number): string => (w > 1 ? `[${w - 1}:0] ` : '');
  const ins = ports.filter((p) => p.direction === 'input');
  const conn = (list: readonly { name: string }[]): string => list.map((p) => `.${p.name}(${p.name})`).join(', ');
  return [
    `module ${name} (${ports.map((p) => p.name).join(', ')});`,
    ...ports.map((p) => `  ${p.direction} ${range(p.width)}${p.name};`),
    `  ${name}${ILM_IN} ${ILM_IN} (${conn(ins)});`,
    `  ${name}${ILM_OUT} ${ILM_OUT} (${conn(ports)});`,
    'endmodule',
    '',
  ].join('\n');
}

/**
 * The Yosys script of one module's run. Before cutting its ports, the run can write the
 * module's interface logic model (ILM), flattened, in two halves side by side:
 * - the input half: the logic from the inputs forward to the first registers, whose
 *   flip-flops keep their setup checks but launch nothing (flip-flops.v `*_ENDPOINT`), so
 *   only paths entering the module run through it;
 * - the output half: the logic from the last registers (which launch) forward to the outputs,
 *   found backwards from the outputs; it also holds the input-to-output combinational paths.
 * A parent's run reads its children's models instead of their whole netlists: every path that
 * crosses a child's boundary lies in them (entering: input half; leaving, or passing through:
 * output half), and the paths inside a child are the child's own figure. Each half is a
 * sub-netlist of the child, so the model adds no path the design does not have; the cones stop
 * only at cells clocked on that side (flip-flops, block RAM, registered tile ports) and run on
 * through LUT RAM, shift registers and DSPs, which keeps more than needed, never less.
 */
export function staScript(o: ScriptInput): string {
  const q = (f: string): string => JSON.stringify(f);
  const lines = [
    'read_verilog -lib -specify +/xilinx/cells_sim.v',
    'read_verilog -lib +/xilinx/cells_xtra.v',
    `read_verilog -lib -specify -overwrite ${MODEL_FILES.map(q).join(' ')}`,
  ];
  if (o.primitives) lines.push(`read_verilog -lib -specify ${q(o.primitives)}`);
  lines.push(`read_rtlil ${o.netlists.map(q).join(' ')}`);
  lines.push(`hierarchy -top ${o.top}`, 'flatten');
  // Cells with a setup check stay even when the cut below leaves their outputs unread.
  lines.push(`setattr -set keep 1 t:FD* t:RAM* t:SRL* t:URAM* ${o.tiles.filter((t) => t.inputsRegistered).map((t) => `t:${t.name}`).join(' ')}`);
  for (const r of ['AREG', 'BREG', 'CREG', 'DREG', 'ADREG', 'MREG', 'PREG']) lines.push(`setattr -set keep 1 t:DSP48E2 r:${r}>0 %i`);
  if (o.writeIlm) {
    if (!o.ilmWrapper) throw new Error(`staScript: ${o.top}: an interface model needs its wrapper file`);
    const fwdStops = [`-${FLIP_FLOPS}[Q]`, `-${BRAMS}[${BRAM_OUTPUTS}]`, ...o.tiles.filter((t) => t.outputRegistered && t.outputs.length).map((t) => `-${t.name}[${t.outputs.join(',')}]`)];
    const bwdStops = [`-${FLIP_FLOPS}[D,CE,R,S,CLR,PRE,C]`, `-${BRAMS}[${BRAM_INPUTS}]`, ...o.tiles.filter((t) => t.inputsRegistered && t.inputs.length).map((t) => `-${t.name}[${t.inputs.join(',')}]`)];
    const starts = ['i:*', ...o.clocks.map((c) => `w:${c} %d`)].join(' ');
    const M = o.top;
    lines.push('design -save full');
    // Input half: forward from the inputs; its flip-flops only end paths; no outputs.
    lines.push(`select -set fwd ${starts} %co*:${fwdStops.join(':')}`);
    lines.push(`delete ${M}/t:* @fwd %d`);
    for (const ff of FLIP_FLOPS.split(',')) lines.push(`chtype -set ${ff}_ENDPOINT ${M}/t:${ff}`);
    lines.push(`delete -output ${M}/o:*`, 'opt_clean', `rename ${M} ${M}${ILM_IN}`, 'design -save ilm_in', 'design -load full');
    // Output half: backward from the outputs.
    lines.push(`select -set bwd o:* %ci*:${bwdStops.join(':')}`);
    lines.push(`delete ${M}/t:* @bwd %d`, 'opt_clean', `rename ${M} ${M}${ILM_OUT}`);
    lines.push(`design -copy-from ilm_in ${M}${ILM_IN}`, `read_verilog ${q(o.ilmWrapper)}`, `hierarchy -top ${M}`, 'flatten');
    lines.push(`select ${M}`, 'write_rtlil -selected ilm.il', 'select -clear', 'design -load full');
  }
  if (o.clocks.length > 0) {
    // Register to register only: inputs (but the clocks) stop driving, outputs stop being
    // ports, and the logic that only fed the outputs goes.
    lines.push(`delete -input i:* ${o.clocks.map((c) => `w:${c} %d`).join(' ')}`);
    lines.push('delete -output o:*');
    lines.push('opt_clean');
    lines.push('rename -wire t:FD*');
  }
  lines.push('sta');
  return lines.join('\n') + '\n';
}

interface StaResult {
  kind: 'reg-to-reg' | 'in-to-out' | 'none';
  path: StaPath | null;
  unmodelled: string[];
}

/**
 * What one run found, read from its `sta` log (the cache keeps the log, so a better parser
 * needs no new Yosys run).
 */
function staResultOf(log: string, clocks: readonly string[]): StaResult {
  const found = parseSta(log, clocks);
  // A bare clock-to-out into nothing: the module has no register-to-register path.
  const path = found && !(found.deadEnd && found.cells === 0) ? found : null;
  return { kind: path ? (clocks.length > 0 ? 'reg-to-reg' : 'in-to-out') : 'none', path, unmodelled: unmodelledOf(log) };
}

/** Cell types without delays, from `sta`'s warnings. */
function unmodelledOf(log: string): string[] {
  const types = new Set<string>();
  for (const m of log.matchAll(/Warning: (?:Cell type '(.+?)' not recognised|Module '(.+?)' has no timing arcs)/g)) types.add((m[1] ?? m[2])!.replace(/^\\/, ''));
  return [...types].sort();
}

interface ModuleRun {
  timing: ModuleTiming;
  /** The module's interface logic model (null for the design's top). */
  ilm: string | null;
  key: string;
  /** DSP tile primitives at or below the module. */
  primitives: Set<string>;
}

/**
 * Timing of every module of a synthesised design (cached, in parallel). A module's figure is
 * the worst of its own run (its logic with its children's interface models) and its children's
 * figures; the design's figures are the top's.
 */
export async function timeDesign(
  design: EmittedDesign,
  synth: DesignSynth | Promise<DesignSynth>,
  opts: FlowOptions & { synthJobs?: ReadonlyMap<string, Promise<ModuleSynth>> } = {},
): Promise<Map<string, ModuleTiming>> {
  const root = opts.cacheRoot ?? yosysCacheRoot();
  const limit = opts.limit ?? createLimiter();
  const version = await yosysVersion();
  const modelText = (await Promise.all(MODEL_FILES.map((f) => readFile(f, 'utf8')))).join('\n');
  const byName = new Map(design.modules.map((m) => [m.name, m]));
  const synthOf = async (name: string): Promise<ModuleSynth> => {
    const job = opts.synthJobs?.get(name);
    if (job) return job;
    const s = (await synth).modules.find((m) => m.name === name);
    if (!s) throw new Error(`timing: module '${name}' was not synthesised`);
    return s;
  };
  const N = design.modules.filter((m) => !m.module.primitive).length;
  let finished = 0;
  const boundOf = (primitives: Iterable<string>): ModuleTiming['primitiveBound'] => {
    let best: ModuleTiming['primitiveBound'] = null;
    for (const p of primitives) {
      const b = primitiveInternalBound(byName.get(p)!.module.primitive!);
      if (b && (!best || b.mhz < best.mhz)) best = { ...b, module: p };
    }
    return best;
  };
  const primitiveTiming = (em: EmittedModule): ModuleTiming => {
    const b = primitiveInternalBound(em.module.primitive!);
    return {
      name: em.name,
      kind: 'primitive',
      worstLogicNs: b ? 1000 / b.mhz : null,
      path: b ? { module: em.name, from: 'slice input registers', to: 'slice P register', cells: 0 } : null,
      primitiveBound: b ? { ...b, module: em.name } : null,
      routingAllowanceNs: b ? 0 : null,
      estimatedMHz: b ? b.mhz : null,
      unmodelledCells: [],
      cached: true,
    };
  };

  const runs = new Map<string, Promise<ModuleRun>>();
  const runOf = (name: string): Promise<ModuleRun> => {
    let r = runs.get(name);
    if (!r) {
      r = run(byName.get(name)!);
      runs.set(name, r);
    }
    return r;
  };
  const run = async (em: EmittedModule): Promise<ModuleRun> => {
    const s = await synthOf(em.name);
    const childNames = Object.keys(s.instances).sort();
    const childRuns = await Promise.all(childNames.filter((c) => !byName.get(c)!.module.primitive).map((c) => runOf(c)));
    const primitives = new Set<string>(childNames.filter((c) => byName.get(c)!.module.primitive));
    for (const c of childRuns) for (const p of c.primitives) primitives.add(p);
    const prims = [...primitives].sort();
    const primText = prims.map((n) => primitiveModel(byName.get(n)!)).join('\n');
    const tiles = prims.map((n) => {
      const m = byName.get(n)!.module;
      const clocks = clockPorts(byName.get(n)!);
      const ports = m.portInfo();
      return {
        name: n,
        inputs: ports.filter((p) => p.direction === 'input').map((p) => p.name),
        outputs: ports.filter((p) => p.direction === 'output').map((p) => p.name),
        inputsRegistered: m.primitive!.inputsRegistered && clocks.length > 0,
        outputRegistered: m.primitive!.outputRegistered && clocks.length > 0,
      };
    });
    const clocks = clockPorts(em);
    const writeIlm = em.name !== design.top;
    const wrapper = ilmWrapperText(em.name, em.module.portInfo());
    const scriptFor = (netlists: readonly string[], primitivesFile: string | null, wrapperFile: string): string =>
      staScript({ top: em.name, clocks, netlists, primitives: primitivesFile, tiles, writeIlm, ilmWrapper: wrapperFile });
    const template = scriptFor([`<${em.name}>`, ...childRuns.map((c) => `<ilm ${c.timing.name}>`)], prims.length ? '<primitives>' : null, '<wrapper>');
    const h = new KeyHasher().add('format', String(TIMING_FORMAT)).add('tool', 'yosys sta').add('version', version).add('script', template).add('models', modelText);
    h.add('netlist', s.key);
    for (const c of childRuns) h.add('child', `${c.timing.name}:${c.key}`);
    h.add('primitives', primText).add('wrapper', writeIlm ? wrapper : '');
    const key = h.digest();
    const { entry, seconds } = await limit(async () => {
      const t0 = performance.now();
      const entry = await getOrCreateCacheEntry({
        root,
        name: `sta-${em.name.slice(0, 60)}-${key.slice(0, 16)}`,
        isComplete: async (dir) => (await readFile(join(dir, 'sta.log'), 'utf8').then(() => true, () => false)),
        create: (out) =>
          withTempDir('yosys-sta-', async (work) => {
            const primFile = join(work, 'primitives.v');
            const wrapperFile = join(work, 'ilm_wrapper.v');
            if (prims.length) await writeFile(primFile, primText);
            if (writeIlm) await writeFile(wrapperFile, wrapper);
            const script = scriptFor([join(s.dir, 'netlist.il'), ...childRuns.map((c) => c.ilm!)], prims.length ? primFile : null, wrapperFile);
            const log = await runYosys(script, `yosys sta of ${em.name}`, { cwd: work });
            if (writeIlm) await writeFile(join(out, 'ilm.il'), await readFile(join(work, 'ilm.il')));
            await writeFile(join(out, 'script.ys'), script);
            await writeFile(join(out, 'sta.log'), log.slice(log.lastIndexOf('Executing STA pass')));
          }),
      });
      return { entry, seconds: secondsSince(t0) };
    });
    const stored = staResultOf(await readFile(join(entry.dir, 'sta.log'), 'utf8'), clocks);
    finished++;
    opts.onProgress?.(`yosys sta [${finished}/${N}] ${em.name} ${entry.cached ? 'cached' : seconds}`);
    // The module's figure: its own run, or a child's figure when that is worse.
    let kind: ModuleTiming['kind'] = stored.kind;
    let logicNs = stored.path ? stored.path.arrivalPs / 1000 : null;
    let path: TimingPath | null = stored.path ? { module: em.name, from: stored.path.from, to: stored.path.to, cells: stored.path.cells } : null;
    const unmodelled = new Set(stored.unmodelled);
    for (const c of childRuns) {
      for (const u of c.timing.unmodelledCells) unmodelled.add(u);
      if (c.timing.kind !== 'reg-to-reg' || c.timing.worstLogicNs === null) continue;
      if (kind === 'in-to-out') continue;
      if (logicNs === null || c.timing.worstLogicNs > logicNs) {
        kind = 'reg-to-reg';
        logicNs = c.timing.worstLogicNs;
        path = c.timing.path;
      }
    }
    const bound = boundOf(primitives);
    const est = kind === 'reg-to-reg' && logicNs !== null ? estimateClock(logicNs, bound?.mhz ?? null) : null;
    return {
      timing: {
        name: em.name,
        kind,
        worstLogicNs: logicNs,
        path,
        primitiveBound: bound,
        routingAllowanceNs: est ? est.routingAllowanceNs : null,
        estimatedMHz: est ? est.estimatedMHz : null,
        unmodelledCells: [...unmodelled].sort(),
        cached: entry.cached,
      },
      ilm: writeIlm ? join(entry.dir, 'ilm.il') : null,
      key,
      primitives,
    };
  };

  const results = new Map<string, ModuleTiming>();
  await Promise.all(
    design.modules.map(async (em) => {
      results.set(em.name, em.module.primitive ? primitiveTiming(em) : (await runOf(em.name)).timing);
    }),
  );
  return new Map(design.modules.map((m) => [m.name, results.get(m.name)!]));
}
