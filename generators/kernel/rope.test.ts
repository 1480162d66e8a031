import { describe, it, expect } from 'vitest';
import { Q } from '../../hdl/fixed.ts';
import { makeRng } from '../../verify/rng.ts';
import { resolveRope, ropeRotate, ropeError, ropeCosSin, ropeReference, toPairOrder, fromPairOrder } from './rope.ts';

const quant = (x: number): bigint => BigInt(Math.round(x * 2 ** 17));

describe('RoPE golden model (decode step: q and the new k rotated once)', () => {
  it('error against float64 RoPE stays within 2^-15 relative, both pairings, positions 0..16383', () => {
    const rng = makeRng(11);
    let worst = 0;
    for (const pairing of ['half', 'interleaved'] as const) {
      const p = resolveRope({ headDim: 128, maxPos: 16384, data: Q(15, 17), pairing });
      for (const pos of [0, 1, 2, 7, 100, 1023, 4096, 9999, 16383]) {
        const x = Array.from({ length: 128 }, () => quant((rng.next() * 2 - 1) * 4));
        const e = ropeError(p, x, pos);
        worst = Math.max(worst, e);
        expect(e, `pairing ${pairing}, position ${pos}: relative error ${e}`).toBeLessThanOrEqual(2 ** -15);
      }
    }
    console.log(`RoPE golden vs float64, d = 128, Q15.17, |x| <= 4: worst relative error ${worst.toExponential(3)} (bound 2^-15 = ${(2 ** -15).toExponential(3)})`);
  });

  it('docs/kernel.md\'s RoPE arithmetic, written out in plain BigInt, equals ropeRotate (random vectors and positions, both pairings, saturation included)', () => {
    const rng = makeRng(12);
    const rne = (x: bigint, n: number): bigint => {
      const q = x >> BigInt(n);
      const r = x - (q << BigInt(n));
      const half = 1n << BigInt(n - 1);
      return r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
    };
    const sat = (x: bigint): bigint => (x > 2n ** 31n - 1n ? 2n ** 31n - 1n : x < -(2n ** 31n) ? -(2n ** 31n) : x);
    const bits = (x: bigint, hi: number, lo: number): bigint => (x >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
    let checked = 0;
    for (const [d, maxPos, base, pairing] of [[128, 16384, 10000, 'half'], [64, 4096, 500000, 'interleaved'], [8, 1 << 20, 10000, 'half']] as const) {
      const p = resolveRope({ headDim: d, maxPos, base, pairing, data: Q(15, 17) });
      const k = 9;
      const m = 16;
      const Fs = 25;
      const F = Math.min(48, Math.max(Math.ceil(Math.log2(maxPos)), 1) + 22);
      const S = Array.from({ length: (1 << k) + 1 }, (_, n) => BigInt(Math.round(Math.sin((Math.PI / 2) * (n / (1 << k))) * 2 ** Fs)));
      const C = (n: number): bigint => S[(1 << k) - n]!;
      for (let trial = 0; trial < 6; trial++) {
        const pos = trial === 0 ? maxPos - 1 : rng.int(0, maxPos - 1);
        const x = Array.from({ length: d }, () => (trial === 1 ? BigInt(rng.int(-(2 ** 31), 2 ** 31 - 1)) : quant((rng.next() * 2 - 1) * 8)));
        const want: bigint[] = new Array(d);
        for (let i = 0; i < d / 2; i++) {
          const omega = BigInt(Math.round((Math.pow(base, (-2 * i) / d) / (2 * Math.PI)) * 2 ** F));
          const phi = (BigInt(pos) * omega) % (1n << BigInt(F));
          const quadrant = Number(bits(phi, F - 1, F - 2));
          const j = Number(bits(phi, F - 3, F - 2 - k));
          const t = bits(phi, F - 3 - k, F - 2 - k - m);
          const su = S[j]! + rne((S[j + 1]! - S[j]!) * t, m);
          const cu = C(j) + rne((C(j + 1) - C(j)) * t, m);
          const [cos, sin] = [[cu, su], [-su, cu], [-cu, -su], [su, -cu]][quadrant]!;
          const [a, bb] = pairing === 'half' ? [i, i + d / 2] : [2 * i, 2 * i + 1];
          want[a] = sat(rne(x[a]! * cos! - x[bb]! * sin!, Fs));
          want[bb] = sat(rne(x[a]! * sin! + x[bb]! * cos!, Fs));
        }
        expect(ropeRotate(p, x, pos).y, `d = ${d}, ${pairing}, base ${base}, position ${pos}`).toEqual(want);
        checked++;
      }
    }
    expect(checked).toBe(18);
  });

  it('position 0 is the identity and cos^2 + sin^2 stays 1 within the table precision', () => {
    const p = resolveRope({ headDim: 16, maxPos: 1024, data: Q(15, 17) });
    const x = Array.from({ length: 16 }, (_, i) => quant(i - 7.5));
    expect(ropeRotate(p, x, 0).y).toEqual(x);
    for (const pos of [1, 17, 1000]) {
      for (let i = 0; i < 8; i++) {
        const { cos, sin } = ropeCosSin(p, pos, i);
        const n = (Number(cos) ** 2 + Number(sin) ** 2) / 2 ** (2 * p.tableFrac);
        // |s|, |c| <= 1 each off by at most the interpolation bound plus a table LSB (rope.ts).
        const bound = 2 * ((Math.PI / 2) ** 2 * 2 ** (-2 * p.tableBits) / 8 + 2 ** -p.tableFrac) + 2 ** -p.tableFrac;
        expect(Math.abs(n - 1), `pair ${i} at position ${pos}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('half-split and interleaved pairings rotate the pairs the reference rotates', () => {
    const ph = resolveRope({ headDim: 8, maxPos: 64, data: Q(15, 17), pairing: 'half' });
    const pi = resolveRope({ headDim: 8, maxPos: 64, data: Q(15, 17), pairing: 'interleaved' });
    const x = [1, 2, 3, 4, 5, 6, 7, 8].map(quant);
    for (const p of [ph, pi]) {
      const y = ropeRotate(p, x, 5).y.map((v) => Number(v) / 2 ** 17);
      const ref = ropeReference(p, x.map((v) => Number(v) / 2 ** 17), 5);
      y.forEach((v, i) => expect(Math.abs(v - ref[i]!), `${p.pairing} element ${i}`).toBeLessThan(1e-4));
    }
    expect(fromPairOrder(ph, toPairOrder(ph, [0, 1, 2, 3, 4, 5, 6, 7]))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(toPairOrder(ph, [0, 1, 2, 3, 4, 5, 6, 7])).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
  });

  it('refuses a position past the sized maximum, naming it', () => {
    const p = resolveRope({ headDim: 8, maxPos: 64, data: Q(15, 17) });
    expect(() => ropeRotate(p, Array(8).fill(0n), 64)).toThrow(/position 64 is out of range: accepted 0..63/);
  });
});
