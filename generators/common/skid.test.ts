/**
 * The registered stream slice: every accepted beat comes out once, in order, a beat per cycle
 * when both sides are always willing, never a beat that a flush dropped; and the emitted RTL
 * equals the TypeScript model on every output of every cycle (Verilator, Icarus). A narrow
 * slice and a wide one (its words in chunk modules) with random valid gaps, ready stalls and
 * flush pulses.
 */
import { describe, expect, it } from 'vitest';
import { u } from '../../hdl/index.ts';
import { buildSkid } from './skid.ts';
import { simulateInTs, differential } from '../../verify/harness.ts';
import { makeRng } from '../../verify/rng.ts';

function stimulus(width: number, cycles: number, seed: number, flushes: boolean): bigint[][] {
  const rng = makeRng(seed);
  // Inputs in port order: rst, in_tvalid, in_tdata, in_tlast, out_tready, flush.
  const rows: bigint[][] = [[1n, 0n, 0n, 0n, 0n, 0n]];
  for (let c = 0; c < cycles; c++) {
    const valid = rng.next() < 0.7 ? 1n : 0n;
    rows.push([0n, valid, rng.bits(width), rng.next() < 0.3 ? 1n : 0n, rng.next() < 0.6 ? 1n : 0n, flushes && rng.next() < 0.03 ? 1n : 0n]);
  }
  return rows;
}

for (const width of [40, 5000]) {
  describe(`skid slice, ${width} bits${width > 4096 ? ' (words in chunk modules)' : ''}`, () => {
    const m = buildSkid(u(width), { last: true, flush: true });
    const ins = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk').map((p) => p.name);
    const outs = m.portInfo().filter((p) => p.direction === 'output').map((p) => p.name);

    it('port order is the one the stimulus assumes', () => {
      expect(ins).toEqual(['rst', 'in_tvalid', 'in_tdata', 'in_tlast', 'out_tready', 'flush']);
    });

    it('passes every accepted beat once and in order (TypeScript model), a beat per cycle when always ready', () => {
      const seed = 7100 + width;
      const rows = stimulus(width, 400, seed, false);
      const got = simulateInTs(m, rows, ins, outs);
      const o = (name: string, c: number): bigint => got[c]![outs.indexOf(name)]!;
      const sent: string[] = [];
      const received: string[] = [];
      rows.forEach((r, c) => {
        if (r[1] === 1n && o('in_tready', c) === 1n) sent.push(`${r[2]!.toString(16)}/${r[3]}`);
        if (o('out_tvalid', c) === 1n && r[4] === 1n) received.push(`${o('out_tdata', c).toString(16)}/${o('out_tlast', c)}`);
      });
      expect(sent.length, `seed ${seed}: beats accepted`).toBeGreaterThan(100);
      // Beats still inside at the end (at most two) are not out yet.
      expect(sent.length - received.length).toBeLessThanOrEqual(2);
      expect(received, `seed ${seed}: beats out, in order`).toEqual(sent.slice(0, received.length));
      // Always valid and ready: a beat every cycle after the first.
      const full = [[1n, 0n, 0n, 0n, 0n, 0n], ...Array.from({ length: 20 }, (_, k) => [0n, 1n, BigInt(k), 0n, 1n, 0n])];
      const f = simulateInTs(m, full, ins, outs);
      const fired = f.filter((row, c) => c >= 2 && row[outs.indexOf('out_tvalid')] === 1n).length;
      expect(fired).toBe(19);
    });

    it(`RTL equals the TypeScript model every cycle with flush pulses (Verilator, Icarus), seed ${7200 + width}`, async () => {
      const seed = 7200 + width;
      const rows = stimulus(width, 300, seed, true);
      const dataPorts = ['out_tdata', 'out_tlast'];
      const r = await differential(m, rows, {
        label: `skid ${width}`,
        seed,
        clock: 'clk',
        ignoreBefore: 1,
        dontCare: (port, out) => dataPorts.includes(port) && out.get('out_tvalid') === 0n,
      });
      expect(r.cycles).toBe(rows.length);
    }, 300_000);
  });
}
