/**
 * Runs jobs (several heads back to back, several jobs without reset) through the emitted
 * native or blockwise baseline lane on Verilator or Icarus, with the baseline job testbench
 * (testbenches/baseline_job_tb.v.hbs): seeded valid gaps on every source and ready stalls on
 * o. One simulator build per configuration (cached by the hash of the RTL), reused by every run.
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { emitDesign } from '../../hdl/index.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../../sim/simulator.ts';
import { projectRoot } from '../../sim/cache.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { writeModuleFiles, writeFileAtomic } from '../../hdl/artifacts.ts';
import { renderBaselineJobTestbench } from '../../testbenches/baseline-job.ts';
import { buildBaselineLane, type BaselineTiming } from '../../generators/baselines/lane.ts';
import type { BaselineVariant } from '../../generators/baselines/golden.ts';
import { HEAD_SAT_BITS } from '../../generators/swiftkv/norm.ts';
import type { LaneConfig } from '../../generators/swiftkv/config.ts';
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import { beats } from '../swiftkv/lane.driver.ts';
import { laneJobsText, parseLaneJobOutput, type LaneHeadsJob, type LaneRtlResult } from '../swiftkv/lane-job.rtl.ts';

export interface BaselineRtl {
  config: LaneConfig;
  timing: BaselineTiming;
  variant: BaselineVariant;
  name: string;
  build: SimBuild;
  dir: string;
  /** Seconds the simulator build took (0 when it came from the cache). */
  buildSeconds: number;
}

export interface BaselineRunOptions {
  simulator: SimulatorName;
  /** Testbench xorshift seed (valid gaps, ready stalls). */
  seed: number;
  /** Percent of cycles an idle source offers a beat / the sink is ready (100: always). */
  vprob: number;
  rprob: number;
  waves?: string;
}

export interface BaselineBuildOptions {
  maxHeads?: number;
  /** q beats the testbench holds per job (default: 16 heads). */
  qmax?: number;
}

const builds = new Map<string, Promise<BaselineRtl>>();

/** Emit the baseline lane and its testbench into .cache/designs/<name>/ and build (cached per process and by RTL hash). */
export function buildBaselineRtl(params: LaneParamsInput, variant: BaselineVariant, simulator: SimulatorName, opts: BaselineBuildOptions = {}): Promise<BaselineRtl> {
  const key = JSON.stringify([simulator, params, variant, opts]);
  let b = builds.get(key);
  if (!b) {
    b = (async () => {
      const { module, config: c, timing } = buildBaselineLane(params, variant, { maxHeads: opts.maxHeads ?? 16 });
      const name = module.name;
      const design = emitDesign(module);
      const dir = path.join(projectRoot(), '.cache', 'designs', `${name}-h${c.maxHeads}`);
      await mkdir(dir, { recursive: true });
      const sources = await writeModuleFiles(design, dir);
      const tbName = 'tb_baseline_lane';
      const tb = path.join(dir, `${tbName}.v`);
      await writeFileAtomic(tb, renderBaselineJobTestbench({
        tbName, dut: name, B: c.B, PW: c.P * c.W, LW: c.lenWidth, HW: c.headsWidth, SW: HEAD_SAT_BITS,
        QMAX: opts.qmax ?? c.B * Math.min(c.maxHeads, 16), split: variant.kind === 'native',
      }));
      sources.push(tb);
      const t0 = performance.now();
      const build = await buildSimulation({ simulator, top: tbName, sources });
      return { config: c, timing, variant, name, build, dir, buildSeconds: build.cached ? 0 : (performance.now() - t0) / 1000 };
    })();
    builds.set(key, b);
    b.catch(() => builds.delete(key));
  }
  return b;
}

/** Native: the jobs file carries q and k beats, the v file the v beats (each job's heads in order). */
export function splitJobsText(c: LaneConfig, jobs: readonly LaneHeadsJob[]): { jobs: string; v: string } {
  const hex = (v: bigint, bits: number): string => v.toString(16).padStart(Math.ceil(bits / 4), '0');
  const lines: string[] = [];
  const vLines: string[] = [];
  const PW = c.P * c.W;
  for (const job of jobs) {
    if (job.length === 0) throw new RangeError('baseline job with no heads');
    const L = job[0]!.k.length;
    if (job.some((h) => h.k.length !== L || h.v.length !== L)) throw new RangeError('baseline job: every head of a job has the same context length');
    lines.push(`${hex(BigInt(L), 32)} ${hex(BigInt(job.length), 32)}`);
    for (const h of job) beats(h.q, c.P, c.W).forEach((q, j) => lines.push(`${j === c.B - 1 ? 1 : 0} ${hex(q, PW)}`));
    for (const h of job) {
      for (let t = 0; t < L; t++) {
        beats(h.k[t]!, c.P, c.W).forEach((k, j) => lines.push(`${(h.kvLast?.[t * c.B + j] ?? j === c.B - 1) ? 1 : 0} ${hex(k, PW)}`));
        beats(h.v[t]!, c.P, c.W).forEach((v, j) => vLines.push(`${j === c.B - 1 ? 1 : 0} ${hex(v, PW)}`));
      }
    }
  }
  return { jobs: lines.join('\n') + '\n', v: vLines.join('\n') + '\n' };
}

export async function runBaselineRtl(
  params: LaneParamsInput,
  variant: BaselineVariant,
  jobs: readonly LaneHeadsJob[],
  opts: BaselineRunOptions,
  build: BaselineBuildOptions = {},
): Promise<LaneRtlResult[]> {
  const sim = await buildBaselineRtl(params, variant, opts.simulator, build);
  return withTempDir('baseline-', async (work) => {
    const jobsFile = path.join(work, 'jobs.hex');
    const vFile = path.join(work, 'v.hex');
    const outFile = path.join(work, 'out.txt');
    if (variant.kind === 'native') {
      const t = splitJobsText(sim.config, jobs);
      await writeFile(jobsFile, t.jobs);
      await writeFile(vFile, t.v);
    } else {
      await writeFile(jobsFile, laneJobsText(sim.config, jobs));
    }
    const r = await sim.build.run({
      plusargs: { jobs: jobsFile, out: outFile, seed: opts.seed, vprob: opts.vprob, rprob: opts.rprob, ...(variant.kind === 'native' ? { vfile: vFile } : {}) },
      ...(opts.waves ? { waves: opts.waves } : {}),
    });
    if (r.exitCode !== 0) throw new Error(`${opts.simulator} run of ${sim.name} failed (exit ${r.exitCode}):\n${r.command}\n${r.stdout}\n${r.stderr}`);
    const res = parseLaneJobOutput(sim.config, await readFile(outFile, 'utf8'));
    if (res.length !== jobs.length) throw new Error(`${sim.name}: ${res.length} of ${jobs.length} jobs finished`);
    return res;
  });
}
