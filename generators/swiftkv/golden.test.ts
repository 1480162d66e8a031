import { describe, it, expect } from 'vitest';
import { goldenAttention, recipExact, type GoldenResult, shiftRightRne } from './golden.ts';
import { exp2Table, EXP2_DEFAULTS } from './exp2.ts';
import { scaleConstant } from './numerics.ts';
import { referenceAttentionRaw, dequantize, quantize, errorReport, makeRng, type Rng } from '../../verify/reference.ts';
import { Value } from '../../hdl/value.ts';
import { valueArith } from '../../hdl/arith.ts';
import { s as sT, u as uT } from '../../hdl/types.ts';

type Rescale = 'multiply' | 'shift';
const LONG = process.env.SWIFTKV_LONG === '1';

// ---------------------------------------------------------------------------------------------
// An independent model of the default configuration on plain BigInt, written from the
// specification in golden.ts / exp2.ts (general formulas: Z = R(alpha Z) + beta,
// Y = R(alpha Y) + R(beta v), no one-multiplier muxing, no Bits<T>).
// ---------------------------------------------------------------------------------------------

function rne(x: bigint, n: bigint): bigint {
  if (n === 0n) return x;
  const fl = x >> n;
  const rem = x - (fl << n);
  const half = 1n << (n - 1n);
  return rem > half || (rem === half && (fl & 1n) === 1n) ? fl + 1n : fl;
}
const satS = (x: bigint, w: number): bigint => {
  const hi = (1n << BigInt(w - 1)) - 1n;
  const lo = -(1n << BigInt(w - 1));
  return x > hi ? hi : x < lo ? lo : x;
};
const satU = (x: bigint, w: number): bigint => {
  const hi = (1n << BigInt(w)) - 1n;
  return x > hi ? hi : x < 0n ? 0n : x;
};
const TABLE = exp2Table();
const ONE = 1n << 30n;
function modelExp2(x: bigint): bigint {
  if (x > 0n) throw new Error(`model exp2 of positive ${x}`);
  const n = -(x >> 17n);
  if (n >= 32n) return 0n;
  const fr = x & ((1n << 17n) - 1n);
  const i = Number(fr >> 12n);
  const t = fr & 4095n;
  const M = TABLE[i]! * 4096n + (TABLE[i + 1]! - TABLE[i]!) * t;
  return rne(M, 12n + n);
}

function modelAttention(q: bigint[], k: bigint[][], v: bigint[][], rescale: Rescale): bigint[] {
  const d = q.length;
  const c = scaleConstant(d, 30);
  const qp = q.map((x) => satS(rne(x * c, 30n), 32));
  let m = 0n;
  let Z = 0n;
  const Y: bigint[] = new Array<bigint>(d).fill(0n);
  for (let t = 0; t < k.length; t++) {
    let dot = 0n;
    for (let i = 0; i < d; i++) dot += qp[i]! * k[t]![i]!;
    const s = satS(rne(dot, 17n), 32);
    let alphaMul: (x: bigint) => bigint;
    let beta: bigint;
    if (rescale === 'multiply') {
      const mOld = t === 0 ? s : m;
      if (s > mOld) {
        const alpha = modelExp2(satS(mOld - s, 32));
        alphaMul = (x) => rne(alpha * x, 30n);
        beta = ONE;
        m = s;
      } else {
        alphaMul = (x) => x; // alpha = 1
        beta = modelExp2(satS(s - mOld, 32));
        m = mOld;
      }
    } else {
      const ceil = -(-s >> 17n);
      const mOld = t === 0 ? ceil : m;
      const mNew = ceil > mOld ? ceil : mOld;
      const sh = mNew - mOld;
      alphaMul = (x) => rne(x, sh);
      beta = modelExp2(satS(s - (mNew << 17n), 32));
      m = mNew;
    }
    Z = satU(alphaMul(Z) + beta, 45);
    for (let j = 0; j < d; j++) Y[j] = satS(alphaMul(Y[j]!) + rne(beta * (v[t]![j]! << 13n), 30n), 59);
  }
  const r = recipExact(Z, 70);
  return Y.map((y) => satS(rne(y * r, 53n), 32));
}

