/**
 * Runs lane jobs (several heads back to back, several jobs without reset) through the emitted
 * lane RTL on Verilator or Icarus with the job testbench (testbenches/lane_job_tb.v.hbs):
 * seeded random valid gaps and ready stalls in the testbench. One simulator build per lane
 * configuration (cached by the hash of the RTL), reused by every run.
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { emitDesign } from '../../hdl/index.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../../sim/simulator.ts';
import { projectRoot } from '../../sim/cache.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { writeModuleFiles, writeFileAtomic } from '../../hdl/artifacts.ts';
import { applyMutation, type Mutate } from '../harness.ts';
import { renderLaneJobTestbench } from '../../testbenches/lane-job.ts';
import { buildLane, laneName } from '../../generators/swiftkv/lane.ts';
import { HEAD_SAT_BITS } from '../../generators/swiftkv/norm.ts';
import type { LaneConfig } from '../../generators/swiftkv/config.ts';
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import type { LaneTiming } from '../../generators/swiftkv/lane.ts';
import { beats, type LaneJob } from './lane.driver.ts';

/** One lane job: cfg_heads heads of one context length L. */
export type LaneHeadsJob = readonly LaneJob[];

export interface LaneRtlOptions {
  simulator: SimulatorName;
  /** Testbench xorshift seed (valid gaps, ready stalls). */
  seed: number;
  /** Percent of cycles an idle source offers a beat / the sink is ready (100: always). */
  vprob: number;
  rprob: number;
  /** Verilator: randomise every register without reset, with this seed. */
  randomResetSeed?: number;
  waves?: string;
  /** Build a deliberately broken copy of the RTL (mutation checks of the test suite). */
  mutation?: Mutate;
}

export interface LaneRtlHead {
  o: bigint[];
  /** o_tuser with the head's last o beat (its saturation mask). */
  mask: number;
}

export interface LaneRtlResult {
  heads: LaneRtlHead[];
  /** From the start cycle to the done cycle. */
  cycles: number;
  error: boolean;
  sat: number;
}

export interface LaneRtl {
  config: LaneConfig;
  timing: LaneTiming;
  name: string;
  build: SimBuild;
  dir: string;
}

export interface LaneBuildOptions {
  maxHeads?: number;
  gemv?: boolean;
  /** q beats the testbench holds per job (default 16 heads). */
  qmax?: number;
}

const builds = new Map<string, Promise<LaneRtl>>();

/** Emit the lane and its testbench into .cache/designs/<name>/ and build (cached per process and by RTL hash). */
export function buildLaneRtl(params: LaneParamsInput, simulator: SimulatorName, opts: LaneBuildOptions = {}, mutation?: Mutate): Promise<LaneRtl> {
  const key = JSON.stringify([simulator, params, opts, mutation?.name ?? '']);
  let b = builds.get(key);
  if (!b) {
    b = (async () => {
      const { module, config: c, timing, tiles } = buildLane(params, { maxHeads: opts.maxHeads ?? 16, gemv: opts.gemv ?? false });
      const name = module.name;
      const design = emitDesign(module);
      const folder = `${laneName(c)}-${c.gemv ? 'gemv-' : ''}h${c.maxHeads}${mutation ? `-mutant-${mutation.name}` : ''}`;
      const dir = path.join(projectRoot(), '.cache', 'designs', folder);
      await mkdir(dir, { recursive: true });
      const sources = await writeModuleFiles(design, dir);
      if (mutation) await applyMutation(dir, mutation);
      const tbName = 'tb_swiftkv_lane';
      const tb = path.join(dir, `${tbName}.v`);
      const qmax = opts.qmax ?? c.B * Math.min(c.maxHeads, 16);
      await writeFileAtomic(tb, renderLaneJobTestbench({
        tbName, dut: name, B: c.B, PW: c.P * c.W, LW: c.lenWidth, HW: c.headsWidth, SW: HEAD_SAT_BITS, QMAX: qmax,
        ...(c.gemv ? { gemvTiles: tiles } : {}),
      }));
      sources.push(tb);
      const build = await buildSimulation({ simulator, top: tbName, sources });
      return { config: c, timing, name, build, dir };
    })();
    builds.set(key, b);
    b.catch(() => builds.delete(key));
  }
  return b;
}

