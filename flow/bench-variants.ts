/**
 * The attention variants `make bench` compares: the SwiftKV lane and the two baselines on the
 * same blocks (generators/baselines/), with their names, bit-exact golden models and verified
 * cycle formulas in one place.
 */
import { goldenAttention, type GoldenResult } from '../generators/swiftkv/golden.ts';
import { laneCycles, type LaneTiming } from '../generators/swiftkv/lane.ts';
import { goldenBaseline, type BaselineVariant } from '../generators/baselines/golden.ts';
import { baselineCycles } from '../generators/baselines/cycles.ts';
import type { BaselineTiming } from '../generators/baselines/lane.ts';
import type { LaneParamsInput, Rescale } from '../generators/swiftkv/numerics.ts';
import type { LaneJob } from '../verify/swiftkv/lane.driver.ts';

export type BenchVariant = { kind: 'swiftkv'; rescale: Rescale } | BaselineVariant;

export function variantLabel(v: BenchVariant): string {
  if (v.kind === 'swiftkv') return v.rescale === 'multiply' ? 'SwiftKV' : 'SwiftKV (shift)';
  return v.kind === 'native' ? 'native' : `blockwise b=${v.block}`;
}

/** The variants of the cycle and resource comparison (SwiftKV with the paper's multiply rescale). */
export function benchVariants(blocks: readonly number[]): BenchVariant[] {
  return [{ kind: 'swiftkv', rescale: 'multiply' }, { kind: 'native' }, ...blocks.map((block): BenchVariant => ({ kind: 'blockwise', block }))];
}

export function goldenOfVariant(v: BenchVariant, job: LaneJob, params: LaneParamsInput): GoldenResult {
  if (v.kind === 'swiftkv') return goldenAttention(job.q, job.k, job.v, { ...params, rescale: v.rescale });
  return goldenBaseline(job.q, job.k, job.v, { ...params, variant: v });
}

export type VariantTiming = { kind: 'swiftkv'; timing: LaneTiming } | { kind: 'baseline'; timing: BaselineTiming };

/** The verified cycle formula: one lane, `heads` heads of L tokens back to back, every stream ready. */
export function formulaCycles(t: VariantTiming, L: number, heads: number): number {
  return t.kind === 'swiftkv' ? laneCycles(t.timing, L, heads) : baselineCycles(t.timing, L, heads);
}
