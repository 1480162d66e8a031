/**
 * DSP tiles on the TypeScript simulator against their golden model (extremes and seeded random
 * operands for every post-adder kind, with and without the pre-adder), the port limits, and the
 * dsp-pattern check (tiles pass; a raw multiplier is reported; a broken tile is an error).
 */
import { describe, expect, it } from 'vitest';
import { Module, Simulator, Value, s, u, minValue, maxValue, checkDesign, type HwType } from './index.ts';
import { dspTile, dspTileGolden, dspTileLatency, checkDspTile, type DspTileConfig } from './dsp.ts';
import { countDspTiles, dspPattern } from './checks.ts';

const configs: Record<string, DspTileConfig> = {
  plain: { a: s(27), b: s(18), pWidth: 45 },
  unsigned: { a: u(26), b: u(17), pWidth: 44 },
  preadd: { a: s(26), b: s(18), preAdd: { d: s(26), op: 'add' }, pWidth: 45 },
  presub: { a: s(8), b: s(8), preAdd: { d: s(20), op: 'sub' }, pWidth: 30 },
  postc: { a: u(26), b: s(17), post: { kind: 'c', c: s(40) }, pWidth: 46 },
  accumulate: { a: s(27), b: s(18), post: { kind: 'accumulate' }, pWidth: 48 },
  lateC: { a: s(26), b: u(17), post: { kind: 'c', c: u(17), late: true }, pWidth: 44 },
  dynamic: { a: u(26), b: s(18), post: { kind: 'dynamic', c: s(48) }, pWidth: 48 },
  dynamicLate: { a: s(27), b: s(18), post: { kind: 'dynamic', c: s(30), late: true }, pWidth: 48 },
  dynamicLateReset: { a: s(27), b: s(18), post: { kind: 'dynamic', c: s(48), late: true, cReset: true }, pWidth: 48 },
};

