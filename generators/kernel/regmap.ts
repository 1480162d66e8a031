/**
 * The kernel's AXI4-Lite register map (`s_axi_control`), in one place: the register file
 * (axil-regs.ts), the host driver (verify/kernel/host.ts), kernel.xml (flow/kernel-handoff.ts) and
 * the documentation all read it.
 *
 *   0x00  control   bit 0 ap_start (write 1; cleared by the kernel when it takes the job),
 *                   bit 1 ap_done (clear on read), bit 2 ap_idle, bit 3 ap_ready (clear on
 *                   read), bit 4 ap_continue (ap_ctrl_chain: write 1 after seeing ap_done;
 *                   reads 0), bit 7 auto_restart (reads 0: not supported)
 *   0x04  GIE       bit 0 global interrupt enable
 *   0x08  IER       bit 0 ap_done interrupt enable, bit 1 ap_ready interrupt enable
 *   0x0C  ISR       bit 0 ap_done, bit 1 ap_ready; a 1 written toggles the bit
 *   0x10  arguments: 32-bit scalars, then 64-bit buffer addresses (low word first)
 *   after the arguments, read-only: status (error code [7:0], flags), the saturation mask of
 *   the last job, and its cycles from ap_start taken to ap_done
 */

export const CTRL = { control: 0x00, gie: 0x04, ier: 0x08, isr: 0x0c } as const;
export const CTRL_BITS = { start: 0, done: 1, idle: 2, ready: 3, continue: 4, autoRestart: 7 } as const;

export type ArgKind = 'scalar' | 'pointer';

export interface ArgSpec {
  readonly name: string;
  readonly kind: ArgKind;
  /** Byte offset in s_axi_control. */
  readonly offset: number;
  /** Bytes: 4 (scalar) or 8 (pointer). */
  readonly size: 4 | 8;
  /** The m_axi master a pointer's buffer is read or written through. */
  readonly master?: string;
  readonly doc: string;
}

export interface RegMap {
  readonly args: readonly ArgSpec[];
  /** Read-only: status (error code, flags), saturation mask, cycles of the last job. */
  readonly status: number;
  readonly sat: number;
  readonly cycles: number;
  /** Address bits of s_axi_control. */
  readonly addrBits: number;
}

/** Job kinds (argument `kind`). */
export const JOB = { attention: 0, gemv: 1, decode: 2 } as const;

/**
 * Error codes (status bits [7:0]); 0 = no error. A job whose arguments fail a check reads and
 * writes no memory: it ends right after the check with ap_done.
 */
export const ERROR = {
  none: 0,
  kind: 1,
  heads: 2,
  len: 3,
  cap: 4,
  rows: 5,
  cols: 6,
  misaligned: 7,
  overlap: 8,
  pos: 9,
} as const;
export type ErrorName = keyof typeof ERROR;

/** Status flags (status bit positions above the error code). */
export const STATUS_FLAG = {
  /** A read or write response was not OKAY, or RLAST came out of place. */
  axiError: 8,
  /** The array raised status_error (a stream out of step: a kernel bug). */
  arrayError: 9,
  /** Decode: a RoPE output (of q or the new k) saturated to the data format. */
  ropeSat: 10,
} as const;

/** The masters: `io` (q, k_new, v_new, x in; o, y out) and g0..g(NG-1) (lane i's K cache on g<i>, its V cache on g<H+i>; GEMV stripes). */
export function masterNames(c: Pick<KernelShape, 'NG'>): string[] {
  return ['io', ...Array.from({ length: c.NG }, (_, k) => `g${k}`)];
}

/** What the register map needs of the configuration. */
export interface KernelShape {
  /** Lanes H. */
  readonly H: number;
  /** GEMV weight and scale stripes Wb. */
  readonly Wb: number;
  /** g masters: max(2H, Wb). */
  readonly NG: number;
}

export function regMap(c: KernelShape): RegMap {
  const args: ArgSpec[] = [];
  let off = 0x10;
  const scalar = (name: string, doc: string): void => {
    args.push({ name, kind: 'scalar', offset: off, size: 4, doc });
    off += 4;
  };
  const pointer = (name: string, master: string, doc: string): void => {
    off = Math.ceil(off / 8) * 8;
    args.push({ name, kind: 'pointer', offset: off, size: 8, master: `m_axi_${master}`, doc });
    off += 8;
  };
  scalar('kind', '0: attention, 1: GEMV, 2: decode step (RoPE, cache append, attention over L + 1)');
  scalar('n_heads', 'attention, decode: heads nHeads, 1..maxHeads');
  scalar('len', 'attention: cached tokens L, 1..maxContext; decode: 0..maxContext - 1');
  scalar('cap', 'attention, decode: tokens each head\'s cache region holds (head stride / token bytes), L..maxContext (decode: L + 1..maxContext)');
  scalar('rows', 'GEMV: rows M, 1..65535');
  scalar('cols', 'GEMV: columns N, a multiple of the group up to maxCols');
  scalar('int4', 'GEMV: 1 INT4 weights, 0 INT8');
  scalar('pos', 'decode: the new token\'s position, 0..maxContext - 1');
  pointer('q', 'io', 'attention: q [nHeads][d] int32; decode: q before RoPE, in pair order (read)');
  pointer('o', 'io', 'attention, decode: o [nHeads][d] int32 (written)');
  pointer('x', 'io', 'GEMV: x [N] int8 (read)');
  pointer('y', 'io', 'GEMV: y [M] int64 (written)');
  pointer('k_new', 'io', 'decode: the new token\'s k before RoPE, [nHeads][d] int32 in pair order (read)');
  pointer('v_new', 'io', 'decode: the new token\'s v, [nHeads][d] int32 (read)');
  for (let i = 0; i < c.H; i++) pointer(`k_cache${i}`, `g${i}`, `attention, decode: lane ${i}'s K cache, heads ${i}, ${i} + H, ... (read; decode also writes token L of each head)`);
  for (let i = 0; i < c.H; i++) pointer(`v_cache${i}`, `g${c.H + i}`, `attention, decode: lane ${i}'s V cache (read; decode also writes token L of each head)`);
  for (let k = 0; k < c.Wb; k++) pointer(`w${k}`, `g${k}`, `GEMV: weight stripe ${k} (read)`);
  for (let k = 0; k < c.Wb; k++) pointer(`s${k}`, `g${k}`, `GEMV: scale stripe ${k} (read)`);
  const status = off;
  const sat = off + 4;
  const cycles = off + 8;
  const end = off + 12;
  let addrBits = 6;
  while (1 << addrBits < end) addrBits++;
  return { args, status, sat, cycles, addrBits };
}

export function argOffset(map: RegMap, name: string): number {
  const a = map.args.find((x) => x.name === name);
  if (!a) throw new Error(`internal: no kernel argument '${name}' (arguments: ${map.args.map((x) => x.name).join(', ')})`);
  return a.offset;
}
