/**
 * `npm run gen -- --heads 8 --pe 16`: emit a SwiftKV-MHA accelerator into out/<name>/:
 * Verilog (one file per module), a file list, manifest.json, typed ports.ts, an XDC clock
 * constraint template and report.md (configuration, formats, Yosys resources per module, logic
 * depth, cycle model). Every parameter is validated first; on any problem nothing is written.
 */
import { parseArgs } from 'node:util';
import * as path from 'node:path';
import { z } from 'zod';
import { emitDesign, Q, HdlError, HdlCheckError } from '../hdl/index.ts';
import { writeDesign, sweepTemporaries } from '../hdl/artifacts.ts';
import { buildMha, mhaName } from '../generators/swiftkv/mha.ts';
import { laneCycles } from '../generators/swiftkv/lane.ts';
import { describeFormats } from '../generators/swiftkv/numerics.ts';
import { designReport, xdcTemplate } from '../flow/report.ts';
import { projectRoot } from '../sim/cache.ts';

const int = (name: string, lo: number, hi: number, dflt: number) =>
  z.coerce
    .number({ error: `--${name} must be an integer in ${lo}..${hi}` })
    .int({ error: `--${name} must be an integer in ${lo}..${hi}` })
    .min(lo, { error: (i) => `--${name} ${String(i.input)} is out of range: accepted ${lo}..${hi}` })
    .max(hi, { error: (i) => `--${name} ${String(i.input)} is out of range: accepted ${lo}..${hi}` })
    .default(dflt);

const range = (lo: number, hi: number): string => `${lo}..${hi}`;

const BaseParams = z
  .object({
    heads: int('heads', 1, 64, 8).describe('lanes H (heads processed in parallel); ' + range(1, 64)),
    pe: int('pe', 1, 4096, 16).describe('processing elements P per lane (must divide head-dim); ' + range(1, 4096)),
    'head-dim': int('head-dim', 1, 4096, 128).describe('head dimension d; ' + range(1, 4096)),
    'n-heads': int('n-heads', 1, 1024, 32).describe('largest number of model heads accepted at run time; ' + range(1, 1024)),
    'max-context': int('max-context', 1, 1 << 24, 16384).describe('largest context length L (accumulators sized for it); ' + range(1, 1 << 24)),
    'data-int': int('data-int', 2, 32, 15).describe('integer bits of q, k, v, o (signed, incl. sign); ' + range(2, 32)),
    'data-frac': int('data-frac', 1, 32, 17).describe('fraction bits of q, k, v, o; ' + range(1, 32)),
    'exp-index': int('exp-index', 1, 10, 5).describe('exp2 table index bits (2^n + 1 entries); ' + range(1, 10)),
    'exp-interp': int('exp-interp', 0, 24, 12).describe('exp2 interpolation bits; ' + range(0, 24)),
    'exp-frac': int('exp-frac', 1, 60, 30).describe('exp2 table / output fraction bits; ' + range(1, 60)),
    rescale: z.enum(['multiply', 'shift'], { error: '--rescale: accepted multiply, shift' }).default('multiply').describe('rescale option: multiply or shift'),
    'gemv-group': int('gemv-group', 4, 65536, 32).describe('GEMV columns per scale group (a multiple of 4); ' + range(4, 65536)),
    'gemv-max-cols': int('gemv-max-cols', 4, 65535, 4096).describe('GEMV largest N (a multiple of the group); ' + range(4, 65535)),
    'gemv-weight-bits': z.coerce
      .number()
      .refine((v) => v === 4 || v === 8, { error: '--gemv-weight-bits: accepted 4, 8' })
      .default(8)
      .describe('GEMV weight width the report assumes (INT8 and INT4 both work at run time): 4 or 8'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, { error: '--name: accepted letters, digits, _ . - (a plain folder name)' })
      .optional()
      .describe('output folder name (default derived from the parameters)'),
    out: z.string().default('out').describe('output root folder'),
    synth: z.boolean().default(true),
  })

export type GenParamsT = z.infer<typeof BaseParams>;

/** Checks between parameters, on whatever values parsed (so every problem is reported at once). */
function crossChecks(raw: Record<string, unknown>): string[] {
  const num = (k: string, dflt: number): number => {
    const v = raw[k] === undefined ? dflt : Number(raw[k]);
    return Number.isInteger(v) ? v : NaN;
  };
  const out: string[] = [];
  const pe = num('pe', 16);
  const d = num('head-dim', 128);
  if (pe >= 1 && d >= 1 && (pe > d || d % pe !== 0)) out.push(`--pe ${pe} does not divide --head-dim ${d}: accepted divisors of the head dimension`);
  const [fi, ii, ff] = [num('exp-index', 5), num('exp-interp', 12), num('data-frac', 17)];
  if (!Number.isNaN(fi + ii + ff) && fi + ii !== ff) {
    out.push(`--exp-index ${fi} + --exp-interp ${ii} must equal --data-frac ${ff} (the exp2 unit splits the score's fraction bits)`);
  }
  const [di, df] = [num('data-int', 15), num('data-frac', 17)];
  if (di + df !== 32 && !Number.isNaN(di + df)) {
    out.push(`--data-int ${di} + --data-frac ${df} = ${di + df} bits: the MHA top's PEs are 32x32 multipliers shared with GEMV; accepted formats of 32 bits`);
  }
  const [g, mc] = [num('gemv-group', 32), num('gemv-max-cols', 4096)];
  if (g >= 4 && g % 4 !== 0) out.push(`--gemv-group ${g} is not a multiple of 4: accepted multiples of 4`);
  if (g >= 4 && mc >= 4 && mc % g !== 0) out.push(`--gemv-max-cols ${mc} is not a multiple of --gemv-group ${g}`);
  return out;
}

