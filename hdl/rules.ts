/**
 * Result-type rules of every IR operator, shared by the hardware builder (`Expr`) and the
 * software value type (`Value`), so both agree by construction. See hdl/IR.md for the table.
 *
 * Operand types reaching these functions are already "resolved": operators that mix
 * signedness have had the unsigned operand widened by one zero bit and made signed
 * (see `unifySign`), so no rule here depends on Verilog's implicit sign handling.
 */
import { type HwType, typeName } from './types.ts';

export type BinaryOp =
  | 'add' | 'sub' | 'mul'
  | 'and' | 'or' | 'xor'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'
  | 'shlv' | 'shrv';

export type UnaryOp = 'not' | 'neg' | 'redand' | 'redor' | 'redxor';

export const comparisonOps: ReadonlySet<BinaryOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

export class RuleError extends Error {}

export function unaryResult(op: UnaryOp, a: HwType): HwType {
  switch (op) {
    case 'not':
      return a;
    case 'neg':
      // -(-2^(w-1)) needs w+1 bits; the result is always signed.
      return { width: a.width + 1, signed: true };
    case 'redand':
    case 'redor':
    case 'redxor':
      return { width: 1, signed: false };
  }
}

export function binaryResult(op: BinaryOp, a: HwType, b: HwType): HwType {
  const needSameSign = op !== 'shlv' && op !== 'shrv';
  if (needSameSign && a.signed !== b.signed) {
    throw new RuleError(`${op} needs operands of one signedness, got ${typeName(a)} and ${typeName(b)}`);
  }
  switch (op) {
    case 'add':
    case 'sub':
      // Grows by one bit: never overflows. Unsigned sub wraps modulo 2^(w+1).
      return { width: Math.max(a.width, b.width) + 1, signed: a.signed };
    case 'mul':
      return { width: a.width + b.width, signed: a.signed };
    case 'and':
    case 'or':
    case 'xor':
      if (a.width !== b.width) {
        throw new RuleError(`${op} needs operands of one width, got ${typeName(a)} and ${typeName(b)}`);
      }
      return a;
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return { width: 1, signed: false };
    case 'shlv':
    case 'shrv':
      if (b.signed) throw new RuleError(`shift amount must be unsigned, got ${typeName(b)}`);
      // Width-preserving: bits shifted out of the top are lost (shlv); shrv is arithmetic for signed.
      return a;
  }
}

/** The widened type used when an unsigned operand meets a signed one: zero bit on top. */
export function signedView(t: HwType): HwType {
  return t.signed ? t : { width: t.width + 1, signed: true };
}
