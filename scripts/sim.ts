/**
 * `make sim`: the lane regression (Verilator matrix, Icarus subset, random register
 * initialisation) and the accuracy report against the float64 reference. Prints progress as
 * it goes and a summary table at the end; exits non-zero on any failure.
 *
 *   node --import tsx scripts/sim.ts                 full matrix + accuracy
 *   node --import tsx scripts/sim.ts --d 64 --pe 4 --rescale shift --sim verilator --L 1,17 --seed 5 [--valid 60 --ready 45 --random-reset 7]
 *   node --import tsx scripts/sim.ts --no-accuracy   matrix only
 *   node --import tsx scripts/sim.ts --help
 */
import { z } from 'zod';
import { fullMatrix, runCase, caseName, type RegressCase, type CaseResult } from '../verify/swiftkv/lane.regress.ts';
import { accuracyTable } from '../verify/swiftkv/accuracy.ts';
import { mhaCases, mhaCaseName, runMhaCase } from '../verify/swiftkv/mha.regress.ts';
import { GEN_PARAMS, checkParam, cliStyle } from '../generators/swiftkv/params.ts';
import { UsageError, choiceFlag, decimalFlag, issueMessages, parseCommandLine, plainInteger, runCli, shown } from './cli.ts';

const TOOL = 'sim';

const OPTIONS = {
  d: 'string',
  pe: 'string',
  rescale: 'string',
  sim: 'string',
  L: 'string',
  seed: 'string',
  valid: 'string',
  ready: 'string',
  'random-reset': 'string',
  'no-accuracy': 'boolean',
  'accuracy-only': 'boolean',
  help: 'boolean',
} as const;

const HELP = `usage: node --import tsx scripts/sim.ts [options]      (make sim: no options)

  (no options)            the full lane matrix, the MHA cases and the accuracy table
  --no-accuracy           the matrix and the MHA cases only
  --accuracy-only         the accuracy table only
  --d D --pe P            one lane case: head dimension, PEs (a divisor of D; default D)
  --rescale R             multiply or shift (default multiply)
  --sim S                 verilator or icarus (default verilator)
  --L 1,17,128            context lengths, run back to back (default 1,2,3,17)
  --seed N                seed of data and backpressure (default 20261129)
  --valid N --ready N     percent of cycles sources offer / the sink takes, 1..100 (default 100)
  --random-reset N        Verilator: random register initialisation with this seed

exit codes: 0 all passed; 1 a case failed; 2 a problem with the arguments.`;

const percent = (flag: string) =>
  decimalFlag(flag, 'integers 1..100').refine((n) => n >= 1 && n <= 100, { error: (i) => `--${flag} ${String(i.input)} is out of range: accepted integers 1..100` });
const seedFlag = (flag: string) =>
  decimalFlag(flag, 'integers 0..4294967295').refine((n) => n >= 0 && n <= 0xffffffff, { error: (i) => `--${flag} ${String(i.input)} is out of range: accepted integers 0..4294967295` });

const Args = z.object({
  d: decimalFlag('d', `integers ${GEN_PARAMS.headDim.min}..${GEN_PARAMS.headDim.max}`).optional(),
  pe: decimalFlag('pe', `integers ${GEN_PARAMS.pe.min}..${GEN_PARAMS.pe.max}`).optional(),
  rescale: choiceFlag('rescale', ['multiply', 'shift']).default('multiply'),
  sim: choiceFlag('sim', ['verilator', 'icarus']).default('verilator'),
  L: z.string().optional(),
  seed: seedFlag('seed').default(20261129),
  valid: percent('valid').default(100),
  ready: percent('ready').default(100),
  'random-reset': seedFlag('random-reset').optional(),
  'no-accuracy': z.boolean().optional(),
  'accuracy-only': z.boolean().optional(),
});

function parse(): { cases: RegressCase[]; accuracy: boolean; mha: boolean } | undefined {
  const raw = parseCommandLine(TOOL, process.argv.slice(2), OPTIONS, 'node --import tsx scripts/sim.ts');
  if (raw.help) return undefined;
  const { help: _help, ...flags } = raw;
  const parsed = Args.safeParse(flags);
  if (!parsed.success) throw new UsageError(issueMessages(parsed.error).join('\n'));
  const a = parsed.data;
  if (a['accuracy-only']) return { cases: [], accuracy: true, mha: false };
  if (a.d === undefined) {
    if (a.pe !== undefined || a.L !== undefined) throw new UsageError('--pe and --L need --d (one lane case)');
    return { cases: fullMatrix(a.seed), accuracy: !a['no-accuracy'], mha: true };
  }
  const pe = a.pe ?? a.d;
  const problems = [checkParam('headDim', a.d, { ...cliStyle, show: (_k, v) => `--d ${String(v)}` }), checkParam('pe', pe, cliStyle)].filter((p): p is string => p !== undefined);
  if (problems.length === 0 && a.d % pe !== 0) problems.push(`--pe ${pe} does not divide --d ${a.d}: accepted divisors of d`);
  const maxL = GEN_PARAMS.maxContext.default;
  const Ls = (a.L ?? '1,2,3,17').split(',').map((t) => {
    const n = plainInteger(t);
    if (n === undefined || n < 1 || n > maxL) problems.push(`--L ${shown(a.L ?? '')}: ${shown(t)} is not an integer in 1..${maxL}: accepted a comma-separated list of context lengths`);
    return n ?? 0;
  });
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const c: RegressCase = {
    d: a.d,
    P: pe,
    rescale: a.rescale,
    simulator: a.sim,
    Ls,
    seed: a.seed,
    vprob: a.valid,
    rprob: a.ready,
    ...(a['random-reset'] !== undefined ? { randomResetSeed: a['random-reset'] } : {}),
  };
  return { cases: [c], accuracy: false, mha: false };
}

async function main(): Promise<void> {
  const plan = parse();
  if (!plan) {
    console.log(HELP);
    return;
  }
  const { cases, accuracy, mha } = plan;
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

runCli(TOOL, main);
