/**
 * Golden model of a GEMV job of the SwiftKV-MHA top and the packing of its streams (the
 * layouts of mha.ts's port docs), for every test and regression that drives GEMV:
 *
 *   y[r] = sum over groups g of scale[r][g] * sum_{j in g} W[r][j] x[j]      (exact)
 *
 * Rows are computed in passes of R = 2 T H rows (T DSP tiles per lane, H lanes, two rows per
 * tile): row p R + i 2T + 2t + f is row f of tile t of lane i in pass p. Lane i sends its rows
 * of a pass in that order, four per y beat (y_tkeep marks the rows of the beat), y_tlast on
 * its last beat of the job.
 */
import { GEMV_X_PER_BEAT } from './mha.ts';
import { GEMV_Y_ROWS } from './gemv.ts';

export interface GemvJob {
  /** INT4 weights (-8..7), else INT8 (-128..127). */
  readonly int4: boolean;
  /** W: M rows of N weights. */
  readonly w: readonly (readonly number[])[];
  /** x: N INT8 activations. */
  readonly x: readonly number[];
  /** Scales: M rows of N / G signed 16-bit values. */
  readonly scale: readonly (readonly number[])[];
}

/** The array a GEMV job runs on: H lanes of T tiles, scale groups of G columns. */
export interface GemvArray {
  readonly H: number;
  readonly T: number;
  readonly G: number;
}

function checkInt(what: string, v: number, lo: number, hi: number): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`GEMV job: ${what} = ${v} is out of range: accepted ${lo}..${hi}`);
}

/** Throws a RangeError naming the first value or shape outside the job's formats. */
export function checkGemvJob(job: GemvJob, G: number): void {
  const M = job.w.length;
  const N = job.x.length;
  if (M < 1) throw new RangeError('GEMV job: no rows (M = 0); accepted M >= 1');
  if (N < G || N % G !== 0) throw new RangeError(`GEMV job: N = ${N} columns is not a positive multiple of the group ${G}`);
  const wmax = job.int4 ? 7 : 127;
  job.x.forEach((v, j) => checkInt(`x[${j}]`, v, -128, 127));
  job.w.forEach((row, r) => {
    if (row.length !== N) throw new RangeError(`GEMV job: row ${r} of W has ${row.length} weights, x has ${N}`);
    row.forEach((v, j) => checkInt(`w[${r}][${j}]`, v, -wmax - 1, wmax));
  });
  if (job.scale.length !== M) throw new RangeError(`GEMV job: ${job.scale.length} rows of scales for ${M} rows of W`);
  job.scale.forEach((row, r) => {
    if (row.length !== N / G) throw new RangeError(`GEMV job: row ${r} has ${row.length} scales, expected N / G = ${N / G}`);
    row.forEach((v, g) => checkInt(`scale[${r}][${g}]`, v, -32768, 32767));
  });
}

/** y = W x with per-group scales, exact. */
export function gemvGolden(job: GemvJob, G: number): bigint[] {
  checkGemvJob(job, G);
  return job.w.map((row, r) => {
    let y = 0n;
    for (let g = 0; g * G < job.x.length; g++) {
      let sum = 0n;
      for (let j = g * G; j < (g + 1) * G; j++) sum += BigInt(row[j]!) * BigInt(job.x[j]!);
      y += sum * BigInt(job.scale[r]![g]!);
    }
    return y;
  });
}

export type GemvData = 'random' | 'extreme';

/** A seeded generator (verify/rng.ts's Rng fits): next() in [0, 1), int(lo, hi) inclusive. */
export interface GemvRng {
  next(): number;
  int(lo: number, hi: number): number;
}

/**
 * A seeded random job. 'extreme': every weight, activation and scale at an end of its range
 * (-128/127 or -8/7, -128/127, -32768/32767), the largest sums the datapath must hold.
 */
export function randomGemvJob(rng: GemvRng, o: { int4: boolean; M: number; N: number; G: number; data?: GemvData }): GemvJob {
  const wmax = o.int4 ? 8 : 128;
  const extreme = o.data === 'extreme';
  const pick = (lo: number, hi: number): number => (extreme ? (rng.next() < 0.5 ? lo : hi) : rng.int(lo, hi));
  return {
    int4: o.int4,
    w: Array.from({ length: o.M }, () => Array.from({ length: o.N }, () => pick(-wmax, wmax - 1))),
    x: Array.from({ length: o.N }, () => pick(-128, 127)),
    scale: Array.from({ length: o.M }, () => Array.from({ length: o.N / o.G }, () => pick(-32768, 32767))),
  };
}

