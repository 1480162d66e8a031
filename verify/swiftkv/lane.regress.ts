/**
 * The lane regression: each case is one lane configuration on one simulator, running a list of
 * jobs back to back without reset (each job: cfg_heads heads of one context length L), with
 * seeded data of every kind (stimulus.ts), seeded valid gaps and ready stalls, and optionally
 * Verilator's random register initialisation. `checkLaneJobs` is the one comparison: o and the
 * per-head o_tuser bit for bit against goldenAttention, status_sat = OR of the heads' masks,
 * status_error clear, and cycles equal to laneCycles with every stream ready (>= otherwise).
 * The quick subset runs in `make test` (lane-job.test.ts), the full matrix in `make sim`, and
 * the mutation checks (mutation.test.ts) call the same `runCase`.
 */
import * as path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { goldenAttention, type GoldenResult } from '../../generators/swiftkv/golden.ts';
import { laneCycles, type LaneTiming } from '../../generators/swiftkv/lane.ts';
import { satStages } from '../../generators/swiftkv/saturation.ts';
import { laneFormats, type LaneParamsInput, type Rescale } from '../../generators/swiftkv/numerics.ts';
import { Q } from '../../hdl/fixed.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { projectRoot } from '../../sim/cache.ts';
import type { Mutate } from '../harness.ts';
import { makeRng } from '../rng.ts';
import { buildLaneRtl, runLaneRtl, type LaneHeadsJob, type LaneRtlResult } from './lane-job.rtl.ts';
import { makeJob, dataKinds, formatInfoOf, type DataKind } from './stimulus.ts';

/** Data formats of the matrix, with the exp2 split and dot rounding each needs. */
export const DATA_FORMATS = {
  'Q15.17': {},
  // 16 fraction bits: 5 index + 11 interpolation bits.
  'Q16.16': { dataFormat: Q(16, 16), scoreFormat: Q(16, 16), exp2: { indexBits: 5, interpBits: 11 } },
  // 16-bit data: 5 index + 3 interpolation bits; the dot keeps at most 2 x 8 fraction bits.
  'Q8.8': { dataFormat: Q(8, 8), scoreFormat: Q(8, 8), exp2: { indexBits: 5, interpBits: 3 }, dotFracBits: 16 },
} as const satisfies Record<string, Partial<LaneParamsInput>>;

export type DataFormatName = keyof typeof DATA_FORMATS;
export const DATA_FORMAT_NAMES = Object.keys(DATA_FORMATS) as DataFormatName[];

/** One job: L tokens per head, `heads` heads (cfg_len, cfg_heads). */
export interface JobShape {
  readonly L: number;
  readonly heads: number;
}

export interface RegressCase {
  readonly d: number;
  readonly P: number;
  readonly rescale: Rescale;
  readonly format: DataFormatName;
  /** Default 16384 (the generator's default). */
  readonly maxContext?: number;
  /** Run back to back without reset. */
  readonly jobs: readonly JobShape[];
  readonly simulator: SimulatorName;
  /** Seed of the data and of the testbench's valid gaps and ready stalls. */
  readonly seed: number;
  /** Percent of cycles an idle source offers a beat / the o sink is ready; 100 and 100: no backpressure. */
  readonly vprob: number;
  readonly rprob: number;
  /** Verilator: random register initialisation with this seed. */
  readonly randomResetSeed?: number;
  /** A deliberately broken RTL (mutation checks): the case must fail. */
  readonly mutation?: Mutate;
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  readonly jobs: number;
  readonly heads: number;
  readonly tokens: number;
  /** Per job: measured cycles (start to done) and the model's laneCycles. */
  readonly cycles: readonly number[];
  readonly expectedCycles: readonly number[];
  readonly ms: number;
  /** What differed, where, the seed, a waveform and the command that reproduces it. */
  readonly failure?: string;
}

export function laneParamsOf(c: Pick<RegressCase, 'd' | 'P' | 'rescale' | 'format' | 'maxContext'>): LaneParamsInput {
  return { headDim: c.d, pe: c.P, rescale: c.rescale, ...DATA_FORMATS[c.format], ...(c.maxContext !== undefined ? { maxContext: c.maxContext } : {}) };
}

export const jobsText = (jobs: readonly JobShape[]): string => jobs.map((j) => `${j.L}x${j.heads}`).join(',');

export function caseName(c: RegressCase): string {
  const rr = c.randomResetSeed !== undefined ? ` random-reset=${c.randomResetSeed}` : '';
  const mc = c.maxContext !== undefined ? ` maxContext=${c.maxContext}` : '';
  const mut = c.mutation ? ` mutant=${c.mutation.name}` : '';
  return `d=${c.d} P=${c.P} ${c.rescale} ${c.format}${mc} ${c.simulator} jobs(LxH)=${jobsText(c.jobs)} seed=${c.seed} valid=${c.vprob}% ready=${c.rprob}%${rr}${mut}`;
}

