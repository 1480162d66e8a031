/**
 * The host side of the kernel's memory layouts (docs/kernel.md, byte by byte): writes q, the KV
 * caches, x, the weight and scale stripes into a device memory image and reads o and y back.
 * All multi-byte values are little-endian; every buffer starts on a DW-byte boundary.
 *
 *   q, o      [nHeads][d] int32 (raw data-format values), head h at base + 4 d h
 *   K, V      lane i = h mod H holds heads i, i + H, ... in its K cache (k_cache<i>) and its V cache
 *             (v_cache<i>); head h at + floor(h / H) * cap * 4d, token t at + 4 d t: d int32 values
 *             (keys in pair order, toPairOrder; values in natural order)
 *   x         [N] int8
 *   w, s      GEMV beats (16 H T bits, docs/mha.md), each padded to Wb words of DW bits; word
 *             k of beat n at stripe k's base + n * DWB. Weight beats: per pass, per column
 *             (INT8) or pair of columns (INT4); scale beats: per pass, per group, row r0 then r1
 *   y         [M] int64 (the exact 48-bit result sign-extended), row r at y + 8 r
 */
import type { KernelConfig } from './config.ts';

export class DeviceMemory {
  readonly bytes: Uint8Array;
  constructor(readonly size: number, readonly wordBytes: number) {
    if (size % wordBytes !== 0) throw new RangeError(`device memory of ${size} bytes: accepted multiples of the word (${wordBytes} bytes)`);
    this.bytes = new Uint8Array(size);
  }

  private check(addr: number, n: number): void {
    if (!Number.isInteger(addr) || addr < 0 || addr + n > this.size) throw new RangeError(`device memory access of ${n} bytes at 0x${addr.toString(16)}: accepted 0..0x${this.size.toString(16)}`);
  }

