/**
 * status_sat: the saturation flags of the lane (generators/swiftkv/saturation.ts). The flagged
 * narrowing functions against a direct definition; the golden model's mask on inputs built to
 * saturate each stage; and the lane RTL's mask, bit for bit equal to the golden one on the
 * TypeScript simulator, Verilator and Icarus, cleared by the next start.
 */
import { describe, expect, it } from 'vitest';
import { Value, valueArith as A, Q } from '../../hdl/index.ts';
import { narrowFlagged, saturateFlagged } from '../../hdl/fixed.ts';
import { goldenAttention } from '../../generators/swiftkv/golden.ts';
import { buildLane, laneConfig } from '../../generators/swiftkv/lane.ts';
import { laneFormats, type LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import { SAT_STAGES, SAT_WIDTH, satBit, satMask, satStages, classifySat } from '../../generators/swiftkv/saturation.ts';
import { runLaneTs, type LaneJob } from './lane.driver.ts';
import { runLaneHdl } from './lane.rtl.ts';
import { makeRng } from '../rng.ts';

const raw = (x: number): bigint => BigInt(Math.round(x * 2 ** 17));
const fill = (n: number, x: bigint): bigint[] => Array<bigint>(n).fill(x);
const MAX = (1n << 31n) - 1n;
const MIN = -(1n << 31n);
const names = (mask: number): string => satStages(mask).join(',') || 'none';

describe('saturation stages', () => {
  it('one bit per stage, in table order, and masks convert both ways', () => {
    expect(SAT_WIDTH).toBe(SAT_STAGES.length);
    expect(SAT_STAGES.map((s) => s.name)).toEqual(['qscale', 'score', 'exp2in', 'acc', 'out']);
    SAT_STAGES.forEach((s, i) => expect(satBit(s.name)).toBe(i));
    expect(satMask(['score', 'out'])).toBe(0b10010);
    expect(satStages(0b10010)).toEqual(['score', 'out']);
  });

  it('exp2in cannot change the output when exp2 of the lowest score is 0 (Q15.17), but can in Q2.30', () => {
    const wide = laneFormats({ headDim: 16 });
    expect(classifySat(0b11111, wide)).toEqual({ harmful: ['qscale', 'score', 'acc'], harmless: ['exp2in', 'out'] });
    const narrow = laneFormats({ headDim: 16, dataFormat: Q(2, 30), scoreFormat: Q(2, 30), exp2: { indexBits: 6, interpBits: 24, tableFracBits: 30 } });
    expect(classifySat(satMask(['exp2in']), narrow)).toEqual({ harmful: ['exp2in'], harmless: [] });
  });
});

describe('narrowFlagged / saturateFlagged', () => {
  it('flag exactly the values that do not fit, and give the same value as before (every s8 -> s4, u8 -> u3, RNE drop 2)', () => {
    for (let x = -128; x < 128; x++) {
      const v = Value.of(x, { width: 8, signed: true });
      const s = saturateFlagged(A, v, { width: 4, signed: true });
      expect(s.saturated.toBigInt(), `saturate ${x}`).toBe(x < -8 || x > 7 ? 1n : 0n);
      expect(s.value.toBigInt()).toBe(BigInt(Math.min(7, Math.max(-8, x))));
      const n = narrowFlagged(A, v, 2, { width: 4, signed: true });
      const r = x / 4;
      const rounded = Math.abs(r % 1) === 0.5 ? 2 * Math.round(r / 2) : Math.round(r);
      expect(n.saturated.toBigInt(), `narrow ${x}`).toBe(rounded < -8 || rounded > 7 ? 1n : 0n);
      expect(n.value.toBigInt()).toBe(BigInt(Math.min(7, Math.max(-8, rounded))));
    }
    for (let x = 0; x < 256; x++) {
      const s = saturateFlagged(A, Value.of(x, { width: 8, signed: false }), { width: 3, signed: false });
      expect(s.saturated.toBigInt(), `unsigned ${x}`).toBe(x > 7 ? 1n : 0n);
    }
    expect(saturateFlagged(A, Value.of(-3, { width: 4, signed: true }), { width: 6, signed: true }).saturated.toBigInt()).toBe(0n);
  });
});

interface SatCase {
  label: string;
  params: LaneParamsInput;
  job: LaneJob;
  /** Stages the golden model must report (the case is built to hit them). */
  expect: number;
}

/** d = 128: q, k near +-60 give scores near 58,000, beyond Q15.17 (|s| < 16384). */
function scoreCase(): SatCase {
  const d = 128;
  return {
    label: 'q, k = +-60 at d = 128: the scores saturate (+16384 and -16384), their difference saturates the exp2 input',
    params: { headDim: d, pe: 16 },
    job: { q: fill(d, raw(60)), k: [fill(d, raw(60)), fill(d, raw(-60)), fill(d, raw(59))], v: [fill(d, raw(1)), fill(d, raw(2)), fill(d, raw(-3))] },
    expect: satMask(['score', 'exp2in']),
  };
}

function exp2OnlyCase(): SatCase {
  const d = 128;
  return {
    label: 'scores +-10,000 (in range) differ by 20,000: only the exp2 input saturates',
    params: { headDim: d, pe: 16 },
    job: { q: fill(d, raw(60)), k: [fill(d, raw(10.2)), fill(d, raw(-10.2))], v: [fill(d, raw(1)), fill(d, raw(2))] },
    expect: satMask(['exp2in']),
  };
}

function cleanCase(d: number, P: number, seed: number): SatCase {
  const rng = makeRng(seed);
  const vec = (): bigint[] => Array.from({ length: d }, () => raw(rng.next() * 4 - 2));
  return { label: `N(-2, 2) data at d = ${d}: nothing saturates`, params: { headDim: d, pe: P }, job: { q: vec(), k: [vec(), vec(), vec()], v: [vec(), vec(), vec()] }, expect: 0 };
}

/** v at the top of Q15.17: o = Y / Z can round one step past it; searched with the golden model (seeded). */
function outCase(): SatCase {
  const d = 16;
  const params = { headDim: d, pe: 4, rescale: 'shift' as const };
  const rng = makeRng(5);
  for (let trial = 0; trial < 1000; trial++) {
    const L = 2 + (trial % 5);
    const q = Array.from({ length: d }, () => raw(rng.next() * 4 - 2));
    const k = Array.from({ length: L }, () => Array.from({ length: d }, () => raw(rng.next() * 4 - 2)));
    const v = Array.from({ length: L }, () => fill(d, trial % 2 === 0 ? MAX : MIN));
    if (goldenAttention(q, k, v, params).sat === satMask(['out'])) return { label: `v at the edge of Q15.17 (trial ${trial}): the output saturates`, params, job: { q, k, v }, expect: satMask(['out']) };
  }
  throw new Error('no output-saturating case found in 1000 seeded trials');
}

function qscaleCase(): SatCase {
  return {
    label: 'd = 1: q = 16000 times log2(e) exceeds Q15.17',
    params: { headDim: 1, pe: 1 },
    job: { q: [raw(16000)], k: [[raw(0.5)], [raw(0.25)]], v: [[raw(1)], [raw(2)]] },
    expect: satMask(['qscale']),
  };
}

describe('golden model status_sat', () => {
  it('reports exactly the stages each case is built to saturate, and 0 for clean data', () => {
    for (const c of [scoreCase(), exp2OnlyCase(), cleanCase(128, 16, 1), outCase(), qscaleCase()]) {
      const g = goldenAttention(c.job.q, c.job.k, c.job.v, c.params);
      expect(names(g.sat), c.label).toBe(names(c.expect));
    }
  });
});

describe('lane RTL status_sat equals the golden mask, bit for bit, and is cleared by the next start', () => {
  // Per lane configuration: saturating and clean queries back to back without reset.
  const groups: { params: LaneParamsInput; cases: () => SatCase[] }[] = [
    { params: { headDim: 128, pe: 16 }, cases: () => [scoreCase(), cleanCase(128, 16, 1), exp2OnlyCase(), cleanCase(128, 16, 2)] },
    { params: { headDim: 16, pe: 4, rescale: 'shift' }, cases: () => [outCase(), cleanCase(16, 4, 3)] },
    { params: { headDim: 1, pe: 1 }, cases: () => [qscaleCase(), cleanCase(1, 1, 4)] },
  ];
  for (const g of groups) {
    for (const sim of ['verilator', 'icarus'] as const) {
      // With every stream ready, done follows the last output beat as closely as it can: the
      // output stage's flag must already be in status_sat then.
      it(`d = ${g.params.headDim}, P = ${g.params.pe}, ${g.params.rescale ?? 'multiply'} on ${sim}, with and without backpressure`, async () => {
        const cases = g.cases();
        for (const [vprob, rprob] of [[80, 70], [100, 100]] as const) {
          const res = await runLaneHdl(g.params, cases.map((c) => c.job), { simulator: sim, seed: 3, vprob, rprob });
          cases.forEach((c, i) => {
            const golden = goldenAttention(c.job.q, c.job.k, c.job.v, g.params);
            expect(names(golden.sat), c.label).toBe(names(c.expect));
            expect(names(res[i]!.sat), `${sim}, query ${i}: ${c.label}`).toBe(names(golden.sat));
            expect(res[i]!.o, `${sim}, query ${i}`).toEqual(golden.o);
          });
        }
      }, 300_000);
    }
  }

  it('on the TypeScript simulator too, read in the done cycle (d = 16, P = 4, shift; d = 1)', () => {
    for (const g of groups.slice(1)) {
      const cases = g.cases();
      for (const [validProb, readyProb] of [[0.8, 0.7], [1, 1]] as const) {
        const runs = runLaneTs(buildLane(g.params), laneConfig(g.params), cases.map((c) => c.job), { rng: makeRng(9), validProb, readyProb });
        cases.forEach((c, i) => expect(names(runs[i]!.sat), `${c.label}, valid ${validProb}, ready ${readyProb}`).toBe(names(goldenAttention(c.job.q, c.job.k, c.job.v, g.params).sat)));
      }
    }
  }, 120_000);
});
