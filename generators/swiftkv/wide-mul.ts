/**
 * Wide fixed-point products from DSP tiles (the reference paper's "high-precision attention
 * reusing the low-bit integer hardware"). Every tile of a lane is the same DSP48E2 tile
 * (`laneTile`: signed 27 x 18, a C operand one cycle late, a dynamic post-adder), so every
 * tile can also serve GEMV.
 *
 * - `chainMul`: a wide operand cut into pieces times a narrow one, the pieces' partial
 *   products summed inside the tiles: tile k adds the previous tile's P shifted right by the
 *   piece width through its C register (the cascade pattern of UG579's wide multipliers, with
 *   the shift done by wiring). Latency 3 + 2 (n - 1) for n pieces.
 * - `gridProducts`: both operands cut; one tile per pair of pieces, all in parallel
 *   (latency 3), returned as partial products with their shifts, so a dot product can sum
 *   each class over many products before combining (dot.ts).
 *
 * Pieces: every piece but the top one is unsigned (26 bits on the 27-bit A port, 17 bits on
 * the 18-bit B port); the top piece keeps the operand's sign. Sums of these partial products
 * are the exact product: x = sum_k x_k 2^(w k), so x * y = sum_k (x_k * y) 2^(w k).
 */
import { type Expr, type Module, type Signal, s, u, cat, lit, mux } from '../../hdl/index.ts';
import type { Pipeline } from '../../hdl/pipeline.ts';
import { dspTile, DSP48E2, type DspTileConfig } from '../../hdl/dsp.ts';

/** The one tile configuration of the lane. */
export const LANE_TILE: DspTileConfig = { a: s(DSP48E2.aBits), b: s(DSP48E2.bBits), post: { kind: 'dynamic', c: s(DSP48E2.pBits), late: true }, pWidth: DSP48E2.pBits };

export function laneTile(): Module {
  return dspTile(LANE_TILE);
}

/** Cycles from a tile's a/b inputs to its p output. */
export const TILE_LATENCY = 3;

export type Port = 'a' | 'b';

/** Piece widths: unsigned low pieces and the largest signed top piece of each port. */
const PIECE = { a: { low: DSP48E2.aBits - 1, top: DSP48E2.aBits }, b: { low: DSP48E2.bBits - 1, top: DSP48E2.bBits } } as const;

export interface Piece {
  readonly value: Expr;
  readonly shift: number;
}

/** Cut x into pieces for `port`: low pieces unsigned, the top piece signed (if x is). */
export function pieces(x: Expr, port: Port): Piece[] {
  const { low, top } = PIECE[port];
  const out: Piece[] = [];
  let lo = 0;
  const room = x.signed ? top : low;
  while (x.width - lo > room) {
    out.push({ value: x.slice(lo + low - 1, lo), shift: lo });
    lo += low;
  }
  const rest = lo === 0 ? x : x.signed ? x.slice(x.width - 1, lo).asSigned() : x.slice(x.width - 1, lo);
  out.push({ value: rest, shift: lo });
  return out;
}

/** Number of tiles `chainMul` uses for a wide operand of this type on `port`. */
export function pieceCount(width: number, signed: boolean, port: Port): number {
  const { low, top } = PIECE[port];
  const room = signed ? top : low;
  return width <= room ? 1 : 1 + Math.ceil((width - room) / low);
}

/** x as the signed operand of a port (27 or 18 bits). */
function toPort(x: Expr, port: Port): Expr {
  const w = port === 'a' ? DSP48E2.aBits : DSP48E2.bBits;
  const signed = x.signed ? x : x.zext(x.width + 1).asSigned();
  if (signed.width > w) throw new RangeError(`operand ${x.toString()} does not fit the ${w}-bit ${port.toUpperCase()} port`);
  return signed.sext(w);
}

interface TileInputs {
  a: Expr;
  b: Expr;
  /** Added to the product (zsel 1), taken one stage after a and b; absent: p = a * b. */
  c?: Expr;
}