/** xorshift32, enough for operand streams. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function operand(t: HwType, r: () => number, i: number): bigint {
  const lo = minValue(t);
  const hi = maxValue(t);
  const corners = [lo, hi, 0n, lo + 1n, hi - 1n, -1n >= lo ? -1n : 1n];
  if (i < corners.length * 2) return corners[(i + (t.width % 3)) % corners.length]!;
  const span = hi - lo + 1n;
  const raw = (BigInt(r()) << 32n) | BigInt(r());
  return lo + (raw % span);
}

describe('DSP tiles', () => {
  for (const [label, cfg] of Object.entries(configs)) {
    it(`${label}: p equals the golden model ${dspTileLatency(cfg)} cycles after its inputs (400 vectors incl. extremes)`, () => {
      const m = dspTile(cfg);
      const sim = new Simulator(m);
      const r = rng(label.length * 7919);
      const lat = dspTileLatency(cfg);
      const inputs: { a: bigint; b: bigint; d?: bigint; c?: bigint; cRst?: boolean; load?: boolean; zsel?: number }[] = [];
      const late = (cfg.post?.kind === 'c' || cfg.post?.kind === 'dynamic') && cfg.post.late === true;
      let pendingC = 0n;
      let pendingRst = false;
      const hasRst = cfg.post?.kind === 'dynamic' && cfg.post.cReset === true;
      const want: bigint[] = [];
      let pPrev = 0n;
      for (let i = 0; i < 400 + lat; i++) {
        const x = {
          a: operand(cfg.a, r, i),
          b: operand(cfg.b, r, i + 3),
          ...(cfg.preAdd ? { d: operand(cfg.preAdd.d, r, i + 5) } : {}),
          ...(cfg.post?.kind === 'c' || cfg.post?.kind === 'dynamic' ? { c: operand(cfg.post.c, r, i + 1) } : {}),
          ...(cfg.post?.kind === 'accumulate' ? { load: i % 5 === 0 } : {}),
          ...(cfg.post?.kind === 'dynamic' ? { zsel: r() % 4 } : {}),
          ...(hasRst ? { cRst: r() % 3 === 0 } : {}),
        };
        if (i < 400) {
          inputs.push(x);
          pPrev = dspTileGolden(cfg, x, pPrev);
          want.push(pPrev);
        }
        sim.set('a', Value.wrap(x.a, cfg.a));
        sim.set('b', Value.wrap(x.b, cfg.b));
        if (cfg.preAdd) sim.set('d', Value.wrap(x.d!, cfg.preAdd.d));
        if (cfg.post?.kind === 'c' || cfg.post?.kind === 'dynamic') {
          // A late c belongs to the vector of the previous cycle.
          sim.set('c', Value.wrap(late ? pendingC : x.c!, cfg.post.c));
          if (hasRst) sim.set('c_rst', (late ? pendingRst : x.cRst!) ? 1 : 0);
          pendingC = x.c!;
          pendingRst = x.cRst ?? false;
        }
        if (cfg.post?.kind === 'accumulate') sim.set('load', x.load ? 1 : 0);
        if (cfg.post?.kind === 'dynamic') sim.set('zsel', x.zsel!);
        if (i >= lat) {
          const got = sim.get('p').toBigInt();
          const k = i - lat;
          if (got !== want[k]) throw new Error(`${label}: vector ${k} ${JSON.stringify(inputs[k], (_, v) => (typeof v === 'bigint' ? v.toString() : v))}: p = ${got}, golden ${want[k]}`);
        }
        sim.tick();
      }
    });
  }

  it('names the port limit an operand breaks', () => {
    expect(() => checkDspTile({ a: s(28), b: s(18), pWidth: 46 })).toThrow(/a s28 does not fit the 27-bit A port/);
    expect(() => checkDspTile({ a: u(27), b: s(18), pWidth: 46 })).toThrow(/a u27 does not fit the 27-bit A port \(accepted: signed <= 27 or unsigned <= 26 bits\)/);
    expect(() => checkDspTile({ a: s(27), b: u(18), pWidth: 46 })).toThrow(/b u18 does not fit the 18-bit B port/);
    expect(() => checkDspTile({ a: s(27), b: s(18), preAdd: { d: s(27), op: 'add' }, pWidth: 46 })).toThrow(/pre-adder result needs 28 bits/);
    expect(() => checkDspTile({ a: s(27), b: s(18), pWidth: 40 })).toThrow(/p has 40 bits but the product needs 45/);
    expect(() => checkDspTile({ a: s(27), b: s(18), post: { kind: 'c', c: s(49) }, pWidth: 48 })).toThrow(/does not fit the 48-bit C port/);
  });

  it('dsp-pattern: tiles are clean, a multiplier outside a tile is reported, a tile with logic before its multiplier is an error', () => {
    for (const cfg of Object.values(configs)) expect(dspPattern(dspTile(cfg)).errors).toEqual([]);
    const top = new Module('uses_tiles');
    const cd = top.clockDomain();
    const x = top.input('x', s(16));
    const y = top.input('y', s(16));
    const t = dspTile(configs.plain!);
    const h1 = top.instance('u_t1', t, { a: x.resize(27), b: y.resize(18) }, { domain: cd });
    const h2 = top.instance('u_t2', t, { a: y.resize(27), b: x.resize(18) }, { domain: cd });
    top.output('p', s(46)).set(h1.out('p').add(h2.out('p')));
    top.output('raw', s(32)).set(x.mul(y));
    const warn = checkDesign(top).warnings.filter((w) => w.rule === 'NOT A DSP TILE');
    expect(warn).toHaveLength(1);
    expect(warn[0]!.message).toContain("multiplier s16 x s16 in 'uses_tiles' is not a DSP tile");
    expect(countDspTiles(top)).toEqual({ total: 2, registered: 2 });

    const broken = new Module('broken_tile');
    broken.primitive = { kind: 'dsp48e2', inputsRegistered: true, outputRegistered: true, latency: 2 };
    const bcd = broken.clockDomain({ reset: null });
    const a = broken.input('a', s(8));
    const b = broken.input('b', s(8));
    const a1 = broken.reg('a1', s(8), { domain: bcd, reset: null });
    a1.set(a);
    const p = broken.reg('p', s(17), { domain: bcd, reset: null });
    p.set(a1.add(1).mul(b).add(3).trunc(17)); // logic before the multiply (a1 + 1, b unregistered) and after it (+ 3)
    broken.output('p', s(17)).set(p);
    const errs = dspPattern(broken).errors.map((e) => e.message);
    expect(errs.join('\n')).toMatch(/a multiplier operand is not a register/);
    expect(errs.join('\n')).toMatch(/the product is not written straight into one register/);
  });
});
