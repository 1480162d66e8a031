/**
 * Yosys resources and the timing estimate of one emitted design for `make bench`: the same
 * per-module synthesis and sta runs as `npm run gen` (flow/synth.ts, flow/timing.ts), cached
 * in .cache/yosys, so a second bench run reads every module from the cache.
 */
import type { EmittedDesign } from '../hdl/verilog.ts';
import type { Limiter } from './jobs.ts';
import { synthDesign, type ModuleSynth } from './synth.ts';
import { timeDesign } from './timing.ts';

export interface DesignResources {
  top: string;
  dsp: number;
  lut: number;
  ff: number;
  bram36: number;
  uram: number;
  lutram: number;
  /** Estimated clock of the design (worst register-to-register logic plus routing allowance), or null. */
  estimatedMHz: number | null;
  /** Own resources of each module (per instance) and its instance count in the design. */
  modules: { name: string; lut: number; ff: number; dsp: number; bram36: number; uram: number; lutram: number }[];
  /** Modules synthesised now (the others came from the cache). */
  synthesised: number;
}

export async function synthAndTime(design: EmittedDesign, opts: { limit: Limiter; onProgress?: (line: string) => void; timing?: boolean }): Promise<DesignResources> {
  const started = new Map<string, Promise<ModuleSynth>>();
  const flow = { limit: opts.limit, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  const synthP = synthDesign(design, { ...flow, started: (n, p) => started.set(n, p) });
  const timingP = opts.timing === false ? Promise.resolve(null) : timeDesign(design, synthP, { ...flow, synthJobs: started });
  const [synth, timing] = await Promise.all([synthP, timingP]);
  const t = timing?.get(design.top) ?? null;
  return {
    top: design.top,
    dsp: synth.total.dsp,
    lut: synth.total.lut,
    ff: synth.total.ff,
    bram36: synth.total.bram,
    uram: synth.total.uram,
    lutram: synth.total.lutram,
    estimatedMHz: t && t.kind === 'reg-to-reg' ? t.estimatedMHz : null,
    modules: synth.modules.map((m) => ({ name: m.name, lut: m.own.lut, ff: m.own.ff, dsp: m.own.dsp, bram36: m.own.bram, uram: m.own.uram, lutram: m.own.lutram })),
    synthesised: synth.modules.filter((m) => !m.cached).length,
  };
}
