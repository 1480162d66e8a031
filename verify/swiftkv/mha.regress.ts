/**
 * SwiftKV-MHA regression: sequences of attention and GEMV jobs (and rejected or faulty jobs)
 * back to back without reset, on the emitted RTL (Verilator or Icarus, job testbench with
 * seeded backpressure) or on the TypeScript simulator, each job checked against its golden
 * model: o per head (goldenAttention) with its o_tuser mask, status_sat (the OR of the job's
 * masks), y per row (gemvGolden) with y_tkeep / y_tlast as documented, status_error (0 in
 * every cycle after the start of a good job, 1 at the done of a bad one), and the cycle count
 * (mhaAttentionCycles / gemvCycles exactly with every stream always valid and ready; a
 * rejected start is done the next cycle).
 *
 * `make test` runs testCases() on both simulators (verify/swiftkv/mha.test.ts), the mutation
 * checks a small case (mutation.test.ts); `make sim` runs mhaCases() through runMhaCase().
 * Rejected jobs are offered their beats like any other (mha.driver.ts): the top must drop them.
 */
import { clog2 } from '../../hdl/index.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { mhaAttentionCycles, gemvCycles, laneHeadCount, GEMV_DEFAULTS, type MhaParams } from '../../generators/swiftkv/mha.ts';
import { gemvGolden, gemvYBeats, randomGemvJob, type GemvData } from '../../generators/swiftkv/gemv.golden.ts';
import { makeJob, dataKinds } from './stimulus.ts';
import { runMhaRtl, runMhaTs, mhaGeometry, jobAccepted, laneHeads, cfgOf, type MhaJob, type MhaJobResult, type MhaGeometry, type Backpressure } from './mha.driver.ts';
import type { LaneJob } from './lane.driver.ts';
import { makeRng, type Rng } from '../rng.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import type { Mutate } from '../harness.ts';

/** The kinds of rejected or faulty jobs (issue 7's sticky-error regression). */
export const BAD_JOB_KINDS = [
  'cfg_heads = 0',
  'cfg_heads > maxHeads',
  'cfg_len = 0',
  'cfg_len > maxContext',
  'misplaced kv_tlast',
  'misplaced q_tlast',
  'cfg_cols = 0',
  'cfg_cols not a multiple of the group',
  'cfg_cols > maxCols',
  'cfg_rows = 0',
] as const;
export type BadJobKind = (typeof BAD_JOB_KINDS)[number];

/** A job of a case, before its data is drawn. */
export type JobSpec =
  /** nHeads heads of context L; 'saturating': head 0 drives the score past its format. */
  | { kind: 'attention'; nHeads: number; L: number; data?: 'mixed' | 'saturating' }
  | { kind: 'gemv'; int4: boolean; M: number; N: number; data?: GemvData }
  | { kind: 'bad'; bad: BadJobKind };

export interface MhaCase {
  /** Short description of what the case is for. */
  label: string;
  params: MhaParams;
  jobs: JobSpec[];
  seed: number;
  /** Percent of cycles an idle source offers a beat / a sink is ready (100 and 100: exact cycle checks). */
  vprob: number;
  rprob: number;
  /** Random idle cycles (0..3) before each start. */
  gaps?: boolean;
}

export function jobSpecName(j: JobSpec): string {
  switch (j.kind) {
    case 'attention':
      return `attn(${j.nHeads}h,L${j.L}${j.data === 'saturating' ? ',sat' : ''})`;
    case 'gemv':
      return `gemv(${j.int4 ? 'int4' : 'int8'},${j.M}x${j.N}${j.data === 'extreme' ? ',ext' : ''})`;
    case 'bad':
      return `bad(${j.bad})`;
  }
}

