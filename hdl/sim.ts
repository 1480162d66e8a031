/**
 * Cycle-based simulator of single-clock designs, built on `Value`: settle the combinational
 * logic (processes in topological order), then at each `tick()` update every register and
 * memory at once, as a clock edge does. Hierarchy is flattened into frames, one per instance.
 * Every register in the design is clocked by `tick()`; a design with several distinct clock
 * inputs at the top is rejected.
 */
import { Expr } from './expr.ts';
import { Module, Signal, ExternModule, type Stmt, type Memory, type ClockDomain } from './module.ts';
import { Value, evalBinary, evalUnary, concat } from './value.ts';
import { typeName, fits } from './types.ts';
import { HdlError } from './errors.ts';
import { pruneFor, readExprs, signalsRead, assignedSignals } from './stmt.ts';

type Compiled = (f: Frame) => Value;

class Frame {
  readonly values = new Map<Signal, Value>();
  readonly mems = new Map<Memory, Value[]>();
  readonly children = new Map<string, Frame>();
  constructor(readonly module: Module, readonly path: string) {}
}

interface Process {
  readonly frame: Frame;
  readonly target: Signal;
  readonly deps: readonly { frame: Frame; signal: Signal }[];
  readonly run: () => Value;
  readonly describe: string;
}

export class Simulator {
  readonly top: Module;
  private readonly root: Frame;
  private readonly compiled = new Map<Expr, Compiled>();
  private readonly trees = new Map<Signal, Stmt[]>();
  private processes: Process[] = [];
  private readonly frames: Frame[] = [];
  /** Number of clock edges so far. */
  cycle = 0;
  private dirty = true;
  /** Ports and signals of the top by name: set/get run every cycle of a driver. */
  private readonly inputs = new Map<string, Signal>();
  private readonly outputs = new Map<string, Signal>();
  private readonly topSignals = new Map<string, Signal>();

  constructor(top: Module) {
    this.top = top;
    for (const x of top.signals) {
      if (x.kind === 'input') this.inputs.set(x.name, x);
      else if (x.kind === 'output') this.outputs.set(x.name, x);
      if (!this.topSignals.has(x.name)) this.topSignals.set(x.name, x);
    }
    this.root = this.elaborate(top, top.name);
    this.processes = this.schedule();
    this.settle();
  }

  // ---- public API ------------------------------------------------------------------------

  private port(name: string, dir: 'input' | 'output'): Signal {
    const s = (dir === 'input' ? this.inputs : this.outputs).get(name);
    if (!s) {
      const names = this.top.signals.filter((x) => x.kind === dir).map((x) => x.name).join(', ');
      throw new Error(`${this.top.name} has no ${dir} '${name}' (${dir}s: ${names})`);
    }
    return s;
  }

  /** Drive a top-level input (the value is range-checked against the port type). */
  set(name: string, value: Value | bigint | number | boolean): void {
    const s = this.port(name, 'input');
    let v: Value;
    if (value instanceof Value) {
      if (value.width !== s.width) throw new Error(`input '${name}' is ${typeName(s)}, got ${typeName(value)}`);
      v = Value.wrap(value.bits, s);
    } else {
      const b = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
      if (!fits(b, s) && !(b >= 0n && b < 1n << BigInt(s.width))) {
        throw new RangeError(`value ${b} does not fit input '${name}' ${typeName(s)}`);
      }
      v = Value.wrap(b, s);
    }
    this.root.values.set(s, v);
    this.dirty = true;
  }

  /** Read a top-level output (or, with `internal`, any signal of the top module by name). */
  get(name: string): Value {
    if (this.dirty) this.settle();
    const s = this.outputs.get(name) ?? this.inputs.get(name) ?? this.topSignals.get(name);
    if (!s) throw new Error(`${this.top.name} has no signal '${name}'`);
    return this.root.values.get(s)!;
  }

  /** Read a signal of the top module or of an instance path like `u_dot.acc`. */
  peek(path: string): Value {
    if (this.dirty) this.settle();
    const parts = path.split('.');
    let f = this.root;
    for (const p of parts.slice(0, -1)) {
      const c = f.children.get(p);
      if (!c) throw new Error(`no instance '${p}' under ${f.path}`);
      f = c;
    }
    const s = f.module.signals.find((x) => x.name === parts.at(-1));
    if (!s) throw new Error(`no signal '${parts.at(-1)}' in ${f.path}`);
    return f.values.get(s)!;
  }

  /** Settle combinational logic (done automatically by get/tick). */
  settle(): void {
    for (const f of this.frames) this.applyAsyncResets(f);
    for (const p of this.processes) p.frame.values.set(p.target, p.run());
    this.dirty = false;
  }

