import { describe, it, expect } from 'vitest';
import { Simulator } from '../../hdl/index.ts';
import { buildLane, laneCycles } from './lane.ts';
import { goldenAttention } from './golden.ts';
import { packValues, unpackValues } from '../common/packing.ts';
import { makeJob, dataKinds } from '../../verify/swiftkv/stimulus.ts';
import { makeRng } from '../../verify/rng.ts';

function runLane(d: number, P: number, rescale: 'multiply' | 'shift', L: number, nHeads: number, vprob: number, rprob: number, seed: number) {
  const { module, config: c, timing } = buildLane({ headDim: d, pe: P, rescale, maxContext: 256 }, { maxHeads: 8 });
  const rng = makeRng(seed);
  const heads = Array.from({ length: nHeads }, (_, h) => makeJob(dataKinds[(h + seed) % dataKinds.length]!, d, L, rng, { frac: 17, width: 32 }));
  const sim = new Simulator(module);
  sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
  const qBeats: { data: bigint; last: boolean }[] = [];
  const kvBeats: { data: bigint; last: boolean }[] = [];
  for (const h of heads) {
    for (let b = 0; b < c.B; b++) qBeats.push({ data: packValues(h.q.slice(b * P, b * P + P), 32), last: b === c.B - 1 });
    for (let t = 0; t < L; t++) for (let b = 0; b < c.B; b++) kvBeats.push({ data: (packValues(h.v[t]!.slice(b * P, b * P + P), 32) << BigInt(32 * P)) | packValues(h.k[t]!.slice(b * P, b * P + P), 32), last: b === c.B - 1 });
  }
  let qi = 0, ki = 0, qOff = false, kOff = false, cyc = 0;
  const o: bigint[][] = [[]];
  const masks: number[] = [];
  sim.set('start', 1); sim.set('cfg_len', L); sim.set('cfg_heads', nHeads);
  let doneAt = -1;
  while (cyc < 200000) {
    if (!qOff && qi < qBeats.length) qOff = rng.next() * 100 < vprob;
    if (!kOff && ki < kvBeats.length) kOff = rng.next() * 100 < vprob;
    sim.set('q_tvalid', qOff ? 1 : 0); sim.set('q_tdata', qOff ? qBeats[qi]!.data : 0n); sim.set('q_tlast', qOff && qBeats[qi]!.last ? 1 : 0);
    sim.set('kv_tvalid', kOff ? 1 : 0); sim.set('kv_tdata', kOff ? kvBeats[ki]!.data : 0n); sim.set('kv_tlast', kOff && kvBeats[ki]!.last ? 1 : 0);
    const rdy = rng.next() * 100 < rprob;
    sim.set('o_tready', rdy ? 1 : 0);
    const qf = qOff && sim.get('q_tready').isTrue();
    const kf = kOff && sim.get('kv_tready').isTrue();
    if (rdy && sim.get('o_tvalid').isTrue()) {
      o.at(-1)!.push(...unpackValues(sim.get('o_tdata').bits, P, 32, true));
      if (sim.get('o_tlast').isTrue()) { masks.push(Number(sim.get('o_tuser').toBigInt())); o.push([]); }
    }
    const done = sim.get('done').isTrue();
    const err = sim.get('status_error').isTrue();
    sim.tick();
    if (cyc === 0) sim.set('start', 0);
    if (qf) { qi++; qOff = false; }
    if (kf) { ki++; kOff = false; }
    if (done) { doneAt = cyc; expect(err).toBe(false); break; }
    cyc++;
  }
  o.pop();
  const want = heads.map((h) => goldenAttention(h.q, h.k, h.v, { rescale, maxContext: 256 }));
  return { o, masks, want, cycles: doneAt, timing, c };
}

describe('new lane', () => {
  for (const [d, P, rescale] of [[16, 4, 'multiply'], [16, 16, 'shift'], [16, 1, 'multiply'], [32, 4, 'shift']] as const) {
    for (const [L, n, vp, rp] of [[1, 1, 100, 100], [1, 5, 100, 100], [2, 4, 100, 100], [5, 3, 100, 100], [17, 3, 100, 100], [17, 3, 60, 50]] as const) {
      it(`d=${d} P=${P} ${rescale} L=${L} heads=${n} valid=${vp} ready=${rp}`, () => {
        const r = runLane(d, P, rescale, L, n, vp, rp, d + P + L);
        expect(r.o.length).toBe(n);
        r.want.forEach((w, h) => expect(r.o[h], `head ${h}`).toEqual(w.o));
        expect(r.masks).toEqual(r.want.map((w) => w.sat));
        if (vp === 100 && rp === 100) expect(r.cycles, 'cycles').toBe(laneCycles(r.timing, L, n));
        else expect(r.cycles).toBeGreaterThanOrEqual(laneCycles(r.timing, L, n));
        console.log(d, P, rescale, L, n, 'cycles', r.cycles, 'model', laneCycles(r.timing, L, n), 'II', r.timing.interval);
      });
    }
  }
});
