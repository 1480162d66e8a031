/**
 * Run one SwiftKV decode step per head on the emitted lane RTL: the heads go through one lane
 * back to back, up to 16 heads per lane job (the lane's cfg_heads).
 *
 *   npm run attend -- --q q.npy --k k.npy --v v.npy --out o.npy [--pe 16] [--sim verilator|icarus]
 *                     [--rescale multiply|shift] [--max-context 16384] [--on-saturation fail|warn]
 *                     [--kernel [--decode-pos P [--rope-base B] [--rope-pairing half|interleaved]]]
 *
 * --kernel runs the heads through the Alveo kernel (generators/kernel, one lane) with the AXI4
 * memory model and the XRT-style host (verify/kernel/attend.ts): the path the card takes.
 * --decode-pos P makes each job the kernel's decode step: q and the last token's k are the new
 * token's, before RoPE; the kernel rotates them at position P, appends that token after the
 * other L - 1 (taken as keys already rotated) and attends over all L.
 *
 * q: [heads, d], k and v: [heads, L, d], float32, float64 or signed integers, heads >= 1, L >= 1. Values are
 * rounded to Q15.17 (nearest, ties to even). Writes o [heads, d] (float64) and prints cycles,
 * per job against the exact cycle formula, the error against the float64 reference and the lane's saturation flags
 * (status_sat, generators/swiftkv/saturation.ts) per head. A saturation that can change the
 * output fails the run (exit 2, nothing written) unless --on-saturation warn, which writes the
 * hardware's output and warns. Relative paths are taken from the caller's folder (INIT_CWD
 * under npm). Exit codes: 0 done; 2 a problem with the input (nothing written); 1 an internal
 * failure (the RTL differs from the golden model, a simulator failed).
 */
import { renameSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readNpy, writeNpy, type NpyArray } from '../testbenches/npy.ts';
import { referenceAttention, errorReport } from '../verify/reference.ts';
import { laneCycles, buildLane } from '../generators/swiftkv/lane.ts';
import { attendOnKernel, KERNEL_DATA_BITS } from '../verify/kernel/attend.ts';
import { laneConfig } from '../generators/swiftkv/config.ts';
import { buildLaneRtl, runLaneRtl } from '../verify/swiftkv/lane-job.rtl.ts';
import { goldenAttention } from '../generators/swiftkv/golden.ts';
import { resolveRope, ropeRotate, ropeReference, type RopePairing } from '../generators/kernel/rope.ts';
import { GEN_PARAMS, checkParam, cliStyle } from '../generators/swiftkv/params.ts';
import { SAT_STAGES, classifySat, satStages, type SatStageName } from '../generators/swiftkv/saturation.ts';
import type { LaneFormats, Rescale } from '../generators/swiftkv/numerics.ts';
import { makeTempDir, removeTempDir } from '../sim/tempdir.ts';
import {
  UsageError,
  requiredFlag,
  checkInputFile,
  checkOutputFile,
  choiceFlag,
  decimalFlag,
  parseCommandLine,
  validateFlags,
  runCli,
  userPath,
} from './cli.ts';

const TOOL = 'attend';
/** Heads per lane job (cfg_heads of the simulated lane). */
const HEADS_PER_JOB = 16;

const OPTIONS = {
  q: 'string',
  k: 'string',
  v: 'string',
  out: 'string',
  pe: 'string',
  sim: 'string',
  rescale: 'string',
  'max-context': 'string',
  'on-saturation': 'string',
  kernel: 'boolean',
  'decode-pos': 'string',
  'rope-base': 'string',
  'rope-pairing': 'string',
  help: 'boolean',
} as const;

const Args = z.object({
  q: requiredFlag('q', '<file.npy>'),
  k: requiredFlag('k', '<file.npy>'),
  v: requiredFlag('v', '<file.npy>'),
  out: requiredFlag('out', '<file.npy>'),
  pe: decimalFlag('pe', `integers ${GEN_PARAMS.pe.min}..${GEN_PARAMS.pe.max}`).optional(),
  sim: choiceFlag('sim', ['verilator', 'icarus']).default('verilator'),
  rescale: choiceFlag('rescale', GEN_PARAMS.rescale.choices as readonly [Rescale, ...Rescale[]]).default(GEN_PARAMS.rescale.default),
  'max-context': decimalFlag('max-context', `integers ${GEN_PARAMS.maxContext.min}..${GEN_PARAMS.maxContext.max}`).default(GEN_PARAMS.maxContext.default),
  'on-saturation': choiceFlag('on-saturation', ['fail', 'warn']).default('fail'),
  kernel: z.boolean().default(false),
  'decode-pos': decimalFlag('decode-pos', 'integers 0..max-context - 1').optional(),
  'rope-base': decimalFlag('rope-base', 'integers 2..1000000000').default(10000),
  'rope-pairing': choiceFlag('rope-pairing', ['half', 'interleaved']).default('half'),
});

