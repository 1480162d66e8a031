import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Module, u, s, mux, lit, cat, HdlError } from './index.ts';

/** 1-based line of this test file holding `marker`. */
function lineOf(marker: string): number {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  return lines.findIndex((l) => l.includes(marker) && !l.includes('lineOf(')) + 1;
}

describe('strict widths', () => {
  it('assignment of a wider value names the signal, both widths and this file:line', () => {
    const m = new Module('t');
    const a = m.input('a', s(16));
    const y = m.output('y', s(8));
    let err: unknown;
    try {
      y.set(a); // the offending line
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HdlError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^WIDTH MISMATCH: output 'y' s8 assigned a s16 value 'a'; say trunc\/resize or a saturating narrowing/);
    expect(msg).toContain(`(at hdl/expr.test.ts:${lineOf('// the offending line')})`);
  });

  it('signedness mismatch is an error too', () => {
    const m = new Module('t');
    const a = m.input('a', u(8));
    const y = m.output('y', s(8));
    expect(() => y.set(a)).toThrow(/output 'y' s8 assigned a u8 value 'a'.*asSigned\/asUnsigned/);
    y.set(a.asSigned());
  });

  it('explicit narrowing makes it legal', () => {
    const m = new Module('t');
    const a = m.input('a', s(16));
    const y = m.output('y', s(8));
    y.set(a.trunc(8));
    expect(m.body).toHaveLength(1);
  });

  it('bitwise operators need equal widths', () => {
    const m = new Module('t');
    const a = m.input('a', u(8));
    const b = m.input('b', u(9));
    expect(() => a.xor(b)).toThrow(/WIDTH MISMATCH: xor needs operands of one width, got u8 and u9 \(a u8 xor b u9\)/);
  });

  it('mux arms must have one type', () => {
    const m = new Module('t');
    const c = m.input('c', u(1));
    const a = m.input('a', u(8));
    const b = m.input('b', s(8));
    expect(() => mux(c, a, b)).toThrow(/mux arms differ: a u8 vs b s8/);
    expect(() => mux(a, a, a)).toThrow(/mux select must be 1 bit, got a u8/);
    expect(mux(c, a, 3).type).toEqual(u(8));
  });

  it('conditions must be one bit', () => {
    const m = new Module('t');
    const a = m.input('a', u(8));
    expect(() => m.when(a, () => {})).toThrow(/condition must be 1 bit, got u8/);
  });

  it('constants are range-checked', () => {
    const m = new Module('t');
    const y = m.output('y', u(4));
    expect(() => y.set(16)).toThrow(/CONSTANT RANGE: constant 16 does not fit output 'y' u4/);
    expect(() => lit(-1, u(3))).toThrow(/constant -1 does not fit u3/);
  });

  it('slices are bounds-checked', () => {
    const m = new Module('t');
    const a = m.input('a', u(8));
    expect(() => a.slice(8, 0)).toThrow(/slice high bit 8 is out of range: accepted 0..7/);
    expect(() => a.shr(8)).toThrow(/shift amount 8 is out of range: accepted 0..7/);
  });

  it('instance connections are width-checked', () => {
    const child = new Module('child');
    child.input('x', u(4));
    child.output('y', u(4)).set(lit(0, u(4)));
    const m = new Module('parent');
    const a = m.input('a', u(5));
    expect(() => m.instance('c0', child, { x: a })).toThrow(/input 'x' of instance 'c0' is u4 but is connected to u5/);
    expect(() => m.instance('c1', child, {})).toThrow(/input 'x' of instance 'c1' \(child\) is not connected/);
    expect(() => m.instance('c2', child, { x: a.trunc(4), z: a })).toThrow(/'child' has no input 'z'/);
  });

  it('mixed signedness is resolved in the IR with an explicit widening', () => {
    const m = new Module('t');
    const a = m.input('a', s(8));
    const b = m.input('b', u(8));
    const p = a.mul(b);
    expect(p.type).toEqual(s(17));
    expect(p.node.kind).toBe('binary');
    if (p.node.kind === 'binary') expect(p.node.b.node.kind).toBe('cast');
    expect(cat(a, b).type).toEqual(u(16));
  });
});
