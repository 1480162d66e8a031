import { describe, it, expect } from 'vitest';
import { Simulator, Value } from '../../hdl/index.ts';
import { buildDot } from './dot.ts';
import { laneConfig } from './config.ts';
import { dotExact, scoreStep } from './golden.ts';
import { packValues } from '../common/packing.ts';
import { valueArith as A, qType } from '../../hdl/index.ts';
import { makeRng } from '../../verify/rng.ts';
describe('dot', () => {
  for (const [d, P] of [[16, 4], [16, 16], [16, 1], [128, 16]] as const) {
    it(`d=${d} P=${P}`, () => {
      const c = laneConfig({ headDim: d, pe: P });
      const { module, latency } = buildDot(c);
      const sim = new Simulator(module);
      const rng = makeRng(d * P);
      const f = c.formats;
      const dt = qType(f.data);
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      const tokens = 6;
      const want: { s: bigint; sat: boolean }[] = [];
      const beats: { q: bigint; k: bigint; first: number; last: number; meta: number }[] = [];
      for (let t = 0; t < tokens; t++) {
        const big = t % 3 === 2;
        const q = Array.from({ length: d }, () => BigInt(big ? rng.int(-(2 ** 31), 2 ** 31 - 1) : rng.int(-(2 ** 20), 2 ** 20)));
        const k = Array.from({ length: d }, () => BigInt(big ? rng.int(-(2 ** 31), 2 ** 31 - 1) : rng.int(-(2 ** 20), 2 ** 20)));
        const r = scoreStep(A, dotExact(A, q.map((x) => Value.of(x, dt)), k.map((x) => Value.of(x, dt)), qType(f.dotAcc).width), f);
        want.push({ s: r.value.toBigInt(), sat: r.saturated.isTrue() });
        for (let b = 0; b < c.B; b++) beats.push({ q: packValues(q.slice(b * P, b * P + P), 32), k: packValues(k.slice(b * P, b * P + P), 32), first: b === 0 ? 1 : 0, last: b === c.B - 1 ? 1 : 0, meta: t % 8 });
      }
      const got: { s: bigint; sat: boolean; meta: number }[] = [];
      let cyc = 0; let bi = 0; let lastIn = -1; let firstOut = -1;
      while (got.length < tokens && cyc < 10000) {
        const send = bi < beats.length && rng.next() < 0.7;
        if (send) { const b = beats[bi++]!; sim.set('in_valid', 1); sim.set('in_q', b.q); sim.set('in_k', b.k); sim.set('in_first', b.first); sim.set('in_last', b.last); sim.set('in_meta', b.meta); if (bi === c.B) lastIn = cyc; } else sim.set('in_valid', 0);
        if (sim.get('s_valid').isTrue()) { got.push({ s: sim.get('s').toBigInt(), sat: sim.get('s_sat').isTrue(), meta: Number(sim.get('s_meta').toBigInt()) }); if (firstOut < 0) firstOut = cyc; }
        sim.tick(); cyc++;
      }
      expect(got.map((g) => g.s)).toEqual(want.map((w) => w.s));
      expect(got.map((g) => g.sat)).toEqual(want.map((w) => w.sat));
      expect(got.map((g) => g.meta)).toEqual(want.map((_, t) => t % 8));
      expect(firstOut - lastIn, 'latency').toBe(latency);
      console.log(d, P, 'latency', latency, 'sat', want.map(w=>w.sat).join(','));
    });
  }
});
