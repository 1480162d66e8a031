/**
 * `make bench` (`make bench QUICK=1`: fewer points): SwiftKV against native and blockwise
 * attention on the same blocks, measured in RTL and synthesised, with accuracy, the decode
 * model, a design-space map and tool speed. Writes out/bench/report.md, its SVG charts and
 * out/bench/bench.json (schema: flow/bench-json.ts); prints progress while it runs.
 */
import * as path from 'node:path';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { emitDesign } from '../hdl/index.ts';
import { writeFileAtomic } from '../hdl/artifacts.ts';
import { projectRoot } from '../sim/cache.ts';
import { buildLane } from '../generators/swiftkv/lane.ts';
import { buildMha, GEMV_DEFAULTS } from '../generators/swiftkv/mha.ts';
import { buildBaselineLane } from '../generators/baselines/lane.ts';
import { decodeEstimate, MODELS } from '../generators/swiftkv/decode.ts';
import type { GoldenResult } from '../generators/swiftkv/golden.ts';
import { createLimiter } from '../flow/jobs.ts';
import { synthAndTime, type DesignResources } from '../flow/bench-synth.ts';
import { measureRtl, type RtlMeasurement } from '../flow/bench-cycles.ts';
import { benchVariants, goldenOfVariant, formulaCycles, variantLabel, type BenchVariant } from '../flow/bench-variants.ts';
import { computeBoundCycles, kvStreamBoundCycles } from '../flow/bench-bounds.ts';
import { accuracyJob, accuracyPoints } from '../flow/bench-accuracy.ts';
import { gemvQuantError } from '../flow/bench-gemv-error.ts';
import { designSpace, linearInH, type PerP } from '../flow/bench-space.ts';
import { genSeconds, verilatorBuildSeconds } from '../flow/bench-tools.ts';
import { benchJsonText, BenchJson, type AccuracyPoint, type CyclePoint, type ResourcePoint, type BenchJsonT } from '../flow/bench-json.ts';
import { benchReport } from '../flow/bench-report.ts';
import { parseCommandLine, runCli } from './cli.ts';

const SEED = 20261130;
const D = 128;
const N_HEADS = 32;
const BANDWIDTH_GBS = 460;
const BYTES_PER_ELEMENT = 4;
const PAPER = { swiftkvVsNative: 7.16, mhaSpeedup: 13.48 };

interface Plan {
  quick: boolean;
  Ps: number[];
  Ls: number[];
  extendedLs: number[];
  blocks: number[];
  maxContext: number;
  multiHeadL: number;
  lanes: number[];
  resourceContexts: number[];
  spacePs: number[];
  spaceHs: number[];
  accuracyLs: number[];
  genRuns: number;
}

function planOf(quick: boolean): Plan {
  return {
    quick,
    Ps: quick ? [16] : [8, 16],
    Ls: quick ? [128, 512] : [128, 512, 1024, 2048, 4096],
    extendedLs: quick ? [4096, 16384] : [8192, 16384],
    blocks: [32, 128],
    maxContext: 16384,
    multiHeadL: 128,
    lanes: [1, 2, 4, 8, 16, 32],
    resourceContexts: quick ? [4096] : [4096, 16384],
    spacePs: quick ? [16] : [8, 16],
    spaceHs: [1, 2, 4, 8, 16, 32],
    accuracyLs: quick ? [128, 1024] : [128, 1024, 4096, 16384],
    genRuns: quick ? 1 : 3,
  };
}

