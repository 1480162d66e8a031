/**
 * The parameter table (params.ts) is the generator's truth: the lowest and the highest accepted
 * value of every parameter builds and emits a design; one past each end is refused with a
 * message naming the parameter; random accepted configurations build. (The command line's exit code 2 for the same values:
 * scripts/gen.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../hdl/index.ts';
import { buildMha } from './mha.ts';
import {
  GEN_PARAMS,
  GEN_DEFAULTS,
  EDGE_CONFIGS,
  PARAM_KEYS,
  apiStyle,
  cliStyle,
  checkGenValues,
  laneInputOf,
  type GenValues,
  maxTableFrac,
  type IntParam,
  type ParamKey,
} from './params.ts';
import { makeRng } from '../../verify/rng.ts';
import { writeModuleFiles } from '../../hdl/artifacts.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { lintVerilog } from '../../sim/verilator.ts';
import { iverilogLint } from '../../sim/icarus.ts';

/**
 * A configuration with parameter k at `value`, the others at their defaults except where a
 * cross-check ties them to k (each companion is the smallest change that satisfies it).
 */
export function configAt(k: ParamKey, value: number): GenValues {
  const v: GenValues = { ...GEN_DEFAULTS, [k]: value };
  // The data fraction bits tie exp-index + exp-interp, dot-frac and acc-frac to them.
  const dataFromFrac = (frac: number, index: number): void => {
    v.dataFrac = frac;
    v.dataInt = Math.min(v.dataInt, 32 - frac);
    v.expIndex = index;
    v.expInterp = frac - index;
    v.dotFrac = Math.min(Math.max(v.dotFrac, frac), 2 * frac);
    v.accFrac = Math.max(v.accFrac, frac);
  };
  switch (k) {
    case 'pe': v.headDim = value === 1 ? v.headDim : value; v.heads = 1; break;
    case 'heads': if (value > 8) v.pe = 4; break;
    case 'headDim': v.pe = Math.min(v.pe, value); if (value > 1024) v.heads = 1; break;
    case 'dataInt': if (value + v.dataFrac > 32) dataFromFrac(32 - value, Math.max(1, Math.min(10, 32 - value))); break;
    case 'dataFrac': dataFromFrac(value, Math.max(1, value - 17)); v.dataInt = Math.min(v.dataInt, 32 - value); if (value > v.accFrac) v.accFrac = value; break;
    case 'expIndex': v.expInterp = v.dataFrac - value; if (value >= 9) v.expFrac = Math.min(v.expFrac, 40); break;
    case 'expInterp': dataFromFrac(Math.max(1, value + 1), Math.max(1, value + 1) - value); if (v.expFrac + value > 45) v.expFrac = 45 - value; break;
    case 'expOutFrac': break;
    case 'accFrac': if (value < v.dataFrac) { dataFromFrac(1, 1); v.expOutFrac = 1; v.dotFrac = 2; } break;
    case 'dotFrac': if (value < v.dataFrac) dataFromFrac(1, 1); else if (value > 2 * v.dataFrac) dataFromFrac(Math.ceil(value / 2), Math.ceil(value / 2) - 17); v.dotFrac = value; break;
    case 'gemvGroup': v.gemvMaxCols = Math.max(value, v.gemvMaxCols - (v.gemvMaxCols % value)); break;
    case 'gemvMaxCols': v.gemvGroup = 8; break;
    default: break;
  }
  // The exp2 table's limits, unless exp-frac itself is the parameter at its end.
  if (k === 'expFrac') {
    v.expIndex = 10;
    dataFromFrac(Math.min(v.dataFrac, 10 + 45 - value), 10);
  } else {
    v.expFrac = Math.min(v.expFrac, maxTableFrac(v.expIndex), 45 - v.expInterp);
  }
  v.expOutFrac = k === 'expOutFrac' ? value : Math.min(v.expOutFrac, v.expFrac);
  return v;
}

function buildAndEmit(v: GenValues): number {
  const built = buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } });
  return emitDesign(built.module).modules.length;
}

const intKeys = PARAM_KEYS.filter((k) => GEN_PARAMS[k].kind === 'int');

describe('every accepted range end builds and emits a design', () => {
  for (const k of intKeys) {
    const spec = GEN_PARAMS[k] as IntParam;
    for (const value of [spec.min, spec.max]) {
      it(`--${spec.flag} ${value}`, () => {
        const v = configAt(k, value);
        expect(checkGenValues(v, cliStyle).problems, JSON.stringify(v)).toEqual([]);
        expect(buildAndEmit(v)).toBeGreaterThan(5);
        // --pe 1024 emits 1024-element buses: about 40 s alone, several minutes under a loaded suite.
      }, 600_000);
    }
  }
  for (const rescale of GEN_PARAMS.rescale.choices) {
    it(`--rescale ${rescale}`, () => expect(buildAndEmit({ ...GEN_DEFAULTS, headDim: 16, pe: 4, rescale })).toBeGreaterThan(5));
  }

  it('the configurations issue 12 found failing with internal errors are accepted and build', () => {
    const cases: Partial<GenValues>[] = [
      { maxContext: 1 },
      { maxContext: 7 },
      { expFrac: 35, expInterp: 10, expIndex: 10, dataInt: 12, dataFrac: 20 },
      { dataInt: 5, dataFrac: 27, expIndex: 10, expInterp: 17, expFrac: 28, accFrac: 27, dotFrac: 54 },
      { accFrac: 40, maxContext: 1 << 24, pe: 16 },
    ];
    for (const c of cases) {
      const v = { ...GEN_DEFAULTS, headDim: 16, pe: 4, ...c };
      expect(checkGenValues(v, cliStyle).problems, JSON.stringify(c)).toEqual([]);
      expect(buildAndEmit(v), JSON.stringify(c)).toBeGreaterThan(5);
    }
  }, 120_000);
});

