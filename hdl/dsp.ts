/**
 * DSP tiles: multipliers with the geometry of the UltraScale+ DSP48E2 slice, written in the
 * register pattern Vivado absorbs into the slice (UG579 ch. 2, UG901 "DSP block inference").
 *
 *   inputs (all sampled in the same cycle t)          slice registers
 *     a   signed <= 27 bits (unsigned <= 26)          A1 (A2)
 *     d   optional pre-adder operand, same limits     D, then AD = A +/- D (<= 27 bits)
 *     b   signed <= 18 bits (unsigned <= 17)          B1 (B2)
 *     c   optional post-adder operand, <= 48 bits     C (delayed in fabric to meet M; a `late`
 *                                                     c is sampled one cycle after a and b, for
 *                                                     a P output of another tile: C register only)
 *     load  optional: P = M (1) or P = P + M (0)      accumulate, a dynamic OPMODE
 *     zsel  optional (dynamic post-add): P = M (0), M + C (1), P + M (2)
 *     c_rst optional (dynamic, `cReset`): C reads as 0, a synchronous reset of the C register
 *   output
 *     p   = (a +/- d) * b  [+ c | accumulated], <= 48 bits, at t + latency
 *
 * Every multiply reads registers only and writes the M register; the post-add reads M (and C
 * or P) and writes the P register; nothing sits between. The tile is emitted as its own module
 * (one per configuration), so resource and timing tools can treat each instance as one slice
 * (`Module.primitive`); the `dsp-pattern` check (hdl/checks.ts) verifies the pattern on every
 * multiplier of a design and reports any multiply outside a tile.
 *
 * Latency: 1 (A/B registers) + 1 (AD register, with a pre-adder) + 1 (M) + 1 (P) = 3 or 4.
 */
import { type HwType, typeName, s, u, minValue, maxValue, bitsFor } from './types.ts';
import { Module } from './module.ts';
import { mux, lit, type Expr } from './expr.ts';
import { Value } from './value.ts';

/** DSP48E2 multiplier port limits (two's complement). */
export const DSP48E2 = { aBits: 27, bBits: 18, cBits: 48, pBits: 48 } as const;

export interface DspTileConfig {
  /** Operand types as used (the slice holds them sign- or zero-extended). */
  readonly a: HwType;
  readonly b: HwType;
  /** Pre-adder: d is added to (or subtracted from) a before the multiply. */
  readonly preAdd?: { readonly d: HwType; readonly op: 'add' | 'sub' };
  /** Post-adder: add a C operand, or accumulate into P (with a `load` input). */
  readonly post?:
    | { readonly kind: 'c'; readonly c: HwType; readonly late?: boolean }
    | { readonly kind: 'accumulate' }
    | { readonly kind: 'dynamic'; readonly c: HwType; readonly late?: boolean; readonly cReset?: boolean };
  /** Width of p (signed, <= 48): must hold every value p can take (checked against the bound). */
  readonly pWidth: number;
}

/** Signed bits an operand occupies in a two's-complement port. */
function portBits(t: HwType): number {
  return t.signed ? t.width : t.width + 1;
}

function tag(t: HwType): string {
  return `${t.signed ? 's' : 'u'}${t.width}`;
}

export function dspTileName(c: DspTileConfig): string {
  const parts = ['dsp48e2', `a${tag(c.a)}`];
  if (c.preAdd) parts.push(`${c.preAdd.op === 'add' ? 'pa' : 'ps'}${tag(c.preAdd.d)}`);
  parts.push(`b${tag(c.b)}`);
  if (c.post?.kind === 'c') parts.push(`c${tag(c.post.c)}${c.post.late ? 'l' : ''}`);
  if (c.post?.kind === 'accumulate') parts.push('acc');
  if (c.post?.kind === 'dynamic') parts.push(`z${tag(c.post.c)}${c.post.late ? 'l' : ''}${c.post.cReset ? 'r' : ''}`);
  parts.push(`p${c.pWidth}`);
  return parts.join('_');
}

/** Cycles from the inputs to p. */
export function dspTileLatency(c: DspTileConfig): number {
  return c.preAdd ? 4 : 3;
}

/** Type of the multiplier's first operand (after the pre-adder). */
function adType(c: DspTileConfig): HwType {
  if (!c.preAdd) return c.a.signed ? c.a : s(c.a.width + 1);
  const w = Math.max(portBits(c.a), portBits(c.preAdd.d)) + 1;
  return s(w);
}

