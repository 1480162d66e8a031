/**
 * Per-module Yosys synthesis (`synth_xilinx -family xcup`), cached and run in parallel.
 *
 * Each module is synthesised on its own with its child modules read as blackboxes
 * (`read_verilog -lib`), so a run sees only the module's own logic; the design's totals are
 * rolled up here (total = own cells + the totals of its instances), which is what Yosys's own
 * hierarchical `stat` computes (checked against a whole-design run in synth.test.ts).
 *
 * A result is cached (sim/cache.ts: atomic entries, safe across processes) under a hash of the
 * module's Verilog, the Verilog of its children, the Yosys version and the script, and holds
 * the module's netlist (RTLIL) for the timing runs of flow/timing.ts.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EmittedDesign, EmittedModule } from '../hdl/verilog.ts';
import { writeModuleFiles } from '../hdl/artifacts.ts';
import { KeyHasher, getOrCreateCacheEntry, projectRoot } from '../sim/cache.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { classify, parseStat, runYosys, warningsOf, yosysVersion, type Resources } from '../sim/yosys.ts';
import { createLimiter, secondsSince, type Limiter } from './jobs.ts';
import { childrenOf } from './hierarchy.ts';

/** Bump when the script or the stored result changes shape. */
const SYNTH_FORMAT = 1;

/** `<project>/.cache/yosys`, or the folder named by SWIFTKV_YOSYS_CACHE (e.g. to time a cold run). */
export function yosysCacheRoot(): string {
  return process.env.SWIFTKV_YOSYS_CACHE || join(projectRoot(), '.cache', 'yosys');
}

export interface FlowOptions {
  /** Cache folder (default `<project>/.cache/yosys`). */
  cacheRoot?: string;
  /** Shared job limiter (default: one job per core). */
  limit?: Limiter;
  /** One line per finished job: `yosys synth [3/17] swiftkv_pe 12.3 s` (or `cached`). */
  onProgress?: (line: string) => void;
}

export interface ModuleSynth {
  name: string;
  /** This module's own cells (instances of the design's modules are in `instances`, not here). */
  own: Resources;
  /** Instances of the design's modules: module name -> count. */
  instances: Record<string, number>;
  /** Longest topological path of the module's own logic in cells (`ltp -noff`, flip-flops and instances excluded). */
  depth: number | undefined;
  warnings: string[];
  /** Cache entry holding `netlist.il` (this module's netlist), `result.json` and `log.txt`. */
  dir: string;
  key: string;
  cached: boolean;
}

export interface DesignSynth {
  top: string;
  /** Every module of the design, children first. */
  modules: ModuleSynth[];
  /** Per module: its cells with those of every instance below it. */
  totals: Map<string, Resources>;
  /** The top's total. */
  total: Resources;
  /** Yosys warnings of every module, prefixed by the module name. */
  warnings: string[];
}

interface StoredResult {
  module: string;
  cells: Record<string, number>;
  depth: number | null;
  warnings: string[];
}

function synthScript(top: string, childFiles: readonly string[], file: string, exclude: readonly string[]): string {
  const lines: string[] = [];
  if (childFiles.length > 0) lines.push(`read_verilog -lib -noautowire ${childFiles.map((f) => JSON.stringify(f)).join(' ')}`);
  lines.push(`read_verilog -noautowire ${JSON.stringify(file)}`);
  // Out of context: no I/O or clock buffers (they belong to the FPGA project's top).
  lines.push(`synth_xilinx -family xcup -top ${top} -noiopad -noclkbuf -nosrl`);
  lines.push('stat');
  // ltp sees an instance as one combinational cell from all its inputs to all its outputs,
  // which invents loops through registered submodules: depth is measured inside the module,
  // without flip-flops and without instances.
  lines.push(`ltp -noff * ${['FD*', ...exclude].map((n) => `t:${n} %d`).join(' ')}`);
  lines.push(`select ${top}`);
  lines.push('write_rtlil -selected netlist.il');
  return lines.join('\n') + '\n';
}

