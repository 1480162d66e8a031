/**
 * Kernel jobs for the regressions and `npm run attend -- --kernel`: buffers placed in the device
 * memory (generators/kernel/layout.ts), the host program, and the checks of a finished run:
 * results bit-exact with the golden models, no protocol violation, no byte written outside
 * the job's output buffers.
 */
import { goldenAttention, type GoldenOptions } from '../../generators/swiftkv/golden.ts';
import { mhaAttentionCycles, gemvCycles } from '../../generators/swiftkv/mha.ts';
import type { KernelConfig } from '../../generators/kernel/config.ts';
import { JOB, STATUS_FLAG, type RegMap } from '../../generators/kernel/regmap.ts';
import {
  DeviceMemory, writeVectors, readVectors, writeToken, readToken, cacheTokenAddr, vectorBytes, cacheRegionBytes, gemvWeightBeats, gemvScaleBeats,
  writeStripes, stripeBytes, writeX, readY, gemvReference, type CacheBases,
} from '../../generators/kernel/layout.ts';
import { ropeRotate, toPairOrder } from '../../generators/kernel/rope.ts';
import type { Rng } from '../rng.ts';
import { jobProgram, chainProgram, type HostJob, type TbOutput, type WaitMode } from './host.ts';

/** A bump allocator: each buffer DW-aligned, after a random gap (so bursts meet 4 KB pages anywhere). */
export class Allocator {
  private next: number;
  constructor(private readonly c: Pick<KernelConfig, 'DWB'>, private readonly rng: Rng, start = 4096) {
    this.next = start;
  }

  alloc(bytes: number): number {
    const at = this.next + this.rng.int(0, 7) * this.c.DWB;
    this.next = Math.ceil((at + Math.max(bytes, 1)) / this.c.DWB) * this.c.DWB;
    return at;
  }

  get end(): number {
    return this.next;
  }
}

export interface Range {
  lo: number;
  hi: number;
  what: string;
}

/** A prepared job: its host program lines, what the run must show, and how to check o / y. */
export interface PreparedJob {
  host: HostJob;
  program: string[];
  /** Byte ranges the job may write. */
  outputs: Range[];
  /** Memory words to dump after the job (the outputs). */
  dump: [number, number][];
  /** Expected status register (error code). */
  status: number;
  /** Expected status flags (bits 8 and up; default 0). */
  flags?: number;
  /** Bare-array cycles of the same job (every stream always valid and ready). */
  arrayCycles: number;
  check(mem: DeviceMemory): string[];
}

export interface AttentionData {
  nHeads: number;
  L: number;
  cap: number;
  q: readonly (readonly bigint[])[];
  k: readonly (readonly (readonly bigint[])[])[];
  v: readonly (readonly (readonly bigint[])[])[];
}

const dumpOf = (c: Pick<KernelConfig, 'DWB'>, lo: number, bytes: number): [number, number] => [Math.floor(lo / c.DWB), Math.ceil((lo + bytes) / c.DWB) - Math.floor(lo / c.DWB)];

/** Each lane's K and V cache regions, each after a random gap. */
function allocCaches(c: KernelConfig, alloc: Allocator, nHeads: number, cap: number): CacheBases {
  const k = Array.from({ length: c.H }, (_, i) => alloc.alloc(cacheRegionBytes(c, i, nHeads, cap)));
  const v = Array.from({ length: c.H }, (_, i) => alloc.alloc(cacheRegionBytes(c, i, nHeads, cap)));
  return { k, v };
}

function cacheArgs(kv: CacheBases): Record<string, number> {
  const args: Record<string, number> = {};
  kv.k.forEach((b, i) => (args[`k_cache${i}`] = b));
  kv.v.forEach((b, i) => (args[`v_cache${i}`] = b));
  return args;
}

/** o in memory against the golden heads: up to 8 differences, each named. */
function oProblems(c: Pick<KernelConfig, 'd'>, m: DeviceMemory, o: number, golden: readonly (readonly bigint[])[]): string[] {
  const bad: string[] = [];
  readVectors(m, o, golden.length, c.d).forEach((row, h) => row.forEach((x, e) => {
    if (x !== golden[h]![e]! && bad.length < 8) bad.push(`o[head ${h}][${e}] = ${x}, golden ${golden[h]![e]}`);
  }));
  return bad;
}

