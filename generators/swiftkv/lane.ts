/**
 * The SwiftKV head lane: one query, one head at a time (DESIGN.md §2, §4).
 *
 *   LOAD  q arrives in B = d/P beats of P elements; the DOT multipliers compute q' = q * c
 *         (c = log2(e)/sqrt(d)), stored in a ring of B words.
 *   RUN   each KV beat (P elements of k and of v) is multiplied with the ring head (the ring
 *         rotates, so beat j of every token meets q' word j), summed by the adder tree and
 *         accumulated over B beats into the token's score s; MAX updates the running max and
 *         picks the exp2 input; the one exp2 unit gives alpha or beta; ACC rescales Z and the
 *         d-vector Y (a ring of B words, P elements updated per cycle). v waits in a FIFO until
 *         its token's exp2 result is ready, so the KV stream never waits for the loop.
 *   DIV   one reciprocal 1/Z per query (restoring divider, one bit per cycle).
 *   OUT   o = Y * (1/Z), P elements per beat, on the same multipliers as ACC.
 *
 * Steady state: one token every B = d/P cycles. The loop-carried paths (m in MAX, Z and each
 * Y word in ACC) close in one cycle each, so the loop adds no stall. With P = d (B = 1) a
 * token is accepted every cycle; the rings are single registers and each Y element is
 * updated every cycle.
 *
 * The arithmetic is the golden model's (golden.ts): the same generic functions on Expr.
 */
import {
  Module,
  Signal,
  u,
  cat,
  mux,
  lit,
  clog2,
  exprArith as A,
  qType,
  type Expr,
  type HwType,
  type ClockDomain,
} from '../../hdl/index.ts';
import { laneFormats, type LaneFormats, type LaneParamsInput } from './numerics.ts';
import { narrowFlagged, saturateFlagged } from '../../hdl/fixed.ts';
import { SAT_WIDTH, satBit } from './saturation.ts';
import { exp2Fixed, exp2Table, exp2TableWidth } from './exp2.ts';
import {
  scaleLiteral,
  narrowScoreFlagged,
  maxStage,
  maxStageShift,
  accZMultiplyFlagged,
  accZShiftFlagged,
  alignToY,
  shiftRightRne,
  recipStart,
  recipStep,
  recipFinish,
} from './golden.ts';
import { buildFifo } from '../common/fifo.ts';
import { buildPe } from './pe.ts';

/** Split a packed word into n elements of type t (element 0 in the low bits). */
export function unpack(word: Expr, n: number, t: HwType): Expr[] {
  return Array.from({ length: n }, (_, i) => {
    const e = word.slice((i + 1) * t.width - 1, i * t.width);
    return t.signed ? e.asSigned() : e;
  });
}

/** Pack elements into one word, element 0 in the low bits. */
export function pack(elems: readonly Expr[]): Expr {
  return cat(...[...elems].reverse());
}

export interface LaneConfig {
  readonly formats: LaneFormats;
  readonly d: number;
  readonly P: number;
  /** Beats per token: d / P. */
  readonly B: number;
  readonly lenWidth: number;
  readonly vFifoDepth: number;
  readonly eFifoDepth: number;
}

export function laneConfig(input: LaneParamsInput): LaneConfig {
  const formats = laneFormats(input);
  const d = formats.params.headDim;
  const P = formats.params.pe;
  if (d % P !== 0) throw new RangeError(`pe = ${P} does not divide headDim = ${d}: accepted divisors of headDim`);
  const B = d / P;
  // v beats wait for their token's exp2 result: at most B beats of that token plus the beats
  // that arrive during the ~7-cycle DOT/MAX/EXP latency (see the occupancy note above).
  const vFifoDepth = 1 << clog2(B + 12);
  return { formats, d, P, B, lenWidth: clog2(formats.params.maxContext + 1), vFifoDepth, eFifoDepth: 8 };
}

/**
 * Cycles from the start pulse to done, with every stream ready (no backpressure):
 *   latency = fill + L * B + drain
 *   fill  = B + 2            q beats, then the last q' enters the ring
 *   drain = 2B + K + 9       DOT/MAX/EXP pipeline (7), the last token's B ACC beats,
 *                            K + 2 divider cycles (K = recipSteps), B output beats
 * A stall anywhere in the per-token loop would add cycles: the regression checks equality.
 */
export function laneCycles(c: LaneConfig, L: number): { fill: number; perToken: number; drain: number; total: number } {
  const fill = c.B + 2;
  const drain = 2 * c.B + c.formats.recipSteps + 9;
  return { fill, perToken: c.B, drain, total: fill + L * c.B + drain };
}

