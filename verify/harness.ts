/**
 * Differential runs: one cycle-by-cycle stimulus applied to the TypeScript simulator and to
 * the emitted Verilog under Verilator and Icarus, outputs compared bit for bit. A mismatch
 * reports the seed, the cycle, the port, both values and a waveform of the failing run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Module, Simulator, emitDesign } from '../hdl/index.ts';
import { renderVectorTestbench, vectorFields, type PortSpec } from '../testbenches/render.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../sim/simulator.ts';
import { writeVectorFile, readVectorFile } from '../testbenches/vectors.ts';
import { projectRoot } from '../sim/cache.ts';
import { writeModuleFiles, writeFileAtomic } from '../hdl/artifacts.ts';
import { makeTempDir, removeTempDir } from '../sim/tempdir.ts';

export interface DifferentialOptions {
  /** Shown in every failure message together with the seed. */
  label: string;
  seed: number;
  simulators?: SimulatorName[];
  /** Name of the clock input (not part of the vectors); omitted for combinational designs. */
  clock?: string;
  /** Extra Verilator build arguments. */
  verilatorArgs?: string[];
  /** Verilator: randomise uninitialised state (+verilator+rand+reset+2) with this seed. */
  randomResetSeed?: number;
  /** How to reproduce, printed on failure. */
  reproduce?: string;
  /**
   * Outputs of cycles before this one are not compared (and may be x): state without a
   * reset value is undefined in Verilog until the design has written it.
   */
  ignoreBefore?: number;
  /** Change the emitted Verilog of one module before building (mutation checks). */
  mutate?: Mutate;
  /**
   * Outputs whose value does not matter in a cycle (data while its valid is low), decided from
   * the TypeScript outputs of that cycle; they are not compared and may be x.
   */
  dontCare?: (port: string, outputs: ReadonlyMap<string, bigint>) => boolean;
}

/** A deliberate edit of one emitted module's text (mutation checks of the suite). */
export interface Mutate {
  name: string;
  module: string;
  from: string;
  to: string;
}

export interface Mismatch {
  simulator: SimulatorName;
  cycle: number;
  port: string;
  expected: bigint;
  actual: bigint;
}

export class DifferentialMismatch extends Error {
  constructor(readonly mismatches: Mismatch[], readonly detail: string) {
    super(detail);
    this.name = 'DifferentialMismatch';
  }
}

/** Apply a mutation to the emitted file of its module in `dir`; throws if the text is absent. */
export async function applyMutation(dir: string, mut: Mutate): Promise<void> {
  const file = path.join(dir, `${mut.module}.v`);
  const text = await readFile(file, 'utf8');
  if (!text.includes(mut.from)) throw new Error(`mutation ${mut.name}: '${mut.from}' not found in ${mut.module}.v`);
  await writeFileAtomic(file, text.replace(mut.from, mut.to));
}

/** Expected outputs (raw bits per output port, per cycle) from the TypeScript simulator. */
export function simulateInTs(m: Module, rows: readonly (readonly bigint[])[], inputNames: readonly string[], outputNames: readonly string[]): bigint[][] {
  const sim = new Simulator(m);
  const out: bigint[][] = [];
  for (const row of rows) {
    inputNames.forEach((name, i) => sim.set(name, row[i]!)); // raw bits: set() accepts them for signed ports too
    out.push(outputNames.map((name) => sim.get(name).bits));
    sim.tick();
  }
  return out;
}

function portSpecs(m: Module): PortSpec[] {
  return m.portInfo().map((p) => ({ name: p.name, direction: p.direction, width: p.width, signed: p.signed }));
}

/** Emit, build (cached) and return a runner for the design on one simulator. */
export async function buildDesignSim(m: Module, simulator: SimulatorName, opts: { clock?: string; verilatorArgs?: string[]; mutate?: Mutate } = {}): Promise<{
  build: SimBuild;
  inputs: string[];
  outputs: string[];
  dir: string;
}> {
  const design = emitDesign(m);
  const tbName = `tb_${m.name}`;
  const ports = portSpecs(m);
  const tb = renderVectorTestbench({ tbName, dutModule: m.name, ports, ...(opts.clock ? { clock: opts.clock } : {}) });
  const dir = path.join(projectRoot(), '.cache', 'designs', opts.mutate ? `${m.name}-mutant-${opts.mutate.name}` : m.name);
  await mkdir(dir, { recursive: true });
  const sources = await writeModuleFiles(design, dir);
  if (opts.mutate) await applyMutation(dir, opts.mutate);
  const tbFile = path.join(dir, `${tbName}.v`);
  await writeFileAtomic(tbFile, tb);
  sources.push(tbFile);
  const build = await buildSimulation({
    simulator,
    top: tbName,
    sources,
    ...(simulator === 'verilator' && opts.verilatorArgs ? { extraArgs: opts.verilatorArgs } : {}),
  });
  const fields = vectorFields({ tbName, dutModule: m.name, ports, ...(opts.clock ? { clock: opts.clock } : {}) });
  return { build, inputs: fields.inputs.map((f) => f.name), outputs: fields.outputs.map((f) => f.name), dir };
}