// ---------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------

interface Case {
  q: bigint[];
  k: bigint[][];
  v: bigint[][];
}

function randomCase(rng: Rng, d: number, L: number, gen: (rng: Rng) => number = (r) => r.normal()): Case {
  const vec = (): bigint[] => quantize(Array.from({ length: d }, () => gen(rng)));
  return { q: vec(), k: Array.from({ length: L }, vec), v: Array.from({ length: L }, vec) };
}

function firstDiff(a: bigint[], b: bigint[]): string {
  const i = a.findIndex((x, j) => x !== b[j]);
  return i < 0 ? 'none' : `o[${i}]: golden ${a[i]} vs model ${b[i]}`;
}

/**
 * The derived error bound of the golden model against the float64 reference (see the report):
 *   |o - o_ref| <= 2^-18 (output RNE) + 2 max|v| eps/(1 - eps) + 4 L 2^-30 (1 + max|v|) + max|v| 2^-26
 * with eps the relative error of one softmax weight: (1 + e_exp)^(1 + R) 2^(2 ds) - 1, e_exp the
 * exp2 interpolation bound (5.99e-5), R the number of multiply rescales (max changes; 0 for
 * 'shift', where alpha is an exact shift), ds the score error in log2 units:
 * 2^-18 (1 + max_t sum_i |k_t,i|) (q' and s rounding) + max|s| 2^-27 (the constant c).
 */
function errorBound(c: Case, g: GoldenResult, rescale: Rescale): number {
  const H = 2 ** -EXP2_DEFAULTS.indexBits;
  const eExp = (H * H * Math.LN2 * Math.LN2 * 2 ** H) / 8;
  const L = c.k.length;
  const kf = c.k.map((r) => dequantize(r));
  const vmax = Math.max(...c.v.map((r) => Math.max(...dequantize(r).map(Math.abs))));
  const sumK = Math.max(...kf.map((r) => r.reduce((a, b) => a + Math.abs(b), 0)));
  const tokens = g.trace!.tokens;
  const smax = Math.max(...tokens.map((t) => Math.abs(Number(t.s) / 2 ** 17)));
  const R = rescale === 'multiply' ? tokens.filter((t) => t.sNew === 1).length : 0;
  const ds = 2 ** -18 * (1 + sumK) + smax * 2 ** -27;
  const eps = (1 + eExp) ** (1 + R) * 2 ** (2 * ds) - 1;
  return 2 ** -18 + (2 * vmax * eps) / (1 - eps) + 4 * L * 2 ** -30 * (1 + vmax) + vmax * 2 ** -26;
}

function compare(label: string, c: Case, rescale: Rescale, seed: number): { rel: number; bound: number; g: GoldenResult } {
  const g = goldenAttention(c.q, c.k, c.v, { rescale, trace: true });
  const ref = referenceAttentionRaw(c.q, c.k, c.v);
  const rep = errorReport(dequantize(g.o), ref);
  const bound = errorBound(c, g, rescale) / rep.maxRef;
  const maxChanges = g.trace!.tokens.filter((t, i) => i > 0 && (t.sNew === 1 || t.shift > 0)).length;
  console.log(
    `${label} [${rescale}] seed ${seed}: relative error ${rep.relative.toExponential(3)} ` +
      `(max|o-o_ref| ${rep.maxAbs.toExponential(3)} at o[${rep.at}], max|o_ref| ${rep.maxRef.toPrecision(4)}; ` +
      `derived bound ${bound.toExponential(3)}; max changes ${maxChanges})`,
  );
  if (!(rep.relative <= bound)) {
    throw new Error(`${label} [${rescale}] seed ${seed}: relative error ${rep.relative} exceeds the derived bound ${bound} (worst at o[${rep.at}])`);
  }
  return { rel: rep.relative, bound, g };
}

