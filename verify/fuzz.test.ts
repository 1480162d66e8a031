/**
 * Differential fuzzing of the emitter: random well-typed expression trees and sequential
 * circuits, evaluated by the TypeScript simulator and by the emitted Verilog under Verilator
 * and Icarus, compared bit for bit. Many cases are batched into one module per seed so each
 * simulator builds once. Every emitted module is also linted (verilator -Wall, iverilog -Wall,
 * yosys check). Set FUZZ_SEED to explore other seeds; failures print the seed to reproduce.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRng } from './rng.ts';
import { randomCombinational, randomSequential } from './fuzz.ts';
import { differential } from './harness.ts';
import { emitDesign, type Module } from '../hdl/index.ts';
import { writeModuleFiles } from '../hdl/artifacts.ts';
import { lintVerilog } from '../sim/verilator.ts';
import { iverilogLint } from '../sim/icarus.ts';
import { yosysCheck } from '../sim/yosys.ts';

const base = Number(process.env.FUZZ_SEED ?? 1129);
const reproduce = (seed: number): string => `FUZZ_SEED=${seed} npx vitest run verify/fuzz.test.ts`;

async function lintAll(m: Module): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fuzz-lint-'));
  try {
    const files = await writeModuleFiles(emitDesign(m), dir);
    // Random trees contain comparisons Verilator proves constant after its own constant
    // propagation (UNSIGNED); the emitter folds the direct cases, this lint allows the rest.
    // Every other warning fails the test.
    const v = await lintVerilog(files, m.name, { extraArgs: ['-Wno-UNSIGNED'] });
    expect(v.output, `verilator -Wall on ${m.name}`).toBe('');
    const i = await iverilogLint(files, m.name);
    expect(i.output, `iverilog -Wall on ${m.name}`).toBe('');
    const y = await yosysCheck(files, m.name);
    expect(y.warnings, `yosys on ${m.name}`).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function inputRows(m: Module, cycles: number, seed: number, clock?: string): bigint[][] {
  const rng = makeRng(seed ^ 0x5eed);
  const ins = m.portInfo().filter((p) => p.direction === 'input' && p.name !== clock);
  return Array.from({ length: cycles }, (_, c) =>
    ins.map((p) => {
      if (p.name === 'rst') return c === 0 || rng.next() < 0.02 ? 1n : 0n;
      if (p.name === 'rst_n') return c === 0 || rng.next() < 0.02 ? 0n : 1n;
      return rng.bits(p.width);
    }),
  );
}

describe('emitter differential fuzzing (TypeScript vs Verilator vs Icarus)', () => {
  for (let k = 0; k < 6; k++) {
    const seed = base + k;
    it(`combinational: 150 random expression trees x 64 input vectors, seed ${seed}`, async () => {
      const m = randomCombinational(makeRng(seed), `fuzz_comb_${seed}`, 6, 150, 5);
      await lintAll(m);
      const r = await differential(m, inputRows(m, 64, seed), { label: 'fuzz comb', seed, reproduce: reproduce(seed) });
      expect(r.comparisons).toBe(2 * 150 * 64);
    });
  }
  for (let k = 0; k < 8; k++) {
    const seed = base + 100 + k;
    const asyncReset = k % 2 === 1;
    it(`sequential: random registers, when/switch, RAM and ROM, 200 cycles, ${asyncReset ? 'async' : 'sync'} reset, seed ${seed}`, async () => {
      const m = randomSequential(makeRng(seed), `fuzz_seq_${seed}`, { asyncReset });
      await lintAll(m);
      const r = await differential(m, inputRows(m, 200, seed, 'clk'), {
        label: 'fuzz seq',
        seed,
        clock: 'clk',
        ignoreBefore: 2,
        reproduce: reproduce(seed - 100),
      });
      // Every output of every cycle after the first two, on both simulators (no don't-cares here).
      const outputs = m.portInfo().filter((p) => p.direction === 'output').length;
      expect(r.comparisons, 'outputs x compared cycles x simulators').toBe(2 * outputs * (200 - 2));
    });
  }
});
