/**
 * `npm run attend -- --kernel`: the heads through the Alveo kernel (one lane, 256-bit masters)
 * with the AXI4 memory model (HBM-like profile) and the XRT-style host, one job per head so each
 * head's saturation mask is read back from `sat`. The results have the lane runner's shape, so
 * attend prints the same tables; a job's cycles run from the ap_start write to the interrupt.
 * With `decode`, each job is the kernel's decode step: q and the last token's k (before RoPE)
 * rotated at `decode.pos`, that token appended after the other L - 1 (taken as rotated keys).
 */
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import type { LaneRtlResult } from '../swiftkv/lane-job.rtl.ts';
import { readVectors } from '../../generators/kernel/layout.ts';
import { makeRng } from '../rng.ts';
import { buildKernelRtl, runKernelRtl, HBM } from './kernel.rtl.ts';
import { Allocator, prepareAttention, prepareDecode, programOf, runProblems, newMemory } from './jobs.ts';
import { STATUS_FLAG } from '../../generators/kernel/regmap.ts';
import type { RopePairing } from '../../generators/kernel/rope.ts';

export interface KernelHead {
  q: readonly bigint[];
  k: readonly (readonly bigint[])[];
  v: readonly (readonly bigint[])[];
}

export const KERNEL_DATA_BITS = 256;

/** Memory for the heads: their q, o and caches with the allocator's gaps, a power of two. */
function memoryBytes(d: number, L: number, heads: number): number {
  const need = 4096 + heads * (8 * d * L + 8 * d + 3 * 8 * (KERNEL_DATA_BITS / 8) + 64);
  return Math.max(1 << 20, 2 ** Math.ceil(Math.log2(need)));
}

export interface KernelDecode {
  pos: number;
  base: number;
  pairing: RopePairing;
}

export interface KernelHeadResult extends LaneRtlResult {
  /** Decode: a RoPE output (q or the new k) saturated (status bit 10). */
  ropeSat: boolean;
}

export async function attendOnKernel(params: LaneParamsInput, heads: readonly KernelHead[], simulator: SimulatorName, decode?: KernelDecode): Promise<KernelHeadResult[]> {
  const d = params.headDim;
  if (d * 32 < KERNEL_DATA_BITS) throw new RangeError(`--kernel needs d >= ${KERNEL_DATA_BITS / 32} (a vector at least one ${KERNEL_DATA_BITS}-bit memory word): d = ${d}`);
  const L = heads[0]!.k.length;
  const bytes = memoryBytes(d, L, heads.length);
  const rope = decode ? { rope: { base: decode.base, pairing: decode.pairing } } : {};
  const rtl = await buildKernelRtl({ mha: { lane: params, heads: 1, maxHeads: 1 }, dataBits: KERNEL_DATA_BITS, ...rope }, simulator, bytes);
  const mem = newMemory(rtl.config, bytes);
  const alloc = new Allocator(rtl.config, makeRng(1));
  const jobs = heads.map((h) => decode
    ? prepareDecode(rtl.config, rtl.map, mem, alloc, { nHeads: 1, L: L - 1, cap: L, pos: decode.pos, q: [h.q], k: [h.k.slice(0, L - 1)], v: [h.v.slice(0, L - 1)], kNew: [h.k[L - 1]!], vNew: [h.v[L - 1]!] }, 'interrupt', params)
    : prepareAttention(rtl.config, rtl.map, mem, alloc, { nHeads: 1, L, cap: L, q: [h.q], k: [h.k], v: [h.v] }, 'interrupt', params));
  const { out } = await runKernelRtl(rtl, mem, programOf(jobs), jobs.map((j) => j.host.wait), { seed: 1, profile: HBM });
  // Protocol, stray writes, status; the o values are compared with the golden model by attend.
  // (A decode job's RoPE flag must match its golden model too.)
  const problems = runProblems(jobs.map((j) => ({ ...j, check: () => [] })), out, mem);
  if (problems.length > 0) throw new Error(`the kernel run failed:\n${problems.join('\n')}`);
  return jobs.map((j, n) => {
    const r = out.jobs[n]!;
    return {
      heads: [{ o: readVectors(mem, j.outputs[0]!.lo, 1, d)[0]!, mask: r.sat }],
      cycles: r.doneCycle - r.startCycle,
      error: (r.status & 0x3ff) !== 0,
      sat: r.sat,
      ropeSat: ((r.status >> STATUS_FLAG.ropeSat) & 1) === 1,
    };
  });
}
