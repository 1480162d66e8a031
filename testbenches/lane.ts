/** Renders the SwiftKV lane stream testbench (testbenches/lane_tb.v.hbs). */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export interface LaneTbOptions {
  tbName: string;
  dut: string;
  /** Beats per token (d / P). */
  B: number;
  /** Bits of one q, o or k beat: P * data width. */
  PW: number;
  /** Width of cfg_len. */
  LW: number;
  /** Width of status_sat. */
  SW: number;
  /** The lane has the PE override ports of GEMV support (tied off here). */
  gemv: boolean;
}

const template = Handlebars.compile(readFileSync(new URL('./lane_tb.v.hbs', import.meta.url), 'utf8'), { noEscape: true, strict: true });

export function renderLaneTestbench(o: LaneTbOptions): string {
  for (const [k, v] of Object.entries({ B: o.B, PW: o.PW, LW: o.LW, SW: o.SW })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`lane testbench ${k} = ${v}: accepted positive integers`);
  }
  return template(o);
}
