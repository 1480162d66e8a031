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
 * Checks that need a built lane (the GEMV buses grow with the tile count) are made by buildMha,
 * whose RangeError the command line reports like these.
 */
import { MAX_WIDTH } from '../../hdl/types.ts';
import type { Rescale, LaneParamsInput } from './numerics.ts';
import type { QFormat } from '../../hdl/fixed.ts';
import { exp2Table } from './exp2.ts';

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

/** Widest data word: q . k products run on 27 x 18 DSP tiles sized for up to 32-bit data. */
export const MAX_DATA_WIDTH = 32;
/** Bits per PE of the lane's widest bus, kv_tdata {v, k}: 2 x 32. */
const LANE_BITS_PER_PE = 2 * MAX_DATA_WIDTH;

export const GEN_PARAMS = {
  heads: int('heads', 'heads', 8, 1, 64, 'lanes H (heads processed in parallel)'),
  // kv_tdata carries 64 bits per PE (MAX_WIDTH / 64 = 1024); a lane's tile bus gemv_c carries
  // 48 bits per DSP tile, about 8P + 8 tiles: P <= 128 keeps it within one signal.
  pe: int('pe', 'pe', 16, 1, Math.min(128, MAX_WIDTH / LANE_BITS_PER_PE), 'processing elements P per lane (must divide head-dim)'),
  headDim: int('head-dim', 'headDim', 128, 1, 4096, 'head dimension d'),
  maxHeads: int('n-heads', 'maxHeads', 32, 1, 1024, 'largest number of model heads accepted at run time (cfg_heads)'),
  maxContext: int('max-context', 'maxContext', 16384, 1, 1 << 24, 'largest context length L (accumulators sized for it)'),
  // data-int + data-frac <= 32 (checked below).
  dataInt: int('data-int', 'dataFormat.intBits', 15, 2, MAX_DATA_WIDTH - 1, 'integer bits of q, k, v, o (signed, incl. sign)'),
  // exp-index + exp-interp = data-frac, at most 10 + 17.
  dataFrac: int('data-frac', 'dataFormat.fracBits', 17, 1, 27, 'fraction bits of q, k, v, o (and of the score)'),
  expIndex: int('exp-index', 'exp2.indexBits', 5, 1, 10, 'exp2 table index bits (2^n + 1 entries)'),
  // The interpolation step is a 17-bit unsigned operand of the DSP's 18-bit port.
  expInterp: int('exp-interp', 'exp2.interpBits', 12, 0, 17, 'exp2 interpolation bits (exp-index + exp-interp = data-frac)'),
  // Table steps of about 2^(F - index) must fit 26 bits: F <= 35 at index 10.
  expFrac: int('exp-frac', 'exp2.tableFracBits', 30, 4, 35, 'exp2 table fraction bits (table steps must fit 26 bits)'),
  // alpha and beta are unsigned on the DSP's 18-bit port: UQ1.16 at most.
  expOutFrac: int('exp-out-frac', 'exp2.outFracBits', 16, 1, 16, 'fraction bits of the exp2 output alpha, beta (<= exp-frac)'),
  accFrac: int('acc-frac', 'accFracBits', 23, 1, 40, 'fraction bits of the Y and Z accumulators (>= data-frac, >= exp-out-frac)'),
  dotFrac: int('dot-frac', 'dotFracBits', 24, 1, 54, 'fraction bits the exact q . k is rounded to before it is scaled (data-frac..2 data-frac)'),
  // c is an unsigned operand of the DSP's 27-bit port.
  scaleBits: int('scale-bits', 'scaleBits', 26, 8, 26, 'significant bits of c = log2(e)/sqrt(d)'),
  rescale: { kind: 'choice', flag: 'rescale', api: 'rescale', default: 'multiply', choices: ['multiply', 'shift'], doc: 'rescale option of the running state: multiply or shift' } as ChoiceParam<Rescale>,
  // Powers of two from one unpacking chunk (8 columns) up to GEMV_MAX_GROUP (gemv.ts).
  gemvGroup: int('gemv-group', 'gemv.group', 32, 8, 4096, 'GEMV columns per scale group (a power of two)'),
  // cfg_cols is 16 bits: the largest multiple of 8 below 2^16.
  gemvMaxCols: int('gemv-max-cols', 'gemv.maxCols', 4096, 8, 65528, 'GEMV largest N (a multiple of the group)'),
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
  expOutFrac: number;
  accFrac: number;
  dotFrac: number;
  scaleBits: number;
  rescale: Rescale;
  gemvGroup: number;
  gemvMaxCols: number;
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
    doc: `data-int + data-frac <= ${MAX_DATA_WIDTH}`,
    check: (v, s) =>
      v.dataInt + v.dataFrac > MAX_DATA_WIDTH
        ? `${s.show('dataInt', v.dataInt)} + ${s.show('dataFrac', v.dataFrac)} = ${v.dataInt + v.dataFrac} bits: the q . k products run on DSP tiles sized for data of at most ${MAX_DATA_WIDTH} bits; accepted formats of 3..${MAX_DATA_WIDTH} bits`
        : undefined,
  },
  {
    id: 'exp2-table-steps',
    keys: ['expIndex', 'expFrac'],
    doc: 'exp2 table steps T[i+1] - T[i] fit 26 bits (the interpolation multiplier)',
    check: (v, s) => {
      const bits = exp2StepBits(v.expIndex, v.expFrac);
      return bits > 26
        ? `${s.show('expFrac', v.expFrac)} with ${s.show('expIndex', v.expIndex)}: the exp2 table steps need ${bits} bits and the interpolation multiplier takes 26; accepted ${s.name('expFrac')} <= ${maxTableFrac(v.expIndex)} with this ${s.name('expIndex')}`
        : undefined;
    },
  },
  {
    id: 'exp2-interp-sum',
    keys: ['expFrac', 'expInterp'],
    doc: 'exp-frac + exp-interp <= 45 (the interpolated mantissa fits the DSP post-adder)',
    check: (v, s) =>
      v.expFrac + v.expInterp > 45
        ? `${s.show('expFrac', v.expFrac)} + ${s.show('expInterp', v.expInterp)} = ${v.expFrac + v.expInterp}: the interpolated exp2 mantissa must fit the DSP's 48-bit post-adder; accepted sums <= 45`
        : undefined,
  },
  {
    id: 'exp-out-frac',
    keys: ['expOutFrac', 'expFrac'],
    doc: 'exp-out-frac <= exp-frac',
    check: (v, s) =>
      v.expOutFrac > v.expFrac
        ? `${s.show('expOutFrac', v.expOutFrac)} exceeds ${s.show('expFrac', v.expFrac)}: the output is the table value rounded; accepted ${s.name('expOutFrac')} 1..${Math.min(16, v.expFrac)}`
        : undefined,
  },
  {
    id: 'acc-frac',
    keys: ['accFrac', 'dataFrac', 'expOutFrac'],
    doc: 'acc-frac >= data-frac and >= exp-out-frac',
    check: (v, s) => {
      const lo = Math.max(v.dataFrac, v.expOutFrac);
      return v.accFrac < lo
        ? `${s.show('accFrac', v.accFrac)} is below ${v.accFrac < v.dataFrac ? s.show('dataFrac', v.dataFrac) : s.show('expOutFrac', v.expOutFrac)}: the accumulators must hold v and beta exactly; accepted ${s.name('accFrac')} ${lo}..${GEN_PARAMS.accFrac.max}`
        : undefined;
    },
  },
  {
    id: 'dot-frac',
    keys: ['dotFrac', 'dataFrac'],
    doc: 'data-frac <= dot-frac <= 2 data-frac',
    check: (v, s) =>
      v.dotFrac < v.dataFrac || v.dotFrac > 2 * v.dataFrac
        ? `${s.show('dotFrac', v.dotFrac)} with ${s.show('dataFrac', v.dataFrac)}: the dot is rounded from ${2 * v.dataFrac} fraction bits and keeps at least the score's; accepted ${s.name('dotFrac')} ${v.dataFrac}..${2 * v.dataFrac}`
        : undefined,
  },
  {
    id: 'gemv-group-power-of-two',
    keys: ['gemvGroup'],
    doc: 'gemv-group is a power of two',
    check: (v, s) => (!isPowerOfTwo(v.gemvGroup) ? `${s.show('gemvGroup', v.gemvGroup)} is not a power of two: accepted 8, 16, 32, ..., ${GEN_PARAMS.gemvGroup.max}` : undefined),
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
export function laneInputOf(v: GenValues): LaneParamsInput & { dataFormat: QFormat; scoreFormat: QFormat } {
  const data = { intBits: v.dataInt, fracBits: v.dataFrac, signed: true as const };
  return {
    headDim: v.headDim,
    pe: v.pe,
    maxContext: v.maxContext,
    rescale: v.rescale,
    dataFormat: data,
    scoreFormat: data,
    exp2: { indexBits: v.expIndex, interpBits: v.expInterp, tableFracBits: v.expFrac, outFracBits: v.expOutFrac },
    accFracBits: v.accFrac,
    dotFracBits: v.dotFrac,
    scaleBits: v.scaleBits,
  };
}

/** Bits of the largest exp2 table step (exp2.ts builds the table). */
function exp2StepBits(indexBits: number, tableFracBits: number): number {
  const t = exp2Table(indexBits, tableFracBits);
  let max = 0n;
  for (let i = 0; i + 1 < t.length; i++) if (t[i + 1]! - t[i]! > max) max = t[i + 1]! - t[i]!;
  return max.toString(2).length;
}

/** The largest exp-frac whose table steps fit 26 bits at this exp-index. */
export function maxTableFrac(indexBits: number): number {
  let f = GEN_PARAMS.expFrac.max;
  while (f > GEN_PARAMS.expFrac.min && exp2StepBits(indexBits, f) > 26) f--;
  return f;
}

/**
 * Configurations at the ends of the ranges (and at 2^n - 1, where a compare against the largest
 * value would be constant), small enough to lint in seconds: the range test and `make lint`
 * check their Verilog.
 */
export const EDGE_CONFIGS: readonly Partial<GenValues>[] = [
  { headDim: 16, pe: 4, heads: 2, maxContext: 1 },
  { headDim: 16, pe: 4, heads: 2, maxContext: 1023, maxHeads: 3 },
  { headDim: 16, pe: 4, heads: 1, maxContext: 1 << 24, accFrac: 40 },
  { headDim: 16, pe: 4, heads: 1, dataInt: 5, dataFrac: 27, expIndex: 10, expInterp: 17, expFrac: 28, accFrac: 27, dotFrac: 54 },
  { headDim: 16, pe: 4, heads: 1, dataInt: 2, dataFrac: 1, expIndex: 1, expInterp: 0, expFrac: 4, expOutFrac: 1, accFrac: 1, dotFrac: 2, scaleBits: 8, rescale: 'shift' },
  { headDim: 1, pe: 1, heads: 1, maxHeads: 1, gemvGroup: 8, gemvMaxCols: 8 },
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
