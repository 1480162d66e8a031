/** Golden model of the example MAC: the same arithmetic on `Value`, sample by sample. */
import { Value, valueArith, narrow, s, type HwType } from '../../hdl/index.ts';
import { macCoefficients, type MacParams } from './mac.ts';

export interface MacSample {
  first: boolean;
  x: bigint;
  idx: number;
}

/** The accumulator value after each sample, in order. */
export function macGolden(p: MacParams, samples: readonly MacSample[]): bigint[] {
  const coefs = macCoefficients(p);
  const accT: HwType = s(p.accBits);
  let acc = Value.of(0, accT);
  const out: bigint[] = [];
  for (const smp of samples) {
    const prod = Value.of(smp.x, s(p.sampleBits)).mul(Value.of(coefs[smp.idx]!, s(p.coefBits)));
    const base = smp.first ? Value.of(0, accT) : acc;
    acc = narrow(valueArith, base.add(prod), 0, accT);
    out.push(acc.toBigInt());
  }
  return out;
}