  /** One rising clock edge: settle, compute every next state, commit all at once, settle. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      this.settle();
      const commits: (() => void)[] = [];
      for (const f of this.frames) this.nextState(f, commits);
      for (const c of commits) c();
      this.cycle++;
      this.settle();
    }
  }

  // ---- elaboration -----------------------------------------------------------------------

  private elaborate(m: Module, path: string): Frame {
    const f = new Frame(m, path);
    this.frames.push(f);
    for (const s of m.signals) f.values.set(s, Value.wrap(s.kind === 'reg' && s.resetValue !== null ? s.resetValue : 0n, s));
    for (const mem of m.memories) {
      f.mems.set(mem, Array.from({ length: mem.depth }, (_, i) => Value.wrap(mem.init?.[i] ?? 0n, mem.type)));
    }
    for (const inst of m.instances) {
      if (inst.target instanceof ExternModule) {
        throw new HdlError('NO MODEL', `instance '${inst.name}' of external Verilog module '${inst.target.name}' cannot be simulated in TypeScript`, inst.loc);
      }
      f.children.set(inst.name, this.elaborate(inst.target, `${path}.${inst.name}`));
    }
    return f;
  }

  private tree(s: Signal): Stmt[] {
    let t = this.trees.get(s);
    if (!t) {
      t = pruneFor(s.module.body, s);
      this.trees.set(s, t);
    }
    return t;
  }

  private schedule(): Process[] {
    const procs: Process[] = [];
    for (const f of this.frames) {
      const m = f.module;
      const assigned = new Set(assignedSignals(m.body));
      for (const s of m.signals) {
        if ((s.kind === 'wire' || s.kind === 'output') && assigned.has(s)) {
          const tree = this.tree(s);
          const deps = [...signalsRead(readExprs(tree))].map((signal) => ({ frame: f, signal }));
          procs.push({ frame: f, target: s, deps, run: () => this.runTree(f, tree, f.values.get(s)!, true), describe: `${f.path}.${s.name}` });
        }
      }
      for (const mem of m.memories) {
        for (const r of mem.readPorts) {
          if (r.latency !== 0) continue;
          const addr = this.compile(r.addr);
          const deps = [...signalsRead([r.addr])].map((signal) => ({ frame: f, signal }));
          procs.push({ frame: f, target: r.data, deps, run: () => this.readMem(f, mem, addr(f)), describe: `${f.path}.${r.data.name}` });
        }
      }
      for (const inst of m.instances) {
        const child = f.children.get(inst.name)!;
        const cm = inst.target as Module;
        for (const [port, e] of inst.inputs) {
          const target = cm.signals.find((x) => x.name === port && x.kind === 'input')!;
          const c = this.compile(e);
          const deps = [...signalsRead([e])].map((signal) => ({ frame: f, signal }));
          procs.push({ frame: child, target, deps, run: () => c(f), describe: `${child.path}.${port}` });
        }
        for (const [port, s] of inst.outputs) {
          const src = cm.signals.find((x) => x.name === port && x.kind === 'output')!;
          procs.push({ frame: f, target: s, deps: [{ frame: child, signal: src }], run: () => child.values.get(src)!, describe: `${f.path}.${s.name}` });
        }
      }
    }
    return topoSort(procs);
  }

  // ---- evaluation ------------------------------------------------------------------------

  private compile(e: Expr): Compiled {
    const hit = this.compiled.get(e);
    if (hit) return hit;
    const n = e.node;
    let c: Compiled;
    switch (n.kind) {
      case 'const': {
        const v = Value.wrap(n.value, e);
        c = () => v;
        break;
      }
      case 'signal': {
        const s = e as Signal;
        c = (f) => {
          const v = f.values.get(s);
          if (!v) throw new HdlError('FOREIGN SIGNAL', `${s.describe()} of module '${s.module.name}' is read in '${f.module.name}'`, s.loc);
          return v;
        };
        break;
      }
      case 'unary': {
        const a = this.compile(n.a);
        c = (f) => evalUnary(n.op, a(f));
        break;
      }
      case 'binary': {
        const a = this.compile(n.a);
        const b = this.compile(n.b);
        c = (f) => evalBinary(n.op, a(f), b(f));
        break;
      }
      case 'shl': {
        const a = this.compile(n.a);
        c = (f) => a(f).shl(n.amount);
        break;
      }
      case 'shr': {
        const a = this.compile(n.a);
        c = (f) => a(f).shr(n.amount);
        break;
      }
      case 'mux': {
        const sel = this.compile(n.sel);
        const a = this.compile(n.a);
        const b = this.compile(n.b);
        c = (f) => (sel(f).isTrue() ? a(f) : b(f));
        break;
      }
      case 'slice': {
        const a = this.compile(n.a);
        c = (f) => a(f).slice(n.hi, n.lo);
        break;
      }
      case 'concat': {
        const parts = n.parts.map((p) => this.compile(p));
        c = (f) => concat(...parts.map((p) => p(f)));
        break;
      }
      case 'zext': {
        const a = this.compile(n.a);
        c = (f) => a(f).zext(e.width);
        break;
      }
      case 'sext': {
        const a = this.compile(n.a);
        c = (f) => a(f).sext(e.width);
        break;
      }
      case 'trunc': {
        const a = this.compile(n.a);
        c = (f) => a(f).trunc(e.width);
        break;
      }
      case 'cast': {
        const a = this.compile(n.a);
        c = e.signed ? (f) => a(f).asSigned() : (f) => a(f).asUnsigned();
        break;
      }
    }
    this.compiled.set(e, c);
    return c;
  }

  /** Run a pruned statement tree; returns the last value assigned on the taken path. */
  private runTree(f: Frame, stmts: readonly Stmt[], current: Value, _comb: boolean): Value {
    let v = current;
    for (const st of stmts) {
      if (st.kind === 'assign') v = this.compile(st.value)(f);
      else if (st.kind === 'when') {
        for (const b of st.branches) {
          if (b.cond === null || this.compile(b.cond)(f).isTrue()) {
            v = this.runTree(f, b.body, v, _comb);
            break;
          }
        }
      } else {
        const subj = this.compile(st.subject)(f).toBigInt();
        const hit = st.cases.find((c) => c.values?.includes(subj)) ?? st.cases.find((c) => c.values === null);
        if (hit) v = this.runTree(f, hit.body, v, _comb);
      }
    }
    return v;
  }

