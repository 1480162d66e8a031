/** Seeded random stimulus for the block-level differential runs (blocks.test.ts, mutation.test.ts). */
import type { Module } from '../../hdl/index.ts';
import type { Rng } from '../rng.ts';

/** Random stimulus with a reset first, start pulses now and then, exp2 inputs <= 0, Z >= 1/2. */
export function blockRows(m: Module, cycles: number, rng: Rng): bigint[][] {
  const ins = m.portInfo().filter((p) => p.direction === 'input' && p.name !== 'clk');
  return Array.from({ length: cycles }, (_, c) =>
    ins.map((p) => {
      if (p.name === 'rst') return c < 2 ? 1n : 0n;
      if (p.name === 'x') return BigInt.asUintN(32, -rng.bits(20));
      if (p.name === 'start' || p.name === 'clear') return rng.next() < 0.02 ? 1n : 0n;
      if (p.name === 'z') return (1n << 30n) + rng.bits(35);
      return rng.bits(p.width);
    }),
  );
}

