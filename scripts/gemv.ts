/**
 * `npm run gemv`: one GEMV layer, y = W x with per-group int16 scales, through the Alveo kernel
 * (AXI4 masters, s_axi_control) with the AXI4 memory model: the path the card takes.
 *
 *   npm run gemv -- --w w.npy --x x.npy --scales s.npy --out y.npy [--int4] [--heads 2] [--pe 4]
 *                   [--group 32] [--data-bits 512] [--sim verilator|icarus]
 *
 * w: [M, N] integers (INT8: -128..127; --int4: -8..7), x: [N] integers -128..127, scales:
 * [M, N / G] integers -32768..32767; any integer or float .npy dtype holding whole numbers.
 * y = sum over groups g of scales[r][g] * sum over the group's columns of W[r][j] x[j], exact
 * (docs/mha.md). Writes y [M] as int64 (.npy '<i8'), checks it against that exact sum (exit 1 if
 * it differs) and prints the job's cycles against the bare array's `gemvCycles`. Exit codes: 0
 * done; 2 a problem with the input (nothing written); 1 an internal failure.
 */
import { renameSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readNpy, writeNpy, type NpyArray } from '../testbenches/npy.ts';
import { gemvReference } from '../generators/kernel/layout.ts';
import { gemvOnKernel } from '../verify/kernel/gemv.ts';
import { makeTempDir, removeTempDir } from '../sim/tempdir.ts';
import { UsageError, requiredFlag, checkInputFile, checkOutputFile, choiceFlag, decimalFlag, parseCommandLine, validateFlags, runCli, userPath } from './cli.ts';

const TOOL = 'gemv';

const OPTIONS = {
  w: 'string',
  x: 'string',
  scales: 'string',
  out: 'string',
  int4: 'boolean',
  heads: 'string',
  pe: 'string',
  group: 'string',
  'data-bits': 'string',
  sim: 'string',
  help: 'boolean',
} as const;

const Args = z.object({
  w: requiredFlag('w', '<file.npy>'),
  x: requiredFlag('x', '<file.npy>'),
  scales: requiredFlag('scales', '<file.npy>'),
  out: requiredFlag('out', '<file.npy>'),
  int4: z.boolean().default(false),
  heads: decimalFlag('heads', 'integers 1..8').default(2),
  pe: decimalFlag('pe', 'integers 1, 2, 4, 8, 16').default(4),
  group: decimalFlag('group', 'integers 8, 16, 32, 64, 128').default(32),
  'data-bits': choiceFlag('data-bits', ['256', '512']).default('512'),
  sim: choiceFlag('sim', ['verilator', 'icarus']).default('verilator'),
});

const HELP = `usage: npm run gemv -- --w w.npy --x x.npy --scales s.npy --out y.npy [options]

  --w                  weights [M, N]: INT8 -128..127 (or -8..7 with --int4), M 1..65535
  --x                  activations [N]: -128..127; N a multiple of the group
  --scales             per-row, per-group scales [M, N / group]: -32768..32767
  --out                y [M] as int64 (.npy '<i8'); its folder must exist
  --int4               INT4 weights (two columns per weight beat)
  --heads H            lanes of the array; integers 1..8 (default 2)
  --pe P               processing elements per lane (GEMV tiles per lane: 8P + 6); 1, 2, 4, 8 or 16 (default 4)
  --group G            columns per scale group; 8, 16, 32, 64 or 128 (default 32)
  --data-bits W        AXI data width of the kernel's masters: 256 or 512 (default 512)
  --sim S              verilator or icarus (default verilator)

Runs through the Alveo kernel and the AXI4 memory model (docs/kernel.md). Relative paths are
taken from the folder you run from. Exit codes: 0 done; 2 a problem with the input (nothing
written); 1 an internal failure.`;

