import { describe, expect, it } from 'vitest';
import { Value, valueArith as A, roundShift, saturate, narrow, toFixed, fromFixed, Q, s, u } from './index.ts';

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
