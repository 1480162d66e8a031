/**
 * Pipelines whose latencies are derived, not counted. A `Pipeline` tracks, for every value it
 * has seen, the stage at which that value is valid; `get(x)` returns x as seen at the current
 * stage, inserting (and reusing) as many registers as the distance requires. Depths, loop
 * lengths and cycle formulas are then read off the description (`stage`, `stageOf`).
 *
 *   const p = new Pipeline(m, { domain: cd });
 *   const a = p.input(aIn);              // stage 0
 *   const b = p.input(bIn);
 *   const s = a.add(b);                  // computed at stage 0
 *   p.next();                            // stage 1
 *   const t = p.get(s).mul(p.get(c))     // s registered once; c delayed as far as needed
 *   p.next(); ...
 *
 * Data registers carry no reset; values declared with `control()` (valid bits, flags) are
 * delayed through registers reset to 0, so a pipeline comes out of reset empty. Primitive
 * modules with a known latency (DSP tiles, `Module.primitive.latency`) are placed with
 * `instance()`: their outputs appear `latency` stages after their inputs.
 *
 * A value whose leaves the pipeline does not know is an error (`STAGE UNKNOWN`), unless it is
 * declared `steady()` (configuration that holds while values are in flight) or is a constant.
 */
import { Expr, children, type ExprLike } from './expr.ts';
import type { ClockDomain, InstanceHandle, Module, Signal, StreamBinding } from './module.ts';
import { HdlError } from './errors.ts';
import { captureLocation } from './source.ts';
import { roundShiftParts, applyRound, saturateFlagged, type Flagged } from './fixed.ts';
import { exprArith } from './arith.ts';
import type { HwType } from './types.ts';

const STEADY = -1;

export interface PipelineOptions {
  domain: ClockDomain;
  /** Advance only when this 1-bit signal is high (a stall freezes every stage); default: always. */
  enable?: Expr;
  /** Prefix of the delay registers' names (default: none). */
  prefix?: string;
}

export class Pipeline {
  private current = 0;
  private readonly stages = new Map<Expr, number>();
  private readonly control = new Set<Expr>();
  /** Delay chains: value -> (stage -> register holding it at that stage). */
  private readonly delayed = new Map<Expr, Map<number, Signal>>();

  constructor(private readonly m: Module, private readonly opts: PipelineOptions) {}

  /** The clock domain of the pipeline's registers. */
  get domain(): ClockDomain {
    return this.opts.domain;
  }

  /** The module the pipeline builds into. */
  get module(): Module {
    return this.m;
  }

  /** The current stage (0 = where inputs enter). */
  get stage(): number {
    return this.current;
  }

  /** Declare `e` valid at `stage` (default: the current stage). Returns e. */
  input<E extends Expr>(e: E, stage = this.current): E {
    this.stages.set(e, stage);
    return e;
  }

  /** Declare a control value (valid bit, flag): its delay registers are reset to 0. */
  controlInput<E extends Expr>(e: E, stage = this.current): E {
    this.control.add(e);
    return this.input(e, stage);
  }

  /** Declare a value that holds while data is in flight (configuration); never delayed. */
  steady<E extends Expr>(e: E): E {
    this.stages.set(e, STEADY);
    return e;
  }

  /** Advance to the next stage (n stages). */
  next(n = 1): number {
    this.current += n;
    return this.current;
  }

  /** Stage at which `e` is valid (the latest stage of its leaves); STEADY (-1) for constants and steady values. */
  stageOf(e: Expr): number {
    const known = this.stages.get(e);
    if (known !== undefined) return known;
    if (e.node.kind === 'const') return STEADY;
    if (e.node.kind === 'signal') {
      throw new HdlError(
        'STAGE UNKNOWN',
        `${(e as Signal).describe()} is used in a pipeline but has no stage: declare it with input(), controlInput() or steady()`,
        captureLocation(),
      );
    }
    let s = STEADY;
    for (const c of children(e)) s = Math.max(s, this.stageOf(c));
    this.stages.set(e, s);
    return s;
  }

  /** `e` as seen at the current stage (registers inserted as needed). */
  get(e: Expr, name?: string): Expr {
    return this.at(e, this.current, name);
  }

  /** `e` as seen at `stage` (>= its own stage). */
  at(e: Expr, stage: number, name?: string): Expr {
    const s = this.stageOf(e);
    if (s === STEADY || s === stage) return e;
    if (s > stage) {
      throw new HdlError('STAGE ORDER', `${describe(e)} is valid from stage ${s} but was used at stage ${stage}`, captureLocation());
    }
    let chain = this.delayed.get(e);
    if (!chain) {
      chain = new Map();
      this.delayed.set(e, chain);
    }
    const isControl = this.isControl(e);
    const base = `${this.opts.prefix ?? ''}${name ?? e.nameHint ?? 'pipe'}`;
    let prev: Expr = e;
    for (let k = s + 1; k <= stage; k++) {
      let r = chain.get(k);
      if (!r) {
        r = this.m.reg(this.m.uniqueName(`${stripStage(base)}_s${k}`), e.type, {
          domain: this.opts.domain,
          reset: isControl ? 0 : null,
          ...(this.opts.enable ? { enable: this.opts.enable } : {}),
        });
        // A chain of delay registers becomes a shift register (SRL); keep a flip-flop at its
        // end so the logic it feeds starts from a register's clock-to-out, not an SRL's.
        if (!isControl) r.attributes = { srl_style: 'reg_srl_reg' };
        const source = prev;
        const target = r;
        // Pipeline registers are structural: assigned at the top of the module body even when
        // get() is called inside a when() block.
        this.m.inBlock(this.m.body, () => target.set(source));
        chain.set(k, r);
        this.stages.set(r, k);
        if (isControl) this.control.add(r);
      }
      prev = r;
    }
    return prev;
  }

