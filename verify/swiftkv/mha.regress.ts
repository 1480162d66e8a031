/**
 * MHA top regression cases: attention and GEMV jobs interleaved without reset, random
 * backpressure on every stream, checked against the whole-system golden model (the lane golden
 * per head, the GEMV golden per job) on the TypeScript simulator, then replayed cycle for cycle
 * on Verilator and/or Icarus (every output, every cycle).
 */
import { buildMha } from '../../generators/swiftkv/mha.ts';
import { runMhaTs, type MhaJob, type GemvJobSpec } from './mha.driver.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { gemvGolden, type GemvJob } from '../../generators/swiftkv/gemv.ts';
import { makeJob } from './stimulus.ts';
import { differential } from '../harness.ts';
import { makeRng, type Rng } from '../rng.ts';
import type { Rescale } from '../../generators/swiftkv/numerics.ts';
import type { SimulatorName } from '../../sim/simulator.ts';

/** An attention job (nHeads, L) or a GEMV job ('int8' | 'int4', M rows, N columns). */
export type JobSpec = [number, number] | ['int8' | 'int4', number, number];

export interface MhaCase {
  H: number;
  P: number;
  d: number;
  rescale: Rescale;
  jobs: JobSpec[];
  sims: SimulatorName[];
  seed: number;
}

/** Whole-system golden model of an attention job: every head through the lane golden model. */
export function mhaGolden(job: MhaJob, rescale: Rescale): bigint[][] {
  return mhaGoldenRun(job, rescale).o;
}

/** The outputs per head and the top's status_sat: the OR of the heads' masks. */
export function mhaGoldenRun(job: MhaJob, rescale: Rescale): { o: bigint[][]; sat: number } {
  const runs = job.heads.map((h) => goldenAttention(h.q, h.k, h.v, { rescale }));
  return { o: runs.map((r) => r.o), sat: runs.reduce((a, r) => a | r.sat, 0) };
}

export function randomGemv(rng: Rng, int4: boolean, M: number, N: number): GemvJob {
  const wmax = int4 ? 8 : 128;
  return {
    int4,
    w: Array.from({ length: M }, () => Array.from({ length: N }, () => rng.int(-wmax, wmax - 1))),
    x: Array.from({ length: N }, () => rng.int(-128, 127)),
    scale: Array.from({ length: M }, () => Array.from({ length: N / 32 }, () => rng.int(-32768, 32767))),
  };
}

export function mhaCaseName(c: MhaCase): string {
  return `H=${c.H} P=${c.P} d=${c.d} ${c.rescale} jobs ${c.jobs.map((j) => `(${j.join(',')})`).join(' ')} seed=${c.seed} on ${c.sims.join('+')}`;
}

