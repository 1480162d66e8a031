/**
 * Verilator 5 backend.
 *
 * Build = `verilator --cc --exe --main --timing` (i.e. `--binary` without
 * `--build`) followed by our own `make`, so that the Verilator runtime library
 * objects (verilated.o, verilated_timing.o, ... ~6 s of C++ per build) can be
 * reused from a cache keyed by their exact compile command lines.
 */
import { copyFile, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { KeyHasher, getOrCreateCacheEntry } from './cache.ts';
import { withTempDir } from './tempdir.ts';
import {
  SimulatorFailedError,
  SimulatorMissingError,
  commandLine,
  runTool,
  runToolChecked,
  toolVersion,
  type NormalizedBuildRequest,
  type SimBackend,
} from './tool.ts';

/** Name of the generated C++ model class / makefile prefix. */
const PREFIX = 'Vsim';
/** Executable name (relative to the obj_dir). */
const EXE = 'sim';
const OBJ_DIR = 'obj_dir';

/**
 * Flags of the simulation build.
 * - `--timing`: the testbench uses `#` delays.
 * - `--timescale 1ns/1ps`: default for modules without `timescale; avoids the
 *   TIMESCALEMOD error when only some sources (e.g. the DUT) declare one.
 * - `-Wno-lint -Wno-style`: the generated testbench is not lint-clean; DUT lint
 *   is done separately with `lintVerilog` (`--lint-only -Wall`).
 * - `-Wno-UNOPTFLAT`: a performance-only warning (e.g. ripple-carry bit chains
 *   in one vector) that would otherwise make the build fail; lint still reports it.
 * Other warnings stay fatal.
 */
export const VERILATOR_SIM_FLAGS: readonly string[] = [
  '--cc',
  '--exe',
  '--main',
  '--timing',
  '--timescale',
  '1ns/1ps',
  '-Wno-lint',
  '-Wno-style',
  '-Wno-UNOPTFLAT',
];

/**
 * make variable overrides: model code at -O1 (compiles faster than Verilator's
 * default -Os, runs about as fast); rarely-run "slow" code unoptimized (default).
 */
const MAKE_VARS: readonly string[] = ['OPT_FAST=-O1', 'OPT_SLOW=', 'OPT_GLOBAL=-Os'];

function verilatorExe(req: { tools: { verilator?: string } }): string {
  return req.tools.verilator ?? 'verilator';
}

function makeExe(req: { tools: { make?: string } }): string {
  return req.tools.make ?? 'make';
}

function buildJobs(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

function traceFlags(req: NormalizedBuildRequest): string[] {
  return req.trace === 'vcd' ? ['--trace'] : req.trace === 'fst' ? ['--trace-fst'] : [];
}

function defineArgs(defines: Record<string, string | number>): string[] {
  return Object.keys(defines)
    .sort()
    .map((k) => `-D${k}=${String(defines[k])}`);
}

function keyArgs(req: NormalizedBuildRequest): string[] {
  return [
    ...VERILATOR_SIM_FLAGS,
    ...traceFlags(req),
    ...MAKE_VARS,
    ...defineArgs(req.defines),
    ...req.includeDirs.map((d) => `-I${d}`),
    '--extra--',
    ...req.extraArgs,
  ];
}

/** Environment for our own make runs: without the settings of an enclosing make (`make test`). */
function makeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS'].includes(k)) env[k] = v;
  }
  return env;
}

function cxx(): string {
  return process.env.CXX ?? 'g++';
}

/** Parse `VM_GLOBAL_FAST += \ a \ b` style lists from the generated classes makefile. */
function parseMakeList(text: string, variable: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`^${variable}\\s*\\+?=\\s*\\\\?\\n((?:\\s+\\S+\\s*\\\\?\\n)*)`, 'm');
  const m = re.exec(text);
  if (!m) return out;
  for (const line of (m[1] ?? '').split('\n')) {
    const name = line.replace(/\\\s*$/, '').trim();
    if (name) out.push(name);
  }
  return out;
}

