/**
 * The exp2 unit's golden model (exp2.ts): the table exactly, the special values, and every input
 * of the default format that can give a non-zero result against float64 2^x with a derived
 * error bound. verify/swiftkv/blocks.test.ts runs the same sweep through the emitted RTL.
 */
import { describe, it, expect } from 'vitest';
import { exp2Table, exp2Golden, exp2DiffWidth, exp2TableWidth, exp2MantissaWidth, exp2OutWidth, EXP2_DEFAULTS, type Exp2Config } from './exp2.ts';
import { iroot } from './constants.ts';

const D = EXP2_DEFAULTS;
const FS = D.indexBits + D.interpBits; // 17 fraction bits of x
const ONE = 1n << BigInt(D.outFracBits); // exp2 output 1.0 (UQ1.16)

/**
 * Error bound of the exp2 unit, derived from its definition (exp2.ts). With x <= 0,
 * n = -floor(x), u = x + n in [0, 1), segment width h = 2^-indexBits, F table fraction bits,
 * Fe output fraction bits:
 * - the chord of 2^u over its segment lies above the (convex) curve by at most
 *   h^2/8 * max (2^u)'' = h^2 (ln 2)^2 2^(u + h) / 8, i.e. 2^u * EPS_INTERP with
 *   EPS_INTERP = h^2 (ln 2)^2 2^h / 8 (5.99e-5 for h = 1/32); scaled by 2^-n with the value;
 * - the interpolation weight is exact (x's own bits) and the multiply-add is exact, so the
 *   only other error before the output rounding is the table's: each entry within 2^-(F+1),
 *   a convex combination keeps that, scaled by 2^-n;
 * - the output rounding to Fe fraction bits (RNE): at most 2^-(Fe+1); for n >= Fe + 2 the
 *   output is 0 and 2^x < 2^-(Fe+1) is the whole error.
 * So |exp2(x) - 2^x| <= 2^x EPS_INTERP + 2^-(n + F + 1) + 2^-(Fe + 1).
 * The float64 evaluation of 2^x and of the difference is exact to about 1e-16 relative; the
 * bound gets 2^-45 of slack for it (the bound itself is above 2^-17).
 */
function epsInterp(c: Exp2Config): number {
  const h = 2 ** -c.indexBits;
  return (h * h * Math.LN2 * Math.LN2 * 2 ** h) / 8;
}

function bound(x: number, n: number, c: Exp2Config): number {
  return 2 ** x * epsInterp(c) + 2 ** -(n + c.tableFracBits + 1) + 2 ** -(c.outFracBits + 1) + 2 ** -45;
}

interface SweepStats {
  values: number;
  maxAbs: number;
  atAbs: bigint;
  /** Largest error / bound: <= 1 by the derivation; near 1 says the bound is tight. */
  maxRatio: number;
  atRatio: bigint;
  /** Where the interpolation term dominates (x >= -1): largest error relative to 2^x, and to the bound. */
  maxRelTop: number;
  maxRatioTop: number;
}

/** Every x raw from 0 down to lowRaw (step 1): checks the bound and monotonicity, returns the figures. */
function sweep(c: Exp2Config, inWidth: number, lowRaw: bigint, step = 1n): SweepStats {
  const fs = c.indexBits + c.interpBits;
  const st: SweepStats = { values: 0, maxAbs: 0, atAbs: 0n, maxRatio: 0, atRatio: 0n, maxRelTop: 0, maxRatioTop: 0 };
  let prev = exp2Golden(0n, c, inWidth);
  for (let xr = 0n; xr >= lowRaw; xr -= step) {
    const out = exp2Golden(xr, c, inWidth);
    if (out > prev) throw new Error(`exp2 increases as x decreases: exp2(${xr} raw) = ${out} > exp2(${xr + step} raw) = ${prev}`);
    if (out < 0n || out > 1n << BigInt(c.outFracBits)) throw new Error(`exp2(${xr} raw) = ${out} is outside [0, 1]`);
    prev = out;
    const x = Number(xr) / 2 ** fs;
    const n = -Math.floor(x);
    const err = Math.abs(Number(out) / 2 ** c.outFracBits - 2 ** x);
    const b = bound(x, n, c);
    if (!(err <= b)) throw new Error(`exp2(${x}) (raw ${xr}): ${out} raw, 2^x = ${2 ** x}, |error| ${err} > bound ${b}`);
    st.values++;
    if (err > st.maxAbs) {
      st.maxAbs = err;
      st.atAbs = xr;
    }
    if (err / b > st.maxRatio) {
      st.maxRatio = err / b;
      st.atRatio = xr;
    }
    if (x >= -1) {
      st.maxRelTop = Math.max(st.maxRelTop, err / 2 ** x);
      st.maxRatioTop = Math.max(st.maxRatioTop, err / b);
    }
  }
  return st;
}

function report(label: string, st: SweepStats, c: Exp2Config): string {
  const fs = c.indexBits + c.interpBits;
  return (
    `${label}: ${st.values} inputs; max |exp2(x) - 2^x| ${st.maxAbs.toExponential(3)} at x = ${Number(st.atAbs) / 2 ** fs}; ` +
    `max error / bound ${st.maxRatio.toFixed(3)} at x = ${Number(st.atRatio) / 2 ** fs}; ` +
    `for x in [-1, 0]: max relative error ${st.maxRelTop.toExponential(3)} (EPS_INTERP ${epsInterp(c).toExponential(3)} + 2^-17 rounding), max error / bound ${st.maxRatioTop.toFixed(3)}`
  );
}