  /**
   * A register at the current stage holding `value` (valid at the next stage once `next()` is
   * called). For values that need a name of their own or a reset (control: true).
   */
  reg(name: string, value: Expr, opts: { control?: boolean } = {}): Signal {
    const v = this.get(value);
    const r = this.m.reg(name, v.type, {
      domain: this.opts.domain,
      reset: opts.control ? 0 : null,
      ...(this.opts.enable ? { enable: this.opts.enable } : {}),
    });
    this.m.inBlock(this.m.body, () => r.set(v));
    this.stages.set(r, this.current + 1);
    if (opts.control) this.control.add(r);
    return r;
  }

  /**
   * Place an instance of a module with a fixed latency (a DSP tile: `target.primitive.latency`,
   * or `latency` given): every input is taken at the current stage (delayed as needed), every
   * output is valid `latency` stages later.
   */
  instance(name: string, target: Module, inputs: Record<string, ExprLike | StreamBinding>, latency?: number): InstanceHandle {
    const lat = latency ?? target.primitive?.latency;
    if (lat === undefined) {
      throw new HdlError('BAD ARGUMENT', `pipeline instance '${name}': '${target.name}' has no known latency; pass one`, captureLocation());
    }
    const bound: Record<string, ExprLike | StreamBinding> = {};
    for (const [k, v] of Object.entries(inputs)) bound[k] = v instanceof Expr ? this.get(v) : v;
    const h = this.m.instance(name, target, bound, { domain: this.opts.domain });
    for (const s of h.instance.outputs.values()) this.stages.set(s, this.current + lat);
    return h;
  }

  /**
   * Exact sum of `terms` as a balanced adder tree with a register after every level (each add
   * grows one bit, so nothing is lost). Starts at the current stage and does not move it: the
   * sum is a register valid ceil(log2(n)) stages later (`stageOf` tells), so several trees can
   * run side by side.
   */
  sumTree(name: string, terms: readonly Expr[]): Expr {
    if (terms.length === 0) throw new HdlError('BAD ARGUMENT', `sumTree '${name}' needs at least one term`, captureLocation());
    const s0 = this.current;
    let level: Expr[] = terms.map((t) => this.at(t, s0));
    let depth = 0;
    while (level.length > 1) {
      const nextLevel: Expr[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) nextLevel.push(level[i]!.add(level[i + 1]!));
      if (level.length % 2 === 1) nextLevel.push(level.at(-1)!);
      depth++;
      level = nextLevel.map((t, i) => this.at(t, s0 + depth, nextLevel.length > 1 ? `${name}_l${depth}_${i}` : name));
    }
    return level[0]!;
  }

  /**
   * narrowFlagged (hdl/fixed.ts: drop `drop` bits with round-to-nearest-even, then saturate
   * into `out`) spread over three stages with registers between: the rounding decision (the
   * sticky OR), the add, the range test. The same steps as narrowFlagged, so the same result.
   * Takes x at the current stage and leaves the pipeline two stages later, where the result is.
   */
  narrow(name: string, x: Expr, drop: number, out: HwType): Flagged<Expr> {
    return this.narrowAll(name, [x], drop, out)[0]!;
  }

  /** `narrow` of several values side by side (named `<name><i>`). */
  narrowAll(name: string, xs: readonly Expr[], drop: number, out: HwType): Flagged<Expr>[] {
    const A = exprArith;
    const tag = (i: number): string => (xs.length === 1 ? name : `${name}${i}`);
    let rounded: Expr[];
    if (drop === 0) {
      rounded = xs.map((x) => this.get(x));
      this.next(2);
    } else {
      const parts = xs.map((x) => roundShiftParts(A, this.get(x), drop));
      this.next();
      rounded = parts.map((pt, i) => applyRound(A, { floor: this.get(pt.floor, `${tag(i)}_floor`), up: this.get(pt.up, `${tag(i)}_up`) }));
      this.next();
    }
    return rounded.map((r, i) => saturateFlagged(A, this.get(r, `${tag(i)}_rounded`), out));
  }

  private isControl(e: Expr): boolean {
    if (this.control.has(e)) return true;
    // A value computed only from control values is control too (e.g. valid & first).
    const leaves: Expr[] = [];
    const walk = (x: Expr): void => {
      if (this.stages.has(x) && (x.node.kind === 'signal' || this.control.has(x))) {
        leaves.push(x);
        return;
      }
      for (const c of children(x)) walk(c);
    };
    walk(e);
    return leaves.length > 0 && leaves.every((x) => this.control.has(x) || this.stages.get(x) === STEADY);
  }
}

function describe(e: Expr): string {
  return e.nameHint ? `'${e.nameHint}'` : `a ${e.node.kind} value`;
}

/** `x_s3` -> `x` so chains of chains keep one stage suffix. */
function stripStage(name: string): string {
  return name.replace(/_s\d+$/, '');
}
