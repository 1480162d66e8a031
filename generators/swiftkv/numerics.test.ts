import { describe, it, expect } from 'vitest';
import { qName, qType, Q } from '../../hdl/fixed.ts';
import { typeName } from '../../hdl/types.ts';
import { laneFormats, describeFormats, scaleConstant, isqrt, resolveLaneParams } from './numerics.ts';

describe('laneFormats (defaults: d = 128, P = 16, maxContext = 16384, Q15.17)', () => {
  const f = laneFormats({ headDim: 128 });
  const name = (q: Parameters<typeof qName>[0]): string => `${qName(q)} ${typeName(qType(q))}`;

  it('derives every width', () => {
    expect(f.params.pe).toBe(16);
    expect(name(f.data)).toBe('Q15.17 s32');
    expect(name(f.scale)).toBe('Q2.30 s32');
    expect(name(f.scaleProduct)).toBe('Q17.47 s64');
    expect(name(f.qScaled)).toBe('Q15.17 s32');
    expect(name(f.product)).toBe('Q30.34 s64');
    expect(name(f.dotPartial)).toBe('Q34.34 s68');
    expect(name(f.dotAcc)).toBe('Q37.34 s71');
    expect(name(f.score)).toBe('Q15.17 s32');
    expect(name(f.max)).toBe('Q15.17 s32');
    expect(name(f.exp2In)).toBe('Q15.17 s32');
    expect(name(f.exp2Out)).toBe('UQ1.30 u31');
    expect(name(f.exp2Table)).toBe('UQ2.30 u32');
    expect(name(f.z)).toBe('UQ15.30 u45');
    expect(name(f.y)).toBe('Q29.30 s59');
    expect(name(f.recip)).toBe('UQ2.40 u42');
    expect(f.recipSteps).toBe(70);
    expect(name(f.outProduct)).toBe('Q32.70 s102');
    expect(name(f.out)).toBe('Q15.17 s32');
    expect(f.cyclesPerToken).toBe(8);
    expect(describeFormats(f)).toContain('Z accumulator: UQ15.30 (u45)');
  });

  it("'shift' keeps an integer running max", () => {
    const g = laneFormats({ headDim: 128, rescale: 'shift' });
    expect(name(g.max)).toBe('Q16.0 s16');
    expect(typeName(g.shiftAmount)).toBe('u16');
  });

  it('widths follow the parameters', () => {
    const g = laneFormats({ headDim: 64, pe: 64, maxContext: 1000 });
    expect(name(g.dotAcc)).toBe('Q36.34 s70'); // 64 * 2^62 = 2^68 -> 70 bits signed
    expect(name(g.dotPartial)).toBe('Q36.34 s70');
    expect(name(g.z)).toBe('UQ10.30 u40'); // 1000 < 2^10
    expect(name(g.y)).toBe('Q25.30 s55'); // 1000 * 2^14 < 2^24: 25 integer bits with sign
    expect(g.cyclesPerToken).toBe(1);
    const h = laneFormats({ headDim: 128, maxContext: 32768 }); // 2^15 needs 16 integer bits (16385 still fits 15)
    expect(name(h.z)).toBe('UQ16.30 u46');
  });

  it('the accumulator bounds hold at the extremes (no overflow up to maxContext)', () => {
    // Dot: d products of (-2^31)^2 = 2^62 each.
    const dotMax = 128n * (1n << 62n);
    const t = qType(f.dotAcc);
    expect(dotMax <= (1n << BigInt(t.width - 1)) - 1n).toBe(true);
    // Y: maxContext * (-2^14) in Q29.30.
    const yMin = -16384n * (1n << 31n) * (1n << 13n);
    expect(yMin >= -(1n << BigInt(qType(f.y).width - 1))).toBe(true);
    // Z: maxContext * 1.0.
    expect(16384n << 30n <= (1n << BigInt(qType(f.z).width)) - 1n).toBe(true);
  });
});

describe('parameter validation', () => {
  it('names the bad value and the accepted range', () => {
    expect(() => laneFormats({ headDim: 0 })).toThrow(/headDim = 0 is out of range: accepted integers 1..4096/);
    expect(() => laneFormats({ headDim: 128, pe: 129 })).toThrow(/pe = 129 is out of range: accepted integers 1..128/);
    expect(() => laneFormats({ headDim: 128, maxContext: 0 })).toThrow(/maxContext = 0 .* accepted integers 1..16777216/);
    expect(() => laneFormats({ headDim: 128, exp2: { interpBits: 11 } })).toThrow(
      /scoreFormat Q15.17 has 17 fraction bits but .* 5 \+ 11 = 16: accepted equal counts/,
    );
    expect(() => laneFormats({ headDim: 128, dataFormat: Q(15, 17, false) })).toThrow(/dataFormat = UQ15.17 must be signed/);
    expect(() => laneFormats({ headDim: 128, accFracBits: 10 })).toThrow(/accFracBits = 10 .* accepted integers 17..64/);
    expect(() => laneFormats({ headDim: 128, rescale: 'lazy' as 'shift' })).toThrow(/rescale = 'lazy' is not supported: accepted 'multiply', 'shift'/);
    expect(() => laneFormats({ headDim: 1.5 })).toThrow(/headDim = 1.5/);
  });

  it('a consistent non-default configuration is accepted', () => {
    const p = resolveLaneParams({ headDim: 64, dataFormat: Q(12, 20), scoreFormat: Q(12, 16), exp2: { indexBits: 6, interpBits: 10, tableFracBits: 28 } });
    expect(p.accFracBits).toBe(28);
    const f = laneFormats(p);
    expect(qName(f.exp2Out)).toBe('UQ1.28');
    expect(qName(f.product)).toBe('Q24.40');
  });
});

describe('scaleConstant: round(log2(e)/sqrt(d) * 2^30), exact', () => {
  it('matches 80-digit decimal values', () => {
    // From Python decimal (prec 80): log2(e)/sqrt(d) * 2^30.
    expect(scaleConstant(1, 30)).toBe(1549082005n); // ...004.6799
    expect(scaleConstant(2, 30)).toBe(1095366390n); // ...390.1232
    expect(scaleConstant(64, 30)).toBe(193635251n); // ...250.5850
    expect(scaleConstant(100, 30)).toBe(154908200n); // ...200.4680
    expect(scaleConstant(128, 30)).toBe(136920799n); // ...798.7654
  });

  it('agrees with float64 for many d', () => {
    for (let d = 1; d <= 512; d++) {
      const c = scaleConstant(d, 30);
      const fl = (Math.LOG2E / Math.sqrt(d)) * 2 ** 30;
      if (Math.abs(Number(c) - fl) > 0.5 + 1e-6) throw new Error(`scaleConstant(${d}) = ${c}, float ${fl}`);
    }
  });

  it('isqrt', () => {
    expect(isqrt(0n)).toBe(0n);
    expect(isqrt(15n)).toBe(3n);
    expect(isqrt(16n)).toBe(4n);
    expect(isqrt((1n << 200n) + 5n)).toBe(1n << 100n);
  });
});