async function main(): Promise<void> {
  const raw = parseCommandLine('bench', process.argv.slice(2), { help: 'boolean', quick: 'boolean' }, 'node --import tsx scripts/bench.ts');
  if (raw.help) {
    console.log([
      'usage: make bench [QUICK=1]  (node --import tsx scripts/bench.ts [--quick])',
      'SwiftKV against native and blockwise attention: cycles in RTL (Verilator), Yosys resources,',
      'accuracy against float64 and FP16, the decode model and a design-space map; writes',
      'out/bench/report.md, its SVG charts and out/bench/bench.json. --quick: fewer points.',
    ].join('\n'));
    return;
  }
  const plan = planOf(raw.quick === true || process.env.QUICK === '1');
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const load = loadavg();
  const elapsed = (): string => {
    const s = Math.round((performance.now() - t0) / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  const say = (line: string): void => console.log(`[bench ${elapsed()}] ${line}`);
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const p0 = performance.now();
    say(`${name}...`);
    const r = await fn();
    phases[name] = (performance.now() - p0) / 1000;
    say(`${name} done in ${phases[name]!.toFixed(0)} s`);
    return r;
  };
  say(`${plan.quick ? 'QUICK' : 'full'} run on ${availableParallelism()} cores (load average ${load.map((x) => x.toFixed(2)).join(' ')})`);
  const variants = benchVariants(plan.blocks);
  const limit = createLimiter();
  const synthLog = (line: string): void => say(`  ${line}`);

  // Synthesis runs in Yosys processes; start it first so it overlaps the simulations.
  const synthesis = (async () => {
    const resources: (ResourcePoint & { design: DesignResources })[] = [];
    for (const maxContext of plan.resourceContexts) {
      for (const v of variants) {
        const p = { headDim: D, pe: 16, maxContext };
        const module = v.kind === 'swiftkv' ? buildLane({ ...p, rescale: v.rescale }, { maxHeads: N_HEADS }).module : buildBaselineLane(p, v, { maxHeads: N_HEADS }).module;
        const r = await synthAndTime(emitDesign(module), { limit, onProgress: synthLog });
        say(`resources ${variantLabel(v)} maxContext ${maxContext}: ${r.dsp} DSP, ${r.lut} LUT, ${r.ff} FF, ${r.bram36} BRAM36 (${r.synthesised} modules synthesised, the others cached)`);
        resources.push({ variant: variantLabel(v), maxContext, top: r.top, dsp: r.dsp, lut: r.lut, ff: r.ff, bram36: r.bram36, uram: r.uram, lutram: r.lutram, estimatedMHz: r.estimatedMHz, design: r });
      }
    }
    const perP: PerP[] = [];
    for (const P of plan.spacePs) {
      const runs: DesignResources[] = [];
      let tiles = 0;
      let timing: PerP['timing'] | undefined;
      for (const H of [1, 2]) {
        const b = buildMha({ lane: { headDim: D, pe: P }, heads: H, maxHeads: N_HEADS, gemv: GEMV_DEFAULTS });
        tiles = b.tiles;
        timing = b.timing;
        // The clock is the H = 2 design's: no timing run at H = 1.
        const r = await synthAndTime(emitDesign(b.module), { limit, onProgress: synthLog, timing: H === 2 });
        say(`design space: SwiftKV-MHA H=${H} P=${P}: ${r.dsp} DSP, ${r.lut} LUT, clock ${r.estimatedMHz?.toFixed(0) ?? '-'} MHz (${r.synthesised} modules synthesised)`);
        runs.push(r);
      }
      perP.push({ P, tilesPerLane: tiles, timing: timing!, h1: runs[0]!, h2: runs[1]! });
    }
    return { resources, perP };
  })();
  // Surface a synthesis failure at once rather than after the simulations.
  synthesis.catch(() => undefined);

  // ---- cycles in RTL, with the golden models of the same data --------------------------------
  const goldens = new Map<string, GoldenResult>();
  /** Golden result of a job's data, by variant and data name (the data of accuracy point L is `L|0`). */
  const goldenFor = (v: BenchVariant, data: string, job: Parameters<typeof goldenOfVariant>[1]): GoldenResult => {
    const key = `${variantLabel(v)}|${data}`;
    let g = goldens.get(key);
    if (!g) {
      g = goldenOfVariant(v, job, { headDim: D, maxContext: plan.maxContext });
      goldens.set(key, g);
    }
    return g;
  };
  const singleJobs = plan.Ls.map((L) => [accuracyJob('normal', D, L, SEED)]);
  const mhDistinct = Array.from({ length: 4 }, (_, i) => accuracyJob('normal', D, plan.multiHeadL, SEED + 1000 + i));
  const mhJob = Array.from({ length: N_HEADS }, (_, h) => mhDistinct[h % 4]!);
  const measured = await phase('cycles in RTL (Verilator)', async () => {
    const out = new Map<string, RtlMeasurement>();
    for (const P of plan.Ps) {
      for (const v of variants) {
        const g0 = performance.now();
        const golden = [
          ...plan.Ls.map((L, j) => [goldenFor(v, `${L}|0`, singleJobs[j]![0]!)]),
          mhJob.map((job, h) => goldenFor(v, `multi-head ${h % 4}`, job)),
        ];
        const gs = (performance.now() - g0) / 1000;
        const m = await measureRtl({ variant: v, params: { headDim: D, pe: P, maxContext: plan.maxContext }, maxHeads: N_HEADS, jobs: [...singleJobs, mhJob], golden });
        out.set(`${variantLabel(v)}|${P}`, m);
        const bad = m.jobs.filter((j) => j.cycles !== j.formula);
        say(`${variantLabel(v)} P=${P}: ${m.jobs.map((j) => `L=${j.L}x${j.heads} ${j.cycles}`).join(', ')} cycles; o bit-exact; formula ${bad.length === 0 ? 'equal at every point' : `DIFFERS at ${bad.map((j) => `L=${j.L}x${j.heads}: ${j.formula}`).join(', ')}`} (golden ${gs.toFixed(0)} s, build ${m.buildSeconds.toFixed(0)} s, run ${m.runSeconds.toFixed(1)} s)`);
      }
    }
    return out;
  });
  const formulasMatch = [...measured.values()].every((m) => m.jobs.every((j) => j.cycles === j.formula));
  if (!formulasMatch) say('a formula differs from the RTL: the curves are not extended beyond the measured points');

  // ---- accuracy ------------------------------------------------------------------------------
  const accVariants: BenchVariant[] = [variants[0]!, { kind: 'swiftkv', rescale: 'shift' }, ...variants.slice(1)];
  const accuracy = await phase('accuracy against float64 and FP16', async () => {
    const pts: AccuracyPoint[] = [];
    for (const L of plan.accuracyLs) {
      for (const kind of ['normal', 'outliers'] as const) {
        const known = new Map<string, GoldenResult>();
        if (kind === 'normal') for (const v of accVariants) {
          const g = goldens.get(`${variantLabel(v)}|${L}|0`);
          if (g && plan.Ls.includes(L)) known.set(variantLabel(v), g);
        }
        const a0 = performance.now();
        const r = accuracyPoints({ d: D, L, kind, seed: SEED, variants: accVariants, maxContext: plan.maxContext, known });
        pts.push(...r.points);
        say(`accuracy L=${L} ${kind}: ${r.points.map((p) => `${p.variant} ${p.error.toExponential(2)}`).join(', ')} (${((performance.now() - a0) / 1000).toFixed(0)} s)`);
        await new Promise((res) => setImmediate(res));
      }
    }
    return pts;
  });

  const { resources, perP } = await phase('synthesis (Yosys, cached in .cache/yosys)', () => synthesis);
  const p16 = perP.find((p) => p.P === 16) ?? perP[0]!;
  const clockMHz = p16.h2.estimatedMHz;
  if (clockMHz === null) throw new Error('no clock estimate for the SwiftKV-MHA design');
  const clockSource = `the estimated clock of SwiftKV-MHA H=2 P=${p16.P} (Yosys sta, flow/timing.ts; not a sign-off)`;

  // ---- cycle points: measured, then extended by the formulas; one lane against H lanes ----------
  const cycles: CyclePoint[] = [];
  const point = (label: string, P: number, L: number, heads: number, lanes: number, c: number, source: 'rtl' | 'formula', swiftkv: number): CyclePoint => {
    const computeBound = computeBoundCycles({ L, d: D, P, heads, lanes });
    const kvStreamBound = kvStreamBoundCycles({ L, d: D, heads, bytesPerElement: BYTES_PER_ELEMENT, clockMHz, bandwidthGBs: BANDWIDTH_GBS });
    return { variant: label, P, L, heads, lanes, cycles: c, source, computeBound, kvStreamBound, vsCompute: c / computeBound, vsKvStream: c / kvStreamBound, vsSwiftkv: c / swiftkv };
  };
  const allLs = formulasMatch ? [...plan.Ls, ...plan.extendedLs.filter((L) => !plan.Ls.includes(L))] : plan.Ls;
  const pm = plan.Ps.includes(16) ? 16 : plan.Ps[0]!;
  for (const P of plan.Ps) {
    const sw = measured.get(`${variantLabel(variants[0]!)}|${P}`)!;
    for (const v of variants) {
      const m = measured.get(`${variantLabel(v)}|${P}`)!;
      for (const L of allLs) {
        const rtl = m.jobs.find((j) => j.L === L && j.heads === 1);
        const c = rtl ? rtl.cycles : formulaCycles(m.timing, L, 1);
        const s = sw.jobs.find((j) => j.L === L && j.heads === 1)?.cycles ?? formulaCycles(sw.timing, L, 1);
        cycles.push(point(variantLabel(v), P, L, 1, 1, c, rtl ? 'rtl' : 'formula', s));
      }
      if (P !== pm) continue;
      const mhLs = formulasMatch ? [plan.multiHeadL, ...allLs.filter((L) => L !== plan.multiHeadL && L >= 512)] : [plan.multiHeadL];
      for (const L of mhLs) {
        for (const lanes of plan.lanes) {
          const heads = Math.ceil(N_HEADS / lanes);
          const rtl = lanes === 1 && L === plan.multiHeadL ? m.jobs.find((j) => j.heads === N_HEADS) : undefined;
          if (!formulasMatch && !rtl) continue;
          const c = rtl ? rtl.cycles : formulaCycles(m.timing, L, heads);
          const s = lanes === 1 && L === plan.multiHeadL ? sw.jobs.find((j) => j.heads === N_HEADS)!.cycles : formulaCycles(sw.timing, L, heads);
          cycles.push(point(variantLabel(v), P, L, N_HEADS, lanes, c, rtl ? 'rtl' : 'formula', s));
        }
      }
    }
  }
  const oursL = plan.Ls.at(-1)!;
  const at = (label: string, L: number, heads: number, lanes: number): number => cycles.find((c) => c.variant === label && c.P === pm && c.L === L && c.heads === heads && c.lanes === lanes)!.cycles;
  const mhL = formulasMatch ? oursL : plan.multiHeadL;
  const mhaLanes = formulasMatch ? 8 : 1;
  const ours = {
    swiftkvVsNative: at('native', oursL, 1, 1) / at(variantLabel(variants[0]!), oursL, 1, 1),
    mhaSpeedup: at(variantLabel(variants[0]!), mhL, N_HEADS, 1) / at(variantLabel(variants[0]!), mhL, N_HEADS, mhaLanes),
    mhaLanes,
    P: pm,
    L: oursL,
  };

  // ---- decode model and design space --------------------------------------------------------
  const swAcc = accuracy.filter((a) => a.variant === variantLabel(variants[0]!));
  const attentionError = Math.max(...swAcc.map((a) => a.error));
  const gemvError = { 4: gemvQuantError(4, { M: 256, N: 4096, G: GEMV_DEFAULTS.group, seed: SEED }), 8: gemvQuantError(8, { M: 256, N: 4096, G: GEMV_DEFAULTS.group, seed: SEED }) };
  say(`GEMV quantisation error (256 x 4096, group ${GEMV_DEFAULTS.group}): INT4 ${gemvError[4].toExponential(2)}, INT8 ${gemvError[8].toExponential(2)}`);
  const space = designSpace({ Hs: plan.spaceHs, perP, weights: [4, 8], L: 2048, model: 'LLaMA2-7B', group: GEMV_DEFAULTS.group, bandwidthGBs: BANDWIDTH_GBS, kvBytes: BYTES_PER_ELEMENT, attentionError, gemvError, maxTiles: 4096 });
  const decodeDsp = linearInH(p16.h1.dsp, p16.h2.dsp, 8);
  const decode = MODELS.flatMap((model) => ([4, 8] as const).flatMap((weights) => [512, 2048, 4096].map((L) => {
    const d = decodeEstimate(model, weights, L, { H: 8, T: p16.tilesPerLane, timing: p16.timing, G: GEMV_DEFAULTS.group, clockMHz, bandwidthGBs: BANDWIDTH_GBS, kvBytes: BYTES_PER_ELEMENT, dsp: decodeDsp });
    return { model: d.model, weights, L, tokensPerSecond: d.tokensPerSecond, attentionMs: d.attentionMs, gemvMs: d.gemvMs, weightStreamingBound: d.bound.weightStreaming, dspComputeBound: d.bound.dspCompute };
  })));

  // ---- tool speed ----------------------------------------------------------------------------
  const tools = await phase('tool speed', async () => {
    const gen = await genSeconds(plan.genRuns);
    say(`npm run gen (default design, --no-synth): ${gen.toFixed(2)} s`);
    const m = measured.get(`${variantLabel(variants[0]!)}|${pm}`)!;
    // QUICK: no build from scratch (a minute or two); the lane's build of this run, if it was not cached.
    const build = plan.quick ? m.buildSeconds : await verilatorBuildSeconds({ headDim: D, pe: 16 });
    const cached = plan.quick && m.buildSeconds === 0;
    say(`Verilator build of the default lane: ${cached ? 'cached (QUICK does not build from scratch)' : `${build.toFixed(1)} s`}`);
    const simCycles = m.jobs.reduce((s, j) => s + j.cycles, 0);
    return { genSeconds: gen, verilatorBuildSeconds: build, verilatorBuildCached: cached, verilatorCyclesPerSecond: simCycles / m.runSeconds };
  });

  const bench: BenchJsonT = {
    schema: 1,
    quick: plan.quick,
    startedAt,
    seconds: { total: (performance.now() - t0) / 1000, phases },
    machine: { cores: availableParallelism(), loadAverage: load },
    config: {
      d: D, Ps: plan.Ps, Ls: plan.Ls, extendedLs: formulasMatch ? plan.extendedLs : [], blocks: plan.blocks, maxContext: plan.maxContext, nHeads: N_HEADS,
      lanes: plan.lanes, bandwidthGBs: BANDWIDTH_GBS, clockMHz, clockSource, bytesPerElement: BYTES_PER_ELEMENT,
    },
    variants: variants.map((v) => ({ kind: v.kind, ...(v.kind === 'blockwise' ? { block: v.block! } : {}), name: variantLabel(v) })),
    cycles,
    formulasMatch,
    resources: resources.map(({ design: _design, ...r }) => r),
    accuracy,
    decode,
    space,
    toolSpeed: tools,
    paper: { ...PAPER, ours },
  };
  const json = benchJsonText(bench);
  const report = benchReport(BenchJson.parse(bench));
  const outDir = path.join(projectRoot(), 'out', 'bench');
  await mkdir(outDir, { recursive: true });
  // Charts of an earlier run that this one does not draw would mislead: only .svg files go.
  for (const f of await readdir(outDir)) if (f.endsWith('.svg') && !(f in report.svgs)) await rm(path.join(outDir, f));
  for (const [name, text] of Object.entries(report.svgs)) await writeFileAtomic(path.join(outDir, name), text);
  await writeFileAtomic(path.join(outDir, 'bench.json'), json);
  await writeFileAtomic(path.join(outDir, 'report.md'), report.markdown);
  say(`SwiftKV vs native at P=${pm}, L=${oursL}: ${ours.swiftkvVsNative.toFixed(2)}x (paper ${PAPER.swiftkvVsNative}x); one lane / ${mhaLanes} lanes on ${N_HEADS} heads: ${ours.mhaSpeedup.toFixed(2)}x (paper ${PAPER.mhaSpeedup}x)`);
  say(`wrote ${path.relative(process.cwd(), outDir)}/report.md, bench.json and ${Object.keys(report.svgs).length} charts in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

runCli('bench', main);
