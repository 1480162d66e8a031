import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  VectorFormatError,
  VectorUnknownValueError,
  formatVectors,
  hexDigits,
  parseVectors,
  parseVectorsDetailed,
  readVectorFile,
  toSigned,
  toUnsigned,
  writeVectorFile,
  type VectorField,
} from './vectors.ts';

const fields: VectorField[] = [
  { name: 'rst', width: 1 },
  { name: 'a', width: 8 },
  { name: 'w', width: 70 },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vectors-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an exception');
}

describe('formatting', () => {
  it('pads every field to ceil(width/4) hex digits like Verilog %h', () => {
    expect(hexDigits(1)).toBe(1);
    expect(hexDigits(8)).toBe(2);
    expect(hexDigits(70)).toBe(18);
    expect(formatVectors(fields, [[1n, 0x5n, 0x3fn << 64n]])).toBe('1 05 3f0000000000000000\n');
  });

  it('masks negative values to two\'s complement', () => {
    expect(formatVectors(fields, [[0, -1, -1n]])).toBe('0 ff 3fffffffffffffffff\n');
    expect(formatVectors([{ name: 's', width: 5 }], [[-16], [15], [31]])).toBe('10\n0f\n1f\n');
    expect(toUnsigned(-128n, 8)).toBe(0x80n);
    expect(toSigned(0x80n, 8)).toBe(-128n);
    expect(toSigned(0x7fn, 8)).toBe(127n);
    expect(toSigned((1n << 70n) - 1n, 70)).toBe(-1n);
  });

  it('rejects values that do not fit, naming row and field', () => {
    expect(() => formatVectors(fields, [[0, 0, 0], [2, 0, 0]])).toThrow(/row 1, field 'rst' \(width 1\).*does not fit/);
    expect(() => formatVectors(fields, [[0, 256, 0]])).toThrow(/field 'a'/);
    expect(() => formatVectors(fields, [[0, -129, 0]])).toThrow(/field 'a'/);
    expect(() => formatVectors(fields, [[0, 1.5, 0]])).toThrow(/safe integer/);
    expect(() => formatVectors(fields, [[0, 1]])).toThrow(/2 values for 3 fields/);
  });

  it('writes zero-field rows as empty lines', () => {
    expect(formatVectors([], [[], [], []])).toBe('\n\n\n');
    expect(parseVectors('\n\n\n', [])).toEqual([[], [], []]);
  });
});

describe('parsing', () => {
  it('round-trips through files (wide values, raw unsigned bits)', async () => {
    const wide: VectorField[] = [
      { name: 'x', width: 256 },
      { name: 'y', width: 3 },
    ];
    const rows = [
      [(1n << 255n) | 0x1234n, -1n],
      [0n, 5n],
      [-2n, 0n],
    ];
    const path = join(dir, 'wide.vec');
    await writeVectorFile(path, wide, rows);
    const text = await readFile(path, 'utf8');
    expect(text.split('\n')[0]).toBe('8' + '0'.repeat(59) + '1234 7');
    expect(await readVectorFile(path, wide)).toEqual([
      [(1n << 255n) | 0x1234n, 7n],
      [0n, 5n],
      [(1n << 256n) - 2n, 0n],
    ]);
  });

  it('accepts fewer digits, upper case, extra spaces, CRLF and blank lines', () => {
    const text = '1 A 0\r\n\n   \n0  ff\t3FFFFFFFFFFFFFFFFF  \n';
    const d = parseVectorsDetailed(text, fields);
    expect(d.values).toEqual([
      [1n, 10n, 0n],
      [0n, 255n, (1n << 70n) - 1n],
    ]);
    expect(d.lines).toEqual([1, 4]);
  });

  it('reports x/z digits as errors naming the cycle and field', () => {
    const text = '0 00 000000000000000000\n\n1 0x 000000000000000000\n';
    const e = catchError(() => parseVectors(text, fields, { source: 'out.vec' }));
    expect(e).toBeInstanceOf(VectorUnknownValueError);
    expect(e.message).toContain('out.vec');
    expect(e.message).toContain('line 3');
    expect(e.message).toContain('cycle 1');
    expect(e.message).toContain("field 'a'");
    const err = e as VectorUnknownValueError;
    expect([err.line, err.cycle, err.field]).toEqual([3, 1, 'a']);
    // Icarus prints X / Z for partially unknown digits.
    expect(() => parseVectors('0 00 Z00000000000000000\n', fields)).toThrow(/field 'w'.*unknown value/);
  });

  it('tolerates x/z where allowed and reports masks', () => {
    const text = 'x xx 3xxxxxxxxxxxxxxxx0\n1 0x 000000000000000000\n';
    expect(() => parseVectors(text, fields, { allowUnknown: (cycle) => cycle === 0 })).toThrow(/cycle 1, field 'a'/);
    expect(parseVectors(text, fields, { allowUnknown: (cycle, f) => cycle === 0 || f.name === 'a' })[1]).toEqual([1n, 0n, 0n]);
    const all = parseVectorsDetailed(text, fields, { allowUnknown: true });
    expect(all.values[0]).toEqual([0n, 0n, 3n << 68n]);
    expect(all.unknown[0]).toEqual([1n, 0xffn, ((1n << 64n) - 1n) << 4n]);
    expect(all.values[1]).toEqual([1n, 0n, 0n]);
    expect(all.unknown[1]).toEqual([0n, 0x0fn, 0n]);
  });

  it('gives clear errors on malformed input', () => {
    const cases: [string, RegExp][] = [
      ['0 00\n', /line 1, cycle 0: expected 3 hex fields \(rst\[1\] a\[8\] w\[70\]\), found 2/],
      ['0 00 0 0\n', /expected 3 hex fields.*found 4/],
      ['0 0g 0\n', /line 1, cycle 0, field 'a'.*'0g' is not a hex number \(width 8, 2 hex digits\)/],
      ['0 100 0\n', /field 'a'.*3 digits, more than the width 8, 2 hex digits/],
      ['2 00 0\n', /field 'rst'.*0x2 does not fit in 1 bits/],
      ['0 00 400000000000000000\n', /field 'w'.*does not fit in 70 bits/],
      ['0 00 0\n0 00 0 \n0 -1 0\n', /line 3, cycle 2, field 'a'/],
    ];
    for (const [text, re] of cases) {
      const e = catchError(() => parseVectors(text, fields, { source: 'in.vec' }));
      expect(e).toBeInstanceOf(VectorFormatError);
      expect(e.message).toMatch(re);
    }
  });

  it('rejects invalid field specs', () => {
    expect(() => parseVectors('', [{ name: 'a', width: 0 }])).toThrow(/invalid width/);
    expect(() => formatVectors([{ name: '', width: 1 }], [])).toThrow(/without a name/);
  });

  it('reads files with the path in error messages', async () => {
    const path = join(dir, 'bad.vec');
    await writeFile(path, '0 00 0\nzz\n');
    await expect(readVectorFile(path, fields)).rejects.toThrow(`${path}, line 2, cycle 1: expected 3 hex fields`);
  });
});
