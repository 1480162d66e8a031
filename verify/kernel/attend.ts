/**
 * `npm run attend -- --kernel`: the heads through the Alveo kernel (one lane, 256-bit masters)
 * with the AXI4 memory model (HBM-like profile) and the XRT-style host, one job per head so each
 * head's saturation mask is read back from `sat`. The results have the lane runner's shape, so
 * attend prints the same tables; a job's cycles run from the ap_start write to the interrupt.
 */
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import type { LaneRtlResult } from '../swiftkv/lane-job.rtl.ts';
import { readVectors } from '../../generators/kernel/layout.ts';
import { makeRng } from '../rng.ts';
import { buildKernelRtl, runKernelRtl, HBM } from './kernel.rtl.ts';
import { Allocator, prepareAttention, programOf, runProblems, newMemory } from './jobs.ts';

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

export async function attendOnKernel(params: LaneParamsInput, heads: readonly KernelHead[], simulator: SimulatorName): Promise<LaneRtlResult[]> {
  const d = params.headDim;
  if (d * 32 < KERNEL_DATA_BITS) throw new RangeError(`--kernel needs d >= ${KERNEL_DATA_BITS / 32} (a vector at least one ${KERNEL_DATA_BITS}-bit memory word): d = ${d}`);
  const L = heads[0]!.k.length;
  const bytes = memoryBytes(d, L, heads.length);
  const rtl = await buildKernelRtl({ mha: { lane: params, heads: 1, maxHeads: 1 }, dataBits: KERNEL_DATA_BITS }, simulator, bytes);
  const mem = newMemory(rtl.config, bytes);
  const alloc = new Allocator(rtl.config, makeRng(1));
  const jobs = heads.map((h) => prepareAttention(rtl.config, rtl.map, mem, alloc, { nHeads: 1, L, cap: L, q: [h.q], k: [h.k], v: [h.v] }, 'interrupt', params));
  const { out } = await runKernelRtl(rtl, mem, programOf(jobs), jobs.map((j) => j.host.wait), { seed: 1, profile: HBM });
  // Protocol, stray writes, status; the o values are compared with the golden model by attend.
  const problems = runProblems(jobs.map((j) => ({ ...j, check: () => [] })), out, mem);
  if (problems.length > 0) throw new Error(`the kernel run failed:\n${problems.join('\n')}`);
  return jobs.map((j, n) => {
    const r = out.jobs[n]!;
    return {
      heads: [{ o: readVectors(mem, j.outputs[0]!.lo, 1, d)[0]!, mask: r.sat }],
      cycles: r.doneCycle - r.startCycle,
      error: (r.status & 0x3ff) !== 0,
      sat: r.sat,
    };
  });
}
