/**
 * The SwiftKV-MHA job testbench (testbenches/mha_job_tb.v.hbs): rendering, the files it reads
 * (one of job headers, one per input stream) and the output it writes.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';

export interface MhaJobTbOptions {
  tbName: string;
  dut: string;
  /** Lanes. */
  H: number;
  /** Every port of the DUT but clk, with its width (the testbench declares one signal each). */
  ports: readonly { name: string; direction: 'input' | 'output'; width: number }[];
}

const template = Handlebars.compile(readFileSync(new URL('./mha_job_tb.v.hbs', import.meta.url), 'utf8'), { noEscape: true, strict: true });

const LANE_STREAMS = ['q', 'kv', 'o', 'y'] as const;

export function renderMhaJobTestbench(o: MhaJobTbOptions): string {
  if (!Number.isInteger(o.H) || o.H < 1) throw new RangeError(`MHA testbench H = ${o.H}: accepted positive integers`);
  const width = new Map(o.ports.map((p) => [p.name, p.width]));
  const need = (name: string): number => {
    const w = width.get(name);
    if (w === undefined) throw new RangeError(`MHA testbench: the DUT ${o.dut} has no port '${name}'`);
    return w;
  };
  for (let i = 0; i < o.H; i++) for (const s of LANE_STREAMS) need(`${s}${i}_tvalid`);
  for (const s of ['x', 'w', 's']) need(`${s}_tvalid`);
  const decl = (p: { name: string; direction: string; width: number }): string => {
    const range = p.width > 1 ? `[${p.width - 1}:0] ` : '';
    const init = p.name === 'rst' ? " = 1'b1" : p.direction === 'input' ? ` = ${p.width}'d0` : '';
    return `  ${p.direction === 'input' ? 'reg' : 'wire'} ${range}${p.name}${init};`;
  };
  return template({
    tbName: o.tbName,
    dut: o.dut,
    H: o.H,
    decls: o.ports.filter((p) => p.name !== 'clk').map(decl).join('\n'),
    conns: ['.clk(clk)', ...o.ports.filter((p) => p.name !== 'clk').map((p) => `.${p.name}(${connection(p, width)})`)].join(', '),
    lanes: Array.from({ length: o.H }, (_, i) => ({ i, SW: need(`o${i}_tuser`) })),
    LW: need('cfg_len'),
    HW: need('cfg_heads'),
    SW: need('status_sat'),
    WW: need('w_tdata'),
    WCH: wideChunks(need('w_tdata')),
  });
}

// ---- files ---------------------------------------------------------------------------------

/** One beat of an input stream. */
export interface TbBeat {
  data: bigint;
  last: boolean;
}

/** What the testbench needs of one job: its configuration and the beats of every input stream. */
export interface TbJob {
  mode: 0 | 1;
  cfgLen: number;
  cfgHeads: number;
  int4: boolean;
  cfgRows: number;
  cfgCols: number;
  /** Per lane. */
  q: readonly (readonly TbBeat[])[];
  kv: readonly (readonly TbBeat[])[];
  x: readonly bigint[];
  w: readonly bigint[];
  s: readonly bigint[];
  /** Idle cycles before this job's start (after the previous job's done). */
  gap: number;
}

const hex = (v: bigint | number): string => BigInt(v).toString(16);

/**
 * w and s beats are H T 16 bits (17,152 at the default design), more than Verilator's $fscanf
 * takes (8,192 bits): each beat is written as lines of WIDE_CHUNK bits, lowest first.
 */
export const WIDE_CHUNK = 4096;
export const wideChunks = (bits: number): number => Math.max(1, Math.ceil(bits / WIDE_CHUNK));
const chunkLines = (v: bigint, chunks: number): string[] =>
  Array.from({ length: chunks }, (_, k) => hex((v >> BigInt(k * WIDE_CHUNK)) & ((1n << BigInt(WIDE_CHUNK)) - 1n)));

/** The files of a job list: `jobs`, and per stream (q0, kv0, q1, ..., x, w, s) its beats. */
export function mhaJobFiles(H: number, wideBits: number, jobs: readonly TbJob[]): Map<string, string> {
  const chunks = wideChunks(wideBits);
  const files = new Map<string, string[]>([['jobs', []], ['x', []], ['w', []], ['s', []]]);
  for (let i = 0; i < H; i++) {
    files.set(`q${i}`, []);
    files.set(`kv${i}`, []);
  }
  const add = (f: string, line: string): void => void files.get(f)!.push(line);
  for (const j of jobs) {
    if (j.q.length !== H || j.kv.length !== H) throw new RangeError(`MHA testbench job: ${j.q.length} q and ${j.kv.length} kv lanes, expected ${H}`);
    add('jobs', [j.mode, j.cfgLen, j.cfgHeads, j.int4 ? 1 : 0, j.cfgRows, j.cfgCols, j.x.length, j.w.length, j.s.length, j.gap].map(hex).join(' '));
    for (let i = 0; i < H; i++) {
      add('jobs', `${hex(j.q[i]!.length)} ${hex(j.kv[i]!.length)}`);
      for (const b of j.q[i]!) add(`q${i}`, `${b.last ? 1 : 0} ${hex(b.data)}`);
      for (const b of j.kv[i]!) add(`kv${i}`, `${b.last ? 1 : 0} ${hex(b.data)}`);
    }
    for (const b of j.x) add('x', hex(b));
    for (const s of ['w', 's'] as const) for (const b of j[s]) for (const line of chunkLines(b, chunks)) add(s, line);
  }
  return new Map([...files].map(([k, v]) => [k, v.join('\n') + '\n']));
}