/**
 * Run `rows` (one array of raw input values per cycle, in the order of the module's non-clock
 * inputs) through the TypeScript simulator and every requested HDL simulator; throws a
 * DifferentialMismatch describing the first differences.
 */
export interface DifferentialResult {
  cycles: number;
  comparisons: number;
  /** Output port names, in the order of the rows below. */
  outputs: string[];
  /** Raw output bits per cycle, from each HDL simulator (equal to the TypeScript ones). */
  actual: Partial<Record<SimulatorName, bigint[][]>>;
}

export async function differential(m: Module, rows: readonly (readonly bigint[])[], opts: DifferentialOptions): Promise<DifferentialResult> {
  const simulators = opts.simulators ?? ['verilator', 'icarus'];
  const ports = portSpecs(m);
  const fields = vectorFields({ tbName: 'tb', dutModule: m.name, ports, ...(opts.clock ? { clock: opts.clock } : {}) });
  const inputNames = fields.inputs.map((f) => f.name);
  const outputNames = fields.outputs.map((f) => f.name);
  const expected = simulateInTs(m, rows, inputNames, outputNames);
  // Removed on return, on error and on SIGINT/SIGTERM (sim/tempdir.ts).
  const work = makeTempDir(`diff-${m.name}-`);
  let comparisons = 0;
  const results: Partial<Record<SimulatorName, bigint[][]>> = {};
  try {
    const inFile = path.join(work, 'in.hex');
    await writeVectorFile(inFile, fields.inputs, rows);
    for (const simulator of simulators) {
      const { build } = await buildDesignSim(m, simulator, {
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.verilatorArgs ? { verilatorArgs: opts.verilatorArgs } : {}),
        ...(opts.mutate ? { mutate: opts.mutate } : {}),
      });
      const outFile = path.join(work, `out-${simulator}.hex`);
      const run = await build.run({
        plusargs: { in: inFile, out: outFile },
        ...(opts.randomResetSeed !== undefined ? { randomReset: true, seed: opts.randomResetSeed } : {}),
      });
      if (run.exitCode !== 0) {
        throw new Error(`${opts.label} (seed ${opts.seed}): ${simulator} exited ${run.exitCode}\n${run.command}\n${run.stdout}\n${run.stderr}`);
      }
      const ignoreBefore = opts.ignoreBefore ?? 0;
      const expectedMaps = expected.map((row) => new Map(outputNames.map((n, i) => [n, row[i]!])));
      const skip = (cycle: number, port: string): boolean =>
        cycle < ignoreBefore || (opts.dontCare !== undefined && cycle < expected.length && opts.dontCare(port, expectedMaps[cycle]!));
      const actual = await readVectorFile(outFile, fields.outputs, { allowUnknown: (cycle: number, f) => skip(cycle, f.name) });
      results[simulator] = actual;
      const mismatches: Mismatch[] = [];
      if (actual.length !== expected.length) {
        throw new Error(`${opts.label} (seed ${opts.seed}): ${simulator} wrote ${actual.length} output lines, expected ${expected.length}`);
      }
      for (let c = ignoreBefore; c < expected.length; c++) {
        for (let o = 0; o < outputNames.length; o++) {
          if (skip(c, outputNames[o]!)) continue;
          comparisons++;
          if (expected[c]![o] !== actual[c]![o]) {
            mismatches.push({ simulator, cycle: c, port: outputNames[o]!, expected: expected[c]![o]!, actual: actual[c]![o]! });
          }
        }
      }
      if (mismatches.length > 0) {
        const waves = path.join(projectRoot(), '.cache', 'failures', `${m.name}-${simulator}-seed${opts.seed}.vcd`);
        await mkdir(path.dirname(waves), { recursive: true });
        await build.run({ plusargs: { in: inFile, out: outFile + '.rerun' }, waves }).catch(() => undefined);
        const lines = mismatches
          .slice(0, 10)
          .map((x) => `  cycle ${x.cycle} ${x.port}: TypeScript 0x${x.expected.toString(16)} vs ${x.simulator} 0x${x.actual.toString(16)}`);
        throw new DifferentialMismatch(
          mismatches,
          `${opts.label} (seed ${opts.seed}): ${mismatches.length} mismatches on ${simulator}\n${lines.join('\n')}\n` +
            `waveform: ${waves}\ndesign: ${path.join(projectRoot(), '.cache', 'designs', m.name)}` +
            (opts.reproduce ? `\nreproduce: ${opts.reproduce}` : ''),
        );
      }
    }
    return { cycles: rows.length, comparisons, outputs: outputNames, actual: results };
  } finally {
    await removeTempDir(work);
  }
}