async function synthOne(
  em: EmittedModule,
  children: readonly EmittedModule[],
  version: string,
  root: string,
): Promise<ModuleSynth> {
  const script = synthScript(em.name, children.map((c) => `${c.name}.v`), `${em.name}.v`, children.map((c) => c.name));
  const h = new KeyHasher().add('format', String(SYNTH_FORMAT)).add('tool', 'yosys synth_xilinx').add('version', version).add('script', script);
  h.add('module', em.name).add('verilog', em.text);
  for (const c of children) h.add('child', c.name).add('verilog', c.text);
  const key = h.digest();
  const entry = await getOrCreateCacheEntry({
    root,
    name: `synth-${em.name.slice(0, 60)}-${key.slice(0, 16)}`,
    isComplete: async (dir) => (await readFile(join(dir, 'result.json'), 'utf8').then(() => true, () => false)),
    create: (out) =>
      withTempDir('yosys-synth-', async (work) => {
        await writeModuleFiles({ top: em.name, modules: [...children, em], externs: [], warnings: [] }, work);
        const log = await runYosys(script, `yosys synth_xilinx of ${em.name}`, { cwd: work });
        const statLog = log.slice(log.lastIndexOf('Printing statistics'), log.lastIndexOf('Executing LTP'));
        const stat = parseStat(statLog).modules[em.name];
        if (!stat) throw new Error(`yosys synth_xilinx of ${em.name}: no statistics for the module in the log (${join(out, 'log.txt')})`);
        const depth = /Longest topological path in \S+ \(length=(\d+)\)/.exec(log);
        const result: StoredResult = { module: em.name, cells: stat.cells, depth: depth ? Number(depth[1]) : null, warnings: warningsOf(log) };
        await copyFile(join(work, 'netlist.il'), join(out, 'netlist.il'));
        await writeFile(join(out, 'log.txt'), log);
        await writeFile(join(out, 'result.json'), JSON.stringify(result, null, 1) + '\n');
      }),
  });
  const stored = JSON.parse(await readFile(join(entry.dir, 'result.json'), 'utf8')) as StoredResult;
  const childSet = new Set(children.map((c) => c.name));
  const ownCells: Record<string, number> = {};
  const instances: Record<string, number> = {};
  for (const [cell, n] of Object.entries(stored.cells)) {
    if (childSet.has(cell)) instances[cell] = n;
    else ownCells[cell] = n;
  }
  return {
    name: em.name,
    own: classify(ownCells),
    instances,
    depth: stored.depth ?? undefined,
    warnings: stored.warnings,
    dir: entry.dir,
    key,
    cached: entry.cached,
  };
}

/** Roll cell counts up the hierarchy: total(m) = own(m) + sum of count * total(child). */
export function rollUp(
  modules: ReadonlyMap<string, { own: Resources; instances: Readonly<Record<string, number>> }>,
): Map<string, Resources> {
  const totals = new Map<string, Resources>();
  const visiting = new Set<string>();
  const total = (name: string): Resources => {
    const done = totals.get(name);
    if (done) return done;
    const m = modules.get(name);
    if (!m) throw new Error(`roll-up: module '${name}' is instantiated but was not synthesised`);
    if (visiting.has(name)) throw new Error(`roll-up: module '${name}' instantiates itself`);
    visiting.add(name);
    const cells: Record<string, number> = { ...m.own.cells };
    for (const [child, count] of Object.entries(m.instances)) {
      for (const [cell, n] of Object.entries(total(child).cells)) cells[cell] = (cells[cell] ?? 0) + count * n;
    }
    visiting.delete(name);
    const r = classify(cells);
    totals.set(name, r);
    return r;
  };
  for (const name of modules.keys()) total(name);
  return totals;
}

/**
 * Synthesise every module of the design (cached, in parallel), then roll the counts up.
 * `started` receives each module's promise as soon as it is queued, so timing runs can start
 * as soon as their own inputs are ready.
 */
export async function synthDesign(
  design: EmittedDesign,
  opts: FlowOptions & { started?: (name: string, result: Promise<ModuleSynth>) => void } = {},
): Promise<DesignSynth> {
  if (design.externs.length > 0) {
    throw new Error(`per-module synthesis cannot read external modules (${design.externs.map((e) => e.name).join(', ')}): synthesise the design as a whole with synthXilinx`);
  }
  const root = opts.cacheRoot ?? yosysCacheRoot();
  const limit = opts.limit ?? createLimiter();
  const version = await yosysVersion();
  const byName = new Map(design.modules.map((m) => [m.name, m]));
  const kids = childrenOf(design);
  const N = design.modules.length;
  let finished = 0;
  // Largest modules first: they dominate the wall time.
  const order = [...design.modules].sort((a, b) => b.text.length - a.text.length);
  const jobs = new Map<string, Promise<ModuleSynth>>();
  for (const em of order) {
    const children = Object.keys(kids.get(em.name) ?? {}).sort().map((n) => byName.get(n)!);
    const job = limit(async () => {
      const t0 = performance.now();
      const r = await synthOne(em, children, version, root);
      finished++;
      opts.onProgress?.(`yosys synth [${finished}/${N}] ${em.name} ${r.cached ? 'cached' : secondsSince(t0)}`);
      return r;
    });
    jobs.set(em.name, job);
    opts.started?.(em.name, job);
  }
  const modules = await Promise.all(design.modules.map((m) => jobs.get(m.name)!));
  const totals = rollUp(new Map(modules.map((m) => [m.name, m])));
  const total = totals.get(design.top);
  if (!total) throw new Error(`synthesis: top '${design.top}' is not among the design's modules`);
  return {
    top: design.top,
    modules,
    totals,
    total,
    warnings: modules.flatMap((m) => m.warnings.map((w) => `${m.name}: ${w}`)),
  };
}
