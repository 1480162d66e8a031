/**
 * Renders the baseline lane job testbench (testbenches/baseline_job_tb.v.hbs): heads back to
 * back, several jobs without reset, seeded valid gaps and ready stalls. `split`: the native
 * lane's separate k and v streams (v read from a file of its own); otherwise the lane's kv.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export interface BaselineJobTbOptions {
  tbName: string;
  dut: string;
  /** Beats per vector (d / P). */
  B: number;
  /** Bits of one q, o, k or v beat: P * data width. */
  PW: number;
  /** Widths of cfg_len, cfg_heads and status_sat / o_tuser. */
  LW: number;
  HW: number;
  SW: number;
  /** q beats one job may hold (heads * B at most). */
  QMAX: number;
  /** Separate k and v streams (native attention). */
  split: boolean;
}

const template = Handlebars.compile(readFileSync(new URL('./baseline_job_tb.v.hbs', import.meta.url), 'utf8'), { noEscape: true, strict: true });

export function renderBaselineJobTestbench(o: BaselineJobTbOptions): string {
  for (const [k, v] of Object.entries({ B: o.B, PW: o.PW, LW: o.LW, HW: o.HW, SW: o.SW, QMAX: o.QMAX })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`baseline testbench ${k} = ${v}: accepted positive integers`);
  }
  return template(o);
}
