/**
 * GEMV on every DSP tile of a lane: y = W x with INT8 or INT4 signed weights (chosen per job),
 * INT8 signed activations and a signed 16-bit scale per (row, group of G columns), exact.
 *
 * Each tile computes two rows. In a MAC cycle its A operand holds the two rows' weights of one
 * column, packed as A = w1 * 2^18 + w0, and B the column's activation x:
 *   P = sum over the chunk's columns of (w1 x 2^18 + w0 x) = S1 * 2^18 + S0
 * accumulated in the tile's P register (post-adder, zsel 2) over a chunk of K = 8 columns.
 * The offset is 18, not more: A must hold -128 * 2^18 - 128 in the 27-bit port.
 *
 * Unpacking is exact (checked per tile over every (weight, activation) pair by the tests):
 *   w x lies in [-128*127, 128*128] = [-16256, 16384] for INT8 (and [-1016, 1024] for INT4),
 *   so S0 of 8 terms lies in [-130048, 131072] = [-2^17 + 1024, 2^17]. Read as a signed
 *   18-bit number, P's low 18 bits equal S0, except S0 = +2^17 reads as -2^17, a value S0
 *   never takes: S0 = (low = -2^17) ? 2^17 : low, a test on the low bits, no adder.
 *   S1 = floor(P / 2^18) + (S0 < 0); the +1 is the carry-in of the group-sum adder.
 *   S1 (|S1| <= 2^17) sits in P's 30 bits above bit 18 and never overflows.
 * The chunk sums add into two group sums per tile (fabric adders, two buffers so that one
 * group is scaled while the next accumulates): |S_group| <= G * 2^14 <= 2^26 for G <= 4096,
 * so a group sum fits the 27-bit A port. After each group, two scaling cycles per tile run on
 * the same tile: P = y_r + S_r * scale_r (A = S_r, B = scale_r, C = y_r, zsel 1), written back
 * to y_r. |y| <= N * 2^14 * 2^15 = N * 2^29 < 2^47 for N < 2^18: exact in the 48-bit P.
 * GEMV adds multiplexers, adders and registers around the tiles, never a multiplier.
 *
 * After a pass (every column of a block of rows), y leaves on the lane's y stream, four rows per
 * beat, while the next pass runs: the tiles' y registers shift towards tile 0 by a beat's rows.
 * Row order of a lane's block: tile 0 row 0, tile 0 row 1, tile 1 row 0, ...
 */
import { Module, u, s, mux, lit, cat, clog2, exprArith as A, type Expr, type Signal } from '../../hdl/index.ts';
import { addWithCarry } from './golden.ts';
import { streamOutput } from '../../hdl/stream.ts';

/** Columns per chunk accumulated in a tile's P before unpacking. */
export const GEMV_CHUNK = 8;
/** Bit offset of the second row's weight in the packed A operand. */
export const GEMV_FIELD = 18;
/** Width of a group sum (G <= 4096) and of y. */
export const GEMV_SUM_BITS = 27;
export const GEMV_Y_BITS = 48;
export const GEMV_MAX_GROUP = 4096;

export interface GemvUnitParams {
  /** Tiles of the lane. */
  readonly tiles: number;
}

export function gemvUnitName(p: GemvUnitParams): string {
  return `swiftkv_gemv_t${p.tiles}`;
}

/** Golden of the packed operand: A = w1 * 2^18 + w0 (w0, w1 signed 8-bit). */
export function packWeights(w0: bigint, w1: bigint): bigint {
  return w1 * (1n << BigInt(GEMV_FIELD)) + w0;
}

/** Golden of the unpacking: (S0, S1) from a chunk's P. */
export function unpackChunk(p: bigint): [bigint, bigint] {
  const low = BigInt.asIntN(GEMV_FIELD, p);
  const s0 = low === -(1n << BigInt(GEMV_FIELD - 1)) ? 1n << BigInt(GEMV_FIELD - 1) : low;
  const s1 = (p >> BigInt(GEMV_FIELD)) + (s0 < 0n ? 1n : 0n);
  return [s0, s1];
}

