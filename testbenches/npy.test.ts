import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, encodeNpy, readNpy, writeNpy, toRows, NpyError } from './npy.ts';

/** A .npy file from a header string and raw data bytes (version 1.0 unless told). */
function handMade(header: string, data: Uint8Array, version: 1 | 2 | 3 = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(pre + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(data, pre + h.length);
  return out;
}

function f64(...xs: number[]): Uint8Array {
  return new Uint8Array(new Float64Array(xs).buffer); // little-endian on every supported host
}
function f32(...xs: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(xs).buffer);
}

describe('parseNpy on hand-made files', () => {
  it('reads <f8, 2-D, version 1.0', () => {
    const a = parseNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }          \n", f64(1, 2, 3, 4.5, -5, 6e300)));
    expect(a.dtype).toBe('<f8');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4.5, -5, 6e300]);
    expect(toRows(a)).toEqual([[1, 2, 3], [4.5, -5, 6e300]]);
  });

  it('reads <f4, 1-D, version 2.0, with double quotes and odd spacing', () => {
    const a = parseNpy(handMade('{"shape":(3,),"fortran_order":False,"descr":"<f4"}\n', f32(0.5, -1.25, 3), 2));
    expect(a.dtype).toBe('<f4');
    expect(a.shape).toEqual([3]);
    expect(a.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a.data)).toEqual([0.5, -1.25, 3]);
  });

  it('reads 0-d and empty arrays', () => {
    expect(Array.from(parseNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n", f64(7))).data)).toEqual([7]);
    expect(parseNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }\n", new Uint8Array(0))).data.length).toBe(0);
  });

  it('rejects what it does not support, naming what was found and what is accepted', () => {
    const hdr = (descr: string, fortran = 'False', shape = '(2,)'): string => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;
    expect(() => parseNpy(handMade(hdr('>f8'), f64(1, 2)))).toThrow(/dtype '>f8' is big-endian: accepted '<f4' .* or '<f8'/);
    expect(() => parseNpy(handMade(hdr('<u4'), f64(1)))).toThrow(/dtype '<u4' is not supported: accepted '<f4' \(little-endian float32\) or '<f8' \(little-endian float64\), or the signed integers '\|i1', '<i2', '<i4', '<i8'/);
    expect(() => parseNpy(handMade(hdr('>i4'), f64(1)))).toThrow(/dtype '>i4' is big-endian/);
    expect(() => parseNpy(handMade(hdr('<f2'), f64(1)))).toThrow(/dtype '<f2' is not supported/);
    expect(() => parseNpy(handMade(hdr('<f8', 'True'), f64(1, 2)))).toThrow(/Fortran order \(fortran_order: True\): accepted C order only/);
    expect(() => parseNpy(handMade("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }\n", f64(1)))).toThrow(/structured \(record\) dtype/);
    expect(() => parseNpy(handMade(hdr('<f8'), f64(1, 2), 3))).toThrow(/version 3.0 is not supported: accepted 1.0 and 2.0/);
    expect(() => parseNpy(handMade(hdr('<f8'), f64(1)))).toThrow(/data has 8 bytes but shape \(2\) of '<f8' needs 16/);
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toThrow(/not a .npy file/);
    expect(() => parseNpy(handMade("{'descr': '<f8', 'shape': (2,), }\n", f64(1, 2)))).toThrow(/keys \{descr, shape\}: accepted exactly \{descr, fortran_order, shape\}/);
    expect(() => parseNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,) \n", f64(1, 2)))).toThrow(NpyError);
  });
});

describe('integer dtypes', () => {
  it('round-trip int8, int16, int32 and int64 exactly, numpy\'s "<i1" read as int8, out-of-range values refused', () => {
    for (const [dtype, xs] of [['|i1', [-128, 0, 127]], ['<i2', [-32768, 5, 32767]], ['<i4', [-(2 ** 31), 7, 2 ** 31 - 1]], ['<i8', [-(2 ** 53) + 1, -3, 2 ** 47 + 1]]] as const) {
      const a = parseNpy(encodeNpy(xs, [3], dtype));
      expect(a.dtype, dtype).toBe(dtype);
      expect(Array.from(a.data), dtype).toEqual([...xs]);
    }
    const i1 = encodeNpy([-1, 2], [2], '|i1');
    const text = new TextDecoder().decode(i1.slice(10, 64)).replace("'|i1'", "'<i1'");
    const relabelled = new Uint8Array(i1);
    relabelled.set(new TextEncoder().encode(text), 10);
    expect(Array.from(parseNpy(relabelled).data)).toEqual([-1, 2]);
    expect(() => encodeNpy([128], [1], '|i1')).toThrow(/element 0 = 128 does not fit '\|i1': accepted integers -128..127/);
    expect(() => encodeNpy([0.5], [1], '<i4')).toThrow(/element 0 = 0.5 does not fit '<i4'/);
    const big = encodeNpy([0], [1], '<i8');
    new DataView(big.buffer).setBigInt64(big.length - 8, 1n << 60n, true);
    expect(() => parseNpy(big)).toThrow(/int64 element 0 = 1152921504606846976 is beyond \+-2\^53/);
  });
});

