/**
 * Packed vectors: n elements of one type side by side in a word, element 0 in the low bits
 * (the layout of every stream beat of the accelerator).
 */
import { type Expr, type HwType, cat } from '../../hdl/index.ts';

/** Split a packed word into n elements of type t (element 0 in the low bits). */
export function unpack(word: Expr, n: number, t: HwType): Expr[] {
  if (word.width !== n * t.width) throw new RangeError(`unpack: a ${word.width}-bit word does not hold ${n} elements of ${t.width} bits`);
  return Array.from({ length: n }, (_, i) => {
    const e = word.slice((i + 1) * t.width - 1, i * t.width);
    return t.signed ? e.asSigned() : e;
  });
}

/** Pack elements into one word, element 0 in the low bits. */
export function pack(elems: readonly Expr[]): Expr {
  return cat(...[...elems].reverse());
}

/** Raw values packed into one integer, element 0 in the low bits (for stimulus). */
export function packValues(values: readonly bigint[], width: number): bigint {
  let w = 0n;
  for (let i = values.length - 1; i >= 0; i--) w = (w << BigInt(width)) | BigInt.asUintN(width, values[i]!);
  return w;
}

/** The inverse of packValues: n signed (or unsigned) elements of `width` bits. */
export function unpackValues(word: bigint, n: number, width: number, signed: boolean): bigint[] {
  return Array.from({ length: n }, (_, i) => {
    const raw = BigInt.asUintN(width, word >> BigInt(i * width));
    return signed ? BigInt.asIntN(width, raw) : raw;
  });
}