/** Value range of the multiplier's first operand (a, or a +/- d). */
function adRange(c: DspTileConfig): [bigint, bigint] {
  if (!c.preAdd) return [minValue(c.a), maxValue(c.a)];
  const [dLo, dHi] = [minValue(c.preAdd.d), maxValue(c.preAdd.d)];
  return c.preAdd.op === 'add' ? [minValue(c.a) + dLo, maxValue(c.a) + dHi] : [minValue(c.a) - dHi, maxValue(c.a) - dLo];
}

/** Signed type holding every product the tile can form (the M register). */
export function dspProductType(c: DspTileConfig): HwType {
  const [aLo, aHi] = adRange(c);
  const corners = [aLo * minValue(c.b), aLo * maxValue(c.b), aHi * minValue(c.b), aHi * maxValue(c.b)];
  return s(Math.max(...corners.map((v) => bitsFor(v, true))));
}

/** Throws a RangeError naming the broken limit. */
export function checkDspTile(c: DspTileConfig): void {
  const name = dspTileName(c);
  if (portBits(c.a) > DSP48E2.aBits) throw new RangeError(`${name}: a ${typeName(c.a)} does not fit the ${DSP48E2.aBits}-bit A port (accepted: signed <= 27 or unsigned <= 26 bits)`);
  if (portBits(c.b) > DSP48E2.bBits) throw new RangeError(`${name}: b ${typeName(c.b)} does not fit the ${DSP48E2.bBits}-bit B port (accepted: signed <= 18 or unsigned <= 17 bits)`);
  if (c.preAdd) {
    if (portBits(c.preAdd.d) > DSP48E2.aBits) throw new RangeError(`${name}: d ${typeName(c.preAdd.d)} does not fit the 27-bit D port`);
    if (adType(c).width > DSP48E2.aBits) {
      throw new RangeError(`${name}: the pre-adder result needs ${adType(c).width} bits; the slice multiplies 27 (narrow a or d by one bit)`);
    }
  }
  if ((c.post?.kind === 'c' || c.post?.kind === 'dynamic') && portBits(c.post.c) > DSP48E2.cBits) throw new RangeError(`${name}: c ${typeName(c.post.c)} does not fit the 48-bit C port`);
  if (!Number.isInteger(c.pWidth) || c.pWidth < 2 || c.pWidth > DSP48E2.pBits) throw new RangeError(`${name}: pWidth ${c.pWidth} is out of range: accepted 2..48`);
  const prodW = dspProductType(c).width;
  if (!c.post && c.pWidth < prodW) {
    throw new RangeError(`${name}: p has ${c.pWidth} bits but the product needs ${prodW}`);
  }
}

function postText(c: DspTileConfig): string {
  switch (c.post?.kind) {
    case undefined:
      return '';
    case 'c':
      return ' + c';
    case 'accumulate':
      return ' (+ p unless load)';
    case 'dynamic':
      return ' (+ 0, + c or + p by zsel)';
  }
}

const cache = new Map<string, Module>();