export function laneName(c: LaneConfig): string {
  const p = c.formats.params;
  return `swiftkv_lane_d${c.d}_p${c.P}_${p.rescale === 'shift' ? 'sh' : 'mul'}_c${p.maxContext}`;
}

function suffix(c: LaneConfig): string {
  return `d${c.d}_p${c.P}_${c.formats.params.rescale === 'shift' ? 'sh' : 'mul'}`;
}

// ---- blocks ------------------------------------------------------------------------------

/** exp2 unit: combinational 2^x for x <= 0 (exp2.ts), table in a ROM from exp2Table(). */
export function buildExp2(f: LaneFormats): Module {
  const c = f.params.exp2;
  const m = new Module(`swiftkv_exp2_i${c.indexBits}_j${c.interpBits}_f${c.tableFracBits}`);
  m.doc = '2^x for x <= 0: integer part -> right shift, table of 2^(i/2^indexBits) with linear interpolation.';
  m.generator = { name: 'generators/swiftkv/lane.ts buildExp2', params: { ...c } };
  const x = m.input('x', qType(f.exp2In), 'exponent, <= 0');
  const table = exp2Table(c.indexBits, c.tableFracBits);
  const rom = m.rom('exp2_table', u(exp2TableWidth(c)), table);
  const aw = clog2(table.length);
  const e = exp2Fixed(A, x, (index) => ({
    lo: rom.read('table_lo', index.zext(aw)),
    hi: rom.read('table_hi', index.zext(aw).add(1).trunc(aw)),
  }), c);
  m.output('e', e.type, `2^x, ${e.width} bits with ${c.tableFracBits} fraction bits`).set(e);
  return m;
}

/** DOT: adder tree over P registered products, accumulation over B beats, score narrowing. */
export function buildDot(c: LaneConfig): Module {
  const f = c.formats;
  const m = new Module(`swiftkv_dot_${suffix(c)}`);
  m.doc = 'Adder tree over P products (registered), accumulation over the beats of a token, score narrowing (RNE, saturation).';
  m.generator = { name: 'generators/swiftkv/lane.ts buildDot', params: { d: c.d, P: c.P } };
  const cd = m.clockDomain();
  const prodT = qType(f.product);
  const valid = m.input('in_valid', u(1), 'products of one beat');
  const first = m.input('in_first', u(1), 'first beat of a token');
  const last = m.input('in_last', u(1), 'last beat of a token');
  const products = unpack(m.input('in_products', u(c.P * prodT.width), 'P exact products'), c.P, prodT);
  // Exact tree: every add grows one bit; the sum fits the derived partial width.
  let terms: Expr[] = products;
  while (terms.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i + 1 < terms.length; i += 2) next.push(terms[i]!.add(terms[i + 1]!));
    if (terms.length % 2 === 1) next.push(terms.at(-1)!);
    terms = next;
  }
  const partialT = qType(f.dotPartial);
  const accT = qType(f.dotAcc);
  const partial = m.reg('partial', partialT, { domain: cd, reset: null });
  partial.set(terms[0]!.resize(partialT.width));
  const v2 = m.reg('valid_t', u(1), { domain: cd, reset: 0 });
  const first2 = m.reg('first_t', u(1), { domain: cd, reset: 0 });
  const last2 = m.reg('last_t', u(1), { domain: cd, reset: 0 });
  v2.set(valid);
  first2.set(first);
  last2.set(last);
  const acc = m.reg('acc', accT, { domain: cd, reset: null });
  const accNext = m.wire('acc_next', mux(first2, partial.resize(accT.width), acc.add(partial).resize(accT.width)));
  m.when(v2, () => acc.set(accNext));
  const score = m.reg('score', qType(f.score), { domain: cd, reset: null });
  const scoreSat = m.reg('score_sat', u(1), { domain: cd, reset: 0 });
  const scoreValid = m.reg('score_valid', u(1), { domain: cd, reset: 0 });
  scoreValid.set(v2.and(last2));
  const narrowed = narrowScoreFlagged(A, accNext, f);
  m.when(v2.and(last2), () => {
    score.set(narrowed.value);
    scoreSat.set(narrowed.saturated);
  });
  m.output('s_valid', u(1)).set(scoreValid);
  m.output('s', score.type, 'score, narrowed').set(score);
  m.output('s_sat', u(1), 'with s_valid: the narrowing of s saturated').set(scoreSat);
  return m;
}