async function fileExists(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** C++ build of the verilated model, reusing cached runtime-library objects. */
async function makeModel(req: NormalizedBuildRequest, objDir: string, version: string): Promise<string> {
  const make = makeExe(req);
  const makeArgs = ['-C', objDir, '-f', `${PREFIX}.mk`, ...MAKE_VARS];
  const classes = await readFile(join(objDir, `${PREFIX}_classes.mk`), 'utf8');
  const runtimeObjs = [...parseMakeList(classes, 'VM_GLOBAL_FAST'), ...parseMakeList(classes, 'VM_GLOBAL_SLOW')].map(
    (n) => `${n}.o`,
  );

  let runtimeDir: string | undefined;
  let runtimeName: string | undefined;
  if (runtimeObjs.length > 0) {
    // Exact compile commands of the runtime objects = their cache key.
    const dry = await runTool(make, ['-n', ...makeArgs, ...runtimeObjs], { tool: 'make', cwd: objDir, env: makeEnv() });
    if (dry.exitCode === 0) {
      const commands = dry.stdout
        .split('\n')
        .filter((l) => l.trim() !== '' && !/^make(\[\d+\])?:/.test(l))
        .join('\n');
      const cxxVersion = await toolVersion('g++', cxx(), ['--version']); // SimulatorMissingError if absent
      const key = new KeyHasher().add('verilator', version).add('cxx', cxxVersion).add('commands', commands).digest();
      runtimeName = `verilator-runtime-${key.slice(0, 16)}`;
      runtimeDir = join(req.cacheRoot, runtimeName);
      let complete = true;
      for (const o of runtimeObjs) complete &&= await fileExists(join(runtimeDir, o));
      if (complete) {
        // Copies are newer than the generated makefile, so make treats them as up to date.
        const now = new Date();
        for (const o of runtimeObjs) {
          await copyFile(join(runtimeDir, o), join(objDir, o));
          await utimes(join(objDir, o), now, now);
        }
      } else {
        runtimeDir = undefined;
      }
    }
  }

  const r = await runTool(make, [...makeArgs, `-j${buildJobs()}`], { tool: 'make', cwd: objDir, env: makeEnv() });
  if (r.exitCode !== 0) {
    const missingCxx = /(?:^|\s|:)((?:g|c|clang)\+\+)(?::| ).*(?:No such file or directory|not found)/m.exec(r.all);
    if (missingCxx && !r.all.includes('error:')) throw new SimulatorMissingError('g++', missingCxx[1]);
    throw new SimulatorFailedError('verilator C++ build (make)', r.command, r.exitCode, r.all);
  }

  if (runtimeDir === undefined && runtimeName !== undefined) {
    // Save the freshly compiled runtime objects for later builds (best effort).
    await getOrCreateCacheEntry({
      root: req.cacheRoot,
      name: runtimeName,
      isComplete: async (dir) => {
        for (const o of runtimeObjs) if (!(await fileExists(join(dir, o)))) return false;
        return true;
      },
      create: async (tmp) => {
        for (const o of runtimeObjs) await copyFile(join(objDir, o), join(tmp, o));
      },
      lockWaitMs: 0,
    }).catch(() => undefined);
  }
  return `$ ${r.command}\n${r.all}\n`;
}

export const verilatorBackend: SimBackend = {
  name: 'verilator',
  artifact: join(OBJ_DIR, EXE),

  version: (req) => toolVersion('verilator', verilatorExe(req), ['--version']),

  keyArgs,

  async build(req, dir) {
    const version = await toolVersion('verilator', verilatorExe(req), ['--version']);
    const objDir = join(dir, OBJ_DIR);
    const args = [
      ...VERILATOR_SIM_FLAGS,
      ...traceFlags(req),
      '--top-module',
      req.top,
      '--prefix',
      PREFIX,
      '--Mdir',
      objDir,
      '-o',
      EXE,
      ...req.includeDirs.map((d) => `-I${d}`),
      ...defineArgs(req.defines),
      ...req.extraArgs,
      ...req.sources,
    ];
    const v = await runToolChecked('verilator', verilatorExe(req), args, { tool: 'verilator', cwd: dir });
    let log = `$ ${v.command}\n${v.all}\n`;
    log += await makeModel(req, objDir, version);
    // Object files are only needed during the build.
    for (const f of await readdir(objDir)) {
      if (/\.(o|a|d)$/.test(f)) await rm(join(objDir, f), { force: true });
    }
    return log;
  },

  runCommand(_req, dir, plusargs, opts) {
    const args = [...plusargs];
    if (opts.randomReset) args.push('+verilator+rand+reset+2');
    if (opts.seed !== undefined) args.push(`+verilator+seed+${opts.seed}`);
    const exe = join(dir, OBJ_DIR, EXE);
    // $fatal/$stop make Verilated models abort(); keep them from writing core files into the cwd.
    return {
      file: 'sh',
      args: ['-c', 'ulimit -c 0 2>/dev/null; exec "$0" "$@"', exe, ...args],
      tool: 'sh',
      display: commandLine(exe, args),
    };
  },
};

export interface LintOptions {
  includeDirs?: string[];
  defines?: Record<string, string | number>;
  extraArgs?: string[];
  /** Executable (default: `verilator` on PATH). */
  executable?: string;
}

export interface LintResult {
  /** No warnings and no errors. */
  ok: boolean;
  /** Tool output (warnings / errors); empty when clean. */
  output: string;
}

/**
 * `verilator --lint-only -Wall --top-module <top> files...`.
 * Returns ok=false with the messages on warnings or errors (does not throw for
 * them); throws SimulatorMissingError if Verilator is not installed.
 */
export async function lintVerilog(files: string[], top: string, opts: LintOptions = {}): Promise<LintResult> {
  const exe = opts.executable ?? 'verilator';
  // Lint in a scratch directory: Verilator may create obj_dir/ in the cwd. Removed on SIGINT too.
  return withTempDir('verilator-lint-', async (cwd) => {
    const r = await runTool(
      exe,
      [
        '--lint-only',
        '-Wall',
        '--top-module',
        top,
        ...(opts.includeDirs ?? []).map((d) => `-I${d}`),
        ...defineArgs(opts.defines ?? {}),
        ...(opts.extraArgs ?? []),
        ...files,
      ],
      { tool: 'verilator', cwd },
    );
    const output = r.all.trim();
    return { ok: r.exitCode === 0 && !/%(Warning|Error)/.test(output), output };
  });
}

/** `verilator --version` (memoized). */
export async function verilatorVersion(executable = 'verilator'): Promise<string> {
  return toolVersion('verilator', executable, ['--version']);
}
