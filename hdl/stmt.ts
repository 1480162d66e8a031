/** Helpers over statement trees, shared by the checks, the emitter and the simulator. */
import { Expr, children } from './expr.ts';
import type { Signal, Stmt, Module } from './module.ts';

/** Statements of `stmts` that touch `target` (one signal or a set), every other assignment pruned away. */
export function pruneFor(stmts: readonly Stmt[], target: Signal | ReadonlySet<Signal>): Stmt[] {
  const out: Stmt[] = [];
  const hit = (s: Signal): boolean => (target instanceof Set ? target.has(s) : s === target);
  for (const st of stmts) {
    if (st.kind === 'assign') {
      if (hit(st.target)) out.push(st);
    } else if (st.kind === 'when') {
      const branches = st.branches.map((b) => ({ cond: b.cond, body: pruneFor(b.body, target) }));
      while (branches.length > 0 && branches.at(-1)!.body.length === 0) branches.pop();
      if (branches.length > 0) out.push({ kind: 'when', branches, loc: st.loc });
    } else {
      const cases = st.cases.map((c) => ({ values: c.values, body: pruneFor(c.body, target) }));
      if (cases.some((c) => c.body.length > 0)) out.push({ kind: 'switch', subject: st.subject, cases, loc: st.loc });
    }
  }
  return out;
}

/** Every signal assigned anywhere in the tree, in first-assignment order. */
export function assignedSignals(stmts: readonly Stmt[]): Signal[] {
  const seen = new Set<Signal>();
  const walk = (ss: readonly Stmt[]): void => {
    for (const st of ss) {
      if (st.kind === 'assign') seen.add(st.target);
      else if (st.kind === 'when') for (const b of st.branches) walk(b.body);
      else for (const c of st.cases) walk(c.body);
    }
  };
  walk(stmts);
  return [...seen];
}

/** Every expression read by the tree: values, conditions, switch subjects. */
export function readExprs(stmts: readonly Stmt[]): Expr[] {
  const out: Expr[] = [];
  const walk = (ss: readonly Stmt[]): void => {
    for (const st of ss) {
      if (st.kind === 'assign') out.push(st.value);
      else if (st.kind === 'when') {
        for (const b of st.branches) {
          if (b.cond) out.push(b.cond);
          walk(b.body);
        }
      } else {
        out.push(st.subject);
        for (const c of st.cases) walk(c.body);
      }
    }
  };
  walk(stmts);
  return out;
}

/** Signals (leaves) that the expressions read. */
export function signalsRead(exprs: readonly Expr[]): Set<Signal> {
  const out = new Set<Signal>();
  const seen = new Set<Expr>();
  const stack = [...exprs];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    if (e.node.kind === 'signal') out.add(e as Signal);
    else stack.push(...children(e));
  }
  return out;
}

/** True if every path through the statements assigns `target` (no latch is needed). */
export function assignsOnAllPaths(stmts: readonly Stmt[], target: Signal, subjectCases?: (subject: Expr) => bigint): boolean {
  for (const st of stmts) {
    if (st.kind === 'assign') {
      if (st.target === target) return true;
    } else if (st.kind === 'when') {
      const complete = st.branches.at(-1)!.cond === null;
      if (complete && st.branches.every((b) => assignsOnAllPaths(b.body, target, subjectCases))) return true;
    } else {
      const hasDefault = st.cases.some((c) => c.values === null);
      const covered = st.cases.reduce((n, c) => n + (c.values?.length ?? 0), 0);
      const all = subjectCases ? subjectCases(st.subject) : 1n << BigInt(st.subject.width);
      const complete = hasDefault || BigInt(covered) >= all;
      if (complete && st.cases.every((c) => assignsOnAllPaths(c.body, target, subjectCases))) return true;
    }
  }
  return false;
}

/** All expressions a module reads outside its statement tree (enables, memory ports, instances). */
export function auxiliaryExprs(m: Module): Expr[] {
  const out: Expr[] = [];
  for (const s of m.signals) if (s.enable) out.push(s.enable);
  for (const mem of m.memories) {
    for (const r of mem.readPorts) {
      out.push(r.addr);
      if (r.enable) out.push(r.enable);
    }
    for (const w of mem.writePorts) out.push(w.addr, w.data, w.enable);
  }
  for (const inst of m.instances) out.push(...inst.inputs.values());
  return out;
}
