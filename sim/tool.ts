/**
 * Shared pieces of the tool drivers: simulator request/result types, errors, running an
 * external tool (execa) and its version. Backends (verilator.ts, icarus.ts) and yosys.ts import
 * this module; simulator.ts dispatches to the backends, so nothing here imports a backend.
 */
import { constants as osConstants } from 'node:os';
import { stat } from 'node:fs/promises';
import { execa } from 'execa';

export type SimulatorName = 'verilator' | 'icarus';
export type WaveFormat = 'vcd' | 'fst';

/** Executable names/paths of the external tools (defaults: looked up on PATH). */
export interface SimTools {
  verilator?: string;
  iverilog?: string;
  vvp?: string;
  make?: string;
}

export interface SimBuildRequest {
  simulator: SimulatorName;
  /** Name of the testbench top module. */
  top: string;
  /** Absolute paths of Verilog files (DUT + testbench), in compile order. */
  sources: string[];
  includeDirs?: string[];
  defines?: Record<string, string | number>;
  /** Simulator-specific extra build args (e.g. Verilator `--x-assign unique`). */
  extraArgs?: string[];
  /** Default: `<project>/.cache/sim`. */
  cacheRoot?: string;
  /**
   * Verilator only: compile in waveform tracing. Not needed normally: `run({ waves })`
   * builds (and caches) a tracing variant on demand. Icarus always supports waves.
   */
  trace?: WaveFormat;
  /** Override tool executables (e.g. for tests, or non-PATH installs). */
  tools?: SimTools;
}

export interface SimRunOptions {
  plusargs?: Record<string, string | number | boolean>;
  /** Working directory of the simulation (default: process.cwd()). */
  cwd?: string;
  /** Path of a .vcd or .fst file to write; passed to the testbench as `+waves=<abs path>`. */
  waves?: string;
  /** Kill the simulation after this long (default 10 min; 0 = no limit). */
  timeoutMs?: number;
  /** Verilator: `+verilator+seed+N` (seeds $random and random reset). Ignored by Icarus. */
  seed?: number;
  /**
   * Verilator: `+verilator+rand+reset+2`, i.e. randomize variables without an initial
   * value (needs `--x-initial unique`, Verilator's default). A random seed is chosen if
   * `seed` is not given; it is returned in the result. Ignored by Icarus (which uses x).
   */
  randomReset?: boolean;
}

export interface SimRunResult {
  stdout: string;
  stderr: string;
  /** Process exit code; 128+N if killed by signal N (Verilator `$fatal` aborts: 134). */
  exitCode: number;
  durationMs: number;
  /** Verilator: the seed passed with +verilator+seed+N, if any. */
  seed?: number;
  /** The exact command line run (for logs). */
  command: string;
}

export interface SimBuild {
  simulator: SimulatorName;
  /** Cache directory of this build. */
  dir: string;
  /** Full SHA-256 build key. */
  hash: string;
  /** True if the build was found in the cache. */
  cached: boolean;
  /** Tool output of the build (warnings etc.). */
  log: string;
  run(opts?: SimRunOptions): Promise<SimRunResult>;
}

// ---------------------------------------------------------------------------
// Errors

export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const INSTALL_HINT: Record<string, string> = {
  verilator: 'apt-get install -y verilator',
  iverilog: 'apt-get install -y iverilog',
  vvp: 'apt-get install -y iverilog',
  make: 'apt-get install -y make',
  'g++': 'apt-get install -y g++',
};

/** A required tool (simulator, make, C++ compiler) is not installed / not on PATH. */
export class SimulatorMissingError extends SimulatorError {
  readonly tool: string;
  readonly executable: string;

  constructor(tool: string, executable: string = tool) {
    const hint = INSTALL_HINT[tool] ?? `install ${tool}`;
    const tried = executable === tool ? `'${tool}' is not on PATH` : `tried '${executable}'`;
    super(`${tool} not found (${tried}). Install it with \`${hint}\` (Debian/Ubuntu), or run \`make deps\`.`);
    this.tool = tool;
    this.executable = executable;
  }
}

/** A tool ran and failed (build error, crashed simulation, ...). */
export class SimulatorFailedError extends SimulatorError {
  readonly command: string;
  readonly exitCode: number | undefined;
  /** Tail of the tool output (stdout + stderr). */
  readonly output: string;

  constructor(what: string, command: string, exitCode: number | undefined, output: string, detail?: string) {
    const tail = tailLines(output, 80, 12_000);
    super(
      `${what} failed${exitCode === undefined ? '' : ` (exit code ${exitCode})`}${detail ? `: ${detail}` : ''}\n` +
        `command: ${command}\n` +
        `--- output${tail.length < output.length ? ' (tail)' : ''} ---\n${tail}`,
    );
    this.command = command;
    this.exitCode = exitCode;
    this.output = tail;
  }
}

/** The simulation did not finish within `timeoutMs`. */
export class SimulatorTimeoutError extends SimulatorFailedError {
  readonly timeoutMs: number;