/** MAX: running max and the exp2 input (and alpha/beta selection or rescale shift). */
export function buildMax(c: LaneConfig): Module {
  const f = c.formats;
  const shiftMode = f.params.rescale === 'shift';
  const m = new Module(`swiftkv_max_${shiftMode ? 'sh' : 'mul'}`);
  m.doc = shiftMode
    ? "Running max kept integral (m = max(m, ceil(s))); exp2 input s - m_new; rescale by right shift m_new - m."
    : 'Running max; exp2 input -|s - m|; sel = 1 when s is the new max (alpha = exp2, beta = 1), else alpha = 1, beta = exp2.';
  m.generator = { name: 'generators/swiftkv/lane.ts buildMax', params: { rescale: f.params.rescale } };
  const cd = m.clockDomain();
  const clear = m.input('clear', u(1), 'new query: the next score is the first');
  const sValid = m.input('s_valid', u(1));
  const sIn = m.input('s', qType(f.score));
  const mReg = m.reg('m', qType(f.max), { domain: cd, reset: 0 });
  const seen = m.reg('seen', u(1), { domain: cd, reset: 0 });
  const first = m.wire('first', seen.not());
  const st = shiftMode ? maxStageShift(A, mReg, sIn, first, f) : maxStage(A, mReg, sIn, first, f);
  const selV = 'shift' in st ? st.shift : st.sNew;
  const xReg = m.reg('x_q', qType(f.exp2In), { domain: cd, reset: null });
  const selReg = m.reg('sel_q', selV.type, { domain: cd, reset: null });
  const xSat = m.reg('x_sat_q', u(1), { domain: cd, reset: 0 });
  const outValid = m.reg('out_valid_q', u(1), { domain: cd, reset: 0 });
  outValid.set(sValid);
  m.when(sValid, () => {
    mReg.set(st.mNew);
    seen.set(1);
    xReg.set(st.x);
    xSat.set(st.xSat);
    selReg.set(selV);
  });
  m.when(clear, () => seen.set(0));
  m.output('out_valid', u(1)).set(outValid);
  m.output('x', xReg.type, 'exp2 input, <= 0').set(xReg);
  m.output('x_sat', u(1), 'with out_valid: the exp2 input was saturated').set(xSat);
  m.output('sel', selReg.type, shiftMode ? 'rescale shift m_new - m' : '1: alpha = exp2(x), beta = 1').set(selReg);
  return m;
}

/**
 * ACC and NORM: Z, the Y ring (B words of P elements), and P multipliers shared by the
 * rescale-accumulate (e * Y or e * v) and the normalisation (Y * 1/Z).
 */
