/**
 * Accuracy of the golden model (bit-exact with the RTL) against float64 attention, d = 128,
 * seeds 7 + L. Each bound is the figure measured when the datapath was last changed, plus 30 %:
 * a numeric change that costs accuracy fails here (the goal, 5e-4, is far looser).
 * `make sim` prints the table up to L = 16384.
 */
import { describe, it, expect } from 'vitest';
import { accuracyPoints } from './accuracy.ts';

// Measured (node --import tsx on accuracyPoints, 2026-11-30): [multiply, shift].
const MEASURED: Record<string, [number, number]> = {
  '128 normal': [4.205e-5, 4.891e-5],
  '128 outliers': [7.736e-5, 6.127e-5],
  '1024 normal': [1.082e-4, 7.259e-5],
  '1024 outliers': [7.074e-5, 9.357e-5],
};

describe('golden model accuracy against float64 (d = 128)', () => {
  it('L = 128 and 1024, normal and outlier-channel data, both rescale options: within 1.3x of the recorded figures and under 5e-4', async () => {
    const points = await accuracyPoints({ d: 128, Ls: [128, 1024], seed: 7 });
    expect(points.length).toBe(4);
    for (const p of points) {
      const [m, s] = MEASURED[`${p.L} ${p.kind}`]!;
      expect(p.multiply, `L=${p.L} ${p.kind} rescale multiply`).toBeLessThanOrEqual(1.3 * m);
      expect(p.shift, `L=${p.L} ${p.kind} rescale shift`).toBeLessThanOrEqual(1.3 * s);
      expect(Math.max(p.multiply, p.shift), `L=${p.L} ${p.kind}: the 5e-4 goal`).toBeLessThan(5e-4);
    }
  }, 300_000);
});
