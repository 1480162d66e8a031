import { describe, it, expect } from 'vitest';
import { Simulator, Value, valueArith as A, qType, u } from '../../hdl/index.ts';
import { buildMaxExp } from './maxexp.ts';
import { laneConfig } from './config.ts';
import { maxStage, maxStageShift } from './golden.ts';
import { exp2Fixed, valueLookup } from './exp2.ts';
import { makeRng } from '../../verify/rng.ts';
describe('maxexp', () => {
  for (const rescale of ['multiply', 'shift'] as const) {
    it(rescale, () => {
      const c = laneConfig({ headDim: 16, pe: 4, rescale });
      const f = c.formats;
      const { module, latency } = buildMaxExp(c);
      const sim = new Simulator(module);
      const rng = makeRng(9);
      const st = qType(f.score);
      const lookup = valueLookup(f.params.exp2);
      let mv = Value.of(0, qType(f.max));
      const want: string[] = [];
      const scores: { s: bigint; first: boolean }[] = [];
      for (let t = 0; t < 300; t++) {
        const first = t % 37 === 0;
        const s = BigInt(rng.int(-(2 ** 22), 2 ** 22)) + (t % 50 === 5 ? 3n << 28n : 0n);
        scores.push({ s, first });
        const sv = Value.of(s, st);
        const fv = Value.of(first ? 1 : 0, u(1));
        if (rescale === 'multiply') {
          const r = maxStage(A, mv, sv, fv, f);
          want.push(`${exp2Fixed(A, r.x, lookup, f.params.exp2).toBigInt()}/${r.sNew.toBigInt()}/${r.xSaturated.toBigInt()}`);
          mv = r.mNew;
        } else {
          const r = maxStageShift(A, mv, sv, fv, f);
          want.push(`${exp2Fixed(A, r.x, lookup, f.params.exp2).toBigInt()}/${r.shift.toBigInt()}/${r.xSaturated.toBigInt()}`);
          mv = r.mNew;
        }
      }
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      const got: string[] = [];
      let i = 0; let cyc = 0; let lastIn = -1; let firstOut = -1;
      while (got.length < scores.length && cyc < 5000) {
        const send = i < scores.length && rng.next() < 0.6;
        if (send) { sim.set('s_valid', 1); sim.set('s', Value.wrap(scores[i]!.s, st)); sim.set('s_meta', scores[i]!.first ? 1 : 0); sim.set('s_sat', 0); if (i === 0) lastIn = cyc; i++; } else sim.set('s_valid', 0);
        if (sim.get('e_valid').isTrue()) { got.push(`${sim.get('e').toBigInt()}/${sim.get('sel').toBigInt()}/${sim.get('sat_exp2in').toBigInt()}`); if (firstOut < 0) firstOut = cyc; }
        sim.tick(); cyc++;
      }
      expect(got).toEqual(want);
      expect(firstOut - lastIn).toBe(latency);
      console.log(rescale, 'latency', latency);
    });
  }
});
