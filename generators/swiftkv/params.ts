/**
 * Every generator parameter of SwiftKV-MHA in one table: its command-line flag, its name in the
 * generator API, default, accepted range, one line of documentation, and the checks between
 * parameters. The generators (`resolveLaneParams` in numerics.ts, `buildMha` in mha.ts) and the
 * command-line tools (`npm run gen`, `npm run attend`) all validate with this module, so the
 * help text can never promise a value the generator rejects.
 *
 * Where a bound is not a free choice it is derived, and the derivation is written beside it
 * (e.g. the widest bus must fit the DSL's largest signal, MAX_WIDTH bits).
 *
 * To add a parameter: add a row to GEN_PARAMS (and its field to GenValues), add any check it
 * takes part in to CROSS_CHECKS, and pass it on in `laneInput` / `genValuesOf`. The range-end
 * test (scripts/params.test.ts) then covers it.
 *
 * No import from numerics.ts or mha.ts at run time: they import this module.
 */
import { MAX_WIDTH } from '../../hdl/types.ts';
import type { Rescale } from './numerics.ts';

interface ParamBase {
  /** Command-line flag without the leading dashes. */
  readonly flag: string;
  /** Name in the generator API (LaneParamsInput / MhaParams), as its messages say it. */
  readonly api: string;
  /** One line for --help. */
  readonly doc: string;
}

export interface IntParam extends ParamBase {
  readonly kind: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

export interface ChoiceParam<V extends string | number = string | number> extends ParamBase {
  readonly kind: 'choice';
  readonly default: V;
  readonly choices: readonly V[];
}

export type ParamSpec = IntParam | ChoiceParam;

const int = (flag: string, api: string, dflt: number, min: number, max: number, doc: string): IntParam => ({ kind: 'int', flag, api, default: dflt, min, max, doc });

/** Widest data word of the MHA top: its PEs are 32 x 32 multipliers shared with GEMV. */
export const MHA_DATA_WIDTH = 32;
/** Bits per PE of the widest GEMV bus (s_tdata: 3 signed 16-bit scales per PE). */
const GEMV_SCALE_BITS_PER_PE = 48;
/** Bits per PE of the lane's widest fixed buses (kv_tdata {v, k}, the PE products): 2 x 32. */
const LANE_BITS_PER_PE = 2 * MHA_DATA_WIDTH;

export const GEN_PARAMS = {
  heads: int('heads', 'heads', 8, 1, 64, 'lanes H (heads processed in parallel)'),
  // MAX_WIDTH / LANE_BITS_PER_PE: kv_tdata carries 64 bits per PE.
  pe: int('pe', 'pe', 16, 1, MAX_WIDTH / LANE_BITS_PER_PE, 'processing elements P per lane (must divide head-dim)'),
  headDim: int('head-dim', 'headDim', 128, 1, 4096, 'head dimension d'),
  maxHeads: int('n-heads', 'maxHeads', 32, 1, 1024, 'largest number of model heads accepted at run time (cfg_heads)'),
  maxContext: int('max-context', 'maxContext', 16384, 1, 1 << 24, 'largest context length L (accumulators sized for it)'),
  // data-int + data-frac = 32 (checked below), so each is bounded by the other's bounds.
  dataInt: int('data-int', 'dataFormat.intBits', 15, 2, MHA_DATA_WIDTH - 1, 'integer bits of q, k, v, o (signed, incl. sign)'),
  dataFrac: int('data-frac', 'dataFormat.fracBits', 17, 1, MHA_DATA_WIDTH - 2, 'fraction bits of q, k, v, o'),
  expIndex: int('exp-index', 'exp2.indexBits', 5, 1, 10, 'exp2 table index bits (2^n + 1 entries)'),
  expInterp: int('exp-interp', 'exp2.interpBits', 12, 0, 24, 'exp2 interpolation bits (exp-index + exp-interp = data-frac)'),
  // At least 8 (the lane's exp2 precision floor) and at least data-frac (checked below).
  expFrac: int('exp-frac', 'exp2.tableFracBits', 30, 8, 60, 'exp2 table / output fraction bits, also those of the Y accumulator (>= data-frac)'),
  rescale: { kind: 'choice', flag: 'rescale', api: 'rescale', default: 'multiply', choices: ['multiply', 'shift'], doc: 'rescale option of the running state: multiply or shift' } as ChoiceParam<Rescale>,
  // Powers of two (checked below) up to the largest whose multiple fits cfg_cols (16 bits).
  gemvGroup: int('gemv-group', 'gemv.group', 32, 4, 32768, 'GEMV columns per scale group (a power of two)'),
  gemvMaxCols: int('gemv-max-cols', 'gemv.maxCols', 4096, 4, 65532, 'GEMV largest N (a multiple of the group; cfg_cols is 16 bits)'),
  gemvWeightBits: { kind: 'choice', flag: 'gemv-weight-bits', api: 'gemvWeightBits', default: 8, choices: [4, 8], doc: 'GEMV weight width the report assumes (INT8 and INT4 both work at run time)' } as ChoiceParam<4 | 8>,
} as const;

export type ParamKey = keyof typeof GEN_PARAMS;
export const PARAM_KEYS = Object.keys(GEN_PARAMS) as ParamKey[];

/** One value per parameter (the generator's view of a complete configuration). */
export interface GenValues {
  heads: number;
  pe: number;
  headDim: number;
  maxHeads: number;
  maxContext: number;
  dataInt: number;
  dataFrac: number;
  expIndex: number;
  expInterp: number;
  expFrac: number;
  rescale: Rescale;
  gemvGroup: number;
  gemvMaxCols: number;
  gemvWeightBits: 4 | 8;
}

export const GEN_DEFAULTS: GenValues = Object.fromEntries(PARAM_KEYS.map((k) => [k, GEN_PARAMS[k].default])) as unknown as GenValues;

/** How messages name parameters: the CLI says `--pe 5`, the generator API `pe = 5`. */
export interface Style {
  name(k: ParamKey): string;
  show(k: ParamKey, value: unknown): string;
}

const quoteIfText = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : String(v));

