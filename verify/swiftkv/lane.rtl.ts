/**
 * Runs query jobs through the emitted lane RTL on Verilator or Icarus with the stream
 * testbench (testbenches/lane_tb.v.hbs): random valid gaps and ready stalls from a seeded
 * xorshift in the testbench, several queries back to back without reset. One simulator build
 * per lane parameter set (cached by the hash of the RTL), reused by every run.
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { emitDesign } from '../../hdl/index.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../../sim/simulator.ts';
import { projectRoot } from '../../sim/cache.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { SAT_WIDTH } from '../../generators/swiftkv/saturation.ts';
import { writeModuleFiles, writeFileAtomic } from '../../hdl/artifacts.ts';
import { applyMutation, type Mutate } from '../harness.ts';
import { renderLaneTestbench } from '../../testbenches/lane.ts';
import { buildLane, laneConfig, laneName, type LaneConfig } from '../../generators/swiftkv/lane.ts';
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import { beats, type LaneJob } from './lane.driver.ts';

export interface HdlRunOptions {
  simulator: SimulatorName;
  /** Testbench xorshift seed (valid gaps, ready stalls). */
  seed: number;
  /** Percent of cycles an idle source offers a beat / the sink is ready. */
  vprob: number;
  rprob: number;
  /** Verilator: randomise every register without reset, with this seed. */
  randomResetSeed?: number;
  /** Write a waveform here. */
  waves?: string;
  /** Build a deliberately broken copy of the RTL (mutation checks of the test suite). */
  mutation?: Mutate;
}

export interface HdlJobResult {
  o: bigint[];
  cycles: number;
  error: boolean;
  /** status_sat at done (bit i = SAT_STAGES[i], generators/swiftkv/saturation.ts). */
  sat: number;
}

export interface LaneSim {
  config: LaneConfig;
  name: string;
  build: SimBuild;
  dir: string;
}

const builds = new Map<string, Promise<LaneSim>>();

/** Emit the lane and its testbench into .cache/designs/<name>/ and build (cached). */
export function buildLaneSim(params: LaneParamsInput, simulator: SimulatorName, mutation?: Mutate): Promise<LaneSim> {
  const c = laneConfig(params);
  const name = laneName(c);
  const key = `${simulator}/${name}/${JSON.stringify(params)}/${mutation?.name ?? ''}`;
  let b = builds.get(key);
  if (!b) {
    b = (async () => {
      const design = emitDesign(buildLane(params));
      const dir = path.join(projectRoot(), '.cache', 'designs', mutation ? `${name}-mutant-${mutation.name}` : name);
      await mkdir(dir, { recursive: true });
      const sources = await writeModuleFiles(design, dir);
      if (mutation) await applyMutation(dir, mutation);
      const W = c.formats.params.dataFormat.intBits + c.formats.params.dataFormat.fracBits;
      const tbName = `tb_${name}`;
      const tb = path.join(dir, `${tbName}.v`);
      await writeFileAtomic(tb, renderLaneTestbench({ tbName, dut: name, B: c.B, PW: c.P * W, LW: c.lenWidth, SW: SAT_WIDTH, gemv: W === 32 }));
      sources.push(tb);
      const build = await buildSimulation({ simulator, top: tbName, sources });
      return { config: c, name, build, dir };
    })();
    builds.set(key, b);
    b.catch(() => builds.delete(key));
  }
  return b;
}

/** The jobs file the testbench reads. */
export function jobsText(c: LaneConfig, jobs: readonly LaneJob[]): string {
  const W = c.formats.params.dataFormat.intBits + c.formats.params.dataFormat.fracBits;
  const lines: string[] = [];
  // Every field at full width: Verilator 5.006's %h scan of a wide variable keeps stale upper
  // words when the text has fewer digits than the variable.
  const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), '0');
  for (const job of jobs) {
    const L = job.k.length;
    lines.push(hex(BigInt(L), 32));
    for (const b of beats(job.q, c.P, W)) lines.push(hex(b, c.P * W));
    for (let t = 0; t < L; t++) {
      const kb = beats(job.k[t]!, c.P, W);
      const vb = beats(job.v[t]!, c.P, W);
      kb.forEach((k, j) => {
        const last = job.kvLast?.[t * kb.length + j] ?? j === kb.length - 1;
        lines.push(`${last ? 1 : 0} ${hex((vb[j]! << BigInt(c.P * W)) | k, 2 * c.P * W)}`);
      });
    }
  }
  return lines.join('\n') + '\n';
}

export function parseLaneOutput(c: LaneConfig, text: string): HdlJobResult[] {
  const W = c.formats.params.dataFormat.intBits + c.formats.params.dataFormat.fracBits;
  const results: HdlJobResult[] = [];
  let o: bigint[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('done')) {
      const [, cycles, err, sat] = t.split(/\s+/);
      if (sat === undefined || !/^\d+$/.test(sat)) throw new Error(`lane output: malformed done line '${t}'`);
      results.push({ o, cycles: Number(cycles), error: err === '1', sat: Number(sat) });
      o = [];
      continue;
    }
    if (/[xXzZ]/.test(t)) throw new Error(`lane output has unknown bits: ${t}`);
    const word = BigInt('0x' + t);
    for (let i = 0; i < c.P; i++) o.push(BigInt.asIntN(W, word >> BigInt(i * W)));
  }
  return results;
}

export async function runLaneHdl(params: LaneParamsInput, jobs: readonly LaneJob[], opts: HdlRunOptions): Promise<HdlJobResult[]> {
  const sim = await buildLaneSim(params, opts.simulator, opts.mutation);
  // Removed on return, on error and on SIGINT/SIGTERM (the jobs file can be tens of MB).
  return withTempDir('lane-', async (work) => {
    const jobsFile = path.join(work, 'jobs.hex');
    const outFile = path.join(work, 'out.txt');
    await writeFile(jobsFile, jobsText(sim.config, jobs));
    const r = await sim.build.run({
      plusargs: { jobs: jobsFile, out: outFile, seed: opts.seed, vprob: opts.vprob, rprob: opts.rprob },
      ...(opts.waves ? { waves: opts.waves } : {}),
      ...(opts.randomResetSeed !== undefined ? { randomReset: true, seed: opts.randomResetSeed } : {}),
    });
    if (r.exitCode !== 0) throw new Error(`${opts.simulator} run of ${sim.name} failed (exit ${r.exitCode}):\n${r.command}\n${r.stdout}\n${r.stderr}`);
    const res = parseLaneOutput(sim.config, await readFile(outFile, 'utf8'));
    if (res.length !== jobs.length) throw new Error(`${sim.name}: ${res.length} of ${jobs.length} queries finished`);
    return res;
  });
}
