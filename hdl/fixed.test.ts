import { describe, expect, it } from 'vitest';
import { Value, valueArith as A, roundShift, roundShiftParts, applyRound, saturate, saturateFlagged, narrow, toFixed, fromFixed, Q, s, u } from './index.ts';

const v = (x: number, t = s(8)): Value => Value.of(x, t);

describe('fixed-point layer on values', () => {
  it('round to nearest even on ties, both signs', () => {
    // 2 fraction bits dropped: x/4 rounded.
    const cases: [number, number][] = [[2, 0], [6, 2], [10, 2], [5, 1], [7, 2], [-2, 0], [-6, -2], [-5, -1], [-7, -2], [-10, -2]];
    for (const [x, want] of cases) expect(roundShift(A, v(x), 2, 'rne').toBigInt(), `${x}/4`).toBe(BigInt(want));
    expect(roundShift(A, v(-7), 2, 'trunc').toBigInt()).toBe(-2n); // floor
  });

  it('rounding can carry: the result is one bit wider', () => {
    const r = roundShift(A, v(127), 1, 'rne');
    expect(r.width).toBe(8);
    expect(r.toBigInt()).toBe(64n);
  });

  it('saturates to the narrower range', () => {
    expect(saturate(A, v(100), s(6)).toBigInt()).toBe(31n);
    expect(saturate(A, v(-100), s(6)).toBigInt()).toBe(-32n);
    expect(saturate(A, v(-3), s(6)).toBigInt()).toBe(-3n);
    expect(saturate(A, Value.of(200, u(8)), u(7)).toBigInt()).toBe(127n);
    expect(narrow(A, v(127), 2, s(5)).toBigInt()).toBe(15n); // 31.75 -> 32 -> saturated to 15
  });

  it('converts reals to Q formats with ties to even and names the accepted range', () => {
    expect(toFixed(0.375, Q(2, 2))).toBe(2n); // 1.5 -> 2 (even)
    expect(toFixed(0.625, Q(2, 2))).toBe(2n); // 2.5 -> 2 (even)
    expect(fromFixed(toFixed(-1.25, Q(15, 17)), 17)).toBe(-1.25);
    expect(() => toFixed(2, Q(2, 2))).toThrow('2 is outside Q2.2: accepted -2 .. 1.75');
  });
});

describe('saturation and rounding, exhaustively on 10-bit values', () => {
  it('saturateFlagged clamps exactly where the value leaves the target range, and flags it', () => {
    for (const signed of [true, false]) {
      const xt = signed ? s(10) : u(10);
      for (let tw = 2; tw < 10; tw++) {
        const t = signed ? s(tw) : u(tw);
        const [lo, hi] = signed ? [-(2 ** (tw - 1)), 2 ** (tw - 1) - 1] : [0, 2 ** tw - 1];
        for (let x = signed ? -512 : 0; x < (signed ? 512 : 1024); x++) {
          const r = saturateFlagged(A, Value.of(x, xt), t);
          const want = Math.min(hi, Math.max(lo, x));
          if (r.value.toBigInt() !== BigInt(want) || r.saturated.isTrue() !== (x !== want)) {
            throw new Error(`${signed ? 's' : 'u'}10 ${x} -> ${signed ? 's' : 'u'}${tw}: got ${r.value.toBigInt()} (flag ${r.saturated.isTrue()}), want ${want}`);
          }
        }
      }
    }
  });

  it('roundShift (rne) equals round-half-even of x / 2^n, and its parts add up to it', () => {
    for (let x = -512; x < 512; x++) {
      for (let n = 1; n < 10; n++) {
        const got = roundShift(A, Value.of(x, s(10)), n, 'rne').toBigInt();
        const q = Math.floor(x / 2 ** n);
        const r = x - q * 2 ** n;
        const half = 2 ** (n - 1);
        const want = r > half || (r === half && q % 2 !== 0) ? q + 1 : q;
        if (got !== BigInt(want)) throw new Error(`RNE(${x} / 2^${n}) = ${got}, want ${want}`);
        expect(applyRound(A, roundShiftParts(A, Value.of(x, s(10)), n)).toBigInt()).toBe(got);
      }
    }
  });
});