describe('encodeNpy', () => {
  it('writes a 64-byte aligned version 1.0 header numpy accepts, and round-trips', () => {
    const bytes = encodeNpy([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(Array.from(bytes.slice(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const hl = bytes[8]! | (bytes[9]! << 8);
    expect((10 + hl) % 64).toBe(0);
    const header = new TextDecoder().decode(bytes.slice(10, 10 + hl));
    expect(header.startsWith("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }")).toBe(true);
    expect(header.endsWith('\n')).toBe(true);
    const a = parseNpy(bytes);
    expect(a.shape).toEqual([3, 2]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('float32 output rounds to float32; 1-D shape is written as (n,)', () => {
    const bytes = encodeNpy(new Float64Array([0.1, 1 / 3]), [2], '<f4');
    expect(new TextDecoder().decode(bytes.slice(10, 80))).toContain("'shape': (2,)");
    const a = parseNpy(bytes);
    expect(Array.from(a.data)).toEqual([Math.fround(0.1), Math.fround(1 / 3)]);
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy([1, 2, 3], [2, 2])).toThrow(/shape \(2, 2\) has 4 elements but the data has 3/);
    expect(() => encodeNpy([1], [1], '<u4' as '<f4')).toThrow(/cannot write dtype '<u4'/);
  });
});

let numpy = false;
try {
  execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  numpy = true;
} catch {
  numpy = false;
}

describe.skipIf(!numpy)('round trip through numpy (python3 + numpy found)', () => {
  it('numpy reads what we write and we read what numpy writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    try {
      const ours = join(dir, 'ours.npy');
      writeNpy(ours, [1.5, -2, 3e-300, 4], [2, 2]);
      writeNpy(join(dir, 'ours32.npy'), [0.1, 0.2, 0.3], [3], '<f4');
      writeNpy(join(dir, 'ours_i8.npy'), [2 ** 47, -5], [2], '<i8');
      const script = [
        'import numpy as np, sys',
        `d = sys.argv[1]`,
        `a = np.load(d + '/ours.npy'); assert a.dtype == np.float64 and a.shape == (2, 2), (a.dtype, a.shape)`,
        `assert a.tolist() == [[1.5, -2.0], [3e-300, 4.0]], a.tolist()`,
        `b = np.load(d + '/ours32.npy'); assert b.dtype == np.float32 and b.shape == (3,)`,
        `np.save(d + '/np64.npy', np.arange(24, dtype='<f8').reshape(2, 3, 4) / 7)`,
        `np.save(d + '/np32.npy', np.array([[1, 2], [3, 4.25]], dtype='<f4'))`,
        `np.save(d + '/big.npy', np.zeros(3, dtype='>f8'))`,
        `np.save(d + '/fortran.npy', np.asfortranarray(np.ones((2, 3))))`,
        `np.save(d + '/int.npy', np.arange(3, dtype=np.uint32))`,
        `np.save(d + '/i8.npy', np.array([-128, 0, 127], dtype=np.int8))`,
        `np.save(d + '/i64.npy', np.array([-(2**40), 3], dtype=np.int64))`,
        `a = np.load(d + '/ours_i8.npy'); assert a.dtype == np.int64 and a.tolist() == [2**47, -5], (a.dtype, a.tolist())`,
        `np.save(d + '/same.npy', np.array([1.0, 2.0]))`,
      ].join('\n');
      execFileSync('python3', ['-c', script, dir], { stdio: 'pipe' });
      const a = readNpy(join(dir, 'np64.npy'));
      expect(a.shape).toEqual([2, 3, 4]);
      expect(Array.from(a.data)).toEqual(Array.from({ length: 24 }, (_, i) => i / 7));
      const b = readNpy(join(dir, 'np32.npy'));
      expect(b.dtype).toBe('<f4');
      expect(toRows(b)).toEqual([[1, 2], [3, 4.25]]);
      expect(() => readNpy(join(dir, 'big.npy'))).toThrow(/big.npy: npy dtype '>f8' is big-endian/);
      expect(() => readNpy(join(dir, 'fortran.npy'))).toThrow(/Fortran order/);
      expect(() => readNpy(join(dir, 'int.npy'))).toThrow(/dtype '<u4' is not supported/);
      expect(Array.from(readNpy(join(dir, 'i8.npy')).data)).toEqual([-128, 0, 127]);
      expect(Array.from(readNpy(join(dir, 'i64.npy')).data)).toEqual([-(2 ** 40), 3]);
      // Byte-identical to numpy's own encoding for a simple array.
      expect(Buffer.from(readFileSync(join(dir, 'same.npy'))).equals(Buffer.from(encodeNpy([1, 2], [2])))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
