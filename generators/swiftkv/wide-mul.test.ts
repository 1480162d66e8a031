import { describe, it, expect } from 'vitest';
import { Module, Simulator, Value, s, u, type HwType, minValue, maxValue } from '../../hdl/index.ts';
import { Pipeline } from '../../hdl/pipeline.ts';
import { chainMul } from './wide-mul.ts';
function build(wt: HwType, nt: HwType, port: 'a'|'b') {
  const m = new Module('wm'); const cd = m.clockDomain({reset: null});
  const p = new Pipeline(m, { domain: cd });
  const w = p.input(m.input('w', wt)); const n = p.input(m.input('n', nt));
  const prod = chainMul(p, 'mul', w, n, port);
  const lat = p.stageOf(prod);
  m.output('p', prod.type).set(prod);
  return { m, lat };
}
describe('chainMul', () => {
  for (const [wt, nt, port] of [[s(52), u(17), 'a'], [u(38), u(17), 'a'], [s(42), u(26), 'b'], [s(32), s(18), 'a'], [s(70), s(27), 'b']] as const) {
    it(`${wt.width}${wt.signed?'s':'u'} x ${nt.width} on ${port}`, () => {
      const { m, lat } = build(wt, nt, port);
      const sim = new Simulator(m);
      let x = 12345;
      const rnd = (t: HwType, i: number) => { if (i < 9) return [minValue(t), maxValue(t), 0n][i % 3]!; x = (x * 1103515245 + 12345) >>> 0; let v = 0n; for (let k = 0; k < 6; k++) { x = (x * 1103515245 + 12345) >>> 0; v = (v << 16n) | BigInt(x >>> 8); } const span = maxValue(t) - minValue(t) + 1n; return minValue(t) + (v % span); };
      const want: bigint[] = [];
      for (let i = 0; i < 200 + lat; i++) {
        const a = rnd(wt, i), b = rnd(nt, (i * 7) % 9 + (i >= 9 ? 9 : 0));
        want.push(a * b);
        sim.set('w', Value.wrap(a, wt)); sim.set('n', Value.wrap(b, nt));
        if (i >= lat) expect(sim.get('p').toBigInt(), `vector ${i - lat}`).toBe(want[i - lat]);
        sim.tick();
      }
    });
  }
});