function load(flag: string, file: string, dims: number, what: string): NpyArray {
  let a: NpyArray;
  try {
    a = readNpy(file);
  } catch (e) {
    throw new UsageError(`--${flag} ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (a.shape.length !== dims) throw new UsageError(`--${flag} ${file}: shape (${a.shape.join(', ')}) has ${a.shape.length} dimension(s); accepted ${what}`);
  return a;
}

/** The array's values as integers in [lo, hi], or a message naming the first that is not. */
function integers(flag: string, a: NpyArray, lo: number, hi: number, index: (i: number) => string): number[] {
  const out: number[] = new Array(a.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const v = a.data[i]!;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new UsageError(`--${flag}${index(i)} = ${v}: accepted integers ${lo}..${hi}`);
    out[i] = v;
  }
  return out;
}

async function main(): Promise<void> {
  const raw = parseCommandLine(TOOL, process.argv.slice(2), OPTIONS);
  if (raw.help) {
    console.log(HELP);
    return;
  }
  const a = validateFlags(raw, Args);
  const problems: string[] = [];
  if (a.heads < 1 || a.heads > 8) problems.push(`--heads ${a.heads} is out of range: accepted integers 1..8`);
  if (![1, 2, 4, 8, 16].includes(a.pe)) problems.push(`--pe ${a.pe} is not supported: accepted 1, 2, 4, 8 or 16`);
  if (![8, 16, 32, 64, 128].includes(a.group)) problems.push(`--group ${a.group} is not supported: accepted 8, 16, 32, 64 or 128`);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));

  const files = { w: userPath('w', a.w), x: userPath('x', a.x), scales: userPath('scales', a.scales), out: userPath('out', a.out) };
  for (const f of ['w', 'x', 'scales'] as const) await checkInputFile(f, files[f]);
  await checkOutputFile('out', files.out);

  const w = load('w', files.w, 2, '[M, N]');
  const x = load('x', files.x, 1, '[N]');
  const s = load('scales', files.scales, 2, '[M, N / group]');
  const [M, N] = w.shape as [number, number];
  const G = a.group;
  if (M < 1 || M > 65535) throw new UsageError(`--w ${files.w}: M = ${M} rows (shape (${w.shape.join(', ')})): accepted 1..65535`);
  if (N < G || N % G !== 0 || N > 65535) throw new UsageError(`--w ${files.w}: N = ${N} columns (shape (${w.shape.join(', ')})): accepted multiples of the group (${G}) up to 65535`);
  if (x.shape[0] !== N) throw new UsageError(`--x ${files.x}: shape (${x.shape.join(', ')}) does not match w's N = ${N}: accepted [${N}]`);
  if (s.shape[0] !== M || s.shape[1] !== N / G) throw new UsageError(`--scales ${files.scales}: shape (${s.shape.join(', ')}): accepted [${M}, ${N / G}] (M, N / group)`);
  const lim = a.int4 ? 8 : 128;
  const wv = integers('w', w, -lim, lim - 1, (i) => `[${Math.floor(i / N)}, ${i % N}]`);
  const xv = integers('x', x, -128, 127, (i) => `[${i}]`);
  const sv = integers('scales', s, -32768, 32767, (i) => `[${Math.floor(i / (N / G))}, ${i % (N / G)}]`);
  const data = {
    M, N, int4: a.int4,
    W: Array.from({ length: M }, (_, r) => wv.slice(r * N, (r + 1) * N)),
    x: xv,
    scale: Array.from({ length: M }, (_, r) => sv.slice((r * N) / G, ((r + 1) * N) / G)),
  };

  const t0 = performance.now();
  const res = await gemvOnKernel({ heads: a.heads, pe: a.pe, dataBits: Number(a['data-bits']) as 256 | 512, group: G }, data, a.sim);
  const ms = performance.now() - t0;
  const expected = gemvReference(data.W, data.x, data.scale, G);
  const wrong = res.y.findIndex((v, r) => v !== expected[r]);
  console.log(`${res.name} (${res.lanes} lane(s) of ${res.tiles} DSP tiles) on ${a.sim}: GEMV M = ${M}, N = ${N}, ${a.int4 ? 'INT4' : 'INT8'}, group ${G}, ${(ms / 1000).toFixed(1)} s`);
  console.log(`cycles from the ap_start write to the interrupt: ${res.cycles}; the bare array (gemvCycles): ${res.arrayCycles}; ${(res.cycles / res.arrayCycles).toFixed(4)}x`);
  console.log(`y bit-exact with the exact sum: ${wrong < 0 ? 'yes' : `NO (first at row ${wrong}: ${res.y[wrong]}, expected ${expected[wrong]})`}`);
  if (wrong >= 0) throw new Error('the kernel\'s y differs from the exact GEMV: a bug, please report it');
  if (res.y.some((v) => v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))) throw new Error('internal: a y value beyond 2^53');
  // Atomic: the output file appears complete or not at all.
  const tmp = makeTempDir(`.${path.basename(files.out)}.`, path.dirname(files.out));
  try {
    writeNpy(path.join(tmp, 'y.npy'), res.y.map(Number), [M], '<i8');
    renameSync(path.join(tmp, 'y.npy'), files.out);
  } finally {
    await removeTempDir(tmp);
  }
  console.log(`wrote ${files.out} [${M}] int64`);
}

runCli(TOOL, main);