export function mhaCaseName(c: MhaCase): string {
  const l = c.params.lane;
  const g = c.params.gemv;
  return `${c.label}: H=${c.params.heads} d=${l.headDim} P=${l.pe ?? 16} ${l.rescale ?? 'multiply'}${g ? ` G=${g.group}` : ''} | ${c.jobs.map(jobSpecName).join(' ')} | valid ${c.vprob}% ready ${c.rprob}%${c.gaps ? ' gaps' : ''} seed ${c.seed}`;
}

// ---- stimulus ----------------------------------------------------------------------------------

function head(g: MhaGeometry, L: number, rng: Rng, k: number, saturating: boolean): LaneJob {
  const f = g.lane.formats.data;
  const fmt = { frac: f.fracBits, width: g.lane.W };
  if (!saturating) return makeJob(dataKinds[k % dataKinds.length]!, g.lane.d, L, rng, fmt);
  // q = k = 100 in every element: the score (about 100^2 sqrt(d) log2(e)) is far past Q15.17.
  const big = BigInt(Math.min(100, 2 ** (f.intBits - 2))) << BigInt(f.fracBits);
  const base = makeJob('normal', g.lane.d, L, rng, fmt);
  return { ...base, q: base.q.map(() => big), k: base.k.map((row) => row.map(() => big)) };
}

function attention(g: MhaGeometry, nHeads: number, L: number, rng: Rng, saturating = false): LaneJob[] {
  return Array.from({ length: nHeads }, (_, h) => head(g, L, rng, h + rng.int(0, 6), saturating && h === 0));
}

/** Flip the tlast of beat 0 (a misplaced tlast for any B). */
function flipFirst(n: number, isLast: (j: number) => boolean): boolean[] {
  return Array.from({ length: n }, (_, j) => (j === 0 ? !isLast(j) : isLast(j)));
}

/** A job of kind `bad` on this geometry; throws if the kind cannot be expressed on its ports. */
export function badJob(kind: BadJobKind, g: MhaGeometry, rng: Rng): MhaJob {
  const B = g.lane.B;
  const maxContext = g.lane.formats.params.maxContext;
  const gemv = (cfg: { cfgCols?: number; cfgRows?: number }): MhaJob => ({ kind: 'gemv', job: randomGemvJob(rng, { int4: false, M: 3, N: g.G, G: g.G }), ...cfg });
  switch (kind) {
    case 'cfg_heads = 0':
      return { kind: 'attention', heads: attention(g, 1, 2, rng), cfgHeads: 0 };
    case 'cfg_heads > maxHeads':
      if (g.maxHeads + 1 > 2 ** clog2(g.maxHeads + 1) - 1) throw new RangeError(`maxHeads = ${g.maxHeads}: cfg_heads cannot exceed it on its ${clog2(g.maxHeads + 1)}-bit port; pick maxHeads not of the form 2^k - 1`);
      return { kind: 'attention', heads: attention(g, 1, 2, rng), cfgHeads: g.maxHeads + 1 };
    case 'cfg_len = 0':
      return { kind: 'attention', heads: attention(g, Math.min(3, g.maxHeads), 2, rng), cfgLen: 0 };
    case 'cfg_len > maxContext':
      if (maxContext + 1 > 2 ** g.lane.lenWidth - 1) throw new RangeError(`maxContext = ${maxContext}: cfg_len cannot exceed it on its ${g.lane.lenWidth}-bit port`);
      return { kind: 'attention', heads: attention(g, Math.min(2, g.maxHeads), 2, rng), cfgLen: maxContext + 1 };
    case 'misplaced kv_tlast': {
      // On the last lane with a head, so a following 1-head job leaves that lane unstarted.
      const n = Math.min(g.H, g.maxHeads);
      const heads = attention(g, n, 2, rng);
      heads[n - 1] = { ...heads[n - 1]!, kvLast: flipFirst(2 * B, (j) => j % B === B - 1) };
      return { kind: 'attention', heads };
    }
    case 'misplaced q_tlast': {
      const n = Math.min(g.H + 1, g.maxHeads);
      const heads = attention(g, n, 3, rng);
      heads[n - 1] = { ...heads[n - 1]!, qLast: flipFirst(B, (j) => j === B - 1) };
      return { kind: 'attention', heads };
    }
    case 'cfg_cols = 0':
      return gemv({ cfgCols: 0 });
    case 'cfg_cols not a multiple of the group':
      return gemv({ cfgCols: g.G + g.G / 2 });
    case 'cfg_cols > maxCols':
      return gemv({ cfgCols: g.maxCols + g.G });
    case 'cfg_rows = 0':
      return gemv({ cfgRows: 0 });
  }
}

