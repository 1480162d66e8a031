/**
 * The Alveo kernel configuration, resolved once: the array it wraps (buildMha), the AXI data
 * width and the memory geometry every layout and address generator derives from.
 *
 * Masters: `m_axi_io` (q, k_new, v_new and x read; o and y written) and NG = max(2H, Wb) masters
 * `m_axi_g<k>`, each meant for its own HBM pseudo-channel. Lane i's K cache is read (and its new
 * token's k written) through g<i>, its V cache through g<H+i>: at d = 128, P = 16 a lane takes
 * 512 bits of k and 512 of v per cycle, a 512-bit master's whole width each. The GEMV weight beat (16 H T bits) is padded to Wb = ceil(16 H T / DW) memory words and
 * striped: word k of every beat lives in stripe k, read through g<k>, so a beat per cycle
 * needs a word per cycle from each stripe. Scale beats are striped the same way.
 */
import { buildMha, GEMV_DEFAULTS, type MhaParams } from '../swiftkv/mha.ts';
import type { LaneConfig } from '../swiftkv/config.ts';
import type { LaneTiming } from '../swiftkv/lane.ts';
import type { Module } from '../../hdl/index.ts';
import type { KernelShape } from './regmap.ts';
import { resolveRope, type RopeParams, type RopePairing } from './rope.ts';

export type DataBits = 256 | 512;
export const DATA_BITS: readonly DataBits[] = [256, 512];

export interface KernelParams {
  mha: MhaParams;
  /** Data width of every m_axi master (default 512). */
  dataBits?: DataBits;
  /** Largest AXI read burst in beats (default 16). */
  maxBurst?: number;
  /** Read FIFO depth in words of the main streams (default 8 bursts). */
  readDepth?: number;
  /** Top module name (default kernelName()). */
  name?: string;
  /** RoPE of the decode step (default base 10000, LLaMA's half-split pairing). */
  rope?: { base?: number; pairing?: RopePairing };
  /**
   * Control protocol (default 'hs'): 'hs' (ap_ctrl_hs) runs one job at a time; 'chain'
   * (ap_ctrl_chain) takes the next job's arguments while a job runs, checks them and reads its
   * x ahead, and holds each ap_done until the host writes ap_continue for the one before.
   */
  control?: KernelControl;
}

export type KernelControl = 'hs' | 'chain';
export const KERNEL_CONTROLS: readonly KernelControl[] = ['hs', 'chain'];

export interface KernelConfig extends KernelShape {
  readonly name: string;
  readonly mhaParams: MhaParams;
  readonly mha: Module;
  readonly lane: LaneConfig;
  readonly timing: LaneTiming;
  /** DSP tiles per lane T, largest nHeads, GEMV group G and largest N. */
  readonly T: number;
  readonly maxHeads: number;
  readonly G: number;
  readonly maxCols: number;
  /** Head dimension, PEs, beats per vector, element bits (32), bits of a q/o beat P*W. */
  readonly d: number;
  readonly P: number;
  readonly B: number;
  readonly W: number;
  readonly PW: number;
  readonly maxContext: number;
  /** AXI data bits DW and bytes DWB. */
  readonly DW: number;
  readonly DWB: number;
  readonly maxBurst: number;
  readonly readDepth: number;
  /** Words of one q, o, k or v vector (d * 4 bytes / DWB) and of a token's k and v together. */
  readonly vecWords: number;
  readonly tokenWords: number;
  /** Bits of a GEMV weight or scale beat: 16 H T. */
  readonly gemvBits: number;
  /** RoPE of the decode step: head dimension d, positions 0 .. maxContext - 1, the data format. */
  readonly rope: RopeParams;
  /** Bits per cycle each cache master (K or V) reads at the lane's token rate, and each stripe in GEMV. */
  readonly demand: { cacheBits: number; gemvBits: number };
  readonly control: KernelControl;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/** The top's name; a RoPE other than the default (base 10000, half-split pairs) and ap_ctrl_chain add their own suffixes. */
export function kernelName(H: number, c: LaneConfig, DW: number, rope: { base?: number; pairing?: RopePairing } = {}, control: KernelControl = 'hs'): string {
  const base = rope.base ?? 10000;
  const suffix = `${base === 10000 ? '' : `_b${String(base).replace('.', 'p')}`}${(rope.pairing ?? 'half') === 'half' ? '' : '_ri'}${control === 'hs' ? '' : '_chain'}`;
  return `swiftkv_kernel_h${H}_p${c.P}_d${c.d}_m${DW}${suffix}`;
}

export function resolveKernel(p: KernelParams): KernelConfig {
  const DW = p.dataBits ?? 512;
  if (!DATA_BITS.includes(DW)) throw new RangeError(`kernel data width = ${String(DW)} bits: accepted 256 or 512`);
  const control = p.control ?? 'hs';
  if (!KERNEL_CONTROLS.includes(control)) throw new RangeError(`kernel control = ${String(control)}: accepted hs or chain`);
  const built = buildMha(p.mha);
  const c = built.lane;
  const H = p.mha.heads;
  const T = built.tiles;
  const gemv = p.mha.gemv ?? GEMV_DEFAULTS;
  if (c.W !== 32) throw new RangeError(`the kernel keeps q, k, v and o as 32-bit words in memory: data format of ${c.W} bits; accepted data-int + data-frac = 32`);
  if (!isPow2(c.d)) throw new RangeError(`the kernel needs a power-of-two head dimension: d = ${c.d}; accepted 8, 16, ..., 4096`);
  if (c.d * 32 < DW) throw new RangeError(`a ${c.d}-element vector (${c.d * 4} bytes) is narrower than a ${DW}-bit memory word: accepted d >= ${DW / 32} with ${DW}-bit masters`);
  const maxBurst = p.maxBurst ?? 16;
  if (!isPow2(maxBurst) || maxBurst < 2 || maxBurst > Math.min(256, 4096 / (DW / 8))) throw new RangeError(`max burst = ${maxBurst} beats: accepted powers of two 2..${Math.min(256, 4096 / (DW / 8))}`);
  const readDepth = p.readDepth ?? 8 * maxBurst;
  if (!isPow2(readDepth) || readDepth < 2 * maxBurst) throw new RangeError(`read FIFO depth = ${readDepth} words: accepted powers of two >= ${2 * maxBurst} (two bursts)`);
  const gemvBits = 16 * H * T;
  const Wb = Math.ceil(gemvBits / DW);
  const vecWords = (c.d * 32) / DW;
  const interval = Math.max(c.B, built.timing.interval);
  return {
    name: p.name ?? kernelName(H, c, DW, p.rope, control),
    mhaParams: p.mha,
    mha: built.module,
    lane: c,
    timing: built.timing,
    H,
    Wb,
    NG: Math.max(2 * H, Wb),
    T,
    maxHeads: p.mha.maxHeads,
    G: gemv.group,
    maxCols: gemv.maxCols,
    d: c.d,
    P: c.P,
    B: c.B,
    W: c.W,
    PW: c.P * c.W,
    maxContext: c.formats.params.maxContext,
    DW,
    DWB: DW / 8,
    maxBurst,
    readDepth,
    vecWords,
    tokenWords: 2 * vecWords,
    gemvBits,
    rope: resolveRope({ headDim: c.d, maxPos: c.formats.params.maxContext, data: c.formats.data, ...(p.rope?.base !== undefined ? { base: p.rope.base } : {}), ...(p.rope?.pairing !== undefined ? { pairing: p.rope.pairing } : {}) }),
    demand: { cacheBits: (c.d * 32) / interval, gemvBits: DW },
    control,
  };
}
