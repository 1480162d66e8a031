/**
 * What the weight width costs in accuracy: y = W x with W quantised to INT4 or INT8 (symmetric,
 * one scale per row and group of G columns, absmax) and x to INT8 (one scale), against float64
 * on Gaussian data. The GEMV engine computes the integer products and group sums exactly, so
 * this quantisation is its whole error; the rounding of the scales to 16 bits is not modelled.
 */
import type { Rng } from '../verify/rng.ts';
import { makeRng } from '../verify/rng.ts';

function gaussian(rng: Rng): number {
  const u1 = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.next());
}

/** Symmetric quantisation of xs to `bits` signed bits with one absmax scale: integers and the scale. */
export function quantizeSymmetric(xs: readonly number[], bits: number): { q: number[]; scale: number } {
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw new RangeError(`bits = ${bits}: accepted integers 2..16`);
  const qmax = 2 ** (bits - 1) - 1;
  const amax = Math.max(...xs.map(Math.abs));
  const scale = amax > 0 ? amax / qmax : 1;
  return { q: xs.map((x) => Math.max(-qmax - 1, Math.min(qmax, Math.round(x / scale)))), scale };
}

/** max |y - y_ref| / max |y_ref| of an M x N GEMV with `weights`-bit weights in groups of G. */
export function gemvQuantError(weights: 4 | 8, o: { M: number; N: number; G: number; seed: number }): number {
  if (o.N % o.G !== 0) throw new RangeError(`N = ${o.N} is not a multiple of the group G = ${o.G}`);
  const rng = makeRng(o.seed);
  const x = Array.from({ length: o.N }, () => gaussian(rng));
  const xq = quantizeSymmetric(x, 8);
  let maxErr = 0;
  let maxRef = 0;
  for (let r = 0; r < o.M; r++) {
    const w = Array.from({ length: o.N }, () => gaussian(rng));
    let ref = 0;
    let y = 0;
    for (let g0 = 0; g0 < o.N; g0 += o.G) {
      const wq = quantizeSymmetric(w.slice(g0, g0 + o.G), weights);
      let acc = 0;
      for (let j = 0; j < o.G; j++) {
        ref += w[g0 + j]! * x[g0 + j]!;
        acc += wq.q[j]! * xq.q[g0 + j]!;
      }
      y += acc * wq.scale * xq.scale;
    }
    maxErr = Math.max(maxErr, Math.abs(y - ref));
    maxRef = Math.max(maxRef, Math.abs(ref));
  }
  return maxErr / maxRef;
}
