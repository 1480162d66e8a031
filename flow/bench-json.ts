/**
 * bench.json: every figure `make bench` measured or derived, defined by a zod schema and
 * validated before it is written (a figure that is not a finite number is a bug, not a value).
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const positive = z.number().finite().positive();
const finite = z.number().finite();

export const VARIANTS = ['swiftkv', 'native', 'blockwise'] as const;

export const VariantJson = z.object({
  kind: z.enum(VARIANTS),
  /** Tokens per block (blockwise only). */
  block: z.number().int().positive().optional(),
  /** Display name, e.g. `blockwise b=32`. */
  name: z.string().min(1),
});

export const CyclePointJson = z.object({
  variant: z.string().min(1),
  P: z.number().int().positive(),
  L: z.number().int().positive(),
  heads: z.number().int().positive(),
  lanes: z.number().int().positive(),
  cycles: count,
  /** rtl: simulated on Verilator (and equal to the formula); formula: the verified cycle formula. */
  source: z.enum(['rtl', 'formula']),
  computeBound: positive,
  kvStreamBound: positive,
  /** cycles / computeBound and cycles / kvStreamBound. */
  vsCompute: positive,
  vsKvStream: positive,
  /** This variant's cycles over SwiftKV's at the same P, L, heads and lanes. */
  vsSwiftkv: positive,
});

export const ResourceJson = z.object({
  variant: z.string().min(1),
  maxContext: z.number().int().positive(),
  top: z.string().min(1),
  dsp: count,
  lut: count,
  ff: count,
  bram36: z.number().nonnegative(),
  uram: count,
  lutram: count,
  estimatedMHz: positive.nullable(),
});

export const AccuracyJson = z.object({
  variant: z.string().min(1),
  data: z.enum(['normal', 'outliers']),
  L: z.number().int().positive(),
  /** max |o - o_ref| / max |o_ref| against float64 attention. */
  error: z.number().finite().nonnegative(),
});

export const DecodeJson = z.object({
  model: z.string().min(1),
  weights: z.union([z.literal(4), z.literal(8)]),
  L: z.number().int().positive(),
  tokensPerSecond: positive,
  attentionMs: positive,
  gemvMs: positive,
  weightStreamingBound: positive,
  dspComputeBound: positive,
});

export const SpacePointJson = z.object({
  H: z.number().int().positive(),
  P: z.number().int().positive(),
  weights: z.union([z.literal(4), z.literal(8)]),
  tokensPerSecond: positive,
  dsp: count,
  lut: count,
  dspShare: z.number().nonnegative(),
  lutShare: z.number().nonnegative(),
  estimatedMHz: positive,
  /** Where the resources come from: a Yosys run of this design, or linear in H from runs at H = 1 and 2. */
  resourceSource: z.enum(['yosys', 'linear-in-H']),
  attentionError: z.number().finite().nonnegative(),
  gemvError: z.number().finite().nonnegative(),
  fits: z.boolean(),
  pareto: z.boolean(),
});

export const BenchJson = z.object({
  schema: z.literal(1),
  quick: z.boolean(),
  startedAt: z.string().min(1),
  seconds: z.object({ total: positive, phases: z.record(z.string(), z.number().finite().nonnegative()) }),
  machine: z.object({ cores: z.number().int().positive(), loadAverage: z.array(finite) }),
  config: z.object({
    d: z.number().int().positive(),
    Ps: z.array(z.number().int().positive()).min(1),
    Ls: z.array(z.number().int().positive()).min(1),
    extendedLs: z.array(z.number().int().positive()),
    blocks: z.array(z.number().int().positive()).min(1),
    maxContext: z.number().int().positive(),
    nHeads: z.number().int().positive(),
    lanes: z.array(z.number().int().positive()).min(1),
    bandwidthGBs: positive,
    clockMHz: positive,
    clockSource: z.string().min(1),
    bytesPerElement: positive,
  }),
  variants: z.array(VariantJson).min(1),
  cycles: z.array(CyclePointJson),
  /** Every RTL-measured cycle count equals its formula (else the formula extends nothing). */
  formulasMatch: z.boolean(),
  resources: z.array(ResourceJson),
  accuracy: z.array(AccuracyJson),
  decode: z.array(DecodeJson),
  space: z.array(SpacePointJson),
  toolSpeed: z.object({
    genSeconds: positive,
    verilatorBuildSeconds: z.number().finite().nonnegative(),
    verilatorBuildCached: z.boolean(),
    verilatorCyclesPerSecond: positive,
  }),
  paper: z.object({ swiftkvVsNative: positive, mhaSpeedup: positive, ours: z.object({ swiftkvVsNative: positive, mhaSpeedup: positive, mhaLanes: z.number().int().positive(), P: z.number().int().positive(), L: z.number().int().positive() }) }),
});

export type BenchJsonT = z.infer<typeof BenchJson>;
export type CyclePoint = z.infer<typeof CyclePointJson>;
export type SpacePoint = z.infer<typeof SpacePointJson>;
export type AccuracyPoint = z.infer<typeof AccuracyJson>;
export type ResourcePoint = z.infer<typeof ResourceJson>;
export type DecodePoint = z.infer<typeof DecodeJson>;

/** Validated JSON text; throws naming the first field that is wrong. */
export function benchJsonText(b: unknown): string {
  const r = BenchJson.safeParse(b);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`bench.json: ${i.path.join('.') || '(root)'}: ${i.message} (${r.error.issues.length} problem(s))`);
  }
  return JSON.stringify(r.data, null, 1) + '\n';
}