export function prepareAttention(c: KernelConfig, map: RegMap, mem: DeviceMemory, alloc: Allocator, data: AttentionData, wait: WaitMode, lane: GoldenOptions): PreparedJob {
  const { nHeads, L, cap } = data;
  const vb = vectorBytes(c);
  const q = alloc.alloc(nHeads * vb);
  const o = alloc.alloc(nHeads * vb);
  const kv = allocCaches(c, alloc, nHeads, cap);
  writeVectors(mem, q, data.q);
  for (let h = 0; h < nHeads; h++) for (let t = 0; t < L; t++) writeToken(mem, c, kv, cap, h, t, data.k[h]![t]!, data.v[h]![t]!);
  const args: Record<string, number> = { kind: JOB.attention, n_heads: nHeads, len: L, cap, q, o, ...cacheArgs(kv) };
  const host: HostJob = { args, wait, timeout: 50 * (L * c.B * Math.ceil(nHeads / c.H) + 2000) };
  const golden = data.q.map((qh, h) => goldenAttention(qh, data.k[h]!, data.v[h]!, { ...lane, headDim: c.d }).o);
  return {
    host,
    program: jobProgram(map, host),
    outputs: [{ lo: o, hi: o + nHeads * vb, what: 'o' }],
    dump: [dumpOf(c, o, nHeads * vb)],
    status: 0,
    arrayCycles: mhaAttentionCycles(c.timing, c.H, nHeads, L),
    check(m: DeviceMemory): string[] {
      return oProblems(c, m, o, golden);
    },
  };
}

/** A decode step: q, k, v of the new token (before RoPE, natural order) at position pos, L cached tokens (keys already rotated). */
export interface DecodeData extends AttentionData {
  pos: number;
  kNew: readonly (readonly bigint[])[];
  vNew: readonly (readonly bigint[])[];
}

/**
 * A decode step (job kind 2): the host writes q and k_new in pair order (toPairOrder), v_new and
 * the cache as docs/kernel.md says (cached keys in pair order too); the kernel rotates q and
 * k_new, appends {k, v} at token L of each head and attends over L + 1 tokens. Checked: o against
 * goldenAttention(RoPE(q), [k_0..k_L-1, RoPE(k_new)], [v_0..v_L-1, v_new]) in natural order, and
 * each head's token L in memory; the job may write o and token L of each head, nothing else.
 */