// ---------------------------------------------------------------------------------------------

describe('golden model: bit-exact against an independent BigInt model', () => {
  for (const rescale of ['multiply', 'shift'] as const) {
    it(`random small cases, including saturating extremes [${rescale}]`, () => {
      const seed = 0xc0ffee + (rescale === 'shift' ? 1 : 0);
      const rng = makeRng(seed);
      const gens: [string, (r: Rng) => number][] = [
        ['normal', (r) => r.normal()],
        ['wide', (r) => r.normal() * 40],
        ['extreme', (r) => (r.next() < 0.5 ? -16384 : 16383.99999) * (r.next() < 0.8 ? 1 : r.next())],
        ['tiny', (r) => r.normal() * 2 ** -12],
      ];
      for (const [name, gen] of gens) {
        for (const [d, L] of [[1, 1], [1, 7], [3, 2], [8, 33], [16, 12]] as const) {
          const c = randomCase(rng, d, L, gen);
          const g = goldenAttention(c.q, c.k, c.v, { rescale });
          const m = modelAttention(c.q, c.k, c.v, rescale);
          if (g.o.some((x, i) => x !== m[i])) {
            throw new Error(`${rescale} ${name} d=${d} L=${L} seed ${seed}: ${firstDiff(g.o, m)}`);
          }
        }
      }
    });
  }

  it('increasing scores (a max change at every token) agree too', () => {
    const rng = makeRng(7);
    const d = 8;
    const q = quantize(Array.from({ length: d }, () => 1));
    const k = Array.from({ length: 50 }, (_, t) => quantize(Array.from({ length: d }, () => t * 0.37 + rng.next() * 0.01)));
    const v = Array.from({ length: 50 }, () => quantize(Array.from({ length: d }, () => rng.normal())));
    for (const rescale of ['multiply', 'shift'] as const) {
      const g = goldenAttention(q, k, v, { rescale, trace: true });
      const m = modelAttention(q, k, v, rescale);
      expect(firstDiff(g.o, m)).toBe('none');
      if (rescale === 'multiply') expect(g.trace!.tokens.slice(1).every((t) => t.sNew === 1)).toBe(true);
    }
  });
});

