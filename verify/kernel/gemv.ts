/**
 * `npm run gemv`: one GEMV job (y = W x, per-group scales) through the Alveo kernel with the AXI4
 * memory model (HBM-like profile) and the XRT-style host: the weights and scales striped as
 * docs/kernel.md lays them out, x and y in their buffers. Returns y as the kernel wrote it to
 * memory, the job's cycles (ap_start write to the interrupt) and the bare array's (`gemvCycles`).
 */
import type { SimulatorName } from '../../sim/simulator.ts';
import type { DataBits, KernelParams } from '../../generators/kernel/config.ts';
import { gemvWeightBeats, gemvScaleBeats, readY } from '../../generators/kernel/layout.ts';
import { makeRng } from '../rng.ts';
import { buildKernelRtl, runKernelRtl, HBM } from './kernel.rtl.ts';
import { Allocator, prepareGemv, programOf, runProblems, newMemory, type GemvData } from './jobs.ts';
import { resolveKernel } from '../../generators/kernel/config.ts';

export interface GemvKernelShape {
  /** Lanes H and PEs per lane P (the GEMV tiles per lane: 8P + 6). */
  heads: number;
  pe: number;
  dataBits: DataBits;
  /** Columns per scale group G. */
  group: number;
}

export interface GemvKernelResult {
  y: bigint[];
  cycles: number;
  arrayCycles: number;
  /** Lanes, tiles per lane and the kernel's top name. */
  lanes: number;
  tiles: number;
  name: string;
}

/**
 * The kernel for a job of N columns: d = 16 and at most 8 heads (GEMV does not use the attention
 * side; the kernel tests' configuration, so their simulator builds serve small jobs), maxCols >= N.
 */
export function gemvKernelParams(s: GemvKernelShape, N: number): KernelParams {
  const maxCols = Math.max(256, Math.ceil(N / s.group) * s.group);
  return { mha: { lane: { headDim: 16, pe: s.pe }, heads: s.heads, maxHeads: 8, gemv: { group: s.group, maxCols } }, dataBits: s.dataBits };
}

export async function gemvOnKernel(s: GemvKernelShape, data: GemvData, simulator: SimulatorName): Promise<GemvKernelResult> {
  const params = gemvKernelParams(s, data.N);
  const c = resolveKernel(params);
  // Memory: the stripes, x and y with the allocator's gaps, a power of two.
  const beats = gemvWeightBeats(c, data.W, data.int4).length + gemvScaleBeats(c, data.scale).length;
  const need = 4096 + c.Wb * (beats + 16) * c.DWB + data.N + 8 * data.M + 32 * c.DWB;
  const bytes = Math.max(1 << 20, 2 ** Math.ceil(Math.log2(need)));
  const rtl = await buildKernelRtl(params, simulator, bytes);
  const mem = newMemory(rtl.config, bytes);
  const job = prepareGemv(rtl.config, rtl.map, mem, new Allocator(rtl.config, makeRng(1)), data, 'interrupt');
  const { out } = await runKernelRtl(rtl, mem, programOf([job]), [job.host.wait], { seed: 1, profile: HBM });
  // Protocol, stray writes, status; y itself is compared by the caller.
  const problems = runProblems([{ ...job, check: () => [] }], out, mem);
  if (problems.length > 0) throw new Error(`the kernel run failed:\n${problems.join('\n')}`);
  const r = out.jobs[0]!;
  return { y: readY(mem, job.outputs[0]!.lo, data.M), cycles: r.doneCycle - r.startCycle, arrayCycles: job.arrayCycles, lanes: c.H, tiles: c.T, name: c.name };
}