// ---- GEMV access to the tiles (every tile of the array serves GEMV) -------------------------

/**
 * With GEMV enabled on a module, every tile it places takes its operands from the module's
 * `gemv_*` ports while `gemv_en` is high (the attention datapath is idle then): per tile an
 * A operand (27 bits), a B operand (18), a C operand (48, one cycle after A and B, like the
 * attention's C), and the shared post-adder select `gemv_zsel`; every tile's P goes out on
 * `gemv_p`. Tile k of the module sits at bits [27k+26 : 27k] of gemv_a, and so on. The
 * multiplexers sit in front of the tile's input registers: the slice pattern is unchanged.
 */
interface GemvTile {
  readonly a: Signal;
  readonly b: Signal;
  readonly c: Signal;
  readonly p: Expr;
}

class GemvTiles {
  readonly tiles: GemvTile[] = [];
  constructor(readonly en: Signal, readonly zsel: Signal) {}
}

const gemvEnabled = new WeakSet<Module>();
const gemvTiles = new WeakMap<Module, GemvTiles>();

/** Give module m GEMV access to the tiles it will place (call before placing any). */
export function enableGemvTiles(m: Module): void {
  gemvEnabled.add(m);
}

/** The GEMV control ports of m, made with its first tile (a block without tiles has none). */
function gemvOf(m: Module): GemvTiles | undefined {
  if (!gemvEnabled.has(m)) return undefined;
  let g = gemvTiles.get(m);
  if (!g) {
    g = new GemvTiles(m.input('gemv_en', u(1), 'GEMV: the tiles take the gemv_* operands (attention idle)'), m.input('gemv_zsel', u(2), 'GEMV: post-adder select of every tile'));
    gemvTiles.set(m, g);
  }
  return g;
}

/** DSP tiles placed in module m (instances of the lane tile). */
export function countTiles(m: Module): number {
  const t = laneTile();
  return m.instances.filter((i) => i.target === t).length;
}

/**
 * Create the packed GEMV operand and result ports for the tiles placed so far; returns their
 * count (0: no tile, no GEMV port at all).
 */
export function finishGemvTiles(m: Module): number {
  const g = gemvTiles.get(m);
  if (!g) return 0;
  const n = g.tiles.length;
  const pa = m.input('gemv_a', u(n * DSP48E2.aBits), 'GEMV: A operand of every tile');
  const pb = m.input('gemv_b', u(n * DSP48E2.bBits), 'GEMV: B operand of every tile');
  const pc = m.input('gemv_c', u(n * DSP48E2.pBits), 'GEMV: C operand of every tile (one cycle after A, B)');
  g.tiles.forEach((t, k) => {
    t.a.set(pa.slice((k + 1) * DSP48E2.aBits - 1, k * DSP48E2.aBits).asSigned());
    t.b.set(pb.slice((k + 1) * DSP48E2.bBits - 1, k * DSP48E2.bBits).asSigned());
    t.c.set(pc.slice((k + 1) * DSP48E2.pBits - 1, k * DSP48E2.pBits).asSigned());
  });
  m.output('gemv_p', u(n * DSP48E2.pBits), 'GEMV: P of every tile').set(cat(...[...g.tiles].reverse().map((t) => t.p)));
  return n;
}

