/**
 * The RoPE unit's emitted RTL against the golden model (ropeRotate), pair by pair, on Verilator
 * and Icarus: seeded random vectors at random positions (and the ends 0 and maxPos - 1), random
 * gaps between pairs, inputs near full scale so that saturation is reached.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { buildRopeUnit, ropePosBits } from '../../generators/kernel/rope-unit.ts';
import { resolveRope, ropeRotate, toPairOrder, fromPairOrder, type RopeParams, type RopeParamsInput } from '../../generators/kernel/rope.ts';
import { Q, qType } from '../../hdl/fixed.ts';
import { buildDesignSim } from '../harness.ts';
import { writeVectorFile, readVectorFile } from '../../testbenches/vectors.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { makeRng } from '../rng.ts';

interface Case {
  label: string;
  params: RopeParamsInput;
  vectors: number;
  seed: number;
}

const CASES: Case[] = [
  { label: 'd=16 half, maxPos 1024', params: { headDim: 16, maxPos: 1024, data: Q(15, 17) }, vectors: 120, seed: 5101 },
  { label: 'd=128 interleaved, maxPos 16384', params: { headDim: 128, maxPos: 16384, data: Q(15, 17), pairing: 'interleaved' }, vectors: 40, seed: 5102 },
  // pos wider than the B port: omega on B in pieces, pos on A.
  { label: 'd=8 half, maxPos 2^20, base 500000', params: { headDim: 8, maxPos: 1 << 20, data: Q(15, 17), base: 500000 }, vectors: 200, seed: 5103 },
];

const SIMS: SimulatorName[] = ['verilator', 'icarus'];

describe('RoPE unit RTL against the golden model (ropeRotate), one pair per cycle', () => {
  for (const c of CASES) {
    for (const simulator of SIMS) {
      it(`${simulator} ${c.label}: ${c.vectors} vectors, seed ${c.seed}`, async () => {
        const p = resolveRope(c.params);
        const unit = buildRopeUnit(p);
        const m = unit.module;
        const rng = makeRng(c.seed);
        const dataBits = qType(p.data).width;
        const full = 2 ** (dataBits - 1);
        // Each vector: a position and d elements; a third near full scale (saturation), the rest
        // small. Pairs in pair order, as the kernel feeds them.
        const jobs = Array.from({ length: c.vectors }, (_, v) => {
          const pos = v === 0 ? 0 : v === 1 ? p.maxPos - 1 : rng.int(0, p.maxPos - 1);
          const big = v % 3 === 2;
          const x = Array.from({ length: p.headDim }, () => BigInt(Math.round((rng.next() * 2 - 1) * (big ? full * 0.999 : 2 ** (p.data.fracBits + 2)))));
          return { pos, x };
        });
        const { build, inputs, outputs } = await buildDesignSim(m, simulator, { clock: 'clk' });
        const inFields = m.portInfo().filter((q) => q.direction === 'input' && q.name !== 'clk').map((q) => ({ name: q.name, width: q.width }));
        const outFields = m.portInfo().filter((q) => q.direction === 'output').map((q) => ({ name: q.name, width: q.width }));
        expect(inFields.map((f) => f.name)).toEqual(inputs);
        expect(outFields.map((f) => f.name)).toEqual(outputs);
        const row = (v: Record<string, bigint>): bigint[] => inFields.map((f) => v[f.name] ?? 0n);
        const rows: bigint[][] = [row({ rst: 1n }), row({ rst: 1n })];
        const expected: { a: bigint; b: bigint; sat: bigint; where: string }[] = [];
        for (const [v, job] of jobs.entries()) {
          const gold = ropeRotate(p, job.x, job.pos);
          const xs = toPairOrder(p, job.x);
          const ys = toPairOrder(p, gold.y);
          for (let i = 0; i < p.headDim / 2; i++) {
            while (rng.next() < 0.2) rows.push(row({}));
            rows.push(row({ in_valid: 1n, in_pos: BigInt(job.pos), in_pair: BigInt(i), in_a: BigInt.asUintN(dataBits, xs[2 * i]!), in_b: BigInt.asUintN(dataBits, xs[2 * i + 1]!) }));
            const pairSat = ropeRotate(p, pairOnly(p, xs, i), job.pos).sat;
            expected.push({ a: ys[2 * i]!, b: ys[2 * i + 1]!, sat: pairSat ? 1n : 0n, where: `vector ${v} (pos ${job.pos}) pair ${i}` });
          }
        }
        for (let k = 0; k < unit.latency + 4; k++) rows.push(row({}));
        expect(ropePosBits(p)).toBe(inFields.find((f) => f.name === 'in_pos')!.width);
        await withTempDir('rope-', async (dir) => {
          await writeVectorFile(path.join(dir, 'in.hex'), inFields, rows);
          const r = await build.run({ plusargs: { in: path.join(dir, 'in.hex'), out: path.join(dir, 'out.hex') } });
          expect(r.exitCode, r.stderr).toBe(0);
          const out = await readVectorFile(path.join(dir, 'out.hex'), outFields, { allowUnknown: true });
          const col = (n: string): number => outFields.findIndex((f) => f.name === n);
          const got = out.filter((o) => o[col('out_valid')] === 1n);
          expect(got.length, 'out_valid pulses').toBe(expected.length);
          const sats = expected.filter((e) => e.sat === 1n).length;
          console.log(`${simulator} RoPE ${c.label}: ${expected.length} pairs, latency ${unit.latency}, ${unit.tiles} DSP tiles, ${sats} saturated pairs`);
          expect(sats, 'the stimulus reaches saturation').toBeGreaterThan(0);
          for (const [k, e] of expected.entries()) {
            const o = got[k]!;
            const ga = BigInt.asIntN(dataBits, o[col('out_a')]!);
            const gb = BigInt.asIntN(dataBits, o[col('out_b')]!);
            if (ga !== e.a || gb !== e.b || o[col('out_sat')] !== e.sat) {
              throw new Error(`${e.where}: RTL (y_a, y_b, sat) = (${ga}, ${gb}, ${o[col('out_sat')]}), golden (${e.a}, ${e.b}, ${e.sat})`);
            }
          }
        });
      }, 600_000);
    }
  }
});

/** The vector with only pair i kept (back in natural order), to read that pair's saturation flag. */
function pairOnly(p: RopeParams, pairOrdered: readonly bigint[], i: number): bigint[] {
  return fromPairOrder(p, pairOrdered.map((v, k) => (k === 2 * i || k === 2 * i + 1 ? v : 0n)));
}
