/**
 * The host: programs s_axi_control as an XRT host does, as a program the testbench's AXI4-Lite
 * master runs (testbenches/kernel_tb.v.hbs), and reads the replies.
 *
 * ap_ctrl_hs, one job: write every argument (pointers low word then high word), enable the
 * ap_done interrupt (GIE, IER) when waiting for it, write ap_start, then wait for `interrupt`
 * (and acknowledge it by toggling ISR bit 0) or poll 0x00 until ap_done; read status, sat and
 * cycles, and 0x00 again (ap_idle; ap_done already cleared by the read).
 *
 * ap_ctrl_chain, a queue of jobs (chainProgram): the next job's arguments and ap_start go in as
 * soon as the kernel has taken the previous one (0x00 polled until ap_start reads 0), before
 * that one is done; each job is then waited for by interrupt (ISR: the polls clear ap_done),
 * its status, sat and cycles read, the interrupt acknowledged and ap_continue written.
 */
import { CTRL, CTRL_BITS, type RegMap } from '../../generators/kernel/regmap.ts';

export type WaitMode = 'interrupt' | 'poll';

export interface HostJob {
  /** Argument values by name (missing arguments are written as 0). */
  args: Readonly<Record<string, number | bigint>>;
  wait: WaitMode;
  /** Cycles (interrupt) or reads (poll) before the testbench gives up. */
  timeout: number;
}

const hex = (v: number | bigint): string => BigInt(v).toString(16);

/** The writes of every argument of a job (pointers low word then high word). */
function argumentLines(map: RegMap, job: HostJob): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(job.args)) {
    if (!map.args.some((a) => a.name === name)) throw new RangeError(`host: no kernel argument '${name}' (arguments: ${map.args.map((a) => a.name).join(', ')})`);
  }
  for (const a of map.args) {
    const v = BigInt(job.args[a.name] ?? 0);
    if (a.size === 4) {
      lines.push(`w ${hex(a.offset)} ${hex(BigInt.asUintN(32, v))}`);
    } else {
      lines.push(`w ${hex(a.offset)} ${hex(BigInt.asUintN(32, v))}`);
      lines.push(`w ${hex(a.offset + 4)} ${hex(BigInt.asUintN(32, v >> 32n))}`);
    }
  }
  return lines;
}

/** ap_start between two cycle marks (the second is the job's start cycle). */
const START = ['c', `w ${hex(CTRL.control)} ${hex(1 << CTRL_BITS.start)}`, 'c'];
/** After the interrupt: ISR, its acknowledgement, ISR again, 0x00. */
const AFTER_INTERRUPT = [`r ${hex(CTRL.isr)}`, `w ${hex(CTRL.isr)} 1`, `r ${hex(CTRL.isr)}`, `r ${hex(CTRL.control)}`];

/** The program lines of one ap_ctrl_hs job (append jobs one after another). */
export function jobProgram(map: RegMap, job: HostJob): string[] {
  const lines = argumentLines(map, job);
  const irq = job.wait === 'interrupt';
  lines.push(`w ${hex(CTRL.gie)} ${irq ? 1 : 0}`);
  lines.push(`w ${hex(CTRL.ier)} ${irq ? 1 : 0}`);
  lines.push(...START);
  if (irq) {
    lines.push(`i ${job.timeout}`, ...AFTER_INTERRUPT);
  } else {
    lines.push(`p ${hex(CTRL.control)} 2 ${job.timeout}`);
  }
  lines.push(`r ${hex(map.status)}`, `r ${hex(map.sat)}`, `r ${hex(map.cycles)}`, `r ${hex(CTRL.control)}`);
  lines.push('q');
  return lines;
}

/**
 * The program of a queue of jobs for an ap_ctrl_chain kernel (every job waited for by
 * interrupt); `after[j]` lines (e.g. dumps of job j's outputs) follow job j's wait.
 */
