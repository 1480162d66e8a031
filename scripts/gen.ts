/**
 * `npm run gen -- --heads 8 --pe 16`: emit a SwiftKV-MHA accelerator into <out>/<name>/:
 * Verilog (one file per module), a file list, manifest.json, typed ports.ts, an XDC clock
 * constraint template and the report (configuration, formats, Yosys resources per module, logic
 * depth, cycle model).
 *
 * Before any work: every parameter is validated against generators/swiftkv/params.ts (one
 * message per problem), the output folder is checked (created if missing, refused if it is a
 * file or not writable), and <out>/<name> must be absent or a design a previous run wrote (its
 * manifest.json lists everything in it); a user's folder or file there is refused, never
 * replaced. The new design is swapped in only when complete (hdl/artifacts.ts writeDesign).
 * Relative paths are taken from the caller's folder (INIT_CWD under npm). Exit codes: 0 done,
 * 2 a problem with the input (nothing written), 1 an internal failure.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { emitDesign, Module } from '../hdl/index.ts';
import { isLegalIdentifier } from '../hdl/names.ts';
import { writeDesign, sweepTemporaries, replaceProblem, DesignFolderError, type TempDirs } from '../hdl/artifacts.ts';
import { buildMha } from '../generators/swiftkv/mha.ts';
import { describeFormats } from '../generators/swiftkv/numerics.ts';
import { overfitProblem, U55C } from '../flow/figures.ts';
import { GEN_DEFAULTS, GEN_PARAMS, PARAM_KEYS, acceptedText, checkGenValues, cliStyle, laneInputOf, paramHelp, type GenValues, type ParamKey } from '../generators/swiftkv/params.ts';
import { designReport, xdcTemplate } from '../flow/report.ts';
import { makeTempDir, removeTempDir } from '../sim/tempdir.ts';
import { UsageError, checkOutputFolder, decimalFlag, issueMessages, parseCommandLine, runCli, shown, userPath, type OptionKinds } from './cli.ts';

const TOOL = 'gen';

const OPTIONS = {
  ...Object.fromEntries(PARAM_KEYS.map((k) => [GEN_PARAMS[k].flag, 'string' as const])),
  name: 'string',
  top: 'string',
  out: 'string',
  'no-synth': 'boolean',
  'allow-overfit': 'boolean',
  help: 'boolean',
} satisfies OptionKinds;

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Each parameter flag's text: integers must be plain decimal text (ranges: params.ts). */
const flagText: Record<ParamKey, z.ZodType<unknown, string>> = Object.fromEntries(
  PARAM_KEYS.map((k) => {
    const spec = GEN_PARAMS[k];
    const numeric = spec.kind === 'int' || typeof spec.default === 'number';
    return [k, numeric ? decimalFlag(spec.flag, acceptedText(spec)) : z.string()];
  }),
) as Record<ParamKey, z.ZodType<unknown, string>>;

export interface GenOptions {
  values: GenValues;
  /** Top module name (default defaultTopName). */
  top: string;
  /** Design folder name (default: the top module's name). */
  name: string;
  /** Output root as typed (resolved against the caller's folder later). */
  out: string;
  synth: boolean;
  /** Write a design that does not fit an Alveo U55C instead of refusing it. */
  allowOverfit: boolean;
}

/**
 * The default top module name: swiftkv_mha_h<H>_p<P>_d<d> when every other parameter has its
 * default, else that with a short hash of the parameters that differ, so two configurations
 * never share a top name (every other module is named by its content: hdl Module.hashName).
 */
export function defaultTopName(v: GenValues): string {
  const base = `swiftkv_mha_h${v.heads}_p${v.pe}_d${v.headDim}`;
  const differing = PARAM_KEYS.filter((k) => k !== 'heads' && k !== 'pe' && k !== 'headDim' && v[k] !== GEN_DEFAULTS[k]);
  if (differing.length === 0) return base;
  const hash = createHash('sha256').update(JSON.stringify(differing.map((k) => [k, v[k]]))).digest('hex').slice(0, 8);
  return `${base}_${hash}`;
}

/** Names of the modules below the top (content-named ones under their base name). */
function moduleNames(top: Module): Set<string> {
  const names = new Set<string>();
  const visit = (m: Module): void => {
    for (const i of m.instances) {
      if (names.has(i.target.name)) continue;
      names.add(i.target.name);
      if (i.target instanceof Module) visit(i.target);
    }
  };
  visit(top);
  return names;
}

/** Validate command-line values (flag name -> text): the options, or one message per problem. */
export function validateGen(raw: Record<string, string | boolean | undefined>): { options?: GenOptions; problems: string[] } {
  const problems: string[] = [];
  const given: Partial<Record<ParamKey, unknown>> = {};
  const unparsed = new Set<ParamKey>();
  for (const k of PARAM_KEYS) {
    const text = raw[GEN_PARAMS[k].flag];
    if (typeof text !== 'string') continue;
    const r = flagText[k].safeParse(text);
    if (r.success) {
      given[k] = r.data;
    } else {
      problems.push(...issueMessages(r.error));
      unparsed.add(k);
    }
  }
  const checked = checkGenValues(given, cliStyle, unparsed);
  problems.push(...checked.problems);
  const name = raw.name;
  if (typeof name === 'string' && !NAME_RE.test(name)) problems.push(`--name ${shown(name)} is not a plain folder name: accepted letters, digits, _ . - (not starting with . or -)`);
  const top = raw.top;
  if (typeof top === 'string' && !isLegalIdentifier(top)) problems.push(`--top ${shown(top)} is not a Verilog module name: accepted a letter or _ followed by letters, digits, _ or $, not a keyword`);
  const out = typeof raw.out === 'string' ? raw.out : 'out';
  if (out.trim() === '') problems.push(`--out ${shown(out)} is empty: accepted a folder path`);
  if (problems.length > 0) return { problems };
  const topName = typeof top === 'string' ? top : defaultTopName(checked.values);
  return { options: { values: checked.values, top: topName, name: typeof name === 'string' ? name : topName, out, synth: raw['no-synth'] !== true, allowOverfit: raw['allow-overfit'] === true }, problems };
}

