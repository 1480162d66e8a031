/**
 * Cycles of jobs through the kernel (ap_start write response to the interrupt the host sees)
 * against the bare array's exact formulas, on Verilator with the memory model:
 *   node --import tsx verify/kernel/measure.ts [--gemv-only]
 * H = 2, P = 4, d = 16: attention at L 512..2048 and the decode step (RoPE, the append, L + 1
 * tokens) over the same caches, at 256 and 512 bits under the HBM-like and stormy profiles;
 * GEMV at N 1024 and 2048 at 512 bits (HBM-like, memory seeds 1..8 and their mean; and a
 * one-cycle memory, which leaves only the kernel's own pipeline); the same GEMV jobs queued four
 * at a time through the ap_ctrl_chain kernel (each job's ap_done after the previous one's). Then H = 2, P = 16, d = 128 (the default
 * lane) at 512 bits: attention and decode at L = 512, one and two heads per lane. Every run is
 * also checked (bit-exact, protocol, writes only in outputs); a problem is printed beside it.
 * The rows and the goals against them go to out/kernel-measure/report.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Q } from '../../hdl/fixed.ts';
import { makeRng } from '../rng.ts';
import { makeJob, formatInfoOf } from '../swiftkv/stimulus.ts';
import { buildKernelRtl, runKernelRtl, HBM, STORMY, ONE_CYCLE, type SlaveProfile } from './kernel.rtl.ts';
import { Allocator, prepareAttention, prepareDecode, prepareGemv, randomGemv, programOf, chainProgramOf, runProblems, newMemory, type PreparedJob } from './jobs.ts';
import type { KernelParams } from '../../generators/kernel/config.ts';
import type { KernelRtl } from './kernel.rtl.ts';

const lane = { headDim: 16, pe: 4 };
const MEM = 1 << 21;
/** The default lane's shape (d = 128, P = 16) on two lanes at 512 bits. */
const lane128 = { headDim: 128, pe: 16 };
const MEM128 = 1 << 23;
/** GEMV rows: HBM-like memory seeds per job (each draws other latencies). */
const GEMV_SEEDS = 8;

const Row = z.object({
  job: z.string().min(1),
  /** Kernel cycles (queued rows: the mean from ap_done to ap_done), bare-array cycles, ratio. */
  kernelCycles: z.number().finite().positive(),
  bareCycles: z.number().int().positive(),
  ratio: z.number().finite().positive(),
  /** Queued and seed-mean rows: the worst ratio. */
  worst: z.number().finite().positive().optional(),
  clean: z.boolean(),
});
const Report = z.object({
  command: z.string(),
  rows: z.array(Row),
  goals: z.array(z.object({ goal: z.string(), figure: z.number().finite().positive(), met: z.boolean() })),
});
const rows: z.infer<typeof Row>[] = [];

/** Runs one job, prints its row and returns its ratio (undefined when the job did not finish). */
async function measure(rtl: KernelRtl, label: string, profile: SlaveProfile, make: (mem: ReturnType<typeof newMemory>, alloc: Allocator) => PreparedJob, memBytes = MEM, seed = 2): Promise<number | undefined> {
  const mem = newMemory(rtl.config, memBytes);
  const job = make(mem, new Allocator(rtl.config, makeRng(1)));
  const { out } = await runKernelRtl(rtl, mem, programOf([job]), [job.host.wait], { seed, profile });
  const problems = runProblems([job], out, mem);
  const j = out.jobs[0];
  if (!j) {
    console.log(`| ${label} | - | ${job.arrayCycles} | - | ${problems.slice(0, 2).join('; ')} |`);
    return undefined;
  }
  const cycles = j.doneCycle - j.startCycle;
  console.log(`| ${label} | ${cycles} | ${job.arrayCycles} | ${(cycles / job.arrayCycles).toFixed(4)} | ${problems.length === 0 ? 'clean, bit-exact' : problems.slice(0, 2).join('; ')} |`);
  rows.push({ job: label, kernelCycles: cycles, bareCycles: job.arrayCycles, ratio: cycles / job.arrayCycles, clean: problems.length === 0 });
  return cycles / job.arrayCycles;
}

