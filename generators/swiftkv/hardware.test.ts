/**
 * The generic datapath functions built as hardware (`Expr`, with `exprArith`) must compute what
 * they compute on `Value`: build each circuit once with signal leaves, then evaluate the
 * expression tree (a small evaluator below, node by node with the Value operators) on random
 * and edge inputs and compare with the golden (Value) call. This also checks that the functions
 * pass the stricter Expr rules (mux arms of one type, widths in range).
 */
import { describe, it, expect } from 'vitest';
import { Expr } from '../../hdl/expr.ts';
import { Value, evalBinary, evalUnary, concat } from '../../hdl/value.ts';
import { type Arith, type Bits, exprArith, valueArith } from '../../hdl/arith.ts';
import { type HwType, typeName, u, minValue, maxValue } from '../../hdl/types.ts';
import { qType } from '../../hdl/fixed.ts';
import { laneFormats, type LaneFormats } from './numerics.ts';
import { exp2Fixed, exp2Table, exp2TableWidth, valueLookup, EXP2_DEFAULTS, type Exp2Lookup } from './exp2.ts';
import {
  scaleQuery, scaleLiteral, dotExact, dotAccumulate, narrowScore, maxStage, maxStageShift, accZMultiply, accYMultiply,
  accZShift, accYShift, shiftRightRne, recipStart, recipStep, recipFinish, normalizeOutput,
} from './golden.ts';
import { makeRng, type Rng } from '../../verify/reference.ts';

function signal(t: HwType): Expr {
  return new Expr(t, { kind: 'signal' });
}

/** Evaluate an expression tree with Value semantics; `env` binds the signal leaves. */
function evaluate(root: Expr, env: Map<Expr, Value>): Value {
  const memo = new Map<Expr, Value>();
  const ev = (e: Expr): Value => {
    const hit = memo.get(e);
    if (hit) return hit;
    const n = e.node;
    let v: Value;
    switch (n.kind) {
      case 'const': v = Value.wrap(n.value, e.type); break;
      case 'signal': {
        const b = env.get(e);
        if (!b) throw new Error(`unbound signal ${e.toString()}`);
        v = b;
        break;
      }
      case 'unary': v = evalUnary(n.op, ev(n.a)); break;
      case 'binary': v = evalBinary(n.op, ev(n.a), ev(n.b)); break;
      case 'shl': v = ev(n.a).shl(n.amount); break;
      case 'shr': v = ev(n.a).shr(n.amount); break;
      case 'mux': v = ev(n.sel).isTrue() ? ev(n.a) : ev(n.b); break;
      case 'slice': v = ev(n.a).slice(n.hi, n.lo); break;
      case 'concat': v = concat(...n.parts.map(ev)); break;
      case 'zext':
      case 'trunc':
      case 'cast': v = Value.wrap(ev(n.a).bits, e.type); break;
      case 'sext': v = Value.wrap(ev(n.a).toBigInt(), e.type); break;
    }
    if (v.width !== e.width || v.signed !== e.signed) {
      throw new Error(`evaluator: node ${n.kind} gave ${typeName(v)} for an expression of ${typeName(e)}`);
    }
    memo.set(e, v);
    return v;
  };
  return ev(root);
}

function randomRaw(rng: Rng, t: HwType): bigint {
  const lo = minValue(t);
  const hi = maxValue(t);
  const r = rng.next();
  if (r < 0.05) return lo;
  if (r < 0.1) return hi;
  if (r < 0.15) return 0n;
  // Random bits, then a random right shift so that small magnitudes are common too.
  let bits = 0n;
  for (let i = 0; i < t.width; i += 30) bits = (bits << 30n) | BigInt(rng.int(0, 2 ** 30));
  const mag = t.signed ? t.width - 1 : t.width;
  const v = BigInt.asUintN(mag, bits) >> BigInt(rng.int(0, mag));
  return t.signed && rng.next() < 0.5 ? -v : v;
}