export function reproduceCommand(c: RegressCase): string {
  const rr = c.randomResetSeed !== undefined ? ` --random-reset ${c.randomResetSeed}` : '';
  const mc = c.maxContext !== undefined ? ` --max-context ${c.maxContext}` : '';
  return (
    `node --import tsx scripts/sim.ts --d ${c.d} --pe ${c.P} --rescale ${c.rescale} --format ${c.format}${mc} --sim ${c.simulator} ` +
    `--jobs ${jobsText(c.jobs)} --seed ${c.seed} --valid ${c.vprob} --ready ${c.rprob}${rr}`
  );
}

/** The data kind of head h of job j: every kind in turn (offset by the seed). */
function kindOf(seed: number, headIndex: number): DataKind {
  return dataKinds[(headIndex + seed) % dataKinds.length]!;
}

/** The jobs of a case: seeded data, every data kind in turn over the heads. */
export function caseJobs(c: RegressCase): { jobs: LaneHeadsJob[]; kinds: DataKind[][] } {
  const fmt = formatInfoOf(laneFormats(laneParamsOf(c)).data);
  const rng = makeRng(c.seed);
  let h = 0;
  const kinds: DataKind[][] = [];
  const jobs = c.jobs.map((shape) => {
    const ks = Array.from({ length: shape.heads }, () => kindOf(c.seed, h++));
    kinds.push(ks);
    return ks.map((k) => makeJob(k, c.d, shape.L, rng, fmt));
  });
  return { jobs, kinds };
}

const fmtMask = (m: number): string => `${m} (${satStages(m).join(',') || 'none'})`;

/**
 * The regression's comparison of lane results with the golden model and the cycle model: one
 * line per problem (empty: all equal). `exactCycles`: every stream was always valid and ready,
 * so cycles must equal laneCycles; otherwise they may only be larger.
 */
export function checkLaneJobs(
  jobs: readonly LaneHeadsJob[],
  golden: readonly (readonly GoldenResult[])[],
  results: readonly LaneRtlResult[],
  timing: LaneTiming,
  exactCycles: boolean,
  kinds?: readonly (readonly DataKind[])[],
): string[] {
  const problems: string[] = [];
  if (results.length !== jobs.length) problems.push(`${results.length} jobs finished, ${jobs.length} started`);
  jobs.forEach((job, j) => {
    const r = results[j];
    if (!r) return;
    const L = job[0]!.k.length;
    const where = `job ${j} (L=${L}, ${job.length} heads)`;
    if (r.error) problems.push(`${where}: status_error set`);
    if (r.heads.length !== job.length) problems.push(`${where}: ${r.heads.length} heads came out, ${job.length} expected`);
    let satOr = 0;
    job.forEach((_, h) => {
      const g = golden[j]![h]!;
      satOr |= g.sat;
      const got = r.heads[h];
      if (!got) return;
      const hw = `${where} head ${h}${kinds ? ` (${kinds[j]![h]})` : ''}`;
      if (got.o.length !== g.o.length) problems.push(`${hw}: ${got.o.length} o values, expected ${g.o.length}`);
      else {
        const bad = g.o.findIndex((x, i) => got.o[i] !== x);
        if (bad >= 0) problems.push(`${hw}: o[${bad}] = ${got.o[bad]} but golden ${g.o[bad]} (raw)`);
      }
      if (got.mask !== g.sat) problems.push(`${hw}: o_tuser ${fmtMask(got.mask)} but golden ${fmtMask(g.sat)}`);
    });
    if (r.sat !== satOr) problems.push(`${where}: status_sat ${fmtMask(r.sat)} but the OR of the golden masks is ${fmtMask(satOr)}`);
    const want = laneCycles(timing, L, job.length);
    if (exactCycles && r.cycles !== want) problems.push(`${where}: ${r.cycles} cycles but laneCycles gives ${want} (every stream ready: a stall or a model error)`);
    if (!exactCycles && r.cycles < want) problems.push(`${where}: ${r.cycles} cycles, fewer than laneCycles ${want} with every stream ready`);
  });
  return problems;
}

/** Golden results of every head of every job. */
export function goldenOf(c: RegressCase, jobs: readonly LaneHeadsJob[]): GoldenResult[][] {
  const params = laneParamsOf(c);
  return jobs.map((job) => job.map((h) => goldenAttention(h.q, h.k, h.v, params)));
}

