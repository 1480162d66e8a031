/**
 * Per-module synthesis: the roll-up against Yosys's own hierarchical totals, and the cache
 * (a second run hits, a changed module and its parents miss, the rest hit).
 */
import { describe, expect, it } from 'vitest';
import { Module, emitDesign, s, u, type EmittedDesign } from '../hdl/index.ts';
import { writeModuleFiles } from '../hdl/artifacts.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { classify, synthXilinx } from '../sim/yosys.ts';
import { rollUp, synthDesign } from './synth.ts';
import { childrenOf, occurrences } from './hierarchy.ts';

/** A small hierarchy: a top with two adders, a registered multiply (one DSP) and a LUT RAM. */
function smallDesign(addWidth = 24): Module {
  const add = new Module(`radd${addWidth}`);
  {
    const cd = add.clockDomain();
    const q = add.reg('q', u(addWidth), { domain: cd, reset: 0 });
    q.set(add.input('a', u(addWidth)).add(add.input('b', u(addWidth))).trunc(addWidth));
    add.output('s', u(addWidth)).set(q);
  }
  const mul = new Module('rmul');
  {
    const cd = mul.clockDomain({ reset: null });
    const dom = { domain: cd, reset: null };
    const a = mul.reg('a1', s(20), dom);
    const b = mul.reg('b1', s(16), dom);
    const p = mul.reg('p_q', s(36), dom);
    a.set(mul.input('a', s(20)));
    b.set(mul.input('b', s(16)));
    p.set(a.mul(b));
    mul.output('p', s(36)).set(p);
  }
  const top = new Module('rtop');
  const cd = top.clockDomain();
  const x = top.input('x', u(addWidth));
  const y = top.input('y', u(addWidth));
  const s0 = top.instance('u_add0', add, { a: x, b: y }, { domain: cd }).out('s');
  const s1 = top.instance('u_add1', add, { a: s0, b: x }, { domain: cd }).out('s');
  const p = top.instance('u_mul', mul, { a: s1.trunc(20).asSigned(), b: y.trunc(16).asSigned() }, { domain: cd }).out('p');
  const ram = top.memory('ram', { type: u(8), depth: 32 });
  const addr = top.input('addr', u(5));
  ram.write(addr, x.trunc(8), top.input('we', u(1)), cd);
  const r = ram.read('rd_data', addr);
  const acc = top.reg('acc', s(40), { domain: cd, reset: 0 });
  acc.set(acc.add(p.resize(40)).trunc(40));
  top.output('o', s(40)).set(acc);
  top.output('rd', u(8)).set(r);
  return top;
}

function design(addWidth?: number): EmittedDesign {
  return emitDesign(smallDesign(addWidth));
}

describe('per-module synthesis', () => {
  it('rolls counts up the hierarchy exactly as a whole-design hierarchical run does', async () => {
    const d = design();
    await withTempDir('synth-cache-', async (cacheRoot) => {
      const per = await synthDesign(d, { cacheRoot });
      const whole = await withTempDir('synth-whole-', async (dir) => synthXilinx(await writeModuleFiles(d, dir), d.top, { ioBuffers: false }));
      const names = new Set(d.modules.map((m) => m.name));
      const cellsOnly = (c: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(c).filter(([k]) => !names.has(k)));
      // Same cells per module (out of context, children as blackboxes) ...
      for (const m of per.modules) expect(m.own.cells, m.name).toEqual(cellsOnly(whole.modules[m.name]!.cells));
      // ... and the roll-up gives Yosys's own hierarchy total, cell for cell.
      expect(per.total.cells).toEqual(cellsOnly(whole.total.cells));
      expect(per.total.dsp).toBe(1);
      expect(per.total.lutram).toBeGreaterThan(0);
      expect(per.modules.find((m) => m.name === 'rtop')!.instances).toEqual({ radd24: 2, rmul: 1 });
      expect(per.total.latches).toBe(0);
      expect(per.warnings).toEqual([]);
    });
  }, 300_000);

  it('caches: a second run hits everywhere; a changed module misses with its parents only', async () => {
    await withTempDir('synth-cache-', async (cacheRoot) => {
      const lines: string[] = [];
      const first = await synthDesign(design(), { cacheRoot, onProgress: (l) => lines.push(l) });
      expect(first.modules.every((m) => !m.cached)).toBe(true);
      expect(lines.length).toBe(3);
      expect(lines.every((l) => /^yosys synth \[\d\/3\] \S+ \d+\.\d s$/.test(l)), lines.join('\n')).toBe(true);
      lines.length = 0;
      const second = await synthDesign(design(), { cacheRoot, onProgress: (l) => lines.push(l) });
      expect(second.modules.map((m) => [m.name, m.cached])).toEqual(first.modules.map((m) => [m.name, true]));
      expect(lines.every((l) => l.endsWith(' cached'))).toBe(true);
      expect(second.total).toEqual(first.total);
      // A wider adder is another module (radd25); the top that instantiates it changes too.
      const third = await synthDesign(design(25), { cacheRoot });
      expect(Object.fromEntries(third.modules.map((m) => [m.name, m.cached]))).toEqual({ radd25: false, rmul: true, rtop: false });
    });
  }, 300_000);
});

describe('hierarchy', () => {
  it('counts instances from the emitted Verilog, and occurrences over the whole tree', () => {
    const d = design();
    expect(Object.fromEntries(childrenOf(d))).toEqual({ radd24: {}, rmul: {}, rtop: { radd24: 2, rmul: 1 } });
    expect(Object.fromEntries(occurrences(d))).toEqual({ radd24: 2, rmul: 1, rtop: 1 });
  });

  it('rollUp adds each child total once per instance', () => {
    const own = (cells: Record<string, number>) => classify(cells);
    type Entry = { own: ReturnType<typeof classify>; instances: Record<string, number> };
    const totals = rollUp(
      new Map<string, Entry>([
        ['leaf', { own: own({ LUT6: 3, FDRE: 2 }), instances: {} }],
        ['mid', { own: own({ LUT2: 1 }), instances: { leaf: 2 } }],
        ['top', { own: own({ DSP48E2: 1 }), instances: { mid: 3, leaf: 1 } }],
      ]),
    );
    expect(totals.get('top')!.cells).toEqual({ DSP48E2: 1, LUT2: 3, LUT6: 21, FDRE: 14 });
    expect(totals.get('top')!.lut).toBe(24);
    expect(() => rollUp(new Map<string, Entry>([['a', { own: own({}), instances: { b: 1 } }]]))).toThrow(/'b' is instantiated but was not synthesised/);
  });
});