/** Rows per pass. */
export function gemvRowsPerPass(a: GemvArray): number {
  return 2 * a.T * a.H;
}

export interface GemvBeats {
  /** x beats: 8 activations each, element 0 in the low byte. */
  x: bigint[];
  /** Weight beats of every pass: one per column (INT8) or per two columns (INT4). */
  w: bigint[];
  /** Scale beats: two per group and pass, row 0 of every tile, then row 1. */
  s: bigint[];
  passes: number;
}

/** The x, w and s stream beats of a job (rows at or past M are sent as zeros and ignored). */
export function gemvBeats(job: GemvJob, a: GemvArray): GemvBeats {
  checkGemvJob(job, a.G);
  const { H, T, G } = a;
  const M = job.w.length;
  const N = job.x.length;
  const R = gemvRowsPerPass(a);
  const passes = Math.ceil(M / R);
  const x: bigint[] = [];
  for (let j = 0; j < N; j += GEMV_X_PER_BEAT) {
    let word = 0n;
    for (let e = GEMV_X_PER_BEAT - 1; e >= 0; e--) word = (word << 8n) | BigInt.asUintN(8, BigInt(job.x[j + e] ?? 0));
    x.push(word);
  }
  const wAt = (r: number, j: number): bigint => BigInt(r < M ? job.w[r]![j]! : 0);
  const w: bigint[] = [];
  const s: bigint[] = [];
  for (let p = 0; p < passes; p++) {
    for (let j = 0; j < N; j += job.int4 ? 2 : 1) {
      let word = 0n;
      // Tile k = i T + t of the whole array at bits [16k+15 : 16k]: rows p R + 2k (+1).
      for (let k = H * T - 1; k >= 0; k--) {
        const r0 = p * R + 2 * k;
        const r1 = r0 + 1;
        const field = job.int4
          ? (BigInt.asUintN(4, wAt(r1, j + 1)) << 12n) | (BigInt.asUintN(4, wAt(r0, j + 1)) << 8n) | (BigInt.asUintN(4, wAt(r1, j)) << 4n) | BigInt.asUintN(4, wAt(r0, j))
          : (BigInt.asUintN(8, wAt(r1, j)) << 8n) | BigInt.asUintN(8, wAt(r0, j));
        word = (word << 16n) | field;
      }
      w.push(word);
    }
    for (let g = 0; g < N / G; g++) {
      for (const f of [0, 1]) {
        let word = 0n;
        for (let k = H * T - 1; k >= 0; k--) {
          const r = p * R + 2 * k + f;
          word = (word << 16n) | BigInt.asUintN(16, BigInt(r < M ? job.scale[r]![g]! : 0));
        }
        s.push(word);
      }
    }
  }
  return { x, w, s, passes };
}

/** Rows of lane i in pass p of a job of M rows (0..2T). */
export function gemvLaneRows(M: number, a: GemvArray, lane: number, pass: number): number {
  return Math.max(0, Math.min(2 * a.T, M - pass * gemvRowsPerPass(a) - lane * 2 * a.T));
}

/** One y beat of a lane as the documentation promises it. */
export interface GemvYBeat {
  /** Global row index of each kept row, row k of the beat first. */
  readonly rows: readonly number[];
  /** y_tkeep: bit k set for each row of `rows`. */
  readonly keep: number;
  readonly last: boolean;
}

/** Every y beat lane i sends in a job of M rows, in order. */
export function gemvYBeats(M: number, a: GemvArray, lane: number): GemvYBeat[] {
  const R = gemvRowsPerPass(a);
  const passes = Math.ceil(M / R);
  const out: GemvYBeat[] = [];
  for (let p = 0; p < passes; p++) {
    const n = gemvLaneRows(M, a, lane, p);
    for (let b = 0; b * GEMV_Y_ROWS < n; b++) {
      const rows = Array.from({ length: Math.min(GEMV_Y_ROWS, n - b * GEMV_Y_ROWS) }, (_, k) => p * R + lane * 2 * a.T + b * GEMV_Y_ROWS + k);
      out.push({ rows, keep: (1 << rows.length) - 1, last: false });
    }
  }
  if (out.length > 0) out[out.length - 1] = { ...out[out.length - 1]!, last: true };
  return out;
}
