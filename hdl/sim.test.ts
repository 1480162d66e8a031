import { describe, expect, it } from 'vitest';
import { Module, Simulator, u, s, mux } from './index.ts';
import { buildMac, defaultMacParams } from '../generators/example/mac.ts';
import { macGolden, type MacSample } from '../generators/example/mac.golden.ts';
import { makeRng } from '../verify/rng.ts';

describe('cycle simulator', () => {
  it('registers: synchronous reset, enable, conditional hold', () => {
    const m = new Module('t');
    const cd = m.clockDomain();
    const en = m.input('en', u(1));
    const load = m.input('load', u(1));
    const d = m.input('d', u(4));
    const q = m.reg('q', u(4), { domain: cd, reset: 9, enable: en });
    m.when(load, () => q.set(d));
    m.output('y', u(4)).set(q);
    const sim = new Simulator(m);
    sim.set('rst', 1);
    sim.tick();
    expect(sim.get('y').toNumber()).toBe(9);
    sim.set('rst', 0);
    sim.set('d', 3);
    sim.set('load', 1);
    sim.tick();
    expect(sim.get('y').toNumber()).toBe(9); // enable low
    sim.set('en', 1);
    sim.tick();
    expect(sim.get('y').toNumber()).toBe(3);
    sim.set('load', 0);
    sim.set('d', 5);
    sim.tick();
    expect(sim.get('y').toNumber()).toBe(3); // no assignment on this path: hold
  });

  it('asynchronous reset acts without a clock edge', () => {
    const m = new Module('t');
    const cd = m.clockDomain({ resetKind: 'async', resetActive: 'low', reset: 'rst_n' });
    const q = m.reg('q', u(4), { domain: cd, reset: 0 });
    q.set(q.add(1).trunc(4));
    m.output('y', u(4)).set(q);
    const sim = new Simulator(m);
    sim.set('rst_n', 1);
    sim.tick(5);
    expect(sim.get('y').toNumber()).toBe(5);
    sim.set('rst_n', 0);
    expect(sim.get('y').toNumber()).toBe(0);
  });

  it('RAM: read-first and write-first registered reads, combinational ROM read', () => {
    const m = new Module('t');
    const cd = m.clockDomain();
    const addr = m.input('addr', u(2));
    const we = m.input('we', u(1));
    const wd = m.input('wd', s(8));
    const ram = m.memory('ram', { type: s(8), depth: 4, init: [10, 20, 30, 40] });
    ram.write(addr, wd, we, cd);
    m.output('rf', s(8)).set(ram.read('rf_q', addr, { latency: 1, domain: cd }));
    m.output('wf', s(8)).set(ram.read('wf_q', addr, { latency: 1, domain: cd, readDuringWrite: 'write-first' }));
    m.output('comb', s(8)).set(ram.read('c_q', addr));
    const sim = new Simulator(m);
    sim.set('addr', 2);
    expect(sim.get('comb').toNumber()).toBe(30);
    sim.set('we', 1);
    sim.set('wd', -5);
    sim.tick();
    expect(sim.get('rf').toNumber()).toBe(30);
    expect(sim.get('wf').toNumber()).toBe(-5);
    expect(sim.get('comb').toNumber()).toBe(-5);
  });

  it('hierarchy: instance outputs feed parent logic in the same cycle', () => {
    const inc = new Module('inc');
    const i = inc.input('i', u(4));
    inc.output('o', u(5)).set(i.add(1));
    const top = new Module('top');
    const a = top.input('a', u(4));
    const c = top.input('c', u(1));
    const u0 = top.instance('u0', inc, { i: a });
    top.output('y', u(5)).set(mux(c, u0.out('o'), a.zext(5)));
    const sim = new Simulator(top);
    sim.set('a', 15);
    sim.set('c', 1);
    expect(sim.get('y').toNumber()).toBe(16);
    expect(sim.peek('u0.o').toNumber()).toBe(16);
  });

  it('rejects out-of-range inputs and unknown ports with the accepted range', () => {
    const m = new Module('t');
    m.input('a', s(4));
    m.output('y', u(1)).set(0);
    const sim = new Simulator(m);
    expect(() => sim.set('a', 100)).toThrow('value 100 does not fit input \'a\' s4');
    expect(() => sim.set('b', 1)).toThrow("t has no input 'b' (inputs: a)");
  });

  it('example MAC matches its golden model over a random stream', () => {
    const seed = 20261129;
    const rng = makeRng(seed);
    const p = defaultMacParams;
    const sim = new Simulator(buildMac(p));
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    const sent: MacSample[] = [];
    const got: bigint[] = [];
    for (let cycle = 0; cycle < 400; cycle++) {
      const valid = rng.next() < 0.7;
      const smp = { first: rng.next() < 0.1, x: BigInt(rng.int(-32768, 32767)), idx: rng.int(0, p.taps - 1) };
      sim.set('in_valid', valid ? 1 : 0);
      sim.set('in_first', smp.first ? 1 : 0);
      sim.set('in_x', smp.x);
      sim.set('in_idx', smp.idx);
      if (valid) sent.push(smp);
      if (sim.get('out_valid').isTrue()) got.push(sim.get('out_acc').toBigInt());
      sim.tick();
    }
    const want = macGolden(p, sent);
    expect(got.length, `seed ${seed}`).toBeGreaterThan(200);
    expect(got, `seed ${seed}`).toEqual(want.slice(0, got.length));
  });
});
