/**
 * Drives a lane the way its environment does: valid/ready sources for q and KV that hold a
 * beat until it is taken (AXI rule), a sink for o with a random tready, start/cfg_len control.
 * Runs on the TypeScript simulator and records the input applied at every cycle, so the same
 * cycle-exact stimulus can be replayed on Verilator and Icarus (verify/harness.ts).
 */
import { Simulator, type Module } from '../../hdl/index.ts';
import type { Rng } from '../rng.ts';
import type { LaneConfig } from '../../generators/swiftkv/config.ts';

export interface LaneJob {
  /** Raw data-format values: q[d], k[L][d], v[L][d]. */
  q: readonly bigint[];
  k: readonly (readonly bigint[])[];
  v: readonly (readonly bigint[])[];
  /** Override of kv_tlast per beat (tests of the tlast check); default: last beat of each token. */
  kvLast?: readonly boolean[];
  /** Override of q_tlast per beat (tests of the tlast check); default: the last beat. */
  qLast?: readonly boolean[];
}

export interface Backpressure {
  rng: Rng;
  /** Probability that an idle source offers its next beat in a cycle (1: always). */
  validProb: number;
  /** Probability that the o sink is ready in a cycle (1: always). */
  readyProb: number;
}

export interface LaneRun {
  o: bigint[];
  /** Cycles from the cycle start is high to the cycle done is high. */
  cycles: number;
  error: boolean;
  /** status_sat at done (saturation.ts). */
  sat: number;
  /** Input rows per cycle, in the order of the lane's non-clock inputs. */
  rows: bigint[][];
  inputNames: string[];
}

function packBeat(values: readonly bigint[], width: number): bigint {
  let w = 0n;
  for (let i = values.length - 1; i >= 0; i--) w = (w << BigInt(width)) | BigInt.asUintN(width, values[i]!);
  return w;
}

/** Beats of a vector: B words of P elements. */
export function beats(vec: readonly bigint[], P: number, width: number): bigint[] {
  const out: bigint[] = [];
  for (let j = 0; j < vec.length; j += P) out.push(packBeat(vec.slice(j, j + P), width));
  return out;
}

export function runLaneTs(m: Module, c: LaneConfig, jobs: readonly LaneJob[], bp: Backpressure, maxCycles = 10_000_000): LaneRun[] {
  const W = c.W;
  const sim = new Simulator(m);
  const inputNames = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
  const results: LaneRun[] = [];
  const rows: bigint[][] = [];
  const values = new Map<string, bigint>(inputNames.map((n) => [n, 0n]));
  const set = (n: string, v: bigint | number): void => void values.set(n, BigInt(v));
  const step = (): void => {
    for (const n of inputNames) sim.set(n, values.get(n)!); // raw, non-negative bits
    rows.push(inputNames.map((n) => values.get(n)!));
  };
  // Reset for one cycle.
  set('rst', 1);
  step();
  sim.tick();
  set('rst', 0);
  for (const job of jobs) {
    rows.length = 0;
    const L = job.k.length;
    const qBeats = beats(job.q, c.P, W);
    const kvBeats: { data: bigint; last: boolean }[] = [];
    for (let t = 0; t < L; t++) {
      const kb = beats(job.k[t]!, c.P, W);
      const vb = beats(job.v[t]!, c.P, W);
      kb.forEach((k, j) => kvBeats.push({ data: (vb[j]! << BigInt(c.P * W)) | k, last: job.kvLast?.[kvBeats.length] ?? j === kb.length - 1 }));
    }
    let qi = 0;
    let kvi = 0;
    let qOffered = false;
    let kvOffered = false;
    const o: bigint[] = [];
    let cycles = 0;
    let started = false;
    for (;;) {
      if (cycles > maxCycles) throw new Error(`lane did not finish within ${maxCycles} cycles (q beat ${qi}, kv beat ${kvi}, o beats ${o.length / c.P})`);
      set('start', started ? 0 : 1);
      set('cfg_len', L);
      // One head per job (the lane's cfg_heads; lane-job.rtl.ts drives several).
      if (values.has('cfg_heads')) set('cfg_heads', 1);
      started = true;
      if (!qOffered && qi < qBeats.length) qOffered = bp.rng.next() < bp.validProb;
      if (!kvOffered && kvi < kvBeats.length) kvOffered = bp.rng.next() < bp.validProb;
      set('q_tvalid', qOffered ? 1 : 0);
      set('q_tdata', qOffered ? qBeats[qi]! : 0n);
      set('q_tlast', qOffered && (job.qLast?.[qi] ?? qi === qBeats.length - 1) ? 1 : 0);
      set('kv_tvalid', kvOffered ? 1 : 0);
      set('kv_tdata', kvOffered ? kvBeats[kvi]!.data : 0n);
      set('kv_tlast', kvOffered && kvBeats[kvi]!.last ? 1 : 0);
      const oReady = bp.rng.next() < bp.readyProb;
      set('o_tready', oReady ? 1 : 0);
      step();
      const qFire = qOffered && sim.get('q_tready').isTrue();
      const kvFire = kvOffered && sim.get('kv_tready').isTrue();
      if (sim.get('o_tvalid').isTrue() && oReady) {
        const word = sim.get('o_tdata').bits;
        for (let i = 0; i < c.P; i++) o.push(BigInt.asIntN(W, word >> BigInt(i * W)));
      }
      const done = sim.get('done').isTrue();
      const error = sim.get('status_error').isTrue();
      const sat = Number(sim.get('status_sat').bits);
      sim.tick();
      if (qFire) {
        qi++;
        qOffered = false;
      }
      if (kvFire) {
        kvi++;
        kvOffered = false;
      }
      if (done) {
        results.push({ o, cycles, error, sat, rows: rows.map((r) => [...r]), inputNames });
        break;
      }
      cycles++;
    }
  }
  return results;
}
