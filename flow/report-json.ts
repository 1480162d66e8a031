/**
 * report.json: the machine-readable summary of a generated design (issue 8 item 6), defined by
 * a zod schema and validated before it is written.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

export const ResourcesJson = z.object({
  dsp: count,
  lut: count,
  ff: count,
  /** RAMB36 equivalents (a RAMB18 counts 0.5). */
  bram36: z.number().nonnegative().multipleOf(0.5),
  uram: count,
  latches: count,
  lutram: count,
});

export const PathJson = z.object({
  module: z.string().min(1),
  from: z.string().min(1),
  to: z.string().min(1),
});

export const RoutingAllowanceJson = z.object({
  ns: z.number().nonnegative(),
  model: z.string().min(1),
});

export const ModuleJson = z.object({
  name: z.string().min(1),
  /** Occurrences in the whole hierarchy. */
  instances: count,
  primitive: z.object({ kind: z.literal('dsp48e2'), inputsRegistered: z.boolean(), outputRegistered: z.boolean(), latency: count }).nullable(),
  /** This module with everything below it (null without synthesis). */
  resources: ResourcesJson.nullable(),
  timing: z
    .object({
      kind: z.enum(['reg-to-reg', 'in-to-out', 'primitive', 'none']),
      worstLogicNs: z.number().nonnegative().nullable(),
      path: PathJson.nullable(),
      routingAllowance: RoutingAllowanceJson.nullable(),
      estimatedMHz: z.number().positive().nullable(),
    })
    .nullable(),
});

export const ReportJson = z.object({
  schema: z.literal('swiftkv-report/2'),
  top: z.string().min(1),
  params: z.record(z.string(), z.unknown()),
  /** The whole design (null with --no-synth). */
  resources: ResourcesJson.nullable(),
  /** DSP48E2 tile primitive instances with registered inputs and output, over the whole hierarchy. */
  dspRegistered: count,
  /** Every DSP48E2 Yosys maps in the whole design (null with --no-synth). */
  dspTotal: count.nullable(),
  timing: z
    .object({
      worstLogicNs: z.number().positive(),
      worstPath: PathJson,
      routingAllowance: RoutingAllowanceJson,
      estimatedMHz: z.number().positive(),
      /** The period constraints.xdc asks for. */
      clockPeriodNs: z.number().positive(),
      /** Lowest data-sheet FMAX of a DSP tile in the design, when one bounds the clock. */
      primitiveBound: z.object({ mhz: z.number().positive(), module: z.string(), what: z.string() }).nullable(),
      /** Cell types without delays in the timing run (paths through them are missing). */
      unmodelledCells: z.array(z.string()),
      note: z.string().min(1),
    })
    .nullable(),
  cycles: z.object({
    /** Cycles between a lane's tokens. */
    perToken: z.number().int().positive(),
    headLatency: z.string().min(1),
    attentionJob: z.string().min(1),
    /** Attention jobs from the exact formula, against the multiplier bound. */
    attention: z.array(z.object({ nHeads: count, L: count, cycles: count, bound: count, ratio: z.number().positive() })),
  }),
  gemv: z.object({
    peakMacsPerCycle: count,
    /** A whole layer (cycles from the exact formula, every stream ready): MACs per cycle and per DSP. */
    layer: z.object({ M: count, N: count, cycles: count, macsPerCycle: z.number().positive(), macsPerDsp: z.number().positive() }),
    /** MACs per cycle while weights stream, per weight width, and per DSP of the design. */
    macsPerCycle: z.object({ int8: z.number().positive(), int4: z.number().positive() }),
    macsPerDsp: z.object({ int8: z.number().positive(), int4: z.number().positive() }),
    dspCount: count,
    /** 'yosys': the synthesised count; 'tiles': the DSP tile count (no synthesis). */
    dspCountSource: z.enum(['yosys', 'tiles']),
    weightBitsPerCycle: count,
    weightGBsAtClock: z.number().positive(),
  }),
  decode: z.array(
    z.object({
      model: z.string().min(1),
      weights: z.union([z.literal(4), z.literal(8)]),
      L: count,
      tokensPerSecond: z.number().positive(),
      msPerToken: z.number().positive(),
      bound: z.object({ weightStreaming: z.number().positive(), dspCompute: z.number().positive() }),
      clockMHz: z.number().positive(),
      bandwidthGBs: z.number().positive(),
      assumptions: z.array(z.string().min(1)),
    }),
  ),
  /** Share of an Alveo U55C per resource (null without synthesis). */
  u55c: z.array(z.object({ resource: z.string(), used: count, available: count, share: z.number().nonnegative() })).nullable(),
  /** Worst figure of the accuracy table at this configuration, or null when not measured. */
  accuracy: z.number().nonnegative().nullable(),
  modules: z.array(ModuleJson),
});

export type ReportJsonT = z.infer<typeof ReportJson>;

/** Validated JSON text, or an Error listing every field that broke the schema. */
export function reportJsonText(r: unknown): string {
  const parsed = ReportJson.safeParse(r);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new Error(`report.json does not match its schema:\n  ${problems.join('\n  ')}`);
  }
  return JSON.stringify(parsed.data, null, 2) + '\n';
}