/** Run one case: build (cached), simulate, compare. Never throws for a failing comparison. */
export async function runCase(c: RegressCase): Promise<CaseResult> {
  const t0 = performance.now();
  const params = laneParamsOf(c);
  const { jobs, kinds } = caseJobs(c);
  const name = caseName(c);
  const base = {
    name,
    jobs: jobs.length,
    heads: c.jobs.reduce((a, j) => a + j.heads, 0),
    tokens: c.jobs.reduce((a, j) => a + j.heads * j.L, 0),
  };
  const runOpts = {
    simulator: c.simulator,
    seed: c.seed,
    vprob: c.vprob,
    rprob: c.rprob,
    ...(c.randomResetSeed !== undefined ? { randomResetSeed: c.randomResetSeed } : {}),
    ...(c.mutation ? { mutation: c.mutation } : {}),
  };
  let timing: LaneTiming | undefined;
  let results: LaneRtlResult[] = [];
  let problems: string[];
  try {
    timing = (await buildLaneRtl(params, c.simulator, {}, c.mutation)).timing;
    results = await runLaneRtl(params, jobs, runOpts);
    problems = checkLaneJobs(jobs, goldenOf(c, jobs), results, timing, c.vprob === 100 && c.rprob === 100, kinds);
  } catch (e) {
    // A simulator that fails to finish a job (a hang, a crash) is a failing case too.
    problems = [e instanceof Error ? e.message : String(e)];
  }
  const expectedCycles = timing ? c.jobs.map((j) => laneCycles(timing, j.L, j.heads)) : [];
  let failure: string | undefined;
  if (problems.length > 0) {
    const tag = `${c.d}-p${c.P}-${c.rescale}-${c.format}-${c.simulator}-seed${c.seed}${c.mutation ? `-mutant-${c.mutation.name}` : ''}`;
    const waves = path.join(projectRoot(), '.cache', 'failures', `lane-d${tag}.vcd`);
    let wavesNote = `waveform: ${waves}`;
    try {
      await mkdir(path.dirname(waves), { recursive: true });
      await rm(waves, { force: true }); // a waveform of an earlier run is not this one's
      await runLaneRtl(params, jobs, { ...runOpts, waves });
    } catch {
      // The rerun fails the way the run did (after writing the waveform, unless it crashed).
      if (!existsSync(waves)) wavesNote = `waveform: could not be written (${waves})`;
    }
    const more = problems.length > 8 ? `\n  ... and ${problems.length - 8} more` : '';
    failure = `${name}\n  ${problems.slice(0, 8).join('\n  ')}${more}\n  ${wavesNote}\n  reproduce: ${reproduceCommand(c)}`;
  }
  return {
    ...base,
    ok: problems.length === 0,
    cycles: results.map((r) => r.cycles),
    expectedCycles,
    ms: performance.now() - t0,
    ...(failure ? { failure } : {}),
  };
}

const shapes = (list: readonly (readonly [number, number])[]): JobShape[] => list.map(([L, heads]) => ({ L, heads }));

/**
 * `make test`: a few configurations (each one simulator build, reused by its cases) covering
 * d = 16, 64, 128, P = 1, 4, 16 and P = d, both rescale options, Q15.17, Q16.16 and Q8.8,
 * L = 1, 2, odd and >= 128, 1..5 heads per job, jobs without reset, backpressure, random
 * register initialisation, both simulators.
 */
export function quickMatrix(seed: number): RegressCase[] {
  const q = (d: number, P: number, rescale: Rescale, format: DataFormatName, simulator: SimulatorName, jobs: JobShape[], s: number, bp: [number, number], rr?: number): RegressCase => ({
    d, P, rescale, format, simulator, jobs, seed: s, vprob: bp[0], rprob: bp[1], ...(rr !== undefined ? { randomResetSeed: rr } : {}),
  });
  const mixed = shapes([[1, 1], [2, 5], [17, 3], [128, 1], [3, 4]]);
  return [
    q(16, 4, 'multiply', 'Q15.17', 'verilator', mixed, seed, [100, 100]),
    q(16, 4, 'multiply', 'Q15.17', 'verilator', shapes([[5, 2], [1, 3], [33, 2]]), seed + 1, [60, 45], seed + 2),
    q(16, 16, 'shift', 'Q15.17', 'verilator', shapes([[1, 2], [129, 2], [2, 1], [9, 5]]), seed + 3, [100, 100]),
    q(16, 1, 'shift', 'Q15.17', 'verilator', shapes([[3, 2], [128, 1], [1, 1]]), seed + 4, [70, 60], seed + 5),
    q(64, 16, 'multiply', 'Q16.16', 'verilator', shapes([[1, 2], [131, 1], [2, 3]]), seed + 6, [100, 100]),
    q(16, 4, 'shift', 'Q8.8', 'verilator', shapes([[7, 3], [128, 2], [1, 1]]), seed + 7, [100, 100]),
    q(16, 4, 'shift', 'Q8.8', 'verilator', shapes([[2, 4], [19, 1]]), seed + 8, [55, 50], seed + 9),
    q(128, 16, 'multiply', 'Q15.17', 'verilator', shapes([[1, 1], [3, 2], [128, 1]]), seed + 10, [100, 100]),
    q(16, 4, 'multiply', 'Q15.17', 'icarus', shapes([[1, 1], [2, 3], [17, 2]]), seed + 11, [100, 100]),
    q(16, 4, 'multiply', 'Q15.17', 'icarus', shapes([[3, 2], [5, 1]]), seed + 12, [60, 45]),
    q(16, 16, 'shift', 'Q15.17', 'icarus', shapes([[1, 1], [3, 5], [128, 1]]), seed + 13, [75, 65]),
  ];
}

