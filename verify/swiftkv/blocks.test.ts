/**
 * The lane's blocks one by one (exp2, DOT, MAX, ACC/NORM, reciprocal, FIFO), driven with
 * seeded random stimulus on the TypeScript simulator and on the emitted Verilog under Verilator
 * and Icarus, every output compared every cycle. This sees internal precision that the lane's
 * outputs can hide (a 1-LSB error of Z at 30 fraction bits rarely reaches o at 17).
 */
import { describe, expect, it } from 'vitest';
import { buildDot, buildMax, buildAccNorm, buildRecip, buildExp2, laneConfig } from '../../generators/swiftkv/lane.ts';
import { buildFifo } from '../../generators/common/fifo.ts';
import { differential } from '../harness.ts';
import { makeRng } from '../rng.ts';
import type { Module } from '../../hdl/index.ts';
import { blockRows } from './blocks.stimulus.ts';

const c = laneConfig({ headDim: 16, pe: 4 });
const cs = laneConfig({ headDim: 16, pe: 4, rescale: 'shift' });
/** Data outputs that mean nothing while their valid is low. */
const validOf: Record<string, string> = { s: 's_valid', x: 'out_valid', sel: 'out_valid', pop_data: 'pop_valid' };
const dontCare = (port: string, out: ReadonlyMap<string, bigint>): boolean => validOf[port] !== undefined && out.get(validOf[port]!) === 0n;

const blocks: [string, () => Module, boolean][] = [
  ['exp2', () => buildExp2(c.formats), false],
  ['dot', () => buildDot(c), true],
  ['max (multiply)', () => buildMax(c), true],
  ['max (shift)', () => buildMax(cs), true],
  ['acc/norm (multiply)', () => buildAccNorm(c), true],
  ['acc/norm (shift)', () => buildAccNorm(cs), true],
  ['reciprocal', () => buildRecip(c), true],
  ['fifo', () => buildFifo(16, 4), true],
];

describe('lane blocks: TypeScript vs Verilator vs Icarus on random stimulus', () => {
  for (const [name, build, clocked] of blocks) {
    it(name, async () => {
      const seed = 4000 + name.length;
      const m = build();
      const rows = blockRows(m, 600, makeRng(seed));
      const r = await differential(m, rows, { label: `block ${name}`, seed, dontCare, ...(clocked ? { clock: 'clk', ignoreBefore: 3 } : {}) });
      expect(r.comparisons).toBeGreaterThan(0);
    }, 180_000);
  }
});
