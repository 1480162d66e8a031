/**
 * Common simulator interface: build a (cached) simulation of Verilog sources
 * with Verilator or Icarus Verilog, then run it with plusargs.
 *
 *   const build = await buildSimulation({ simulator: 'verilator', top: 'tb', sources });
 *   const res = await build.run({ plusargs: { in: inFile, out: outFile } });
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { computeBuildKey, defaultCacheRoot, getOrCreateCacheEntry } from './cache.ts';
import { verilatorBackend } from './verilator.ts';
import { icarusBackend } from './icarus.ts';
import {
  SimulatorError,
  SimulatorTimeoutError,
  runTool,
  type NormalizedBuildRequest,
  type SimBackend,
  type SimBuild,
  type SimBuildRequest,
  type SimRunOptions,
  type SimRunResult,
  type SimulatorName,
  type WaveFormat,
} from './tool.ts';

export * from './tool.ts';

// The backends import tool.ts only, so there is no import cycle here.
function backendFor(name: SimulatorName): SimBackend {
  switch (name) {
    case 'verilator':
      return verilatorBackend;
    case 'icarus':
      return icarusBackend;
  }
}

const SIMULATORS: readonly string[] = ['verilator', 'icarus'];

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_$]*$/;
const MANIFEST = 'build.json';
const LOG = 'build.log';

function normalize(req: SimBuildRequest): NormalizedBuildRequest {
  if (!SIMULATORS.includes(req.simulator)) throw new SimulatorError(`unknown simulator '${String(req.simulator)}'`);
  if (!IDENT_RE.test(req.top)) throw new SimulatorError(`top module '${req.top}' is not a legal Verilog identifier`);
  if (req.sources.length === 0) throw new SimulatorError('no source files given');
  for (const s of req.sources) {
    if (!isAbsolute(s)) throw new SimulatorError(`source paths must be absolute: ${s}`);
  }
  const defines = req.defines ?? {};
  for (const k of Object.keys(defines)) {
    if (!IDENT_RE.test(k)) throw new SimulatorError(`define name '${k}' is not a legal identifier`);
  }
  return {
    simulator: req.simulator,
    top: req.top,
    sources: [...req.sources],
    includeDirs: (req.includeDirs ?? []).map((d) => resolve(d)),
    defines: { ...defines },
    extraArgs: [...(req.extraArgs ?? [])],
    cacheRoot: resolve(req.cacheRoot ?? defaultCacheRoot()),
    trace: req.simulator === 'verilator' ? req.trace : undefined,
    tools: { ...(req.tools ?? {}) },
  };
}

/** Build (or fetch from the cache) a simulation. */
export async function buildSimulation(req: SimBuildRequest): Promise<SimBuild> {
  const nreq = normalize(req);
  const backend = backendFor(nreq.simulator);
  for (const s of nreq.sources) {
    const st = await stat(s).catch(() => undefined);
    if (!st?.isFile()) throw new SimulatorError(`source file not found: ${s}`);
  }
  const version = await backend.version(nreq);
  const hash = await computeBuildKey({
    simulator: nreq.simulator,
    version,
    top: nreq.top,
    sources: nreq.sources,
    includeDirs: nreq.includeDirs,
    defines: nreq.defines,
    args: backend.keyArgs(nreq),
  });
  const name = `${nreq.simulator}-${nreq.top}-${hash.slice(0, 16)}`;
  const isComplete = async (dir: string): Promise<boolean> => {
    const [m, a] = await Promise.all([
      stat(join(dir, MANIFEST)).catch(() => undefined),
      stat(join(dir, backend.artifact)).catch(() => undefined),
    ]);
    return m !== undefined && a !== undefined;
  };
  const entry = await getOrCreateCacheEntry({
    root: nreq.cacheRoot,
    name,
    isComplete,
    create: async (tmp) => {
      const started = Date.now();
      const log = await backend.build(nreq, tmp);
      await writeFile(join(tmp, LOG), log);
      const manifest = {
        simulator: nreq.simulator,
        version,
        top: nreq.top,
        hash,
        sources: nreq.sources,
        includeDirs: nreq.includeDirs,
        defines: nreq.defines,
        args: backend.keyArgs(nreq),
        buildMs: Date.now() - started,
        createdAt: new Date().toISOString(),
      };
      // Written last: its presence marks a complete entry.
      await writeFile(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    },
  });
  const log = await readFile(join(entry.dir, LOG), 'utf8').catch(() => '');
  return makeBuild(nreq, backend, entry.dir, hash, entry.cached, log);
}

function waveFormatOf(path: string): WaveFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.fst') return 'fst';
  if (ext === '.vcd') return 'vcd';
  throw new SimulatorError(`waves file must end with .vcd or .fst: ${path}`);
}

function formatPlusargs(plusargs: Record<string, string | number | boolean>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(plusargs)) {
    if (!/^[A-Za-z0-9_+.-]+$/.test(k)) throw new SimulatorError(`invalid plusarg name '${k}'`);
    if (k === 'waves') throw new SimulatorError(`use the 'waves' run option instead of a waves plusarg`);
    if (v === false) continue;
    out.push(v === true ? `+${k}` : `+${k}=${String(v)}`);
  }
  return out;
}

const DEFAULT_RUN_TIMEOUT_MS = 10 * 60_000;

function makeBuild(
  req: NormalizedBuildRequest,
  backend: SimBackend,
  dir: string,
  hash: string,
  cached: boolean,
  log: string,
): SimBuild {
  let traceVariant: Promise<SimBuild> | undefined;
  const build: SimBuild = {
    simulator: req.simulator,
    dir,
    hash,
    cached,
    log,
    run: async (opts: SimRunOptions = {}): Promise<SimRunResult> => {
      const cwd = resolve(opts.cwd ?? process.cwd());
      let waves: string | undefined;
      if (opts.waves !== undefined) {
        waves = resolve(cwd, opts.waves);
        const fmt = waveFormatOf(waves);
        if (req.simulator === 'verilator' && req.trace !== fmt) {
          // Tracing must be compiled into a Verilator model: use (and cache) a tracing build.
          traceVariant ??= buildSimulation({ ...req, trace: fmt });
          return (await traceVariant).run(opts);
        }
        await mkdir(dirname(waves), { recursive: true });
      }
      let seed = opts.seed;
      const randomReset = opts.randomReset ?? false;
      if (req.simulator === 'verilator' && randomReset && seed === undefined) {
        seed = 1 + Math.floor(Math.random() * 0x7ffffffe);
      }
      const plusargs = formatPlusargs(opts.plusargs ?? {});
      if (waves !== undefined) plusargs.push(`+waves=${waves}`);
      if (!(await stat(join(dir, backend.artifact)).catch(() => undefined))) {
        throw new SimulatorError(`build artifact ${backend.artifact} is missing from ${dir}; delete that directory to rebuild`);
      }
      const cmd = backend.runCommand(req, dir, plusargs, { waves, seed, randomReset });
      const timeoutMs = opts.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
      const r = await runTool(cmd.file, cmd.args, { tool: cmd.tool, cwd, timeoutMs });
      const command = cmd.display ?? r.command;
      if (r.timedOut) throw new SimulatorTimeoutError(command, timeoutMs, r.all);
      return {
        stdout: r.stdout,
        stderr: r.stderr,
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        command,
        ...(req.simulator === 'verilator' && seed !== undefined ? { seed } : {}),
      };
    },
  };
  return build;
}