/** Place one lane tile with a/b at `stage` (c one stage later); p is valid at stage + 3. */
export function placeTile(p: Pipeline, name: string, stage: number, x: TileInputs): Expr {
  const m = p.module;
  const c = x.c ? p.at(x.c, stage + 1) : undefined;
  const inst = m.uniqueName(name);
  let a = toPort(p.at(x.a, stage), 'a');
  let b = toPort(p.at(x.b, stage), 'b');
  let cIn = c ? c.resize(DSP48E2.pBits).asSigned() : lit(0, s(DSP48E2.pBits));
  let zsel: Expr = lit(c ? 1 : 0, u(2));
  const g = gemvOf(m);
  let wires: Omit<GemvTile, 'p'> | undefined;
  if (g) {
    wires = { a: m.wire(`${inst}_gemv_a`, s(DSP48E2.aBits)), b: m.wire(`${inst}_gemv_b`, s(DSP48E2.bBits)), c: m.wire(`${inst}_gemv_c`, s(DSP48E2.pBits)) };
    a = mux(g.en, wires.a, a);
    b = mux(g.en, wires.b, b);
    // A tile without C in attention (zsel 0 there) takes the GEMV C straight: no multiplexer.
    cIn = c ? mux(g.en, wires.c, cIn) : wires.c;
    zsel = mux(g.en, g.zsel, zsel);
  }
  const h = m.instance(inst, laneTile(), { a, b, c: cIn, zsel }, { domain: p.domain });
  if (g && wires) g.tiles.push({ ...wires, p: h.out('p') });
  return p.input(h.out('p'), stage + TILE_LATENCY);
}

/**
 * Exact product wide * narrow: `wide` in pieces on `widePort`, `narrow` whole on the other
 * port; the inputs are taken at the current stage. Returns the product (signed, width =
 * wide + narrow widths, + 1 unless both are signed) valid at stage + 3 + 2 (n - 1); the pipeline
 * is left at the current stage.
 */
export function chainMul(p: Pipeline, name: string, wide: Expr, narrow: Expr, widePort: Port): Expr {
  const cut = pieces(wide, widePort);
  const step = PIECE[widePort].low;
  const s0 = p.stage;
  const lows: Expr[] = [];
  let prev: Expr | undefined;
  cut.forEach((piece, k) => {
    const stage = s0 + 2 * k;
    const ops = widePort === 'a' ? { a: piece.value, b: narrow } : { a: narrow, b: piece.value };
    // Tile k adds P_(k-1) >> step: the bits of the product from step * k upwards.
    const pk = placeTile(p, `${name}_t${k}`, stage, { ...ops, ...(prev ? { c: prev.shr(step) } : {}) });
    if (k < cut.length - 1) lows.push(pk.slice(step - 1, 0));
    prev = pk;
  });
  const end = s0 + TILE_LATENCY + 2 * (cut.length - 1);
  const productWidth = wide.width + narrow.width + (wide.signed && narrow.signed ? 0 : 1);
  const topWidth = productWidth - step * (cut.length - 1);
  const top = prev!.trunc(Math.min(topWidth, DSP48E2.pBits)).resize(topWidth);
  const parts = [top, ...lows.map((l) => p.at(l, end)).reverse()];
  return p.input(cat(...parts).asSigned(), end);
}

export interface PartialProduct {
  readonly value: Expr;
  /** The partial product weighs value * 2^shift in the full product. */
  readonly shift: number;
}

/**
 * All partial products of a * b (a in A-port pieces, b in B-port pieces), one tile each, all
 * taking their inputs at the current stage; valid at stage + 3. Each value is the tile's
 * exact product, trimmed to the bits it can occupy.
 */
export function gridProducts(p: Pipeline, name: string, a: Expr, b: Expr): PartialProduct[] {
  const out: PartialProduct[] = [];
  const s0 = p.stage;
  for (const [i, pa] of pieces(a, 'a').entries()) {
    for (const [j, pb] of pieces(b, 'b').entries()) {
      const prod = placeTile(p, `${name}_t${i}${j}`, s0, { a: pa.value, b: pb.value });
      const w = pa.value.width + pb.value.width + (pa.value.signed && pb.value.signed ? 0 : 1);
      out.push({ value: p.input(prod.trunc(Math.min(w, DSP48E2.pBits)), s0 + TILE_LATENCY), shift: pa.shift + pb.shift });
    }
  }
  return out;
}
