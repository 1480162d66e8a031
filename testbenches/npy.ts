/**
 * NumPy `.npy` files (format versions 1.0 and 2.0), the tensors users bring and take away:
 * little-endian float32 ('<f4') and float64 ('<f8'), and the signed integers int8 ('|i1'), int16
 * ('<i2'), int32 ('<i4') and int64 ('<i8', values within +-2^53), C order.
 *
 * Layout: magic "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0),
 * an ASCII Python dict literal {'descr': ..., 'fortran_order': ..., 'shape': (...), } padded
 * with spaces and ended by '\n' so the data starts at a multiple of 64 bytes, then the data.
 * Anything else (big-endian, other dtypes, Fortran order, object arrays, version 3.0) is
 * rejected with an error that names what was found and what is accepted.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type NpyDtype = '<f4' | '<f8' | '|i1' | '<i2' | '<i4' | '<i8';

const DTYPES: readonly NpyDtype[] = ['<f4', '<f8', '|i1', '<i2', '<i4', '<i8'];

export interface NpyArray {
  readonly dtype: NpyDtype;
  /** C-order shape; [] for a 0-d array (one element). */
  readonly shape: number[];
  /** Elements in C order: Float32Array for '<f4', Float64Array for the others (integers exact). */
  readonly data: Float32Array | Float64Array;
}

export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ACCEPTED = "accepted '<f4' (little-endian float32) or '<f8' (little-endian float64), or the signed integers '|i1', '<i2', '<i4', '<i8'";

function itemSize(dtype: NpyDtype): number {
  return dtype === '<f4' || dtype === '<i4' ? 4 : dtype === '<f8' || dtype === '<i8' ? 8 : dtype === '<i2' ? 2 : 1;
}

// ---- header dict parser (the subset numpy writes: strings, True/False, tuples of ints) ----

type PyValue = string | boolean | number[] | { list: true };