/** The tile module for a configuration (one Module object per configuration). */
export function dspTile(c: DspTileConfig): Module {
  checkDspTile(c);
  const name = dspTileName(c);
  const hit = cache.get(name);
  if (hit) return hit;
  const m = new Module(name);
  const lat = dspTileLatency(c);
  m.doc = [
    `DSP48E2 tile: p = ${c.preAdd ? `(a ${c.preAdd.op === 'add' ? '+' : '-'} d)` : 'a'} * b${postText(c)}, ${lat} cycles.`,
    'Input, M and P registers in the pattern Vivado absorbs into one slice; no reset, no clock enable.',
  ].join('\n');
  m.generator = { name: 'hdl/dsp.ts dspTile', params: { ...c } };
  m.primitive = { kind: 'dsp48e2', inputsRegistered: true, outputRegistered: true, latency: lat };
  const cd = m.clockDomain({ reset: null });
  const dom = { domain: cd, reset: null };
  const a = m.input('a', c.a);
  const b = m.input('b', c.b);
  const aS = c.a.signed ? a : a.zext(c.a.width + 1).asSigned();
  const bS = c.b.signed ? b : b.zext(c.b.width + 1).asSigned();
  const a1 = m.reg('a1', aS.type, dom);
  a1.set(aS);
  let mulA: Expr = a1;
  let bReg = m.reg('b1', bS.type, dom);
  bReg.set(bS);
  if (c.preAdd) {
    const d = m.input('d', c.preAdd.d);
    const dS = c.preAdd.d.signed ? d : d.zext(c.preAdd.d.width + 1).asSigned();
    const d1 = m.reg('d1', dS.type, dom);
    d1.set(dS);
    const ad = m.reg('ad', adType(c), dom);
    ad.set((c.preAdd.op === 'add' ? a1.add(d1) : a1.sub(d1)).resize(adType(c).width));
    mulA = ad;
    const b2 = m.reg('b2', bS.type, dom);
    b2.set(bReg);
    bReg = b2;
  }
  const prodT = s(mulA.width + bReg.width); // <= 45 bits: the slice's M register
  const mReg = m.reg('m', prodT, dom);
  mReg.set(mulA.mul(bReg));
  const pT = s(c.pWidth);
  const p = m.reg('p_q', pT, dom);
  // Operands of the post-adder are delayed to meet M (the last delay is the slice's C register).
  const delay = (name: string, x: Expr, n: number): Expr => {
    let prev = x;
    for (let i = 1; i <= n; i++) {
      const r = m.reg(`${name}${i}`, x.type, dom);
      r.set(prev);
      prev = r;
    }
    return prev;
  };
  const mToP = mReg.resize(Math.max(c.pWidth, prodT.width)).trunc(c.pWidth);
  if (c.post?.kind === 'c' || c.post?.kind === 'dynamic') {
    const cin = m.input('c', c.post.c, c.post.late ? 'post-adder operand, one cycle after a and b' : 'post-adder operand');
    const cS = c.post.c.signed ? cin : cin.zext(c.post.c.width + 1).asSigned();
    const cDepth = lat - (c.post.late ? 2 : 1);
    let cReg: Expr;
    if (c.post.kind === 'dynamic' && c.post.cReset) {
      // The C register's synchronous reset: c_rst travels with c and clears its last register.
      const crst = m.input('c_rst', u(1), 'with c: C reads as 0 (the C register is reset)');
      const cPrev = delay('c', cS, cDepth - 1);
      const rPrev = delay('c_rst', crst, cDepth - 1);
      const cLast = m.reg(`c${cDepth}`, cS.type, dom);
      cLast.set(mux(rPrev, lit(0, cS.type), cPrev));
      cReg = cLast;
    } else {
      cReg = delay('c', cS, cDepth);
    }
    if (c.post.kind === 'c') {
      p.set(mToP.add(cReg.resize(c.pWidth)).trunc(c.pWidth));
    } else {
      const zsel = m.input('zsel', u(2), 'post-add: 0 p = m, 1 p = m + c, 2 p = p + m');
      const zReg = delay('zsel', zsel, lat - 1);
      const addend = mux(zReg.eq(1), cReg.resize(c.pWidth), mux(zReg.eq(2), p, lit(0, pT)));
      p.set(mToP.add(addend).trunc(c.pWidth));
    }
  } else if (c.post?.kind === 'accumulate') {
    const load = m.input('load', u(1), '1: p = product, 0: p = p + product');
    const loadReg = delay('load', load, lat - 1);
    p.set(mux(loadReg, lit(0, pT), p).add(mToP).trunc(c.pWidth));
  } else {
    p.set(mToP);
  }
  m.output('p', pT, `${c.post ? 'sum' : 'product'}, ${lat} cycles after the inputs`).set(p);
  cache.set(name, m);
  return m;
}

/**
 * Golden model of one tile step: the value p takes `latency` cycles after inputs (a, b, d, c,
 * load) given the previous p (for accumulation). Arguments are raw integers of the port types.
 */
export function dspTileGolden(c: DspTileConfig, x: { a: bigint; b: bigint; d?: bigint; c?: bigint; cRst?: boolean; load?: boolean; zsel?: number }, pPrev = 0n): bigint {
  const within = (v: bigint, t: HwType, what: string): bigint => {
    if (v < minValue(t) || v > maxValue(t)) throw new RangeError(`${what} = ${v} does not fit ${typeName(t)}`);
    return v;
  };
  let a = within(x.a, c.a, 'a');
  if (c.preAdd) {
    const d = within(x.d ?? 0n, c.preAdd.d, 'd');
    a = c.preAdd.op === 'add' ? a + d : a - d;
    a = Value.wrap(a, adType(c)).toBigInt();
  }
  const prod = a * within(x.b, c.b, 'b');
  let p = prod;
  if (c.post?.kind === 'c') p += within(x.c ?? 0n, c.post.c, 'c');
  if (c.post?.kind === 'accumulate') p += x.load ? 0n : pPrev;
  if (c.post?.kind === 'dynamic') {
    const z = x.zsel ?? 0;
    if (z === 1 && !x.cRst) p += within(x.c ?? 0n, c.post.c, 'c');
    if (z === 2) p += pPrev;
  }
  return BigInt.asIntN(c.pWidth, p);
}
