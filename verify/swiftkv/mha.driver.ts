/**
 * Drives the MHA top on the TypeScript simulator: per-lane q/KV sources and o sinks with
 * random valid gaps and ready stalls, serving in each round the heads the `round` output
 * names. Records the input of every cycle for a cycle-exact replay on Verilator or Icarus.
 */
import { Simulator, type Module } from '../../hdl/index.ts';
import type { Backpressure, LaneJob } from './lane.driver.ts';
import { beats } from './lane.driver.ts';
import type { LaneConfig } from '../../generators/swiftkv/lane.ts';
import type { GemvJob } from '../../generators/swiftkv/gemv.ts';

export interface MhaJob {
  /** One job per head (all with the same L). */
  heads: LaneJob[];
  /** Sent as cfg_heads instead of the number of heads (tests of rejected starts). */
  cfgHeads?: number;
  /** Sent as cfg_len instead of the heads' L (tests of rejected starts). */
  cfgLen?: number;
}

export interface MhaRun {
  /** o per head (attention jobs). */
  o: bigint[][];
  /** y per row (GEMV jobs). */
  y: bigint[];
  cycles: number;
  /** status_error at done. */
  error: boolean;
  /** status_sat at done (saturation.ts). */
  sat: number;
  /** Cycles from the one after start through done in which status_error was 1. */
  errorCycles: number;
  /** Rows of the recorded stimulus (indices into `rows`) of this job: its start cycle .. its done cycle. */
  firstRow: number;
  lastRow: number;
}

export interface GemvJobSpec {
  gemv: GemvJob;
  /** Sent as cfg_cols / cfg_rows instead of the job's N / M (tests of rejected starts). */
  cfgCols?: number;
  cfgRows?: number;
}

/** The x, w and s beats of a GEMV job for an array of H lanes of P PEs. */
export function gemvBeats(job: GemvJob, H: number, P: number, group: number): { x: bigint[]; w: bigint[]; s: bigint[] } {
  const M = job.w.length;
  const N = job.x.length;
  const k = job.int4 ? 3 : 2;
  const wb = job.int4 ? 4 : 8;
  const R = k * P * H;
  const blocks = Math.ceil(M / R);
  const x: bigint[] = [];
  for (let j = 0; j < N; j += 4) {
    let word = 0n;
    for (let e = 3; e >= 0; e--) word = (word << 8n) | BigInt.asUintN(8, BigInt(job.x[j + e]!));
    x.push(word);
  }
  const w: bigint[] = [];
  const sc: bigint[] = [];
  for (let b = 0; b < blocks; b++) {
    for (let j = 0; j < N; j++) {
      let word = 0n;
      for (let pe = H * P - 1; pe >= 0; pe--) {
        let packed = 0n;
        for (let f = k - 1; f >= 0; f--) {
          const r = b * R + pe * k + f;
          packed = (packed << BigInt(wb)) | BigInt.asUintN(wb, BigInt(r < M ? job.w[r]![j]! : 0));
        }
        word = (word << 32n) | packed;
      }
      w.push(word);
      if ((j + 1) % group === 0) {
        const g = (j + 1) / group - 1;
        let sword = 0n;
        for (let pe = H * P - 1; pe >= 0; pe--) {
          for (let f = 2; f >= 0; f--) {
            const r = b * R + pe * k + f;
            const v = f < k && r < M ? job.scale[r]![g]! : 0;
            sword = (sword << 16n) | BigInt.asUintN(16, BigInt(v));
          }
        }
        sc.push(sword);
      }
    }
  }
  return { x, w, s: sc };
}

