import { describe, it, expect } from 'vitest';
import { Simulator } from '../../hdl/index.ts';
import { buildMha, gemvCycles } from './mha.ts';
import { packWeights, unpackChunk, GEMV_CHUNK } from './gemv.ts';
import { makeRng } from '../../verify/rng.ts';
import { gemvGolden, gemvBeats, randomGemvJob } from './gemv.golden.ts';

describe('GEMV unpacking', () => {
  it('every (w, x) pair in each field, and chunks of 8 extreme products, unpack exactly', () => {
    for (const [lo, hi] of [[-128, 127], [-8, 7]]) {
      for (let w = lo; w <= hi; w++) for (let x = -128; x <= 127; x++) {
        for (const [w0, w1] of [[w, 0], [0, w], [w, w], [w, -w - 1 >= lo ? -w - 1 : lo]]) {
          const p = packWeights(BigInt(w0!), BigInt(w1!)) * BigInt(x);
          const [s0, s1] = unpackChunk(p);
          if (s0 !== BigInt(w0! * x) || s1 !== BigInt(w1! * x)) throw new Error(`w0=${w0} w1=${w1} x=${x}: (${s0}, ${s1})`);
        }
      }
    }
    for (const [a, b] of [[16384, 16384], [-16256, -16256], [16384, -16256], [-16256, 16384]]) {
      const p = (BigInt(b!) * (1n << 18n) + BigInt(a!)) * BigInt(GEMV_CHUNK);
      expect(unpackChunk(p)).toEqual([BigInt(a! * GEMV_CHUNK), BigInt(b! * GEMV_CHUNK)]);
    }
  });
});

// Sources show the next beat's tdata while tvalid is low (zeros, shown here before, hid tiles
// that kept multiplying in stalled MAC cycles; fixed in 0f849ef).
describe('GEMV on the MHA top', () => {
  for (const [H, P, G, M, N, int4, extreme, vp, rp] of [[1, 4, 8, 20, 16, 0, 0, 100, 100], [1, 4, 16, 20, 16, 1, 0, 100, 100], [1, 1, 8, 70, 16, 0, 0, 100, 100], [1, 1, 16, 61, 64, 1, 0, 100, 100], [2, 1, 8, 100, 24, 0, 1, 100, 100], [1, 1, 8, 70, 40, 1, 0, 50, 40], [2, 4, 16, 40, 32, 0, 0, 100, 100], [1, 4, 8, 20, 16, 1, 0, 100, 100], [2, 4, 16, 130, 48, 0, 1, 100, 100], [3, 1, 8, 50, 24, 1, 1, 70, 60], [2, 4, 32, 77, 64, 0, 0, 60, 50]] as const) {
    it(`H=${H} P=${P} G=${G} M=${M} N=${N} ${int4 ? 'INT4' : 'INT8'}${extreme ? ' extreme' : ''} valid=${vp} ready=${rp}`, () => {
      const { module, tiles: T } = buildMha({ lane: { headDim: 16, pe: P, maxContext: 16 }, heads: H, maxHeads: 4, gemv: { group: G, maxCols: 64 } });
      const rng = makeRng(M * 7 + N);
      const job = randomGemvJob(rng, { int4: int4 === 1, M, N, G, data: extreme === 1 ? 'extreme' : 'random' });
      const want = gemvGolden(job, G);
      const b = { ...gemvBeats(job, { H, T, G }), R: 2 * T * H };
      const sim = new Simulator(module);
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      const src = { x: { l: b.x, i: 0, o: false }, w: { l: b.w, i: 0, o: false }, s: { l: b.s, i: 0, o: false } };
      const ys: bigint[][] = Array.from({ length: H }, () => []);
      const lasts: number[][] = Array.from({ length: H }, () => []);
      sim.set('start', 1); sim.set('cfg_mode', 1); sim.set('cfg_int4', int4); sim.set('cfg_rows', M); sim.set('cfg_cols', N);
      let cyc = 0; let doneAt = -1;
      while (cyc < 100000) {
        for (const [nm, st] of Object.entries(src)) {
          if (!st.o && st.i < st.l.length) st.o = rng.next() * 100 < vp;
          // tdata is don't-care while tvalid is low: show the next beat (zeros would hide a
          // datapath that uses data without valid).
          sim.set(`${nm}_tvalid`, st.o ? 1 : 0); sim.set(`${nm}_tdata`, st.l[Math.min(st.i, st.l.length - 1)]!);
        }
        const rdy: boolean[] = [];
        for (let i = 0; i < H; i++) { const r = rng.next() * 100 < rp; rdy.push(r); sim.set(`y${i}_tready`, r ? 1 : 0); }
        const fired = Object.fromEntries(Object.entries(src).map(([nm, st]) => [nm, st.o && sim.get(`${nm}_tready`).isTrue()]));
        for (let i = 0; i < H; i++) if (rdy[i] && sim.get(`y${i}_tvalid`).isTrue()) {
          const bits = sim.get(`y${i}_tdata`).bits;
          const keep = Number(sim.get(`y${i}_tkeep`).bits);
          for (let k = 0; k < 4; k++) if ((keep >> k) & 1) ys[i]!.push(BigInt.asIntN(48, bits >> BigInt(48 * k)));
          if (sim.get(`y${i}_tlast`).isTrue()) lasts[i]!.push(ys[i]!.length);
        }
        const done = sim.get('done').isTrue();
        const err = sim.get('status_error').isTrue();
        sim.tick();
        if (cyc === 0) sim.set('start', 0);
        for (const [nm, st] of Object.entries(src)) if (fired[nm]) { st.i++; st.o = false; }
        if (done) { doneAt = cyc; expect(err).toBe(false); break; }
        cyc++;
      }
      expect(doneAt).toBeGreaterThan(0);
      // Reassemble rows: pass p, lane i, local row k -> p*R + i*2T + k.
      const got: bigint[] = new Array(M);
      for (let i = 0; i < H; i++) {
        let k = 0;
        for (let p = 0; p < b.passes; p++) {
          const mine = Math.max(0, Math.min(2 * T, M - p * b.R - i * 2 * T));
          for (let r = 0; r < mine; r++) got[p * b.R + i * 2 * T + r] = ys[i]![k++]!;
        }
        expect(k, `lane ${i} rows`).toBe(ys[i]!.length);
        expect(lasts[i]!, `lane ${i} tlast`).toEqual(ys[i]!.length > 0 ? [ys[i]!.length] : []);
      }
      expect(got).toEqual(want);
      const model = gemvCycles({ M, N, G, T, H });
      if (vp === 100 && rp === 100) expect(doneAt, 'cycles').toBe(model);
      else expect(doneAt).toBeGreaterThanOrEqual(model);
      console.log(`H=${H} P=${P} T=${T} M=${M} N=${N} G=${G}: ${doneAt} cycles (model ${model}), passes ${b.passes}`);
    });
  }
});