  private readMem(f: Frame, mem: Memory, addr: Value): Value {
    const i = Number(addr.bits);
    if (i >= mem.depth) {
      throw new HdlError('MEMORY RANGE', `${f.path}: read of '${mem.name}' at address ${i}, depth ${mem.depth} (undefined in Verilog)`, mem.loc);
    }
    return f.mems.get(mem)![i]!;
  }

  private resetActive(f: Frame, d: ClockDomain): boolean {
    if (!d.reset) return false;
    const r = f.values.get(d.reset)!.isTrue();
    return d.resetActive === 'high' ? r : !r;
  }

  private applyAsyncResets(f: Frame): void {
    for (const s of f.module.signals) {
      if (s.kind === 'reg' && s.resetValue !== null && s.domain!.resetKind === 'async' && this.resetActive(f, s.domain!)) {
        f.values.set(s, Value.wrap(s.resetValue, s));
      }
    }
  }

  private nextState(f: Frame, commits: (() => void)[]): void {
    const m = f.module;
    for (const s of m.signals) {
      if (s.kind !== 'reg') continue;
      const cur = f.values.get(s)!;
      let next: Value;
      if (s.resetValue !== null && this.resetActive(f, s.domain!)) next = Value.wrap(s.resetValue, s);
      else if (s.enable && !this.compile(s.enable)(f).isTrue()) next = cur;
      else next = this.runTree(f, this.tree(s), cur, false);
      commits.push(() => f.values.set(s, next));
    }
    for (const mem of m.memories) {
      const data = f.mems.get(mem)!;
      const writes: { addr: number; value: Value }[] = [];
      for (const w of mem.writePorts) {
        if (!this.compile(w.enable)(f).isTrue()) continue;
        const addr = Number(this.compile(w.addr)(f).bits);
        if (addr >= mem.depth) {
          throw new HdlError('MEMORY RANGE', `${f.path}: write of '${mem.name}' at address ${addr}, depth ${mem.depth}`, w.loc);
        }
        writes.push({ addr, value: this.compile(w.data)(f) });
      }
      for (const r of mem.readPorts) {
        if (r.latency !== 1) continue;
        if (r.enable && !this.compile(r.enable)(f).isTrue()) continue;
        const addr = this.compile(r.addr)(f);
        let v = this.readMem(f, mem, addr);
        if (r.readDuringWrite === 'write-first') {
          const hit = writes.find((w) => w.addr === Number(addr.bits));
          if (hit) v = hit.value;
        }
        commits.push(() => f.values.set(r.data, v));
      }
      for (const w of writes) commits.push(() => (data[w.addr] = w.value));
    }
  }
}

/** Order processes so each runs after the processes producing what it reads. */
function topoSort(procs: Process[]): Process[] {
  const producer = new Map<Frame, Map<Signal, Process>>();
  for (const p of procs) {
    let m = producer.get(p.frame);
    if (!m) producer.set(p.frame, (m = new Map()));
    m.set(p.target, p);
  }
  const state = new Map<Process, 1 | 2>();
  const out: Process[] = [];
  const stack: Process[] = [];
  const visit = (p: Process): void => {
    const st = state.get(p);
    if (st === 2) return;
    if (st === 1) {
      const loop = stack.slice(stack.indexOf(p)).map((x) => x.describe);
      throw new HdlError('COMBINATIONAL LOOP', `${[...loop, p.describe].join(' <- ')} (each is computed from the next)`, p.target.loc);
    }
    state.set(p, 1);
    stack.push(p);
    for (const d of p.deps) {
      const q = producer.get(d.frame)?.get(d.signal);
      if (q) visit(q);
    }
    stack.pop();
    state.set(p, 2);
    out.push(p);
  };
  for (const p of procs) visit(p);
  return out;
}