export function prepareDecode(c: KernelConfig, map: RegMap, mem: DeviceMemory, alloc: Allocator, data: DecodeData, wait: WaitMode, lane: GoldenOptions): PreparedJob {
  const { nHeads, L, cap, pos } = data;
  const r = c.rope;
  const vb = vectorBytes(c);
  const q = alloc.alloc(nHeads * vb);
  const kNew = alloc.alloc(nHeads * vb);
  const vNew = alloc.alloc(nHeads * vb);
  const o = alloc.alloc(nHeads * vb);
  const kv = allocCaches(c, alloc, nHeads, cap);
  writeVectors(mem, q, data.q.map((x) => toPairOrder(r, x)));
  writeVectors(mem, kNew, data.kNew.map((x) => toPairOrder(r, x)));
  writeVectors(mem, vNew, data.vNew);
  for (let h = 0; h < nHeads; h++) for (let t = 0; t < L; t++) writeToken(mem, c, kv, cap, h, t, toPairOrder(r, data.k[h]![t]!), data.v[h]![t]!);
  const args: Record<string, number> = { kind: JOB.decode, n_heads: nHeads, len: L, cap, pos, q, o, k_new: kNew, v_new: vNew, ...cacheArgs(kv) };
  const host: HostJob = { args, wait, timeout: 50 * ((L + 1) * c.B * Math.ceil(nHeads / c.H) + 2000) };
  const qRot = data.q.map((x) => ropeRotate(r, x, pos));
  const kRot = data.kNew.map((x) => ropeRotate(r, x, pos));
  const sat = [...qRot, ...kRot].some((x) => x.sat);
  const golden = qRot.map((qh, h) => goldenAttention(qh.y, [...data.k[h]!, kRot[h]!.y], [...data.v[h]!, data.vNew[h]!], { ...lane, headDim: c.d }).o);
  const slots = Array.from({ length: nHeads }, (_, h) => [['k', cacheTokenAddr(c, kv.k, cap, h, L)], ['v', cacheTokenAddr(c, kv.v, cap, h, L)]] as const).flat();
  return {
    host,
    program: jobProgram(map, host),
    outputs: [{ lo: o, hi: o + nHeads * vb, what: 'o' }, ...slots.map(([w, a], n) => ({ lo: a, hi: a + vb, what: `head ${n >> 1} ${w} token ${L}` }))],
    dump: [dumpOf(c, o, nHeads * vb), ...slots.map(([, a]) => dumpOf(c, a, vb))],
    status: 0,
    flags: sat ? 1 << STATUS_FLAG.ropeSat : 0,
    arrayCycles: mhaAttentionCycles(c.timing, c.H, nHeads, L + 1),
    check(m: DeviceMemory): string[] {
      const bad = oProblems(c, m, o, golden);
      for (let h = 0; h < nHeads; h++) {
        const got = readToken(m, c, kv, cap, h, L);
        const wantK = toPairOrder(r, kRot[h]!.y);
        got.k.forEach((x, e) => {
          if (x !== wantK[e] && bad.length < 12) bad.push(`cache head ${h} token ${L}: k[${e}] (pair order) = ${x}, RoPE golden ${wantK[e]}`);
        });
        got.v.forEach((x, e) => {
          if (x !== data.vNew[h]![e] && bad.length < 12) bad.push(`cache head ${h} token ${L}: v[${e}] = ${x}, v_new ${data.vNew[h]![e]}`);
        });
      }
      return bad;
    },
  };
}

export interface GemvData {
  M: number;
  N: number;
  int4: boolean;
  W: number[][];
  x: number[];
  scale: number[][];
}

export function randomGemv(c: Pick<KernelConfig, 'G'>, rng: Rng, M: number, N: number, int4: boolean): GemvData {
  const lim = int4 ? 8 : 128;
  return {
    M, N, int4,
    W: Array.from({ length: M }, () => Array.from({ length: N }, () => rng.int(-lim, lim - 1))),
    x: Array.from({ length: N }, () => rng.int(-128, 127)),
    scale: Array.from({ length: M }, () => Array.from({ length: N / c.G }, () => rng.int(-32768, 32767))),
  };
}

export function prepareGemv(c: KernelConfig, map: RegMap, mem: DeviceMemory, alloc: Allocator, data: GemvData, wait: WaitMode): PreparedJob {
  const { M, N, int4 } = data;
  const wBeats = gemvWeightBeats(c, data.W, int4);
  const sBeats = gemvScaleBeats(c, data.scale);
  const x = alloc.alloc(Math.ceil(N / c.DWB) * c.DWB);
  const y = alloc.alloc(8 * M);
  const w = Array.from({ length: c.Wb }, () => alloc.alloc(stripeBytes(c, wBeats.length)));
  const s = Array.from({ length: c.Wb }, () => alloc.alloc(stripeBytes(c, sBeats.length)));
  writeX(mem, x, data.x);
  writeStripes(mem, c, w, wBeats);
  writeStripes(mem, c, s, sBeats);
  const args: Record<string, number> = { kind: JOB.gemv, rows: M, cols: N, int4: int4 ? 1 : 0, x, y };
  w.forEach((b, k) => (args[`w${k}`] = b));
  s.forEach((b, k) => (args[`s${k}`] = b));
  const host: HostJob = { args, wait, timeout: 50 * (wBeats.length + sBeats.length + 4000) };
  const expected = gemvReference(data.W, data.x, data.scale, c.G);
  return {
    host,
    program: jobProgram(map, host),
    outputs: [{ lo: y, hi: y + 8 * M, what: 'y' }],
    dump: [dumpOf(c, y, 8 * M)],
    status: 0,
    arrayCycles: gemvCycles({ M, N, G: c.G, T: c.T, H: c.H }),
    check(m: DeviceMemory): string[] {
      const got = readY(m, y, M);
      const bad: string[] = [];
      got.forEach((v, r) => {
        if (v !== expected[r]! && bad.length < 8) bad.push(`y[${r}] = ${v}, expected ${expected[r]}`);
      });
      return bad;
    },
  };
}

