/**
 * Design checks, each a named pass with its own tests. A pass returns problems; errors stop
 * emission, warnings are reported. Every problem names the rule, the signal and the line.
 *
 *   drivers        every signal has exactly one kind of driver; no foreign signals
 *   outputs        every output (and every wire that is read) is driven
 *   latches        combinational signals are assigned on every path (no inferred latch)
 *   names          names are legal Verilog identifiers, not keywords, unique per module
 *   unused         wires, registers and inputs that nothing reads (warnings)
 *   dsp-pattern    every multiplier of two variables is a DSP tile (hdl/dsp.ts) in the register
 *                  pattern of the slice: operands straight from registers, the product straight
 *                  into a register (errors inside tiles, warnings for multipliers outside them)
 *   comb-loops     no combinational loop, across the whole hierarchy
 */
import { Module, Signal, ExternModule } from './module.ts';
import { type Expr, children } from './expr.ts';
import { HdlError, HdlCheckError } from './errors.ts';
import { assignedSignals, readExprs, signalsRead, assignsOnAllPaths, auxiliaryExprs, pruneFor } from './stmt.ts';
import { isKeyword, isLegalIdentifier } from './names.ts';
import { typeName } from './types.ts';
import { Simulator } from './sim.ts';

export interface CheckResult {
  errors: HdlError[];
  warnings: HdlError[];
}

export type ModulePass = (m: Module) => CheckResult;

function result(): CheckResult {
  return { errors: [], warnings: [] };
}

/** Signals read anywhere in the module (statements, enables, memories, instances, domains). */
function readSet(m: Module): Set<Signal> {
  const read = signalsRead([...readExprs(m.body), ...auxiliaryExprs(m)]);
  for (const d of m.domains) {
    read.add(d.clock);
    if (d.reset) read.add(d.reset);
  }
  return read;
}

export const drivers: ModulePass = (m) => {
  const r = result();
  for (const s of signalsRead([...readExprs(m.body), ...auxiliaryExprs(m)])) {
    if (s.module !== m) {
      r.errors.push(new HdlError('FOREIGN SIGNAL', `${s.describe()} of module '${s.module.name}' is used inside '${m.name}'; pass it through a port`, s.loc));
    }
  }
  for (const s of assignedSignals(m.body)) {
    if (s.kind === 'input' || s.kind === 'memread' || s.kind === 'instout') {
      r.errors.push(new HdlError('MULTIPLE DRIVERS', `${s.describe()} is assigned but already has a driver`, s.loc));
    }
  }
  return r;
};

export const outputs: ModulePass = (m) => {
  const r = result();
  const assigned = new Set(assignedSignals(m.body));
  const read = readSet(m);
  for (const s of m.signals) {
    if (s.kind === 'output' && !assigned.has(s)) r.errors.push(new HdlError('UNDRIVEN', `${s.describe()} is never assigned`, s.loc));
    if (s.kind === 'wire' && !assigned.has(s) && read.has(s)) r.errors.push(new HdlError('UNDRIVEN', `${s.describe()} is read but never assigned`, s.loc));
    if (s.kind === 'reg' && !assigned.has(s)) {
      r.warnings.push(new HdlError('CONSTANT REGISTER', `${s.describe()} is never assigned: it keeps its reset value`, s.loc));
    }
  }
  return r;
};

export const latches: ModulePass = (m) => {
  const r = result();
  for (const s of assignedSignals(m.body)) {
    if (s.kind !== 'wire' && s.kind !== 'output') continue;
    if (!assignsOnAllPaths(pruneFor(m.body, s), s)) {
      r.errors.push(
        new HdlError('LATCH', `${s.describe()} is not assigned on every path; assign a default first or add otherwise/default`, s.loc),
      );
    }
  }
  return r;
};

export const names: ModulePass = (m) => {
  const r = result();
  if (!isLegalIdentifier(m.name)) r.errors.push(new HdlError('BAD NAME', `module name '${m.name}' is not a legal Verilog identifier`, m.loc));
  const seen = new Map<string, string>();
  const claim = (name: string, what: string, loc: Signal['loc']): void => {
    if (isKeyword(name)) r.warnings.push(new HdlError('KEYWORD', `${what} '${name}' is a Verilog keyword; emitted as '${name}_'`, loc));
    else if (!isLegalIdentifier(name)) r.errors.push(new HdlError('BAD NAME', `${what} '${name}' is not a legal Verilog identifier`, loc));
    const prev = seen.get(name);
    if (prev) r.errors.push(new HdlError('DUPLICATE NAME', `${what} '${name}' has the name of ${prev}`, loc));
    else seen.set(name, what);
  };
  for (const s of m.signals) {
    // A renamed port would no longer match the name its users (parents, testbenches) connect.
    if ((s.kind === 'input' || s.kind === 'output') && isKeyword(s.name)) {
      r.errors.push(new HdlError('BAD NAME', `port '${s.name}' is a Verilog keyword: choose another name`, s.loc));
      continue;
    }
    if (s.kind !== 'instout') claim(s.name, s.kind, s.loc);
  }
  for (const mem of m.memories) claim(mem.name, 'memory', mem.loc);
  for (const i of m.instances) claim(i.name, 'instance', i.loc);
  for (const s of m.signals) {
    if (s.kind === 'instout' && seen.has(s.name)) {
      r.errors.push(new HdlError('DUPLICATE NAME', `instance output wire '${s.name}' has the name of ${seen.get(s.name)}`, s.loc));
    }
  }
  for (const s of m.ports) {
    if (s.width > 1 && s.kind === 'input' && m.domains.some((d) => d.clock === s)) {
      r.errors.push(new HdlError('BAD CLOCK', `clock '${s.name}' must be 1 bit, is ${typeName(s)}`, s.loc));
    }
  }
  return r;
};

