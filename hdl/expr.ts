/**
 * Hardware expressions: the IR nodes (see hdl/IR.md). Every node carries its type, an optional
 * name and the TypeScript line that created it. Operators follow hdl/rules.ts; operators that
 * mix signedness insert an explicit widening of the unsigned operand, so by the time the
 * emitter runs no node relies on Verilog's implicit width or sign rules.
 */
import { type HwType, typeName, fits, bitsFor, sameType, MAX_WIDTH } from './types.ts';
import { type BinaryOp, type UnaryOp, binaryResult, unaryResult, RuleError, signedView } from './rules.ts';
import { type SourceLoc, captureLocation } from './source.ts';
import { HdlError } from './errors.ts';

export type Node =
  | { readonly kind: 'const'; readonly value: bigint }
  | { readonly kind: 'signal' }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly a: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'shl' | 'shr'; readonly a: Expr; readonly amount: number }
  | { readonly kind: 'mux'; readonly sel: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly kind: 'slice'; readonly a: Expr; readonly hi: number; readonly lo: number }
  | { readonly kind: 'concat'; readonly parts: readonly Expr[] }
  | { readonly kind: 'zext' | 'sext' | 'trunc' | 'cast'; readonly a: Expr };

export type ExprLike = Expr | bigint | number;

let nextId = 0;

export class Expr implements HwType {
  readonly id: number;
  readonly width: number;
  readonly signed: boolean;
  readonly node: Node;
  readonly loc: SourceLoc | undefined;
  /** A name the user gave this value (`.named()`); the emitter uses it for the wire. */
  nameHint: string | undefined;

  constructor(type: HwType, node: Node, loc?: SourceLoc) {
    this.id = nextId++;
    this.width = type.width;
    this.signed = type.signed;
    this.node = node;
    this.loc = loc ?? captureLocation();
  }

  get type(): HwType {
    return { width: this.width, signed: this.signed };
  }

  /** Give this intermediate value a name in the emitted Verilog. Returns `this`. */
  named(name: string): this {
    this.nameHint = name;
    return this;
  }

  toString(): string {
    return `${this.nameHint ?? `<${this.node.kind}>`}:${typeName(this)}`;
  }

  private lift(other: ExprLike): Expr {
    return other instanceof Expr ? other : constFor(other, this.signed);
  }

  private binary(op: BinaryOp, otherLike: ExprLike): Expr {
    let a: Expr = this;
    let b = this.lift(otherLike);
    if (op !== 'shlv' && op !== 'shrv' && a.signed !== b.signed) {
      a = a.signedView();
      b = b.signedView();
    }
    try {
      return new Expr(binaryResult(op, a, b), { kind: 'binary', op, a, b });
    } catch (e) {
      if (e instanceof RuleError) {
        throw new HdlError('WIDTH MISMATCH', `${e.message} (${describe(a)} ${op} ${describe(b)})`, captureLocation());
      }
      throw e;
    }
  }

  /** Unsigned operands meeting signed ones become signed, one bit wider (zero on top). */
  private signedView(): Expr {
    if (this.signed) return this;
    if (this.node.kind === 'const') return lit(this.node.value, signedView(this));
    return new Expr(signedView(this), { kind: 'cast', a: this.zext(this.width + 1) });
  }

  add(o: ExprLike): Expr { return this.binary('add', o); }
  sub(o: ExprLike): Expr { return this.binary('sub', o); }
  mul(o: ExprLike): Expr { return this.binary('mul', o); }
  and(o: ExprLike): Expr { return this.binary('and', o); }
  or(o: ExprLike): Expr { return this.binary('or', o); }
  xor(o: ExprLike): Expr { return this.binary('xor', o); }
  eq(o: ExprLike): Expr { return this.binary('eq', o); }
  ne(o: ExprLike): Expr { return this.binary('ne', o); }
  lt(o: ExprLike): Expr { return this.binary('lt', o); }
  le(o: ExprLike): Expr { return this.binary('le', o); }
  gt(o: ExprLike): Expr { return this.binary('gt', o); }
  ge(o: ExprLike): Expr { return this.binary('ge', o); }
  /** Shift left by a signal amount; width-preserving (bits shifted out are lost). */
  shlv(amount: Expr): Expr { return this.binary('shlv', amount); }
  /** Shift right by a signal amount; arithmetic when signed; width-preserving. */
  shrv(amount: Expr): Expr { return this.binary('shrv', amount); }

  not(): Expr { return new Expr(unaryResult('not', this), { kind: 'unary', op: 'not', a: this }); }
  neg(): Expr { return new Expr(unaryResult('neg', this), { kind: 'unary', op: 'neg', a: this }); }
  andR(): Expr { return new Expr(unaryResult('redand', this), { kind: 'unary', op: 'redand', a: this }); }
  orR(): Expr { return new Expr(unaryResult('redor', this), { kind: 'unary', op: 'redor', a: this }); }
  xorR(): Expr { return new Expr(unaryResult('redxor', this), { kind: 'unary', op: 'redxor', a: this }); }

  /** Constant shift left: appends n zero bits (width + n). */
  shl(n: number): Expr {
    checkInt('shift amount', n, 0, MAX_WIDTH);
    if (n === 0) return this;
    return new Expr({ width: this.width + n, signed: this.signed }, { kind: 'shl', a: this, amount: n });
  }