/** Hardware of the packing: w1 * 2^18 + w0 as a signed 27-bit value (a 9-bit add on the top bits). */
export function packWeightsHw(w0: Expr, w1: Expr): Expr {
  // w1 * 2^18 + w0 = {w1 - (w0 < 0), w0 sign-extended to 18 bits}: the low field is w0 mod 2^18,
  // the top field w1 plus w0's borrow; -129..127 fits its 9 bits.
  const lowField = w0.sext(GEMV_FIELD).asUnsigned();
  const top = w1.sext(27 - GEMV_FIELD).sub(w0.bit(7).zext(2).asSigned()).trunc(27 - GEMV_FIELD);
  return cat(top, lowField).asSigned();
}

/**
 * Hardware of the unpacking: S0 (s19), floor(P / 2^18) (s20) and S0's sign; S1 is the floor
 * plus the sign bit (added as the carry-in of the group-sum adder).
 */
export function unpackChunkHw(p: Expr): { s0: Expr; top: Expr; neg: Expr } {
  const low = p.slice(GEMV_FIELD - 1, 0);
  const aliased = low.bit(GEMV_FIELD - 1).and(low.slice(GEMV_FIELD - 2, 0).orR().not()); // low = -2^17: S0 = +2^17
  const s0 = cat(low.bit(GEMV_FIELD - 1).and(aliased.not()), low).asSigned(); // 19 bits
  return { s0, top: p.shr(GEMV_FIELD).trunc(20), neg: s0.bit(GEMV_FIELD) };
}

const cache = new Map<string, Module>();

/** Rows per beat of a lane's y stream. */
export const GEMV_Y_ROWS = 4;
/** Cycles from a chunk's last MAC issue until its unpacked sums can be read (P +3, unpack 1, add 1). */
export const GEMV_SUM_READY = 5;
/** Cycles from a group's row-1 scaling issue until y is final (P +3 for row 1, then written). */
export const GEMV_Y_READY = 4;
/** Idle cycles between two groups scaled back to back (the y shift pair must settle). */
export const GEMV_SCALE_GAP = 3;

/**
 * One lane's GEMV datapath around its T tiles. Every control input comes from the top's GEMV
 * controller and is the same for every lane (lockstep); `w`, `s` are this lane's share of the
 * weight and scale beats.
 *
 * Per tile: the packed weights (A), the activation or the scale (B), y as C (scaling only);
 * the chunk unpacking over two stages into two group sums (one per row; a group is scaled
 * right after the next group's first chunk, before that chunk's unpacking restarts them);
 * y in a pair of registers that shift (y1 to the front, the new P to the back) so C always
 * reads the front one: row 0's y at its scaling, row 1's a cycle later, no multiplexer.
 */
