/**
 * The example design end to end: generated, linted by Verilator, Icarus and Yosys,
 * synthesised without latches, and simulated on both simulators against its golden model.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMac, defaultMacParams, macName } from '../../generators/example/mac.ts';
import { macGolden, type MacSample } from '../../generators/example/mac.golden.ts';
import { emitDesign, Value } from '../../hdl/index.ts';
import { differential } from '../harness.ts';
import { writeModuleFiles } from '../../hdl/artifacts.ts';
import { lintVerilog } from '../../sim/verilator.ts';
import { iverilogLint } from '../../sim/icarus.ts';
import { yosysCheck, synthXilinx } from '../../sim/yosys.ts';
import { makeRng } from '../rng.ts';

const p = defaultMacParams;

async function emitted(): Promise<{ dir: string; files: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'mac-'));
  return { dir, files: await writeModuleFiles(emitDesign(buildMac(p)), dir) };
}

describe('example MAC generator', () => {
  it('is lint-clean on Verilator -Wall, Icarus -Wall and Yosys', async () => {
    const { dir, files } = await emitted();
    try {
      expect((await lintVerilog(files, macName(p))).output).toBe('');
      expect((await iverilogLint(files, macName(p))).output).toBe('');
      expect((await yosysCheck(files, macName(p))).warnings).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('synthesises for UltraScale+ with one DSP and no latch', async () => {
    const { dir, files } = await emitted();
    try {
      const r = await synthXilinx(files, macName(p));
      expect(r.total.latches).toBe(0);
      expect(r.total.dsp).toBe(1);
      expect(r.total.ff).toBeGreaterThan(40);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('matches the golden model on Verilator and Icarus (random gaps and restarts)', async () => {
    const seed = 77;
    const rng = makeRng(seed);
    const m = buildMac(p);
    const sent: MacSample[] = [];
    const rows: bigint[][] = [];
    const inputs = m.portInfo().filter((x) => x.direction === 'input' && x.name !== 'clk').map((x) => x.name);
    expect(inputs).toEqual(['rst', 'in_valid', 'in_first', 'in_x', 'in_idx']);
    for (let c = 0; c < 600; c++) {
      const valid = c > 1 && rng.next() < 0.8;
      const smp = { first: rng.next() < 0.05, x: BigInt(rng.int(-32768, 32767)), idx: rng.int(0, p.taps - 1) };
      if (valid) sent.push(smp);
      rows.push([c < 2 ? 1n : 0n, valid ? 1n : 0n, smp.first ? 1n : 0n, BigInt.asUintN(16, smp.x), BigInt(smp.idx)]);
    }
    const r = await differential(m, rows, { label: 'example mac', seed, clock: 'clk', ignoreBefore: 1 });
    const want = macGolden(p, sent);
    const vi = r.outputs.indexOf('out_valid');
    const ai = r.outputs.indexOf('out_acc');
    for (const sim of ['verilator', 'icarus'] as const) {
      const got = r.actual[sim]!.filter((row) => row[vi] === 1n).map((row) => Value.wrap(row[ai]!, { width: p.accBits, signed: true }).toBigInt());
      // Samples of the last three cycles are still in the pipeline when the run ends.
      expect(want.length - got.length, sim).toBeLessThanOrEqual(3);
      expect(got, `${sim}, seed ${seed}`).toEqual(want.slice(0, got.length));
      expect(got.length).toBeGreaterThan(400);
    }
  });
});
