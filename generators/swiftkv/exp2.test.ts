import { describe, it, expect } from 'vitest';
import { exp2Table, exp2Golden, exp2DiffWidth, exp2TableWidth, EXP2_DEFAULTS } from './exp2.ts';
import { iroot } from './numerics.ts';
import { makeRng } from '../../verify/reference.ts';

const FS = 17; // score fraction bits: 5 index + 12 interpolation
const F = 30;
const ONE = 1n << BigInt(F);

/**
 * Error bound of the unit, derived (see exp2.ts):
 * - linear interpolation of 2^u on a segment of width h = 2^-5: |error| <= h^2/8 * max (2^u)''
 *   = h^2 (ln 2)^2 / 8 * 2^(u + h), i.e. relative to 2^u at most h^2 (ln 2)^2 2^h / 8 = 5.99e-5
 *   (about 2^-14), then scaled by 2^floor(x) with the value;
 * - table entries rounded to 30 fraction bits: <= 2^-31 each, a convex combination keeps it;
 * - output RNE to 30 fraction bits: <= 2^-31.
 * So |out - 2^x| <= 2^x * INTERP_REL + 2^-30.
 */
const H = 2 ** -EXP2_DEFAULTS.indexBits;
const INTERP_REL = (H * H * Math.LN2 * Math.LN2 * 2 ** H) / 8;
const ABS_FLOOR = 2 ** -F;

function check(xRaw: bigint, stats: { maxAbs: number; maxRel: number; atAbs: bigint; atRel: bigint }): bigint {
  const out = exp2Golden(xRaw);
  const x = Number(xRaw) / 2 ** FS;
  const exact = 2 ** x;
  const got = Number(out) / 2 ** F;
  const err = Math.abs(got - exact);
  const bound = exact * INTERP_REL + ABS_FLOOR;
  if (!(err <= bound)) {
    throw new Error(`exp2(${x}) (raw ${xRaw}): got ${got} (raw ${out}), exact ${exact}, |error| ${err} > bound ${bound}`);
  }
  if (err > stats.maxAbs) {
    stats.maxAbs = err;
    stats.atAbs = xRaw;
  }
  // Relative error where the result is not dominated by the 2^-30 output grid (2^x >= 2^-10).
  if (x >= -10) {
    const rel = err / exact;
    if (rel > stats.maxRel) {
      stats.maxRel = rel;
      stats.atRel = xRaw;
    }
  }
  return out;
}

describe('exp2Table', () => {
  it('has 33 entries of round(2^(i/32) * 2^30), exact', () => {
    const t = exp2Table();
    expect(t.length).toBe(33);
    expect(t[0]).toBe(ONE);
    expect(t[32]).toBe(2n * ONE);
    for (let i = 0; i <= 32; i++) {
      const e = t[i]!;
      // Exactness, by BigInt: (2e - 1)^32 <= 2^(i + 32*31) <= (2e + 1)^32, i.e. |2^(i/32 + 30) - e| <= 1/2.
      const target = 1n << BigInt(i + 32 * (F + 1));
      if (!((2n * e - 1n) ** 32n <= target && target <= (2n * e + 1n) ** 32n)) {
        throw new Error(`table[${i}] = ${e} is not round(2^(${i}/32) * 2^30)`);
      }
      // And consistent with float64 to within the float error.
      expect(Math.abs(Number(e) - 2 ** (i / 32 + F))).toBeLessThanOrEqual(0.5 + 1e-6);
      if (i > 0) expect(e > t[i - 1]!).toBe(true);
    }
  });

  it('known entries', () => {
    const t = exp2Table();
    // round(2^(1/32) * 2^30) = round(1097253708.42...) and round(sqrt(2) * 2^30) = round(1518500249.98...)
    expect(t[1]).toBe(1097253708n);
    expect(t[16]).toBe(1518500250n);
  });

  it('widths: entries u32, differences u26', () => {
    expect(exp2TableWidth()).toBe(32);
    expect(exp2DiffWidth()).toBe(26);
  });

  it('other sizes stay exact (iroot)', () => {
    const t = exp2Table(3, 20);
    expect(t.length).toBe(9);
    expect(t[4]).toBe(BigInt(Math.round(Math.SQRT2 * 2 ** 20)));
    expect(iroot(1n << 64n, 2)).toBe(1n << 32n);
    expect(iroot((1n << 64n) - 1n, 2)).toBe((1n << 32n) - 1n);
    expect(iroot(26n, 3)).toBe(2n);
    expect(iroot(27n, 3)).toBe(3n);
  });

  it('rejects bad sizes with the accepted range', () => {
    expect(() => exp2Table(0, 30)).toThrow(/indexBits = 0 is out of range: accepted integers 1..10/);
    expect(() => exp2Table(5, 61)).toThrow(/tableFracBits = 61 .* accepted integers 1..60/);
  });
});