export function makeJobs(specs: readonly JobSpec[], g: MhaGeometry, rng: Rng): MhaJob[] {
  return specs.map((s) => {
    switch (s.kind) {
      case 'attention':
        return { kind: 'attention', heads: attention(g, s.nHeads, s.L, rng, s.data === 'saturating') };
      case 'gemv':
        return { kind: 'gemv', job: randomGemvJob(rng, { int4: s.int4, M: s.M, N: s.N, G: g.G, data: s.data ?? 'random' }) };
      case 'bad':
        return badJob(s.bad, g, rng);
    }
  });
}

// ---- checks ------------------------------------------------------------------------------------

export interface CheckOptions {
  /** Every source always valid and every sink always ready: cycle counts are exact. */
  fullRate: boolean;
}

function first<T>(a: readonly T[], b: readonly T[]): number {
  const n = Math.max(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k] !== b[k]) return k;
  return -1;
}

/** Everything that differs between a job's result and what the golden models and the docs promise. */
export function checkJob(job: MhaJob, r: MhaJobResult, g: MhaGeometry, o: CheckOptions): string[] {
  const p: string[] = [];
  const { H } = g;
  const accepted = jobAccepted(job, g);
  const cfg = cfgOf(job);
  const noOutput = (what: string): void => {
    r.heads.forEach((hs, i) => hs.length > 0 && p.push(`${what}: lane ${i} returned ${hs.length} o head(s)`));
    r.y.forEach((ys, i) => ys.length > 0 && p.push(`${what}: lane ${i} sent ${ys.length} y beat(s)`));
  };
  r.trailingO.forEach((n, i) => n > 0 && p.push(`lane ${i}: ${n} o elements after its last o_tlast`));
  if (!accepted) {
    if (r.cycles !== 1) p.push(`rejected start (${JSON.stringify(cfg)}): done after ${r.cycles} cycles, documented: the cycle after start (1)`);
    if (!r.error) p.push('rejected start: status_error = 0 at done, expected 1');
    if (r.sat !== 0) p.push(`rejected start: status_sat = ${r.sat}, expected 0`);
    noOutput('rejected start');
    return p;
  }
  const misplaced = job.kind === 'attention' && job.heads.some((h) => h.kvLast !== undefined || h.qLast !== undefined);
  if (misplaced) {
    if (!r.error) p.push('misplaced tlast: status_error = 0 at done, expected 1');
  } else {
    if (r.error) p.push('status_error = 1 at done');
    if (r.errorCycles > 0) p.push(`status_error = 1 in ${r.errorCycles} of the ${r.cycles} cycles after start`);
  }
  if (r.busyLow > 0) p.push(`busy = 0 in ${r.busyLow} cycles between start and done`);
  if (job.kind === 'attention') {
    const n = job.heads.length;
    const L = job.heads[0]!.k.length;
    const want = job.heads.map((h) => goldenAttention(h.q, h.k, h.v, g.params.lane));
    let satOr = 0;
    for (let i = 0; i < H; i++) {
      const mine = laneHeads(n, H, i);
      if (r.heads[i]!.length !== mine.length) p.push(`lane ${i}: ${r.heads[i]!.length} heads returned, expected ${mine.length} (heads ${mine.join(', ')})`);
      mine.forEach((h, k) => {
        const got = r.heads[i]![k];
        if (!got) return;
        const bad = first(got.o, want[h]!.o);
        if (bad >= 0) p.push(`head ${h} (lane ${i}): o[${bad}] = ${got.o[bad]} but golden ${want[h]!.o[bad]} (${got.o.length}/${want[h]!.o.length} elements)`);
        if (got.mask !== want[h]!.sat) p.push(`head ${h} (lane ${i}): o_tuser = ${got.mask} but golden mask ${want[h]!.sat}`);
        satOr |= want[h]!.sat;
      });
      if (r.y[i]!.length > 0) p.push(`attention job: lane ${i} sent ${r.y[i]!.length} y beats`);
    }
    if (r.sat !== satOr) p.push(`status_sat = ${r.sat} but the OR of the job's golden masks is ${satOr}`);
    const model = mhaAttentionCycles(g.timing, H, n, L);
    if (o.fullRate ? r.cycles !== model : r.cycles < model) p.push(`cycles ${r.cycles}, mhaAttentionCycles ${model} (lane 0: ${laneHeadCount(n, H, 0)} heads)${o.fullRate ? '' : ' is a lower bound'}`);
    return p;
  }
  const gj = job.job;
  const M = gj.w.length;
  const N = gj.x.length;
  const want = gemvGolden(gj, g.G);
  const arr = { H, T: g.T, G: g.G };
  for (let i = 0; i < H; i++) {
    const beats = gemvYBeats(M, arr, i);
    const got = r.y[i]!;
    if (got.length !== beats.length) p.push(`lane ${i}: ${got.length} y beats, expected ${beats.length}`);
    beats.forEach((b, k) => {
      const gb = got[k];
      if (!gb) return;
      if (gb.keep !== b.keep) p.push(`lane ${i} y beat ${k}: tkeep ${gb.keep.toString(2)}, expected ${b.keep.toString(2)} (rows ${b.rows.join(', ')})`);
      if (gb.last !== b.last) p.push(`lane ${i} y beat ${k}: tlast ${gb.last ? 1 : 0}, expected ${b.last ? 1 : 0}`);
      b.rows.forEach((row, e) => gb.rows[e] !== want[row] && p.push(`row ${row} (lane ${i} beat ${k} row ${e}): y = ${gb.rows[e]} but golden ${want[row]}`));
    });
    if (r.heads[i]!.length > 0) p.push(`GEMV job: lane ${i} returned ${r.heads[i]!.length} o heads`);
  }
  if (r.sat !== 0) p.push(`GEMV job: status_sat = ${r.sat}, expected 0`);
  const model = gemvCycles({ M, N, G: g.G, T: g.T, H });
  if (o.fullRate ? r.cycles !== model : r.cycles < model) p.push(`cycles ${r.cycles}, gemvCycles ${model}${o.fullRate ? '' : ' is a lower bound'}`);
  return p;
}