export function buildAccNorm(c: LaneConfig): Module {
  const f = c.formats;
  const shiftMode = f.params.rescale === 'shift';
  const m = new Module(`swiftkv_accnorm_${suffix(c)}`);
  m.doc = 'Rescale-accumulate of Z and Y (P elements per cycle) and the output multiply o = Y * (1/Z), on one set of P multipliers.';
  m.generator = { name: 'generators/swiftkv/lane.ts buildAccNorm', params: { d: c.d, P: c.P, rescale: f.params.rescale } };
  const cd = m.clockDomain();
  const dataT = qType(f.data);
  const yT = qType(f.y);
  const zT = qType(f.z);
  const eT = qType(f.exp2Out);
  const rT = qType(f.recip);
  const selT = shiftMode ? f.shiftAmount : u(1);
  const clear = m.input('clear', u(1), 'new query: Z = 0, Y = 0');
  const beatValid = m.input('beat_valid', u(1), 'one v beat to accumulate');
  const beatFirst = m.input('beat_first', u(1), 'first beat of a token: take e and sel');
  const eIn = m.input('e', eT, 'exp2 result of the token');
  const selIn = m.input('sel', selT, shiftMode ? 'rescale shift' : '1: alpha = e, beta = 1');
  const vWord = m.input('v', u(c.P * dataT.width), 'P elements of v');
  const norm = m.input('norm', u(1), 'output phase: multipliers compute Y * r');
  const outLoad = m.input('out_load', u(1), 'take one output beat (rotates Y)');
  const r = m.input('r', rT, '1/Z');

  const z = m.reg('z', zT, { domain: cd, reset: 0 });
  const curE = m.reg('cur_e', eT, { domain: cd, reset: 0 });
  const curSel = m.reg('cur_sel', selT, { domain: cd, reset: 0 });
  const eUsed = m.wire('e_used', mux(beatFirst, eIn, curE));
  const selUsed = m.wire('sel_used', mux(beatFirst, selIn, curSel));
  const zNext = shiftMode ? accZShiftFlagged(A, z, eIn, selIn, f) : accZMultiplyFlagged(A, z, eIn, selIn, f);
  m.when(beatValid.and(beatFirst), () => {
    curE.set(eIn);
    curSel.set(selIn);
    z.set(zNext.value);
  });
  m.when(clear, () => z.set(0));

  // The Y ring: word 0 is the head; beats take the head and write the tail.
  const ring: Signal[] = Array.from({ length: c.B }, (_, i) => m.reg(`y_${i}`, u(c.P * yT.width), { domain: cd, reset: 0 }));
  const head = unpack(ring[0]!, c.P, yT);
  const v = unpack(vWord, c.P, dataT);
  const opA = m.wire('mul_a', mux(norm, r, eUsed.zext(rT.width)));
  const updated: Expr[] = [];
  const outs: Expr[] = [];
  // Saturation flags (saturation.ts), the same narrowings as golden.ts accY* / normalizeOutput.
  const ySats: Expr[] = [];
  const oSats: Expr[] = [];
  for (let i = 0; i < c.P; i++) {
    const vy = alignToY(A, v[i]!, f);
    const accOperand = shiftMode ? vy : mux(selUsed, head[i]!, vy);
    const opB = mux(norm, head[i]!, accOperand);
    const prod = m.wire(`prod_${i}`, opA.mul(opB));
    const F = f.exp2Out.fracBits;
    if (shiftMode) {
      const bv = narrowFlagged(A, prod, F, yT, 'rne');
      const sum = saturateFlagged(A, shiftRightRne(A, head[i]!, selUsed).add(bv.value), yT);
      updated.push(sum.value);
      ySats.push(bv.saturated.or(sum.saturated));
    } else {
      const scaled = narrowFlagged(A, prod, F, yT, 'rne');
      const sum = saturateFlagged(A, scaled.value.add(mux(selUsed, vy, head[i]!)), yT);
      updated.push(sum.value);
      ySats.push(scaled.saturated.or(sum.saturated));
    }
    const o = narrowFlagged(A, prod, f.y.fracBits + f.recip.fracBits - f.out.fracBits, qType(f.out), 'rne');
    outs.push(o.value);
    oSats.push(o.saturated);
  }
  // Each element's flag is registered as it is found (one gate after the range test, so the
  // flags lengthen no path); they are ORed a cycle later, from registers.
  const ySatQ = m.reg('y_sat_q', u(c.P), { domain: cd, reset: 0 });
  const zSatQ = m.reg('z_sat_q', u(1), { domain: cd, reset: 0 });
  const oSatQ = m.reg('o_sat_q', u(c.P), { domain: cd, reset: 0 });
  ySatQ.set(mux(beatValid, pack(ySats), lit(0, u(c.P))));
  zSatQ.set(beatValid.and(beatFirst).and(zNext.saturated));
  oSatQ.set(mux(outLoad, pack(oSats), lit(0, u(c.P))));
  m.output('acc_sat', u(1), 'pulse, one cycle after a Z or Y update that saturated').set(ySatQ.orR().or(zSatQ));
  m.output('o_sat', u(1), 'pulse, one cycle after an out_load whose narrowing saturated').set(oSatQ.orR());
  const newWord = m.wire('y_next', pack(updated));
  m.when(beatValid.or(outLoad), () => {
    for (let i = 0; i + 1 < c.B; i++) ring[i]!.set(ring[i + 1]!);
    ring[c.B - 1]!.set(mux(beatValid, newWord, ring[0]!));
  });
  m.when(clear, () => ring.forEach((w) => w.set(0)));
  m.output('z_out', zT, 'normaliser Z').set(z);
  m.output('o', u(c.P * dataT.width), 'P outputs Y * r, narrowed').set(pack(outs));
  return m;
}

