/**
 * Runs host programs against the emitted kernel on Verilator or Icarus with the system
 * testbench (testbenches/kernel_tb.v.hbs): an AXI4 memory model behind every master, the
 * protocol checks, and the AXI4-Lite host. One build per kernel configuration and simulator
 * (cached by the hash of the RTL), reused by every run.
 */
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { emitDesign } from '../../hdl/index.ts';
import { buildSimulation, type SimulatorName, type SimBuild } from '../../sim/simulator.ts';
import { projectRoot } from '../../sim/cache.ts';
import { withTempDir } from '../../sim/tempdir.ts';
import { writeModuleFiles, writeFileAtomic } from '../../hdl/artifacts.ts';
import { renderKernelTestbench } from '../../testbenches/kernel.ts';
import { resolveKernel, type KernelConfig, type KernelParams } from '../../generators/kernel/config.ts';
import { buildKernel } from '../../generators/kernel/kernel.ts';
import { masterNames, type RegMap } from '../../generators/kernel/regmap.ts';
import type { DeviceMemory } from '../../generators/kernel/layout.ts';
import { parseTbOutput, type TbOutput, type WaitMode } from './host.ts';

/** The memory model's behaviour (plusargs of the testbench). */
export interface SlaveProfile {
  /** Read latency from the AR handshake to the first beat offered, uniform in [min, max]. */
  latMin: number;
  latMax: number;
  /** Percent of cycles rvalid stays low although a beat could go. */
  rGap: number;
  /** Percent of cycles arready, awready, wready are low. */
  arStall: number;
  awStall: number;
  wStall: number;
  /** Largest write-response delay in cycles. */
  bLat: number;
}

/** HBM-like: a long random latency, full throughput once data flows, rare stalls. */
export const HBM: SlaveProfile = { latMin: 20, latMax: 60, rGap: 0, arStall: 5, awStall: 5, wStall: 5, bLat: 20 };
/** Ideal: a read's first beat a cycle after AR, no gap, no stall; what is left is the kernel's own pipeline. */
export const ONE_CYCLE: SlaveProfile = { latMin: 1, latMax: 1, rGap: 0, arStall: 0, awStall: 0, wStall: 0, bLat: 1 };
/** Hostile: long latencies, frequent gaps and stalls. */
export const STORMY: SlaveProfile = { latMin: 1, latMax: 80, rGap: 30, arStall: 40, awStall: 40, wStall: 40, bLat: 40 };

export interface KernelRtl {
  config: KernelConfig;
  map: RegMap;
  build: SimBuild;
  memWords: number;
}

const builds = new Map<string, Promise<KernelRtl>>();

export function buildKernelRtl(params: KernelParams, simulator: SimulatorName, memBytes: number): Promise<KernelRtl> {
  const key = JSON.stringify([simulator, params, memBytes]);
  let b = builds.get(key);
  if (!b) {
    b = (async () => {
      const config = resolveKernel(params);
      const { module, map } = buildKernel(config);
      const design = emitDesign(module);
      const memWords = memBytes / config.DWB;
      const dir = path.join(projectRoot(), '.cache', 'designs', `${config.name}-tb${memWords}`);
      await mkdir(dir, { recursive: true });
      const sources = await writeModuleFiles(design, dir);
      const tbName = 'tb_swiftkv_kernel';
      const tb = path.join(dir, `${tbName}.v`);
      await writeFileAtomic(tb, renderKernelTestbench({
        tbName,
        dut: config.name,
        DW: config.DW,
        memWords,
        ctlAddrBits: map.addrBits,
        masters: masterNames(config).map((name) => ({
          name,
          writes: module.portInfo().some((p) => p.name === `m_axi_${name}_awvalid`),
          idBits: module.portInfo().find((p) => p.name === `m_axi_${name}_arid`)!.width,
        })),
        ports: module.portInfo().map((p) => ({ name: p.name, direction: p.direction, width: p.width })),
      }));
      sources.push(tb);
      const build = await buildSimulation({ simulator, top: tbName, sources });
      return { config, map, build, memWords };
    })();
    builds.set(key, b);
    b.catch(() => builds.delete(key));
  }
  return b;
}

export interface KernelRunOptions {
  seed: number;
  profile: SlaveProfile;
  waves?: string;
  timeoutMs?: number;
}

/** Run a host program over a memory image; returns the parsed output and the memory after. */
export async function runKernelRtl(rtl: KernelRtl, mem: DeviceMemory, program: readonly string[], modes: readonly WaitMode[], opts: KernelRunOptions): Promise<{ out: TbOutput; text: string }> {
  if (mem.size !== rtl.memWords * rtl.config.DWB) throw new RangeError(`memory image of ${mem.size} bytes for a testbench memory of ${rtl.memWords * rtl.config.DWB}`);
  return withTempDir('kernel-', async (work) => {
    const host = path.join(work, 'host.txt');
    const image = path.join(work, 'mem.hex');
    const outFile = path.join(work, 'out.txt');
    await writeFile(host, [...program, 'e'].join('\n') + '\n');
    await writeFile(image, mem.hexImage());
    const p = opts.profile;
    const r = await rtl.build.run({
      plusargs: {
        host, mem: image, out: outFile, seed: opts.seed,
        lat_min: p.latMin, lat_max: p.latMax, rgap: p.rGap, arstall: p.arStall, awstall: p.awStall, wstall: p.wStall, blat: p.bLat,
      },
      ...(opts.waves ? { waves: opts.waves } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
    if (r.exitCode !== 0) throw new Error(`${r.command} failed (exit ${r.exitCode}):\n${r.stdout}\n${r.stderr}`);
    const text = await readFile(outFile, 'utf8');
    const out = parseTbOutput(text, modes);
    // The dumped words are the memory after the program: copy them into the image.
    for (const [n, w] of out.words) mem.setWord(n, w);
    return { out, text };
  });
}