export const cliStyle: Style = {
  name: (k) => `--${GEN_PARAMS[k].flag}`,
  show: (k, v) => `--${GEN_PARAMS[k].flag} ${typeof v === 'number' ? String(v) : quoteIfText(v)}`,
};

export const apiStyle: Style = {
  name: (k) => GEN_PARAMS[k].api,
  show: (k, v) => `${GEN_PARAMS[k].api} = ${quoteIfText(v)}`,
};

/** Accepted values of a parameter, as help and messages state them. */
export function acceptedText(spec: ParamSpec, style: Style = cliStyle): string {
  if (spec.kind === 'int') return `integers ${spec.min}..${spec.max}`;
  return spec.choices.map((c) => (style === cliStyle ? String(c) : quoteIfText(c))).join(', ');
}

/** Range check of one value; the message names the parameter, the value and the accepted range. */
export function checkParam(k: ParamKey, value: unknown, style: Style, max?: number): string | undefined {
  const spec: ParamSpec = GEN_PARAMS[k];
  if (spec.kind === 'int') {
    const hi = max ?? spec.max;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > hi) {
      return `${style.show(k, value)} is out of range: accepted integers ${spec.min}..${hi}`;
    }
    return undefined;
  }
  if (!(spec.choices as readonly unknown[]).includes(value)) return `${style.show(k, value)} is not supported: accepted ${acceptedText(spec, style)}`;
  return undefined;
}

/** Bits of the Y accumulator, as numerics.ts derives them (a test keeps the two equal). */
export function yAccumulatorBits(v: Pick<GenValues, 'maxContext' | 'dataInt' | 'dataFrac' | 'expFrac'>): number {
  // |Y| <= maxContext * 2^(W-1) raw data units, with expFrac - dataFrac more fraction bits, signed.
  const clog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));
  return clog2(v.maxContext) + v.dataInt + v.dataFrac + v.expFrac - v.dataFrac;
}

