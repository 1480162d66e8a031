/** Range checks of unsigned inputs without constant compares (Verilator's CMPCONST). */
import { lit, u, type Expr } from '../../hdl/index.ts';

/** e <= max, or a constant 1 when every value of e's width is at most max. */
export function atMost(e: Expr, max: number): Expr {
  return BigInt(max) >= (1n << BigInt(e.width)) - 1n ? lit(1, u(1)) : e.le(max);
}

/** 1 <= e <= max. */
export function inRange1(e: Expr, max: number): Expr {
  return e.ne(0).and(atMost(e, max));
}