describe('golden model: structure', () => {
  it('L = 1 returns v exactly (Z = 1, 1/Z = 2^40 exact)', () => {
    const rng = makeRng(11);
    for (const rescale of ['multiply', 'shift'] as const) {
      const c = randomCase(rng, 16, 1, (r) => r.normal() * 100);
      const g = goldenAttention(c.q, c.k, c.v, { rescale, trace: true });
      expect(firstDiff(g.o, c.v[0]!)).toBe('none');
      if (rescale === 'multiply') expect(g.trace!.z).toBe(ONE);
    }
  });

  it('all scores tied: Z = L exactly and o = RNE(mean v) (L a power of two)', () => {
    const rng = makeRng(12);
    const d = 8;
    const L = 64;
    const key = quantize(Array.from({ length: d }, () => rng.normal()));
    const q = quantize(Array.from({ length: d }, () => rng.normal()));
    const k = Array.from({ length: L }, () => [...key]);
    const v = Array.from({ length: L }, () => quantize(Array.from({ length: d }, () => rng.normal())));
    for (const rescale of ['multiply', 'shift'] as const) {
      const g = goldenAttention(q, k, v, { rescale, trace: true });
      const tr = g.trace!;
      if (rescale === 'multiply') {
        expect(tr.z).toBe(BigInt(L) * ONE);
        expect(tr.tokens.every((t) => t.sNew === 0 && t.e === ONE)).toBe(true);
        for (let j = 0; j < d; j++) {
          const sum = v.reduce((a, r) => a + r[j]!, 0n);
          expect(g.o[j], `o[${j}]`).toBe(rne(sum, 6n));
        }
      } else {
        // beta = 2^(s - ceil(s)) for every token: Z = L * beta.
        expect(tr.z).toBe(BigInt(L) * tr.tokens[0]!.e);
        expect(tr.tokens.slice(1).every((t) => t.shift === 0)).toBe(true);
      }
    }
  });

  it('a tie with the running max keeps m and uses alpha = beta = 1', () => {
    const q = quantize([1, 0.5, -0.25, 2]);
    const k = [quantize([1, 1, 1, 1]), quantize([0, 0, 0, 0]), quantize([1, 1, 1, 1])];
    const v = [quantize([1, 2, 3, 4]), quantize([5, 6, 7, 8]), quantize([9, 10, 11, 12])];
    const g = goldenAttention(q, k, v, { trace: true });
    const [t0, t1, t2] = g.trace!.tokens;
    expect(t2!.s).toBe(t0!.s);
    expect(t2!.sNew).toBe(0);
    expect(t2!.x).toBe(0n);
    expect(t2!.e).toBe(ONE);
    expect(t1!.sNew).toBe(0);
    expect(t2!.m).toBe(t0!.s);
  });

  it('Z stays >= 1 (multiply) and > 1/2 (shift)', () => {
    const rng = makeRng(13);
    const c = randomCase(rng, 8, 200, (r) => r.normal() * 3);
    const gm = goldenAttention(c.q, c.k, c.v, { trace: true });
    expect(gm.trace!.tokens.every((t) => t.z >= ONE)).toBe(true);
    const gs = goldenAttention(c.q, c.k, c.v, { rescale: 'shift', trace: true });
    expect(gs.trace!.tokens.every((t) => t.z > ONE / 2n)).toBe(true);
    // 'shift': the running max is integral and beta in (1/2, 1] whenever the max moved to ceil(s).
    for (const t of gs.trace!.tokens) if (t.m === -(-t.s >> 17n)) expect(t.e > ONE / 2n && t.e <= ONE).toBe(true);
  });

  it('constant v saturates cleanly at the ends of Q15.17', () => {
    const rng = makeRng(14);
    for (const val of [-(1n << 31n), (1n << 31n) - 1n]) {
      const c = randomCase(rng, 4, 20);
      const v = c.v.map((r) => r.map(() => val));
      for (const rescale of ['multiply', 'shift'] as const) {
        const g = goldenAttention(c.q, c.k, v, { rescale });
        for (const o of g.o) expect(o >= val - 2n && o <= val + 2n, `o = ${o} vs v = ${val}`).toBe(true);
      }
    }
  });

  it('rejects bad inputs with clear errors', () => {
    expect(() => goldenAttention([1n, 2n], [], [])).toThrow(/context length L = 0 is out of range: accepted 1..16384/);
    expect(() => goldenAttention([1n, 2n], [[1n, 2n]], [[1n]])).toThrow(/v\[0\] has 1 elements: accepted 2/);
    expect(() => goldenAttention([1n << 40n], [[1n]], [[1n]])).toThrow(/q\[0\] = 1099511627776 does not fit the data format Q15.17/);
    expect(() => goldenAttention([1n], [[1n], [1n]], [[1n], [1n]], { maxContext: 1 })).toThrow(/L = 2 is out of range: accepted 1..1/);
  });
});

