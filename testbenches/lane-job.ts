/** Renders the SwiftKV lane job testbench (testbenches/lane_job_tb.v.hbs): heads back to back. */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export interface LaneJobTbOptions {
  tbName: string;
  dut: string;
  /** Beats per vector (d / P). */
  B: number;
  /** Bits of one q, o or k beat: P * data width. */
  PW: number;
  /** Widths of cfg_len, cfg_heads and status_sat / o_tuser. */
  LW: number;
  HW: number;
  SW: number;
  /** q beats one job may hold (heads * B at most). */
  QMAX: number;
  /** The lane has the gemv_* tile ports (tied off): their widths. */
  gemvTiles?: number;
}

const template = Handlebars.compile(readFileSync(new URL('./lane_job_tb.v.hbs', import.meta.url), 'utf8'), { noEscape: true, strict: true });

export function renderLaneJobTestbench(o: LaneJobTbOptions): string {
  for (const [k, v] of Object.entries({ B: o.B, PW: o.PW, LW: o.LW, HW: o.HW, SW: o.SW, QMAX: o.QMAX })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`lane testbench ${k} = ${v}: accepted positive integers`);
  }
  const t = o.gemvTiles ?? 0;
  return template({ ...o, gemv: t > 0, TILES27: 27 * t, TILES18: 18 * t, TILES48: 48 * t });
}