export function buildGemvUnit(p: GemvUnitParams): Module {
  const name = gemvUnitName(p);
  const hit = cache.get(name);
  if (hit) return hit;
  const T = p.tiles;
  const rowsPerLane = 2 * T;
  const m = new Module(name);
  m.doc = `GEMV datapath of one lane around its ${T} DSP tiles: packed weights in, chunk unpacking, group sums, scaling on the tiles, y out ${GEMV_Y_ROWS} rows per beat.`;
  m.generator = { name: 'generators/swiftkv/gemv.ts buildGemvUnit', params: { ...p } };
  const cd = m.clockDomain();
  const dom = { domain: cd, reset: null };
  // Issue-cycle controls.
  const mac = m.input('mac', u(1), 'a MAC cycle: one column');
  const chunkFirst = m.input('chunk_first', u(1), 'the first column of a chunk: P restarts');
  const chunkLast = m.input('chunk_last', u(1), 'the last column of a chunk: its P is unpacked 3 cycles later');
  const groupFirst = m.input('group_first', u(1), 'the chunk is the first of its group: the group sums restart');
  const int4 = m.input('int4', u(1), '1: INT4 weights, two columns per beat');
  const phase = m.input('phase', u(1), "INT4: 0 the beat's first column, 1 its second");
  const x = m.input('x', s(8), 'activation of the column');
  const scale = m.input('scale', u(1), 'a scaling cycle');
  const scaleRow = m.input('scale_row', u(1), 'row (0 or 1) of every tile scaled now');
  const firstGroup = m.input('first_group', u(1), 'the first group of a pass: y starts from its product (C unused)');
  const emitStart = m.input('emit_start', u(1), 'pass end: y is final; start sending this lane\'s rows');
  const emit = m.input('emit', u(clog2(rowsPerLane + 1)), 'rows of this lane to send (at emit_start)');
  const lastPass = m.input('last_pass', u(1), "the job's last rows of this lane: tlast on the last beat");
  const w = m.input('w', u(T * 16), 'tile t: bits [16t+15:16t] = INT8 {w1, w0}, or INT4 {w1 col+1, w0 col+1, w1 col, w0 col}');
  // The scales of one group, held here: row 0 of every tile, then row 1 (two s beats).
  const sBeat = m.input('s', u(T * 16), "this lane's share of an s beat: tile t at bits [16t+15:16t]");
  const sLoad0 = m.input('s_load0', u(1), "take s as the group's row-0 scales");
  const sLoad1 = m.input('s_load1', u(1), "take s as the group's row-1 scales");
  const sc0 = m.reg('s_row0', u(T * 16), { domain: cd, reset: null });
  const sc1 = m.reg('s_row1', u(T * 16), { domain: cd, reset: null });
  m.when(sLoad0, () => sc0.set(sBeat));
  m.when(sLoad1, () => sc1.set(sBeat));
  const tileP = m.input('tile_p', u(T * GEMV_Y_BITS), "P of every tile (the lane's gemv_p)");
  const outA = m.output('tile_a', u(T * 27));
  const outB = m.output('tile_b', u(T * 18));
  const outC = m.output('tile_c', u(T * GEMV_Y_BITS), 'one cycle after A and B');
  m.output('tile_zsel', u(2)).set(mux(scale, mux(firstGroup, lit(0, u(2)), lit(1, u(2))), mux(chunkFirst, lit(0, u(2)), lit(2, u(2)))));
  const y = streamOutput(m, 'y', u(GEMV_Y_ROWS * GEMV_Y_BITS), { last: true, doc: `${GEMV_Y_ROWS} rows of this lane (row k at bits [48k+47:48k]), exact` });
  const yKeep = m.output('y_tkeep', u(GEMV_Y_ROWS), 'row k of the beat is a row of W (not past M)');
  const yEmpty = m.output('y_empty', u(1), 'no row left to send');

  // Controls as the tiles' P leaves them (3 cycles later) and through the unpacking.
  const delay = (nm: string, e: Expr, n: number): Expr => {
    let v = e;
    for (let k = 1; k <= n; k++) {
      const r = m.reg(`${nm}_d${k}`, e.type, { domain: cd, reset: e.width === 1 ? 0 : null });
      r.set(v);
      v = r;
    }
    return v;
  };
  const chunkDone = delay('chunk_done', mac.and(chunkLast), 3); // P of a chunk end is out
  const sumWrite = delay('sum_write', chunkDone, 1); // ... and unpacked, a stage later
  const sumRestart = delay('sum_restart', groupFirst, 4);
  const pScale = delay('scale', scale, 3);
  // y pair shift: when row 1 is issued (its C needs y1 in front), and when each result is out.
  const shift = m.wire('y_shift', scale.and(scaleRow).or(pScale));

  const aParts: Expr[] = [];
  const bParts: Expr[] = [];
  const cParts: Expr[] = [];
  const yPairs: { front: Signal; back: Signal; p: Expr }[] = [];
  const zero8 = lit(0, s(8));
  for (let t = 0; t < T; t++) {
    const wt = w.slice(16 * t + 15, 16 * t);
    const w8 = [wt.slice(7, 0).asSigned(), wt.slice(15, 8).asSigned()];
    const nib = (k: number): Expr => wt.slice(4 * k + 3, 4 * k).asSigned().sext(8);
    // Weights are 0 outside MAC cycles (x is too): w's data is undefined while its tvalid is low
    // (AXI-Stream), and x 0 alone would leave X * 0 = X in a four-state simulator's P. The gate
    // is a sixth input of the weight-select LUT.
    const w0 = mux(mac, mux(int4, mux(phase, nib(2), nib(0)), w8[0]!), zero8);
    const w1 = mux(mac, mux(int4, mux(phase, nib(3), nib(1)), w8[1]!), zero8);
    // Unpacking (unpackChunkHw), registered, then the group sums with S1's +1 as carry-in.
    const pt = tileP.slice((t + 1) * GEMV_Y_BITS - 1, t * GEMV_Y_BITS).asSigned();
    const up = unpackChunkHw(pt);
    const s0 = m.reg(`t${t}_s0`, s(GEMV_FIELD + 1), dom);
    const top = m.reg(`t${t}_top`, s(20), dom);
    const neg = m.reg(`t${t}_neg`, u(1), dom);
    s0.set(up.s0);
    top.set(up.top);
    neg.set(up.neg);
    const sums = [0, 1].map((r) => m.reg(`t${t}_sum${r}`, s(GEMV_SUM_BITS), dom));
    m.when(sumWrite, () => {
      // A restart adds to 0: the gate sits in the adder's LUTs, not in a multiplexer after it.
      const base = (x: Expr): Expr => mux(sumRestart, lit(0, s(GEMV_SUM_BITS)), x);
      sums[0]!.set(base(sums[0]!).add(s0.resize(GEMV_SUM_BITS)).trunc(GEMV_SUM_BITS));
      sums[1]!.set(addWithCarry(A, base(sums[1]!), top.resize(GEMV_SUM_BITS), neg).trunc(GEMV_SUM_BITS));
    });
    const yFront = m.reg(`t${t}_y_front`, s(GEMV_Y_BITS), dom);
    const yBack = m.reg(`t${t}_y_back`, s(GEMV_Y_BITS), dom);
    yPairs.push({ front: yFront, back: yBack, p: pt });
    // One LUT per bit: scale, scale_row, both scales and x (0 when no MAC: P holds).
    const scaleNow = mux(scaleRow, sc1.slice(16 * t + 15, 16 * t), sc0.slice(16 * t + 15, 16 * t)).asSigned();
    aParts.push(mux(scale, mux(scaleRow, sums[1]!, sums[0]!), packWeightsHw(w0, w1)));
    bParts.push(mux(scale, scaleNow.sext(18), x.sext(18)));
    cParts.push(yFront);
  }
  outA.set(cat(...aParts.reverse()));
  outB.set(cat(...bParts.reverse()));
  outC.set(cat(...cParts.reverse()));

  // Output: the y registers form a chain that shifts GEMV_Y_ROWS rows (two tiles) towards
  // tile 0 per beat, so a beat is always tiles 0 and 1: a 2:1 multiplexer per bit instead of a
  // multiplexer over every beat. The scaling shift (y_shift) never meets an output shift: a
  // pass's first scaling waits until the rows have left. Past tile T - 1 the chain reads 0
  // (the rows past 2T of the last beat, tkeep low).
  const left = m.reg('rows_left', u(clog2(rowsPerLane + 1)), { domain: cd, reset: 0 });
  const lastOfJob = m.reg('out_last_pass', u(1), { domain: cd, reset: 0 });
  // left != 0 kept as a flag: y_empty feeds the controller's state logic through an AND of lanes.
  const hasRows = m.reg('y_has_rows', u(1), { domain: cd, reset: 0 });
  m.when(emitStart, () => {
    left.set(emit.resize(left.width));
    hasRows.set(emit.ne(0));
    lastOfJob.set(lastPass);
  }).elsewhen(y.fire, () => {
    left.set(mux(left.le(GEMV_Y_ROWS), lit(0, left.type), left.sub(GEMV_Y_ROWS).trunc(left.width)));
    hasRows.set(left.gt(GEMV_Y_ROWS));
  });
  const zero = lit(0, s(GEMV_Y_BITS));
  const tilesPerBeat = GEMV_Y_ROWS / 2;
  yPairs.forEach((pair, t) => {
    const next = yPairs[t + tilesPerBeat];
    m.when(shift, () => {
      pair.front.set(pair.back);
      pair.back.set(pair.p);
    }).elsewhen(y.fire, () => {
      pair.front.set(next ? next.front : zero);
      pair.back.set(next ? next.back : zero);
    });
  });
  const head = Array.from({ length: tilesPerBeat }, (_, t) => yPairs[t]).flatMap((pair) => [pair?.front ?? zero, pair?.back ?? zero]);
  y.valid.set(hasRows);
  y.data.set(cat(...head.reverse()));
  y.last!.set(lastOfJob.and(left.le(GEMV_Y_ROWS)));
  yKeep.set(cat(...Array.from({ length: GEMV_Y_ROWS }, (_, k) => left.gt(k)).reverse()));
  yEmpty.set(hasRows.not());
  cache.set(name, m);
  return m;
}