describe('exp2Table', () => {
  it('has 33 entries, each exactly round(2^(i/32) * 2^30) (checked in integers), increasing from 2^30 to 2^31', () => {
    const t = exp2Table();
    expect(t.length).toBe(33);
    expect(t[0]).toBe(1n << 30n);
    expect(t[32]).toBe(1n << 31n);
    for (let i = 0; i <= 32; i++) {
      const e = t[i]!;
      // |2^(i/32 + 30) - e| <= 1/2  <=>  (2e - 1)^32 <= 2^(i + 32 * 31) <= (2e + 1)^32.
      const target = 1n << BigInt(i + 32 * 31);
      expect((2n * e - 1n) ** 32n <= target && target <= (2n * e + 1n) ** 32n, `entry ${i} = ${e} is round(2^(${i}/32) * 2^30)`).toBe(true);
      expect(Math.abs(Number(e) - 2 ** (i / 32 + 30)), `entry ${i} against float64`).toBeLessThanOrEqual(0.5 + 1e-6);
      if (i > 0) expect(e > t[i - 1]!, `entry ${i} > entry ${i - 1}`).toBe(true);
    }
  });

  it('known entries: round(2^(1/32) 2^30) = 1097253708, round(sqrt(2) 2^30) = 1518500250', () => {
    const t = exp2Table();
    expect(t[1]).toBe(1097253708n);
    expect(t[16]).toBe(1518500250n);
  });

  it('widths: entries u32, steps u26 (the DSP A port), mantissa 43 bits, output UQ1.16 (17 bits)', () => {
    expect(exp2TableWidth(D)).toBe(32);
    expect(exp2DiffWidth(D)).toBe(26);
    expect(exp2MantissaWidth(D)).toBe(43);
    expect(exp2OutWidth(D)).toBe(17);
  });

  it('other sizes stay exact (integer roots)', () => {
    const t = exp2Table(3, 20);
    expect(t.length).toBe(9);
    expect(t[4]).toBe(BigInt(Math.round(Math.SQRT2 * 2 ** 20)));
    expect(iroot(1n << 64n, 2)).toBe(1n << 32n);
    expect(iroot((1n << 64n) - 1n, 2)).toBe((1n << 32n) - 1n);
    expect(iroot(26n, 3)).toBe(2n);
    expect(iroot(27n, 3)).toBe(3n);
  });

  it('rejects bad sizes naming the value and the accepted range', () => {
    expect(() => exp2Table(0, 30)).toThrow(/exp2 indexBits = 0 is out of range: accepted 1..10/);
    expect(() => exp2Table(5, 61)).toThrow(/exp2 tableFracBits = 61 is out of range: accepted 1..60/);
    expect(() => exp2Golden(1n)).toThrow(/x = 1 \(raw\) is positive: accepted x <= 0/);
  });
});

describe('exp2Golden special values (UQ1.16 output)', () => {
  it('exp2(0) = 1 exactly; exp2(-n) = 2^-n exactly for n <= 16; 2^-17 is half an ulp and rounds to even (0); below -17: 0', () => {
    expect(exp2Golden(0n)).toBe(ONE);
    for (let n = 1; n <= 16; n++) expect(exp2Golden(-BigInt(n) << BigInt(FS)), `exp2(-${n})`).toBe(ONE >> BigInt(n));
    expect(exp2Golden(-17n << BigInt(FS))).toBe(0n);
    // Just above -17 the interpolated value is a hair above 2^-17: rounds up to one ulp.
    expect(exp2Golden((-17n << BigInt(FS)) + 1n)).toBe(1n);
    expect(exp2Golden((-17n << BigInt(FS)) - 1n)).toBe(0n);
    expect(exp2Golden(-(1n << 31n))).toBe(0n);
  });
});

describe('exp2Golden against float64 2^x, every input that can give a non-zero result', () => {
  it(`default format (x Q15.17): all of x in [-(Fe + 2), 0] = [-18, 0], ${18 * 2 ** 17 + 1} values, within the derived bound`, () => {
    const st = sweep(D, 32, -18n << BigInt(FS));
    console.log(report('exp2 Q15.17 exhaustive', st, D));
    expect(st.values).toBe(18 * 2 ** 17 + 1);
    expect(st.maxRatio).toBeLessThanOrEqual(1);
    // The bound is tight, not decorative: where the interpolation term dominates (x in [-1, 0])
    // the measured worst error reaches 0.982 of it (measured max |error| 6.555e-5 at
    // x = -0.0156; bound there 6.72e-5), and below that the output rounding's 2^-17 is reached.
    expect(st.maxRatioTop).toBeGreaterThan(0.9);
    expect(st.maxRelTop).toBeGreaterThan(epsInterp(D));
  }, 300_000);

  it('Q8.8 scores (5 index + 3 interpolation bits): all of x in [-18, 0] within the bound', () => {
    const c = { ...D, interpBits: 3 };
    const st = sweep(c, 16, -18n << 8n);
    console.log(report('exp2 Q8.8 exhaustive', st, c));
    expect(st.values).toBe(18 * 256 + 1);
    expect(st.maxRatio).toBeLessThanOrEqual(1);
  });

  it('Q16.16 scores (5 index + 11 interpolation bits): every 7th x in [-18, 0] within the bound', () => {
    const c = { ...D, interpBits: 11 };
    const st = sweep(c, 32, -18n << 16n, 7n);
    console.log(report('exp2 Q16.16 every 7th', st, c));
    expect(st.values).toBe(Math.floor((18 * 2 ** 16) / 7) + 1);
    expect(st.maxRatio).toBeLessThanOrEqual(1);
  }, 120_000);
});
