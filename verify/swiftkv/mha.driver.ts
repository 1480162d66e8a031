/**
 * Drives the SwiftKV-MHA top with a list of jobs (attention and GEMV, back to back without
 * reset), on the TypeScript simulator (recording every cycle's inputs for a replay on
 * Verilator or Icarus through verify/harness.ts) or on the emitted RTL with the job testbench
 * (testbenches/mha_job_tb.v.hbs: seeded valid gaps and ready stalls in the testbench, one
 * simulator build per parameter set, reused by every run). Both return the same per-job
 * results, which mha.regress.ts checks against the golden models.
 *
 * A job's beats are offered from its start cycle on, never before, also when the top rejects
 * the job (configuration out of range): the top must drop whatever its input slices took, and
 * the next job must see none of it. Beats not taken by done are withdrawn.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Simulator, emitDesign, type Module } from '../../hdl/index.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../../sim/simulator.ts';
import { projectRoot, sha256 } from '../../sim/cache.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { writeModuleFiles, writeFileAtomic } from '../../hdl/artifacts.ts';
import { buildMha, GEMV_DEFAULTS, type MhaParams } from '../../generators/swiftkv/mha.ts';
import { GEMV_Y_BITS, GEMV_Y_ROWS } from '../../generators/swiftkv/gemv.ts';
import { gemvBeats, type GemvJob } from '../../generators/swiftkv/gemv.golden.ts';
import { packValues } from '../../generators/common/packing.ts';
import type { LaneConfig } from '../../generators/swiftkv/config.ts';
import type { LaneTiming } from '../../generators/swiftkv/lane.ts';
import { applyMutation, type Mutate } from '../harness.ts';
import { renderMhaJobTestbench, mhaJobFiles, parseMhaJobOutput, emptyJobOutput, type TbBeat, type TbJob, type TbJobOutput } from '../../testbenches/mha-job.ts';
import type { LaneJob } from './lane.driver.ts';
import type { Rng } from '../rng.ts';

export interface AttentionJob {
  kind: 'attention';
  /** One query per head, all with the same context length L; head h goes to lane h mod H. */
  heads: LaneJob[];
  /** Sent as cfg_heads / cfg_len instead of the heads' count and L (rejected starts). */
  cfgHeads?: number;
  cfgLen?: number;
}

export interface GemvJobSpec {
  kind: 'gemv';
  job: GemvJob;
  /** Sent as cfg_rows / cfg_cols instead of M and N (rejected starts). */
  cfgRows?: number;
  cfgCols?: number;
}

export type MhaJob = AttentionJob | GemvJobSpec;

/** What a job run returned (TypeScript or RTL): per lane o heads and y beats, status, cycles. */
export type MhaJobResult = TbJobOutput;

/** Everything the drivers and checks need to know of a built top. */
export interface MhaGeometry {
  params: MhaParams;
  H: number;
  maxHeads: number;
  lane: LaneConfig;
  timing: LaneTiming;
  /** DSP tiles per lane. */
  T: number;
  /** GEMV group and largest N. */
  G: number;
  maxCols: number;
}

export function mhaGeometry(params: MhaParams): MhaGeometry & { module: Module } {
  const b = buildMha(params);
  const gemv = params.gemv ?? GEMV_DEFAULTS;
  return { module: b.module, params, H: params.heads, maxHeads: params.maxHeads, lane: b.lane, timing: b.timing, T: b.tiles, G: gemv.group, maxCols: gemv.maxCols };
}

export function cfgOf(job: MhaJob): { heads: number; len: number; rows: number; cols: number } {
  if (job.kind === 'attention') return { heads: job.cfgHeads ?? job.heads.length, len: job.cfgLen ?? job.heads[0]!.k.length, rows: 0, cols: 0 };
  return { heads: 0, len: 0, rows: job.cfgRows ?? job.job.w.length, cols: job.cfgCols ?? job.job.x.length };
}

/** The documented acceptance rule of a start (mha.ts port docs). */
export function jobAccepted(job: MhaJob, g: MhaGeometry): boolean {
  const c = cfgOf(job);
  if (job.kind === 'attention') return c.heads >= 1 && c.heads <= g.maxHeads && c.len >= 1 && c.len <= g.lane.formats.params.maxContext;
  return c.rows >= 1 && c.rows <= 65535 && c.cols >= 1 && c.cols <= g.maxCols && c.cols % g.G === 0;
}