const HELP = `usage: npm run attend -- --q q.npy --k k.npy --v v.npy --out o.npy [options]

  --q, --k, --v        inputs: q [heads, d], k and v [heads, L, d] (.npy, float32, float64 or int8..int64)
  --out                output o [heads, d] (float64 .npy); its folder must exist
  --pe P               processing elements per lane, a divisor of d; integers ${GEN_PARAMS.pe.min}..${GEN_PARAMS.pe.max} (default min(16, d))
  --sim S              verilator or icarus (default verilator)
  --rescale R          multiply or shift (default multiply)
  --max-context N      largest L the lane is built for; integers ${GEN_PARAMS.maxContext.min}..${GEN_PARAMS.maxContext.max} (default ${GEN_PARAMS.maxContext.default})
  --on-saturation M    fail (default): a saturation that can change o stops the run, exit 2,
                       nothing written; warn: write the hardware's o and warn on stderr
  --kernel             through the Alveo kernel (AXI4 masters, s_axi_control) with the memory
                       model, a job per head; needs d >= 8
  --decode-pos P       with --kernel: the kernel's decode step at position P (0..max-context - 1):
                       q and the last token of k are before RoPE and rotated by the kernel, the
                       other L - 1 keys are taken as already rotated; o is attention over all L
  --rope-base B        RoPE base of --decode-pos; integers 2..1000000000 (default 10000)
  --rope-pairing P     half (LLaMA: x[i], x[i + d/2]) or interleaved (x[2i], x[2i+1]) (default half)

Saturation stages reported per head (status_sat bit, name):
${SAT_STAGES.map((s, i) => `  ${i} ${s.name}: ${s.narrowing}`).join('\n')}

Relative paths are taken from the folder you run from. Exit codes: 0 done; 2 a problem with
the input (nothing written); 1 an internal failure.`;

