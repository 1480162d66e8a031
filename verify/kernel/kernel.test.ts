/**
 * The kernel as the card meets it: host programs over AXI4-Lite, an AXI4 memory model with
 * random latency and stalls behind every master, protocol checks on every master, results
 * bit-exact with the golden models, nothing written outside the output buffers.
 */
import { describe, it, expect } from 'vitest';
import { Q } from '../../hdl/fixed.ts';
import { makeRng } from '../rng.ts';
import { makeJob, formatInfoOf } from '../swiftkv/stimulus.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { ERROR, JOB } from '../../generators/kernel/regmap.ts';
import type { KernelParams } from '../../generators/kernel/config.ts';
import { buildKernelRtl, runKernelRtl, STORMY, HBM, ONE_CYCLE, type SlaveProfile } from './kernel.rtl.ts';
import { Allocator, prepareAttention, prepareDecode, prepareGemv, prepareRaw, randomGemv, programOf, chainProgramOf, runProblems, newMemory, type PreparedJob, type AttentionData, type DecodeData } from './jobs.ts';
import type { DeviceMemory } from '../../generators/kernel/layout.ts';

const lane = { headDim: 16, pe: 4 };
const small = (dataBits: 256 | 512, control: 'hs' | 'chain' = 'hs'): KernelParams => ({ mha: { lane, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 256 } }, dataBits, control });
const MEM = 1 << 20;

function attentionData(seed: number, nHeads: number, L: number, cap: number): AttentionData {
  const rng = makeRng(seed);
  const heads = Array.from({ length: nHeads }, () => makeJob('normal', lane.headDim, L, rng, formatInfoOf(Q(15, 17))));
  return { nHeads, L, cap, q: heads.map((j) => j.q), k: heads.map((j) => j.k), v: heads.map((j) => j.v) };
}

/** A decode step's data: L cached tokens and the new token's q, k, v (makeJob over L + 1 tokens). */
function decodeData(seed: number, nHeads: number, L: number, cap: number, pos: number, big = false): DecodeData {
  const rng = makeRng(seed);
  const heads = Array.from({ length: nHeads }, () => makeJob('normal', lane.headDim, L + 1, rng, formatInfoOf(Q(15, 17))));
  // big: head 0's q and k near the format's limit, so a rotation saturates (status bit 10).
  const limit = (_x: bigint, e: number): bigint => (e % 2 === 0 ? (1n << 31n) - 1n - BigInt(e) : -(1n << 31n) + BigInt(e));
  return {
    nHeads, L, cap, pos,
    q: heads.map((j, h) => (big && h === 0 ? j.q.map(limit) : j.q)),
    k: heads.map((j) => j.k.slice(0, L)),
    v: heads.map((j) => j.v.slice(0, L)),
    kNew: heads.map((j, h) => (big && h === 0 ? j.k[L]!.map(limit) : j.k[L]!)),
    vNew: heads.map((j) => j.v[L]!),
  };
}

/** Runs the jobs one after another (ap_ctrl_hs) or queued (a kernel built with control 'chain'). */
async function run(params: KernelParams, simulator: SimulatorName, seed: number, profile: SlaveProfile, make: (a: Allocator, mem: DeviceMemory, map: Awaited<ReturnType<typeof buildKernelRtl>>) => PreparedJob[]) {
  const rtl = await buildKernelRtl(params, simulator, MEM);
  const mem = newMemory(rtl.config, MEM);
  const alloc = new Allocator(rtl.config, makeRng(seed));
  const jobs = make(alloc, mem, rtl);
  const chain = rtl.config.control === 'chain';
  const { out } = await runKernelRtl(rtl, mem, chain ? chainProgramOf(rtl.map, jobs) : programOf(jobs), jobs.map((j) => j.host.wait), { seed, profile });
  return { rtl, jobs, out, problems: runProblems(jobs, out, mem, chain) };
}

describe('kernel: attention through AXI4 masters and s_axi_control', () => {
  for (const [sim, dataBits, seed] of [['verilator', 256, 1], ['verilator', 512, 2], ['icarus', 256, 3]] as const) {
    it(`${sim}, ${dataBits}-bit masters, stormy memory: two jobs (interrupt, poll) bit-exact, protocol-clean, writes only in o`, async () => {
      const r = await run(small(dataBits), sim, seed, STORMY, (alloc, mem, rtl) => [
        prepareAttention(rtl.config, rtl.map, mem, alloc, attentionData(seed, 3, 21, 24), 'interrupt', lane),
        prepareAttention(rtl.config, rtl.map, mem, alloc, attentionData(seed + 10, 5, 7, 7), 'poll', lane),
      ]);
      expect(r.problems).toEqual([]);
      expect(r.out.writes.length).toBeGreaterThan(0);
    }, 600_000);
  }
});