/** Heads lane i serves in an attention job: i, i + H, i + 2H, ... */
export function laneHeads(nHeads: number, H: number, lane: number): number[] {
  const out: number[] = [];
  for (let h = lane; h < nHeads; h += H) out.push(h);
  return out;
}

/** The beats of every input stream of a job, as the testbench and the TypeScript driver send them. */
export function jobStreams(job: MhaJob, g: MhaGeometry, gap = 0): TbJob {
  const { H } = g;
  const { P, W, B } = g.lane;
  const c = cfgOf(job);
  const none = (): TbBeat[][] => Array.from({ length: H }, () => []);
  const base: TbJob = { mode: job.kind === 'attention' ? 0 : 1, cfgLen: c.len, cfgHeads: c.heads, int4: job.kind === 'gemv' && job.job.int4, cfgRows: c.rows, cfgCols: c.cols, q: none(), kv: none(), x: [], w: [], s: [], gap };
  // A rejected job's data is offered too (the beats of its real shape).
  if (job.kind === 'gemv') {
    const b = gemvBeats(job.job, { H, T: g.T, G: g.G });
    return { ...base, x: b.x, w: b.w, s: b.s };
  }
  const L = job.heads[0]!.k.length;
  const q = none();
  const kv = none();
  for (let i = 0; i < H; i++) {
    for (const h of laneHeads(job.heads.length, H, i)) {
      const head = job.heads[h]!;
      for (let b = 0; b < B; b++) q[i]!.push({ data: packValues(head.q.slice(b * P, b * P + P), W), last: head.qLast?.[b] ?? b === B - 1 });
      for (let t = 0; t < L; t++) {
        for (let b = 0; b < B; b++) {
          const k = packValues(head.k[t]!.slice(b * P, b * P + P), W);
          const v = packValues(head.v[t]!.slice(b * P, b * P + P), W);
          kv[i]!.push({ data: (v << BigInt(P * W)) | k, last: head.kvLast?.[t * B + b] ?? b === B - 1 });
        }
      }
    }
  }
  return { ...base, q, kv };
}

// ---- TypeScript simulator ----------------------------------------------------------------------

export interface Backpressure {
  rng: Rng;
  /** Probability that an idle source offers its next beat in a cycle (1: always). */
  validProb: number;
  /** Probability that a sink is ready in a cycle (1: always). */
  readyProb: number;
}

export interface MhaTsRun {
  results: MhaJobResult[];
  /** Inputs of every cycle (reset first), in the order of `inputNames`: a replay for harness.ts. */
  rows: bigint[][];
  inputNames: string[];
  /** Row of each job's start cycle and of its done cycle. */
  spans: { first: number; last: number }[];
}

