/**
 * The lane's blocks one by one (DOT, MAX/EXP, ACC, RECIP, NORM), driven the way the lane drives
 * them with seeded random stimulus (blocks.stimulus.ts), on the TypeScript simulator and on the
 * emitted Verilog under Verilator and Icarus, every output compared on every cycle
 * (verify/harness.ts). This sees internal precision the lane's outputs can hide (Z at 23
 * fraction bits, e at 16, the reciprocal mantissa). Plus the exp2 unit of the MAX/EXP block
 * over every input that can give a non-zero result, against the golden exp2.
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { buildDot } from '../../generators/swiftkv/dot.ts';
import { buildMaxExp } from '../../generators/swiftkv/maxexp.ts';
import { buildAcc } from '../../generators/swiftkv/acc.ts';
import { buildRecip } from '../../generators/swiftkv/recip.ts';
import { buildNorm } from '../../generators/swiftkv/norm.ts';
import { laneConfig, META, type LaneConfig } from '../../generators/swiftkv/config.ts';
import { exp2Golden } from '../../generators/swiftkv/exp2.ts';
import { SAT_BIT } from '../../generators/swiftkv/norm.ts';
import { RECIP_BITS } from '../../generators/swiftkv/numerics.ts';
import type { LaneParamsInput } from '../../generators/swiftkv/numerics.ts';
import type { Module } from '../../hdl/index.ts';
import { buildDesignSim, differential, simulateInTs } from '../harness.ts';
import { writeVectorFile, readVectorFile } from '../../testbenches/vectors.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import type { SimulatorName } from '../../sim/simulator.ts';
import { makeRng, type Rng } from '../rng.ts';
import { DATA_FORMATS } from './lane.regress.ts';
import { dotStimulus, maxExpStimulus, accStimulus, recipStimulus, normStimulus, type BlockStimulus } from './blocks.stimulus.ts';

const SIMS: SimulatorName[] = ['verilator', 'icarus'];

interface BlockCase {
  name: string;
  params: LaneParamsInput;
  build: (c: LaneConfig) => Module;
  stimulus: (m: Module, c: LaneConfig, cycles: number, rng: Rng) => BlockStimulus;
  cycles: number;
  /** Something the stimulus must reach (on the TypeScript outputs of one cycle), and what it is. */
  reach: { what: string; seen: (out: ReadonlyMap<string, bigint>) => boolean };
}

const normOf = (c: LaneConfig): Module => buildNorm(c, buildRecip(c).leadWidth).module;
const bit = (v: bigint | undefined, i: number): boolean => v !== undefined && ((v >> BigInt(i)) & 1n) === 1n;