/** The jobs file the testbench reads (every field at full width: see lane_job_tb.v.hbs). */
export function laneJobsText(c: LaneConfig, jobs: readonly LaneHeadsJob[]): string {
  const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), '0');
  const lines: string[] = [];
  for (const job of jobs) {
    if (job.length === 0) throw new RangeError('lane job with no heads');
    const L = job[0]!.k.length;
    if (job.some((h) => h.k.length !== L || h.v.length !== L)) throw new RangeError('lane job: every head of a job has the same context length');
    lines.push(`${hex(BigInt(L), 32)} ${hex(BigInt(job.length), 32)}`);
    for (const h of job) {
      beats(h.q, c.P, c.W).forEach((q, j) => lines.push(`${(h.qLast?.[j] ?? j === c.B - 1) ? 1 : 0} ${hex(q, c.P * c.W)}`));
    }
    for (const h of job) {
      for (let t = 0; t < L; t++) {
        const kb = beats(h.k[t]!, c.P, c.W);
        const vb = beats(h.v[t]!, c.P, c.W);
        kb.forEach((k, j) => {
          const last = h.kvLast?.[t * c.B + j] ?? j === c.B - 1;
          lines.push(`${last ? 1 : 0} ${hex((vb[j]! << BigInt(c.P * c.W)) | k, 2 * c.P * c.W)}`);
        });
      }
    }
  }
  return lines.join('\n') + '\n';
}

export function parseLaneJobOutput(c: LaneConfig, text: string): LaneRtlResult[] {
  const results: LaneRtlResult[] = [];
  let heads: LaneRtlHead[] = [];
  let o: bigint[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    if (/[xXzZ]/.test(t)) throw new Error(`lane output has unknown bits: '${t}'`);
    const f = t.split(/\s+/);
    if (f[0] === 'done') {
      if (f.length !== 4 || !f.slice(1).every((x) => /^\d+$/.test(x))) throw new Error(`lane output: malformed done line '${t}'`);
      if (o.length > 0) throw new Error(`lane output: ${o.length} o values after the last head's tlast`);
      results.push({ heads, cycles: Number(f[1]), error: f[2] === '1', sat: Number(f[3]) });
      heads = [];
      continue;
    }
    if (f.length !== 3) throw new Error(`lane output: malformed o line '${t}'`);
    const word = BigInt('0x' + f[2]);
    for (let i = 0; i < c.P; i++) o.push(BigInt.asIntN(c.W, word >> BigInt(i * c.W)));
    if (f[0] === '1') {
      heads.push({ o, mask: Number.parseInt(f[1]!, 16) });
      o = [];
    }
  }
  return results;
}

export async function runLaneRtl(params: LaneParamsInput, jobs: readonly LaneHeadsJob[], opts: LaneRtlOptions, build: LaneBuildOptions = {}): Promise<LaneRtlResult[]> {
  const sim = await buildLaneRtl(params, opts.simulator, build, opts.mutation);
  return withTempDir('lane-', async (work) => {
    const jobsFile = path.join(work, 'jobs.hex');
    const outFile = path.join(work, 'out.txt');
    await writeFile(jobsFile, laneJobsText(sim.config, jobs));
    const r = await sim.build.run({
      plusargs: { jobs: jobsFile, out: outFile, seed: opts.seed, vprob: opts.vprob, rprob: opts.rprob },
      ...(opts.waves ? { waves: opts.waves } : {}),
      ...(opts.randomResetSeed !== undefined ? { randomReset: true, seed: opts.randomResetSeed } : {}),
    });
    if (r.exitCode !== 0) throw new Error(`${opts.simulator} run of ${sim.name} failed (exit ${r.exitCode}):\n${r.command}\n${r.stdout}\n${r.stderr}`);
    const res = parseLaneJobOutput(sim.config, await readFile(outFile, 'utf8'));
    if (res.length !== jobs.length) throw new Error(`${sim.name}: ${res.length} of ${jobs.length} jobs finished`);
    return res;
  });
}
