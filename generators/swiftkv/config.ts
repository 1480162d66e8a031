/**
 * The lane configuration, resolved once: the number formats (numerics.ts) and every size the
 * generators derive from them. Blocks take this object; nothing below re-resolves parameters.
 */
import { clog2 } from '../../hdl/index.ts';
import { laneFormats, type LaneFormats, type LaneParamsInput } from './numerics.ts';

export interface LaneConfig {
  readonly formats: LaneFormats;
  /** Head dimension d. */
  readonly d: number;
  /** Processing elements P: elements of q and k multiplied per cycle. */
  readonly P: number;
  /** Beats per token and per vector: d / P. */
  readonly B: number;
  /** Data width W (bits of one element of q, k, v, o). */
  readonly W: number;
  /** Bits of cfg_len (L up to maxContext). */
  readonly lenWidth: number;
  /** Largest number of heads one lane takes in a job (cfg_heads), and its bits. */
  readonly maxHeads: number;
  readonly headsWidth: number;
  /**
   * Bits of the tag a token carries through DOT and MAX/EXP: first token of its head, last
   * token of its head, Y/Z bank of its head.
   */
  readonly metaWidth: number;
  /** Every DSP tile also serves GEMV (gemv_* ports on the blocks and the lane). */
  readonly gemv: boolean;
  /** Stable key of the configuration (caches). */
  readonly key: string;
}

export const META = { first: 0, last: 1, bank: 2 } as const;

export function laneConfig(input: LaneParamsInput, opts: { maxHeads?: number; gemv?: boolean } = {}): LaneConfig {
  const formats = laneFormats(input);
  const d = formats.params.headDim;
  const P = formats.params.pe;
  const maxHeads = opts.maxHeads ?? 64;
  if (!Number.isInteger(maxHeads) || maxHeads < 1 || maxHeads > 4096) throw new RangeError(`maxHeads = ${maxHeads} is out of range: accepted 1..4096`);
  return {
    formats,
    d,
    P,
    B: d / P,
    W: formats.data.intBits + formats.data.fracBits,
    lenWidth: clog2(formats.params.maxContext + 1),
    maxHeads,
    headsWidth: clog2(maxHeads + 1),
    metaWidth: 3,
    gemv: opts.gemv ?? false,
    key: JSON.stringify({ ...formats.params, maxHeads, gemv: opts.gemv ?? false }),
  };
}
