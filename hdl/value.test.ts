import { describe, expect, it } from 'vitest';
import { Value, concat } from './value.ts';
import { u, s, typeName } from './types.ts';

const v = (x: number | bigint, t: ReturnType<typeof u>): Value => Value.of(x, t);

describe('Value operator width and sign rules', () => {
  const cases: [string, () => Value, string, bigint][] = [
    ['u8 + u8 grows one bit', () => v(255, u(8)).add(v(1, u(8))), 'u9', 256n],
    ['s8 + s8 grows one bit', () => v(-128, s(8)).add(v(-128, s(8))), 's9', -256n],
    ['u8 - u8 wraps in 9 bits', () => v(0, u(8)).sub(v(1, u(8))), 'u9', 511n],
    ['s8 - s8 exact', () => v(-128, s(8)).sub(v(127, s(8))), 's9', -255n],
    ['u8 * u4 sums widths', () => v(255, u(8)).mul(v(15, u(4))), 'u12', 3825n],
    ['s8 * s8 sums widths', () => v(-128, s(8)).mul(v(-128, s(8))), 's16', 16384n],
    ['s8 * u8 widens the unsigned operand', () => v(-1, s(8)).mul(v(255, u(8))), 's17', -255n],
    ['u8 + s4 mixed', () => v(200, u(8)).add(v(-8, s(4))), 's10', 192n],
    ['neg of s8 min needs a bit', () => v(-128, s(8)).neg(), 's9', 128n],
    ['neg of u8 is signed', () => v(255, u(8)).neg(), 's9', -255n],
    ['not keeps type', () => v(0b1010, u(4)).not(), 'u4', 0b0101n],
    ['and keeps type', () => v(0b1100, u(4)).and(v(0b1010, u(4))), 'u4', 0b1000n],
    ['lt signed', () => v(-1, s(8)).lt(v(0, s(8))), 'u1', 1n],
    ['lt mixed compares values', () => v(-1, s(8)).lt(v(255, u(8))), 'u1', 1n],
    ['eq different widths', () => v(5, u(3)).eq(v(5, u(8))), 'u1', 1n],
    ['shl constant grows', () => v(-3, s(4)).shl(2), 's6', -12n],
    ['shr constant shrinks, arithmetic', () => v(-7, s(8)).shr(1), 's7', -4n],
    ['shr unsigned', () => v(255, u(8)).shr(4), 'u4', 15n],
    ['shlv keeps width', () => v(0b1011, u(4)).shlv(v(2, u(2))), 'u4', 0b1100n],
    ['shrv signed is arithmetic', () => v(-8, s(4)).shrv(v(2, u(2))), 's4', -2n],
    ['shrv by >= width', () => v(-8, s(4)).shrv(v(7, u(3))), 's4', -1n],
    ['shlv by >= width', () => v(15, u(4)).shlv(v(7, u(3))), 'u4', 0n],
    ['slice is unsigned', () => v(-1, s(8)).slice(6, 3), 'u4', 15n],
    ['zext', () => v(-1, s(4)).zext(6), 'u6', 15n],
    ['sext', () => v(0b1000, u(4)).sext(6), 's6', -8n],
    ['resize keeps sign', () => v(-3, s(4)).resize(8), 's8', -3n],
    ['trunc keeps sign', () => v(-3, s(8)).trunc(3), 's3', -3n],
    ['trunc wraps', () => v(200, s(9)).trunc(8), 's8', -56n],
    ['reductions', () => v(0b111, u(3)).andR(), 'u1', 1n],
    ['xor reduction', () => v(0b1011, u(4)).xorR(), 'u1', 1n],
    ['concat', () => concat(v(1, u(1)), v(2, u(3))), 'u4', 0b1010n],
  ];
  for (const [name, f, type, value] of cases) {
    it(name, () => {
      const r = f();
      expect(`${typeName(r)}:${r.toBigInt()}`).toBe(`${type}:${value}`);
    });
  }

  it('rejects values that do not fit', () => {
    expect(() => Value.of(256, u(8))).toThrow('value 256 does not fit u8');
    expect(() => Value.of(-129, s(8))).toThrow('value -129 does not fit s8');
  });

  it('rejects mismatched widths on bitwise operators', () => {
    expect(() => v(1, u(4)).and(v(1, u(5)))).toThrow(/and needs operands of one width, got u4 and u5/);
  });
});
