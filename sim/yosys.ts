/**
 * Yosys: read-and-check of emitted Verilog (warnings are failures), and Xilinx UltraScale+
 * synthesis (`synth_xilinx -family xcup`) with per-module resource counts and a latch check.
 * Per-module cached synthesis and timing (`sta`) are built on `runYosys` in flow/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runTool, SimulatorFailedError, toolVersion } from './tool.ts';
import { withTempDir } from './tempdir.ts';

export interface YosysCheck {
  ok: boolean;
  /** Warning lines (empty when ok). */
  warnings: string[];
  log: string;
}

function readCommands(files: readonly string[]): string {
  return files.map((f) => `read_verilog -noautowire ${JSON.stringify(f)}`).join('; ');
}

/** `yosys -V` (part of every cache key: another Yosys may synthesise differently). */
export function yosysVersion(): Promise<string> {
  return toolVersion('yosys', 'yosys', ['-V']);
}

/**
 * Run a Yosys script in a temporary folder (removed afterwards, also on error or SIGINT), or in
 * `opts.cwd` when the caller keeps the outputs. Returns the log; throws SimulatorFailedError
 * with the log tail when Yosys fails.
 */
export async function runYosys(script: string, what: string, opts: { cwd?: string } = {}): Promise<string> {
  const run = async (dir: string): Promise<string> => {
    const file = join(dir, 'run.ys');
    const logFile = join(dir, 'log.txt');
    await writeFile(file, script);
    const r = await runTool('yosys', ['-q', '-l', logFile, '-s', file], { tool: 'yosys', cwd: dir });
    const log = await readFile(logFile, 'utf8').catch(() => r.all);
    if (r.exitCode !== 0) throw new SimulatorFailedError(what, r.command, r.exitCode, r.all + '\n' + log);
    return log;
  };
  return opts.cwd !== undefined ? run(opts.cwd) : withTempDir('yosys-', run);
}

async function runScript(script: string, what: string): Promise<string> {
  return runYosys(script, what);
}

/**
 * Yosys 0.23's block-RAM mapping narrows the ports of the RAMB36E2 it picks ("Resizing cell
 * port ... ADDR/DIN/DOUT") and says so as a warning; that is its own techmap, not the design.
 */
const techmapNotes = /^Warning: Resizing cell port \S+\.(ADDR|DIN|DOUT)\w* from \d+ bits to \d+ bits\.$/;

export function warningsOf(log: string): string[] {
  return log.split('\n').map((l) => l.trim()).filter((l) => /^Warning:|^ERROR:/.test(l) && !techmapNotes.test(l));
}

/** Parse, elaborate and run `check -assert`: Yosys accepts the design with no warning. */
export async function yosysCheck(files: readonly string[], top: string): Promise<YosysCheck> {
  const log = await runScript(
    `${readCommands(files)}\nhierarchy -check -top ${top}\nproc\ncheck -assert\n`,
    'yosys check',
  ).catch((e: unknown) => {
    if (e instanceof SimulatorFailedError) return e.output;
    throw e;
  });
  const warnings = warningsOf(log);
  return { ok: warnings.length === 0 && !/ERROR/.test(log), warnings, log };
}

export interface Resources {
  lut: number;
  ff: number;
  dsp: number;
  bram: number;
  uram: number;
  /** LUTs used as distributed RAM (RAM32M16, RAM64M8, ...). */
  lutram: number;
  latches: number;
  cells: Record<string, number>;
}

export interface SynthResult {
  /** Per module (as Yosys names them), and `total` for the top with its hierarchy. */
  modules: Record<string, Resources>;
  /** Longest topological path per module in cells (`ltp -noff` after synthesis, Xilinx flip-flops excluded). */
  depth: Record<string, number>;
  total: Resources;
  warnings: string[];
  log: string;
}

export function classify(cells: Record<string, number>): Resources {
  let lut = 0, ff = 0, dsp = 0, bram = 0, uram = 0, lutram = 0, latches = 0;
  for (const [cell, n] of Object.entries(cells)) {
    if (/^LUT\d$/.test(cell) || cell === 'LUT6_2') lut += n;
    else if (/^FD[RSCP]E?(_1)?$/.test(cell) || cell === 'FDRE' || cell === 'FDSE' || cell === 'FDCE' || cell === 'FDPE') ff += n;
    else if (/^DSP48E[12]$/.test(cell)) dsp += n;
    else if (/^RAMB(18|36)E[12]$/.test(cell)) bram += n * (cell.startsWith('RAMB36') ? 1 : 0.5);
    else if (cell === 'URAM288' || cell === 'URAM288_BASE') uram += n;
    else if (/^RAM\d+[XM]/.test(cell)) lutram += n;
    else if (/^(LD[CP]E?|\$_DLATCH|\$dlatch)/.test(cell)) latches += n;
  }
  return { lut, ff, dsp, bram, uram, lutram, latches, cells };
}

/** Parse the `stat` output: one cell table per module, then the design hierarchy total. */
export function parseStat(log: string): { modules: Record<string, Resources>; total: Resources } {
  const modules: Record<string, Resources> = {};
  let total: Resources | undefined;
  const sections = log.split(/\n=== /);
  for (const sec of sections.slice(1)) {
    const name = sec.slice(0, sec.indexOf(' ===')).trim();
    const cells: Record<string, number> = {};
    for (const m of sec.matchAll(/^\s{5}(\S+)\s+(\d+)\s*$/gm)) cells[m[1]!] = Number(m[2]);
    if (name === 'design hierarchy') total = classify(cells);
    else modules[name] = classify(cells);
  }
  const only = Object.values(modules);
  return { modules, total: total ?? (only.length === 1 ? only[0]! : classify({})) };
}

/** `synth_xilinx -family xcup` of the design (hierarchy kept), with resource counts per module. */
export async function synthXilinx(
  files: readonly string[],
  top: string,
  opts: {
    flatten?: boolean;
    /** Names of the design's own modules: their instances are left out of ltp. */
    moduleNames?: readonly string[];
    /** Insert I/O and clock buffers at the top (Yosys's default, true); false for out-of-context counts. */
    ioBuffers?: boolean;
  } = {},
): Promise<SynthResult> {
  // ltp sees an instance as one combinational cell from all its inputs to all its outputs,
  // which invents loops through registered submodules: depth is measured inside each module,
  // without flip-flops and without instances.
  const exclude = ['FD*', ...(opts.moduleNames ?? [])].map((n) => `t:${n} %d`).join(' ');
  const log = await runScript(
    `${readCommands(files)}\nsynth_xilinx -family xcup -top ${top}${opts.flatten ? ' -flatten' : ''}${opts.ioBuffers === false ? ' -noiopad -noclkbuf' : ''}\nstat\nltp -noff * ${exclude}\n`,
    'yosys synth_xilinx',
  );
  const statLog = log.slice(log.lastIndexOf('Printing statistics'), log.lastIndexOf('Executing LTP'));
  const { modules, total } = parseStat(statLog);
  const depth: Record<string, number> = {};
  for (const mm of log.matchAll(/Longest topological path in (\S+) \(length=(\d+)\)/g)) depth[mm[1]!.replace(/^\\/, '')] = Number(mm[2]);
  return { modules, total, depth, warnings: warningsOf(log), log };
}