/** Runs a case; returns a list of problems (empty: passed). */
export async function runMhaCase(c: MhaCase): Promise<string[]> {
  const rng = makeRng(c.seed);
  const fmt = { frac: 17, width: 32 };
  const lane = { headDim: c.d, pe: c.P, rescale: c.rescale, maxContext: 1024 };
  const { module, lane: lc } = buildMha({ lane, heads: c.H, maxHeads: 16 });
  const kinds = ['normal', 'max-last', 'ties', 'outliers', 'edges', 'max-first'] as const;
  const jobs: (MhaJob | GemvJobSpec)[] = c.jobs.map((j) =>
    typeof j[0] === 'string'
      ? { gemv: randomGemv(rng, j[0] === 'int4', j[1], j[2]) }
      : { heads: Array.from({ length: j[0] }, (_, h) => makeJob(kinds[h % kinds.length]!, c.d, j[1], rng, fmt)) },
  );
  const { runs, rows } = runMhaTs(module, lc, c.H, jobs, { rng, validProb: 0.7, readyProb: 0.6 });
  const problems: string[] = [];
  runs.forEach((r, i) => {
    const job = jobs[i]!;
    if (r.error) problems.push(`job ${i}: status_error`);
    if ('gemv' in job) {
      const want = gemvGolden(job.gemv, 32);
      const bad = want.findIndex((y, k) => r.y[k] !== y);
      if (r.y.length !== want.length || bad >= 0) problems.push(`GEMV job ${i}: y[${bad}] = ${r.y[bad]} but golden ${want[bad]} (${r.y.length}/${want.length} rows)`);
      if (r.sat !== 0) problems.push(`GEMV job ${i}: status_sat ${r.sat}, expected 0 (no lane runs)`);
    } else {
      const golden = mhaGoldenRun(job, c.rescale);
      if (r.sat !== golden.sat) problems.push(`attention job ${i}: status_sat ${r.sat} but golden ${golden.sat}`);
      const want = golden.o;
      want.forEach((o, h) => {
        const bad = o.findIndex((x, k) => r.o[h]![k] !== x);
        if (r.o[h]!.length !== o.length || bad >= 0) problems.push(`attention job ${i} head ${h}: o[${bad}] = ${r.o[h]![bad]} but golden ${o[bad]}`);
      });
    }
  });
  if (problems.length > 0) return problems.map((p) => `${p} (seed ${c.seed})`);
  const { module: fresh } = buildMha({ lane, heads: c.H, maxHeads: 16 });
  await differential(fresh, rows, { label: `mha ${mhaCaseName(c)}`, seed: c.seed, clock: 'clk', simulators: c.sims, ignoreBefore: 1 });
  return [];
}

/** Cases of `make test` (small) and of `make sim` (more lanes, longer jobs). */
export function mhaCases(full: boolean): MhaCase[] {
  const small: MhaCase[] = [
    { H: 1, P: 1, d: 16, rescale: 'multiply', jobs: [[2, 3], ['int8', 3, 32], [1, 2], ['int4', 4, 64]], sims: ['verilator'], seed: 111 },
    { H: 3, P: 4, d: 16, rescale: 'shift', jobs: [[5, 3], ['int8', 30, 64], [3, 17], ['int4', 40, 32]], sims: ['verilator', 'icarus'], seed: 134 },
    { H: 2, P: 16, d: 16, rescale: 'multiply', jobs: [['int4', 100, 96], [3, 4], [4, 2]], sims: ['verilator'], seed: 136 },
  ];
  if (!full) return small;
  return [
    ...small,
    { H: 5, P: 4, d: 16, rescale: 'multiply', jobs: [[11, 17], ['int8', 45, 128], ['int4', 61, 64], [7, 40]], sims: ['verilator'], seed: 501 },
    { H: 2, P: 16, d: 64, rescale: 'shift', jobs: [[3, 33], ['int4', 200, 96], [4, 9]], sims: ['verilator'], seed: 502 },
    { H: 1, P: 1, d: 16, rescale: 'shift', jobs: [['int8', 5, 160], [3, 25], ['int4', 7, 32]], sims: ['icarus'], seed: 503 },
  ];
}

/** The kinds of rejected or faulty jobs of the status regression. */
export const badJobKinds = ['cfg_heads = 0', 'cfg_heads > maxHeads', 'cfg_len = 0', 'misplaced kv_tlast', 'misplaced q_tlast', 'bad GEMV cfg_cols'] as const;
export type BadJobKind = (typeof badJobKinds)[number];

/**
 * status_error is sticky until the next start, and belongs to its job only: after each kind of
 * bad job, a good attention job and a good GEMV job (in both orders) must show status_error = 0
 * in every cycle from the one after their start through done, and the bad job must show 1 at
 * its done. Checked on the TypeScript simulator, then the same stimulus is replayed cycle for
 * cycle on `sims` (every output compared, status_error included). Returns problems (empty:
 * passed).
 */
