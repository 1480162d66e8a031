/**
 * The baseline regression: one case is one baseline lane (native or blockwise with a block
 * size) on one simulator, running jobs back to back without reset, with seeded data of every
 * kind (verify/swiftkv/stimulus.ts) and seeded valid gaps and ready stalls. `checkBaselineJobs`
 * is the one comparison: o and o_tuser bit for bit against goldenBaseline, status_sat = OR of
 * the heads' masks, status_error clear, cycles equal to baselineCycles with every stream ready
 * (never fewer otherwise).
 */
import { goldenBaseline, type BaselineVariant } from '../../generators/baselines/golden.ts';
import { baselineCycles } from '../../generators/baselines/cycles.ts';
import type { BaselineTiming } from '../../generators/baselines/lane.ts';
import type { GoldenResult } from '../../generators/swiftkv/golden.ts';
import { laneFormats, type LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import { satStages } from '../../generators/swiftkv/saturation.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { makeRng } from '../rng.ts';
import type { LaneHeadsJob, LaneRtlResult } from '../swiftkv/lane-job.rtl.ts';
import { makeJob, dataKinds, formatInfoOf, type DataKind } from '../swiftkv/stimulus.ts';
import { buildBaselineRtl, runBaselineRtl } from './baseline.rtl.ts';

export interface BaselineCase {
  readonly d: number;
  readonly P: number;
  readonly maxContext: number;
  readonly variant: BaselineVariant;
  /** Jobs run back to back without reset: L tokens per head, `heads` heads. */
  readonly jobs: readonly { readonly L: number; readonly heads: number }[];
  readonly simulator: SimulatorName;
  readonly seed: number;
  /** Percent of cycles an idle source offers a beat / the o sink is ready (100, 100: exact cycles). */
  readonly vprob: number;
  readonly rprob: number;
}

export const variantName = (v: BaselineVariant): string => (v.kind === 'native' ? 'native' : `blockwise(block=${v.block})`);

export function baselineCaseName(c: BaselineCase): string {
  const jobs = c.jobs.map((j) => `${j.L}x${j.heads}`).join(',');
  return `${variantName(c.variant)} d=${c.d} P=${c.P} maxContext=${c.maxContext} ${c.simulator} jobs(LxH)=${jobs} seed=${c.seed} valid=${c.vprob}% ready=${c.rprob}%`;
}

export function baselineParamsOf(c: Pick<BaselineCase, 'd' | 'P' | 'maxContext'>): LaneParamsInput {
  return { headDim: c.d, pe: c.P, maxContext: c.maxContext, rescale: 'multiply' };
}

/** Seeded jobs: every data kind in turn over the heads. */
export function baselineCaseJobs(c: BaselineCase): { jobs: LaneHeadsJob[]; kinds: DataKind[][] } {
  const fmt = formatInfoOf(laneFormats(baselineParamsOf(c)).data);
  const rng = makeRng(c.seed);
  let h = 0;
  const kinds: DataKind[][] = [];
  const jobs = c.jobs.map((shape) => {
    const ks = Array.from({ length: shape.heads }, () => dataKinds[(h++ + c.seed) % dataKinds.length]!);
    kinds.push(ks);
    return ks.map((k) => makeJob(k, c.d, shape.L, rng, fmt));
  });
  return { jobs, kinds };
}

const fmtMask = (m: number): string => `${m} (${satStages(m).join(',') || 'none'})`;

/** One line per difference between RTL results and the golden and cycle models (empty: equal). */
export function checkBaselineJobs(
  jobs: readonly LaneHeadsJob[],
  golden: readonly (readonly GoldenResult[])[],
  results: readonly LaneRtlResult[],
  timing: BaselineTiming,
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
    const want = baselineCycles(timing, L, job.length);
    if (exactCycles && r.cycles !== want) problems.push(`${where}: ${r.cycles} cycles but baselineCycles gives ${want} (every stream ready: a stall or a model error)`);
    if (!exactCycles && r.cycles < want) problems.push(`${where}: ${r.cycles} cycles, fewer than baselineCycles ${want} with every stream ready`);
  });
  return problems;
}

export interface BaselineCaseResult {
  readonly name: string;
  readonly problems: readonly string[];
  /** Measured cycles per job and the model's. */
  readonly cycles: readonly number[];
  readonly expectedCycles: readonly number[];
}

/** Build (cached), simulate, compare; a simulator failure is a problem, never a throw. */
export async function runBaselineCase(c: BaselineCase): Promise<BaselineCaseResult> {
  const params = baselineParamsOf(c);
  const { jobs, kinds } = baselineCaseJobs(c);
  const name = baselineCaseName(c);
  try {
    const { timing } = await buildBaselineRtl(params, c.variant, c.simulator);
    const results = await runBaselineRtl(params, c.variant, jobs, { simulator: c.simulator, seed: c.seed, vprob: c.vprob, rprob: c.rprob });
    const golden = jobs.map((job) => job.map((h) => goldenBaseline(h.q, h.k, h.v, { ...params, variant: c.variant })));
    return {
      name,
      problems: checkBaselineJobs(jobs, golden, results, timing, c.vprob === 100 && c.rprob === 100, kinds),
      cycles: results.map((r) => r.cycles),
      expectedCycles: c.jobs.map((j) => baselineCycles(timing, j.L, j.heads)),
    };
  } catch (e) {
    return { name, problems: [e instanceof Error ? e.message : String(e)], cycles: [], expectedCycles: [] };
  }
}
