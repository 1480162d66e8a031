/**
 * `make sim`: the lane regression (Verilator matrix, Icarus subset, three data formats, random
 * register initialisation), the MHA top cases (attention and GEMV jobs interleaved, bad jobs,
 * backpressure) and the accuracy table against the float64 reference. Prints progress as it
 * goes and a summary table at the end; exits non-zero on any failure.
 *
 *   node --import tsx scripts/sim.ts                 full matrix + MHA cases + accuracy
 *   node --import tsx scripts/sim.ts --d 64 --pe 4 --rescale shift --format Q16.16 --sim verilator --jobs 1x2,17x3 --seed 5 [--valid 60 --ready 45 --random-reset 7]
 *   node --import tsx scripts/sim.ts --no-accuracy   matrix and MHA cases only
 *   node --import tsx scripts/sim.ts --help
 */
import { z } from 'zod';
import { fullMatrix, runCase, caseName, DATA_FORMAT_NAMES, type RegressCase, type CaseResult, type JobShape } from '../verify/swiftkv/lane.regress.ts';
import { accuracyTable } from '../verify/swiftkv/accuracy.ts';
import { mhaCases, mhaCaseName, runMhaCase } from '../verify/swiftkv/mha.regress.ts';
import { GEN_PARAMS, checkParam, cliStyle } from '../generators/swiftkv/params.ts';
import { UsageError, choiceFlag, decimalFlag, parseCommandLine, validateFlags, plainInteger, runCli, shown } from './cli.ts';

const TOOL = 'sim';

const OPTIONS = {
  d: 'string',
  pe: 'string',
  rescale: 'string',
  format: 'string',
  'max-context': 'string',
  sim: 'string',
  jobs: 'string',
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
  --format F              ${DATA_FORMAT_NAMES.join(', ')} (default Q15.17)
  --max-context N         the lane's maxContext, ${GEN_PARAMS.maxContext.min}..${GEN_PARAMS.maxContext.max} (default ${GEN_PARAMS.maxContext.default})
  --sim S                 verilator or icarus (default verilator)
  --jobs LxH,...          jobs run back to back: context length x heads (default 1x1,2x3,17x2)
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
  format: choiceFlag('format', ['Q15.17', 'Q16.16', 'Q8.8']).default('Q15.17'),
  'max-context': decimalFlag('max-context', `integers ${GEN_PARAMS.maxContext.min}..${GEN_PARAMS.maxContext.max}`).optional(),
  sim: choiceFlag('sim', ['verilator', 'icarus']).default('verilator'),
  jobs: z.string().optional(),
  seed: seedFlag('seed').default(20261129),
  valid: percent('valid').default(100),
  ready: percent('ready').default(100),
  'random-reset': seedFlag('random-reset').optional(),
  'no-accuracy': z.boolean().optional(),
  'accuracy-only': z.boolean().optional(),
});

/** `--jobs 1x2,17x3`: context length x heads per job; problems are pushed, not thrown. */
function parseJobs(text: string, maxL: number, maxHeads: number, problems: string[]): JobShape[] {
  return text.split(',').map((t) => {
    const [l, h, ...rest] = t.split('x');
    const L = plainInteger(l ?? '');
    const heads = plainInteger(h ?? '');
    if (rest.length > 0 || L === undefined || heads === undefined || L < 1 || L > maxL || heads < 1 || heads > maxHeads) {
      problems.push(`--jobs ${shown(text)}: ${shown(t)} is not LxH with L in 1..${maxL} and H in 1..${maxHeads}: accepted a comma-separated list such as 1x1,17x3`);
    }
    return { L: L ?? 0, heads: heads ?? 0 };
  });
}

