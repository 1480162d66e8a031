import { describe, expect, it } from 'vitest';
import { Module, u, s, lit, checkDesign, emitDesign, HdlCheckError } from './index.ts';
import { modulePasses } from './checks.ts';

const messages = (errs: { message: string }[]): string[] => errs.map((e) => e.message.replace(/ \(at .*\)$/, ''));

describe('check passes', () => {
  it('latches: a wire assigned only under a condition', () => {
    const m = new Module('t');
    const c = m.input('c', u(1));
    const y = m.output('y', u(4));
    m.when(c, () => y.set(1));
    expect(messages(modulePasses.latches!(m).errors)).toEqual([
      "LATCH: output 'y' u4 is not assigned on every path; assign a default first or add otherwise/default",
    ]);
  });

  it('latches: a default, an otherwise or a full switch removes it', () => {
    const m = new Module('t');
    const c = m.input('c', u(1));
    const k = m.input('k', u(2));
    const y1 = m.output('y1', u(4));
    const y2 = m.output('y2', u(4));
    const y3 = m.output('y3', u(4));
    y1.set(0);
    m.when(c, () => y1.set(1));
    m.when(c, () => y2.set(1)).otherwise(() => y2.set(2));
    m.switch(k).is(0, () => y3.set(0)).is(1, () => y3.set(1)).is([2, 3], () => y3.set(3));
    expect(modulePasses.latches!(m).errors).toEqual([]);
  });

  it('outputs: an undriven output and a wire read but never driven', () => {
    const m = new Module('t');
    const w = m.wire('w', u(4));
    m.output('y', u(4));
    const z = m.output('z', u(4));
    z.set(w);
    expect(messages(modulePasses.outputs!(m).errors)).toEqual([
      "UNDRIVEN: wire 'w' u4 is read but never assigned",
      "UNDRIVEN: output 'y' u4 is never assigned",
    ]);
  });

  it('drivers: a signal of another module used inside this one', () => {
    const a = new Module('a');
    const x = a.input('x', u(4));
    const b = new Module('b');
    const y = b.output('y', u(4));
    y.set(x);
    expect(messages(modulePasses.drivers!(b).errors)).toEqual([
      "FOREIGN SIGNAL: input 'x' u4 of module 'a' is used inside 'b'; pass it through a port",
    ]);
  });

  it('drivers: inputs, memory data and instance outputs cannot be assigned', () => {
    const m = new Module('t');
    const x = m.input('x', u(4));
    expect(() => x.set(1)).toThrow(/BAD DRIVER: input 'x' u4 cannot be assigned: it is driven by the module port/);
  });

  it('names: duplicates are errors, internal keywords are renamed with a warning, keyword ports are errors', () => {
    const m = new Module('t');
    const a = m.input('a', u(1));
    m.wire('a', u(1), a);
    const r = m.output('reg', u(1));
    r.set(a);
    m.wire('wire', u(1), a);
    const res = modulePasses.names!(m);
    expect(messages(res.errors)).toEqual(["DUPLICATE NAME: wire 'a' has the name of input", "BAD NAME: port 'reg' is a Verilog keyword: choose another name"]);
    expect(messages(res.warnings)).toEqual(["KEYWORD: wire 'wire' is a Verilog keyword; emitted as 'wire_'"]);
    const bad = new Module('9bad');
    expect(messages(modulePasses.names!(bad).errors)).toEqual(["BAD NAME: module name '9bad' is not a legal Verilog identifier"]);
  });

  it('unused: signals nothing reads are reported as warnings', () => {
    const m = new Module('t');
    const a = m.input('a', u(4));
    m.input('spare', u(4));
    m.wire('dangling', u(4), a);
    m.output('y', u(4)).set(a);
    expect(messages(modulePasses.unused!(m).warnings)).toEqual([
      "UNUSED: input 'spare' u4 is never read",
      "UNUSED: wire 'dangling' u4 is never read",
    ]);
  });

  it('comb-loops: found across the hierarchy, with the path', () => {
    const child = new Module('pass');
    const i = child.input('i', u(1));
    child.output('o', u(1)).set(i);
    const m = new Module('top');
    const w = m.wire('w', u(1));
    const inst = m.instance('u0', child, { i: w });
    w.set(inst.out('o').not());
    m.output('y', u(1)).set(w);
    const r = checkDesign(m);
    expect(messages(r.errors)).toEqual(['COMBINATIONAL LOOP: top.w <- top.u0_o <- top.u0.o <- top.u0.i <- top.w (each is computed from the next)']);
  });

  it('a register breaks the loop', () => {
    const m = new Module('t');
    const cd = m.clockDomain();
    const q = m.reg('q', u(4), { domain: cd, reset: 0 });
    q.set(q.add(1).trunc(4));
    m.output('y', u(4)).set(q);
    expect(checkDesign(m).errors).toEqual([]);
  });

  it('emission refuses a design with errors and lists every problem', () => {
    const m = new Module('t');
    const c = m.input('c', u(1));
    const y = m.output('y', u(4));
    m.output('z', s(4));
    m.when(c, () => y.set(lit(1, u(4))));
    let err: unknown;
    try {
      emitDesign(m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HdlCheckError);
    expect(messages((err as HdlCheckError).problems)).toEqual([
      "UNDRIVEN: output 'z' s4 is never assigned",
      "LATCH: output 'y' u4 is not assigned on every path; assign a default first or add otherwise/default",
    ]);
  });
});