export interface CrossCheck {
  readonly id: string;
  /** The parameters it relates; it runs only when each of them passed its range check. */
  readonly keys: readonly ParamKey[];
  /** For --help. */
  readonly doc: string;
  readonly check: (v: GenValues, s: Style) => string | undefined;
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

export const CROSS_CHECKS: readonly CrossCheck[] = [
  {
    id: 'pe-divides-head-dim',
    keys: ['pe', 'headDim'],
    doc: 'pe divides head-dim',
    check: (v, s) => (v.headDim % v.pe !== 0 ? `${s.show('pe', v.pe)} does not divide ${s.show('headDim', v.headDim)}: accepted divisors of the head dimension` : undefined),
  },
  {
    id: 'exp2-split',
    keys: ['expIndex', 'expInterp', 'dataFrac'],
    doc: 'exp-index + exp-interp = data-frac',
    check: (v, s) =>
      v.expIndex + v.expInterp !== v.dataFrac
        ? `${s.show('expIndex', v.expIndex)} + ${s.show('expInterp', v.expInterp)} must equal ${s.show('dataFrac', v.dataFrac)} (the exp2 unit splits the score's fraction bits)`
        : undefined,
  },
  {
    id: 'data-width',
    keys: ['dataInt', 'dataFrac'],
    doc: `data-int + data-frac = ${MHA_DATA_WIDTH}`,
    check: (v, s) =>
      v.dataInt + v.dataFrac !== MHA_DATA_WIDTH
        ? `${s.show('dataInt', v.dataInt)} + ${s.show('dataFrac', v.dataFrac)} = ${v.dataInt + v.dataFrac} bits: the MHA top's PEs are 32x32 multipliers shared with GEMV; accepted formats of ${MHA_DATA_WIDTH} bits`
        : undefined,
  },
  {
    id: 'exp-frac-covers-data',
    keys: ['expFrac', 'dataFrac'],
    doc: 'exp-frac >= data-frac',
    check: (v, s) =>
      v.expFrac < v.dataFrac
        ? `${s.show('expFrac', v.expFrac)} is below ${s.show('dataFrac', v.dataFrac)}: the Y accumulator keeps ${s.name('expFrac')} fraction bits and must hold v exactly; accepted ${s.name('expFrac')} ${v.dataFrac}..${GEN_PARAMS.expFrac.max}`
        : undefined,
  },
  {
    id: 'gemv-group-power-of-two',
    keys: ['gemvGroup'],
    doc: 'gemv-group is a power of two',
    check: (v, s) => (!isPowerOfTwo(v.gemvGroup) ? `${s.show('gemvGroup', v.gemvGroup)} is not a power of two: accepted 4, 8, 16, ..., ${GEN_PARAMS.gemvGroup.max}` : undefined),
  },
  {
    id: 'gemv-cols-multiple',
    keys: ['gemvGroup', 'gemvMaxCols'],
    doc: 'gemv-max-cols is a multiple of gemv-group',
    check: (v, s) =>
      v.gemvMaxCols % v.gemvGroup !== 0
        ? `${s.show('gemvMaxCols', v.gemvMaxCols)} is not a multiple of ${s.show('gemvGroup', v.gemvGroup)}: accepted multiples of the group up to ${GEN_PARAMS.gemvMaxCols.max}`
        : undefined,
  },
  {
    id: 'gemv-scale-bus',
    keys: ['heads', 'pe'],
    doc: `heads x pe <= ${Math.floor(MAX_WIDTH / GEMV_SCALE_BITS_PER_PE)} (the GEMV scale bus, ${GEMV_SCALE_BITS_PER_PE} bits per PE, fits ${MAX_WIDTH} bits)`,
    check: (v, s) => {
      const limit = Math.floor(MAX_WIDTH / GEMV_SCALE_BITS_PER_PE);
      return v.heads * v.pe > limit
        ? `${s.show('heads', v.heads)} x ${s.show('pe', v.pe)} = ${v.heads * v.pe} PEs: the GEMV scale bus s_tdata carries ${GEMV_SCALE_BITS_PER_PE} bits per PE and a signal has at most ${MAX_WIDTH} bits; accepted heads x pe <= ${limit}`
        : undefined;
    },
  },
  {
    id: 'y-word',
    keys: ['pe', 'maxContext', 'dataInt', 'dataFrac', 'expFrac'],
    doc: `pe x (Y accumulator bits) <= ${MAX_WIDTH} (one Y word holds P accumulators)`,
    check: (v, s) => {
      const y = yAccumulatorBits(v);
      const limit = Math.floor(MAX_WIDTH / y);
      return v.pe > limit
        ? `${s.show('pe', v.pe)}: a Y word holds P accumulators of ${y} bits (from ${s.name('maxContext')}, the data format and ${s.name('expFrac')}), ${v.pe * y} bits, and a signal has at most ${MAX_WIDTH}; accepted ${s.name('pe')} <= ${limit} with these formats`
        : undefined;
    },
  },
];

/** Run one cross-check by id on a (possibly partial) configuration view. */
export function crossCheck(id: string, v: Partial<GenValues>, style: Style): string | undefined {
  const c = CROSS_CHECKS.find((x) => x.id === id);
  if (!c) throw new Error(`internal: no cross-check '${id}'`);
  return c.check({ ...GEN_DEFAULTS, ...v }, style);
}

/**
 * Validate a configuration: range checks of the given values (undefined: the default), then
 * every cross-check whose parameters all passed. Returns the values (defaults filled in) and
 * one message per problem.
 */
export function checkGenValues(
  given: Partial<Record<ParamKey, unknown>>,
  style: Style,
  /** Parameters already reported as unreadable: their cross-checks are skipped. */
  unreadable: ReadonlySet<ParamKey> = new Set(),
): { values: GenValues; problems: string[] } {
  const values = { ...GEN_DEFAULTS } as Record<ParamKey, unknown>;
  const problems: string[] = [];
  const bad = new Set<ParamKey>(unreadable);
  for (const k of PARAM_KEYS) {
    const v = given[k];
    if (v === undefined) continue;
    values[k] = v;
    const p = checkParam(k, v, style);
    if (p) {
      problems.push(p);
      bad.add(k);
    }
  }
  const v = values as unknown as GenValues;
  for (const c of CROSS_CHECKS) {
    if (c.keys.some((k) => bad.has(k))) continue;
    const p = c.check(v, style);
    if (p) problems.push(p);
  }
  return { values: v, problems };
}

/** The lane generator's parameters of a configuration. */
export function laneInputOf(v: GenValues): {
  headDim: number;
  pe: number;
  maxContext: number;
  rescale: Rescale;
  dataFormat: { intBits: number; fracBits: number; signed: true };
  scoreFormat: { intBits: number; fracBits: number; signed: true };
  exp2: { indexBits: number; interpBits: number; tableFracBits: number };
} {
  const data = { intBits: v.dataInt, fracBits: v.dataFrac, signed: true as const };
  return {
    headDim: v.headDim,
    pe: v.pe,
    maxContext: v.maxContext,
    rescale: v.rescale,
    dataFormat: data,
    scoreFormat: data,
    exp2: { indexBits: v.expIndex, interpBits: v.expInterp, tableFracBits: v.expFrac },
  };
}

/**
 * Configurations at the ends of the ranges (and at 2^n - 1, where a compare against the largest
 * value would be constant), small enough to lint in seconds: the range test and `make lint`
 * check their Verilog.
 */
export const EDGE_CONFIGS: readonly Partial<GenValues>[] = [
  { headDim: 16, pe: 4, heads: 2, maxContext: 1 },
  { headDim: 16, pe: 4, heads: 2, maxContext: 1023, maxHeads: 3 },
  { headDim: 16, pe: 4, heads: 1, maxContext: 1 << 24, expFrac: 60 },
  { headDim: 16, pe: 4, heads: 1, dataInt: 2, dataFrac: 30, expIndex: 6, expInterp: 24 },
  { headDim: 16, pe: 4, heads: 1, dataInt: 31, dataFrac: 1, expIndex: 1, expInterp: 0, expFrac: 8 },
  { headDim: 1, pe: 1, heads: 1, maxHeads: 1, gemvGroup: 4, gemvMaxCols: 4 },
];

/** Help lines: every parameter with its default and accepted values, then the cross-checks. */
export function paramHelp(pad = 20): string[] {
  const lines = PARAM_KEYS.map((k) => {
    const s: ParamSpec = GEN_PARAMS[k];
    return `  --${s.flag.padEnd(pad)} ${s.doc}; ${acceptedText(s)} (default ${String(s.default)})`;
  });
  lines.push('', 'between parameters:', ...CROSS_CHECKS.map((c) => `  ${c.doc}`));
  return lines;
}