describe('range-end designs are lint clean (Verilator -Wall on every module, Icarus -Wall)', () => {
  for (const c of EDGE_CONFIGS) {
    it(JSON.stringify(c), async () => {
      const v = { ...GEN_DEFAULTS, ...c };
      const design = emitDesign(buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } }).module);
      await withTempDir('lint-edge-', async (dir) => {
        const files = await writeModuleFiles(design, dir);
        for (const m of design.modules) {
          const r = await lintVerilog(files, m.name);
          expect(r.output, m.name).toBe('');
        }
        const i = await iverilogLint(files, design.top);
        expect(i.output).toBe('');
      });
    }, 120_000);
  }
});

describe('one past each end is refused, naming the parameter', () => {
  for (const k of intKeys) {
    const spec = GEN_PARAMS[k] as IntParam;
    for (const value of [spec.min - 1, spec.max + 1]) {
      it(`--${spec.flag} ${value}`, () => {
        const v = configAt(k, value === spec.min - 1 ? spec.min : spec.max);
        v[k as 'heads'] = value;
        const cli = checkGenValues(v, cliStyle).problems;
        expect(cli).toContain(`--${spec.flag} ${value} is out of range: accepted integers ${spec.min}..${spec.max}`);
        const api = checkGenValues(v, apiStyle).problems;
        expect(api).toContain(`${spec.api} = ${value} is out of range: accepted integers ${spec.min}..${spec.max}`);
        // The generator refuses it too (not with an internal error).
        expect(() => buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } })).toThrow(RangeError);
      });
    }
  }

  it('the cross-checks name every parameter they relate', () => {
    const problems = (c: Partial<GenValues>): string[] => checkGenValues({ ...GEN_DEFAULTS, ...c }, cliStyle).problems;
    expect(problems({ pe: 5 })).toEqual(['--pe 5 does not divide --head-dim 128: accepted divisors of the head dimension']);
    expect(problems({ accFrac: 16 })).toEqual(['--acc-frac 16 is below --data-frac 17: the accumulators must hold v and beta exactly; accepted --acc-frac 17..40']);
    expect(problems({ dotFrac: 40 })).toEqual(['--dot-frac 40 with --data-frac 17: the dot is rounded from 34 fraction bits and keeps at least the score\'s; accepted --dot-frac 17..34']);
    expect(problems({ gemvGroup: 12 })[0]).toBe('--gemv-group 12 is not a power of two: accepted 8, 16, 32, ..., 4096');
    expect(problems({ dataInt: 20 })).toEqual(['--data-int 20 + --data-frac 17 = 37 bits: the q . k products run on DSP tiles sized for data of at most 32 bits; accepted formats of 3..32 bits']);
    expect(problems({ expIndex: 1, expInterp: 16, expFrac: 29 })[0]).toMatch(/^--exp-frac 29 with --exp-index 1: the exp2 table steps need \d+ bits and the interpolation multiplier takes 26; accepted --exp-frac <= \d+ with this --exp-index$/);
  });

  it('the GEMV bus limit of the built design is a RangeError naming heads and the accepted count', () => {
    expect(() => buildMha({ lane: { headDim: 128, pe: 16 }, heads: 64, maxHeads: 64 })).toThrow(/^heads = 64 with \d+ DSP tiles per lane \(pe = 16\): w_tdata would carry \d+ bits and a signal has at most 65536; accepted heads <= \d+ with this lane$/);
  });
});

describe('random accepted configurations build', () => {
  it('24 seeded configurations', () => {
    const rng = makeRng(2024);
    for (let i = 0; i < 24; i++) {
      const dataFrac = rng.int(1, 27);
      const expIndex = rng.int(Math.max(1, dataFrac - 17), Math.min(10, dataFrac));
      const headDim = [1, 2, 3, 8, 16, 24, 64][rng.int(0, 6)]!;
      const divisors = Array.from({ length: headDim }, (_, j) => j + 1).filter((p) => headDim % p === 0);
      const gemvGroup = 8 << rng.int(0, 5);
      const expInterp = dataFrac - expIndex;
      const expFrac = rng.int(Math.min(16, maxTableFrac(expIndex)), Math.min(maxTableFrac(expIndex), 45 - expInterp));
      const expOutFrac = rng.int(1, Math.min(16, expFrac));
      const v: GenValues = {
        ...GEN_DEFAULTS,
        heads: rng.int(1, 3),
        maxHeads: rng.int(1, 1024),
        headDim,
        pe: divisors[rng.int(0, divisors.length - 1)]!,
        maxContext: rng.int(1, 1 << 24),
        dataFrac,
        dataInt: rng.int(2, 32 - dataFrac),
        expIndex,
        expInterp,
        expFrac,
        expOutFrac,
        accFrac: rng.int(Math.max(dataFrac, expOutFrac), 40),
        dotFrac: rng.int(dataFrac, 2 * dataFrac),
        scaleBits: rng.int(8, 26),
        rescale: rng.next() < 0.5 ? 'multiply' : 'shift',
        gemvGroup,
        gemvMaxCols: gemvGroup * rng.int(1, Math.floor(65528 / gemvGroup)),
      };
      expect(checkGenValues(v, cliStyle).problems, JSON.stringify(v)).toEqual([]);
      // Emitting is the slow part: every fourth configuration.
      if (i % 4 === 0) expect(buildAndEmit(v)).toBeGreaterThan(5);
      else expect(() => buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } }), JSON.stringify(v)).not.toThrow();
    }
  }, 300_000);
});