/**
 * `make sim`: d in {16, 64, 128} x P in {1, 4, 16, d} x both rescale options on Verilator, once
 * with every stream ready (exact cycles) and once with backpressure and random register
 * initialisation; Q16.16 and Q8.8 at d = 64; an Icarus subset; random register
 * initialisation under several seeds.
 */
export function fullMatrix(seed: number): RegressCase[] {
  const cases: RegressCase[] = [];
  for (const d of [16, 64, 128]) {
    for (const P of [...new Set([1, 4, 16, d])]) {
      const B = d / P;
      // Long contexts cost L x B cycles per head: keep the P = 1, d = 128 case (B = 128) shorter.
      const long = B >= 64 ? 1024 : 4096;
      for (const rescale of ['multiply', 'shift'] as const) {
        const s = seed + cases.length;
        cases.push({ d, P, rescale, format: 'Q15.17', simulator: 'verilator', seed: s, vprob: 100, rprob: 100,
          jobs: shapes([[1, 1], [2, 5], [3, 2], [17, 4], [128, 3], [1023, 1], [long, 1], [5, 5]]) });
        cases.push({ d, P, rescale, format: 'Q15.17', simulator: 'verilator', seed: s + 1, vprob: 60, rprob: 45, randomResetSeed: s + 2,
          jobs: shapes([[1, 3], [3, 2], [17, 5], [129, 1], [2, 1]]) });
      }
    }
  }
  for (const format of ['Q16.16', 'Q8.8'] as const) {
    for (const rescale of ['multiply', 'shift'] as const) {
      for (const P of [4, 64]) {
        const s = seed + 500 + cases.length;
        cases.push({ d: 64, P, rescale, format, simulator: 'verilator', seed: s, vprob: 100, rprob: 100, jobs: shapes([[1, 2], [2, 1], [17, 5], [128, 2], [4096, 1]]) });
        cases.push({ d: 64, P, rescale, format, simulator: 'verilator', seed: s + 1, vprob: 70, rprob: 50, randomResetSeed: s + 2, jobs: shapes([[3, 4], [129, 1], [1, 1]]) });
      }
    }
  }
  for (const rescale of ['multiply', 'shift'] as const) {
    const s = seed + 900 + cases.length;
    cases.push({ d: 16, P: 4, rescale, format: 'Q15.17', simulator: 'icarus', seed: s, vprob: 70, rprob: 60, jobs: shapes([[1, 1], [2, 5], [3, 2], [17, 3], [128, 1]]) });
    cases.push({ d: 64, P: 16, rescale, format: 'Q15.17', simulator: 'icarus', seed: s + 1, vprob: 100, rprob: 100, jobs: shapes([[1, 2], [17, 1], [128, 2]]) });
    cases.push({ d: 128, P: 128, rescale, format: 'Q15.17', simulator: 'icarus', seed: s + 2, vprob: 80, rprob: 70, jobs: shapes([[1, 1], [5, 3], [128, 1]]) });
    cases.push({ d: 64, P: 16, rescale, format: 'Q8.8', simulator: 'icarus', seed: s + 3, vprob: 100, rprob: 100, jobs: shapes([[2, 2], [65, 1]]) });
  }
  for (let r = 0; r < 4; r++) {
    cases.push({ d: 64, P: 4, rescale: r % 2 === 0 ? 'multiply' : 'shift', format: 'Q15.17', simulator: 'verilator', seed: seed + 1000 + r, vprob: 80, rprob: 70, randomResetSeed: 7000 + r,
      jobs: shapes([[1, 1], [17, 3], [128, 2]]) });
  }
  return cases;
}