export const unused: ModulePass = (m) => {
  const r = result();
  const read = readSet(m);
  for (const s of m.signals) {
    if ((s.kind === 'wire' || s.kind === 'reg' || s.kind === 'input') && !read.has(s)) {
      r.warnings.push(new HdlError('UNUSED', `${s.describe()} is never read`, s.loc));
    }
  }
  return r;
};

/** Multiply nodes of a module whose operands are both non-constant. */
function variableMultipliers(m: Module): Expr[] {
  const out: Expr[] = [];
  const seen = new Set<Expr>();
  const stack = [...readExprs(m.body), ...auxiliaryExprs(m)];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    const n = e.node;
    if (n.kind === 'binary' && n.op === 'mul' && n.a.node.kind !== 'const' && n.b.node.kind !== 'const') out.push(e);
    stack.push(...children(e));
  }
  return out;
}

export const dspPattern: ModulePass = (m) => {
  const r = result();
  const muls = variableMultipliers(m);
  if (m.primitive?.kind !== 'dsp48e2') {
    for (const e of muls) {
      const n = e.node as Extract<Expr['node'], { kind: 'binary' }>;
      r.warnings.push(
        new HdlError('NOT A DSP TILE', `multiplier ${typeName(n.a)} x ${typeName(n.b)} in '${m.name}' is not a DSP tile (hdl/dsp.ts): no slice registers around it`, e.loc),
      );
    }
    return r;
  }
  if (muls.length !== 1) r.errors.push(new HdlError('DSP PATTERN', `DSP tile '${m.name}' has ${muls.length} multipliers: accepted exactly one`, m.loc));
  const isReg = (x: Expr): boolean => x instanceof Signal && x.kind === 'reg' && x.module === m;
  for (const e of muls) {
    const n = e.node as Extract<Expr['node'], { kind: 'binary' }>;
    if (!isReg(n.a) || !isReg(n.b)) r.errors.push(new HdlError('DSP PATTERN', `DSP tile '${m.name}': a multiplier operand is not a register (logic between register and multiplier)`, e.loc));
    const targets = m.body.filter((st) => st.kind === 'assign' && st.value === e);
    if (targets.length !== 1 || targets[0]!.kind !== 'assign' || targets[0]!.target.kind !== 'reg') {
      r.errors.push(new HdlError('DSP PATTERN', `DSP tile '${m.name}': the product is not written straight into one register (the M register)`, e.loc));
    }
  }
  return r;
};

export const modulePasses: Readonly<Record<string, ModulePass>> = { drivers, outputs, latches, names, unused, 'dsp-pattern': dspPattern };

/** Instances of DSP tiles in the whole hierarchy under `top` (each instance path counted). */
export function countDspTiles(top: Module): { total: number; registered: number } {
  const memo = new Map<Module, { total: number; registered: number }>();
  const visit = (m: Module): { total: number; registered: number } => {
    const hit = memo.get(m);
    if (hit) return hit;
    let total = 0;
    let registered = 0;
    if (m.primitive?.kind === 'dsp48e2') {
      total = 1;
      registered = m.primitive.inputsRegistered && m.primitive.outputRegistered && dspPattern(m).errors.length === 0 ? 1 : 0;
    }
    for (const i of m.instances) {
      if (i.target instanceof ExternModule) continue;
      const c = visit(i.target);
      total += c.total;
      registered += c.registered;
    }
    const res = { total, registered };
    memo.set(m, res);
    return res;
  };
  return visit(top);
}

/** Every module of the hierarchy under `top`, each once. */
export function modulesOf(top: Module): Module[] {
  const out: Module[] = [];
  const seen = new Set<Module>();
  const visit = (m: Module): void => {
    if (seen.has(m)) return;
    seen.add(m);
    for (const i of m.instances) if (!(i.target instanceof ExternModule)) visit(i.target);
    out.push(m);
  };
  visit(top);
  return out;
}

/** Run every pass over the hierarchy; the comb-loop pass runs on the flattened design. */
export function checkDesign(top: Module): CheckResult {
  const all = result();
  for (const m of modulesOf(top)) {
    for (const pass of Object.values(modulePasses)) {
      const r = pass(m);
      all.errors.push(...r.errors);
      all.warnings.push(...r.warnings);
    }
  }
  if (all.errors.length === 0 && !hasExtern(top)) {
    try {
      new Simulator(top);
    } catch (e) {
      if (e instanceof HdlError) all.errors.push(e);
      else throw e;
    }
  }
  return all;
}

function hasExtern(top: Module): boolean {
  return modulesOf(top).some((m) => m.instances.some((i) => i.target instanceof ExternModule));
}

/** Throws HdlCheckError listing every error; returns the warnings. */
export function assertClean(top: Module): HdlError[] {
  const r = checkDesign(top);
  if (r.errors.length > 0) throw new HdlCheckError(r.errors);
  return r.warnings;
}
