/**
 * `make bench`: speed figures, measured here and printed (never asserted by unit tests).
 *   - generation of the default design (npm run gen -- --heads 8 --pe 16, without Yosys):
 *     elaboration + checks + emission + writing out/, goal < 3 s
 *   - TypeScript simulator speed on a lane (cycles per second)
 *   - Verilator speed on the default lane (cycles per second, L = 4096)
 */
import { execa } from 'execa';
import { buildLane } from '../generators/swiftkv/lane.ts';
import { runLaneTs } from '../verify/swiftkv/lane.driver.ts';
import { runLaneRtl } from '../verify/swiftkv/lane-job.rtl.ts';
import { makeJob } from '../verify/swiftkv/stimulus.ts';
import { makeRng } from '../verify/rng.ts';
import { withTempDir } from '../sim/tempdir.ts';
import { parseCommandLine, runCli } from './cli.ts';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const raw = parseCommandLine('bench', process.argv.slice(2), { help: 'boolean' }, 'node --import tsx scripts/bench.ts');
  if (raw.help) {
    console.log('usage: make bench (node --import tsx scripts/bench.ts): no options; prints generation time and simulator speed.');
    return;
  }
  await withTempDir('bench-', async (out) => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await execa('node', ['--import', 'tsx', 'scripts/gen.ts', '--heads', '8', '--pe', '16', '--no-synth', '--out', out], { reject: false });
      times.push(performance.now() - t0);
      if (r.exitCode !== 0) throw new Error(r.stderr);
      if (i === 0) console.log(r.stdout.trim());
    }
    console.log(`gen default design (process start to files written, 5 runs): median ${(median(times) / 1000).toFixed(2)} s, min ${(Math.min(...times) / 1000).toFixed(2)} s (goal < 3 s)`);
  });
  const fmt = { frac: 17, width: 32 };
  const rng = makeRng(1);
  const p = { headDim: 64, pe: 16 };
  const job = makeJob('normal', 64, 64, rng, fmt);
  const t1 = performance.now();
  const lane = buildLane(p);
  const [r] = runLaneTs(lane.module, lane.config, [job], { rng, validProb: 1, readyProb: 1 });
  const s1 = (performance.now() - t1) / 1000;
  console.log(`TypeScript simulator, lane d=64 P=16: ${r!.cycles} cycles in ${s1.toFixed(2)} s = ${(r!.cycles / s1).toFixed(0)} cycles/s`);
  const big = { headDim: 128, pe: 16 };
  const bigJob = makeJob('normal', 128, 4096, rng, fmt);
  await runLaneRtl(big, [[makeJob('normal', 128, 1, rng, fmt)]], { simulator: 'verilator', seed: 1, vprob: 100, rprob: 100 });
  const t2 = performance.now();
  const [h] = await runLaneRtl(big, [[bigJob]], { simulator: 'verilator', seed: 1, vprob: 100, rprob: 100 });
  const s2 = (performance.now() - t2) / 1000;
  console.log(`Verilator, lane d=128 P=16, L=4096: ${h!.cycles} cycles in ${s2.toFixed(2)} s including file IO = ${(h!.cycles / s2).toFixed(0)} cycles/s`);
}

runCli('bench', main);