/** Run jobs on the TypeScript simulator, as the job testbench runs them on the RTL. */
export function runMhaTs(m: Module, g: MhaGeometry, jobs: readonly MhaJob[], bp: Backpressure, maxCycles = 1_000_000): MhaTsRun {
  const { H } = g;
  const { P, W } = g.lane;
  const sim = new Simulator(m);
  const inputNames = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
  const values = new Map<string, bigint>(inputNames.map((n) => [n, 0n]));
  const rows: bigint[][] = [];
  const set = (n: string, v: bigint | number | boolean): void => {
    if (!values.has(n)) throw new Error(`MHA driver: the top has no input '${n}'`);
    values.set(n, BigInt(v));
  };
  const step = (): void => {
    for (const n of inputNames) sim.set(n, values.get(n)!); // raw, non-negative bits
    rows.push(inputNames.map((n) => values.get(n)!));
  };
  const tick = (): void => {
    step();
    sim.tick();
  };
  set('rst', 1);
  tick();
  set('rst', 0);
  const results: MhaJobResult[] = [];
  const spans: { first: number; last: number }[] = [];
  for (const job of jobs) {
    const tb = jobStreams(job, g);
    // Sources in the testbench's order: q0, kv0, q1, kv1, ..., x, w, s.
    const source = (name: string, beats: readonly TbBeat[], last: boolean) => ({ name, beats, last, i: 0, offered: false });
    const sources = [
      ...Array.from({ length: H }, (_, i) => [source(`q${i}`, tb.q[i]!, true), source(`kv${i}`, tb.kv[i]!, true)]).flat(),
      ...(['x', 'w', 's'] as const).map((n) => source(n, tb[n].map((data) => ({ data, last: false })), false)),
    ];
    set('start', 1);
    set('cfg_mode', tb.mode);
    set('cfg_len', tb.cfgLen);
    set('cfg_heads', tb.cfgHeads);
    set('cfg_int4', tb.int4);
    set('cfg_rows', tb.cfgRows);
    set('cfg_cols', tb.cfgCols);
    const out = emptyJobOutput(H);
    const pending: bigint[][] = Array.from({ length: H }, () => []);
    const first = rows.length;
    for (let cycle = 0; ; cycle++) {
      if (cycle > maxCycles) throw new Error(`MHA job ${results.length} (${job.kind}) did not finish within ${maxCycles} cycles`);
      for (const s of sources) {
        if (!s.offered && s.i < s.beats.length) s.offered = bp.rng.next() < bp.validProb;
        const beat = s.beats[Math.min(s.i, s.beats.length - 1)];
        set(`${s.name}_tvalid`, s.offered);
        // Data is don't-care while valid is low: show the next beat, as the job testbench does
        // (zeros here would hide a design that uses data without valid).
        set(`${s.name}_tdata`, beat?.data ?? 0n);
        if (s.last) set(`${s.name}_tlast`, beat?.last ?? false);
      }
      const oReady: boolean[] = [];
      const yReady: boolean[] = [];
      for (let i = 0; i < H; i++) {
        oReady.push(bp.rng.next() < bp.readyProb);
        yReady.push(bp.rng.next() < bp.readyProb);
        set(`o${i}_tready`, oReady[i]!);
        set(`y${i}_tready`, yReady[i]!);
      }
      step();
      const fired = sources.map((s) => s.offered && sim.get(`${s.name}_tready`).isTrue());
      for (let i = 0; i < H; i++) {
        if (oReady[i] && sim.get(`o${i}_tvalid`).isTrue()) {
          const word = sim.get(`o${i}_tdata`).bits;
          for (let e = 0; e < P; e++) pending[i]!.push(BigInt.asIntN(W, word >> BigInt(e * W)));
          if (sim.get(`o${i}_tlast`).isTrue()) {
            out.heads[i]!.push({ o: pending[i]!, mask: Number(sim.get(`o${i}_tuser`).bits) });
            pending[i] = [];
          }
        }
        if (yReady[i] && sim.get(`y${i}_tvalid`).isTrue()) {
          const word = sim.get(`y${i}_tdata`).bits;
          out.y[i]!.push({
            rows: Array.from({ length: GEMV_Y_ROWS }, (_, k) => BigInt.asIntN(GEMV_Y_BITS, word >> BigInt(k * GEMV_Y_BITS))),
            keep: Number(sim.get(`y${i}_tkeep`).bits),
            last: sim.get(`y${i}_tlast`).isTrue(),
          });
        }
      }
      const done = sim.get('done').isTrue();
      const error = sim.get('status_error').isTrue();
      if (cycle > 0 && error) out.errorCycles++;
      if (cycle > 0 && !done && !sim.get('busy').isTrue()) out.busyLow++;
      if (done) {
        out.cycles = cycle;
        out.error = error;
        out.sat = Number(sim.get('status_sat').bits);
      }
      sim.tick();
      set('start', 0);
      sources.forEach((s, k) => {
        if (fired[k]) {
          s.i++;
          s.offered = false;
        }
      });
      if (done) break;
    }
    out.trailingO = pending.map((p) => p.length);
    results.push(out);
    spans.push({ first, last: rows.length - 1 });
  }
  return { results, rows, inputNames, spans };
}

// ---- RTL with the job testbench ------------------------------------------------------------------

export interface MhaRtl {
  geometry: MhaGeometry;
  name: string;
  build: SimBuild;
  dir: string;
}