describe('kernel: decode step (RoPE of q and k, cache append, attention over L + 1)', () => {
  for (const [sim, dataBits, seed] of [['verilator', 256, 11], ['verilator', 512, 12], ['icarus', 256, 13]] as const) {
    it(`${sim}, ${dataBits}-bit masters, stormy memory: three steps bit-exact (o and the appended token), writes only in o and token L`, async () => {
      const r = await run(small(dataBits), sim, seed, STORMY, (alloc, mem, rtl) => [
        prepareDecode(rtl.config, rtl.map, mem, alloc, decodeData(seed, 3, 20, 24, 20), 'interrupt', lane),
        // An empty cache (L = 0) and the largest position; head 0 saturates in RoPE.
        prepareDecode(rtl.config, rtl.map, mem, alloc, decodeData(seed + 10, 5, 0, 1, rtl.config.rope.maxPos - 1, true), 'poll', lane),
        prepareDecode(rtl.config, rtl.map, mem, alloc, decodeData(seed + 20, 2, 7, 8, 1234), 'interrupt', lane),
      ]);
      expect(r.jobs[1]!.flags).not.toBe(0);
      expect(r.problems).toEqual([]);
    }, 600_000);
  }
});

describe('kernel: GEMV through AXI4 masters', () => {
  for (const [sim, dataBits, seed] of [['verilator', 256, 4], ['verilator', 512, 5]] as const) {
    it(`${sim}, ${dataBits}-bit, HBM-like memory: one-pass INT8, INT4, INT8 jobs bit-exact, writes only in y`, async () => {
      const r = await run(small(dataBits), sim, seed, HBM, (alloc, mem, rtl) => {
        const rng = makeRng(40 + seed);
        return [
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 150, 64, false), 'interrupt'),
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 77, 96, true), 'poll'),
          // After N = 96: at 512 bits the x buffer's last word holds 4 beats past N / 8.
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 30, 64, false), 'interrupt'),
        ];
      });
      expect(r.problems).toEqual([]);
    }, 600_000);
  }

  // Found through the kernel and fixed in the MHA top (commit 0f849ef: y was wrong under input
  // valid gaps and when a group's scaling waited): kept as regressions of that path.
  it('verilator, 256-bit, HBM-like memory: a three-pass INT8 job, bit-exact', async () => {
    const r = await run(small(256), 'verilator', 4, HBM, (alloc, mem, rtl) => [prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(44), 400, 64, false), 'poll')]);
    expect(r.problems).toEqual([]);
  }, 600_000);

  // At 512 bits two y beats share a word (generators/kernel/y-words.ts): lane 1's rows start in an
  // upper half (2T = 76 rows), a pass's last lower half waits for the next pass, M = 401 strobes
  // off the last word's rows past M.
  for (const sim of ['verilator', 'icarus'] as const) {
    it(`${sim}, 512-bit, stormy memory: a three-pass INT4 job (y beats merged into words), bit-exact`, async () => {
      const r = await run(small(512), sim, 8, STORMY, (alloc, mem, rtl) => [prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(48), 401, 64, true), 'interrupt')]);
      expect(r.problems).toEqual([]);
    }, 600_000);
  }

  it('verilator, 256-bit, write stalls (seed 3): a full pass under y backpressure, bit-exact', async () => {
    const r = await run(small(256), 'verilator', 3, { ...HBM, awStall: 40, wStall: 40, bLat: 40 }, (alloc, mem, rtl) => {
      const rng = makeRng(5);
      const data = randomGemv(rtl.config, rng, 152, 64, false);
      return [prepareGemv(rtl.config, rtl.map, mem, alloc, data, 'poll')];
    });
    expect(r.problems).toEqual([]);
  }, 600_000);

  // Icarus (four-state): w's data is undefined while its tvalid is low; the GEMV tiles once
  // multiplied it by x = 0, which leaves X in P (lane 1's rows from 96 on came out X). The tiles
  // now take 0 weights outside MAC cycles.
  it('icarus, 256-bit, HBM-like memory: one-pass INT8 job, bit-exact with undefined w data between beats', async () => {
    const r = await run(small(256), 'icarus', 6, HBM, (alloc, mem, rtl) => [prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(46), 150, 64, false), 'poll')]);
    expect(r.problems).toEqual([]);
  }, 600_000);
});

