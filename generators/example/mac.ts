/**
 * Example generator: a pipelined multiply-accumulate whose coefficients come from a ROM.
 * It exists to show the DSL on a small, complete design (see docs/dsl-guide.md) and to
 * exercise the whole flow: generate, lint, synthesise, simulate against the golden model.
 *
 * Pipeline (one sample per cycle, no stalls):
 *   stage 1  coefficient ROM read (registered, like block RAM), sample and flags delayed
 *   stage 2  product = sample * coefficient, registered (maps to a DSP)
 *   stage 3  acc = (first ? 0 : acc) + product, narrowed to the accumulator width with
 *            saturation; out_valid marks a new accumulator value
 */
import { Module, u, s, mux, lit, Q, qType, toFixed, narrow, exprArith, type HwType } from '../../hdl/index.ts';

export interface MacParams {
  /** Sample width (signed). */
  sampleBits: number;
  /** Coefficient format: Q1.(coefBits-1), signed. */
  coefBits: number;
  /** Number of ROM coefficients (addressed by in_idx). */
  taps: number;
  /** Accumulator width (signed); sums saturate at its range. */
  accBits: number;
}

export const defaultMacParams: MacParams = { sampleBits: 16, coefBits: 16, taps: 32, accBits: 40 };

/** The coefficient table: a Hann window in Q1.(coefBits-1). One function for ROM and golden. */
export function macCoefficients(p: MacParams): bigint[] {
  const f = Q(1, p.coefBits - 1);
  const max = 1 - 2 ** -(p.coefBits - 1);
  return Array.from({ length: p.taps }, (_, i) => {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / p.taps);
    return toFixed(Math.min(w, max) * (i % 2 === 0 ? 1 : -1), f);
  });
}

export function validateMacParams(p: MacParams): void {
  const check = (name: string, v: number, lo: number, hi: number): void => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} = ${v} is out of range: accepted ${lo}..${hi}`);
  };
  check('sampleBits', p.sampleBits, 2, 64);
  check('coefBits', p.coefBits, 2, 64);
  check('taps', p.taps, 2, 4096);
  check('accBits', p.accBits, p.sampleBits + p.coefBits, 256);
}

export function macName(p: MacParams): string {
  return `mac_s${p.sampleBits}_c${p.coefBits}_t${p.taps}_a${p.accBits}`;
}

export function buildMac(p: MacParams = defaultMacParams): Module {
  validateMacParams(p);
  const m = new Module(macName(p));
  m.doc = 'Pipelined multiply-accumulate with a coefficient ROM; 3-cycle latency, one sample per cycle.';
  m.generator = { name: 'generators/example/mac.ts buildMac', params: { ...p } };
  const cd = m.clockDomain();
  const sampleT: HwType = s(p.sampleBits);
  const coefT = qType(Q(1, p.coefBits - 1));
  const accT: HwType = s(p.accBits);

  const inValid = m.input('in_valid', u(1), 'a sample is present this cycle');
  const inFirst = m.input('in_first', u(1), 'this sample starts a new sum');
  const inX = m.input('in_x', sampleT, 'sample');
  const inIdx = m.input('in_idx', u(Math.ceil(Math.log2(p.taps))), 'coefficient index');
  const outValid = m.output('out_valid', u(1), 'out_acc holds a new sum');
  const outAcc = m.output('out_acc', accT, 'running sum, saturated');

  // Stage 1: registered ROM read, and the matching delays of the sample and flags.
  const rom = m.rom('coef_rom', coefT, macCoefficients(p));
  const coef = rom.read('coef', inIdx, { latency: 1, domain: cd });
  const valid1 = m.reg('valid_s1', u(1), { domain: cd, reset: 0 });
  const first1 = m.reg('first_s1', u(1), { domain: cd, reset: 0 });
  const x1 = m.reg('x_s1', sampleT, { domain: cd, reset: null });
  valid1.set(inValid);
  first1.set(inFirst);
  x1.set(inX);

  // Stage 2: the product, exact (sampleBits + coefBits bits).
  const valid2 = m.reg('valid_s2', u(1), { domain: cd, reset: 0 });
  const first2 = m.reg('first_s2', u(1), { domain: cd, reset: 0 });
  const prod = m.reg('prod_s2', s(p.sampleBits + p.coefBits), { domain: cd, reset: null });
  valid2.set(valid1);
  first2.set(first1);
  prod.set(x1.mul(coef));

  // Stage 3: accumulate; the sum grows one bit and is saturated back (the named narrowing point).
  const acc = m.reg('acc', accT, { domain: cd, reset: 0 });
  const valid3 = m.reg('valid_s3', u(1), { domain: cd, reset: 0 });
  valid3.set(valid2);
  const base = m.wire('acc_base', mux(first2, lit(0, accT), acc));
  m.when(valid2, () => acc.set(narrow(exprArith, base.add(prod), 0, accT)));
  outValid.set(valid3);
  outAcc.set(acc);
  return m;
}
