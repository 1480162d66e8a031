/**
 * Value: a software bit vector (BigInt, width, signedness) that evaluates every IR operator
 * exactly as the emitted Verilog does. Golden models compute with it, and the TypeScript
 * simulator evaluates the IR with it, so the three agree by construction.
 */
import { type HwType, typeName, fits, bitsFor, MAX_WIDTH } from './types.ts';
import { type BinaryOp, type UnaryOp, binaryResult, unaryResult, signedView } from './rules.ts';

export type ValueLike = Value | bigint | number;

function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

export class Value implements HwType {
  /** Raw bits, always in 0 .. 2^width - 1. */
  readonly bits: bigint;
  readonly width: number;
  readonly signed: boolean;

  private constructor(bits: bigint, width: number, signed: boolean) {
    this.bits = bits;
    this.width = width;
    this.signed = signed;
  }

  /** Wraps `value` modulo 2^width into the given type (no range check). */
  static wrap(value: bigint, t: HwType): Value {
    if (!Number.isInteger(t.width) || t.width < 1 || t.width > MAX_WIDTH) {
      throw new RangeError(`width ${t.width} is out of range: accepted 1..${MAX_WIDTH}`);
    }
    return new Value(BigInt.asUintN(t.width, value), t.width, t.signed);
  }

  /** Exactly `value` in type `t`; a RangeError names the value and the range if it does not fit. */
  static of(value: bigint | number, t: HwType): Value {
    const v = typeof value === 'number' ? toBigInt(value) : value;
    if (!fits(v, t)) {
      throw new RangeError(`value ${v} does not fit ${typeName(t)}`);
    }
    return Value.wrap(v, t);
  }

  /** The smallest value of the given signedness holding `value`. */
  static fit(value: bigint | number, signed: boolean): Value {
    const v = typeof value === 'number' ? toBigInt(value) : value;
    return Value.wrap(v, { width: bitsFor(v, signed || v < 0n), signed: signed || v < 0n });
  }

  get type(): HwType {
    return { width: this.width, signed: this.signed };
  }

  /** The integer this value denotes (two's complement when signed). */
  toBigInt(): bigint {
    return this.signed ? BigInt.asIntN(this.width, this.bits) : this.bits;
  }

  /** As a JS number; throws if it is not exactly representable. */
  toNumber(): number {
    const v = this.toBigInt();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`value ${v} is not exactly representable as a number`);
    }
    return Number(v);
  }

  isTrue(): boolean {
    return this.bits !== 0n;
  }

  toString(): string {
    return `${typeName(this)}:${this.toBigInt()}`;
  }

  private lift(other: ValueLike): Value {
    if (other instanceof Value) return other;
    return Value.fit(typeof other === 'number' ? toBigInt(other) : other, this.signed);
  }

  private binary(op: BinaryOp, otherLike: ValueLike): Value {
    let a: Value = this;
    let b = this.lift(otherLike);
    if (op !== 'shlv' && op !== 'shrv' && a.signed !== b.signed) {
      a = a.toSignedView();
      b = b.toSignedView();
    }
    return evalBinary(op, a, b);
  }

  private toSignedView(): Value {
    return this.signed ? this : Value.wrap(this.bits, signedView(this));
  }

  add(o: ValueLike): Value { return this.binary('add', o); }
  sub(o: ValueLike): Value { return this.binary('sub', o); }
  mul(o: ValueLike): Value { return this.binary('mul', o); }
  and(o: ValueLike): Value { return this.binary('and', o); }
  or(o: ValueLike): Value { return this.binary('or', o); }
  xor(o: ValueLike): Value { return this.binary('xor', o); }
  eq(o: ValueLike): Value { return this.binary('eq', o); }
  ne(o: ValueLike): Value { return this.binary('ne', o); }
  lt(o: ValueLike): Value { return this.binary('lt', o); }
  le(o: ValueLike): Value { return this.binary('le', o); }
  gt(o: ValueLike): Value { return this.binary('gt', o); }
  ge(o: ValueLike): Value { return this.binary('ge', o); }
  shlv(amount: Value): Value { return this.binary('shlv', amount); }
  shrv(amount: Value): Value { return this.binary('shrv', amount); }

  not(): Value { return evalUnary('not', this); }
  neg(): Value { return evalUnary('neg', this); }
  andR(): Value { return evalUnary('redand', this); }
  orR(): Value { return evalUnary('redor', this); }
  xorR(): Value { return evalUnary('redxor', this); }

  /** Constant shift left: width grows by n. */
  shl(n: number): Value {
    return Value.wrap(this.bits << BigInt(n), { width: this.width + n, signed: this.signed });
  }

  /** Constant shift right: drops the n low bits (arithmetic for signed); width shrinks by n. */
  shr(n: number): Value {
    return Value.wrap(this.toBigInt() >> BigInt(n), { width: this.width - n, signed: this.signed });
  }

  /** Bits hi..lo, unsigned. */
  slice(hi: number, lo: number): Value {
    return Value.wrap(this.bits >> BigInt(lo), { width: hi - lo + 1, signed: false });
  }

  bit(i: number): Value {
    return this.slice(i, i);
  }

  /** Zero-extend to `width` bits, unsigned result. */
  zext(width: number): Value {
    return Value.wrap(this.bits, { width, signed: false });
  }

  /** Sign-extend to `width` bits, signed result. */
  sext(width: number): Value {
    return Value.wrap(BigInt.asIntN(this.width, this.bits), { width, signed: true });
  }

  /** Extend (by sign or zero, per signedness) or truncate to `width`; keeps signedness. */
  resize(width: number): Value {
    return Value.wrap(this.toBigInt(), { width, signed: this.signed });
  }

  /** Keep the low `width` bits; keeps signedness. */
  trunc(width: number): Value {
    return Value.wrap(this.bits, { width, signed: this.signed });
  }

  asSigned(): Value {
    return Value.wrap(this.bits, { width: this.width, signed: true });
  }

  asUnsigned(): Value {
    return Value.wrap(this.bits, { width: this.width, signed: false });
  }
}

