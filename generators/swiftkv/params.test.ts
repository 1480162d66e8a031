/**
 * The parameter table (params.ts) is the generator's truth: the lowest and the highest accepted
 * value of every parameter builds and emits a design; one past each end is refused with a
 * message naming the parameter; random accepted configurations build; the bus-width bound uses
 * the Y width numerics.ts derives. (The command line's exit code 2 for the same values:
 * scripts/gen.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../hdl/index.ts';
import { buildMha } from './mha.ts';
import { laneFormats } from './numerics.ts';
import { qType } from '../../hdl/fixed.ts';
import {
  GEN_PARAMS,
  GEN_DEFAULTS,
  EDGE_CONFIGS,
  PARAM_KEYS,
  apiStyle,
  cliStyle,
  checkGenValues,
  laneInputOf,
  yAccumulatorBits,
  type GenValues,
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
  const dataFromFrac = (frac: number, index: number): void => {
    v.dataFrac = frac;
    v.dataInt = 32 - frac;
    v.expIndex = index;
    v.expInterp = frac - index;
    v.expFrac = Math.max(v.expFrac, frac, 8);
  };
  switch (k) {
    case 'pe': v.headDim = value === 1 ? v.headDim : value; v.heads = 1; break;
    case 'headDim': v.pe = Math.min(v.pe, value); break;
    case 'dataInt': dataFromFrac(32 - value, Math.max(1, 32 - value - 24)); break;
    case 'dataFrac': dataFromFrac(value, Math.max(1, value - 24)); break;
    case 'expIndex': v.expInterp = v.dataFrac - value; break;
    case 'expInterp': dataFromFrac(value === 0 ? 1 : Math.min(30, value + 1), value === 0 ? 1 : Math.min(30, value + 1) - value); break;
    case 'expFrac': if (value < v.dataFrac) { dataFromFrac(value, 5); v.expFrac = value; } break;
    case 'gemvGroup': v.gemvMaxCols = Math.max(value, v.gemvMaxCols - (v.gemvMaxCols % value)); break;
    case 'gemvMaxCols': v.gemvGroup = 4; break;
    default: break;
  }
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
      { expFrac: 60 },
      { dataInt: 2, dataFrac: 30, expIndex: 10, expInterp: 20, expFrac: 60 },
      { expFrac: 60, maxContext: 1 << 24, pe: 16 },
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
    expect(problems({ expFrac: 16 })).toEqual(['--exp-frac 16 is below --data-frac 17: the Y accumulator keeps --exp-frac fraction bits and must hold v exactly; accepted --exp-frac 17..60']);
    expect(problems({ gemvGroup: 12 })[0]).toBe('--gemv-group 12 is not a power of two: accepted 4, 8, 16, ..., 32768');
    expect(problems({ heads: 64, pe: 32 })).toEqual([
      '--heads 64 x --pe 32 = 2048 PEs: the GEMV scale bus s_tdata carries 48 bits per PE and a signal has at most 65536 bits; accepted heads x pe <= 1365',
    ]);
    expect(problems({ pe: 1024, headDim: 1024, heads: 1, maxContext: 1 << 24, expFrac: 60 })).toEqual([
      '--pe 1024: a Y word holds P accumulators of 99 bits (from --max-context, the data format and --exp-frac), 101376 bits, and a signal has at most 65536; accepted --pe <= 661 with these formats',
    ]);
  });
});

describe('random accepted configurations build, and the Y width agrees with numerics.ts', () => {
  it('24 seeded configurations', () => {
    const rng = makeRng(2024);
    for (let i = 0; i < 24; i++) {
      const dataFrac = rng.int(1, 30);
      const expIndex = rng.int(Math.max(1, dataFrac - 24), Math.min(10, dataFrac));
      const headDim = [1, 2, 3, 8, 16, 24, 64][rng.int(0, 6)]!;
      const divisors = Array.from({ length: headDim }, (_, j) => j + 1).filter((p) => headDim % p === 0);
      const gemvGroup = 4 << rng.int(0, 5);
      const v: GenValues = {
        ...GEN_DEFAULTS,
        heads: rng.int(1, 3),
        maxHeads: rng.int(1, 1024),
        headDim,
        pe: divisors[rng.int(0, divisors.length - 1)]!,
        maxContext: rng.int(1, 1 << 24),
        dataFrac,
        dataInt: 32 - dataFrac,
        expIndex,
        expInterp: dataFrac - expIndex,
        expFrac: rng.int(Math.max(8, dataFrac), 60),
        rescale: rng.next() < 0.5 ? 'multiply' : 'shift',
        gemvGroup,
        gemvMaxCols: gemvGroup * rng.int(1, Math.floor(65532 / gemvGroup)),
      };
      expect(checkGenValues(v, cliStyle).problems, JSON.stringify(v)).toEqual([]);
      expect(yAccumulatorBits(v), JSON.stringify(v)).toBe(qType(laneFormats(laneInputOf(v)).y).width);
      // Emitting is the slow part: every fourth configuration.
      if (i % 4 === 0) expect(buildAndEmit(v)).toBeGreaterThan(5);
      else expect(() => buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } })).not.toThrow();
    }
  }, 300_000);
});
