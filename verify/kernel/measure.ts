/**
 * Cycles of jobs through the kernel (ap_start write response to the interrupt the host sees)
 * against the bare array's exact formulas, on Verilator with the memory model:
 *   node --import tsx verify/kernel/measure.ts [--gemv-only]
 * H = 2, P = 4, d = 16; attention L 512..2048 at 256 and 512 bits under the HBM-like and
 * stormy profiles, the decode step (RoPE, append, L + 1 tokens) on the same caches; one-pass GEMV N 1024 and 2048 at 512 bits (HBM-like). Every run is also
 * checked (bit-exact, protocol, writes only in outputs); a problem is printed beside the figure.
 */
import { Q } from '../../hdl/fixed.ts';
import { makeRng } from '../rng.ts';
import { makeJob, formatInfoOf } from '../swiftkv/stimulus.ts';
import { buildKernelRtl, runKernelRtl, HBM, STORMY, type SlaveProfile } from './kernel.rtl.ts';
import { Allocator, prepareAttention, prepareDecode, prepareGemv, randomGemv, programOf, runProblems, newMemory, type PreparedJob } from './jobs.ts';
import type { KernelParams } from '../../generators/kernel/config.ts';
import type { KernelRtl } from './kernel.rtl.ts';

const lane = { headDim: 16, pe: 4 };
const MEM = 1 << 21;

async function measure(rtl: KernelRtl, label: string, profile: SlaveProfile, make: (mem: ReturnType<typeof newMemory>, alloc: Allocator) => PreparedJob): Promise<void> {
  const mem = newMemory(rtl.config, MEM);
  const job = make(mem, new Allocator(rtl.config, makeRng(1)));
  const { out } = await runKernelRtl(rtl, mem, programOf([job]), [job.host.wait], { seed: 2, profile });
  const problems = runProblems([job], out, mem);
  const j = out.jobs[0];
  if (!j) {
    console.log(`| ${label} | - | ${job.arrayCycles} | - | ${problems.slice(0, 2).join('; ')} |`);
    return;
  }
  const cycles = j.doneCycle - j.startCycle;
  console.log(`| ${label} | ${cycles} | ${job.arrayCycles} | ${(cycles / job.arrayCycles).toFixed(4)} | ${problems.length === 0 ? 'clean, bit-exact' : problems.slice(0, 2).join('; ')} |`);
}

async function main(): Promise<void> {
  console.log('| job | kernel cycles | bare array | ratio | checks |');
  console.log('|---|---|---|---|---|');
  for (const DW of process.argv.includes('--gemv-only') ? ([512] as const) : ([256, 512] as const)) {
    const params: KernelParams = { mha: { lane, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 2048 } }, dataBits: DW };
    const rtl = await buildKernelRtl(params, 'verilator', MEM);
    for (const [L, nHeads] of process.argv.includes('--gemv-only') ? [] : ([[512, 2], [1024, 4], [2048, 2]] as const)) {
      for (const [pn, profile] of [['HBM-like', HBM], ['stormy', STORMY]] as const) {
        await measure(rtl, `attention DW ${DW}, ${pn}, L ${L}, ${nHeads} heads`, profile, (mem, alloc) => {
          const rng = makeRng(L);
          const hs = Array.from({ length: nHeads }, () => makeJob('normal', lane.headDim, L, rng, formatInfoOf(Q(15, 17))));
          return prepareAttention(rtl.config, rtl.map, mem, alloc, { nHeads, L, cap: L, q: hs.map((h) => h.q), k: hs.map((h) => h.k), v: hs.map((h) => h.v) }, 'interrupt', lane);
        });
        // The decode step over the same cache: RoPE of q and the new k, the append, L + 1 tokens.
        await measure(rtl, `decode DW ${DW}, ${pn}, L ${L} + 1, ${nHeads} heads`, profile, (mem, alloc) => {
          const rng = makeRng(L + 1);
          const hs = Array.from({ length: nHeads }, () => makeJob('normal', lane.headDim, L + 1, rng, formatInfoOf(Q(15, 17))));
          return prepareDecode(rtl.config, rtl.map, mem, alloc, {
            nHeads, L, cap: L + 1, pos: L,
            q: hs.map((h) => h.q), k: hs.map((h) => h.k.slice(0, L)), v: hs.map((h) => h.v.slice(0, L)), kNew: hs.map((h) => h.k[L]!), vNew: hs.map((h) => h.v[L]!),
          }, 'interrupt', lane);
        });
      }
    }
    if (DW === 512) {
      for (const [M, N, int4] of [[150, 1024, false], [150, 1024, true], [150, 2048, false], [600, 1024, false]] as const) {
        await measure(rtl, `GEMV DW ${DW}, HBM-like, M ${M}, N ${N} ${int4 ? 'INT4' : 'INT8'}`, HBM, (mem, alloc) => prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(2), M, N, int4), 'interrupt'));
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