/** Problems of a whole run, each naming its job. */
export function checkRun(jobs: readonly MhaJob[], specs: readonly JobSpec[], results: readonly MhaJobResult[], g: MhaGeometry, o: CheckOptions): string[] {
  const out: string[] = [];
  jobs.forEach((j, k) => {
    const r = results[k];
    if (!r) {
      out.push(`job ${k} ${jobSpecName(specs[k]!)}: no result`);
      return;
    }
    const spec = specs[k]!;
    if (spec.kind !== 'bad' && !jobAccepted(j, g)) out.push(`job ${k} ${jobSpecName(spec)}: the case is wrong: this good job is out of the design's ranges (${JSON.stringify(cfgOf(j))})`);
    for (const q of checkJob(j, r, g, o)) out.push(`job ${k} ${jobSpecName(spec)}: ${q}`);
  });
  return out;
}

// ---- running cases -------------------------------------------------------------------------------

export interface CaseRun {
  problems: string[];
  results: MhaJobResult[];
  cycles: number;
}

function gapsOf(c: MhaCase, rng: Rng): number[] | undefined {
  return c.gaps ? c.jobs.map(() => rng.int(0, 3)) : undefined;
}

/** Run a case on the RTL and check every job (`mutation`: on a deliberately broken copy). */
export async function runCaseRtl(c: MhaCase, simulator: SimulatorName, mutation?: Mutate): Promise<CaseRun> {
  const g = mhaGeometry(c.params);
  const rng = makeRng(c.seed);
  const jobs = makeJobs(c.jobs, g, rng);
  const gaps = gapsOf(c, rng);
  const results = await runMhaRtl(c.params, jobs, { simulator, seed: c.seed, vprob: c.vprob, rprob: c.rprob, ...(gaps ? { gaps } : {}), ...(mutation ? { mutation } : {}) });
  const problems = checkRun(jobs, c.jobs, results, g, { fullRate: c.vprob === 100 && c.rprob === 100 });
  return { problems: problems.map((p) => `${simulator}: ${p} (seed ${c.seed})`), results, cycles: results.reduce((a, r) => a + r.cycles, 0) };
}

