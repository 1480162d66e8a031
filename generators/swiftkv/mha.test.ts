import { describe, it, expect } from 'vitest';
import { Simulator } from '../../hdl/index.ts';
import { buildMha, mhaAttentionCycles, laneHeadCount } from './mha.ts';
import { goldenAttention } from './golden.ts';
import { packValues, unpackValues } from '../common/packing.ts';
import { makeJob, dataKinds } from '../../verify/swiftkv/stimulus.ts';
import { makeRng } from '../../verify/rng.ts';

describe('new MHA top', () => {
  for (const [H, d, P, nHeads, L, vp, rp] of [[3, 16, 4, 5, 3, 100, 100], [2, 16, 16, 4, 9, 100, 100], [3, 16, 4, 7, 5, 70, 60], [4, 16, 8, 2, 4, 100, 100]] as const) {
    it(`H=${H} d=${d} P=${P} nHeads=${nHeads} L=${L} valid=${vp} ready=${rp}`, () => {
      const { module, lane: c, timing } = buildMha({ lane: { headDim: d, pe: P, maxContext: 64 }, heads: H, maxHeads: 16, gemv: { group: 16, maxCols: 64 } });
      const rng = makeRng(H * 100 + nHeads);
      const jobs = Array.from({ length: nHeads }, (_, h) => makeJob(dataKinds[h % dataKinds.length]!, d, L, rng, { frac: 17, width: 32 }));
      const want = jobs.map((j) => goldenAttention(j.q, j.k, j.v, { maxContext: 64 }));
      const sim = new Simulator(module);
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      const lanes = Array.from({ length: H }, (_, i) => {
        const heads = Array.from({ length: laneHeadCount(nHeads, H, i) }, (_, k) => i + k * H);
        const q: { d: bigint; l: boolean }[] = [];
        const kv: { d: bigint; l: boolean }[] = [];
        for (const h of heads) {
          const j = jobs[h]!;
          for (let b = 0; b < c.B; b++) q.push({ d: packValues(j.q.slice(b * P, b * P + P), 32), l: b === c.B - 1 });
          for (let t = 0; t < L; t++) for (let b = 0; b < c.B; b++) kv.push({ d: (packValues(j.v[t]!.slice(b * P, b * P + P), 32) << BigInt(32 * P)) | packValues(j.k[t]!.slice(b * P, b * P + P), 32), l: b === c.B - 1 });
        }
        return { heads, q, kv, qi: 0, ki: 0, qo: false, ko: false, o: [[]] as bigint[][], masks: [] as number[] };
      });
      sim.set('start', 1); sim.set('cfg_mode', 0); sim.set('cfg_len', L); sim.set('cfg_heads', nHeads);
      let cyc = 0; let doneAt = -1;
      while (cyc < 100000) {
        const fires: [boolean, boolean][] = [];
        const rdys: boolean[] = [];
        lanes.forEach((ln, i) => {
          if (!ln.qo && ln.qi < ln.q.length) ln.qo = rng.next() * 100 < vp;
          if (!ln.ko && ln.ki < ln.kv.length) ln.ko = rng.next() * 100 < vp;
          sim.set(`q${i}_tvalid`, ln.qo ? 1 : 0); sim.set(`q${i}_tdata`, ln.qo ? ln.q[ln.qi]!.d : 0n); sim.set(`q${i}_tlast`, ln.qo && ln.q[ln.qi]!.l ? 1 : 0);
          sim.set(`kv${i}_tvalid`, ln.ko ? 1 : 0); sim.set(`kv${i}_tdata`, ln.ko ? ln.kv[ln.ki]!.d : 0n); sim.set(`kv${i}_tlast`, ln.ko && ln.kv[ln.ki]!.l ? 1 : 0);
          const r = rng.next() * 100 < rp; rdys.push(r); sim.set(`o${i}_tready`, r ? 1 : 0);
        });
        lanes.forEach((ln, i) => {
          fires.push([ln.qo && sim.get(`q${i}_tready`).isTrue(), ln.ko && sim.get(`kv${i}_tready`).isTrue()]);
          if (rdys[i] && sim.get(`o${i}_tvalid`).isTrue()) {
            ln.o.at(-1)!.push(...unpackValues(sim.get(`o${i}_tdata`).bits, P, 32, true));
            if (sim.get(`o${i}_tlast`).isTrue()) { ln.masks.push(Number(sim.get(`o${i}_tuser`).toBigInt())); ln.o.push([]); }
          }
        });
        const done = sim.get('done').isTrue();
        const err = sim.get('status_error').isTrue();
        sim.tick();
        if (cyc === 0) sim.set('start', 0);
        lanes.forEach((ln, i) => { if (fires[i]![0]) { ln.qi++; ln.qo = false; } if (fires[i]![1]) { ln.ki++; ln.ko = false; } });
        if (done) { doneAt = cyc; expect(err).toBe(false); break; }
        cyc++;
      }
      lanes.forEach((ln) => {
        ln.o.pop();
        expect(ln.o.length).toBe(ln.heads.length);
        ln.heads.forEach((h, k) => { expect(ln.o[k], `head ${h}`).toEqual(want[h]!.o); expect(ln.masks[k]).toBe(want[h]!.sat); });
      });
      if (vp === 100 && rp === 100) expect(doneAt).toBe(mhaAttentionCycles(timing, H, nHeads, L));
      else expect(doneAt).toBeGreaterThanOrEqual(mhaAttentionCycles(timing, H, nHeads, L));
    });
  }
});
