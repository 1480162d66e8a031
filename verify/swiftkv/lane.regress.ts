/**
 * The lane regression: each case is one lane parameter set on one simulator, with a list of
 * context lengths run back to back (no reset between queries), seeded data of every kind,
 * random valid gaps and ready stalls, optionally random register initialisation. Results are
 * compared bit for bit with the golden model, and cycles with the latency formula.
 */
import * as path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { laneConfig, laneCycles } from '../../generators/swiftkv/lane.ts';
import { runLaneHdl } from './lane.rtl.ts';
import { makeJob, dataKinds, type DataKind } from './stimulus.ts';
import type { Rescale } from '../../generators/swiftkv/numerics.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { makeRng } from '../rng.ts';
import { projectRoot } from '../../sim/cache.ts';
import { satStages } from '../../generators/swiftkv/saturation.ts';

export interface RegressCase {
  d: number;
  P: number;
  rescale: Rescale;
  Ls: number[];
  simulator: SimulatorName;
  seed: number;
  /** Percent of cycles sources offer / the sink is ready; 100 and 100: no backpressure. */
  vprob: number;
  rprob: number;
  randomResetSeed?: number;
  maxContext?: number;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  queries: number;
  tokens: number;
  cycles: number[];
  expectedCycles: number[];
  kinds: DataKind[];
  ms: number;
  failure?: string;
}

export function caseName(c: RegressCase): string {
  const rr = c.randomResetSeed !== undefined ? ` randreset=${c.randomResetSeed}` : '';
  return `d=${c.d} P=${c.P} ${c.rescale} ${c.simulator} L=[${c.Ls.join(',')}] seed=${c.seed} valid=${c.vprob}% ready=${c.rprob}%${rr}`;
}

export function reproduceCommand(c: RegressCase): string {
  const rr = c.randomResetSeed !== undefined ? ` --random-reset ${c.randomResetSeed}` : '';
  return `npx tsx scripts/sim.ts --d ${c.d} --pe ${c.P} --rescale ${c.rescale} --sim ${c.simulator} --L ${c.Ls.join(',')} --seed ${c.seed} --valid ${c.vprob} --ready ${c.rprob}${rr}`;
}

export async function runCase(c: RegressCase): Promise<CaseResult> {
  const t0 = performance.now();
  const params = { headDim: c.d, pe: c.P, rescale: c.rescale, ...(c.maxContext ? { maxContext: c.maxContext } : {}) };
  const cfg = laneConfig(params);
  const rng = makeRng(c.seed);
  const fmt = { frac: cfg.formats.data.fracBits, width: cfg.formats.data.intBits + cfg.formats.data.fracBits };
  const kinds: DataKind[] = c.Ls.map((L, i) => (L >= 1024 ? (['normal', 'outliers'] as const)[(i + c.seed) % 2]! : dataKinds[(i + c.seed) % dataKinds.length]!));
  const jobs = c.Ls.map((L, i) => makeJob(kinds[i]!, c.d, L, rng, fmt));
  const goldenRuns = jobs.map((j) => goldenAttention(j.q, j.k, j.v, params));
  const golden = goldenRuns.map((g) => g.o);
  const base = {
    name: caseName(c),
    queries: jobs.length,
    tokens: c.Ls.reduce((a, b) => a + b, 0),
    expectedCycles: c.Ls.map((L) => laneCycles(cfg, L).total),
    kinds,
  };
  const runOpts = {
    simulator: c.simulator,
    seed: c.seed,
    vprob: c.vprob,
    rprob: c.rprob,
    ...(c.randomResetSeed !== undefined ? { randomResetSeed: c.randomResetSeed } : {}),
  };
  const res = await runLaneHdl(params, jobs, runOpts);
  const problems: string[] = [];
  const noBackpressure = c.vprob === 100 && c.rprob === 100;
  res.forEach((r, i) => {
    const g = golden[i]!;
    const L = c.Ls[i]!;
    if (r.error) problems.push(`query ${i} (L=${L}): status_error set`);
    const gs = goldenRuns[i]!.sat;
    if (r.sat !== gs) problems.push(`query ${i} (L=${L}, ${kinds[i]}): status_sat ${r.sat} (${satStages(r.sat).join(',') || 'none'}) but golden ${gs} (${satStages(gs).join(',') || 'none'})`);
    const bad = g.findIndex((x, j) => r.o[j] !== x);
    if (r.o.length !== g.length) problems.push(`query ${i} (L=${L}, ${kinds[i]}): ${r.o.length} outputs, expected ${g.length}`);
    else if (bad >= 0) problems.push(`query ${i} (L=${L}, ${kinds[i]}): o[${bad}] = ${r.o[bad]} but golden ${g[bad]} (raw)`);
    const want = base.expectedCycles[i]!;
    if (noBackpressure && r.cycles !== want) problems.push(`query ${i} (L=${L}): ${r.cycles} cycles, formula ${want}: a stall`);
    if (!noBackpressure && r.cycles < want) problems.push(`query ${i} (L=${L}): ${r.cycles} cycles, below the formula ${want}`);
  });
  let failure: string | undefined;
  if (problems.length > 0) {
    const waves = path.join(projectRoot(), '.cache', 'failures', `lane-d${c.d}-p${c.P}-${c.rescale}-${c.simulator}-seed${c.seed}.vcd`);
    await mkdir(path.dirname(waves), { recursive: true });
    await runLaneHdl(params, jobs, { ...runOpts, waves }).catch(() => undefined);
    failure = `${base.name}\n  ${problems.slice(0, 8).join('\n  ')}\n  waveform: ${waves}\n  reproduce: ${reproduceCommand(c)}`;
  }
  return {
    ...base,
    ok: problems.length === 0,
    cycles: res.map((r) => r.cycles),
    ms: performance.now() - t0,
    ...(failure ? { failure } : {}),
  };
}

/** The full `make sim` matrix (DESIGN/issue: d, P, L, both rescale options). */
export function fullMatrix(seed: number): RegressCase[] {
  const cases: RegressCase[] = [];
  const Ls = [1, 2, 3, 17, 128, 1024, 4096];
  for (const d of [16, 64, 128]) {
    const pes = [...new Set([1, 4, 16, d])];
    for (const P of pes) {
      for (const rescale of ['multiply', 'shift'] as const) {
        // Verilator: once without backpressure (exact cycle check), once with.
        cases.push({ d, P, rescale, Ls, simulator: 'verilator', seed, vprob: 100, rprob: 100 });
        cases.push({ d, P, rescale, Ls: [3, 17, 128], simulator: 'verilator', seed: seed + 1, vprob: 60, rprob: 45, randomResetSeed: seed + 2 });
      }
    }
  }
  // Icarus subset, and random register initialisation under several seeds.
  for (const rescale of ['multiply', 'shift'] as const) {
    cases.push({ d: 16, P: 4, rescale, Ls: [1, 2, 3, 17, 128], simulator: 'icarus', seed: seed + 3, vprob: 70, rprob: 60 });
    cases.push({ d: 64, P: 16, rescale, Ls: [1, 17, 128], simulator: 'icarus', seed: seed + 4, vprob: 100, rprob: 100 });
  }
  for (let r = 0; r < 3; r++) {
    cases.push({ d: 64, P: 4, rescale: 'multiply', Ls: [1, 17, 128], simulator: 'verilator', seed: seed + 10 + r, vprob: 80, rprob: 70, randomResetSeed: 1000 + r });
  }
  return cases;
}
