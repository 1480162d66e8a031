/**
 * `make lint`: generate a sweep of configurations and check every module: verilator
 * --lint-only -Wall, iverilog -g2005 -Wall, Yosys read/check, Yosys synth_xilinx with no
 * latch, and the `timescale line in every file. Fails (exit 1) on any warning or latch, naming the configuration and module.
 * The only waiver: SYMRSVDWORD on the kernel tops, whose `interrupt` port Vitis names.
 */
import { emitDesign, type Module } from '../hdl/index.ts';
import { buildMha } from '../generators/swiftkv/mha.ts';
import { buildLane } from '../generators/swiftkv/lane.ts';
import { buildMac, defaultMacParams } from '../generators/example/mac.ts';
import { buildRopeUnit } from '../generators/kernel/rope-unit.ts';
import { resolveRope } from '../generators/kernel/rope.ts';
import { buildDecodeFront } from '../generators/kernel/decode-front.ts';
import { buildYWords } from '../generators/kernel/y-words.ts';
import { resolveKernel } from '../generators/kernel/config.ts';
import { buildKernel } from '../generators/kernel/kernel.ts';
import { lintVerilog } from '../sim/verilator.ts';
import { iverilogLint } from '../sim/icarus.ts';
import { yosysCheck, synthXilinx } from '../sim/yosys.ts';
import { writeModuleFiles } from '../hdl/artifacts.ts';
import { EDGE_CONFIGS, GEN_DEFAULTS, laneInputOf } from '../generators/swiftkv/params.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { parseCommandLine, runCli } from './cli.ts';

interface Config {
  label: string;
  build: () => Module;
  synth: boolean;
  /** Verilator warnings waived, each with its reason (none elsewhere). */
  waive?: { warning: string; why: string }[];
}

/** Vitis requires the kernel's interrupt output to be called `interrupt`, a C++ word to Verilator. */
const INTERRUPT_NAME = { warning: 'SYMRSVDWORD', why: 'the Vitis RTL kernel port `interrupt` is a name Vitis requires' };
const kernelTop = (dataBits: 256 | 512, control: 'hs' | 'chain'): Module =>
  buildKernel(resolveKernel({ mha: { lane: { headDim: 16, pe: 4 }, heads: 2, maxHeads: 8, gemv: { group: 32, maxCols: 256 } }, dataBits, control })).module;

const configs: Config[] = [
  { label: 'example mac', build: () => buildMac(defaultMacParams), synth: true },
  { label: 'lane d16 pe4 (attention only)', build: () => buildLane({ headDim: 16, pe: 4 }, { maxHeads: 4 }).module, synth: true },
  { label: 'mha h1 pe1 d16 multiply', build: () => buildMha({ lane: { headDim: 16, pe: 1 }, heads: 1, maxHeads: 4 }).module, synth: true },
  { label: 'mha h3 pe4 d16 shift', build: () => buildMha({ lane: { headDim: 16, pe: 4, rescale: 'shift' }, heads: 3, maxHeads: 8 }).module, synth: true },
  { label: 'mha h2 pe16 d64 multiply', build: () => buildMha({ lane: { headDim: 64, pe: 16, maxContext: 4096 }, heads: 2, maxHeads: 8 }).module, synth: true },
  { label: 'rope unit d128 half, maxPos 16384', build: () => buildRopeUnit(resolveRope({ headDim: 128, maxPos: 16384 })).module, synth: true },
  { label: 'kernel decode front d128 pe16, 512-bit words', build: () => buildDecodeFront({ DW: 512, P: 16, rope: resolveRope({ headDim: 128, maxPos: 16384 }) }), synth: true },
  { label: 'kernel y words, 512-bit, 64 words', build: () => buildYWords(512, 64), synth: true },
  { label: 'kernel h2 pe4 d16, 256-bit, ap_ctrl_hs (lint only)', build: () => kernelTop(256, 'hs'), synth: false, waive: [INTERRUPT_NAME] },
  { label: 'kernel h2 pe4 d16, 512-bit, ap_ctrl_chain (lint only)', build: () => kernelTop(512, 'chain'), synth: false, waive: [INTERRUPT_NAME] },
  { label: 'mha h8 pe16 d128 multiply (default; lint only)', build: () => buildMha({ lane: { headDim: 128, pe: 16 }, heads: 8, maxHeads: 32 }).module, synth: false },
  { label: 'mha h2 pe128 d128 shift (lint only)', build: () => buildMha({ lane: { headDim: 128, pe: 128, rescale: 'shift' }, heads: 2, maxHeads: 32 }).module, synth: false },
  // Range ends of generators/swiftkv/params.ts (lint only).
  ...EDGE_CONFIGS.map((c): Config => {
    const v = { ...GEN_DEFAULTS, ...c };
    return {
      label: `range end ${JSON.stringify(c)} (lint only)`,
      build: () => buildMha({ lane: laneInputOf(v), heads: v.heads, maxHeads: v.maxHeads, gemv: { group: v.gemvGroup, maxCols: v.gemvMaxCols } }).module,
      synth: false,
    };
  }),
];

