/**
 * The DSL helpers above the core: instances bound to a clock domain, stream bundles, the
 * pipeline helper (derived latencies), named-state FSMs, named constants as localparams, the
 * `timescale line and content-hashed module names.
 */
import { describe, expect, it } from 'vitest';
import { Module, Simulator, emitDesign, emitModule, u, s, HdlError } from './index.ts';
import { streamInput, streamOutput, streamWires } from './stream.ts';
import { Pipeline } from './pipeline.ts';
import { Fsm } from './fsm.ts';

/** A register stage: out = in delayed one cycle, as a stream pass-through with a skid of 0. */
function passThrough(name: string, width: number): Module {
  const m = new Module(name);
  const cd = m.clockDomain();
  const i = streamInput(m, 'in', u(width), { last: true });
  const o = streamOutput(m, 'out', u(width), { last: true });
  i.ready.set(o.ready);
  o.valid.set(i.valid);
  o.data.set(i.data.add(1).trunc(width));
  o.last!.set(i.last!);
  const count = m.reg('count', u(8), { domain: cd, reset: 0 });
  m.when(i.fire, () => count.set(count.add(1).trunc(8)));
  m.output('beats', u(8)).set(count);
  return m;
}

describe('instances bound to a clock domain', () => {
  it('binds clk and rst of the child to the parent domain', () => {
    const child = passThrough('child', 8);
    const top = new Module('top');
    const cd = top.clockDomain();
    const a = streamInput(top, 'a', u(8), { last: true });
    const b = streamOutput(top, 'b', u(8), { last: true });
    const h = top.instance('u_child', child, { in: a, out: b }, { domain: cd });
    top.output('beats', u(8)).set(h.out('beats'));
    const text = emitModule(top);
    expect(text).toContain('.clk(clk)');
    expect(text).toContain('.rst(rst)');
    expect(text).toContain('assign a_tready = u_child_in_tready;');
    const sim = new Simulator(top);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    sim.set('b_tready', 1);
    sim.set('a_tvalid', 1);
    sim.set('a_tdata', 41);
    sim.set('a_tlast', 1);
    expect(sim.get('b_tvalid').isTrue()).toBe(true);
    expect(sim.get('b_tdata').toBigInt()).toBe(42n);
    expect(sim.get('b_tlast').isTrue()).toBe(true);
    expect(sim.get('a_tready').isTrue()).toBe(true);
    sim.tick();
    sim.set('a_tvalid', 0);
    sim.tick();
    expect(sim.get('beats').toBigInt()).toBe(1n);
  });

  it('refuses a child that needs a reset when the domain has none, and mismatched reset polarity', () => {
    const child = passThrough('child2', 4);
    const top = new Module('top2');
    const cd = top.clockDomain({ reset: null });
    const w = streamWires(top, 'w', u(4), { last: true });
    const x = streamWires(top, 'x', u(4), { last: true });
    expect(() => top.instance('u_c', child, { in: w.sink, out: x.source }, { domain: cd })).toThrow(/needs reset 'rst' but domain 'sync' has none/);
    const top3 = new Module('top3');
    const cd3 = top3.clockDomain({ reset: 'rst_n', resetActive: 'low' });
    const w3 = streamWires(top3, 'w', u(4), { last: true });
    const x3 = streamWires(top3, 'x', u(4), { last: true });
    expect(() => top3.instance('u_c', child, { in: w3.sink, out: x3.source }, { domain: cd3 })).toThrow(/active high but domain 'sync' resets active low/);
  });
});

describe('stream bundles', () => {
  it('connect two children through internal wires in one call each, and name the ports AXI-style', () => {
    const top = new Module('chain');
    const cd = top.clockDomain();
    const a = streamInput(top, 'a', u(8), { last: true });
    const b = streamOutput(top, 'b', u(8), { last: true });
    const mid = streamWires(top, 'mid', u(8), { last: true });
    const c = passThrough('stage', 8);
    top.instance('u_first', c, { in: a, out: mid.source }, { domain: cd });
    top.instance('u_second', c, { in: mid.sink, out: b }, { domain: cd });
    expect(top.ports.map((p) => p.name)).toEqual(['clk', 'rst', 'a_tvalid', 'a_tready', 'a_tdata', 'a_tlast', 'b_tvalid', 'b_tready', 'b_tdata', 'b_tlast']);
    const sim = new Simulator(top);
    sim.set('b_tready', 1);
    sim.set('a_tvalid', 1);
    sim.set('a_tdata', 7);
    expect(sim.get('b_tdata').toBigInt()).toBe(9n);
    sim.set('b_tready', 0);
    expect(sim.get('a_tready').isTrue()).toBe(false);
  });

  it('refuses a bundle of the wrong side, a missing stream and a tlast mismatch', () => {
    const c = passThrough('stage2', 8);
    const top = new Module('bad');
    const cd = top.clockDomain();
    const w = streamWires(top, 'w', u(8), { last: true });
    const nolast = streamWires(top, 'n', u(8));
    expect(() => top.instance('u1', c, { in: w.source, out: w.sink }, { domain: cd })).toThrow(/stream input of 'stage2': bind a sink-side bundle/);
    expect(() => top.instance('u2', c, { nope: w.sink }, { domain: cd })).toThrow(/has no stream 'nope'/);
    expect(() => top.instance('u3', c, { in: nolast.sink, out: w.source }, { domain: cd })).toThrow(/stream 'in' has tlast on 'stage2' but the bundle has none/);
  });
});

