/**
 * Cycle vector files: one line per cycle, one hexadecimal field per signal,
 * fields separated by single spaces (Verilog `%h` style: exactly
 * ceil(width / 4) digits, zero padded, most significant digit first).
 *
 * Values are written from bigints (negative values are two's-complement
 * masked to the field width) and read back as unsigned raw bits; use
 * `toSigned` to reinterpret a signed field.
 *
 * Blank lines are ignored when there is at least one field (the vector
 * testbench does the same); with zero fields every line is one cycle.
 * `x`/`z` digits (as printed by 4-state simulators for unknown / high-impedance
 * bits) are errors unless explicitly allowed.
 */
import { readFile, writeFile } from 'node:fs/promises';

export interface VectorField {
  name: string;
  width: number;
}

export type VectorValue = bigint | number;

/** Malformed vector data; `line` is 1-based, `cycle` 0-based. */
export class VectorFormatError extends Error {
  readonly source: string;
  readonly line: number | undefined;
  readonly cycle: number | undefined;
  readonly field: string | undefined;

  constructor(
    message: string,
    where: { source: string; line?: number; cycle?: number; field?: string },
  ) {
    const loc = [
      where.source,
      where.line !== undefined ? `line ${where.line}` : undefined,
      where.cycle !== undefined ? `cycle ${where.cycle}` : undefined,
      where.field !== undefined ? `field '${where.field}'` : undefined,
    ]
      .filter((s): s is string => s !== undefined)
      .join(', ');
    super(`${loc}: ${message}`);
    this.name = 'VectorFormatError';
    this.source = where.source;
    this.line = where.line;
    this.cycle = where.cycle;
    this.field = where.field;
  }
}

/** An `x`/`z` digit in a field where unknown values are not allowed. */
export class VectorUnknownValueError extends VectorFormatError {
  constructor(
    message: string,
    where: { source: string; line: number; cycle: number; field: string },
  ) {
    super(message, where);
    this.name = 'VectorUnknownValueError';
  }
}

export interface ParseVectorOptions {
  /** Name used in error messages (file path); default `'<vectors>'`. */
  source?: string;
  /**
   * Tolerate `x`/`z` digits: `true` everywhere, or a predicate per cycle (0-based)
   * and field (e.g. `(cycle) => cycle === 0` for the cycle before the first reset
   * edge). Tolerated unknown bits read as 0; see `parseVectorsDetailed` for masks.
   */
  allowUnknown?: boolean | ((cycle: number, field: VectorField) => boolean);
}

export interface DetailedVectors {
  /** Raw unsigned values; unknown bits are 0. */
  values: bigint[][];
  /** Per value, a mask of the bits printed as x/z (each x/X/z/Z digit marks 4 bits). */
  unknown: bigint[][];
  /** 1-based source line of each row. */
  lines: number[];
}

/** Number of hex digits of a field (`%h` prints exactly this many). */
export function hexDigits(width: number): number {
  return Math.ceil(width / 4);
}

function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** Two's-complement encoding of `value` in `width` bits (value must fit signed or unsigned). */
export function toUnsigned(value: VectorValue, width: number): bigint {
  const v = toBigInt(value);
  checkWidth(width);
  const min = -(1n << BigInt(width - 1));
  if (v < min || v > mask(width)) {
    throw new RangeError(`value ${v} does not fit in ${width} bits`);
  }
  return v & mask(width);
}

/** Reinterpret raw `width`-bit bits as a two's-complement signed number. */
export function toSigned(raw: bigint, width: number): bigint {
  checkWidth(width);
  const r = raw & mask(width);
  return r >> BigInt(width - 1) === 1n ? r - (1n << BigInt(width)) : r;
}

function toBigInt(value: VectorValue): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`vector value ${value} is not a safe integer; use a bigint`);
  }
  return BigInt(value);
}

function checkWidth(width: number): void {
  if (!Number.isSafeInteger(width) || width < 1) {
    throw new RangeError(`invalid field width ${width} (must be a positive integer)`);
  }
}

function checkFields(fields: readonly VectorField[]): void {
  for (const f of fields) {
    if (typeof f.name !== 'string' || f.name.length === 0) throw new RangeError('vector field without a name');
    if (!Number.isSafeInteger(f.width) || f.width < 1) {
      throw new RangeError(`vector field '${f.name}': invalid width ${f.width} (must be a positive integer)`);
    }
  }
}

function describeFields(fields: readonly VectorField[]): string {
  return fields.length === 0 ? '(none)' : fields.map((f) => `${f.name}[${f.width}]`).join(' ');
}

