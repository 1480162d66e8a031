/**
 * Attention latency in RTL for `make bench`: one Verilator build per variant and P, jobs of one
 * head at each L and one job of nHeads heads, run back to back without reset with every stream
 * ready, so each job's cycles must equal the variant's verified formula and o must equal its
 * golden model bit for bit (a difference stops the bench: the figures would not be the design's).
 */
import { buildLaneRtl, runLaneRtl, type LaneHeadsJob, type LaneRtlResult } from '../verify/swiftkv/lane-job.rtl.ts';
import { buildBaselineRtl, runBaselineRtl } from '../verify/baselines/baseline.rtl.ts';
import type { GoldenResult } from '../generators/swiftkv/golden.ts';
import type { LaneParamsInput } from '../generators/swiftkv/numerics.ts';
import { formulaCycles, variantLabel, type BenchVariant, type VariantTiming } from './bench-variants.ts';

export interface RtlJobResult {
  L: number;
  heads: number;
  cycles: number;
  formula: number;
}

export interface RtlMeasurement {
  timing: VariantTiming;
  jobs: RtlJobResult[];
  /** Seconds of the simulator build (0: cached) and of the run. */
  buildSeconds: number;
  runSeconds: number;
}

export interface MeasureInput {
  variant: BenchVariant;
  params: LaneParamsInput;
  maxHeads: number;
  jobs: readonly LaneHeadsJob[];
  /** Golden results of every head of every job (the same order). */
  golden: readonly (readonly GoldenResult[])[];
}

export async function measureRtl(m: MeasureInput): Promise<RtlMeasurement> {
  const B = m.params.headDim / (m.params.pe ?? 1);
  const build = { maxHeads: m.maxHeads, qmax: B * m.maxHeads };
  const opts = { simulator: 'verilator' as const, seed: 1, vprob: 100, rprob: 100 };
  const t0 = performance.now();
  let timing: VariantTiming;
  let cachedBuild: boolean;
  if (m.variant.kind === 'swiftkv') {
    const params = { ...m.params, rescale: m.variant.rescale };
    const b = await buildLaneRtl(params, 'verilator', build);
    timing = { kind: 'swiftkv', timing: b.timing };
    cachedBuild = b.build.cached;
  } else {
    const b = await buildBaselineRtl(m.params, m.variant, 'verilator', build);
    timing = { kind: 'baseline', timing: b.timing };
    cachedBuild = b.build.cached;
  }
  const t1 = performance.now();
  let results: LaneRtlResult[];
  if (m.variant.kind === 'swiftkv') results = await runLaneRtl({ ...m.params, rescale: m.variant.rescale }, m.jobs, opts, build);
  else results = await runBaselineRtl(m.params, m.variant, m.jobs, opts, build);
  const t2 = performance.now();
  const name = variantLabel(m.variant);
  const jobs = m.jobs.map((job, j): RtlJobResult => {
    const r = results[j]!;
    const L = job[0]!.k.length;
    const where = `${name} P=${m.params.pe} job ${j} (L=${L}, ${job.length} heads)`;
    if (r.error) throw new Error(`${where}: status_error set`);
    job.forEach((_, h) => {
      const g = m.golden[j]![h]!;
      const got = r.heads[h]?.o ?? [];
      const bad = g.o.findIndex((x, i) => got[i] !== x);
      if (got.length !== g.o.length || bad >= 0) throw new Error(`${where} head ${h}: the RTL's o differs from the golden model (o[${bad}] = ${got[bad]} vs ${g.o[bad]})`);
    });
    return { L, heads: job.length, cycles: r.cycles, formula: formulaCycles(timing, L, job.length) };
  });
  return { timing, jobs, buildSeconds: cachedBuild ? 0 : (t1 - t0) / 1000, runSeconds: (t2 - t1) / 1000 };
}
