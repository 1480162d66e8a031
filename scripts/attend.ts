/**
 * Run one SwiftKV decode step per head on the emitted lane RTL.
 *
 *   npm run attend -- --q q.npy --k k.npy --v v.npy --out o.npy [--pe 16] [--sim verilator|icarus]
 *                     [--rescale multiply|shift] [--max-context 16384]
 *
 * q: [heads, d], k and v: [heads, L, d], float32 or float64. Values are rounded to Q15.17
 * (nearest, ties to even). Writes o [heads, d] (float64) and prints cycles, cycles per token,
 * and the error against the float64 reference. Any problem: a message, exit code 2, no output.
 */
import { parseArgs } from 'node:util';
import { renameSync, existsSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readNpy, writeNpy, type NpyArray } from '../testbenches/npy.ts';
import { referenceAttention, errorReport } from '../verify/reference.ts';
import { laneConfig, laneCycles } from '../generators/swiftkv/lane.ts';
import { runLaneHdl } from '../verify/swiftkv/lane.rtl.ts';
import { goldenAttention } from '../generators/swiftkv/golden.ts';
import { DEFAULT_MAX_CONTEXT } from '../generators/swiftkv/numerics.ts';

class UsageError extends Error {}

const Args = z.object({
  q: z.string({ error: '--q <file.npy> is required' }),
  k: z.string({ error: '--k <file.npy> is required' }),
  v: z.string({ error: '--v <file.npy> is required' }),
  out: z.string({ error: '--out <file.npy> is required' }),
  pe: z.coerce.number().int().min(1).max(4096).optional(),
  sim: z.enum(['verilator', 'icarus']).default('verilator'),
  rescale: z.enum(['multiply', 'shift']).default('multiply'),
  'max-context': z.coerce.number().int().min(1).max(1 << 24).default(DEFAULT_MAX_CONTEXT),
});

