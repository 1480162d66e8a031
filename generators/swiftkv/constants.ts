/**
 * Exact constants of the SwiftKV numerics, in BigInt with no floating-point rounding: integer
 * roots (for the exp2 table) and c = log2(e)/sqrt(d) rounded to a given number of fraction bits.
 */

function checkInt(name: string, value: number, lo: number, hi: number): number {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new RangeError(`${name} = ${value} is out of range: accepted integers ${lo}..${hi}`);
  }
  return value;
}

/** floor(sqrt(a)) for a >= 0, exact. */
export function isqrt(a: bigint): bigint {
  if (a < 0n) throw new RangeError(`isqrt of negative ${a}`);
  if (a < 2n) return a;
  let x = 1n << BigInt(Math.ceil(a.toString(2).length / 2));
  for (;;) {
    const y = (x + a / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(a^(1/n)) for a >= 0, n >= 1, exact (bit-by-bit: set each bit if the power stays <= a). */
export function iroot(a: bigint, n: number): bigint {
  if (a < 0n || !Number.isInteger(n) || n < 1) throw new RangeError(`iroot(${a}, ${n}): need a >= 0, integer n >= 1`);
  const N = BigInt(n);
  const bits = Math.ceil(a.toString(2).length / n) + 1;
  let x = 0n;
  for (let b = bits; b >= 0; b--) {
    const c = x | (1n << BigInt(b));
    if (c ** N <= a) x = c;
  }
  return x;
}

const LN2_BITS = 192;
/** ln(2) * 2^192 with an error below 2^-20 * 2^0 (guarded below), from ln 2 = sum_{k>=1} 1/(k 2^k). */
function ln2Scaled(): { lo: bigint; hi: bigint } {
  const G = 32n;
  const P = BigInt(LN2_BITS) + G;
  let s = 0n;
  let terms = 0n;
  for (let k = 1n; k <= P + 8n; k++) {
    s += (1n << P) / (k << k); // each term floored: total error < number of terms (units of 2^-P)
    terms++;
  }
  // Tail sum_{k > P+8} 1/(k 2^k) < 2^-(P+8); floors lose < terms units. So true*2^P in [s, s + terms + 1].
  return { lo: s >> G, hi: ((s + terms + 1n) >> G) + 1n };
}

/**
 * round(log2(e) / sqrt(d) * 2^fracBits), exact. With T = log2(e) * 2^f / sqrt(d):
 * round(T) = floor((floor(2T) + 1) / 2) and floor(2T) = isqrt(floor(4 T^2)); T^2 = 2^(2f) /
 * (d ln(2)^2) is computed from bounds on ln 2 (192 bits), and the result is accepted only if
 * both bounds give the same integer (they do for every d we accept; T is irrational, no ties).
 */
export function scaleConstant(d: number, fracBits: number): bigint {
  checkInt('headDim', d, 1, 1 << 20);
  checkInt('scaleFracBits', fracBits, 0, 120);
  const { lo, hi } = ln2Scaled();
  const P2 = 2n * BigInt(LN2_BITS);
  const f2 = 2n * BigInt(fracBits);
  const at = (ln2: bigint): bigint => {
    // 4 T^2 = 4 * 2^(2f) * 2^(2*LN2_BITS) / (d * ln2Scaled^2)
    const four = ((4n << f2) << P2) / (BigInt(d) * ln2 * ln2);
    return (isqrt(four) + 1n) >> 1n;
  };
  const a = at(hi);
  const b = at(lo);
  if (a !== b) throw new Error(`scaleConstant(${d}, ${fracBits}): rounding could not be verified (${a} vs ${b})`);
  return a;
}