/** Format one row as a vector line (without newline). */
export function formatVectorLine(fields: readonly VectorField[], row: readonly VectorValue[], rowIndex = 0): string {
  if (row.length !== fields.length) {
    throw new RangeError(
      `vector row ${rowIndex}: ${row.length} values for ${fields.length} fields (${describeFields(fields)})`,
    );
  }
  return fields
    .map((f, i) => {
      let raw: bigint;
      try {
        raw = toUnsigned(row[i] as VectorValue, f.width);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new RangeError(`vector row ${rowIndex}, field '${f.name}' (width ${f.width}): ${msg}`);
      }
      return raw.toString(16).padStart(hexDigits(f.width), '0');
    })
    .join(' ');
}

/** Format rows as vector file text (one line per row, trailing newline). */
export function formatVectors(fields: readonly VectorField[], rows: readonly (readonly VectorValue[])[]): string {
  checkFields(fields);
  let out = '';
  rows.forEach((row, i) => {
    out += formatVectorLine(fields, row, i) + '\n';
  });
  return out;
}

export async function writeVectorFile(
  path: string,
  fields: readonly VectorField[],
  rows: readonly (readonly VectorValue[])[],
): Promise<void> {
  await writeFile(path, formatVectors(fields, rows), 'utf8');
}

const HEX_RE = /^[0-9a-fA-FxXzZ]+$/;
const UNKNOWN_RE = /[xXzZ]/;

/** Parse vector text, keeping unknown-bit masks. */
export function parseVectorsDetailed(
  text: string,
  fields: readonly VectorField[],
  opts: ParseVectorOptions = {},
): DetailedVectors {
  checkFields(fields);
  const source = opts.source ?? '<vectors>';
  const allow = opts.allowUnknown ?? false;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // trailing newline
  const result: DetailedVectors = { values: [], unknown: [], lines: [] };

  lines.forEach((rawLine, idx) => {
    const lineNo = idx + 1;
    const line = rawLine.replace(/\r$/, '');
    const trimmed = line.trim();
    if (fields.length > 0 && trimmed === '') return; // blank line: ignored
    const cycle = result.values.length;
    const tokens = trimmed === '' ? [] : trimmed.split(/[ \t]+/);
    if (tokens.length !== fields.length) {
      throw new VectorFormatError(
        `expected ${fields.length} hex fields (${describeFields(fields)}), found ${tokens.length}: '${truncate(trimmed)}'`,
        { source, line: lineNo, cycle },
      );
    }
    const values: bigint[] = [];
    const unknown: bigint[] = [];
    fields.forEach((f, i) => {
      const tok = tokens[i] as string;
      const digits = hexDigits(f.width);
      const where = { source, line: lineNo, cycle, field: f.name };
      const expect = `width ${f.width}, ${digits} hex digit${digits === 1 ? '' : 's'}`;
      if (!HEX_RE.test(tok)) {
        throw new VectorFormatError(`'${truncate(tok)}' is not a hex number (${expect})`, where);
      }
      // Extra leading zeros are accepted: Verilator 5.006 prints an output it has folded to
      // a signed constant with 32-bit width under %h. The value must still fit (checked below).
      if (tok.length > digits && !/^0+$/.test(tok.slice(0, tok.length - digits))) {
        throw new VectorFormatError(`'${truncate(tok)}' has ${tok.length} digits, more than the ${expect}`, where);
      }
      let unk = 0n;
      if (UNKNOWN_RE.test(tok)) {
        const allowed = typeof allow === 'function' ? allow(cycle, f) : allow;
        if (!allowed) {
          throw new VectorUnknownValueError(`unknown value '${truncate(tok)}' (x/z digits; ${expect})`, where);
        }
        for (const ch of tok) unk = (unk << 4n) | (UNKNOWN_RE.test(ch) ? 0xfn : 0n);
        unk &= mask(f.width);
      }
      const value = BigInt('0x' + tok.replace(/[xXzZ]/g, '0'));
      if (value > mask(f.width)) {
        throw new VectorFormatError(`value 0x${tok} does not fit in ${f.width} bits`, where);
      }
      values.push(value);
      unknown.push(unk);
    });
    result.values.push(values);
    result.unknown.push(unknown);
    result.lines.push(lineNo);
  });
  return result;
}

/** Parse vector text into raw unsigned values (one array per cycle). */
export function parseVectors(text: string, fields: readonly VectorField[], opts: ParseVectorOptions = {}): bigint[][] {
  return parseVectorsDetailed(text, fields, opts).values;
}

export async function readVectorFile(
  path: string,
  fields: readonly VectorField[],
  opts: ParseVectorOptions = {},
): Promise<bigint[][]> {
  const text = await readFile(path, 'utf8');
  return parseVectors(text, fields, { source: path, ...opts });
}

export async function readVectorFileDetailed(
  path: string,
  fields: readonly VectorField[],
  opts: ParseVectorOptions = {},
): Promise<DetailedVectors> {
  const text = await readFile(path, 'utf8');
  return parseVectorsDetailed(text, fields, { source: path, ...opts });
}

function truncate(s: string, max = 80): string {
  return s.length > max ? s.slice(0, max) + '...' : s;
}