  constructor(command: string, timeoutMs: number, output: string) {
    super('simulation', command, undefined, output, `timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

export function tailLines(text: string, maxLines: number, maxChars: number): string {
  let t = text.trimEnd();
  const lines = t.split('\n');
  if (lines.length > maxLines) t = lines.slice(-maxLines).join('\n');
  if (t.length > maxChars) t = t.slice(-maxChars);
  return t;
}

// ---------------------------------------------------------------------------
// Running tools

export interface ToolResult {
  command: string;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved. */
  all: string;
  exitCode: number;
  signal: string | undefined;
  timedOut: boolean;
  durationMs: number;
}

export interface RunToolOptions {
  /** Tool name for SimulatorMissingError (e.g. 'verilator'). */
  tool: string;
  cwd?: string;
  timeoutMs?: number;
  /** Complete environment of the child (default: inherit process.env). */
  env?: Record<string, string>;
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(file: string, args: readonly string[]): string {
  return [file, ...args].map(quote).join(' ');
}

/** Run an external tool; never rejects on a non-zero exit. Throws SimulatorMissingError on ENOENT. */
export async function runTool(file: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  if (opts.cwd !== undefined) {
    // execa reports a missing cwd as ENOENT too; make that distinguishable.
    const st = await stat(opts.cwd).catch(() => undefined);
    if (!st?.isDirectory()) throw new SimulatorError(`working directory does not exist: ${opts.cwd}`);
  }
  const r = await execa(file, [...args], {
    reject: false,
    all: true,
    stdin: 'ignore',
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });
  const command = commandLine(file, args);
  if (r.failed && r.exitCode === undefined && !r.timedOut && r.signal === undefined) {
    const code = (r as { code?: unknown }).code;
    if (code === 'ENOENT') throw new SimulatorMissingError(opts.tool, file);
    if (code === 'EACCES') throw new SimulatorError(`${file} is not executable (EACCES): ${command}`);
    throw new SimulatorError(`could not run ${command}: ${r.message}`);
  }
  const signal = r.signal ?? undefined;
  const signum = signal !== undefined ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return {
    command,
    stdout: r.stdout,
    stderr: r.stderr,
    all: r.all ?? `${r.stdout}\n${r.stderr}`,
    exitCode: r.exitCode ?? (signum !== undefined ? 128 + signum : -1),
    signal,
    timedOut: r.timedOut,
    durationMs: r.durationMs,
  };
}

/** Like runTool, but throws SimulatorFailedError unless the tool exits with 0. */
export async function runToolChecked(
  what: string,
  file: string,
  args: readonly string[],
  opts: RunToolOptions,
): Promise<ToolResult> {
  const r = await runTool(file, args, opts);
  if (r.exitCode !== 0 || r.timedOut) throw new SimulatorFailedError(what, r.command, r.exitCode, r.all);
  return r;
}

const versionCache = new Map<string, Promise<string>>();

/** First line of `<exe> <args>` output, memoized per executable and PATH. */
export function toolVersion(tool: string, exe: string, args: readonly string[]): Promise<string> {
  const key = `${exe}\0${args.join(' ')}\0${process.env.PATH ?? ''}`;
  let p = versionCache.get(key);
  if (!p) {
    p = runTool(exe, args, { tool }).then((r) => {
      const line = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => l.trim() !== '');
      if (line === undefined) throw new SimulatorFailedError(`${tool} version query`, r.command, r.exitCode, r.all);
      return line.trim();
    });
    p.catch(() => versionCache.delete(key));
    versionCache.set(key, p);
  }
  return p;
}

// ---------------------------------------------------------------------------
// Backends

/** A normalized build request handed to backends. */
export interface NormalizedBuildRequest {
  simulator: SimulatorName;
  top: string;
  sources: string[];
  includeDirs: string[];
  defines: Record<string, string | number>;
  extraArgs: string[];
  cacheRoot: string;
  trace: WaveFormat | undefined;
  tools: SimTools;
}

export interface SimBackend {
  name: SimulatorName;
  /** Version string of the tool chain (part of the cache key). */
  version(req: NormalizedBuildRequest): Promise<string>;
  /** The build arguments that influence the result (part of the cache key). */
  keyArgs(req: NormalizedBuildRequest): string[];
  /** Build into the empty directory `dir`; returns the tool log. Throws SimulatorFailedError. */
  build(req: NormalizedBuildRequest, dir: string): Promise<string>;
  /** Relative path (in the build dir) of the artifact that must exist for a complete build. */
  artifact: string;
  /** Command to run the simulation. `plusargs` are already formatted (`+k=v`). */
  runCommand(
    req: NormalizedBuildRequest,
    dir: string,
    plusargs: string[],
    opts: { waves: string | undefined; seed: number | undefined; randomReset: boolean },
  ): { file: string; args: string[]; tool: string; display?: string };
}