class HeaderParser {
  private i = 0;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new NpyError(`npy header: ${what} at offset ${this.i} in ${JSON.stringify(this.s.trim())}`);
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private eat(ch: string): boolean {
    this.ws();
    if (this.s[this.i] === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  private expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected '${ch}'`);
  }

  private str(): string {
    this.ws();
    const q = this.s[this.i];
    if (q !== "'" && q !== '"') this.fail('expected a string');
    const end = this.s.indexOf(q, this.i + 1);
    if (end < 0) this.fail('unterminated string');
    const v = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    return v;
  }

  private value(): PyValue {
    this.ws();
    const c = this.s[this.i];
    if (c === "'" || c === '"') return this.str();
    if (this.s.startsWith('True', this.i)) {
      this.i += 4;
      return true;
    }
    if (this.s.startsWith('False', this.i)) {
      this.i += 5;
      return false;
    }
    if (c === '(') {
      this.i++;
      const items: number[] = [];
      for (;;) {
        if (this.eat(')')) break;
        this.ws();
        const m = /^\d+/.exec(this.s.slice(this.i));
        if (!m) this.fail('expected a non-negative integer in the shape tuple');
        items.push(Number(m[0]));
        this.i += m[0].length;
        if (this.eat(')')) break;
        this.expect(',');
      }
      return items;
    }
    if (c === '[') {
      // A structured dtype descr is a list; skip it to report it clearly.
      let depth = 0;
      for (; this.i < this.s.length; this.i++) {
        if (this.s[this.i] === '[') depth++;
        if (this.s[this.i] === ']' && --depth === 0) {
          this.i++;
          return { list: true };
        }
      }
      this.fail('unterminated list');
    }
    return this.fail('unexpected value');
  }

  dict(): Map<string, PyValue> {
    const out = new Map<string, PyValue>();
    this.expect('{');
    for (;;) {
      if (this.eat('}')) break;
      const key = this.str();
      this.expect(':');
      out.set(key, this.value());
      if (this.eat('}')) break;
      this.expect(',');
    }
    this.ws();
    if (this.i !== this.s.length) this.fail('trailing characters after the dict');
    return out;
  }
}

function parseHeader(text: string): { dtype: NpyDtype; shape: number[] } {
  const dict = new HeaderParser(text).dict();
  const keys = [...dict.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') {
    throw new NpyError(`npy header has keys {${keys}}: accepted exactly {descr, fortran_order, shape}`);
  }
  const raw = dict.get('descr');
  // int8 has no byte order: numpy writes '|i1'; '<i1' means the same.
  const descr = raw === '<i1' ? '|i1' : raw;
  if (typeof descr !== 'string') {
    throw new NpyError(`npy dtype is a structured (record) dtype: ${ACCEPTED}`);
  }
  if (!(DTYPES as readonly string[]).includes(descr)) {
    const big = descr.startsWith('>') && ['f4', 'f8', 'i2', 'i4', 'i8'].includes(descr.slice(1));
    throw new NpyError(
      big
        ? `npy dtype '${descr}' is big-endian: ${ACCEPTED}; convert with arr.astype('<${descr.slice(1)}')`
        : `npy dtype '${descr}' is not supported: ${ACCEPTED}`,
    );
  }
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') throw new NpyError(`npy header: fortran_order must be True or False`);
  if (fortran) {
    throw new NpyError(`npy array is in Fortran order (fortran_order: True): accepted C order only; save np.ascontiguousarray(arr)`);
  }
  const shape = dict.get('shape');
  if (!Array.isArray(shape)) throw new NpyError(`npy header: shape must be a tuple of integers`);
  for (const n of shape) {
    if (!Number.isSafeInteger(n)) throw new NpyError(`npy header: shape entry ${n} is not a safe integer`);
  }
  return { dtype: descr as NpyDtype, shape };
}

/** Parse the bytes of a `.npy` file. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NpyError(`not a .npy file: the first bytes are not the magic "\\x93NUMPY"`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1 && minor === 0) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 && minor === 0) {
    if (bytes.length < 12) throw new NpyError('npy file truncated inside the preamble');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new NpyError(`npy format version ${major}.${minor} is not supported: accepted 1.0 and 2.0`);
  }
  if (start + headerLen > bytes.length) {
    throw new NpyError(`npy file truncated: header of ${headerLen} bytes, file has ${bytes.length - start} after the preamble`);
  }
  let text = '';
  for (let i = start; i < start + headerLen; i++) {
    const b = bytes[i]!;
    if (b > 0x7f) throw new NpyError(`npy header has a non-ASCII byte 0x${b.toString(16)} at offset ${i}`);
    text += String.fromCharCode(b);
  }
  const { dtype, shape } = parseHeader(text);
  const count = shape.reduce((a, b) => a * b, 1);
  const size = itemSize(dtype);
  const offset = start + headerLen;
  const available = bytes.length - offset;
  if (available !== count * size) {
    throw new NpyError(
      `npy data has ${available} bytes but shape (${shape.join(', ')}) of '${dtype}' needs ${count * size}`,
    );
  }
  const data = dtype === '<f4' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = offset + size * i;
    switch (dtype) {
      case '<f4': data[i] = view.getFloat32(at, true); break;
      case '<f8': data[i] = view.getFloat64(at, true); break;
      case '|i1': data[i] = view.getInt8(at); break;
      case '<i2': data[i] = view.getInt16(at, true); break;
      case '<i4': data[i] = view.getInt32(at, true); break;
      case '<i8': {
        const v = view.getBigInt64(at, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new NpyError(`npy int64 element ${i} = ${v} is beyond +-2^53: accepted values a float64 holds exactly`);
        data[i] = Number(v);
        break;
      }
    }
  }
  return { dtype, shape: [...shape], data };
}

function shapeText(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Encode a `.npy` file: C order, version 1.0 (2.0 only if the header would not fit 65535
 * bytes). float32 output rounds each value to nearest float32; integer dtypes take integers in
 * their range (safe integers for '<i8') and refuse anything else.
 */
export function encodeNpy(data: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype = '<f8'): Uint8Array {
  if (!DTYPES.includes(dtype)) throw new NpyError(`cannot write dtype '${String(dtype)}': ${ACCEPTED}`);
  for (const n of shape) {
    if (!Number.isSafeInteger(n) || n < 0) throw new NpyError(`shape entry ${n} is invalid: accepted integers >= 0`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new NpyError(`shape (${shape.join(', ')}) has ${count} elements but the data has ${data.length}`);
  }
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) {
    major = 2;
    pre = 12;
    total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - pre;
  const header = dict + ' '.repeat(headerLen - dict.length - 1) + '\n';
  const size = itemSize(dtype);
  const out = new Uint8Array(total + count * size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const bits = { '|i1': 8, '<i2': 16, '<i4': 32, '<i8': 64 } as Record<string, number>;
  for (let i = 0; i < count; i++) {
    const x = data[i]!;
    const at = total + size * i;
    const b = bits[dtype];
    if (b !== undefined && (!Number.isSafeInteger(x) || (b < 64 && (x < -(2 ** (b - 1)) || x >= 2 ** (b - 1))))) {
      throw new NpyError(`element ${i} = ${x} does not fit '${dtype}': accepted integers${b < 64 ? ` ${-(2 ** (b - 1))}..${2 ** (b - 1) - 1}` : ' within +-2^53'}`);
    }
    switch (dtype) {
      case '<f4': view.setFloat32(at, x, true); break;
      case '<f8': view.setFloat64(at, x, true); break;
      case '|i1': view.setInt8(at, x); break;
      case '<i2': view.setInt16(at, x, true); break;
      case '<i4': view.setInt32(at, x, true); break;
      case '<i8': view.setBigInt64(at, BigInt(x), true); break;
    }
  }
  return out;
}

export function readNpy(path: string): NpyArray {
  const bytes = readFileSync(path);
  try {
    return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof NpyError) throw new NpyError(`${path}: ${e.message}`);
    throw e;
  }
}

export function writeNpy(path: string, data: ArrayLike<number>, shape: readonly number[], dtype: NpyDtype = '<f8'): void {
  writeFileSync(path, encodeNpy(data, shape, dtype));
}

/** A 2-D array as rows (e.g. K or V: L x d). */
export function toRows(a: NpyArray): number[][] {
  if (a.shape.length !== 2) throw new NpyError(`expected a 2-D array, got shape (${a.shape.join(', ')})`);
  const [r, c] = a.shape as [number, number];
  const rows: number[][] = [];
  for (let i = 0; i < r; i++) rows.push(Array.from(a.data.subarray(i * c, (i + 1) * c)));
  return rows;
}