describe('reciprocal and rounding helpers', () => {
  it('recipExact is RNE(2^K / Z)', () => {
    expect(recipExact(1n << 30n, 70)).toBe(1n << 40n);
    expect(recipExact(3n, 4)).toBe(5n); // 16/3 = 5.33
    expect(recipExact(32n, 4)).toBe(0n); // 0.5 -> even 0
    expect(recipExact(32n / 3n * 0n + 10n, 4)).toBe(2n); // 1.6 -> 2
  });

  it('shiftRightRne = RNE(x / 2^k) for signed and unsigned x and any k', () => {
    const rng = makeRng(21);
    for (const signed of [true, false]) {
      const w = 13;
      const t = signed ? sT(w) : uT(w);
      for (let n = 0; n < 3000; n++) {
        const raw = signed ? BigInt(rng.int(-(1 << (w - 1)), 1 << (w - 1))) : BigInt(rng.int(0, 1 << w));
        const k = rng.int(0, w + 6);
        const kv = Value.of(k, uT(rng.next() < 0.5 ? 5 : 8));
        const got = shiftRightRne(valueArith, Value.of(raw, t), kv).toBigInt();
        const want = rne(raw, BigInt(k));
        if (got !== want) throw new Error(`shiftRightRne(${raw} ${signed ? 's' : 'u'}${w}, ${k}) = ${got}, expected ${want}`);
      }
    }
  });
});

describe('golden vs float64 reference (relative error max|o - o_ref| / max|o_ref|)', () => {
  const d = 128;
  const lengths = LONG ? [1, 128, 1024, 4096, 16384] : [1, 128, 1024];
  for (const L of lengths) {
    it(`d = ${d}, L = ${L}, q, k, v ~ N(0, 1)`, () => {
      const seed = 1000 + L;
      const c = randomCase(makeRng(seed), d, L);
      const m = compare(`d=${d} L=${L} normal`, c, 'multiply', seed);
      const s = compare(`d=${d} L=${L} normal`, c, 'shift', seed);
      // Besides the (loose, worst-case) derived bound: the measured figure stays small.
      expect(m.rel).toBeLessThan(5e-4);
      expect(s.rel).toBeLessThan(5e-4);
    }, 120_000);
  }

  it('uniform [-1, 1] data, L = 256 (a nearly flat softmax)', () => {
    const seed = 77;
    const c = randomCase(makeRng(seed), d, 256, (r) => r.uniform(-1, 1));
    compare('d=128 L=256 uniform', c, 'multiply', seed);
    compare('d=128 L=256 uniform', c, 'shift', seed);
  });

  it('outlier channels (two channels: k x10, q x2)', () => {
    const seed = 78;
    const rng = makeRng(seed);
    const c = randomCase(rng, 64, 256);
    const outl = (r: bigint[], scale: number): bigint[] => {
      const f = dequantize(r);
      f[3] = f[3]! * scale;
      f[41] = f[41]! * scale;
      return quantize(f);
    };
    const oc: Case = { q: outl(c.q, 2), k: c.k.map((r) => outl(r, 10)), v: c.v };
    compare('d=64 L=256 outliers', oc, 'multiply', seed);
    compare('d=64 L=256 outliers', oc, 'shift', seed);
  });

  it('the running max changes on the first / middle / last token', () => {
    const seed = 79;
    const rng = makeRng(seed);
    const dd = 64;
    const L = 200;
    for (const [where, p] of [['first', 0], ['middle', L / 2], ['last', L - 1]] as const) {
      const c = randomCase(rng, dd, L);
      const qf = dequantize(c.q);
      // A key aligned with q: its score is about 1.5 * sum|q| / sqrt(d) (~9.6), far above the rest.
      c.k[p] = quantize(qf.map((x) => Math.sign(x) * 1.5));
      for (const rescale of ['multiply', 'shift'] as const) {
        const tr = compare(`d=64 L=200 max at ${where}`, c, rescale, seed).g.trace!.tokens;
        const mP = tr[p]!.m;
        // After token p the running max never changes again.
        expect(tr.slice(p).every((t) => t.m === mP), `max stays at token ${p}`).toBe(true);
        if (rescale === 'multiply' && p > 0) expect(tr[p]!.sNew, `token ${p} is a new max`).toBe(1);
      }
    }
  });
});