async function main(): Promise<void> {
  const raw = parseCommandLine('lint', process.argv.slice(2), { help: 'boolean' }, 'node --import tsx scripts/lint.ts');
  if (raw.help) {
    console.log('usage: make lint (node --import tsx scripts/lint.ts): no options. Exit codes: 0 clean; 1 a warning or latch; 2 bad arguments.');
    return;
  }
  let failures = 0;
  for (const c of configs) {
    const t0 = performance.now();
    const design = emitDesign(c.build());
    await withTempDir('lint-', async (dir) => {
      const files = await writeModuleFiles(design, dir);
      const problems: string[] = [];
      // Every file carries the timescale (a testbench with one makes Icarus warn on files without).
      for (const m of design.modules) if (!m.text.includes('`timescale 1ns / 1ps')) problems.push(`${m.fileName}: no \`timescale 1ns / 1ps`);
      for (const m of design.modules) {
        // Each module on its own (its children's files included), so every module is checked as a top.
        const v = await lintVerilog(files, m.name, { extraArgs: (c.waive ?? []).map((w) => `-Wno-${w.warning}`) });
        if (!v.ok) problems.push(`verilator -Wall, ${m.name}:\n${v.output}`);
      }
      const i = await iverilogLint(files, design.top);
      if (!i.ok) problems.push(`iverilog -Wall:\n${i.output}`);
      const y = await yosysCheck(files, design.top);
      if (!y.ok) problems.push(`yosys check:\n${y.warnings.join('\n')}`);
      let synthNote = 'synthesis skipped';
      if (c.synth) {
        const r = await synthXilinx(files, design.top, { moduleNames: design.modules.map((m) => m.name) });
        if (r.total.latches > 0) problems.push(`yosys synth_xilinx: ${r.total.latches} latch(es)`);
        if (r.warnings.length > 0) problems.push(`yosys synth_xilinx warnings:\n${r.warnings.join('\n')}`);
        synthNote = `${r.total.lut} LUT, ${r.total.ff} FF, ${r.total.dsp} DSP, ${r.total.latches} latches`;
      }
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (problems.length > 0) {
        failures++;
        console.log(`FAIL ${c.label} (${design.modules.length} modules, ${secs} s)\n  ${problems.join('\n  ')}`);
      } else {
        const waived = (c.waive ?? []).map((w) => `; waived ${w.warning}: ${w.why}`).join('');
        console.log(`ok   ${c.label}: ${design.modules.length} modules clean${waived}; ${synthNote} (${secs} s)`);
      }
    });
  }
  console.log(`lint: ${configs.length - failures} configurations clean, ${failures} failed`);
  if (failures > 0) process.exitCode = 1;
}

runCli('lint', main);
