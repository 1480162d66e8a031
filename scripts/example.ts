/**
 * `make` main job (the demonstration of the foundation): generate the example MAC into
 * out/<name>/, lint it (Verilator -Wall, Icarus -Wall, Yosys), synthesise it for UltraScale+,
 * and simulate it on both simulators against its golden model.
 */
import * as path from 'node:path';
import { buildMac, defaultMacParams, macName } from '../generators/example/mac.ts';
import { macGolden, type MacSample } from '../generators/example/mac.golden.ts';
import { emitDesign, Value } from '../hdl/index.ts';
import { writeDesign } from '../hdl/artifacts.ts';
import { differential } from '../verify/harness.ts';
import { lintVerilog } from '../sim/verilator.ts';
import { iverilogLint } from '../sim/icarus.ts';
import { yosysCheck, synthXilinx } from '../sim/yosys.ts';
import { makeRng } from '../verify/rng.ts';
import { projectRoot } from '../sim/cache.ts';
import { parseCommandLine, runCli } from './cli.ts';

async function main(): Promise<void> {
  const raw = parseCommandLine('example', process.argv.slice(2), { help: 'boolean' });
  if (raw.help) {
    console.log('usage: npm run example: no options; generates, lints, synthesises and simulates the example MAC into out/.');
    return;
  }
  const p = defaultMacParams;
  const name = macName(p);
  const t0 = performance.now();
  const design = emitDesign(buildMac(p));
  const out = path.join(projectRoot(), 'out');
  const { dir } = await writeDesign(design, out, name);
  console.log(`generated ${path.relative(projectRoot(), dir)}/ in ${(performance.now() - t0).toFixed(0)} ms`);
  const files = design.modules.map((m) => path.join(dir, m.fileName));

  const lint = await lintVerilog(files, name);
  const ilint = await iverilogLint(files, name);
  const ycheck = await yosysCheck(files, name);
  console.log(`lint: verilator -Wall ${lint.ok ? 'clean' : 'FAILED'}, iverilog -Wall ${ilint.ok ? 'clean' : 'FAILED'}, yosys ${ycheck.ok ? 'clean' : 'FAILED'}`);
  if (!lint.ok || !ilint.ok || !ycheck.ok) {
    console.error([lint.output, ilint.output, ...ycheck.warnings].join('\n'));
    process.exitCode = 1;
  }

  const synth = await synthXilinx(files, name);
  const r = synth.total;
  console.log(`yosys synth_xilinx -family xcup: ${r.lut} LUT, ${r.ff} FF, ${r.dsp} DSP, ${r.bram} BRAM, ${r.latches} latches`);

  const seed = 1;
  const rng = makeRng(seed);
  const sent: MacSample[] = [];
  const rows: bigint[][] = [];
  for (let c = 0; c < 1000; c++) {
    // No samples in the last 20 cycles: the pipeline drains, so every sum must arrive.
    const valid = c > 1 && c < 980 && rng.next() < 0.8;
    const smp = { first: rng.next() < 0.05, x: BigInt(rng.int(-32768, 32767)), idx: rng.int(0, p.taps - 1) };
    if (valid) sent.push(smp);
    rows.push([c < 2 ? 1n : 0n, valid ? 1n : 0n, smp.first ? 1n : 0n, BigInt.asUintN(p.sampleBits, smp.x), BigInt(smp.idx)]);
  }
  const res = await differential(buildMac(p), rows, { label: 'example', seed, clock: 'clk', ignoreBefore: 1 });
  const want = macGolden(p, sent);
  for (const sim of ['verilator', 'icarus'] as const) {
    const rowsOut = res.actual[sim]!;
    const vi = res.outputs.indexOf('out_valid');
    const ai = res.outputs.indexOf('out_acc');
    const got = rowsOut.filter((x) => x[vi] === 1n).map((x) => Value.wrap(x[ai]!, { width: p.accBits, signed: true }).toBigInt());
    // Bit-exact means every expected sum arrived, and no other.
    const ok = got.length === want.length && got.every((g, i) => g === want[i]);
    console.log(`${sim}: ${got.length} of ${want.length} sums over ${rows.length} cycles, ${ok ? 'bit-exact with the golden model' : 'MISMATCH'} (seed ${seed})`);
    if (!ok) process.exitCode = 1;
  }
}

runCli('example', main);