describe('exp2Golden', () => {
  it('exp2(0) is exactly 1; exp2(-1) = 1/2; exp2(-n) = 2^-n; far below the range -> 0', () => {
    expect(exp2Golden(0n)).toBe(ONE);
    expect(exp2Golden(-(1n << 17n))).toBe(ONE / 2n);
    for (let n = 1; n <= 30; n++) expect(exp2Golden(-BigInt(n) << 17n)).toBe(ONE >> BigInt(n));
    // 2^-31 is exactly half an output ulp: ties to even -> 0.
    expect(exp2Golden(-31n << 17n)).toBe(0n);
    expect(exp2Golden(-(31n << 17n) + 1n)).toBe(1n);
    expect(exp2Golden(-(32n << 17n))).toBe(0n);
    expect(exp2Golden(-(1n << 31n))).toBe(0n); // most negative Q15.17
  });

  it('rejects x > 0', () => {
    expect(() => exp2Golden(1n)).toThrow(/positive: accepted x <= 0/);
  });

  it('exhaustive over [-2, 0] (2^18 + 1 values) and every integer part down to -33; monotonic; error bounds', () => {
    const stats = { maxAbs: 0, maxRel: 0, atAbs: 0n, atRel: 0n };
    let prev = check(0n, stats);
    for (let r = 1n; r <= 2n << 17n; r++) {
      const out = check(-r, stats);
      if (out > prev) throw new Error(`exp2 not monotonic: exp2(raw ${-r}) = ${out} > exp2(raw ${-r + 1n}) = ${prev}`);
      prev = out;
    }
    // Integer parts -3 .. -33: 1024 fractions each (stride + the segment ends), monotonic across parts.
    for (let n = 3; n <= 33; n++) {
      const base = -BigInt(n) << 17n;
      let last = -1n;
      for (let fr = (1n << 17n) - 1n; fr >= 0n; fr -= fr > 128n ? 127n : 1n) {
        const out = check(base + fr, stats);
        if (last >= 0n && out > last) throw new Error(`exp2 not monotonic near raw ${base + fr}`);
        last = out;
      }
      expect(last).toBeLessThanOrEqual(prev);
      prev = last;
    }
    console.log(
      `exp2 exhaustive [-2,0] + parts to -33: max |err| ${stats.maxAbs.toExponential(3)} at x=${Number(stats.atAbs) / 2 ** 17}; ` +
        `max rel err (x >= -10) ${stats.maxRel.toExponential(3)} (2^${Math.log2(stats.maxRel).toFixed(2)}) at x=${Number(stats.atRel) / 2 ** 17}; ` +
        `derived bound: rel ${INTERP_REL.toExponential(3)} + abs 2^-30`,
    );
    expect(stats.maxRel).toBeLessThanOrEqual(INTERP_REL + 2 ** -20);
    expect(stats.maxRel).toBeGreaterThan(INTERP_REL * 0.9); // the interpolation error is really there
  });

  it('random sweep of the whole negative Q15.17 range (seeded)', () => {
    const seed = 0x5eed_e2;
    const rng = makeRng(seed);
    const stats = { maxAbs: 0, maxRel: 0, atAbs: 0n, atRel: 0n };
    const xs: bigint[] = [];
    for (let i = 0; i < 60000; i++) {
      // Half over the whole range, half over [-40, 0] where the results are non-zero.
      const raw = i % 2 === 0 ? -BigInt(rng.int(0, 2 ** 31)) : -BigInt(rng.int(0, 40 * 2 ** 17));
      xs.push(raw);
      check(raw, stats);
    }
    xs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let prev = 0n;
    for (const x of xs) {
      const out = exp2Golden(x);
      if (out < prev) throw new Error(`exp2 not monotonic at raw ${x} (seed ${seed})`);
      prev = out;
    }
    console.log(`exp2 random sweep (seed ${seed}, 60000 x): max |err| ${stats.maxAbs.toExponential(3)}, max rel err (x >= -10) ${stats.maxRel.toExponential(3)}`);
  });
});
