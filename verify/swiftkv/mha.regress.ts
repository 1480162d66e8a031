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
  return job.heads.map((h) => goldenAttention(h.q, h.k, h.v, { rescale }).o);
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
    } else {
      const want = mhaGolden(job, c.rescale);
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
