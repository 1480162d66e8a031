/**
 * Tool speed for `make bench`: `npm run gen` of the default design (without Yosys), and a
 * Verilator build of the default lane from scratch (an empty build cache in a temporary folder,
 * so the figure is a real build, never a cache hit).
 */
import * as path from 'node:path';
import { execa } from 'execa';
import { emitDesign } from '../hdl/index.ts';
import { writeModuleFiles, writeFileAtomic } from '../hdl/artifacts.ts';
import { buildSimulation } from '../sim/simulator.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { projectRoot } from '../sim/cache.ts';
import { buildLane } from '../generators/swiftkv/lane.ts';
import { HEAD_SAT_BITS } from '../generators/swiftkv/norm.ts';
import { renderLaneJobTestbench } from '../testbenches/lane-job.ts';
import type { LaneParamsInput } from '../generators/swiftkv/numerics.ts';

/** Seconds of `npm run gen -- --heads 8 --pe 16 --no-synth` into a temporary folder (median of `runs`). */
export async function genSeconds(runs: number): Promise<number> {
  return withTempDir('bench-gen-', async (out) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await execa('node', ['--import', 'tsx', path.join(projectRoot(), 'scripts', 'gen.ts'), '--heads', '8', '--pe', '16', '--no-synth', '--out', out], { reject: false, cwd: projectRoot() });
      times.push((performance.now() - t0) / 1000);
      if (r.exitCode !== 0) throw new Error(`npm run gen failed (exit ${r.exitCode}):\n${r.stderr}`);
    }
    return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  });
}

/** Seconds of a Verilator build of the lane with its job testbench, into an empty cache. */
export async function verilatorBuildSeconds(params: LaneParamsInput): Promise<number> {
  return withTempDir('bench-verilator-', async (dir) => {
    const { module, config: c } = buildLane(params, { maxHeads: 16 });
    const sources = await writeModuleFiles(emitDesign(module), dir);
    const tbName = 'tb_swiftkv_lane';
    const tb = path.join(dir, `${tbName}.v`);
    await writeFileAtomic(tb, renderLaneJobTestbench({ tbName, dut: module.name, B: c.B, PW: c.P * c.W, LW: c.lenWidth, HW: c.headsWidth, SW: HEAD_SAT_BITS, QMAX: c.B * 16 }));
    sources.push(tb);
    const t0 = performance.now();
    const b = await buildSimulation({ simulator: 'verilator', top: tbName, sources, cacheRoot: path.join(dir, 'cache') });
    if (b.cached) throw new Error('internal: a build into an empty cache came from the cache');
    return (performance.now() - t0) / 1000;
  });
}
