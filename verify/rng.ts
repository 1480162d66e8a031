/**
 * Seeded deterministic PRNG (xoshiro128**, seeded through splitmix32) so every random test
 * reproduces from the seed it prints.
 */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive), for spans up to 2^32. */
  int(lo: number, hi: number): number;
  /** Uniform bigint with `bits` random bits (0 .. 2^bits - 1). */
  bits(bits: number): bigint;
  pick<T>(items: readonly T[]): T;
}

export function makeRng(seed: number): Rng {
  let x = seed >>> 0;
  const split = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const st = [split(), split(), split(), split()];
  const rotl = (v: number, k: number): number => ((v << k) | (v >>> (32 - k))) >>> 0;
  const u32 = (): number => {
    const result = Math.imul(rotl(Math.imul(st[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (st[1]! << 9) >>> 0;
    st[2]! ^= st[0]!;
    st[3]! ^= st[1]!;
    st[1]! ^= st[2]!;
    st[0]! ^= st[3]!;
    st[2]! ^= t;
    st[3] = rotl(st[3]!, 11);
    return result;
  };
  const rng: Rng = {
    seed,
    next: () => u32() / 2 ** 32,
    int: (lo, hi) => lo + Math.floor((u32() / 2 ** 32) * (hi - lo + 1)),
    bits: (n) => {
      let v = 0n;
      for (let i = 0; i < n; i += 32) v = (v << 32n) | BigInt(u32());
      return BigInt.asUintN(n, v);
    },
    pick: (items) => items[Math.floor((u32() / 2 ** 32) * items.length)]!,
  };
  return rng;
}