export function runMhaTs(
  m: Module,
  c: LaneConfig,
  H: number,
  jobs: readonly (MhaJob | GemvJobSpec)[],
  bp: Backpressure,
  maxCycles = 2_000_000,
  group = 32,
): { runs: MhaRun[]; rows: bigint[][]; inputNames: string[] } {
  const W = c.formats.data.intBits + c.formats.data.fracBits;
  const sim = new Simulator(m);
  const inputs = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk');
  const inputNames = inputs.map((p) => p.name);
  const values = new Map<string, bigint>(inputNames.map((n) => [n, 0n]));
  const rows: bigint[][] = [];
  const set = (n: string, v: bigint | number): void => void values.set(n, BigInt(v));
  const step = (): void => {
    for (const p of inputs) sim.set(p.name, values.get(p.name)!); // raw, non-negative bits
    rows.push(inputNames.map((n) => values.get(n)!));
  };
  set('rst', 1);
  step();
  sim.tick();
  set('rst', 0);
  const runs: MhaRun[] = [];
  for (const job of jobs) {
    if ('gemv' in job) {
      runs.push(runGemvJob(job));
      continue;
    }
    const n = job.heads.length;
    const L = job.heads[0]!.k.length;
    const o: bigint[][] = job.heads.map(() => []);
    // Per lane: the beats of its current head, and progress.
    const lanes = Array.from({ length: H }, () => ({ head: -1, q: [] as bigint[], qLast: [] as boolean[], kv: [] as { data: bigint; last: boolean }[], qi: 0, kvi: 0, qOff: false, kvOff: false }));
    let cycles = 0;
    let started = false;
    let lastRound = -1;
    let errorCycles = 0;
    const firstRow = rows.length;
    for (;;) {
      if (cycles > maxCycles) throw new Error(`MHA top did not finish within ${maxCycles} cycles`);
      const round = Number(sim.get('round').bits);
      if (round !== lastRound || !started) {
        lastRound = round;
        lanes.forEach((ln, i) => {
          const h = round * H + i;
          ln.head = h < n ? h : -1;
          ln.qi = ln.kvi = 0;
          ln.qOff = ln.kvOff = false;
          if (ln.head < 0) return;
          const j = job.heads[h]!;
          ln.q = beats(j.q, c.P, W);
          ln.qLast = ln.q.map((_, b) => j.qLast?.[b] ?? b === ln.q.length - 1);
          ln.kv = [];
          for (let t = 0; t < L; t++) {
            const kb = beats(j.k[t]!, c.P, W);
            const vb = beats(j.v[t]!, c.P, W);
            kb.forEach((k, b) => ln.kv.push({ data: (vb[b]! << BigInt(c.P * W)) | k, last: j.kvLast?.[ln.kv.length] ?? b === kb.length - 1 }));
          }
        });
      }
      set('start', started ? 0 : 1);
      set('cfg_mode', 0);
      set('cfg_len', job.cfgLen ?? L);
      set('cfg_heads', job.cfgHeads ?? n);
      started = true;
      const readies: boolean[] = [];
      lanes.forEach((ln, i) => {
        if (ln.head >= 0 && !ln.qOff && ln.qi < ln.q.length) ln.qOff = bp.rng.next() < bp.validProb;
        if (ln.head >= 0 && !ln.kvOff && ln.kvi < ln.kv.length) ln.kvOff = bp.rng.next() < bp.validProb;
        set(`q${i}_tvalid`, ln.qOff ? 1 : 0);
        set(`q${i}_tdata`, ln.qOff ? ln.q[ln.qi]! : 0n);
        set(`q${i}_tlast`, ln.qOff && ln.qLast[ln.qi] ? 1 : 0);
        set(`kv${i}_tvalid`, ln.kvOff ? 1 : 0);
        set(`kv${i}_tdata`, ln.kvOff ? ln.kv[ln.kvi]!.data : 0n);
        set(`kv${i}_tlast`, ln.kvOff && ln.kv[ln.kvi]!.last ? 1 : 0);
        readies.push(bp.rng.next() < bp.readyProb);
        set(`o${i}_tready`, readies[i] ? 1 : 0);
      });
      step();
      const fires = lanes.map((ln, i) => ({
        q: ln.qOff && sim.get(`q${i}_tready`).isTrue(),
        kv: ln.kvOff && sim.get(`kv${i}_tready`).isTrue(),
      }));
      lanes.forEach((ln, i) => {
        if (sim.get(`o${i}_tvalid`).isTrue() && readies[i]) {
          if (ln.head < 0) throw new Error(`lane ${i} produced output in a round without a head`);
          const word = sim.get(`o${i}_tdata`).bits;
          for (let e = 0; e < c.P; e++) o[ln.head]!.push(BigInt.asIntN(W, word >> BigInt(e * W)));
        }
      });
      const done = sim.get('done').isTrue();
      const error = sim.get('status_error').isTrue();
      const sat = Number(sim.get('status_sat').bits);
      if (cycles > 0 && error) errorCycles++;
      sim.tick();
      lanes.forEach((ln, i) => {
        if (fires[i]!.q) {
          ln.qi++;
          ln.qOff = false;
        }
        if (fires[i]!.kv) {
          ln.kvi++;
          ln.kvOff = false;
        }
      });
      if (done) {
        runs.push({ o, y: [], cycles, error, sat, errorCycles, firstRow, lastRow: rows.length - 1 });
        break;
      }
      cycles++;
    }
  }
  return { runs, rows, inputNames };

  function runGemvJob(spec: GemvJobSpec): MhaRun {
    const job = spec.gemv;
    const beatsOf = gemvBeats(job, H, c.P, group);
    const src = { x: { list: beatsOf.x, i: 0, off: false }, w: { list: beatsOf.w, i: 0, off: false }, s: { list: beatsOf.s, i: 0, off: false } };
    const y: bigint[] = [];
    let cycles = 0;
    let started = false;
    let errorCycles = 0;
    const firstRow = rows.length;
    for (;;) {
      if (cycles > maxCycles) throw new Error(`GEMV job did not finish within ${maxCycles} cycles (y rows ${y.length})`);
      set('start', started ? 0 : 1);
      set('cfg_mode', 1);
      set('cfg_int4', job.int4 ? 1 : 0);
      set('cfg_rows', spec.cfgRows ?? job.w.length);
      set('cfg_cols', spec.cfgCols ?? job.x.length);
      started = true;
      for (const [name, st] of Object.entries(src)) {
        if (!st.off && st.i < st.list.length) st.off = bp.rng.next() < bp.validProb;
        set(`${name}_tvalid`, st.off ? 1 : 0);
        set(`${name}_tdata`, st.off ? st.list[st.i]! : 0n);
      }
      const ready = bp.rng.next() < bp.readyProb;
      set('y_tready', ready ? 1 : 0);
      step();
      const fired = Object.fromEntries(Object.entries(src).map(([name, st]) => [name, st.off && sim.get(`${name}_tready`).isTrue()]));
      if (sim.get('y_tvalid').isTrue() && ready) y.push(sim.get('y_tdata').toBigInt());
      const done = sim.get('done').isTrue();
      const error = sim.get('status_error').isTrue();
      const sat = Number(sim.get('status_sat').bits);
      if (cycles > 0 && error) errorCycles++;
      sim.tick();
      for (const [name, st] of Object.entries(src)) {
        if (fired[name]) {
          st.i++;
          st.off = false;
        }
      }
      if (done) return { o: [], y, cycles, error, sat, errorCycles, firstRow, lastRow: rows.length - 1 };
      cycles++;
    }
  }
}