/** Attention over L cached tokens and the decode step over the same cache (L + 1 tokens). */
async function attentionAndDecode(rtl: KernelRtl, label: string, l: { headDim: number; pe: number }, L: number, nHeads: number, profile: SlaveProfile, memBytes: number): Promise<void> {
  const heads = (): ReturnType<typeof makeJob>[] => {
    const rng = makeRng(L + 1);
    return Array.from({ length: nHeads }, () => makeJob('normal', l.headDim, L + 1, rng, formatInfoOf(Q(15, 17))));
  };
  await measure(rtl, `attention ${label}, L ${L}, ${nHeads} heads`, profile, (mem, alloc) => {
    const hs = heads();
    return prepareAttention(rtl.config, rtl.map, mem, alloc, { nHeads, L, cap: L, q: hs.map((h) => h.q), k: hs.map((h) => h.k.slice(0, L)), v: hs.map((h) => h.v.slice(0, L)) }, 'interrupt', l);
  }, memBytes);
  await measure(rtl, `decode ${label}, L ${L} + 1, ${nHeads} heads`, profile, (mem, alloc) => {
    const hs = heads();
    return prepareDecode(rtl.config, rtl.map, mem, alloc, {
      nHeads, L, cap: L + 1, pos: L,
      q: hs.map((h) => h.q), k: hs.map((h) => h.k.slice(0, L)), v: hs.map((h) => h.v.slice(0, L)), kNew: hs.map((h) => h.k[L]!), vNew: hs.map((h) => h.v[L]!),
    }, 'interrupt', l);
  }, memBytes);
}

async function main(): Promise<void> {
  console.log('| job | kernel cycles | bare array | ratio | checks |');
  console.log('|---|---|---|---|---|');
  for (const DW of process.argv.includes('--gemv-only') ? ([512] as const) : ([256, 512] as const)) {
    const params: KernelParams = { mha: { lane, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 2048 } }, dataBits: DW };
    const rtl = await buildKernelRtl(params, 'verilator', MEM);
    for (const [L, nHeads] of process.argv.includes('--gemv-only') ? [] : ([[512, 2], [1024, 4], [2048, 2]] as const)) {
      for (const [pn, profile] of [['HBM-like', HBM], ['stormy', STORMY]] as const) await attentionAndDecode(rtl, `d 16 P 4 DW ${DW}, ${pn}`, lane, L, nHeads, profile, MEM);
    }
    if (DW === 512) {
      for (const [M, N, int4] of [[150, 1024, false], [150, 1024, true], [150, 2048, false], [600, 1024, false]] as const) {
        const gemv = (mem: ReturnType<typeof newMemory>, alloc: Allocator): PreparedJob => prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(2), M, N, int4), 'interrupt');
        const label = `GEMV DW ${DW}, M ${M}, N ${N} ${int4 ? 'INT4' : 'INT8'}`;
        // The HBM-like profile draws each burst's latency: one job per memory seed, 1..8.
        const ratios: number[] = [];
        for (let seed = 1; seed <= GEMV_SEEDS; seed++) {
          const r = await measure(rtl, `${label}, HBM-like, memory seed ${seed}`, HBM, gemv, MEM, seed);
          if (r !== undefined) ratios.push(r);
        }
        if (ratios.length > 0) {
          const mean = ratios.reduce((a, b) => a + b) / ratios.length;
          console.log(`| ${label}, HBM-like: mean of ${ratios.length} seeds | | | ${mean.toFixed(4)} (worst ${Math.max(...ratios).toFixed(4)}) | |`);
          const bare = rows[rows.length - 1]!.bareCycles;
          rows.push({ job: `${label}, HBM-like: mean of ${ratios.length} seeds`, kernelCycles: mean * bare, bareCycles: bare, ratio: mean, worst: Math.max(...ratios), clean: rows.slice(-ratios.length).every((r) => r.clean) });
        }
        // A one-cycle memory leaves only the kernel's own pipeline.
        await measure(rtl, `${label}, one-cycle memory`, ONE_CYCLE, gemv);
      }
    }
  }
}

/**
 * Four one-pass GEMV jobs queued through the ap_ctrl_chain kernel, HBM-like memory seeds 1..8:
 * cycles per job from ap_done to ap_done (the first job's from its ap_start write), against
 * the bare array's.
 */
