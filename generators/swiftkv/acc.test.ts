import { describe, it, expect } from 'vitest';
import { Simulator, Value, valueArith as A, qType, u } from '../../hdl/index.ts';
import { buildAcc } from './acc.ts';
import { laneConfig } from './config.ts';
import { accYMultiply, accZMultiply, accYShift, accZShift } from './golden.ts';
import { packValues, unpackValues } from '../common/packing.ts';
import { makeRng } from '../../verify/rng.ts';

describe('acc block', () => {
  for (const [d, P, rescale] of [[16, 4, 'multiply'], [16, 16, 'multiply'], [16, 4, 'shift'], [16, 16, 'shift'], [8, 1, 'multiply']] as const) {
    it(`d=${d} P=${P} ${rescale}`, () => {
      const c = laneConfig({ headDim: d, pe: P, rescale, maxContext: 64 });
      const f = c.formats;
      const { module, interval, loopDepth } = buildAcc(c);
      const sim = new Simulator(module);
      const rng = makeRng(d + P);
      const yT = qType(f.y), zT = qType(f.z), eT = qType(f.exp2Out), dT = qType(f.data);
      // Two heads of 5 tokens each, interleaved banks 0 and 1.
      type Tok = { e: bigint; sel: bigint; first: boolean; last: boolean; bank: number; v: bigint[] };
      const toks: Tok[] = [];
      const want: { y: bigint[][]; z: bigint[] } = { y: [[], []], z: [0n, 0n] };
      for (let h = 0; h < 3; h++) {
        const bank = h % 2;
        let y = Array.from({ length: d }, () => Value.of(0, yT));
        let z = Value.of(0, zT);
        for (let t = 0; t < 5; t++) {
          const first = t === 0;
          const e = first ? 1n << BigInt(f.exp2Out.fracBits) : BigInt(rng.int(0, 2 ** f.exp2Out.fracBits));
          const sel = rescale === 'multiply' ? (first ? 0n : BigInt(rng.int(0, 1))) : (first ? 0n : BigInt(rng.int(0, 3)));
          const v = Array.from({ length: d }, () => BigInt(rng.int(-(2 ** 20), 2 ** 20)));
          toks.push({ e, sel, first, last: t === 4, bank, v });
          const ev = Value.of(e, eT);
          const sv = Value.of(sel, rescale === 'multiply' ? u(1) : f.shiftAmount);
          if (rescale === 'multiply') {
            z = accZMultiply(A, z, ev, sv, f).value;
            y = y.map((yj, j) => accYMultiply(A, yj, Value.of(v[j]!, dT), ev, sv, f).value);
          } else {
            z = accZShift(A, z, ev, sv, f).value;
            y = y.map((yj, j) => accYShift(A, yj, Value.of(v[j]!, dT), ev, sv, f).value);
          }
        }
        want.y[bank] = y.map((x) => x.toBigInt());
        want.z[bank] = z.toBigInt();
        if (h === 2) break;
      }
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      // Queue: tokens; v FIFO modelled as an array of beats.
      const vq: bigint[] = [];
      toks.forEach((t) => { for (let b = 0; b < c.B; b++) vq.push(packValues(t.v.slice(b * P, b * P + P), 32)); });
      let ti = 0; let vi = 0; let cyc = 0;
      const zs: { bank: number; z: bigint }[] = []; const banks: number[] = [];
      let starts: number[] = [];
      while (cyc < 2000) {
        const t = toks[ti];
        sim.set('tok_valid', t ? 1 : 0);
        if (t) { sim.set('tok_e', t.e); sim.set('tok_sel', t.sel); sim.set('tok_meta', (t.first ? 1 : 0) | (t.last ? 2 : 0) | (t.bank << 2)); }
        sim.set('tok_sat', 0); sim.set('bank_free', 3);
        sim.set('v_count', Math.min(vq.length - vi, 2 * c.B + 63));
        sim.set('v_data', vq[vi] ?? 0n);
        const pop = sim.get('v_pop').isTrue();
        const take = sim.get('tok_ready').isTrue();
        if (sim.get('z_valid').isTrue()) zs.push({ bank: Number(sim.get('z_bank').toBigInt()), z: sim.get('z').toBigInt() });
        if (sim.get('bank_valid').isTrue()) banks.push(Number(sim.get('bank').toBigInt()));
        if (take) starts.push(cyc);
        sim.tick(); cyc++;
        if (pop) vi++;
        if (take) ti++;
        if (ti >= toks.length && banks.length >= 3) break;
      }
      expect(zs.map((x) => x.bank)).toEqual([0, 1, 0]);
      expect(zs[1]!.z).toBe(want.z[1]);
      expect(zs[2]!.z).toBe(want.z[0]);
      expect(banks).toEqual([0, 1, 0]);
      const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
      expect(Math.min(...gaps)).toBe(interval);
      for (const bank of [0, 1]) {
        const got: bigint[] = [];
        for (let w = 0; w < c.B; w++) {
          sim.set('norm_addr', (bank << Math.max(1, Math.ceil(Math.log2(c.B)))) | w);
          got.push(...unpackValues(sim.get('norm_y').bits, P, yT.width, true));
        }
        expect(got, `bank ${bank}`).toEqual(want.y[bank]);
      }
      console.log(d, P, rescale, 'II', interval, 'loop', loopDepth);
    });
  }
});