function parse(): { cases: RegressCase[]; accuracy: boolean; mha: boolean } | undefined {
  const raw = parseCommandLine(TOOL, process.argv.slice(2), OPTIONS, 'node --import tsx scripts/sim.ts');
  if (raw.help) return undefined;
  const a = validateFlags(raw, Args);
  if (a['accuracy-only']) return { cases: [], accuracy: true, mha: false };
  if (a.d === undefined) {
    if (a.pe !== undefined || a.jobs !== undefined || a['max-context'] !== undefined) throw new UsageError('--pe, --jobs and --max-context need --d (one lane case)');
    return { cases: fullMatrix(a.seed), accuracy: !a['no-accuracy'], mha: true };
  }
  const pe = a.pe ?? a.d;
  const maxContext = a['max-context'];
  const problems = [
    checkParam('headDim', a.d, { ...cliStyle, show: (_k, v) => `--d ${String(v)}` }),
    checkParam('pe', pe, cliStyle),
    maxContext !== undefined ? checkParam('maxContext', maxContext, cliStyle) : undefined,
  ].filter((p): p is string => p !== undefined);
  if (problems.length === 0 && a.d % pe !== 0) problems.push(`--pe ${pe} does not divide --d ${a.d}: accepted divisors of d`);
  const jobs = parseJobs(a.jobs ?? '1x1,2x3,17x2', maxContext ?? GEN_PARAMS.maxContext.default, GEN_PARAMS.maxHeads.max, problems);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  const c: RegressCase = {
    d: a.d,
    P: pe,
    rescale: a.rescale,
    format: a.format,
    ...(maxContext !== undefined ? { maxContext } : {}),
    simulator: a.sim,
    jobs,
    seed: a.seed,
    vprob: a.valid,
    rprob: a.ready,
    ...(a['random-reset'] !== undefined ? { randomResetSeed: a['random-reset'] } : {}),
  };
  return { cases: [c], accuracy: false, mha: false };
}

async function runLaneCases(cases: readonly RegressCase[]): Promise<number> {
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
        r = { name: caseName(c), ok: false, jobs: c.jobs.length, heads: 0, tokens: 0, cycles: [], expectedCycles: [], ms: 0, failure: `${caseName(c)}\n  ${e instanceof Error ? e.message : String(e)}` };
      }
      results[i] = r;
      const done = results.filter(Boolean).length;
      console.log(`[${done}/${cases.length}] ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}  (${(r.ms / 1000).toFixed(1)} s)`);
      if (r.failure) console.log(r.failure);
    }
  };
  await Promise.all([worker(), worker()]);
  console.log('\nSummary');
  console.log('| case | jobs | heads | tokens | cycles per job (measured) | cycles per job (laneCycles) | result |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.name} | ${r.jobs} | ${r.heads} | ${r.tokens} | ${r.cycles.join(' ')} | ${r.expectedCycles.join(' ')} | ${r.ok ? 'bit-exact' : 'FAIL'} |`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\nlane regression: ${results.length - failed} passed, ${failed} failed (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return failed;
}

async function runMha(): Promise<number> {
  console.log('\nMHA top (attention and GEMV jobs interleaved, bad jobs, random backpressure; Verilator, then Icarus for the make-test cases)');
  const all = mhaCases();
  let failed = 0;
  let n = 0;
  const total = all.length + all.filter((c) => c.params.lane.headDim <= 16).length;
  for (const simulator of ['verilator', 'icarus'] as const) {
    // Icarus takes the small designs only: the default design runs for minutes there.
    const cases = simulator === 'verilator' ? all : all.filter((c) => c.params.lane.headDim <= 16);
    for (const c of cases) {
      const t1 = performance.now();
      const r = await runMhaCase(c, simulator);
      n++;
      if (!r.ok) failed++;
      console.log(`[${n}/${total}] ${r.ok ? 'ok  ' : 'FAIL'} ${simulator} ${mhaCaseName(c)} (${((performance.now() - t1) / 1000).toFixed(1)} s): ${r.detail}`);
    }
  }
  console.log(`MHA top: ${n - failed} passed, ${failed} failed`);
  return failed;
}

async function main(): Promise<void> {
  const plan = parse();
  if (!plan) {
    console.log(HELP);
    return;
  }
  const { cases, accuracy, mha } = plan;
  let failed = 0;
  if (cases.length > 0) failed += await runLaneCases(cases);
  if (mha) failed += await runMha();
  if (accuracy) {
    console.log('\nAccuracy: max |o - o_ref| / max |o_ref| against the float64 reference (golden model = RTL, bit-exact), d = 128');
    for (const line of await accuracyTable({ d: 128, Ls: [128, 1024, 4096, 16384], seed: 7, onProgress: (s) => console.log(`  ${s}`) })) console.log(line);
  }
  if (failed > 0) process.exitCode = 1;
}

runCli(TOOL, main);