describe('kernel: bad arguments', () => {
  it('each sets its error code, ends with ap_done and writes nothing', async () => {
    const r = await run(small(256), 'verilator', 7, STORMY, (alloc, mem, rtl) => {
      const c = rtl.config;
      const at = (n: number): number => 0x10000 + n * 0x1000;
      const caches = { k_cache0: at(2), k_cache1: at(3), v_cache0: at(6), v_cache1: at(7) };
      const attn = { kind: JOB.attention, n_heads: 2, len: 4, cap: 4, q: at(0), o: at(1), ...caches };
      // Decode: each cache region one head of cap 5 tokens (320 bytes).
      const dec = { kind: JOB.decode, n_heads: 2, len: 4, cap: 5, pos: 4, q: at(0), o: at(1), k_new: at(4), v_new: at(5), ...caches };
      const gemv: Record<string, number> = { kind: JOB.gemv, rows: 10, cols: 64, int4: 0, x: at(10), y: at(11) };
      for (let k = 0; k < c.Wb; k++) {
        gemv[`w${k}`] = at(12 + k);
        gemv[`s${k}`] = at(20 + k);
      }
      void alloc;
      void mem;
      return [
        prepareRaw(rtl.map, { ...attn, kind: 3 }, ERROR.kind),
        prepareRaw(rtl.map, { ...attn, n_heads: 0 }, ERROR.heads),
        prepareRaw(rtl.map, { ...attn, n_heads: c.maxHeads + 1 }, ERROR.heads, 'poll'),
        prepareRaw(rtl.map, { ...attn, len: 0 }, ERROR.len),
        prepareRaw(rtl.map, { ...attn, len: c.maxContext + 1, cap: c.maxContext + 1 }, ERROR.len),
        prepareRaw(rtl.map, { ...attn, cap: 3 }, ERROR.cap),
        prepareRaw(rtl.map, { ...attn, q: at(0) + 4 }, ERROR.misaligned),
        prepareRaw(rtl.map, { ...attn, v_cache1: at(7) + c.DWB / 2 }, ERROR.misaligned),
        prepareRaw(rtl.map, { ...attn, o: at(2) + 64 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...attn, o: at(0) + 32 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...dec, n_heads: 0 }, ERROR.heads),
        prepareRaw(rtl.map, { ...dec, len: c.maxContext, cap: c.maxContext }, ERROR.len, 'poll'),
        prepareRaw(rtl.map, { ...dec, cap: 4 }, ERROR.cap),
        prepareRaw(rtl.map, { ...dec, pos: c.rope.maxPos }, ERROR.pos),
        prepareRaw(rtl.map, { ...dec, k_new: at(4) + 4 }, ERROR.misaligned),
        prepareRaw(rtl.map, { ...dec, o: at(4) + 32 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...dec, v_new: at(2) + 288 }, ERROR.overlap, 'poll'),
        prepareRaw(rtl.map, { ...dec, k_cache1: at(2) + 256 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...dec, v_cache1: at(6) + 256 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...dec, v_cache0: at(3) }, ERROR.overlap),
        prepareRaw(rtl.map, { ...gemv, rows: 0 }, ERROR.rows),
        prepareRaw(rtl.map, { ...gemv, cols: 0 }, ERROR.cols),
        prepareRaw(rtl.map, { ...gemv, cols: 48 }, ERROR.cols),
        prepareRaw(rtl.map, { ...gemv, cols: c.maxCols + c.G }, ERROR.cols),
        prepareRaw(rtl.map, { ...gemv, y: at(12) + 32 }, ERROR.overlap),
        prepareRaw(rtl.map, { ...gemv, x: at(10) + 1 }, ERROR.misaligned),
      ];
    });
    expect(r.problems).toEqual([]);
    expect(r.out.writes).toEqual([]);
  }, 600_000);
});

describe('kernel: cycles against the bare array', () => {
  it('attention, L = 512, one head per lane, HBM-like memory: at most 1.05x the array alone', async () => {
    const r = await run(small(256), 'verilator', 9, HBM, (alloc, mem, rtl) => [
      prepareAttention(rtl.config, rtl.map, mem, alloc, attentionData(9, 2, 512, 512), 'interrupt', lane),
    ]);
    expect(r.problems).toEqual([]);
    const j = r.out.jobs[0]!;
    const host = j.doneCycle - j.startCycle;
    const ratio = host / r.jobs[0]!.arrayCycles;
    console.log(`kernel attention L=512: ${host} cycles from the ap_start write to the interrupt seen (kernel register ${j.kernelCycles}), bare array ${r.jobs[0]!.arrayCycles}: ${ratio.toFixed(4)}x`);
    expect(ratio).toBeLessThanOrEqual(1.05);
  }, 600_000);

  it('decode step, L = 512 cached + 1, one head per lane, HBM-like memory: at most 1.05x the array alone over L + 1', async () => {
    const r = await run(small(256), 'verilator', 10, HBM, (alloc, mem, rtl) => [
      prepareDecode(rtl.config, rtl.map, mem, alloc, decodeData(10, 2, 512, 513, 512), 'interrupt', lane),
    ]);
    expect(r.problems).toEqual([]);
    const j = r.out.jobs[0]!;
    const host = j.doneCycle - j.startCycle;
    const ratio = host / r.jobs[0]!.arrayCycles;
    console.log(`kernel decode L=512+1: ${host} cycles from the ap_start write to the interrupt seen, bare array over 513 tokens ${r.jobs[0]!.arrayCycles}: ${ratio.toFixed(4)}x`);
    expect(ratio).toBeLessThanOrEqual(1.05);
  }, 600_000);

  // With a one-cycle memory what the kernel adds to a GEMV job is its own pipeline: the x
  // command, read FIFO and width converter at the start; the y words, the AXI write path, the
  // last response and ap_done at the end: 15 cycles here (24 with a two-entry W FIFO, through
  // which a slave with a registered wready took two writes per three cycles).
  it('GEMV, one pass, 512 bits, one-cycle memory: the kernel adds at most 16 cycles to the bare array', async () => {
    const r = await run(small(512), 'verilator', 11, ONE_CYCLE, (alloc, mem, rtl) => [prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(51), 150, 256, false), 'interrupt')]);
    expect(r.problems).toEqual([]);
    const j = r.out.jobs[0]!;
    const host = j.doneCycle - j.startCycle;
    console.log(`kernel GEMV M=150 N=256, one-cycle memory: ${host} cycles from the ap_start write to the interrupt seen, bare array ${r.jobs[0]!.arrayCycles}: +${host - r.jobs[0]!.arrayCycles}`);
    expect(host - r.jobs[0]!.arrayCycles).toBeLessThanOrEqual(16);
  }, 600_000);
});