async function chainGemv(): Promise<void> {
  const params: KernelParams = { mha: { lane, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 2048 } }, dataBits: 512, control: 'chain' };
  const rtl = await buildKernelRtl(params, 'verilator', MEM * 2);
  console.log('| queued GEMV (ap_ctrl_chain), 4 jobs, HBM-like | first job | later jobs, ap_done to ap_done | bare array | later jobs: mean ratio (worst) | checks |');
  console.log('|---|---|---|---|---|---|');
  for (const [M, N] of [[150, 1024], [150, 2048]] as const) {
    const later: number[] = [];
    const firsts: number[] = [];
    let bare = 0;
    const problems: string[] = [];
    for (let seed = 1; seed <= GEMV_SEEDS; seed++) {
      const mem = newMemory(rtl.config, MEM * 2);
      const alloc = new Allocator(rtl.config, makeRng(1));
      const jobs = Array.from({ length: 4 }, (_, i) => prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(10 + i), M, N, false), 'interrupt'));
      const { out } = await runKernelRtl(rtl, mem, chainProgramOf(rtl.map, jobs), jobs.map((j) => j.host.wait), { seed, profile: HBM });
      problems.push(...runProblems(jobs, out, mem, true));
      bare = jobs[0]!.arrayCycles;
      if (out.jobs.length < 4) continue;
      firsts.push(out.jobs[0]!.doneCycle - out.jobs[0]!.startCycle);
      for (let i = 1; i < 4; i++) later.push(out.jobs[i]!.doneCycle - out.jobs[i - 1]!.doneCycle);
    }
    const mean = later.reduce((a, b) => a + b, 0) / later.length;
    rows.push({ job: `queued GEMV (ap_ctrl_chain), HBM-like, M ${M}, N ${N} INT8, ap_done to ap_done, mean of ${later.length}`, kernelCycles: mean, bareCycles: bare, ratio: mean / bare, worst: Math.max(...later) / bare, clean: problems.length === 0 });
    console.log(`| M ${M}, N ${N} INT8 (one pass) | ${Math.min(...firsts)}..${Math.max(...firsts)} | ${Math.min(...later)}..${Math.max(...later)} (mean ${mean.toFixed(1)}) | ${bare} | ${(mean / bare).toFixed(4)} (${(Math.max(...later) / bare).toFixed(4)}) | ${problems.length === 0 ? 'clean, bit-exact' : problems.slice(0, 2).join('; ')} |`);
  }
}

async function main128(): Promise<void> {
  const rtl = await buildKernelRtl({ mha: { lane: lane128, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 2048 } }, dataBits: 512 }, 'verilator', MEM128);
  for (const nHeads of [2, 4]) {
    for (const [pn, profile] of [['HBM-like', HBM], ['stormy', STORMY]] as const) await attentionAndDecode(rtl, `d 128 P 16 DW 512, ${pn}`, lane128, 512, nHeads, profile, MEM128);
  }
}

/** The goals against the rows measured (the worst row of each). */
function writeReport(): void {
  const worst = (pick: (r: z.infer<typeof Row>) => boolean): number => Math.max(...rows.filter(pick).map((r) => r.worst ?? r.ratio));
  const goals = [
    { goal: 'decode step through the kernel within 1.05x of the bare array from L = 512, HBM-like memory (worst row)', figure: worst((r) => r.job.startsWith('decode') && r.job.includes('HBM-like')) },
    { goal: 'queued GEMV jobs (ap_ctrl_chain) within 1.05x of the bare array for N >= 1024, HBM-like memory (worst interval)', figure: worst((r) => r.job.startsWith('queued GEMV')) },
    { goal: 'single GEMV jobs (ap_ctrl_hs) within 1.05x of the bare array for N >= 1024, HBM-like memory (worst seed mean)', figure: Math.max(...rows.filter((r) => r.job.includes('mean of')).map((r) => r.ratio)) },
  ].filter((g) => Number.isFinite(g.figure)).map((g) => ({ ...g, met: g.figure <= 1.05 }));
  const report = Report.parse({ command: `node --import tsx verify/kernel/measure.ts ${process.argv.slice(2).join(' ')}`.trim(), rows, goals });
  mkdirSync('out/kernel-measure', { recursive: true });
  writeFileSync('out/kernel-measure/report.json', `${JSON.stringify(report, null, 2)}\n`);
  for (const g of report.goals) console.log(`goal: ${g.goal}: ${g.figure.toFixed(4)}x, ${g.met ? 'met' : 'not met'}`);
  console.log('wrote out/kernel-measure/report.json');
}

main().then(() => chainGemv()).then(() => (process.argv.includes('--gemv-only') ? undefined : main128())).then(writeReport).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