describe('pipeline helper', () => {
  function build(): { m: Module; latency: number } {
    const m = new Module('pipe3');
    const cd = m.clockDomain();
    const p = new Pipeline(m, { domain: cd });
    const valid = p.controlInput(m.input('in_valid', u(1)));
    const a = p.input(m.input('a', s(8)));
    const b = p.input(m.input('b', s(8)));
    const k = p.steady(m.input('k', s(8), 'configuration'));
    const sum = a.add(b).named('sum');
    p.next();
    const prod = p.get(sum).mul(k).named('prod');
    p.next();
    p.next();
    const out = p.get(prod).add(p.get(a));
    m.output('out_valid', u(1)).set(p.get(valid));
    m.output('y', out.type).set(out);
    return { m, latency: p.stage };
  }

  it('derives the latency, registers each value once per stage, and resets only control registers', () => {
    const { m, latency } = build();
    expect(latency).toBe(3);
    const regs = m.signals.filter((x) => x.kind === 'reg');
    expect(regs.map((r) => `${r.name}:${r.resetValue === null ? '-' : r.resetValue}`).sort()).toEqual(
      ['a_s1:-', 'a_s2:-', 'a_s3:-', 'in_valid_s1:0', 'in_valid_s2:0', 'in_valid_s3:0', 'prod_s2:-', 'prod_s3:-', 'sum_s1:-'].sort(),
    );
    const sim = new Simulator(m);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    sim.set('k', 3);
    const inputs: [number, number][] = [[1, 2], [-5, 7], [100, 27], [-128, -128]];
    const outs: bigint[] = [];
    for (let t = 0; t < inputs.length + latency; t++) {
      const x = inputs[t];
      sim.set('in_valid', x ? 1 : 0);
      sim.set('a', x ? x[0] : 0);
      sim.set('b', x ? x[1] : 0);
      if (sim.get('out_valid').isTrue()) outs.push(sim.get('y').toBigInt());
      sim.tick();
    }
    expect(outs).toEqual(inputs.map(([a, b]) => BigInt((a + b) * 3 + a)));
  });

  it('names the value and the stages when a value is used before it is valid, or has no stage', () => {
    const m = new Module('pipebad');
    const cd = m.clockDomain();
    const p = new Pipeline(m, { domain: cd });
    const a = p.input(m.input('a', u(4)));
    p.next();
    const late = p.get(a).add(1).named('late');
    expect(() => p.at(late, 0)).toThrow(/'late' is valid from stage 1 but was used at stage 0/);
    const stray = m.input('stray', u(4));
    expect(() => p.get(a.add(stray))).toThrow(/input 'stray' u4 is used in a pipeline but has no stage/);
    expect(() => p.get(a.add(stray))).toThrow(HdlError);
  });

  it('sumTree adds exactly with a register after every level and reports the stage', () => {
    const m = new Module('tree');
    const cd = m.clockDomain();
    const p = new Pipeline(m, { domain: cd });
    const xs = [0, 1, 2, 3, 4].map((i) => p.input(m.input(`x${i}`, s(6))));
    const total = p.sumTree('acc', xs);
    expect(p.stage).toBe(0); // trees do not move the pipeline: several can run side by side
    expect(p.stageOf(total)).toBe(3); // 5 terms -> 3 -> 2 -> 1, a register after each level
    expect(total.width).toBe(9);
    m.output('y', total.type).set(total);
    const sim = new Simulator(m);
    const vals = [-32, 31, -1, 17, 5];
    vals.forEach((v, i) => sim.set(`x${i}`, v));
    sim.tick();
    sim.tick();
    expect(sim.get('y').toBigInt()).not.toBe(BigInt(vals.reduce((a, b) => a + b)));
    sim.tick();
    expect(sim.get('y').toBigInt()).toBe(BigInt(vals.reduce((a, b) => a + b)));
  });
});

