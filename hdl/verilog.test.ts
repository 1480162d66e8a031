import { describe, expect, it } from 'vitest';
import { Module, ExternModule, u, s, lit, mux, cat, emitModule, emitDesign, type Expr, type Signal } from './index.ts';

/** Emit a one-output module computing f(a, b, ...) and return the lines between ports and endmodule. */
function body(f: (i: Record<string, Signal>) => Expr, inputs: Record<string, ReturnType<typeof u>>): string {
  const m = new Module('t');
  const ins: Record<string, Signal> = {};
  for (const [name, t] of Object.entries(inputs)) ins[name] = m.input(name, t);
  const e = f(ins);
  m.output('y', e.type).set(e);
  const text = emitModule(m);
  return text.slice(text.indexOf(');\n') + 3, text.indexOf('endmodule')).trim();
}

// One snapshot per IR node kind: the exact Verilog each becomes (hdl/IR.md documents the table).
const nodeKinds: [string, (i: Record<string, Signal>) => Expr, Record<string, ReturnType<typeof u>>][] = [
  ['const unsigned', () => lit(5, u(8)), {}],
  ['const signed negative', () => lit(-5, s(8)), {}],
  ['const signed minimum', () => lit(-128, s(8)), {}],
  ['add unsigned', (i) => i.a!.add(i.b!), { a: u(8), b: u(4) }],
  ['add signed', (i) => i.a!.add(i.b!), { a: s(8), b: s(4) }],
  ['add mixed', (i) => i.a!.add(i.b!), { a: s(8), b: u(8) }],
  ['sub unsigned', (i) => i.a!.sub(i.b!), { a: u(8), b: u(8) }],
  ['mul signed', (i) => i.a!.mul(i.b!), { a: s(8), b: s(6) }],
  ['mul unsigned', (i) => i.a!.mul(i.b!), { a: u(8), b: u(6) }],
  ['and', (i) => i.a!.and(i.b!), { a: u(8), b: u(8) }],
  ['or', (i) => i.a!.or(i.b!), { a: u(8), b: u(8) }],
  ['xor', (i) => i.a!.xor(i.b!), { a: s(8), b: s(8) }],
  ['not', (i) => i.a!.not(), { a: u(8) }],
  ['neg signed', (i) => i.a!.neg(), { a: s(8) }],
  ['neg unsigned', (i) => i.a!.neg(), { a: u(8) }],
  ['eq', (i) => i.a!.eq(i.b!), { a: u(8), b: u(5) }],
  ['lt signed', (i) => i.a!.lt(i.b!), { a: s(8), b: s(5) }],
  ['ge mixed', (i) => i.a!.ge(i.b!), { a: s(8), b: u(8) }],
  ['redand', (i) => i.a!.andR(), { a: u(8) }],
  ['redor', (i) => i.a!.orR(), { a: u(8) }],
  ['redxor', (i) => i.a!.xorR(), { a: u(8) }],
  ['shl constant', (i) => i.a!.shl(3), { a: s(8) }],
  ['shr constant signed', (i) => i.a!.shr(3), { a: s(8) }],
  ['shlv', (i) => i.a!.shlv(i.b!), { a: u(8), b: u(3) }],
  ['shrv signed', (i) => i.a!.shrv(i.b!), { a: s(8), b: u(3) }],
  ['mux', (i) => mux(i.c!, i.a!, i.b!), { c: u(1), a: u(8), b: u(8) }],
  ['slice', (i) => i.a!.slice(6, 2), { a: u(8) }],
  ['bit', (i) => i.a!.bit(7), { a: s(8) }],
  ['concat', (i) => cat(i.a!, i.b!), { a: u(3), b: s(5) }],
  ['zext', (i) => i.a!.zext(12), { a: u(8) }],
  ['sext', (i) => i.a!.sext(12), { a: s(8) }],
  ['trunc signed', (i) => i.a!.trunc(5), { a: s(8) }],
  ['cast', (i) => i.a!.asSigned(), { a: u(8) }],
  ['nested: sum of a sliced product', (i) => i.a!.mul(i.b!).slice(11, 4).add(i.c!), { a: u(8), b: u(8), c: u(8) }],
  ['nested: sign-extended sum needs a wire', (i) => i.a!.add(i.b!).sext(12).sub(i.a!), { a: s(8), b: s(8) }],
  ['shared value becomes one wire', (i) => { const t = i.a!.add(i.b!); return t.mul(t); }, { a: u(4), b: u(4) }],
  ['user-named value', (i) => i.a!.add(i.b!).named('partial').add(1), { a: u(4), b: u(4) }],
];

describe('emitted Verilog per node kind', () => {
  for (const [name, f, inputs] of nodeKinds) {
    it(name, () => {
      expect(body(f, inputs)).toMatchSnapshot();
    });
  }
});

