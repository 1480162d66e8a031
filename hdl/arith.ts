/**
 * One arithmetic interface implemented by both the software `Value` and the hardware `Expr`,
 * so that a function written once against `Bits<T>` (the fixed-point layer, an exp2 unit, a
 * rounding step) runs as a golden model on values and builds the circuit on expressions.
 */
import type { HwType } from './types.ts';
import { Value, mux as valueMux, concat as valueConcat } from './value.ts';
import { Expr, lit as exprLit, mux as exprMux, cat as exprCat } from './expr.ts';

export interface Bits<T> extends HwType {
  add(o: T | bigint | number): T;
  sub(o: T | bigint | number): T;
  mul(o: T | bigint | number): T;
  and(o: T | bigint | number): T;
  or(o: T | bigint | number): T;
  xor(o: T | bigint | number): T;
  eq(o: T | bigint | number): T;
  ne(o: T | bigint | number): T;
  lt(o: T | bigint | number): T;
  le(o: T | bigint | number): T;
  gt(o: T | bigint | number): T;
  ge(o: T | bigint | number): T;
  shlv(amount: T): T;
  shrv(amount: T): T;
  not(): T;
  neg(): T;
  andR(): T;
  orR(): T;
  xorR(): T;
  shl(n: number): T;
  shr(n: number): T;
  slice(hi: number, lo: number): T;
  bit(i: number): T;
  zext(width: number): T;
  sext(width: number): T;
  resize(width: number): T;
  trunc(width: number): T;
  asSigned(): T;
  asUnsigned(): T;
}

/** Constructors that are not methods: constants, multiplexers, concatenation. */
export interface Arith<T extends Bits<T>> {
  lit(value: bigint | number, type: HwType): T;
  mux(sel: T, whenTrue: T, whenFalse: T): T;
  cat(...parts: T[]): T;
}

export const valueArith: Arith<Value> = {
  lit: (v, t) => Value.of(v, t),
  mux: valueMux,
  cat: valueConcat,
};

export const exprArith: Arith<Expr> = {
  lit: exprLit,
  mux: (sel, a, b) => exprMux(sel, a, b),
  cat: exprCat,
};