describe('FSM helper and named constants', () => {
  it('emits one localparam per used state and steps through the states', () => {
    const m = new Module('ctrl');
    const cd = m.clockDomain();
    const go = m.input('go', u(1));
    const ph = new Fsm(m, 'phase', ['IDLE', 'LOAD', 'RUN'] as const, { domain: cd });
    m.when(ph.is('IDLE').and(go), () => ph.goto('LOAD'))
      .elsewhen(ph.is('LOAD'), () => ph.goto('RUN'))
      .elsewhen(ph.is('RUN'), () => ph.goto('IDLE'));
    m.output('running', u(1)).set(ph.isAny('LOAD', 'RUN'));
    const text = emitModule(m);
    expect(text).toContain("localparam [1:0] PHASE_IDLE = 2'd0;");
    expect(text).toContain("localparam [1:0] PHASE_RUN = 2'd2;");
    expect(text).toContain('phase == PHASE_LOAD');
    const sim = new Simulator(m);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    sim.set('go', 1);
    const seen: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(sim.get('running').isTrue());
      sim.tick();
    }
    expect(seen).toEqual([false, true, true, false]);
    expect(() => ph.is('DONE' as 'RUN')).toThrow(/has no state 'DONE'/);
  });
});

describe('emitted files', () => {
  function leaf(name: string, k: number): Module {
    const m = new Module(name);
    const x = m.input('x', u(8));
    m.output('y', u(9)).set(x.add(k));
    m.hashName = true;
    return m;
  }

  it('start with a `timescale line', () => {
    expect(emitModule(leaf('t', 1))).toContain('`timescale 1ns / 1ps\n`default_nettype none');
  });

  it('name hashName modules after their content: equal text, equal name; different text, different name; the top keeps its name', () => {
    const top = (k1: number, k2: number): ReturnType<typeof emitDesign> => {
      const m = new Module('hash_top');
      const x = m.input('x', u(8));
      const a = m.instance('u_a', leaf('adder', k1), { x });
      const b = m.instance('u_b', leaf('adder_b', k2), { x });
      m.output('y', u(10)).set(a.out('y').add(b.out('y')));
      return emitDesign(m);
    };
    const d1 = top(1, 2);
    const d2 = top(1, 3);
    expect(d1.top).toBe('hash_top');
    const names1 = d1.modules.map((x) => x.name);
    const names2 = d2.modules.map((x) => x.name);
    expect(names1[0]).toMatch(/^adder_[0-9a-f]{8}$/);
    expect(names1[0]).toBe(names2[0]);
    expect(d1.modules[0]!.text).toBe(d2.modules[0]!.text);
    expect(names1[1]).not.toBe(names2[1]);
    expect(d1.modules.at(-1)!.text).toContain(`${names1[0]} u_a (`);
  });
});

describe('pipeline helper inside when()', () => {
  it('delay registers made inside a when() body still update every cycle', () => {
    const m = new Module('pipewhen');
    const cd = m.clockDomain();
    const p = new Pipeline(m, { domain: cd });
    const en = p.controlInput(m.input('en', u(1)));
    const x = p.input(m.input('x', u(4)));
    p.next(2);
    const held = m.reg('held', u(4), { domain: cd, reset: 0 });
    m.when(p.get(en), () => held.set(p.get(x)));
    m.output('y', u(4)).set(held);
    const sim = new Simulator(m);
    sim.set('rst', 1);
    sim.tick();
    sim.set('rst', 0);
    const seq = [[0, 5], [0, 6], [1, 7], [0, 8]];
    for (const [e, v] of seq) {
      sim.set('en', e!);
      sim.set('x', v!);
      sim.tick();
    }
    sim.set('en', 0);
    sim.tick();
    sim.tick();
    expect(sim.get('y').toBigInt()).toBe(7n);
  });
});

describe('register attributes', () => {
  it('are emitted before the declaration; pipeline delay registers ask for a flip-flop after an SRL', () => {
    const m = new Module('attrs');
    const cd = m.clockDomain({ reset: null });
    const p = new Pipeline(m, { domain: cd });
    const x = p.input(m.input('x', u(4)));
    p.next(3);
    m.output('y', u(4)).set(p.get(x));
    expect(emitModule(m)).toContain('(* srl_style = "reg_srl_reg" *) reg  [3:0] x_s3;');
  });
});