/**
 * Build `f` once on Expr signals of `types`, then for `n` random inputs compare evaluating the
 * circuit with calling `f` on Values. `gen` may constrain an input (return undefined for random).
 */
function equivalent(
  name: string,
  types: HwType[],
  f: <T extends Bits<T>>(A: Arith<T>, xs: T[]) => T,
  n: number,
  gen: (i: number, rng: Rng, xs: bigint[]) => bigint | undefined = () => undefined,
): void {
  const sigs = types.map(signal);
  const circuit = f(exprArith, sigs);
  const rng = makeRng(name.length * 7919 + 1);
  for (let trial = 0; trial < n; trial++) {
    const raws: bigint[] = [];
    types.forEach((t, i) => raws.push(gen(i, rng, raws) ?? randomRaw(rng, t)));
    const vals = raws.map((r, i) => Value.of(r, types[i]!));
    const want = f(valueArith, vals);
    const env = new Map(sigs.map((s, i) => [s, vals[i]!] as const));
    const got = evaluate(circuit, env);
    if (got.width !== want.width || got.signed !== want.signed || got.bits !== want.bits) {
      throw new Error(`${name}: circuit ${got.toString()} vs golden ${want.toString()} for inputs ${raws.join(', ')}`);
    }
  }
}

const F: LaneFormats = laneFormats({ headDim: 4, maxContext: 16384 });
const FS: LaneFormats = laneFormats({ headDim: 4, maxContext: 16384, rescale: 'shift' });
const D = qType(F.data);
const S = qType(F.score);
const E = qType(F.exp2Out);
const Z = qType(F.z);
const Y = qType(F.y);
const B = u(1);
const nonPositive = (i: number, rng: Rng, xs: bigint[]): bigint | undefined => {
  void xs;
  if (i !== 0) return undefined;
  return rng.next() < 0.5 ? -BigInt(rng.int(0, 40 << 17)) : -BigInt(rng.int(0, 2 ** 31));
};
const alphaBeta = (i: number, rng: Rng): bigint | undefined =>
  i === 1 ? (rng.next() < 0.2 ? 1n << 30n : BigInt(rng.int(0, (1 << 30) + 1))) : undefined;

/** A ROM model for the Expr side: the index is evaluated, then lo/hi are table constants via a mux tree. */
function exprLookup(): Exp2Lookup<Expr> {
  const table = exp2Table();
  const tw = exp2TableWidth();
  const rom = (index: Expr, offset: number): Expr => {
    let out = exprArith.lit(table[offset]!, u(tw));
    for (let i = 1; i < 32; i++) out = exprArith.mux(index.eq(i), exprArith.lit(table[i + offset]!, u(tw)), out);
    return out;
  };
  return (index) => ({ lo: rom(index, 0), hi: rom(index, 1) });
}