/** Run a case on the TypeScript simulator; also returns the recorded inputs for a replay. */
export function runCaseTs(c: MhaCase): CaseRun & { rows: bigint[][]; spans: { first: number; last: number }[]; jobs: MhaJob[] } {
  const g = mhaGeometry(c.params);
  const rng = makeRng(c.seed);
  const jobs = makeJobs(c.jobs, g, rng);
  const bp: Backpressure = { rng: makeRng(c.seed + 1), validProb: c.vprob / 100, readyProb: c.rprob / 100 };
  const run = runMhaTs(g.module, g, jobs, bp);
  const problems = checkRun(jobs, c.jobs, run.results, g, { fullRate: c.vprob === 100 && c.rprob === 100 });
  return { problems: problems.map((p) => `TypeScript: ${p} (seed ${c.seed})`), results: run.results, cycles: run.results.reduce((a, r) => a + r.cycles, 0), rows: run.rows, spans: run.spans, jobs };
}

/** For `make sim`: one case on one simulator. */
export async function runMhaCase(c: MhaCase, simulator: SimulatorName): Promise<{ ok: boolean; detail: string; cycles?: number }> {
  try {
    const r = await runCaseRtl(c, simulator);
    if (r.problems.length > 0) {
      const more = r.problems.length > 8 ? `\n  ... ${r.problems.length - 8} more` : '';
      return { ok: false, detail: `${r.problems.length} problem(s):\n  ${r.problems.slice(0, 8).join('\n  ')}${more}`, cycles: r.cycles };
    }
    return { ok: true, detail: `${c.jobs.length} jobs, ${r.cycles} cycles, bit-exact`, cycles: r.cycles };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

// ---- cases ---------------------------------------------------------------------------------------

/** The status regression: after each bad job, a good attention and a good GEMV job in both orders. */
export function statusJobs(p: MhaParams): JobSpec[] {
  // One group of columns: these GEMV jobs are here for status_error, not for the scaling schedule.
  const N = (p.gemv ?? GEMV_DEFAULTS).group;
  const out: JobSpec[] = [];
  for (const bad of BAD_JOB_KINDS) {
    out.push({ kind: 'bad', bad }, { kind: 'attention', nHeads: 1, L: 3 }, { kind: 'gemv', int4: true, M: 7, N });
    out.push({ kind: 'bad', bad }, { kind: 'gemv', int4: false, M: 5, N }, { kind: 'attention', nHeads: 3, L: 2 });
  }
  return out;
}

/** Parameter sets of `make test` (one simulator build each). */
export const PARAMS_A: MhaParams = { lane: { headDim: 16, pe: 4, maxContext: 100 }, heads: 2, maxHeads: 5, gemv: { group: 8, maxCols: 64 } };
export const PARAMS_B: MhaParams = { lane: { headDim: 8, pe: 1, rescale: 'shift', maxContext: 70 }, heads: 3, maxHeads: 6, gemv: { group: 64, maxCols: 768 } };

/** The cases of `make test`: each runs on Verilator and Icarus. */
export function testCases(): MhaCase[] {
  const attnA: JobSpec[] = [
    { kind: 'attention', nHeads: 3, L: 1 },
    { kind: 'attention', nHeads: 5, L: 7, data: 'saturating' },
    { kind: 'attention', nHeads: 1, L: 64 },
    { kind: 'attention', nHeads: 2, L: 100 },
  ];
  const gemvA: JobSpec[] = [
    { kind: 'gemv', int4: false, M: 400, N: 64, data: 'extreme' },
    { kind: 'gemv', int4: true, M: 305, N: 24, data: 'extreme' },
    { kind: 'gemv', int4: false, M: 1, N: 8 },
    { kind: 'gemv', int4: true, M: 153, N: 16 },
  ];
  const mixedA: JobSpec[] = [
    { kind: 'attention', nHeads: 3, L: 5, data: 'saturating' },
    { kind: 'gemv', int4: false, M: 160, N: 16 },
    { kind: 'attention', nHeads: 1, L: 9 },
    { kind: 'gemv', int4: true, M: 9, N: 40, data: 'extreme' },
    { kind: 'attention', nHeads: 4, L: 3 },
  ];
  // B: H = 3, P = 1, G = 64; a real layer's shapes at 1/16 (d_model 256, FFN 704): passes of 84 rows.
  const layerB: JobSpec[] = [
    { kind: 'attention', nHeads: 4, L: 65 },
    { kind: 'gemv', int4: true, M: 256, N: 256 },
    { kind: 'gemv', int4: false, M: 704, N: 256 },
    { kind: 'gemv', int4: true, M: 256, N: 704 },
    { kind: 'attention', nHeads: 6, L: 3, data: 'saturating' },
    { kind: 'gemv', int4: false, M: 85, N: 128, data: 'extreme' },
    { kind: 'attention', nHeads: 2, L: 1 },
  ];
  return [
    { label: 'attention A', params: PARAMS_A, jobs: attnA, seed: 11, vprob: 100, rprob: 100 },
    { label: 'attention A backpressure', params: PARAMS_A, jobs: attnA, seed: 12, vprob: 60, rprob: 45, gaps: true },
    { label: 'GEMV A', params: PARAMS_A, jobs: gemvA, seed: 13, vprob: 100, rprob: 100 },
    { label: 'GEMV A backpressure', params: PARAMS_A, jobs: gemvA, seed: 14, vprob: 55, rprob: 40, gaps: true },
    { label: 'mixed A', params: PARAMS_A, jobs: mixedA, seed: 15, vprob: 100, rprob: 100 },
    { label: 'mixed A backpressure', params: PARAMS_A, jobs: mixedA, seed: 16, vprob: 70, rprob: 50, gaps: true },
    { label: 'layer B', params: PARAMS_B, jobs: layerB, seed: 21, vprob: 100, rprob: 100 },
    { label: 'layer B backpressure', params: PARAMS_B, jobs: layerB, seed: 22, vprob: 65, rprob: 50, gaps: true },
    { label: 'status A', params: PARAMS_A, jobs: statusJobs(PARAMS_A), seed: 31, vprob: 100, rprob: 100 },
    { label: 'status A backpressure', params: PARAMS_A, jobs: statusJobs(PARAMS_A), seed: 32, vprob: 75, rprob: 60, gaps: true },
    { label: 'status B', params: PARAMS_B, jobs: statusJobs(PARAMS_B), seed: 33, vprob: 80, rprob: 70 },
  ];
}

/** The cases of `make sim`: the make-test cases and larger designs, contexts and layers. */
export function mhaCases(): MhaCase[] {
  const P16: MhaParams = { lane: { headDim: 64, pe: 16, maxContext: 4096 }, heads: 4, maxHeads: 20, gemv: { group: 32, maxCols: 4096 } };
  const P2: MhaParams = { lane: { headDim: 16, pe: 2, rescale: 'shift', maxContext: 300 }, heads: 5, maxHeads: 12, gemv: { group: 16, maxCols: 512 } };
  const P1: MhaParams = { lane: { headDim: 8, pe: 8, maxContext: 2000 }, heads: 1, maxHeads: 3, gemv: { group: 8, maxCols: 256 } };
  const DEF: MhaParams = { lane: { headDim: 128, pe: 16, maxContext: 4096 }, heads: 8, maxHeads: 64, gemv: { group: 32, maxCols: 4096 } };
  const layer = (dModel: number, ffn: number, int4: boolean): JobSpec[] => [
    { kind: 'gemv', int4, M: dModel, N: dModel },
    { kind: 'gemv', int4, M: ffn, N: dModel },
    { kind: 'gemv', int4, M: dModel, N: ffn },
  ];
  const big: MhaCase[] = [
    { label: 'd=64 P=16 long context', params: P16, jobs: [{ kind: 'attention', nHeads: 6, L: 1024 }, { kind: 'gemv', int4: false, M: 300, N: 512, data: 'extreme' }, { kind: 'attention', nHeads: 20, L: 33 }, { kind: 'attention', nHeads: 1, L: 4096 }], seed: 101, vprob: 100, rprob: 100 },
    { label: 'd=64 P=16 layer 1/8', params: P16, jobs: [...layer(512, 1376, true), { kind: 'attention', nHeads: 9, L: 200 }, ...layer(512, 1376, false)], seed: 102, vprob: 100, rprob: 100 },
    { label: 'd=64 P=16 backpressure', params: P16, jobs: [{ kind: 'attention', nHeads: 5, L: 129, data: 'saturating' }, { kind: 'gemv', int4: true, M: 1100, N: 96 }, { kind: 'attention', nHeads: 3, L: 64 }], seed: 103, vprob: 60, rprob: 40, gaps: true },
    { label: 'H=5 P=2 G=16', params: P2, jobs: [{ kind: 'attention', nHeads: 12, L: 300 }, { kind: 'gemv', int4: false, M: 700, N: 512, data: 'extreme' }, { kind: 'gemv', int4: true, M: 221, N: 16 }, { kind: 'attention', nHeads: 6, L: 1 }, { kind: 'attention', nHeads: 11, L: 17 }], seed: 104, vprob: 100, rprob: 100 },
    { label: 'H=5 P=2 G=16 backpressure', params: P2, jobs: [{ kind: 'attention', nHeads: 7, L: 77 }, { kind: 'gemv', int4: true, M: 500, N: 96, data: 'extreme' }, { kind: 'attention', nHeads: 12, L: 5, data: 'saturating' }], seed: 105, vprob: 50, rprob: 35, gaps: true },
    { label: 'H=1 P=d', params: P1, jobs: [{ kind: 'attention', nHeads: 3, L: 2000 }, { kind: 'gemv', int4: false, M: 300, N: 256 }, { kind: 'attention', nHeads: 1, L: 1 }, { kind: 'gemv', int4: true, M: 1, N: 8, data: 'extreme' }], seed: 106, vprob: 100, rprob: 100 },
    { label: 'status H=5', params: P2, jobs: statusJobs(P2), seed: 107, vprob: 70, rprob: 60, gaps: true },
    { label: 'default design', params: DEF, jobs: [{ kind: 'attention', nHeads: 19, L: 128 }, { kind: 'gemv', int4: true, M: 4096, N: 512 }, { kind: 'attention', nHeads: 8, L: 1024 }], seed: 108, vprob: 100, rprob: 100 },
  ];
  return [...testCases(), ...big];
}