export async function runStatusRegression(sims: SimulatorName[], seed = 77): Promise<string[]> {
  const rng = makeRng(seed);
  const fmt = { frac: 17, width: 32 };
  const H = 2;
  const maxHeads = 4;
  const lane = { headDim: 16, pe: 4, maxContext: 64 };
  const { module, lane: lc } = buildMha({ lane, heads: H, maxHeads });
  const B = lc.B;
  const attention = (n: number, L: number): MhaJob => ({ heads: Array.from({ length: n }, () => makeJob('normal', 16, L, rng, fmt)) });
  const bad = (kind: BadJobKind): MhaJob | GemvJobSpec => {
    switch (kind) {
      case 'cfg_heads = 0': return { ...attention(1, 2), cfgHeads: 0 };
      case 'cfg_heads > maxHeads': return { ...attention(1, 2), cfgHeads: maxHeads + 1 };
      case 'cfg_len = 0': return { ...attention(3, 2), cfgLen: 0 };
      case 'misplaced kv_tlast': {
        const j = attention(2, 2);
        j.heads[1] = { ...j.heads[1]!, kvLast: Array<boolean>(2 * B).fill(true) };
        return j;
      }
      case 'misplaced q_tlast': {
        const j = attention(3, 2);
        j.heads[2] = { ...j.heads[2]!, qLast: Array.from({ length: B }, (_, b) => b === 0) };
        return j;
      }
      case 'bad GEMV cfg_cols': return { gemv: randomGemv(rng, false, 3, 32), cfgCols: 40 };
    }
  };
  const jobs: { job: MhaJob | GemvJobSpec; label: string; good: boolean }[] = [];
  for (const kind of badJobKinds) {
    jobs.push({ job: bad(kind), label: kind, good: false });
    jobs.push({ job: attention(3, 3), label: `attention after ${kind}`, good: true });
    jobs.push({ job: { gemv: randomGemv(rng, true, 7, 64) }, label: `GEMV after attention after ${kind}`, good: true });
    jobs.push({ job: bad(kind), label: kind, good: false });
    jobs.push({ job: { gemv: randomGemv(rng, false, 5, 32) }, label: `GEMV after ${kind}`, good: true });
    jobs.push({ job: attention(2, 2), label: `attention after GEMV after ${kind}`, good: true });
  }
  const { runs, rows } = runMhaTs(module, lc, H, jobs.map((j) => j.job), { rng, validProb: 0.8, readyProb: 0.7 });
  const problems: string[] = [];
  runs.forEach((r, i) => {
    const { job, label, good } = jobs[i]!;
    if (!good) {
      if (!r.error) problems.push(`job ${i} (${label}): status_error is 0 at done, expected 1`);
      return;
    }
    if (r.errorCycles > 0 || r.error) problems.push(`job ${i} (${label}): status_error was 1 in ${r.errorCycles} of ${r.cycles} cycles after start`);
    if ('gemv' in job) {
      const want = gemvGolden(job.gemv, 32);
      if (r.y.join() !== want.join()) problems.push(`job ${i} (${label}): y differs from the golden model`);
    } else if (r.o.map((o) => o.join()).join('|') !== mhaGolden(job, 'multiply').map((o) => o.join()).join('|')) {
      problems.push(`job ${i} (${label}): o differs from the golden model`);
    }
  });
  if (problems.length > 0) return problems.map((p) => `TypeScript simulator: ${p} (seed ${seed})`);
  const { module: fresh } = buildMha({ lane, heads: H, maxHeads });
  const res = await differential(fresh, rows, { label: 'mha status regression', seed, clock: 'clk', simulators: sims, ignoreBefore: 1 });
  // The replay equals the TypeScript run in every output; say so for status_error explicitly.
  const col = res.outputs.indexOf('status_error');
  for (const sim of sims) {
    const out = res.actual[sim]!;
    runs.forEach((r, i) => {
      if (!jobs[i]!.good) return;
      for (let row = r.firstRow + 1; row <= r.lastRow; row++) {
        if (out[row]![col] !== 0n) problems.push(`${sim}: job ${i} (${jobs[i]!.label}): status_error = 1 at cycle ${row}`);
      }
    });
  }
  return problems;
}