describe('generic datapath on Expr computes what it computes on Value', () => {
  it('exp2Fixed', () => {
    const el = exprLookup();
    const vl = valueLookup();
    equivalent(
      'exp2Fixed', [S],
      <T extends Bits<T>>(A: Arith<T>, [x]: T[]) => {
        const lookup = (A === (valueArith as unknown) ? vl : el) as unknown as Exp2Lookup<T>;
        return exp2Fixed(A, x!, lookup, EXP2_DEFAULTS);
      },
      400, nonPositive,
    );
  });

  it('scaleQuery, dotExact + narrowScore', () => {
    equivalent('scaleQuery', [D], (A, [q]) => scaleQuery(A, q!, scaleLiteral(A, F), F), 300);
    equivalent('dot', [D, D, D, D, D, D, D, D], (A, xs) => narrowScore(A, dotExact(A, xs.slice(0, 4), xs.slice(4), qType(F.dotAcc).width), F), 300);
    // Two DOT cycles of P = 2 products accumulated = the whole dot product.
    equivalent('dotAccumulate', [D, D, D, D, D, D, D, D], (A, xs) => {
      const pw = qType(F.dotPartial).width;
      const aw = qType(F.dotAcc).width;
      const first = dotExact(A, xs.slice(0, 2), xs.slice(4, 6), pw).resize(aw);
      const acc = dotAccumulate(A, first, dotExact(A, xs.slice(2, 4), xs.slice(6, 8), pw), aw);
      const whole = dotExact(A, xs.slice(0, 4), xs.slice(4), aw);
      if (A === (valueArith as unknown) && !(acc as unknown as Value).eq(whole as unknown as Value).isTrue()) {
        throw new Error('dotAccumulate differs from the one-shot dot product');
      }
      return acc;
    }, 200);
  });

  it('maxStage (multiply) and maxStageShift', () => {
    for (const part of ['mNew', 'sNew', 'x'] as const) {
      equivalent(`maxStage.${part}`, [S, S, B], (A, [m, s, first]) => maxStage(A, m!, s!, first!, F)[part], 300);
    }
    const M = qType(FS.max);
    for (const part of ['mNew', 'shift', 'x'] as const) {
      equivalent(`maxStageShift.${part}`, [M, S, B], (A, [m, s, first]) => maxStageShift(A, m!, s!, first!, FS)[part], 300);
    }
  });

  it('accumulators (multiply and shift)', () => {
    equivalent('accZMultiply', [Z, E, B], (A, [z, e, sn]) => accZMultiply(A, z!, e!, sn!, F), 300, alphaBeta);
    equivalent('accYMultiply', [Y, E, B, D], (A, [y, e, sn, v]) => accYMultiply(A, y!, v!, e!, sn!, F), 300, alphaBeta);
    const K = FS.shiftAmount;
    equivalent('accZShift', [Z, E, K], (A, [z, e, k]) => accZShift(A, z!, e!, k!, FS), 300, alphaBeta);
    equivalent('accYShift', [Y, E, K, D], (A, [y, e, k, v]) => accYShift(A, y!, v!, e!, k!, FS), 300, alphaBeta);
    equivalent('shiftRightRne(narrow k)', [Y, u(4)], (A, [y, k]) => shiftRightRne(A, y!, k!), 200);
  });

  it('reciprocal steps and the output narrowing', () => {
    const R = qType(F.recip);
    const zInRange = (i: number, rng: Rng): bigint | undefined => (i === 0 ? BigInt(rng.int(2 ** 29 + 1, 2 ** 44)) : undefined);
    equivalent('recipStep.rem', [Z, Z, R], (A, [z, rem, quot]) => recipStep(A, { rem: rem!, quot: quot! }, z!).rem, 300, (i, rng, xs) =>
      i === 0 ? zInRange(0, rng) : i === 1 ? BigInt(rng.int(0, Number(xs[0]!))) : undefined);
    equivalent('recipStep.quot', [Z, Z, R], (A, [z, rem, quot]) => recipStep(A, { rem: rem!, quot: quot! }, z!).quot, 300, (i, rng, xs) =>
      i === 0 ? zInRange(0, rng) : i === 1 ? BigInt(rng.int(0, Number(xs[0]!))) : undefined);
    equivalent('recipFinish', [Z, Z, R], (A, [z, rem, quot]) => recipFinish(A, { rem: rem!, quot: quot! }, z!), 300, (i, rng, xs) =>
      i === 0 ? zInRange(0, rng) : i === 1 ? BigInt(rng.int(0, Number(xs[0]!))) : i === 2 ? BigInt(rng.int(0, 2 ** 41)) : undefined);
    equivalent('normalizeOutput', [Y, R], (A, [y, r]) => normalizeOutput(A, y!, r!, F), 300);
    // The start state is a pair of constants of the right types.
    const st = recipStart(exprArith, F);
    expect(typeName(st.rem)).toBe(typeName(Z));
    expect(typeName(st.quot)).toBe(typeName(R));
  });
});
