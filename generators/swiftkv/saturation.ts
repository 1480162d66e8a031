/**
 * Saturation flags of the SwiftKV lane: the one definition of the `status_sat` output.
 *
 * Every narrowing of the lane's datapath that saturates (clamps a value that does not fit its
 * format to the format's nearest end) raises the bit of its stage. The lane ORs the bits of a
 * query into `status_sat`: cleared by `start`, sticky until the next `start`, so it is valid
 * from `done` on. The MHA top ORs the bits of every lane that took part in the job (all
 * rounds) into its own `status_sat`, with the same lifetime. The golden model
 * (`goldenAttention(...).sat`) computes the same mask from the same narrowing functions
 * (`narrowFlagged` / `saturateFlagged` in hdl/fixed.ts), and the tests compare the two bit for
 * bit.
 *
 * A set bit says a value was clamped; whether that can change the output depends on the stage
 * (and for exp2in on the formats): `canChangeOutput` tells. `npm run attend` fails (or warns,
 * with `--on-saturation warn`) on the stages that can, and mentions the others.
 *
 * To add a stage (e.g. after a datapath change): append it to SAT_STAGES (its bit is its
 * index), raise it in the lane's blocks and in golden.ts with the same narrowing call (the blocks
 * concatenate the flags in this order: DOT/MAX-EXP score and exp2in, ACC acc, NORM out).
 */
import type { LaneFormats } from './numerics.ts';
import { qType } from '../../hdl/fixed.ts';
import { minValue } from '../../hdl/types.ts';

export interface SatStage {
  readonly name: string;
  /** What is narrowed, into what. */
  readonly narrowing: string;
  /** Whether a clamp here can change the output o, for these formats. */
  readonly canChangeOutput: (f: LaneFormats) => boolean;
  /** Why (shown by the CLI and in docs). */
  readonly effect: string;
}

/** The stages, bit i of status_sat = SAT_STAGES[i]. */
export const SAT_STAGES = [
  {
    name: 'score',
    narrowing: 's = c * (q . k) (c = log2(e)/sqrt(d)), rounded and saturated to the score format',
    canChangeOutput: () => true,
    effect: 'a score was clamped, so the softmax weights are wrong (|c * (q . k)| >= 16384 in Q15.17)',
  },
  {
    name: 'exp2in',
    narrowing: 'the exp2 input (a difference of two scores, <= 0) saturated to the score format',
    canChangeOutput: (f) => exp2InputClampMatters(f),
    effect: 'two scores differ by more than the score format spans; harmless when exp2 of the format\'s lowest value is already 0',
  },
  {
    name: 'acc',
    narrowing: 'the Z and Y accumulators (rescaled and summed), rounded and saturated to their formats',
    canChangeOutput: () => true,
    effect: 'an accumulator was clamped; the formats are derived so this cannot happen for L <= maxContext',
  },
  {
    name: 'out',
    narrowing: 'o = Y * (1/Z), rounded and saturated to the data format',
    canChangeOutput: () => false,
    effect: 'an output reached the end of the data format; |o| <= max |v| always fits, so the clamp only removes a rounding overshoot',
  },
] as const satisfies readonly SatStage[];

export type SatStageName = (typeof SAT_STAGES)[number]['name'];

/** Width of status_sat. */
export const SAT_WIDTH = SAT_STAGES.length;

/** Bit position of a stage in status_sat. */
export function satBit(name: SatStageName): number {
  return SAT_STAGES.findIndex((s) => s.name === name);
}

/** The mask of a set of stages. */
export function satMask(stages: Iterable<SatStageName>): number {
  let m = 0;
  for (const s of stages) m |= 1 << satBit(s);
  return m;
}

/** The stages whose bits are set in `mask`. */
export function satStages(mask: number): SatStageName[] {
  return SAT_STAGES.filter((_, i) => ((mask >> i) & 1) === 1).map((s) => s.name);
}

/**
 * exp2 returns 0 for inputs below -(F + 1) (exp2.ts). If the score format's lowest value is
 * already there, exp2 of the clamped input equals exp2 of the true one (0): no effect.
 */
function exp2InputClampMatters(f: LaneFormats): boolean {
  const lowest = minValue(qType(f.exp2In)); // raw, exp2In fraction bits
  const cutoff = -(BigInt(f.exp2Out.fracBits + 2) << BigInt(f.exp2In.fracBits));
  return lowest > cutoff;
}

/** Split a mask into the stages that can change the output and those that cannot (for these formats). */
export function classifySat(mask: number, f: LaneFormats): { harmful: SatStageName[]; harmless: SatStageName[] } {
  const harmful: SatStageName[] = [];
  const harmless: SatStageName[] = [];
  SAT_STAGES.forEach((s, i) => {
    if (((mask >> i) & 1) === 0) return;
    (s.canChangeOutput(f) ? harmful : harmless).push(s.name);
  });
  return { harmful, harmless };
}

/** One line per stage for docs and --help. */
export function describeSatStages(): string[] {
  return SAT_STAGES.map((s, i) => `bit ${i} ${s.name}: ${s.narrowing}; ${s.effect}`);
}
