/**
 * `make sim`: the lane regression (Verilator matrix, Icarus subset, random register
 * initialisation) and the accuracy report against the float64 reference. Prints progress as
 * it goes and a summary table at the end; exits non-zero on any failure.
 *
 *   npx tsx scripts/sim.ts                 full matrix + accuracy
 *   npx tsx scripts/sim.ts --d 64 --pe 4 --rescale shift --sim verilator --L 1,17 --seed 5 [--valid 60 --ready 45 --random-reset 7]
 *   npx tsx scripts/sim.ts --no-accuracy   matrix only
 */
import { parseArgs } from 'node:util';
import { fullMatrix, runCase, caseName, type RegressCase, type CaseResult } from '../verify/swiftkv/lane.regress.ts';
import { accuracyTable } from '../verify/swiftkv/accuracy.ts';
import { mhaCases, mhaCaseName, runMhaCase } from '../verify/swiftkv/mha.regress.ts';

function parse(): { cases: RegressCase[]; accuracy: boolean; mha: boolean } {
  const { values } = parseArgs({
    options: {
      d: { type: 'string' },
      pe: { type: 'string' },
      rescale: { type: 'string' },
      sim: { type: 'string' },
      L: { type: 'string' },
      seed: { type: 'string' },
      valid: { type: 'string' },
      ready: { type: 'string' },
      'random-reset': { type: 'string' },
      'no-accuracy': { type: 'boolean' },
      'accuracy-only': { type: 'boolean' },
    },
  });
  const seed = Number(values.seed ?? 20261129);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`--seed ${values.seed}: accepted integers`);
  if (values['accuracy-only']) return { cases: [], accuracy: true, mha: false };
  if (values.d === undefined) return { cases: fullMatrix(seed), accuracy: !values['no-accuracy'], mha: true };
  const rescale = values.rescale ?? 'multiply';
  if (rescale !== 'multiply' && rescale !== 'shift') throw new RangeError(`--rescale ${rescale}: accepted multiply, shift`);
  const sim = values.sim ?? 'verilator';
  if (sim !== 'verilator' && sim !== 'icarus') throw new RangeError(`--sim ${sim}: accepted verilator, icarus`);
  const c: RegressCase = {
    d: Number(values.d),
    P: Number(values.pe ?? values.d),
    rescale,
    simulator: sim,
    Ls: (values.L ?? '1,2,3,17').split(',').map(Number),
    seed,
    vprob: Number(values.valid ?? 100),
    rprob: Number(values.ready ?? 100),
    ...(values['random-reset'] !== undefined ? { randomResetSeed: Number(values['random-reset']) } : {}),
  };
  return { cases: [c], accuracy: false, mha: false };
}

async function main(): Promise<void> {
  const { cases, accuracy, mha } = parse();
  const t0 = performance.now();
  const results: CaseResult[] = [];
  // Two at a time: two cores.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i]!;
      let r: CaseResult;
      try {
        r = await runCase(c);
      } catch (e) {
        r = { name: caseName(c), ok: false, queries: 0, tokens: 0, cycles: [], expectedCycles: [], kinds: [], ms: 0, failure: `${caseName(c)}\n  ${e instanceof Error ? e.message : String(e)}` };
      }
      results[i] = r;
      const done = results.filter(Boolean).length;
      console.log(`[${done}/${cases.length}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}  (${(r.ms / 1000).toFixed(1)} s)`);
      if (r.failure) console.log(r.failure);
    }
  };
  await Promise.all([worker(), worker()]);
  if (cases.length > 0) {
    console.log('\nSummary');
    console.log('| case | queries | tokens | cycles (measured) | cycles (formula) | result |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.name} | ${r.queries} | ${r.tokens} | ${r.cycles.join(' ')} | ${r.expectedCycles.join(' ')} | ${r.ok ? 'bit-exact' : 'FAIL'} |`);
    }
    const failed = results.filter((r) => !r.ok).length;
    console.log(`\nlane regression: ${results.length - failed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    if (failed > 0) process.exitCode = 1;
  }
  if (mha) {
    console.log('\nMHA top (attention + GEMV jobs interleaved, random backpressure, TS golden then cycle-exact replay)');
    let failed = 0;
    const all = mhaCases(true);
    for (const [i, c] of all.entries()) {
      const t1 = performance.now();
      let problems: string[];
      try {
        problems = await runMhaCase(c);
      } catch (e) {
        problems = [e instanceof Error ? e.message : String(e)];
      }
      if (problems.length > 0) failed++;
      console.log(`[${i + 1}/${all.length}] ${problems.length ? 'FAIL' : 'ok  '} ${mhaCaseName(c)} (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
      for (const p of problems) console.log(`  ${p}`);
    }
    console.log(`MHA top: ${all.length - failed} passed, ${failed} failed`);
    if (failed > 0) process.exitCode = 1;
  }
  if (accuracy) {
    console.log('\nAccuracy: max |o - o_ref| / max |o_ref| against the float64 reference (golden model = RTL, bit-exact), d = 128');
    for (const line of await accuracyTable({ d: 128, Ls: [128, 1024, 4096, 16384], seed: 7, onProgress: (s) => console.log(`  ${s}`) })) console.log(line);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(2);
});
