import { describe, it, expect } from 'vitest';
import { Simulator, qType } from '../../hdl/index.ts';
import { buildRecip } from './recip.ts';
import { laneConfig } from './config.ts';
import { recipMantissa, zLeadingOne } from './golden.ts';
import { makeRng } from '../../verify/rng.ts';
describe('recip', () => {
  for (const maxContext of [16384, 64, 1]) {
    it(`maxContext ${maxContext}`, () => {
      const c = laneConfig({ headDim: 16, pe: 4, maxContext });
      const f = c.formats;
      const { module, latency } = buildRecip(c);
      const sim = new Simulator(module);
      const rng = makeRng(maxContext);
      const zw = qType(f.z).width;
      const lo = 1n << BigInt(f.z.fracBits - 1);
      const hi = (1n << BigInt(zw)) - 1n;
      const zs: bigint[] = [lo, lo + 1n, hi, 1n << BigInt(f.z.fracBits), (1n << BigInt(zw - 1)), ((1n << BigInt(zw - 1)) + 1n)];
      for (let i = 0; i < 300; i++) { const bits = rng.int(f.z.fracBits - 1, zw - 1); let z = 1n << BigInt(bits); for (let k = 0; k < bits; k++) if (rng.next() < 0.5) z |= 1n << BigInt(k); zs.push(z); }
      sim.set('rst', 1); sim.tick(); sim.set('rst', 0);
      const got: string[] = [];
      let i = 0; let cyc = 0; let tIn = -1; let tOut = -1;
      while (got.length < zs.length && cyc < 20000) {
        const send = i < zs.length && (cyc % 3 === 0);
        sim.set('in_valid', send ? 1 : 0);
        if (send) { sim.set('z', zs[i]!); sim.set('bank', i % 2); if (i === 0) tIn = cyc; }
        if (sim.get('out_valid').isTrue()) { got.push(`${sim.get('r_m').toBigInt()}/${sim.get('lead').toBigInt()}/${sim.get('out_bank').toBigInt()}`); if (tOut < 0) tOut = cyc; }
        expect(sim.get('overflow').isTrue()).toBe(false);
        sim.tick(); cyc++;
        if (send) i++;
        // Keep at most two in the queue.
        if (i - got.length >= 2) { while (!sim.get('out_valid').isTrue()) { sim.set('in_valid', 0); sim.tick(); cyc++; } }
      }
      expect(got).toEqual(zs.map((z, k) => `${recipMantissa(z, f)}/${zLeadingOne(z) - f.zLead.min}/${k % 2}`));
      expect(tOut - tIn).toBe(latency + 1);
    });
  }
});