/** Validate command-line values: the parameters, or one message per problem. */
export function validateGen(raw: Record<string, unknown>): { params?: GenParamsT; problems: string[] } {
  const parsed = BaseParams.safeParse(raw);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => i.message)), ...crossChecks(raw)];
  return problems.length > 0 || !parsed.success ? { problems } : { params: parsed.data, problems };
}

export function helpText(): string {
  const lines = ['usage: npm run gen -- [options]', '', 'options (default, accepted range):'];
  for (const [key, schema] of Object.entries(BaseParams.shape)) {
    if (key === 'synth') {
      lines.push(`  --${'no-synth'.padEnd(18)} skip the Yosys synthesis of the resource report`);
      continue;
    }
    const s = schema as z.ZodType;
    const desc = s.description ?? '';
    const dflt = (() => {
      const r = (s as z.ZodType).safeParse(undefined);
      return r.success && r.data !== undefined ? ` (default ${String(r.data)})` : '';
    })();
    lines.push(`  --${key.padEnd(18)} ${desc}${dflt}`);
  }
  lines.push('', 'example: npm run gen -- --heads 8 --pe 16   writes out/swiftkv_mha_h8_pe16/');
  return lines.join('\n');
}

function laneParams(p: GenParamsT) {
  return {
    headDim: p['head-dim'],
    pe: p.pe,
    maxContext: p['max-context'],
    rescale: p.rescale,
    dataFormat: Q(p['data-int'], p['data-frac']),
    scoreFormat: Q(p['data-int'], p['data-frac']),
    exp2: { indexBits: p['exp-index'], interpBits: p['exp-interp'], tableFracBits: p['exp-frac'] },
  };
}

export function designName(p: GenParamsT): string {
  return p.name ?? `swiftkv_mha_h${p.heads}_pe${p.pe}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      heads: { type: 'string' }, pe: { type: 'string' }, 'head-dim': { type: 'string' }, 'n-heads': { type: 'string' },
      'max-context': { type: 'string' }, 'data-int': { type: 'string' }, 'data-frac': { type: 'string' },
      'exp-index': { type: 'string' }, 'exp-interp': { type: 'string' }, 'exp-frac': { type: 'string' },
      rescale: { type: 'string' }, 'gemv-weight-bits': { type: 'string' }, 'gemv-group': { type: 'string' }, 'gemv-max-cols': { type: 'string' }, name: { type: 'string' }, out: { type: 'string' },
      'no-synth': { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(helpText());
    return;
  }
  const { 'no-synth': noSynth, help: _help, ...rest } = values;
  const { params, problems } = validateGen({ ...rest, synth: !noSynth });
  if (!params) {
    for (const msg of problems) console.error(`gen: ${msg}`);
    process.exit(2);
  }
  const p = params;
  const t0 = performance.now();
  let built;
  try {
    built = buildMha({ lane: laneParams(p), heads: p.heads, maxHeads: p['n-heads'], gemv: { group: p['gemv-group'], maxCols: p['gemv-max-cols'] }, name: 'swiftkv_mha' });
  } catch (e) {
    if (e instanceof RangeError || e instanceof HdlError) {
      console.error(`gen: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const design = emitDesign(built.module);
  const genMs = performance.now() - t0;
  const name = designName(p);
  const outRoot = path.resolve(projectRoot(), p.out);
  await sweepTemporaries(outRoot);
  const c = built.lane;
  const report = await designReport({
    design,
    params: { ...p, name },
    lane: c,
    heads: p.heads,
    formats: describeFormats(c.formats),
    cycles: laneCycles(c, 1),
    synth: p.synth,
    gemvWeightBits: p['gemv-weight-bits'],
    gemv: { group: p['gemv-group'], maxCols: p['gemv-max-cols'] },
    generationMs: genMs,
    onProgress: (s) => console.log(s),
  });
  const { dir } = await writeDesign(design, outRoot, name, [
    { name: 'report.md', content: report },
    { name: 'constraints.xdc', content: xdcTemplate(design.top) },
  ]);
  console.log(`generated ${design.top} (${design.modules.length} modules, lanes ${mhaName({ lane: laneParams(p), heads: p.heads, maxHeads: p['n-heads'] })}) in ${genMs.toFixed(0)} ms -> ${path.relative(process.cwd(), dir)}/`);
}

main().catch((e: unknown) => {
  if (e instanceof HdlCheckError) {
    console.error(`gen: design checks failed:\n${e.message}`);
    process.exit(2);
  }
  console.error(`gen: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