function load(flag: string, file: string, dims: number): NpyArray {
  let a: NpyArray;
  try {
    a = readNpy(file);
  } catch (e) {
    throw new UsageError(`--${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (a.shape.length !== dims) {
    throw new UsageError(`--${flag} ${file}: shape (${a.shape.join(', ')}) has ${a.shape.length} dimensions; accepted ${dims === 2 ? '[heads, d]' : '[heads, L, d]'}`);
  }
  return a;
}

const LIMIT = 2 ** 14; // Q15.17: [-2^14, 2^14 - 2^-17]

function toRaw(flag: string, a: NpyArray, index: (i: number) => string): bigint[] {
  const out: bigint[] = new Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    if (!Number.isFinite(x) || x < -LIMIT || x > LIMIT - 2 ** -17) {
      throw new UsageError(`--${flag}${index(i)} = ${x} is outside Q15.17: accepted ${-LIMIT} .. ${LIMIT - 2 ** -17}`);
    }
    const scaled = x * 2 ** 17;
    let r = Math.round(scaled);
    if (Math.abs(scaled % 1) === 0.5 && r % 2 !== 0) r -= 1;
    out[i] = BigInt(r);
  }
  return out;
}

function stagesText(names: readonly SatStageName[]): string {
  return names.length === 0 ? '-' : names.join(', ');
}

/** One line per saturated stage that can change o, naming the head and what it means. */
function saturationLines(heads: readonly { head: number; sat: number }[], f: LaneFormats): { harmful: string[]; harmless: string[] } {
  const harmful: string[] = [];
  const harmless: string[] = [];
  for (const { head, sat } of heads) {
    const c = classifySat(sat, f);
    for (const n of c.harmful) harmful.push(`head ${head}: ${n} saturated: ${SAT_STAGES.find((s) => s.name === n)!.effect}`);
    for (const n of c.harmless) harmless.push(`head ${head}: ${n} saturated (cannot change o here: ${SAT_STAGES.find((s) => s.name === n)!.effect})`);
  }
  return { harmful, harmless };
}

async function main(): Promise<void> {
  const raw = parseCommandLine(TOOL, process.argv.slice(2), OPTIONS);
  if (raw.help) {
    console.log(HELP);
    return;
  }
  const a = validateFlags(raw, Args);
  const problems = [
    a.pe === undefined ? undefined : checkParam('pe', a.pe, cliStyle),
    checkParam('maxContext', a['max-context'], cliStyle),
  ].filter((p): p is string => p !== undefined);
  if (a['decode-pos'] !== undefined && !a.kernel) problems.push('--decode-pos needs --kernel: the decode step (RoPE, the cache append) is the kernel\'s');
  if (a['decode-pos'] !== undefined && a['decode-pos'] >= a['max-context']) problems.push(`--decode-pos ${a['decode-pos']} is out of range: accepted integers 0..${a['max-context'] - 1} (below --max-context)`);
  if ((raw['rope-base'] !== undefined || raw['rope-pairing'] !== undefined) && a['decode-pos'] === undefined) problems.push('--rope-base and --rope-pairing apply to --decode-pos only');
  if (a['rope-base'] < 2 || a['rope-base'] > 1e9) problems.push(`--rope-base ${a['rope-base']} is out of range: accepted integers 2..1000000000`);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  // Files and the output location, before any work.
  const files = { q: userPath('q', a.q), k: userPath('k', a.k), v: userPath('v', a.v), out: userPath('out', a.out) };
  for (const f of ['q', 'k', 'v'] as const) await checkInputFile(f, files[f]);
  await checkOutputFile('out', files.out);

  const q = load('q', files.q, 2);
  const k = load('k', files.k, 3);
  const v = load('v', files.v, 3);
  const [H, d] = q.shape as [number, number];
  const [Hk, L, dk] = k.shape as [number, number, number];
  if (H < 1) throw new UsageError(`--q ${files.q}: shape (${q.shape.join(', ')}) has no heads: accepted [heads, d] with heads >= 1`);
  const dRange = GEN_PARAMS.headDim;
  if (d < dRange.min || d > dRange.max) throw new UsageError(`--q ${files.q}: head dimension d = ${d} (shape (${q.shape.join(', ')})) is out of range: accepted ${dRange.min}..${dRange.max}`);
  if (Hk !== H || dk !== d) throw new UsageError(`--k shape (${k.shape.join(', ')}) does not match q (${q.shape.join(', ')}): accepted [${H}, L, ${d}]`);
  if (v.shape.join() !== k.shape.join()) throw new UsageError(`--v shape (${v.shape.join(', ')}) differs from k (${k.shape.join(', ')}): accepted equal shapes`);
  if (L < 1 || L > a['max-context']) throw new UsageError(`context length L = ${L} is out of range: accepted 1..${a['max-context']} (--max-context)`);
  const pe = a.pe ?? Math.min(GEN_PARAMS.pe.default, d);
  if (d % pe !== 0) throw new UsageError(`--pe ${pe} does not divide the head dimension d = ${d} (the last dimension of q): accepted divisors of d`);
  if (a.kernel && d * 32 < KERNEL_DATA_BITS) throw new UsageError(`--kernel with head dimension d = ${d}: the kernel keeps a vector in whole ${KERNEL_DATA_BITS}-bit memory words; accepted d >= ${KERNEL_DATA_BITS / 32}`);
  const params = { headDim: d, pe, rescale: a.rescale, maxContext: a['max-context'] };
  const cfg = laneConfig(params);

  const qr = toRaw('q', q, (i) => `[${Math.floor(i / d)}, ${i % d}]`);
  const kr = toRaw('k', k, (i) => `[${Math.floor(i / (L * d))}, ${Math.floor(i / d) % L}, ${i % d}]`);
  const vr = toRaw('v', v, (i) => `[${Math.floor(i / (L * d))}, ${Math.floor(i / d) % L}, ${i % d}]`);
  const decode = a['decode-pos'] === undefined ? undefined : { pos: a['decode-pos'], base: a['rope-base'], pairing: a['rope-pairing'] as RopePairing };
  const rope = decode ? resolveRope({ headDim: d, maxPos: a['max-context'], base: decode.base, pairing: decode.pairing }) : undefined;
  const jobs = Array.from({ length: H }, (_, h) => ({
    q: qr.slice(h * d, (h + 1) * d),
    k: Array.from({ length: L }, (_, t) => kr.slice((h * L + t) * d, (h * L + t + 1) * d)),
    v: Array.from({ length: L }, (_, t) => vr.slice((h * L + t) * d, (h * L + t + 1) * d)),
  }));
  // Up to HEADS_PER_JOB heads per lane job, the jobs one after another without reset.
  const jobList = a.kernel ? jobs.map((j) => [j]) : Array.from({ length: Math.ceil(H / HEADS_PER_JOB) }, (_, j) => jobs.slice(j * HEADS_PER_JOB, (j + 1) * HEADS_PER_JOB));
  const t0 = performance.now();
  const build = { maxHeads: HEADS_PER_JOB };
  const kernelRes = a.kernel ? await attendOnKernel(params, jobs, a.sim, decode) : undefined;
  const res = kernelRes ?? await runLaneRtl(params, jobList, { simulator: a.sim, seed: 1, vprob: 100, rprob: 100 }, build);
  const { timing } = a.kernel ? buildLane(params, build) : await buildLaneRtl(params, a.sim, build);
  const ms = performance.now() - t0;
  const o = new Float64Array(H * d);
  const via = decode ? ` through the kernel's decode step at position ${decode.pos} (RoPE base ${decode.base}, ${decode.pairing} pairs; a job per head; cycles from the ap_start write to the interrupt)` : a.kernel ? ' through the kernel (a job per head; cycles from the ap_start write to the interrupt)' : '';
  console.log(`lane d=${d} P=${pe} rescale=${a.rescale} on ${a.sim}${via}: ${H} head(s), L=${L}, ${(ms / 1000).toFixed(1)} s`);
  console.log('| job | heads | cycles | formula (laneCycles) | cycles per token | multiplier bound (heads x L x B) |');
  console.log('|---|---|---|---|---|---|');
  res.forEach((r, j) => {
    if (r.error) throw new Error(`job ${j}: the lane raised status_error`);
    const n = jobList[j]!.length;
    console.log(`| ${j} | ${n} | ${r.cycles} | ${laneCycles(timing, L, n)} | ${(r.cycles / (n * L)).toFixed(2)} | ${n * L * cfg.B} |`);
  });
  console.log('');
  console.log('| head | max rel. error vs float64 | bit-exact with golden | saturated |');
  console.log('|---|---|---|---|');
  let worst = 0;
  let mismatch = false;
  const heads = res.flatMap((r) => r.heads);
  for (let h = 0; h < H; h++) {
    const r = heads[h]!;
    r.o.forEach((x, j) => (o[h * d + j] = Number(x) / 2 ** 17));
    // Decode: the reference and the golden model rotate q and the last key (float64 and fixed point).
    const qf = Array.from(q.data.subarray(h * d, (h + 1) * d));
    const kf = Array.from({ length: L }, (_, t) => Array.from(k.data.subarray((h * L + t) * d, (h * L + t + 1) * d)));
    const ref = referenceAttention(
      rope && decode ? ropeReference(rope, qf, decode.pos) : qf,
      rope && decode ? [...kf.slice(0, L - 1), ropeReference(rope, kf[L - 1]!, decode.pos)] : kf,
      Array.from({ length: L }, (_, t) => Array.from(v.data.subarray((h * L + t) * d, (h * L + t + 1) * d))),
    );
    const err = errorReport(Array.from(o.subarray(h * d, (h + 1) * d)), ref).relative;
    worst = Math.max(worst, err);
    const jq = rope && decode ? ropeRotate(rope, jobs[h]!.q, decode.pos).y : jobs[h]!.q;
    const jk = rope && decode ? [...jobs[h]!.k.slice(0, L - 1), ropeRotate(rope, jobs[h]!.k[L - 1]!, decode.pos).y] : jobs[h]!.k;
    const golden = goldenAttention(jq, jk, jobs[h]!.v, params);
    const exact = golden.o.every((g, j) => g === r.o[j]) && golden.sat === r.mask;
    console.log(`| ${h} | ${err.toExponential(3)} | ${exact ? 'yes' : 'NO'} | ${stagesText(satStages(r.mask))} |`);
    if (!exact) mismatch = true;
  }
  console.log(`max relative error over heads: ${worst.toExponential(3)}`);
  const sat = saturationLines(heads.map((r, head) => ({ head, sat: r.mask })), cfg.formats);
  kernelRes?.forEach((r, head) => {
    if (r.ropeSat) sat.harmful.push(`head ${head}: RoPE output saturated: q or the new k rotated beyond Q15.17 was clamped`);
  });
  for (const line of sat.harmless) console.log(`note: ${line}`);
  if (sat.harmful.length > 0 && a['on-saturation'] === 'fail') {
    throw new UsageError(
      [...sat.harmful, `the output differs from attention on these inputs; nothing written (--on-saturation warn writes the hardware's output anyway)`].join('\n'),
    );
  }
  for (const line of sat.harmful) console.error(`${TOOL}: warning: ${line}`);
  // Atomic: the output file appears complete or not at all; the temporary folder goes on SIGINT too.
  const tmp = makeTempDir(`.${path.basename(files.out)}.`, path.dirname(files.out));
  try {
    writeNpy(path.join(tmp, 'o.npy'), o, [H, d]);
    renameSync(path.join(tmp, 'o.npy'), files.out);
  } finally {
    await removeTempDir(tmp);
  }
  console.log(`wrote ${files.out} [${H}, ${d}] float64`);
  if (mismatch) throw new Error('the RTL differs from the golden model (see the table): a bug, please report it');
}

runCli(TOOL, main);
