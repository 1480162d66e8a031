import { describe, it, expect } from 'vitest';
import { Q } from '../hdl/fixed.ts';
import {
  referenceAttention, referenceAttentionRaw, relativeError, errorReport, quantize, dequantize, makeRng,
} from './reference.ts';

describe('referenceAttention (float64)', () => {
  it('L = 1 returns v; equal scores average v', () => {
    expect(referenceAttention([1, 2], [[3, 4]], [[5, -6]])).toEqual([5, -6]);
    const o = referenceAttention([1, 1], [[1, 0], [0, 1], [0.5, 0.5]], [[3, 0], [0, 3], [3, 3]]);
    expect(o[0]).toBeCloseTo(2, 14);
    expect(o[1]).toBeCloseTo(2, 14);
  });

  it('matches a hand-computed softmax', () => {
    // d = 4: scores q.k / 2 = [1, 0] -> weights e/(e+1), 1/(e+1).
    const o = referenceAttention([2, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0]], [[1, 0, 0, 0], [0, 1, 0, 0]]);
    const e = Math.E;
    expect(o[0]).toBeCloseTo(e / (e + 1), 15);
    expect(o[1]).toBeCloseTo(1 / (e + 1), 15);
  });

  it('is stable for huge scores (no overflow to NaN)', () => {
    const o = referenceAttention([1000], [[1000], [999]], [[1], [2]]);
    expect(o[0]).toBeCloseTo(1, 12);
    expect(Number.isFinite(o[0]!)).toBe(true);
  });

  it('rejects inconsistent shapes', () => {
    expect(() => referenceAttention([1, 2], [], [])).toThrow(/no tokens \(L = 0\)/);
    expect(() => referenceAttention([1, 2], [[1, 2]], [[1]])).toThrow(/v\[0\] has 1 elements: accepted 2/);
    expect(() => referenceAttention([1, 2], [[1, 2]], [[1, 2], [3, 4]])).toThrow(/k has 1 rows, v has 2/);
  });

  it('raw inputs are dequantised from Q15.17', () => {
    const one = 1n << 17n;
    expect(referenceAttentionRaw([one], [[one]], [[3n * one]])).toEqual([3]);
  });
});

describe('quantize / dequantize', () => {
  it('RNE with ties to even, saturating', () => {
    const f = Q(15, 17);
    const ulp = 2 ** -17;
    expect(quantize([0.5 * ulp, 1.5 * ulp, 2.5 * ulp, -0.5 * ulp, -1.5 * ulp, -2.5 * ulp], f)).toEqual([0n, 2n, 2n, 0n, -2n, -2n]);
    const sat = { count: 0 };
    expect(quantize([1e9, -1e9, 16383.99999], f, sat)).toEqual([(1n << 31n) - 1n, -(1n << 31n), 2147483647n]);
    expect(sat.count).toBe(2);
    expect(() => quantize([NaN], f)).toThrow(/element 0 is NaN: accepted finite numbers/);
    expect(dequantize([1n << 17n, -(1n << 16n)], f)).toEqual([1, -0.5]);
  });
});

describe('relativeError', () => {
  it('max|o - o_ref| / max|o_ref|, with position', () => {
    expect(relativeError([1, 2, 3], [1, 2, 4])).toBe(0.25);
    const r = errorReport([1, -2.5, 3], [1, -2, 3]);
    expect(r).toEqual({ maxAbs: 0.5, at: 1, maxRef: 3, relative: 0.5 / 3 });
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    expect(relativeError([1e-9, 0], [0, 0])).toBe(Infinity);
  });

  it('rejects mismatched lengths and non-finite values', () => {
    expect(() => relativeError([1], [1, 2])).toThrow(/o has 1 elements, o_ref has 2: accepted equal lengths/);
    expect(() => relativeError([NaN], [1])).toThrow(/element 0 is not finite/);
  });
});

describe('makeRng', () => {
  it('is deterministic per seed and roughly uniform / normal', () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const xs = Array.from({ length: 20000 }, () => a.next());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const n = makeRng(1);
    const ys = Array.from({ length: 20000 }, () => n.normal());
    const m = ys.reduce((s, x) => s + x, 0) / ys.length;
    const v = ys.reduce((s, x) => s + (x - m) ** 2, 0) / ys.length;
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const c = makeRng(3);
    expect(Array.from({ length: 1000 }, () => c.int(-3, 4)).every((x) => Number.isInteger(x) && x >= -3 && x < 4)).toBe(true);
  });
});