export function helpText(): string {
  return [
    'usage: npm run gen -- [options]',
    '',
    'parameters (accepted values, default):',
    ...paramHelp(),
    '',
    'output:',
    `  --${'top'.padEnd(20)} top module name (default swiftkv_mha_h<heads>_p<pe>_d<head-dim>, plus _<hash> of the other`,
    `  ${''.padEnd(22)} parameters when any differs from its default)`,
    `  --${'name'.padEnd(20)} design folder name; letters, digits, _ . - (default: the top module name)`,
    `  --${'out'.padEnd(20)} output root folder, relative to the folder you run from; created if missing (default out)`,
    `  --${'no-synth'.padEnd(20)} skip the Yosys synthesis and timing estimate of the report`,
    `  --${'allow-overfit'.padEnd(20)} write a design larger than an Alveo U55C (${U55C.dsp} DSP, ${U55C.lut} LUT, ${U55C.ff} FF, ${U55C.bram36} BRAM36, ${U55C.uram} URAM) instead of refusing it`,
    `  --${'help'.padEnd(20)} this text`,
    '',
    '<out>/<name> is replaced only if a previous npm run gen wrote it (its manifest.json lists',
    'every file in it); a folder or file of yours there is refused. The new design is swapped in',
    'only when complete, so readers always find a whole design.',
    'exit codes: 0 done; 2 a problem with the arguments or the output location (nothing written);',
    '1 an internal failure.',
    '',
    'example: npm run gen -- --heads 8 --pe 16   writes out/swiftkv_mha_h8_p16_d128/ (top swiftkv_mha_h8_p16_d128)',
  ].join('\n');
}

function refusal(problem: string): string {
  return `${problem}: refusing to replace it; choose another --name or --out, or move it away`;
}

/** Temporary folders of writeDesign, removed on SIGINT/SIGTERM too (sim/tempdir.ts). */
const tempDirs: TempDirs = { make: makeTempDir, remove: removeTempDir };

async function main(): Promise<void> {
  const raw = parseCommandLine(TOOL, process.argv.slice(2), OPTIONS);
  if (raw.help) {
    console.log(helpText());
    return;
  }
  const { options: opts, problems } = validateGen(raw);
  if (!opts) throw new UsageError(problems.join('\n'));
  const v = opts.values;
  const name = opts.name;
  // The output location, before any work.
  const outRoot = userPath('out', opts.out);
  await checkOutputFolder('out', outRoot);
  const target = path.join(outRoot, name);
  const notOurs = await replaceProblem(target);
  if (notOurs) throw new UsageError(refusal(notOurs));

  const t0 = performance.now();
  const lane = laneInputOf(v);
  let built: ReturnType<typeof buildMha>;
  try {
    built = buildMha({ lane, heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols }, name: opts.top });
  } catch (e) {
    // A limit only the built design knows (e.g. the GEMV bus width from the tile count).
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  const shape = { lane: built.lane, timing: built.timing, heads: v.heads, tilesPerLane: built.tiles, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } };
  const clash = `--top ${opts.top} is the name of one of the design's modules: accepted another name`;
  if (moduleNames(built.module).has(opts.top)) throw new UsageError(clash);
  let design: ReturnType<typeof emitDesign>;
  try {
    design = emitDesign(built.module);
  } catch (e) {
    // A content-named module (name_<hash>) can only be known once emitted.
    if (e instanceof Error && e.message.includes(`NAME CLASH`) && e.message.includes(`'${opts.top}'`)) throw new UsageError(clash);
    throw e;
  }
  const genMs = performance.now() - t0;
  await sweepTemporaries(outRoot);
  const reportParams: Record<string, unknown> = {
    ...Object.fromEntries(PARAM_KEYS.map((k) => [GEN_PARAMS[k].flag, v[k]])),
    top: opts.top,
    name,
    out: outRoot,
    synth: opts.synth,
  };
  try {
    const report = await designReport({
      design,
      params: reportParams,
      shape,
      formats: describeFormats(built.lane.formats),
      synth: opts.synth,
      generationMs: genMs,
      onProgress: (s) => console.log(s),
    });
    const over = report.fit ? overfitProblem(report.fit) : undefined;
    if (over && !opts.allowOverfit) throw new UsageError(`${over}; nothing written; lower --heads or --pe, or pass --allow-overfit`);
    if (over) console.warn(`gen: warning: ${over} (--allow-overfit)`);
    const { dir } = await writeDesign(design, outRoot, name, [
      { name: 'report.md', content: report.markdown },
      { name: 'report.json', content: report.json },
      { name: 'constraints.xdc', content: xdcTemplate(design.top, report.clock.periodNs, report.clock.source) },
    ], tempDirs);
    console.log(`generated top ${design.top} (${design.modules.length} modules, ${v.heads} lanes of ${built.tiles} DSP tiles; file list ${design.top}.f) in ${genMs.toFixed(0)} ms -> ${dir}/`);
  } catch (e) {
    if (e instanceof DesignFolderError) throw new UsageError(refusal(e.message));
    throw e;
  }
}

runCli(TOOL, main);