export const BLOCK_CASES: BlockCase[] = [
  { name: 'dot d=16 P=4', params: { headDim: 16, pe: 4 }, build: (c) => buildDot(c).module, stimulus: dotStimulus, cycles: 500,
    reach: { what: 'a saturated score', seen: (o) => o.get('s_valid') === 1n && o.get('s_sat') === 1n } },
  { name: 'dot d=16 P=1 Q8.8', params: { headDim: 16, pe: 1, ...DATA_FORMATS['Q8.8'] }, build: (c) => buildDot(c).module, stimulus: dotStimulus, cycles: 500,
    reach: { what: 'a saturated score', seen: (o) => o.get('s_valid') === 1n && o.get('s_sat') === 1n } },
  { name: 'maxexp multiply', params: { headDim: 16, pe: 4, rescale: 'multiply' }, build: (c) => buildMaxExp(c).module, stimulus: maxExpStimulus, cycles: 500,
    reach: { what: 'a saturated exp2 input', seen: (o) => o.get('e_valid') === 1n && o.get('sat_exp2in') === 1n } },
  { name: 'maxexp shift', params: { headDim: 16, pe: 4, rescale: 'shift' }, build: (c) => buildMaxExp(c).module, stimulus: maxExpStimulus, cycles: 500,
    reach: { what: 'a rescale shift', seen: (o) => o.get('e_valid') === 1n && (o.get('sel') ?? 0n) > 0n } },
  // maxContext = 4: heads of 9 or more tokens overflow the accumulators (the lane never allows it).
  { name: 'acc multiply (maxContext 4)', params: { headDim: 16, pe: 4, rescale: 'multiply', maxContext: 4 }, build: (c) => buildAcc(c).module, stimulus: accStimulus, cycles: 600,
    reach: { what: 'a saturated accumulator', seen: (o) => o.get('bank_valid') === 1n && bit(o.get('bank_sat'), SAT_BIT.acc) } },
  { name: 'acc shift (maxContext 4)', params: { headDim: 16, pe: 4, rescale: 'shift', maxContext: 4 }, build: (c) => buildAcc(c).module, stimulus: accStimulus, cycles: 600,
    reach: { what: 'a saturated accumulator', seen: (o) => o.get('bank_valid') === 1n && bit(o.get('bank_sat'), SAT_BIT.acc) } },
  { name: 'recip', params: { headDim: 16, pe: 4 }, build: (c) => buildRecip(c).module, stimulus: recipStimulus, cycles: 600,
    reach: { what: `the capped mantissa 2^${RECIP_BITS} - 1 (Z a power of two)`, seen: (o) => o.get('out_valid') === 1n && o.get('r_m') === (1n << BigInt(RECIP_BITS)) - 1n } },
  { name: 'norm d=16 P=4', params: { headDim: 16, pe: 4 }, build: normOf, stimulus: normStimulus, cycles: 500,
    reach: { what: 'a saturated output', seen: (o) => o.get('o_tvalid') === 1n && o.get('o_tlast') === 1n && bit(o.get('o_tuser'), SAT_BIT.out) } },
];

describe('lane blocks: TypeScript vs Verilator vs Icarus, every output every cycle, seeded stimulus', () => {
  BLOCK_CASES.forEach((b, k) => {
    const seed = 4100 + k;
    it(`${b.name} (seed ${seed})`, async () => {
      const c = laneConfig(b.params);
      const m = b.build(c);
      const st = b.stimulus(m, c, b.cycles, makeRng(seed));
      const dontCare = (port: string, out: ReadonlyMap<string, bigint>): boolean => st.validOf[port] !== undefined && out.get(st.validOf[port]!) === 0n;
      // The cells the harness must compare: every output of every cycle from ignoreBefore on,
      // except data while its valid is low, on each simulator.
      const ins = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
      const outs = m.portInfo().filter((p) => p.direction === 'output').map((p) => p.name);
      const ts = simulateInTs(m, st.rows, ins, outs).map((row) => new Map(outs.map((n, i) => [n, row[i]!])));
      let cells = 0;
      for (let cyc = st.ignoreBefore; cyc < ts.length; cyc++) for (const p of outs) if (!dontCare(p, ts[cyc]!)) cells++;
      const reached = ts.slice(st.ignoreBefore).filter(b.reach.seen).length;
      console.log(`block ${b.name} seed ${seed}: ${st.rows.length} cycles, ${st.activity.count} ${st.activity.port} pulses, ${reached} x ${b.reach.what}, ${cells} cells per simulator`);
      expect(st.activity.count, `${st.activity.port} pulses: the stimulus must exercise the block`).toBeGreaterThanOrEqual(10);
      expect(reached, `the stimulus reaches ${b.reach.what}`).toBeGreaterThan(0);
      const r = await differential(m, st.rows, { label: `block ${b.name}`, seed, clock: 'clk', ignoreBefore: st.ignoreBefore, dontCare, simulators: SIMS });
      expect(r.cycles).toBe(b.cycles);
      expect(r.comparisons).toBe(SIMS.length * cells);
    }, 300_000);
  });
});

/**
 * exp2 on the emitted RTL. Driven through the MAX/EXP block itself (not a wrapper around the
 * exp2 stage functions), so what is checked is the very RTL the lane instantiates: its table
 * ROM, the interpolation on its DSP tile and every pipeline register between the steps. With
 * the 'multiply' rescale, a head's first score 0 sets m = 0 and each later score s <= 0 is not
 * a new max, so the exp2 input is x = s - m = s and e = exp2(s).
 */