export function chainProgram(map: RegMap, jobs: readonly HostJob[], after: readonly (readonly string[])[] = []): string[] {
  const lines = [`w ${hex(CTRL.gie)} 1`, `w ${hex(CTRL.ier)} 1`];
  const start = (j: number): void => {
    lines.push(...argumentLines(map, jobs[j]!), ...START);
  };
  if (jobs.length > 0) start(0);
  jobs.forEach((job, j) => {
    if (job.wait !== 'interrupt') throw new RangeError(`host: job ${j} waits by '${job.wait}': a queue of ap_ctrl_chain jobs waits by interrupt (polling 0x00 for ap_start clears ap_done)`);
    if (j + 1 < jobs.length) {
      lines.push(`z ${hex(CTRL.control)} ${hex(1 << CTRL_BITS.start)} ${job.timeout}`);
      start(j + 1);
    }
    lines.push(`j ${job.timeout}`, ...AFTER_INTERRUPT);
    lines.push(`r ${hex(map.status)}`, `r ${hex(map.sat)}`, `r ${hex(map.cycles)}`, `w ${hex(CTRL.control)} ${hex(1 << CTRL_BITS.continue)}`, `r ${hex(CTRL.control)}`);
    lines.push(...(after[j] ?? []));
  });
  return lines;
}

export interface HostJobResult {
  /** Cycle of the ap_start write's response and of the moment the host saw the job done. */
  startCycle: number;
  doneCycle: number;
  status: number;
  sat: number;
  /** The kernel's cycles register. */
  kernelCycles: number;
  /** ISR after the interrupt and after its acknowledgement (interrupt mode). */
  isr?: [number, number];
  /** 0x00 read right after the interrupt (ap_done set) and at the end (ap_idle, ap_done clear). */
  controlAtDone: number;
  controlAfter: number;
}

export interface TbWrite {
  master: string;
  addr: bigint;
  strobe: bigint;
}

export interface TbOutput {
  jobs: HostJobResult[];
  writes: TbWrite[];
  violations: string[];
  /** Memory words dumped by 'd' commands. */
  words: Map<number, bigint>;
  timeouts: string[];
  endCycle: number;
}

/** Parse the testbench output of a program of `modes.length` jobs. */
export function parseTbOutput(text: string, modes: readonly WaitMode[]): TbOutput {
  const out: TbOutput = { jobs: [], writes: [], violations: [], words: new Map(), timeouts: [], endCycle: -1 };
  const reads: number[] = [];
  const cycles: number[] = [];
  const doneCycles: number[] = [];
  let ended = false;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (/^[RPWM] /.test(line) && /[xXzZ]/.test(f.slice(1).join(''))) throw new Error(`kernel testbench output has unknown bits: '${line.trim()}'`);
    switch (f[0]) {
      case 'R': reads.push(Number.parseInt(f[2]!, 16)); break;
      case 'C': cycles.push(Number(f[1])); break;
      case 'I': doneCycles.push(Number(f[1])); break;
      case 'P': reads.push(Number.parseInt(f[2]!, 16)); doneCycles.push(Number(f[3])); break;
      case 'W': out.writes.push({ master: f[1]!, addr: BigInt('0x' + f[2]), strobe: BigInt('0x' + f[3]) }); break;
      case 'V': out.violations.push(f.slice(1).join(' ')); break;
      case 'M': out.words.set(Number.parseInt(f[1]!, 16), BigInt('0x' + f[2])); break;
      case 'TIMEOUT': out.timeouts.push(line.trim()); break;
      case 'END': ended = true; out.endCycle = Number(f[2]); break;
      default: break;
    }
  }
  if (!ended) throw new Error(`kernel testbench output has no END line:\n${text.slice(-2000)}`);
  if (out.timeouts.length > 0) return out;
  let r = 0;
  modes.forEach((mode, j) => {
    const res: HostJobResult = { startCycle: cycles[2 * j + 1]!, doneCycle: doneCycles[j]!, status: 0, sat: 0, kernelCycles: 0, controlAtDone: 0, controlAfter: 0 };
    if (mode === 'interrupt') {
      res.isr = [reads[r]!, reads[r + 1]!];
      res.controlAtDone = reads[r + 2]!;
      r += 3;
    } else {
      res.controlAtDone = reads[r]!;
      r += 1;
    }
    res.status = reads[r]!;
    res.sat = reads[r + 1]!;
    res.kernelCycles = reads[r + 2]!;
    res.controlAfter = reads[r + 3]!;
    r += 4;
    out.jobs.push(res);
  });
  return out;
}