function toBigInt(n: number): bigint {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${n} is not a safe integer`);
  return BigInt(n);
}

export function evalUnary(op: UnaryOp, a: Value): Value {
  const t = unaryResult(op, a);
  switch (op) {
    case 'not':
      return Value.wrap(~a.bits, t);
    case 'neg':
      return Value.wrap(-a.toBigInt(), t);
    case 'redand':
      return Value.wrap(a.bits === mask(a.width) ? 1n : 0n, t);
    case 'redor':
      return Value.wrap(a.bits !== 0n ? 1n : 0n, t);
    case 'redxor': {
      let x = a.bits;
      let p = 0n;
      while (x) {
        p ^= x & 1n;
        x >>= 1n;
      }
      return Value.wrap(p, t);
    }
  }
}

export function evalBinary(op: BinaryOp, a: Value, b: Value): Value {
  const t = binaryResult(op, a, b);
  const x = a.toBigInt();
  const y = b.toBigInt();
  switch (op) {
    case 'add': return Value.wrap(x + y, t);
    case 'sub': return Value.wrap(x - y, t);
    case 'mul': return Value.wrap(x * y, t);
    case 'and': return Value.wrap(a.bits & b.bits, t);
    case 'or': return Value.wrap(a.bits | b.bits, t);
    case 'xor': return Value.wrap(a.bits ^ b.bits, t);
    case 'eq': return Value.wrap(x === y ? 1n : 0n, t);
    case 'ne': return Value.wrap(x !== y ? 1n : 0n, t);
    case 'lt': return Value.wrap(x < y ? 1n : 0n, t);
    case 'le': return Value.wrap(x <= y ? 1n : 0n, t);
    case 'gt': return Value.wrap(x > y ? 1n : 0n, t);
    case 'ge': return Value.wrap(x >= y ? 1n : 0n, t);
    case 'shlv': {
      // Amounts >= width shift everything out (Verilog semantics).
      const n = b.bits >= BigInt(a.width) ? BigInt(a.width) : b.bits;
      return Value.wrap(a.bits << n, t);
    }
    case 'shrv': {
      const n = b.bits >= BigInt(a.width) ? BigInt(a.width) : b.bits;
      return Value.wrap(a.signed ? x >> n : a.bits >> n, t);
    }
  }
}

export function mux(sel: Value, whenTrue: Value, whenFalse: Value): Value {
  return sel.isTrue() ? whenTrue : whenFalse;
}

/** Concatenation, first argument most significant; unsigned result. */
export function concat(...parts: Value[]): Value {
  let bits = 0n;
  let width = 0;
  for (const p of parts) {
    bits = (bits << BigInt(p.width)) | p.bits;
    width += p.width;
  }
  return Value.wrap(bits, { width, signed: false });
}
