/**
 * Drives the MHA top on the TypeScript simulator: per-lane q/KV sources and o sinks with
 * random valid gaps and ready stalls, serving in each round the heads the `round` output
 * names. Records the input of every cycle for a cycle-exact replay on Verilator or Icarus.
 */
import { Simulator, Value, type Module } from '../../hdl/index.ts';
import type { Backpressure, LaneJob } from './lane.driver.ts';
import { beats } from './lane.driver.ts';
import type { LaneConfig } from './lane.ts';

export interface MhaJob {
  /** One job per head (all with the same L). */
  heads: LaneJob[];
}

export interface MhaRun {
  /** o per head. */
  o: bigint[][];
  cycles: number;
  error: boolean;
}

export function runMhaTs(m: Module, c: LaneConfig, H: number, jobs: readonly MhaJob[], bp: Backpressure, maxCycles = 2_000_000): { runs: MhaRun[]; rows: bigint[][]; inputNames: string[] } {
  const W = c.formats.data.intBits + c.formats.data.fracBits;
  const sim = new Simulator(m);
  const inputs = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk');
  const inputNames = inputs.map((p) => p.name);
  const values = new Map<string, bigint>(inputNames.map((n) => [n, 0n]));
  const rows: bigint[][] = [];
  const set = (n: string, v: bigint | number): void => void values.set(n, BigInt(v));
  const step = (): void => {
    for (const p of inputs) sim.set(p.name, Value.wrap(values.get(p.name)!, p));
    rows.push(inputNames.map((n) => values.get(n)!));
  };
  set('rst', 1);
  step();
  sim.tick();
  set('rst', 0);
  const runs: MhaRun[] = [];
  for (const job of jobs) {
    const n = job.heads.length;
    const L = job.heads[0]!.k.length;
    const o: bigint[][] = job.heads.map(() => []);
    // Per lane: the beats of its current head, and progress.
    const lanes = Array.from({ length: H }, () => ({ head: -1, q: [] as bigint[], kv: [] as { data: bigint; last: boolean }[], qi: 0, kvi: 0, qOff: false, kvOff: false }));
    let cycles = 0;
    let started = false;
    let lastRound = -1;
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
          ln.kv = [];
          for (let t = 0; t < L; t++) {
            const kb = beats(j.k[t]!, c.P, W);
            const vb = beats(j.v[t]!, c.P, W);
            kb.forEach((k, b) => ln.kv.push({ data: (vb[b]! << BigInt(c.P * W)) | k, last: b === kb.length - 1 }));
          }
        });
      }
      set('start', started ? 0 : 1);
      set('cfg_len', L);
      set('cfg_heads', n);
      started = true;
      const readies: boolean[] = [];
      lanes.forEach((ln, i) => {
        if (ln.head >= 0 && !ln.qOff && ln.qi < ln.q.length) ln.qOff = bp.rng.next() < bp.validProb;
        if (ln.head >= 0 && !ln.kvOff && ln.kvi < ln.kv.length) ln.kvOff = bp.rng.next() < bp.validProb;
        set(`q${i}_tvalid`, ln.qOff ? 1 : 0);
        set(`q${i}_tdata`, ln.qOff ? ln.q[ln.qi]! : 0n);
        set(`q${i}_tlast`, ln.qOff && ln.qi === ln.q.length - 1 ? 1 : 0);
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
        runs.push({ o, cycles, error });
        break;
      }
      cycles++;
    }
  }
  return { runs, rows, inputNames };
}
