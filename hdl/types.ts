/** Hardware types: a bit width and a signedness. Nothing else is implicit. */
export interface HwType {
  readonly width: number;
  readonly signed: boolean;
}

/** Widths above this are almost certainly a generator bug (packed buses of wide arrays reach 8K). */
export const MAX_WIDTH = 1 << 16;

function checkWidth(width: number): number {
  if (!Number.isInteger(width) || width < 1 || width > MAX_WIDTH) {
    throw new RangeError(`width ${width} is out of range: accepted 1..${MAX_WIDTH}`);
  }
  return width;
}

/** Unsigned type of `width` bits. */
export function u(width: number): HwType {
  return { width: checkWidth(width), signed: false };
}

/** Signed (two's complement) type of `width` bits. */
export function s(width: number): HwType {
  return { width: checkWidth(width), signed: true };
}

export const bool: HwType = u(1);

export function sameType(a: HwType, b: HwType): boolean {
  return a.width === b.width && a.signed === b.signed;
}

/** `u8`, `s33`: the notation used in every diagnostic. */
export function typeName(t: HwType): string {
  return `${t.signed ? 's' : 'u'}${t.width}`;
}

export function minValue(t: HwType): bigint {
  return t.signed ? -(1n << BigInt(t.width - 1)) : 0n;
}

export function maxValue(t: HwType): bigint {
  return t.signed ? (1n << BigInt(t.width - 1)) - 1n : (1n << BigInt(t.width)) - 1n;
}

export function fits(value: bigint, t: HwType): boolean {
  return value >= minValue(t) && value <= maxValue(t);
}

/** Bits needed to hold `value` in the given signedness (at least 1). */
export function bitsFor(value: bigint, signed: boolean): number {
  if (!signed) {
    if (value < 0n) throw new RangeError(`negative value ${value} has no unsigned width`);
    return Math.max(1, value.toString(2).length);
  }
  const magnitude = value < 0n ? -value - 1n : value;
  return (magnitude === 0n ? 0 : magnitude.toString(2).length) + 1;
}

/** Bits needed to count 0..n-1 (address width of a memory of depth n); at least 1. */
export function clog2(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`clog2 of ${n}: accepted integers >= 1`);
  let w = 0;
  while (1 << w < n) w++;
  return Math.max(1, w);
}