describe('module emission', () => {
  function sample(): Module {
    const m = new Module('counter');
    m.doc = 'Counts enabled cycles.';
    m.generator = { name: 'test', params: { width: 4 } };
    const cd = m.clockDomain({ resetKind: 'async', resetActive: 'low', reset: 'rst_n' });
    const en = m.input('en', u(1), 'count this cycle');
    const q = m.reg('count', u(4), { domain: cd, reset: 0 });
    m.when(en, () => q.set(q.add(1).trunc(4)));
    m.output('value', u(4), 'current count').set(q);
    return m;
  }

  it('is deterministic: the same design gives the same bytes', () => {
    expect(emitModule(sample())).toBe(emitModule(sample()));
  });

  it('has a header naming generator, parameters and interface, and an async active-low reset', () => {
    const text = emitModule(sample());
    expect(text).toMatchSnapshot();
    expect(text).toContain('// Generator:  test');
    expect(text).toContain('// Parameters: {"width":4}');
    expect(text).toContain('always @(posedge clk or negedge rst_n) begin');
    expect(text).toContain('if (!rst_n) begin');
  });

  it('optionally appends TypeScript source locations', () => {
    const text = emitModule(sample(), { locations: true });
    expect(text).toMatch(/count <= count_next_sum\[3:0\]; \/\/ hdl\/verilog\.test\.ts:\d+/);
  });

  it('renames keywords and collects unread bits in _unused_ok', () => {
    const m = new Module('k');
    const a = m.input('wire', u(8));
    m.output('begin', u(4)).set(a.slice(5, 2));
    const text = emitModule(m);
    expect(text).toContain('input  wire [7:0] wire_,');
    expect(text).toContain('assign begin_ = wire_[5:2];');
    expect(text).toContain("wire _unused_ok = &{1'b0, wire_[1:0], wire_[7:6], 1'b0};");
  });

  it('emits children before parents, once each, with instance connections', () => {
    const leaf = new Module('leaf');
    const i = leaf.input('i', u(4));
    leaf.output('o', u(4)).set(i.not());
    const top = new Module('top');
    const a = top.input('a', u(4));
    const u0 = top.instance('u0', leaf, { i: a });
    const u1 = top.instance('u1', leaf, { i: u0.out('o').xor(a) });
    top.output('y', u(4)).set(u1.out('o'));
    const d = emitDesign(top);
    expect(d.modules.map((x) => x.name)).toEqual(['leaf', 'top']);
    expect(d.modules[1]!.text).toMatchSnapshot();
  });

  it('refuses two different modules with one name', () => {
    const mk = (w: number): Module => {
      const m = new Module('leaf');
      m.output('o', u(w)).set(lit(0, u(w)));
      return m;
    };
    const top = new Module('top');
    top.instance('u0', mk(1), {});
    top.instance('u1', mk(2), {});
    top.output('y', u(1)).set(0);
    expect(() => emitDesign(top)).toThrow(/NAME CLASH: two different modules are named 'leaf'/);
  });

  it('instantiates an external Verilog module with parameters, and lists its source', () => {
    const ext = new ExternModule('vendor_mult', [
      { name: 'a', direction: 'input', width: 8, signed: true },
      { name: 'p', direction: 'output', width: 16, signed: true },
    ], ['vendor_mult.v'], { LATENCY: 2 });
    const top = new Module('uses_extern');
    const a = top.input('a', s(8));
    const u0 = top.instance('u_mult', ext, { a: a.neg().trunc(8) });
    top.output('p', s(16)).set(u0.out('p'));
    const d = emitDesign(top);
    expect(d.externs.map((e) => e.sources)).toEqual([['vendor_mult.v']]);
    expect(d.modules.map((m) => m.name)).toEqual(['uses_extern']);
    expect(d.modules[0]!.text).toContain('vendor_mult #(.LATENCY(2)) u_mult (');
    expect(d.modules[0]!.text).toContain('.a(u_mult_a),');
  });

  it('memories: ROM, RAM with registered read, write-first bypass', () => {
    const m = new Module('mem');
    const cd = m.clockDomain();
    const addr = m.input('addr', u(3));
    const we = m.input('we', u(1));
    const wdata = m.input('wdata', s(8));
    const ram = m.memory('ram', { type: s(8), depth: 8 });
    ram.write(addr, wdata, we, cd);
    const q = ram.read('ram_q', addr, { latency: 1, domain: cd, readDuringWrite: 'write-first' });
    const rom = m.rom('rom', u(4), [1, 2, 3]);
    const r = rom.read('rom_q', addr.slice(1, 0));
    m.output('q', s(8)).set(q);
    m.output('r', u(4)).set(r);
    expect(emitModule(m)).toMatchSnapshot();
  });
});

describe('long lines', () => {
  it('breaks a concatenation too long for one line into one item per line (Verilator reads 40,000 tokens a line)', () => {
    const m = new Module('wide_cat');
    const a = m.input('a', u(8));
    const b = m.input('b', u(8));
    const sel = m.input('sel', u(1));
    const parts = Array.from({ length: 1000 }, (_, k) => mux(sel, a, b.xor(lit(k % 256, u(8)))));
    m.output('y', u(8 * 1000)).set(cat(...parts));
    const text = emitModule(m);
    const longest = Math.max(...text.split('\n').map((l) => l.length));
    expect(longest, 'longest line').toBeLessThanOrEqual(20000);
    expect(text).toMatch(/,\n {4}sel \? a : /);
    // A short concatenation stays on one line.
    expect(body((i) => cat(i.a!, i.b!), { a: u(4), b: u(4) })).toContain('{a, b}');
  });
});