  /** Constant shift right: drops the n low bits (width - n); keeps signedness. */
  shr(n: number): Expr {
    checkInt('shift amount', n, 0, this.width - 1);
    if (n === 0) return this;
    return new Expr({ width: this.width - n, signed: this.signed }, { kind: 'shr', a: this, amount: n });
  }

  /** Bits hi..lo (inclusive), unsigned. */
  slice(hi: number, lo: number): Expr {
    checkInt('slice low bit', lo, 0, this.width - 1);
    checkInt('slice high bit', hi, lo, this.width - 1);
    return new Expr({ width: hi - lo + 1, signed: false }, { kind: 'slice', a: this, hi, lo });
  }

  bit(i: number): Expr {
    return this.slice(i, i);
  }

  /** Zero-extend to `width` (>= current); unsigned result. */
  zext(width: number): Expr {
    checkInt('zext width', width, this.width, MAX_WIDTH);
    if (width === this.width && !this.signed) return this;
    const ext = width === this.width ? this : new Expr({ width, signed: false }, { kind: 'zext', a: this });
    return ext.signed ? ext.asUnsigned() : ext;
  }

  /** Sign-extend to `width` (>= current); signed result. */
  sext(width: number): Expr {
    checkInt('sext width', width, this.width, MAX_WIDTH);
    if (width === this.width) return this.asSigned();
    return new Expr({ width, signed: true }, { kind: 'sext', a: this });
  }

  /** Keep the low `width` bits (<= current); keeps signedness. */
  trunc(width: number): Expr {
    checkInt('trunc width', width, 1, this.width);
    if (width === this.width) return this;
    return new Expr({ width, signed: this.signed }, { kind: 'trunc', a: this });
  }

  /** Extend (sign or zero, per signedness) or truncate to `width`; keeps signedness. */
  resize(width: number): Expr {
    if (width >= this.width) return this.signed ? this.sext(width) : this.zext(width);
    return this.trunc(width);
  }

  asSigned(): Expr {
    if (this.signed) return this;
    return new Expr({ width: this.width, signed: true }, { kind: 'cast', a: this });
  }

  asUnsigned(): Expr {
    if (!this.signed) return this;
    return new Expr({ width: this.width, signed: false }, { kind: 'cast', a: this });
  }
}

function describe(e: Expr): string {
  return `${e.nameHint ?? (e.node.kind === 'const' ? String(e.node.value) : e.node.kind)} ${typeName(e)}`;
}

function checkInt(what: string, n: number, lo: number, hi: number): void {
  if (!Number.isInteger(n) || n < lo || n > hi) {
    throw new HdlError('BAD ARGUMENT', `${what} ${n} is out of range: accepted ${lo}..${hi}`, captureLocation());
  }
}

/** A sized constant. Throws if the value does not fit the type. */
export function lit(value: bigint | number, type: HwType): Expr {
  const v = typeof value === 'number' ? BigInt(value) : value;
  if (!fits(v, type)) {
    throw new HdlError('CONSTANT RANGE', `constant ${v} does not fit ${typeName(type)}`, captureLocation());
  }
  return new Expr(type, { kind: 'const', value: v });
}

/** The narrowest constant of the given signedness holding `value` (negative values force signed). */
export function constFor(value: bigint | number, signed: boolean): Expr {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new HdlError('CONSTANT RANGE', `constant ${value} is not a safe integer; use a bigint`, captureLocation());
  }
  const v = BigInt(value);
  const sgn = signed || v < 0n;
  return lit(v, { width: bitsFor(v, sgn), signed: sgn });
}

/** `sel ? whenTrue : whenFalse`; sel is 1 bit; both arms must have one type. */
export function mux(sel: Expr, whenTrue: ExprLike, whenFalse: ExprLike): Expr {
  if (sel.width !== 1) {
    throw new HdlError('WIDTH MISMATCH', `mux select must be 1 bit, got ${describe(sel)}`, captureLocation());
  }
  const ref = whenTrue instanceof Expr ? whenTrue : whenFalse instanceof Expr ? whenFalse : undefined;
  if (!ref) throw new HdlError('BAD ARGUMENT', 'mux needs at least one arm that is an expression', captureLocation());
  const a = whenTrue instanceof Expr ? whenTrue : lit(whenTrue, ref.type);
  const b = whenFalse instanceof Expr ? whenFalse : lit(whenFalse, ref.type);
  if (!sameType(a, b)) {
    throw new HdlError('WIDTH MISMATCH', `mux arms differ: ${describe(a)} vs ${describe(b)}; resize one explicitly`, captureLocation());
  }
  return new Expr(a.type, { kind: 'mux', sel, a, b });
}

/** Concatenation, first argument most significant; unsigned result. */
export function cat(...parts: Expr[]): Expr {
  if (parts.length === 0) throw new HdlError('BAD ARGUMENT', 'cat needs at least one part', captureLocation());
  if (parts.length === 1) return parts[0]!.asUnsigned();
  const width = parts.reduce((w, p) => w + p.width, 0);
  return new Expr({ width, signed: false }, { kind: 'concat', parts });
}

/** Children of a node, in a fixed order. */
export function children(e: Expr): readonly Expr[] {
  const n = e.node;
  switch (n.kind) {
    case 'const':
    case 'signal':
      return [];
    case 'unary':
    case 'shl':
    case 'shr':
    case 'slice':
    case 'zext':
    case 'sext':
    case 'trunc':
    case 'cast':
      return [n.a];
    case 'binary':
      return [n.a, n.b];
    case 'mux':
      return [n.sel, n.a, n.b];
    case 'concat':
      return n.parts;
  }
}