const dumpLines = (j: PreparedJob): string[] => j.dump.map(([w, n]) => `d ${w.toString(16)} ${n.toString(16)}`);

/** Program of several jobs (ap_ctrl_hs), each followed by the dump of its outputs. */
export function programOf(jobs: readonly PreparedJob[]): string[] {
  return jobs.flatMap((j) => [...j.program, ...dumpLines(j)]);
}

/** Program of a queue of jobs for an ap_ctrl_chain kernel, each followed by its dump. */
export function chainProgramOf(map: RegMap, jobs: readonly PreparedJob[]): string[] {
  return chainProgram(map, jobs.map((j) => j.host), jobs.map(dumpLines));
}

/**
 * Every problem of a finished run: protocol, timeouts, status, writes outside outputs, results.
 * `chain`: the jobs ran queued (ap_ctrl_chain), so 0x00 after a job shows the next one running
 * and the host's polls for ap_start may have cleared ap_done: only the last job must leave the
 * kernel idle.
 */
export function runProblems(jobs: readonly PreparedJob[], out: TbOutput, mem: DeviceMemory, chain = false): string[] {
  const problems: string[] = [...out.violations.map((v) => `protocol: ${v}`), ...out.timeouts];
  if (problems.length > 0) return problems;
  const outputs = jobs.flatMap((j) => j.outputs);
  for (const w of out.writes) {
    for (let i = 0n; (w.strobe >> i) !== 0n; i++) {
      if (((w.strobe >> i) & 1n) === 0n) continue;
      const a = Number(w.addr + i);
      if (!outputs.some((r) => a >= r.lo && a < r.hi)) {
        problems.push(`write to byte 0x${a.toString(16)} through m_axi_${w.master}, outside every output buffer (${outputs.map((r) => `${r.what} 0x${r.lo.toString(16)}..0x${r.hi.toString(16)}`).join(', ')})`);
        break;
      }
    }
    if (problems.length > 8) break;
  }
  jobs.forEach((j, n) => {
    const r = out.jobs[n]!;
    if ((r.status & 0xff) !== j.status) problems.push(`job ${n}: status error code ${r.status & 0xff}, expected ${j.status}`);
    if ((r.status >> 8) !== (j.flags ?? 0) >> 8) problems.push(`job ${n}: status flags 0x${(r.status >> 8).toString(16)}, expected 0x${((j.flags ?? 0) >> 8).toString(16)} (bit 0 AXI response, bit 1 array stream, bit 2 RoPE saturated)`);
    if (!chain && (r.controlAtDone & 2) === 0) problems.push(`job ${n}: ap_done not set in 0x00 when the job was seen done (0x${r.controlAtDone.toString(16)})`);
    if ((!chain || n === jobs.length - 1) && (r.controlAfter & 0x6) !== 0x4) problems.push(`job ${n}: 0x00 after the job reads 0x${r.controlAfter.toString(16)}: expected ap_idle set and ap_done cleared by the previous read`);
    if (r.isr && (r.isr[0] !== 1 || r.isr[1] !== 0)) problems.push(`job ${n}: ISR 0x${r.isr[0].toString(16)} at the interrupt and 0x${r.isr[1].toString(16)} after toggling bit 0: expected 1 then 0`);
    if (j.status === 0) problems.push(...j.check(mem).map((p) => `job ${n}: ${p}`));
  });
  return problems;
}

export function newMemory(c: Pick<KernelConfig, 'DWB'>, bytes: number): DeviceMemory {
  return new DeviceMemory(bytes, c.DWB);
}

/** A job with hand-written arguments (bad-argument cases): it may write nothing at all. */
export function prepareRaw(map: RegMap, args: Record<string, number>, status: number, wait: WaitMode = 'interrupt'): PreparedJob {
  const host: HostJob = { args, wait, timeout: 20000 };
  return { host, program: jobProgram(map, host), outputs: [], dump: [], status, arrayCycles: 0, check: () => [] };
}