function load(name: string, file: string, dims: number): NpyArray {
  if (!existsSync(file)) throw new UsageError(`--${name} ${file}: no such file`);
  let a: NpyArray;
  try {
    a = readNpy(file);
  } catch (e) {
    throw new UsageError(`--${name} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (a.shape.length !== dims) {
    throw new UsageError(`--${name} ${file}: shape (${a.shape.join(', ')}) has ${a.shape.length} dimensions; accepted ${dims === 2 ? '[heads, d]' : '[heads, L, d]'}`);
  }
  return a;
}

const LIMIT = 2 ** 14; // Q15.17: [-2^14, 2^14 - 2^-17]

function toRaw(name: string, a: NpyArray, index: (i: number) => string): bigint[] {
  const out: bigint[] = new Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    if (!Number.isFinite(x) || x < -LIMIT || x > LIMIT - 2 ** -17) {
      throw new UsageError(`--${name}${index(i)} = ${x} is outside Q15.17: accepted ${-LIMIT} .. ${LIMIT - 2 ** -17}`);
    }
    const scaled = x * 2 ** 17;
    let r = Math.round(scaled);
    if (Math.abs(scaled % 1) === 0.5 && r % 2 !== 0) r -= 1;
    out[i] = BigInt(r);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      q: { type: 'string' }, k: { type: 'string' }, v: { type: 'string' }, out: { type: 'string' },
      pe: { type: 'string' }, sim: { type: 'string' }, rescale: { type: 'string' }, 'max-context': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log('usage: npm run attend -- --q q.npy --k k.npy --v v.npy --out o.npy [--pe P] [--sim verilator|icarus] [--rescale multiply|shift] [--max-context N]');
    return;
  }
  const parsed = Args.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.length ? `--${i.path.join('.')}: ` : ''}${i.message}`).join('\n'));
  const a = parsed.data;
  const q = load('q', a.q, 2);
  const k = load('k', a.k, 3);
  const v = load('v', a.v, 3);
  const [H, d] = q.shape as [number, number];
  const [Hk, L, dk] = k.shape as [number, number, number];
  if (Hk !== H || dk !== d) throw new UsageError(`--k shape (${k.shape.join(', ')}) does not match q (${q.shape.join(', ')}): accepted [${H}, L, ${d}]`);
  if (v.shape.join() !== k.shape.join()) throw new UsageError(`--v shape (${v.shape.join(', ')}) differs from k (${k.shape.join(', ')}): accepted equal shapes`);
  if (L < 1 || L > a['max-context']) throw new UsageError(`context length L = ${L} is out of range: accepted 1..${a['max-context']} (--max-context)`);
  const pe = a.pe ?? Math.min(16, d);
  const params = { headDim: d, pe, rescale: a.rescale, maxContext: a['max-context'] };
  let cfg;
  try {
    cfg = laneConfig(params);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  const qr = toRaw('q', q, (i) => `[${Math.floor(i / d)}, ${i % d}]`);
  const kr = toRaw('k', k, (i) => `[${Math.floor(i / (L * d))}, ${Math.floor(i / d) % L}, ${i % d}]`);
  const vr = toRaw('v', v, (i) => `[${Math.floor(i / (L * d))}, ${Math.floor(i / d) % L}, ${i % d}]`);
  const jobs = Array.from({ length: H }, (_, h) => ({
    q: qr.slice(h * d, (h + 1) * d),
    k: Array.from({ length: L }, (_, t) => kr.slice((h * L + t) * d, (h * L + t + 1) * d)),
    v: Array.from({ length: L }, (_, t) => vr.slice((h * L + t) * d, (h * L + t + 1) * d)),
  }));
  const t0 = performance.now();
  const res = await runLaneHdl(params, jobs, { simulator: a.sim, seed: 1, vprob: 100, rprob: 100 });
  const ms = performance.now() - t0;
  const o = new Float64Array(H * d);
  console.log(`lane d=${d} P=${pe} rescale=${a.rescale} on ${a.sim}: ${H} head(s), L=${L}, ${(ms / 1000).toFixed(1)} s`);
  console.log('| head | cycles | cycles/token (all) | cycles/token (steady) | formula | max rel. error vs float64 | bit-exact with golden |');
  console.log('|---|---|---|---|---|---|---|');
  let worst = 0;
  for (let h = 0; h < H; h++) {
    const r = res[h]!;
    if (r.error) throw new Error(`head ${h}: the lane raised status_error`);
    r.o.forEach((x, j) => (o[h * d + j] = Number(x) / 2 ** 17));
    const ref = referenceAttention(
      Array.from(q.data.subarray(h * d, (h + 1) * d)),
      Array.from({ length: L }, (_, t) => Array.from(k.data.subarray((h * L + t) * d, (h * L + t + 1) * d))),
      Array.from({ length: L }, (_, t) => Array.from(v.data.subarray((h * L + t) * d, (h * L + t + 1) * d))),
    );
    const err = errorReport(Array.from(o.subarray(h * d, (h + 1) * d)), ref).relative;
    worst = Math.max(worst, err);
    const golden = goldenAttention(jobs[h]!.q, jobs[h]!.k, jobs[h]!.v, params).o;
    const exact = golden.every((g, j) => g === r.o[j]);
    const lc = laneCycles(cfg, L);
    console.log(`| ${h} | ${r.cycles} | ${(r.cycles / L).toFixed(2)} | ${((r.cycles - lc.fill - lc.drain) / L).toFixed(2)} | ${lc.total} | ${err.toExponential(3)} | ${exact ? 'yes' : 'NO'} |`);
    if (!exact) process.exitCode = 1;
  }
  console.log(`max relative error over heads: ${worst.toExponential(3)}`);
  // Atomic: the output file appears complete or not at all.
  const tmp = path.join(path.dirname(path.resolve(a.out)), `.${path.basename(a.out)}.tmp-${process.pid}`);
  try {
    writeNpy(tmp, o, [H, d]);
    renameSync(tmp, a.out);
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
  console.log(`wrote ${a.out} [${H}, ${d}] float64`);
}

main().catch((e: unknown) => {
  console.error(`attend: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