const builds = new Map<string, Promise<MhaRtl>>();

/**
 * Emit the top and its job testbench into .cache/designs/ and build (cached per process and by
 * RTL hash). `mutation`: a deliberately broken copy (mutation checks), in a folder of its own.
 */
export function buildMhaRtl(params: MhaParams, simulator: SimulatorName, mutation?: Mutate): Promise<MhaRtl> {
  const key = JSON.stringify([simulator, params, mutation ?? null]);
  let b = builds.get(key);
  if (!b) {
    b = (async () => {
      const g = mhaGeometry(params);
      const m = g.module;
      const design = emitDesign(m);
      // One folder per parameter set: two sets may share the top's name (its name omits formats).
      const dir = path.join(projectRoot(), '.cache', 'designs', `${m.name}-job-${sha256(JSON.stringify(params)).slice(0, 10)}${mutation ? `-mutant-${mutation.name}` : ''}`);
      await mkdir(dir, { recursive: true });
      const sources = await writeModuleFiles(design, dir);
      if (mutation) await applyMutation(dir, mutation);
      const tbName = 'tb_swiftkv_mha_job';
      const tb = path.join(dir, `${tbName}.v`);
      const ports = m.portInfo().map((p) => ({ name: p.name, direction: p.direction, width: p.width }));
      await writeFileAtomic(tb, renderMhaJobTestbench({ tbName, dut: m.name, H: g.H, ports }));
      sources.push(tb);
      const build = await buildSimulation({ simulator, top: tbName, sources });
      const { module: _m, ...geometry } = g;
      return { geometry, name: m.name, build, dir };
    })();
    builds.set(key, b);
    b.catch(() => builds.delete(key));
  }
  return b;
}

export interface MhaRtlOptions {
  simulator: SimulatorName;
  /** Testbench xorshift seed (valid gaps, ready stalls). */
  seed: number;
  /** Percent of cycles an idle source offers a beat / a sink is ready (100: always). */
  vprob: number;
  rprob: number;
  /** Idle cycles before each job's start (default 0: back to back). */
  gaps?: readonly number[];
  waves?: string;
  maxCycles?: number;
  /** Run a deliberately broken copy of the RTL (mutation checks). */
  mutation?: Mutate;
}

/** Run jobs on the RTL; throws if the simulator fails or a job does not finish. */
export async function runMhaRtl(params: MhaParams, jobs: readonly MhaJob[], opts: MhaRtlOptions): Promise<MhaJobResult[]> {
  const rtl = await buildMhaRtl(params, opts.simulator, opts.mutation);
  const g = rtl.geometry;
  return withTempDir('mha-', async (work) => {
    const files = mhaJobFiles(g.H, g.H * g.T * 16, jobs.map((j, k) => jobStreams(j, g, opts.gaps?.[k] ?? 0)));
    const plusargs: Record<string, string | number> = { seed: opts.seed, vprob: opts.vprob, rprob: opts.rprob, maxcycles: opts.maxCycles ?? 2_000_000 };
    for (const [name, text] of files) {
      const f = path.join(work, `${name}.hex`);
      await writeFile(f, text);
      plusargs[name] = f;
    }
    const outFile = path.join(work, 'out.txt');
    plusargs.out = outFile;
    const r = await rtl.build.run({ plusargs, ...(opts.waves ? { waves: opts.waves } : {}) });
    if (r.exitCode !== 0) throw new Error(`${opts.simulator} run of ${rtl.name} failed (exit ${r.exitCode}):\n${r.command}\n${r.stdout}\n${r.stderr}`);
    const parsed = parseMhaJobOutput(await readFile(outFile, 'utf8'), { H: g.H, P: g.lane.P, W: g.lane.W, yRows: GEMV_Y_ROWS, yBits: GEMV_Y_BITS });
    if (parsed.timeout !== undefined) throw new Error(`${opts.simulator}: job ${parsed.jobs.length} of ${rtl.name} did not finish: ${parsed.timeout}`);
    if (parsed.jobs.length !== jobs.length) throw new Error(`${opts.simulator}: ${parsed.jobs.length} of ${jobs.length} jobs of ${rtl.name} finished`);
    return parsed.jobs;
  });
}