describe('kernel: ap_ctrl_chain (queued jobs)', () => {
  // Each job's arguments and ap_start go in while the previous one runs; the kernel checks the
  // next job and reads its x ahead, and holds each ap_done until ap_continue for the previous.
  for (const [sim, dataBits, seed] of [['verilator', 512, 21], ['icarus', 256, 22]] as const) {
    it(`${sim}, ${dataBits}-bit, stormy memory: GEMV, attention, a rejected job, decode and GEMV jobs queued, each bit-exact, writes only in outputs`, async () => {
      const r = await run(small(dataBits, 'chain'), sim, seed, STORMY, (alloc, mem, rtl) => {
        const rng = makeRng(60 + seed);
        const bad = prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 20, 64, false), 'interrupt');
        return [
          // N = 96: at 512 bits x's last word holds beats past N / 8, left in the converter.
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 150, 96, false), 'interrupt'),
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 77, 256, true), 'interrupt'),
          prepareAttention(rtl.config, rtl.map, mem, alloc, attentionData(seed, 3, 21, 24), 'interrupt', lane),
          // y over x: rejected (overlap), so it reads and writes nothing; the next job still runs.
          prepareRaw(rtl.map, { ...bad.host.args, y: Number(bad.host.args['x']) }, ERROR.overlap),
          prepareDecode(rtl.config, rtl.map, mem, alloc, decodeData(seed, 3, 20, 24, 20), 'interrupt', lane),
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 40, 64, false), 'interrupt'),
          // Its stripes read while the previous GEMV runs; three passes, y merged across them.
          prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, rng, 401, 64, true), 'interrupt'),
        ];
      });
      expect(r.problems).toEqual([]);
      expect(r.out.jobs.map((j) => j.status & 0xff)).toEqual([0, 0, 0, ERROR.overlap, 0, 0, 0]);
    }, 600_000);
  }

  // Back-to-back GEMV jobs under a fixed 40-cycle read latency: with the next job's x read
  // while this one runs, a job follows the previous one's ap_done within the bare array's
  // cycles plus the last write's response and a few cycles of handover. (Four passes: the host
  // needs about 250 cycles to write a job's 48 argument words, so a job must run longer.)
  it('verilator, 512-bit: four queued GEMV jobs, 40-cycle read latency: each ap_done at most 12 cycles more than the bare array after the previous', async () => {
    const lat40: SlaveProfile = { ...ONE_CYCLE, latMin: 40, latMax: 40 };
    const r = await run(small(512, 'chain'), 'verilator', 23, lat40, (alloc, mem, rtl) => Array.from({ length: 4 }, (_, i) => prepareGemv(rtl.config, rtl.map, mem, alloc, randomGemv(rtl.config, makeRng(70 + i), 600, 256, false), 'interrupt')));
    expect(r.problems).toEqual([]);
    const gaps = r.out.jobs.slice(1).map((j, i) => j.doneCycle - r.out.jobs[i]!.doneCycle - r.jobs[i + 1]!.arrayCycles);
    console.log(`kernel chain GEMV M=600 N=256, 40-cycle reads: ap_done to ap_done minus the bare array (${r.jobs[0]!.arrayCycles}): ${gaps.join(', ')} cycles`);
    for (const g of gaps) expect(g).toBeLessThanOrEqual(12);
  }, 600_000);
});