/** Reciprocal 1/Z: restoring division, one quotient bit per cycle, RNE at the end. */
export function buildRecip(c: LaneConfig): Module {
  const f = c.formats;
  const m = new Module(`swiftkv_recip_z${qType(f.z).width}_r${qType(f.recip).width}`);
  m.doc = `1/Z = RNE(2^${f.recipSteps} / Z): restoring divider, ${f.recipSteps} cycles, then one rounding cycle.`;
  m.generator = { name: 'generators/swiftkv/lane.ts buildRecip', params: { steps: f.recipSteps } };
  const cd = m.clockDomain();
  const start = m.input('start', u(1));
  const z = m.input('z', qType(f.z), 'divisor, >= 1/2');
  const zT = qType(f.z);
  const rT = qType(f.recip);
  const cw = clog2(f.recipSteps + 1);
  const rem = m.reg('rem', zT, { domain: cd, reset: 0 });
  const quot = m.reg('quot', rT, { domain: cd, reset: 0 });
  const count = m.reg('count', u(cw), { domain: cd, reset: 0 });
  const busy = m.reg('busy', u(1), { domain: cd, reset: 0 });
  const r = m.reg('r_q', rT, { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const st0 = recipStart(A, f);
  const step = recipStep(A, { rem, quot }, z);
  const lastStep = m.wire('last_step', count.eq(f.recipSteps - 1));
  done.set(0);
  m.when(start, () => {
    rem.set(st0.rem);
    quot.set(st0.quot);
    count.set(0);
    busy.set(1);
  }).elsewhen(busy, () => {
    rem.set(step.rem);
    quot.set(step.quot);
    count.set(count.add(1).trunc(cw));
    m.when(lastStep, () => busy.set(0));
  });
  // The cycle after the last step: round from the remainder.
  const finishing = m.reg('finishing', u(1), { domain: cd, reset: 0 });
  finishing.set(busy.and(lastStep));
  m.when(finishing, () => {
    r.set(recipFinish(A, { rem, quot }, z));
    done.set(1);
  });
  m.output('done', u(1), 'pulse: r is valid from now on').set(done);
  m.output('r', rT, '1/Z').set(r);
  return m;
}

// ---- the lane ---------------------------------------------------------------------------

const IDLE = 0;
const LOAD = 1;
const RUN = 2;
const DIV = 3;
const OUT = 4;

export function buildLane(input: LaneParamsInput): Module {
  const c = laneConfig(input);
  const f = c.formats;
  const { P, B } = c;
  const dataT = qType(f.data);
  const W = dataT.width;
  const shiftMode = f.params.rescale === 'shift';
  const m = new Module(laneName(c));
  m.doc = [
    `SwiftKV attention lane: one query, one head; d = ${c.d}, P = ${P}, one token every ${B} cycle(s).`,
    `Data ${W}-bit Q${f.data.intBits}.${f.data.fracBits}; rescale '${f.params.rescale}'; contexts up to ${f.params.maxContext} tokens.`,
    'Control: pulse start with cfg_len (1..maxContext) while busy is low; done pulses with the last o beat.',
    'Streams (AXI4-Stream style): q: B beats, tlast on the last; kv: L tokens of B beats,',
    `tdata = {v, k} (k in the low ${P * W} bits), tlast on the last beat of each token; o: B beats.`,
    'status_error (sticky until start): tlast in the wrong place, or cfg_len outside 1..maxContext.',
    'status_sat (sticky until start): bit i = saturation stage i clamped a value (generators/swiftkv/saturation.ts).',
  ].join('\n');
  m.generator = { name: 'generators/swiftkv/lane.ts buildLane', params: { headDim: c.d, pe: P, maxContext: f.params.maxContext, rescale: f.params.rescale } };
  const cd: ClockDomain = m.clockDomain();
  const lenT = u(c.lenWidth);
  const bw = clog2(B);

  const start = m.input('start', u(1), 'pulse: begin a query (ignored while busy)');
  const cfgLen = m.input('cfg_len', lenT, 'context length L, sampled at start');
  const qValid = m.input('q_tvalid', u(1));
  const qReady = m.output('q_tready', u(1));
  const qData = m.input('q_tdata', u(P * W), 'P elements of q, element 0 in the low bits');
  const qLast = m.input('q_tlast', u(1));
  const kvValid = m.input('kv_tvalid', u(1));
  const kvReady = m.output('kv_tready', u(1));
  const kvData = m.input('kv_tdata', u(2 * P * W), '{v, k}: P elements each');
  const kvLast = m.input('kv_tlast', u(1), 'last beat of a token');
  const oValid = m.output('o_tvalid', u(1));
  const oReady = m.input('o_tready', u(1));
  const oData = m.output('o_tdata', u(P * W), 'P elements of o');
  const oLast = m.output('o_tlast', u(1));
  const busyOut = m.output('busy', u(1));
  const doneOut = m.output('done', u(1), 'pulse: the last o beat was taken');
  const errorOut = m.output('status_error', u(1), 'sticky: bad tlast or cfg_len');
  const satOut = m.output('status_sat', u(SAT_WIDTH), 'sticky until start: saturation stages of this query (saturation.ts)');

  const phase = m.reg('phase', u(3), { domain: cd, reset: IDLE });
  const len = m.reg('len', lenT, { domain: cd, reset: 0 });
  const error = m.reg('error', u(1), { domain: cd, reset: 0 });
  const done = m.reg('done_q', u(1), { domain: cd, reset: 0 });
  const inPhase = (p: number): Expr => phase.eq(lit(p, u(3)));
  const idle = m.wire('idle', inPhase(IDLE));
  const startFire = m.wire('start_fire', start.and(idle));
  // When maxContext = 2^lenWidth - 1 every cfg_len is <= maxContext: no compare (lint: CMPCONST).
  const lenFits = f.params.maxContext === 2 ** c.lenWidth - 1;
  const lenOk = m.wire('len_ok', lenFits ? cfgLen.ne(0) : cfgLen.ne(0).and(cfgLen.le(f.params.maxContext)));

  // ---- LOAD: q beats through the DOT multipliers into the q' ring -------------------------
  const qCount = m.reg('q_count', u(clog2(B + 1)), { domain: cd, reset: 0 });
  const ringFill = m.reg('ring_fill', u(clog2(B + 1)), { domain: cd, reset: 0 });
  const qFire = m.wire('q_fire', qValid.and(inPhase(LOAD)).and(qCount.ne(B)));
  qReady.set(inPhase(LOAD).and(qCount.ne(B)));

  // ---- RUN: KV beats -----------------------------------------------------------------------
  const vFifo = buildFifo(P * W, c.vFifoDepth);
  const kvBeat = m.reg('kv_beat', u(bw), { domain: cd, reset: 0 });
  const kvTokens = m.reg('kv_tokens', lenT, { domain: cd, reset: 0 });
  const kvOpen = m.wire('kv_open', inPhase(RUN).and(kvTokens.ne(len)));
  const vHasRoom = m.wire('v_has_room', u(1));
  const kvFire = m.wire('kv_fire', kvValid.and(kvOpen).and(vHasRoom));
  kvReady.set(kvOpen.and(vHasRoom));
  const kvLastBeat = m.wire('kv_last_beat', B === 1 ? lit(1, u(1)) : kvBeat.eq(B - 1));

  // The q' ring: word 0 is the head. LOAD shifts new words in at the tail; RUN rotates.
  const ring: Signal[] = Array.from({ length: B }, (_, i) => m.reg(`qs_${i}`, u(P * W), { domain: cd, reset: 0 }));
  const qElems = unpack(qData, P, dataT);
  const kElems = unpack(kvData.slice(P * W - 1, 0), P, dataT);
  const headElems = unpack(ring[0]!, P, dataT);
  const c0 = scaleLiteral(A, f);
  const loading = m.wire('loading', inPhase(LOAD));
  // The DOT multipliers are processing elements (pe.ts): in attention they compute q * c
  // (LOAD) and q' * k (RUN); with pe_override high (GEMV jobs of the MHA top, lane idle) they
  // take their operands and mode from the pe_* ports instead.
  const products: Expr[] = [];
  const gemv = W === 32;
  const peOverride = gemv ? m.input('pe_override', u(1), 'GEMV: the PEs take the pe_* operands (lane must be idle)') : undefined;
  const peMode = gemv ? m.input('pe_mode', u(2), 'GEMV: PE mode (1 INT8, 2 INT4; 0 plain multiply)') : undefined;
  const peA = gemv ? unpack(m.input('pe_a', u(P * W), 'GEMV: operand a of each PE'), P, dataT) : [];
  const peB = gemv ? unpack(m.input('pe_b', u(P * W), 'GEMV: operand b of each PE'), P, dataT) : [];
  const pe = gemv ? buildPe({ gemv: true }) : undefined;
  const gemvProducts: Expr[] = [];
  for (let i = 0; i < P; i++) {
    const a = mux(loading, qElems[i]!, headElems[i]!);
    const b = mux(loading, c0.resize(W), kElems[i]!);
    if (pe && peOverride && peMode) {
      const inst = m.instance(`u_pe${i}`, pe, {
        clk: cd.clock,
        a: mux(peOverride, peA[i]!, a),
        b: mux(peOverride, peB[i]!, b),
        mode: mux(peOverride, peMode, lit(0, u(2))),
      });
      products.push(inst.out('p'));
      gemvProducts.push(inst.out('g'));
    } else {
      const p = m.reg(`prod_${i}`, qType(f.product), { domain: cd, reset: null });
      p.set(a.mul(b));
      products.push(p);
    }
  }
  if (gemv) {
    m.output('pe_p', u(P * 64), 'GEMV: registered PE products').set(pack(products));
    m.output('pe_g', u(P * 48), 'GEMV: PE packed-mode products {g2, g1, g0} per PE').set(pack(gemvProducts));
  }
  const qValid1 = m.reg('q_valid_p', u(1), { domain: cd, reset: 0 });
  const kvValid1 = m.reg('kv_valid_p', u(1), { domain: cd, reset: 0 });
  const first1 = m.reg('kv_first_p', u(1), { domain: cd, reset: 0 });
  const last1 = m.reg('kv_last_p', u(1), { domain: cd, reset: 0 });
  qValid1.set(qFire);
  kvValid1.set(kvFire);
  first1.set(kvBeat.eq(0));
  last1.set(kvLastBeat);
  const qNarrowed = products.map((p) => narrowFlagged(A, p, f.scale.fracBits, qType(f.qScaled), 'rne'));
  const qScaled = m.wire('q_scaled', pack(qNarrowed.map((x) => x.value)));
  // Registered per element as found (no logic added to the ring's input path), ORed a cycle later.
  const qSatQ = m.reg('q_sat_q', u(P), { domain: cd, reset: 0 });
  qSatQ.set(mux(qValid1, pack(qNarrowed.map((x) => x.saturated)), lit(0, u(P))));
  const qSat = qSatQ.orR();
  m.when(qValid1.or(kvFire), () => {
    for (let i = 0; i + 1 < B; i++) ring[i]!.set(ring[i + 1]!);
    ring[B - 1]!.set(mux(qValid1, qScaled, ring[0]!));
  });

  const dot = m.instance('u_dot', buildDot(c), {
    clk: cd.clock,
    rst: cd.reset!,
    in_valid: kvValid1,
    in_first: first1,
    in_last: last1,
    in_products: pack(products),
  });
  const max = m.instance('u_max', buildMax(c), {
    clk: cd.clock,
    rst: cd.reset!,
    clear: startFire,
    s_valid: dot.out('s_valid'),
    s: dot.out('s'),
  });
  const exp2 = m.instance('u_exp2', buildExp2(f), { x: max.out('x') });
  const eReg = m.reg('e', qType(f.exp2Out), { domain: cd, reset: null });
  const selT: HwType = shiftMode ? f.shiftAmount : u(1);
  const selReg = m.reg('e_sel', selT, { domain: cd, reset: null });
  const eValid = m.reg('e_valid', u(1), { domain: cd, reset: 0 });
  eReg.set(exp2.out('e'));
  selReg.set(max.out('sel'));
  eValid.set(max.out('out_valid'));

  // ---- ACC: pop v beats once their token's exp2 result is there ---------------------------
  const eW = qType(f.exp2Out).width;
  const ePop = m.wire('e_pop', u(1));
  const eFifo = m.instance('u_e_fifo', buildFifo(eW + selT.width, c.eFifoDepth), {
    clk: cd.clock,
    rst: cd.reset!,
    push_valid: eValid,
    push_data: cat(selReg.asUnsigned(), eReg),
    pop_ready: ePop,
  });
  const accBeat = m.reg('acc_beat', u(bw), { domain: cd, reset: 0 });
  const accTokens = m.reg('acc_tokens', lenT, { domain: cd, reset: 0 });
  const accFirst = m.wire('acc_first', accBeat.eq(0));
  const vPop = m.wire('v_pop', u(1));
  const vf = m.instance('u_v_fifo', vFifo, {
    clk: cd.clock,
    rst: cd.reset!,
    push_valid: kvFire,
    push_data: kvData.slice(2 * P * W - 1, P * W),
    pop_ready: vPop,
  });
  vHasRoom.set(vf.out('push_ready'));
  const accFire = m.wire('acc_fire', inPhase(RUN).and(vf.out('pop_valid')).and(accFirst.not().or(eFifo.out('pop_valid'))));
  vPop.set(accFire);
  ePop.set(accFire.and(accFirst));
  const eHead = eFifo.out('pop_data');
  const eIn = eHead.slice(eW - 1, 0);
  const selIn = eHead.slice(eW + selT.width - 1, eW);
  const accLastBeat = m.wire('acc_last_beat', B === 1 ? lit(1, u(1)) : accBeat.eq(B - 1));

  // ---- DIV and OUT -------------------------------------------------------------------------
  const allAccumulated = m.wire('all_accumulated', inPhase(RUN).and(accTokens.eq(len)));
  const outBeats = m.reg('out_beats', u(clog2(B + 1)), { domain: cd, reset: 0 });
  const oValidReg = m.reg('o_valid_q', u(1), { domain: cd, reset: 0 });
  const oLastReg = m.reg('o_last_q', u(1), { domain: cd, reset: 0 });
  // Reset, so o_tdata is defined (0) before the first beat rather than x.
  const oDataReg = m.reg('o_data_q', u(P * W), { domain: cd, reset: 0 });
  const outLoad = m.wire('out_load', inPhase(OUT).and(outBeats.ne(B)).and(oValidReg.not().or(oReady)));
  const rValue = m.wire('r_value', qType(f.recip));
  const an = m.instance('u_acc', buildAccNorm(c), {
    clk: cd.clock,
    rst: cd.reset!,
    clear: startFire,
    beat_valid: accFire,
    beat_first: accFirst,
    e: eIn,
    sel: selIn,
    v: vf.out('pop_data'),
    norm: inPhase(OUT),
    out_load: outLoad,
    r: rValue,
  });
  const recip = m.instance('u_recip', buildRecip(c), {
    clk: cd.clock,
    rst: cd.reset!,
    start: allAccumulated,
    z: an.out('z_out'),
  });
  rValue.set(recip.out('r'));

  // ---- control ----------------------------------------------------------------------------
  done.set(0);
  m.when(startFire, () => {
    m.when(lenOk, () => {
      phase.set(LOAD);
      len.set(cfgLen);
    }).otherwise(() => done.set(1));
    error.set(lenOk.not());
    qCount.set(0);
    ringFill.set(0);
    kvBeat.set(0);
    kvTokens.set(0);
    accBeat.set(0);
    accTokens.set(0);
    outBeats.set(0);
  });
  m.when(qFire, () => {
    qCount.set(qCount.add(1).trunc(qCount.width));
    m.when(qLast.ne(qCount.eq(B - 1)), () => error.set(1));
  });
  m.when(qValid1, () => {
    ringFill.set(ringFill.add(1).trunc(ringFill.width));
    m.when(ringFill.eq(B - 1), () => phase.set(RUN));
  });
  m.when(kvFire, () => {
    m.when(kvLast.ne(kvLastBeat), () => error.set(1));
    if (B > 1) kvBeat.set(mux(kvLastBeat, lit(0, u(bw)), kvBeat.add(1).trunc(bw)));
    m.when(kvLastBeat, () => kvTokens.set(kvTokens.add(1).trunc(c.lenWidth)));
  });
  m.when(accFire, () => {
    if (B > 1) accBeat.set(mux(accLastBeat, lit(0, u(bw)), accBeat.add(1).trunc(bw)));
    m.when(accLastBeat, () => accTokens.set(accTokens.add(1).trunc(c.lenWidth)));
  });
  m.when(eValid.and(eFifo.out('push_ready').not()), () => error.set(1));
  m.when(allAccumulated, () => phase.set(DIV));
  m.when(inPhase(DIV).and(recip.out('done')), () => phase.set(OUT));
  m.when(outLoad, () => {
    oValidReg.set(1);
    oDataReg.set(an.out('o'));
    oLastReg.set(outBeats.eq(B - 1));
    outBeats.set(outBeats.add(1).trunc(outBeats.width));
  }).elsewhen(oReady, () => oValidReg.set(0));
  const lastTaken = m.wire('last_taken', oValidReg.and(oReady).and(oLastReg));
  m.when(lastTaken, () => {
    phase.set(IDLE);
    done.set(1);
  });

  // ---- saturation flags: OR of every stage's flag since start (saturation.ts) --------------
  const satFlags: Expr[] = new Array<Expr>(SAT_WIDTH);
  satFlags[satBit('qscale')] = qSat;
  satFlags[satBit('score')] = dot.out('s_valid').and(dot.out('s_sat'));
  satFlags[satBit('exp2in')] = max.out('out_valid').and(max.out('x_sat'));
  satFlags[satBit('acc')] = an.out('acc_sat');
  satFlags[satBit('out')] = an.out('o_sat');
  for (let i = 0; i < SAT_WIDTH; i++) if (satFlags[i] === undefined) throw new Error(`internal: saturation stage ${i} is not wired in the lane`);
  const sat = m.reg('sat', u(SAT_WIDTH), { domain: cd, reset: 0 });
  sat.set(sat.or(pack(satFlags)));
  m.when(startFire, () => sat.set(0));

  oValid.set(oValidReg);
  oData.set(oDataReg);
  oLast.set(oLastReg);
  busyOut.set(idle.not());
  doneOut.set(done);
  errorOut.set(error);
  satOut.set(sat);
  return m;
}
