/**
 * The PE's GEMV packing: every INT8 x INT8 and INT4 x INT8 case of every packed lane, on the
 * TypeScript simulator against plain products and on Verilator and Icarus cycle for cycle;
 * Yosys SAT proofs of the unpacking (borrow correction); and the Yosys cost of GEMV support (no multiplier).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPe, peGolden, unpackFields, PE_MODE_INT4, PE_MODE_INT8 } from '../../generators/swiftkv/pe.ts';
import { Module, Simulator, Value, emitDesign, s, u, lit } from '../../hdl/index.ts';
import { differential } from '../harness.ts';
import { writeModuleFiles } from '../../hdl/artifacts.ts';
import { synthXilinx } from '../../sim/yosys.ts';
import { runTool } from '../../sim/simulator.ts';
import { makeRng } from '../rng.ts';

/** Vectors [a, b, mode] covering every (w_i, x) pair of every lane i of a GEMV mode. */
function gemvVectors(mode: number): bigint[][] {
  const rows: bigint[][] = [];
  const wb = mode === PE_MODE_INT8 ? 8 : 4;
  const lanes = mode === PE_MODE_INT8 ? 2 : 3;
  const n = 1 << wb;
  for (let x = 0; x < 256; x++) {
    for (let w = 0; w < n; w++) {
      // Lane i holds a bijection of w for this x, so each lane sees every weight with every x.
      let a = 0n;
      for (let i = 0; i < lanes; i++) a |= BigInt((w * (2 * i + 1) + x * i) % n) << BigInt(i * wb);
      rows.push([a, BigInt(x), BigInt(mode)]);
    }
  }
  return rows;
}

function checkOnTs(rows: bigint[][]): void {
  const sim = new Simulator(buildPe());
  for (const [a, b, mode] of rows) {
    sim.set('a', Value.wrap(a!, s(32)));
    sim.set('b', Value.wrap(b!, s(32)));
    sim.set('mode', mode!);
    sim.tick();
    const g = sim.get('g').bits;
    const want = peGolden(Number(mode), a!, b!);
    const got = [0, 1, 2].map((i) => BigInt.asIntN(16, g >> BigInt(16 * i)));
    if (got.join() !== want.join()) {
      throw new Error(`mode ${mode}, a = 0x${a!.toString(16)}, b = 0x${b!.toString(16)}: PE gives [${got}], products are [${want}]`);
    }
  }
}

describe('PE GEMV packing', () => {
  it('INT8 x INT8: all 65536 (w, x) pairs of both lanes, TypeScript vs products', () => {
    checkOnTs(gemvVectors(PE_MODE_INT8));
  });

  it('INT4 x INT8: all 4096 (w, x) pairs of all three lanes, TypeScript vs products', () => {
    checkOnTs(gemvVectors(PE_MODE_INT4));
  });

  it('the same vectors, and random attention products, on Verilator and Icarus cycle for cycle', async () => {
    const seed = 9;
    const rng = makeRng(seed);
    const attention: bigint[][] = Array.from({ length: 2000 }, () => [rng.bits(32), rng.bits(32), 0n]);
    attention.push([0x80000000n, 0x80000000n, 0n], [0x7fffffffn, 0x80000000n, 0n]);
    const rows = [...gemvVectors(PE_MODE_INT8), ...gemvVectors(PE_MODE_INT4), ...attention];
    const m = buildPe();
    const order = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
    expect(order).toEqual(['a', 'b', 'mode']);
    const r = await differential(m, rows, { label: 'pe', seed, clock: 'clk', ignoreBefore: 1 });
    expect(r.comparisons).toBe(2 * 2 * (rows.length - 1));
  });

  for (const [name, count, field] of [['INT8', 2, 16], ['INT4', 3, 12]] as const) {
    it(`${name} unpacking is proved by Yosys SAT for every field value`, async () => {
      // Distributivity gives p = sum_i (w_i * x) * 2^(i*field); every w_i * x fits a signed
      // field (|w*x| <= 2^14 for INT8, 2^10 for INT4). The miter proves, for ALL signed field
      // values f_i, that unpacking f0 + f1*2^field (+ f2*2^(2*field)) returns f0, f1 (, f2):
      // the borrow correction is right. (A miter through the multiplier itself is too hard for
      // the SAT solver; the exhaustive simulations above cover the multiplier path.)
      const m = new Module(`pe_${name.toLowerCase()}_unpack_miter`);
      const f = Array.from({ length: count }, (_, i) => m.input(`f${i}`, s(field)));
      const width = 64;
      let p = f[0]!.resize(width);
      for (let i = 1; i < count; i++) p = p.add(f[i]!.shl(i * field).resize(width)).resize(width);
      const fields = unpackFields(p, count, field);
      let ok = lit(1, u(1));
      fields.forEach((g, i) => (ok = ok.and(g.eq(f[i]!))));
      m.output('ok', u(1)).set(ok);
      const dir = await mkdtemp(join(tmpdir(), 'miter-'));
      try {
        await writeFile(join(dir, 'm.v'), emitDesign(m).modules[0]!.text);
        const r = await runTool('yosys', ['-q', '-p', `read_verilog ${join(dir, 'm.v')}; prep -top ${m.name}; sat -prove ok 1 -verify`], { tool: 'yosys', cwd: dir, timeoutMs: 120_000 });
        expect(r.exitCode, r.all).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('GEMV support adds no multiplier: same DSP count as the attention-only PE (Yosys synth_xilinx)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pe-cost-'));
    try {
      const counts: Record<string, { dsp: number; lut: number; ff: number }> = {};
      for (const gemv of [false, true]) {
        const d = emitDesign(buildPe({ gemv }));
        const r = await synthXilinx(await writeModuleFiles(d, dir), d.top);
        counts[gemv ? 'gemv' : 'attention-only'] = { dsp: r.total.dsp, lut: r.total.lut, ff: r.total.ff };
      }
      console.log(`PE cost (yosys synth_xilinx -family xcup): ${JSON.stringify(counts)}`);
      expect(counts.gemv!.dsp).toBe(counts['attention-only']!.dsp);
      expect(counts.gemv!.dsp).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