  writeInt(addr: number, bytes: number, v: bigint): void {
    this.check(addr, bytes);
    let x = BigInt.asUintN(8 * bytes, v);
    for (let i = 0; i < bytes; i++) {
      this.bytes[addr + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }

  readInt(addr: number, bytes: number): bigint {
    this.check(addr, bytes);
    let x = 0n;
    for (let i = bytes - 1; i >= 0; i--) x = (x << 8n) | BigInt(this.bytes[addr + i]!);
    return BigInt.asIntN(8 * bytes, x);
  }

  /** Word n as an unsigned integer (byte 0 in the low bits). */
  word(n: number): bigint {
    return BigInt.asUintN(8 * this.wordBytes, this.readInt(n * this.wordBytes, this.wordBytes));
  }

  setWord(n: number, v: bigint): void {
    this.writeInt(n * this.wordBytes, this.wordBytes, v);
  }

  /** $readmemh image: only the non-zero words, each after its @address. */
  hexImage(): string {
    const lines: string[] = [];
    const words = this.size / this.wordBytes;
    let next = -1;
    for (let n = 0; n < words; n++) {
      let zero = true;
      for (let i = 0; i < this.wordBytes; i++) if (this.bytes[n * this.wordBytes + i] !== 0) { zero = false; break; }
      if (zero) continue;
      if (n !== next) lines.push(`@${n.toString(16)}`);
      lines.push(this.word(n).toString(16).padStart(2 * this.wordBytes, '0'));
      next = n + 1;
    }
    return lines.join('\n') + '\n';
  }
}

type Layout = Pick<KernelConfig, 'H' | 'T' | 'd' | 'P' | 'B' | 'DWB' | 'DW' | 'Wb' | 'G'>;

export const vectorBytes = (c: Pick<KernelConfig, 'd'>): number => 4 * c.d;

/** Bytes each of lane i's caches (K and V) needs for nHeads heads of cap tokens each. */
export function cacheRegionBytes(c: Layout, lane: number, nHeads: number, cap: number): number {
  const heads = lane < nHeads ? Math.floor((nHeads - 1 - lane) / c.H) + 1 : 0;
  return heads * cap * vectorBytes(c);
}

/** The per-lane cache bases of a job: K cache of lane i at k[i], V cache at v[i]. */
export interface CacheBases {
  readonly k: readonly number[];
  readonly v: readonly number[];
}

export function writeVectors(mem: DeviceMemory, base: number, rows: readonly (readonly bigint[])[]): void {
  rows.forEach((r, h) => r.forEach((x, e) => mem.writeInt(base + 4 * (h * r.length + e), 4, x)));
}

export function readVectors(mem: DeviceMemory, base: number, n: number, d: number): bigint[][] {
  return Array.from({ length: n }, (_, h) => Array.from({ length: d }, (_, e) => mem.readInt(base + 4 * (h * d + e), 4)));
}

/** Byte address of head h's token t in one of the caches (bases: that cache's, one per lane). */
export function cacheTokenAddr(c: Layout, bases: readonly number[], cap: number, h: number, t: number): number {
  return bases[h % c.H]! + Math.floor(h / c.H) * cap * vectorBytes(c) + t * vectorBytes(c);
}

/** Write head h's token t: k into the K cache, v into the V cache. */
export function writeToken(mem: DeviceMemory, c: Layout, caches: CacheBases, cap: number, h: number, t: number, k: readonly bigint[], v: readonly bigint[]): void {
  const ka = cacheTokenAddr(c, caches.k, cap, h, t);
  const va = cacheTokenAddr(c, caches.v, cap, h, t);
  for (let e = 0; e < c.d; e++) {
    mem.writeInt(ka + 4 * e, 4, k[e]!);
    mem.writeInt(va + 4 * e, 4, v[e]!);
  }
}

/** Read head h's token t back as (k, v). */
export function readToken(mem: DeviceMemory, c: Layout, caches: CacheBases, cap: number, h: number, t: number): { k: bigint[]; v: bigint[] } {
  const ka = cacheTokenAddr(c, caches.k, cap, h, t);
  const va = cacheTokenAddr(c, caches.v, cap, h, t);
  return {
    k: Array.from({ length: c.d }, (_, e) => mem.readInt(ka + 4 * e, 4)),
    v: Array.from({ length: c.d }, (_, e) => mem.readInt(va + 4 * e, 4)),
  };
}

/** The GEMV beats of one job, each as a 16 H T-bit integer (docs/mha.md, GEMV job). */
export function gemvWeightBeats(c: Layout, W: readonly (readonly number[])[], int4: boolean): bigint[] {
  const M = W.length;
  const N = W[0]!.length;
  const R = 2 * c.T * c.H;
  const beats: bigint[] = [];
  const w = (r: number, j: number): bigint => (r < M ? BigInt(W[r]![j]!) : 0n);
  for (let p = 0; p * R < M; p++) {
    for (let j = 0; j < N; j += int4 ? 2 : 1) {
      let beat = 0n;
      for (let k = 0; k < c.H * c.T; k++) {
        const r0 = p * R + 2 * k;
        const field = int4
          ? (BigInt.asUintN(4, w(r0, j)) | (BigInt.asUintN(4, w(r0 + 1, j)) << 4n) | (BigInt.asUintN(4, w(r0, j + 1)) << 8n) | (BigInt.asUintN(4, w(r0 + 1, j + 1)) << 12n))
          : BigInt.asUintN(8, w(r0, j)) | (BigInt.asUintN(8, w(r0 + 1, j)) << 8n);
        beat |= field << BigInt(16 * k);
      }
      beats.push(beat);
    }
  }
  return beats;
}

/** Scale beats: per pass, per group, the scales of every tile's row r0, then of its row r1. */
export function gemvScaleBeats(c: Layout, scale: readonly (readonly number[])[]): bigint[] {
  const M = scale.length;
  const groups = scale[0]!.length;
  const R = 2 * c.T * c.H;
  const beats: bigint[] = [];
  for (let p = 0; p * R < M; p++) {
    for (let g = 0; g < groups; g++) {
      for (const row of [0, 1]) {
        let beat = 0n;
        for (let k = 0; k < c.H * c.T; k++) {
          const r = p * R + 2 * k + row;
          beat |= BigInt.asUintN(16, r < M ? BigInt(scale[r]![g]!) : 0n) << BigInt(16 * k);
        }
        beats.push(beat);
      }
    }
  }
  return beats;
}

/** Bytes of each stripe for these beats. */
export const stripeBytes = (c: Layout, beats: number): number => beats * c.DWB;

/** Write beats striped: word k of beat n at bases[k] + n * DWB. */
export function writeStripes(mem: DeviceMemory, c: Layout, bases: readonly number[], beats: readonly bigint[]): void {
  const mask = (1n << BigInt(c.DW)) - 1n;
  beats.forEach((beat, n) => {
    for (let k = 0; k < c.Wb; k++) mem.writeInt(bases[k]! + n * c.DWB, c.DWB, (beat >> BigInt(k * c.DW)) & mask);
  });
}

export function writeX(mem: DeviceMemory, base: number, x: readonly number[]): void {
  x.forEach((v, j) => mem.writeInt(base + j, 1, BigInt(v)));
}

export function readY(mem: DeviceMemory, base: number, M: number): bigint[] {
  return Array.from({ length: M }, (_, r) => mem.readInt(base + 8 * r, 8));
}

/** y = W x with per-(row, group) scales, exact (docs/mha.md). */
export function gemvReference(W: readonly (readonly number[])[], x: readonly number[], scale: readonly (readonly number[])[], G: number): bigint[] {
  return W.map((row, r) => {
    let y = 0n;
    for (let g = 0; g * G < row.length; g++) {
      let s = 0n;
      for (let j = g * G; j < (g + 1) * G; j++) s += BigInt(row[j]!) * BigInt(x[j]!);
      y += BigInt(scale[r]![g]!) * s;
    }
    return y;
  });
}