async function exp2OnRtl(simulator: SimulatorName, xs: readonly bigint[]): Promise<bigint[]> {
  const c = laneConfig({ headDim: 16, pe: 4, rescale: 'multiply' });
  const m = buildMaxExp(c).module;
  const { build, inputs, outputs } = await buildDesignSim(m, simulator, { clock: 'clk' });
  const inFields = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => ({ name: p.name, width: p.width }));
  const outFields = m.portInfo().filter((p) => p.direction === 'output').map((p) => ({ name: p.name, width: p.width }));
  expect(inFields.map((f) => f.name)).toEqual(inputs);
  expect(outFields.map((f) => f.name)).toEqual(outputs);
  const row = (rst: number, valid: number, s: bigint, first: boolean): bigint[] =>
    inFields.map((f) => (f.name === 'rst' ? BigInt(rst) : f.name === 's_valid' ? BigInt(valid) : f.name === 's' ? BigInt.asUintN(32, s) : f.name === 's_meta' ? (first ? 1n << BigInt(META.first) : 0n) : 0n));
  const got: bigint[] = [];
  // Chunks keep the vector files and parsed rows small; each chunk starts from reset.
  const chunk = 1 << 18;
  for (let at = 0; at < xs.length; at += chunk) {
    const part = xs.slice(at, at + chunk);
    const rows = [row(1, 0, 0n, false), row(1, 0, 0n, false), row(0, 1, 0n, true), ...part.map((x) => row(0, 1, x, false)), ...Array.from({ length: 40 }, () => row(0, 0, 0n, false))];
    await withTempDir('exp2-', async (dir) => {
      await writeVectorFile(path.join(dir, 'in.hex'), inFields, rows);
      const r = await build.run({ plusargs: { in: path.join(dir, 'in.hex'), out: path.join(dir, 'out.hex') } });
      expect(r.exitCode, r.stderr).toBe(0);
      const out = await readVectorFile(path.join(dir, 'out.hex'), outFields, { allowUnknown: true });
      const vi = outFields.findIndex((f) => f.name === 'e_valid');
      const ei = outFields.findIndex((f) => f.name === 'e');
      const es = out.filter((o) => o[vi] === 1n).map((o) => o[ei]!);
      expect(es.length, `chunk at ${at}: e_valid pulses`).toBe(part.length + 1);
      expect(es[0], 'the first score (m := 0) gives e = 1').toBe(1n << 16n);
      for (let k = 1; k < es.length; k++) got.push(es[k]!); // not push(...es): 2^18 arguments overflow the stack
    });
  }
  return got;
}

function firstMismatch(xs: readonly bigint[], got: readonly bigint[]): string {
  const i = xs.findIndex((x, k) => got[k] !== exp2Golden(x));
  return i < 0 ? '' : `x = ${xs[i]} raw (${Number(xs[i]) / 2 ** 17}): RTL e = ${got[i]}, golden ${exp2Golden(xs[i]!)} (of ${xs.length} inputs)`;
}

describe('exp2 on the RTL (MAX/EXP block) against the golden exp2', () => {
  it('Verilator: every x in [-(Fe + 2), 0] = [-18, 0] at 17 fraction bits (2,359,297 inputs) and the most negative inputs', async () => {
    const xs: bigint[] = [];
    for (let x = 0n; x >= -18n << 17n; x--) xs.push(x);
    xs.push(-(1n << 31n), -(1n << 31n) + 1n, -(19n << 17n), -(1n << 24n));
    const got = await exp2OnRtl('verilator', xs);
    expect(got.length).toBe(xs.length);
    expect(firstMismatch(xs, got)).toBe('');
  }, 600_000);

  it('Icarus: every 61st x of the same range, and the cut-off at -17', async () => {
    const xs: bigint[] = [];
    for (let x = 0n; x >= -18n << 17n; x -= 61n) xs.push(x);
    for (let x = (-17n << 17n) + 3n; x >= (-17n << 17n) - 3n; x--) xs.push(x);
    const got = await exp2OnRtl('icarus', xs);
    expect(got.length).toBe(xs.length);
    expect(firstMismatch(xs, got)).toBe('');
  }, 600_000);
});
