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