/** One y beat as it left the top: all four rows (signed 48-bit), tkeep, tlast. */
export interface TbYBeat {
  rows: bigint[];
  keep: number;
  last: boolean;
}

export interface TbJobOutput {
  /** Per lane: each head it returned (o elements; o_tuser with the tlast beat). */
  heads: { o: bigint[]; mask: number }[][];
  /** Per lane: o elements that came after the lane's last tlast (0 when all is well). */
  trailingO: number[];
  /** Per lane: y beats. */
  y: TbYBeat[][];
  /** From the start cycle to the done cycle. */
  cycles: number;
  /** status_error / status_sat in the done cycle. */
  error: boolean;
  sat: number;
  /** Cycles after start through done with status_error = 1. */
  errorCycles: number;
  /** Cycles after start, before done, with busy = 0. */
  busyLow: number;
}

export interface TbOutputShape {
  H: number;
  /** Elements per o beat and their width. */
  P: number;
  W: number;
  /** Rows per y beat and their width. */
  yRows: number;
  yBits: number;
}

export function emptyJobOutput(H: number): TbJobOutput {
  return { heads: Array.from({ length: H }, () => []), trailingO: Array<number>(H).fill(0), y: Array.from({ length: H }, () => []), cycles: 0, error: false, sat: 0, errorCycles: 0, busyLow: 0 };
}

/** Parse the testbench output: o / y beats tagged with their lane, a done line per job. */
export function parseMhaJobOutput(text: string, shape: TbOutputShape): { jobs: TbJobOutput[]; timeout?: string } {
  const jobs: TbJobOutput[] = [];
  let cur = emptyJobOutput(shape.H);
  let pending: bigint[][] = Array.from({ length: shape.H }, () => []);
  const num = (f: string, what: string, line: string): number => {
    if (!/^[0-9a-f]+$/i.test(f)) throw new Error(`MHA testbench output: bad ${what} '${f}' in '${line}'`);
    return Number.parseInt(f, 16);
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (/[xXzZ]/.test(line.replace(/^(timeout|done)/, ''))) throw new Error(`MHA testbench output has unknown bits: '${line}'`);
    const f = line.split(/\s+/);
    if (f[0] === 'timeout') return { jobs, timeout: line };
    if (f[0] === 'done') {
      if (f.length !== 6) throw new Error(`MHA testbench output: malformed done line '${line}'`);
      cur.cycles = Number(f[1]);
      cur.error = f[2] === '1';
      cur.sat = num(f[3]!, 'status_sat', line);
      cur.errorCycles = Number(f[4]);
      cur.busyLow = Number(f[5]);
      cur.trailingO = pending.map((p) => p.length);
      jobs.push(cur);
      cur = emptyJobOutput(shape.H);
      pending = Array.from({ length: shape.H }, () => []);
      continue;
    }
    if (f.length !== 5 || (f[0] !== 'o' && f[0] !== 'y')) throw new Error(`MHA testbench output: malformed line '${line}'`);
    const lane = Number(f[1]);
    if (!Number.isInteger(lane) || lane < 0 || lane >= shape.H) throw new Error(`MHA testbench output: lane ${f[1]} in '${line}'`);
    const last = f[2] === '1';
    const word = BigInt('0x' + f[4]);
    if (f[0] === 'o') {
      for (let e = 0; e < shape.P; e++) pending[lane]!.push(BigInt.asIntN(shape.W, word >> BigInt(e * shape.W)));
      if (last) {
        cur.heads[lane]!.push({ o: pending[lane]!, mask: num(f[3]!, 'o_tuser', line) });
        pending[lane] = [];
      }
    } else {
      const rows = Array.from({ length: shape.yRows }, (_, k) => BigInt.asIntN(shape.yBits, word >> BigInt(k * shape.yBits)));
      cur.y[lane]!.push({ rows, keep: num(f[3]!, 'y_tkeep', line), last });
    }
  }
  return { jobs };
}

/**
 * What the DUT sees on a port: an input stream's data, last, user and keep are undefined
 * (all x) while its tvalid is low, as AXI-Stream allows, so a four-state simulator shows any
 * use of them outside a beat (Verilator reads x as 0).
 */
function connection(p: { name: string; direction: string; width: number }, width: ReadonlyMap<string, number>): string {
  const m = /^(.*)_(tdata|tlast|tuser|tkeep)$/.exec(p.name);
  if (p.direction !== 'input' || !m || width.get(`${m[1]}_tvalid`) === undefined) return p.name;
  return `${m[1]}_tvalid ? ${p.name} : {${p.width}{1'bx}}`;
}
