/**
 * Verilog-2005 emitter. The contract (see hdl/IR.md):
 *
 * - Every emitted expression, read on its own (self-determined), has exactly the IR node's
 *   width and signedness, and every Verilog operator inside it sees operands of equal width:
 *   the emitter extends operands explicitly (`{8'd0, a}`, `$signed({{8{b[7]}}, b})`), so
 *   Verilog's context-dependent sizing never changes a result and `verilator -Wall` has no
 *   width to complain about.
 * - Names: signals keep the names the user wrote; single-use temporaries are inlined; values
 *   used several times, named by the user (`.named()`), or needing a bit-select get a wire
 *   named after their consumer (`acc_next_prod`). Output is byte-for-byte deterministic.
 * - Bits that the design reads nowhere (dropped by a trunc or slice) are collected into one
 *   `_unused_ok` wire, Verilator's convention for intentionally unused bits.
 */
import { Expr, children } from './expr.ts';
import { Module, Signal, ExternModule, type Stmt, type Memory, type ClockDomain } from './module.ts';
import { Value } from './value.ts';
import { type HwType, typeName, minValue } from './types.ts';
import { Namespace, legalize } from './names.ts';
import { formatLocation, type SourceLoc } from './source.ts';
import { HdlError } from './errors.ts';
import { pruneFor, readExprs, auxiliaryExprs } from './stmt.ts';
import { assertClean } from './checks.ts';
import { createHash } from 'node:crypto';


/** Longest list the emitter writes on one line (Verilator reads at most 40,000 tokens a line). */
const MAX_LIST_CHARS = 20000;

/** Items joined by ', ', or one per line when they would make a line too long for the tools. */
function joinList(items: readonly string[]): string {
  const flat = items.join(', ');
  return flat.length <= MAX_LIST_CHARS ? flat : items.join(',\n    ');
}

export interface EmitOptions {
  /** Run the design checks first (default true); errors throw HdlCheckError. */
  check?: boolean;
  /** Append `// file.ts:line` to statements (default false: keeps diffs of generated code small). */
  locations?: boolean;
  /** Extra header lines (e.g. the command that generated the design). */
  headerNotes?: string[];
}

export interface EmittedModule {
  readonly name: string;
  readonly fileName: string;
  readonly text: string;
  readonly module: Module;
}

export interface EmittedDesign {
  readonly top: string;
  /** Children first, top last. */
  readonly modules: readonly EmittedModule[];
  readonly externs: readonly ExternModule[];
  /** Warnings of the design checks (unused signals, renamed keywords, ...). */
  readonly warnings: readonly HdlError[];
}

/** Emit `top` and every module it instantiates, one file per module. */
export function emitDesign(top: Module, opts: EmitOptions = {}): EmittedDesign {
  const warnings = opts.check === false ? [] : assertClean(top);
  const ordered: Module[] = [];
  const externs = new Map<string, ExternModule>();
  const visiting = new Set<Module>();
  const done = new Set<Module>();
  const visit = (m: Module, path: string[]): void => {
    if (done.has(m)) return;
    if (visiting.has(m)) throw new HdlError('RECURSIVE INSTANCE', `module '${m.name}' instantiates itself via ${path.join(' -> ')}`, m.loc);
    visiting.add(m);
    for (const inst of m.instances) {
      if (inst.target instanceof Module) visit(inst.target, [...path, inst.name]);
      else externs.set(inst.target.name, inst.target);
    }
    visiting.delete(m);
    done.add(m);
    ordered.push(m);
  };
  visit(top, [top.name]);

  // Modules that ask for it (`hashName`) are named after their content: the readable name plus
  // a short hash of the emitted body (child names included, so the hash covers the subtree).
  // Two configurations can then share one FPGA project: equal names mean equal Verilog.
  const finalNames = new Map<Module, string>();
  const nameOf = (x: Module | ExternModule): string => (x instanceof Module ? finalNames.get(x) ?? x.name : x.name);
  const byName = new Map<string, EmittedModule>();
  const modules: EmittedModule[] = [];
  for (const m of ordered) {
    let name = m.name;
    let text = new ModuleEmitter(m, opts, nameOf).emit();
    if (m.hashName && m !== top) {
      name = `${m.name}_${contentHash(text, m.name)}`;
      finalNames.set(m, name);
      text = new ModuleEmitter(m, opts, nameOf).emit();
    } else {
      finalNames.set(m, name);
    }
    const prev = byName.get(name);
    if (prev) {
      if (prev.text !== text) {
        throw new HdlError(
          'NAME CLASH',
          `two different modules are named '${name}' (first built at ${formatLocation(prev.module.loc)}); give generated modules names that encode their parameters`,
          m.loc,
        );
      }
      continue;
    }
    if (externs.has(name)) throw new HdlError('NAME CLASH', `module '${name}' has the name of an external module`, m.loc);
    const em = { name, fileName: `${name}.v`, text, module: m };
    byName.set(name, em);
    modules.push(em);
  }
  return { top: nameOf(top), modules, externs: [...externs.values()], warnings };
}

/** 8 hex digits of SHA-256 over the module body (from `module` on), its own name masked. */
function contentHash(text: string, name: string): string {
  const body = text.slice(text.indexOf(`\nmodule ${name} (`));
  return createHash('sha256').update(body.split(name).join('\u0000')).digest('hex').slice(0, 8);
}

export function emitModule(m: Module, opts: EmitOptions = {}): string {
  return new ModuleEmitter(m, opts, (x) => x.name).emit();
}

interface Piece {
  text: string;
  /** True when the text can be an operand without parentheses. */
  atomic: boolean;
}

function range(t: HwType): string {
  return t.width === 1 ? '' : `[${t.width - 1}:0] `;
}

function declType(t: HwType): string {
  return `${t.signed ? 'signed ' : ''}${range(t)}`;
}

/** A sized literal of type t. */
export function literal(value: bigint, t: HwType): Piece {
  const w = t.width;
  if (!t.signed) {
    if (w === 1) return { text: `1'b${value}`, atomic: true };
    return { text: `${w}'d${value}`, atomic: true };
  }
  if (value >= 0n) return { text: `${w}'sd${value}`, atomic: true };
  if (value === minValue(t)) return { text: `${w}'sh${BigInt.asUintN(w, value).toString(16)}`, atomic: true };
  return { text: `-${w}'sd${-value}`, atomic: false };
}

function zeros(k: number): string {
  return k === 1 ? "1'b0" : `${k}'d0`;
}

function paren(p: Piece): string {
  return p.atomic ? p.text : `(${p.text})`;
}

const suffixes: Record<string, string> = {
  add: 'sum', sub: 'diff', mul: 'prod', and: 'and', or: 'or', xor: 'xor',
  eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge', shlv: 'shl', shrv: 'shr',
  not: 'inv', neg: 'neg', redand: 'all', redor: 'any', redxor: 'parity',
  shl: 'shl', shr: 'shr', mux: 'sel', slice: 'bits', concat: 'cat', zext: 'ext', sext: 'ext', trunc: 'lo', cast: 'cast',
};

function suffixOf(e: Expr): string {
  const n = e.node;
  if (n.kind === 'unary' || n.kind === 'binary') return suffixes[n.op] ?? n.op;
  return suffixes[n.kind] ?? n.kind;
}

class ModuleEmitter {
  private readonly ns = new Namespace();
  private readonly names = new Map<Expr, string>();
  private readonly uses = new Map<Expr, number>();
  /** Width and read-bit mask of every named Verilog signal, for the unused-bits sink. */
  private readonly reads = new Map<string, { width: number; mask: bigint }>();
  private readonly order: string[] = [];
  private readonly declLines: string[] = [];
  private readonly tempLines: string[] = [];
  private readonly bodyLines: string[] = [];
  private readonly procedural = new Set<Signal>();
  private readonly memNames = new Map<Memory, string>();
  private readonly instNames = new Map<Module['instances'][number], string>();
  private consumer = 'tmp';

  constructor(
    private readonly m: Module,
    private readonly opts: EmitOptions,
    /** Emitted name of a module (its own, or an instantiated one's). */
    private readonly moduleName: (x: Module | ExternModule) => string,
  ) {}

  emit(): string {
    this.nameSignals();
    this.countUses();
    const assigned = this.collectAssignedTargets();
    // Registers, then combinational signals, then memories and instances: a stable order.
    this.emitRegisters();
    for (const s of this.m.signals) {
      if ((s.kind === 'wire' || s.kind === 'output') && assigned.has(s)) this.emitCombinational(s);
    }
    for (const mem of this.m.memories) this.emitMemory(mem);
    for (const inst of this.m.instances) this.emitInstance(inst);
    return this.assemble();
  }

  // ---- names -----------------------------------------------------------------------------

  private nameSignals(): void {
    for (const s of this.m.signals) {
      const name = this.ns.fresh(legalize(s.name));
      this.names.set(s, name);
      // Outputs are read by the parent; everything else must be read inside the module.
      const full = (1n << BigInt(s.width)) - 1n;
      this.reads.set(name, { width: s.width, mask: s.kind === 'output' ? full : 0n });
      this.order.push(name);
    }
    for (const mem of this.m.memories) this.memNames.set(mem, this.ns.fresh(mem.name));
    for (const inst of this.m.instances) this.instNames.set(inst, this.ns.fresh(inst.name));
  }

  private memName(mem: Memory): string {
    return this.memNames.get(mem)!;
  }

  private countUses(): void {
    const seen = new Set<Expr>();
    const visit = (e: Expr): void => {
      this.uses.set(e, (this.uses.get(e) ?? 0) + 1);
      if (seen.has(e)) return;
      seen.add(e);
      for (const c of children(e)) visit(c);
    };
    for (const e of [...readExprs(this.m.body), ...auxiliaryExprs(this.m)]) visit(e);
  }

  private collectAssignedTargets(): Set<Signal> {
    const out = new Set<Signal>();
    const walk = (stmts: readonly Stmt[], conditional: boolean): void => {
      for (const st of stmts) {
        if (st.kind === 'assign') {
          out.add(st.target);
          if (conditional) this.procedural.add(st.target);
        } else if (st.kind === 'when') for (const b of st.branches) walk(b.body, true);
        else for (const c of st.cases) walk(c.body, true);
      }
    };
    walk(this.m.body, false);
    // A wire assigned twice at top level also needs a process (last assignment wins).
    const counts = new Map<Signal, number>();
    for (const st of this.m.body) if (st.kind === 'assign') counts.set(st.target, (counts.get(st.target) ?? 0) + 1);
    for (const [s, c] of counts) if (c > 1) this.procedural.add(s);
    return out;
  }

  private nameOf(e: Expr): string | undefined {
    return this.names.get(e);
  }

  private markRead(name: string, hi?: number, lo?: number): void {
    const r = this.reads.get(name);
    if (!r) return;
    if (hi === undefined || lo === undefined) r.mask = (1n << BigInt(r.width)) - 1n;
    else r.mask |= ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
  }

  private loc(loc: SourceLoc | undefined): string {
    return this.opts.locations && loc ? ` // ${formatLocation(loc)}` : '';
  }

  // ---- expressions ----------------------------------------------------------------------

  /** Text for `e`, self-determined with exactly e's width and signedness. */
  private expr(e: Expr): Piece {
    const known = this.nameOf(e);
    if (known) {
      this.markRead(known);
      return { text: known, atomic: true };
    }
    if (e.node.kind === 'const') return e.nameHint !== undefined ? { text: this.localparam(e), atomic: true } : literal(e.node.value, e);
    if (e.nameHint !== undefined || (this.uses.get(e) ?? 0) > 1) return this.ref(this.materialize(e));
    const p = this.inline(e);
    if (p.text.length > 110) return this.ref(this.materialize(e, p));
    return p;
  }

  private ref(name: string): Piece {
    this.markRead(name);
    return { text: name, atomic: true };
  }

  /** Give `e` its own wire; returns the name (not yet marked as read). */
  private materialize(e: Expr, already?: Piece, wanted?: string): string {
    const existing = this.nameOf(e);
    if (existing) return existing;
    const name = this.ns.fresh(e.nameHint ?? wanted ?? `${this.consumer}_${suffixOf(e)}`);
    this.names.set(e, name);
    this.reads.set(name, { width: e.width, mask: 0n });
    this.order.push(name);
    const saved = this.consumer;
    if (e.nameHint) this.consumer = name;
    const p = already ?? this.inline(e);
    this.consumer = saved;
    this.tempLines.push(`  wire ${declType(e)}${name};`);
    this.bodyLines.push(`  assign ${name} = ${p.text};${this.loc(e.loc)}`);
    return name;
  }

  /** A named constant (FSM state codes, ...) becomes a localparam, declared on first use. */
  private localparam(e: Expr): string {
    const existing = this.nameOf(e);
    if (existing) return existing;
    const n = e.node;
    if (n.kind !== 'const') throw new Error('localparam of a non-constant');
    const name = this.ns.fresh(e.nameHint!);
    this.names.set(e, name);
    this.declLines.push(`  localparam ${declType(e)}${name} = ${literal(n.value, e).text};`);
    return name;
  }

  /** A name for e, for positions that need one (bit-selects). Constants never reach here. */
  private atom(e: Expr): string {
    return this.nameOf(e) ?? this.materialize(e);
  }

  /** Bits hi..lo of e (unsigned in Verilog). */
  private select(e: Expr, hi: number, lo: number): Piece {
    if (e.node.kind === 'const') {
      return literal(Value.wrap(e.node.value, e).slice(hi, lo).toBigInt(), { width: hi - lo + 1, signed: false });
    }
    if (hi === e.width - 1 && lo === 0 && !e.signed) return this.expr(e);
    const name = this.atom(e);
    this.markRead(name, hi, lo);
    if (e.width === 1) return { text: e.signed ? `$unsigned(${name})` : name, atomic: true };
    return { text: hi === lo ? `${name}[${lo}]` : `${name}[${hi}:${lo}]`, atomic: true };
  }

  private signedIf(signed: boolean, p: Piece): Piece {
    return signed ? { text: `$signed(${p.text})`, atomic: true } : p;
  }

  /** e extended (by its own signedness) to `width` bits; keeps e's signedness. */
  private extend(e: Expr, width: number): Piece {
    if (width === e.width) return this.expr(e);
    if (e.node.kind === 'const') return literal(e.node.value, { width, signed: e.signed });
    const n = e.node;
    // Extending an extension is one extension (and needs no intermediate wire).
    if (this.isInlineable(e) && (n.kind === 'sext' || n.kind === 'zext') && n.a.signed === e.signed) return this.extend(n.a, width);
    // A signed view of a zero-extended value has a 0 on top: zero-extend the inner value.
    if (this.isInlineable(e) && n.kind === 'cast' && e.signed && n.a.node.kind === 'zext' && this.isInlineable(n.a)) {
      const inner = n.a.node.a;
      return { text: `$signed({${zeros(width - inner.width)}, ${this.expr(inner).text}})`, atomic: true };
    }
    const k = width - e.width;
    if (!e.signed) return { text: `{${zeros(k)}, ${this.expr(e).text}}`, atomic: true };
    return this.signExtendBits(e, width);
  }

  /** The bits of e (whatever its signedness) sign-extended to `width`, as a signed value. */
  private signExtendBits(e: Expr, width: number): Piece {
    const k = width - e.width;
    if (e.node.kind === 'const') return literal(BigInt.asIntN(e.width, BigInt.asUintN(e.width, e.node.value)), { width, signed: true });
    const name = this.atom(e);
    this.markRead(name);
    const sign = e.width === 1 ? name : `${name}[${e.width - 1}]`;
    const rep = k === 1 ? sign : `{${k}{${sign}}}`;
    return { text: `$signed({${rep}, ${name}})`, atomic: true };
  }

  /** True if e has no wire of its own and would be inlined at its single use. */
  private isInlineable(e: Expr): boolean {
    return !this.names.has(e) && e.nameHint === undefined && (this.uses.get(e) ?? 0) <= 1;
  }

  private inline(e: Expr): Piece {
    const n = e.node;
    switch (n.kind) {
      case 'const':
        return literal(n.value, e);
      case 'signal':
        return this.ref(this.atom(e));
      case 'unary': {
        switch (n.op) {
          case 'not':
            return { text: `~${paren(this.expr(n.a))}`, atomic: false };
          case 'neg': {
            const x = n.a.signed ? this.extend(n.a, e.width) : { text: `$signed({1'b0, ${this.expr(n.a).text}})`, atomic: true };
            return { text: `-${paren(x)}`, atomic: false };
          }
          case 'redand':
            return { text: `&${paren(this.expr(n.a))}`, atomic: false };
          case 'redor':
            return { text: `|${paren(this.expr(n.a))}`, atomic: false };
          case 'redxor':
            return { text: `^${paren(this.expr(n.a))}`, atomic: false };
        }
        break;
      }
      case 'binary': {
        const sym: Record<string, string> = {
          add: '+', sub: '-', mul: '*', and: '&', or: '|', xor: '^',
          eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=',
        };
        if (n.op === 'shlv' || n.op === 'shrv') {
          const op = n.op === 'shlv' ? '<<' : n.a.signed ? '>>>' : '>>';
          return { text: `${paren(this.expr(n.a))} ${op} ${paren(this.expr(n.b))}`, atomic: false };
        }
        // Unsigned comparisons against 0 are constant; Verilator flags them, so fold them.
        const isZero = (x: Expr): boolean => x.node.kind === 'const' && x.node.value === 0n && !x.signed;
        if ((n.op === 'ge' && isZero(n.b)) || (n.op === 'le' && isZero(n.a))) return literal(1n, e);
        if ((n.op === 'lt' && isZero(n.b)) || (n.op === 'gt' && isZero(n.a))) return literal(0n, e);
        const w = n.op === 'add' || n.op === 'sub' || n.op === 'mul' ? e.width : Math.max(n.a.width, n.b.width);
        const a = this.extend(n.a, w);
        const b = this.extend(n.b, w);
        return { text: `${paren(a)} ${sym[n.op]} ${paren(b)}`, atomic: false };
      }
      case 'shl': {
        const a = this.expr(n.a);
        return this.signedIf(e.signed, { text: `{${a.text}, ${n.amount}'d0}`, atomic: true });
      }
      case 'shr':
        return this.signedIf(e.signed, this.select(n.a, n.a.width - 1, n.amount));
      case 'mux': {
        const sel = this.expr(n.sel);
        return { text: `${paren(sel)} ? ${paren(this.expr(n.a))} : ${paren(this.expr(n.b))}`, atomic: false };
      }
      case 'slice':
        return this.select(n.a, n.hi, n.lo);
      case 'concat':
        return { text: `{${joinList(n.parts.map((p) => this.expr(p).text))}}`, atomic: true };
      case 'zext':
        return this.extend(n.a.signed ? n.a.asUnsigned() : n.a, e.width);
      case 'sext':
        return n.a.signed ? this.extend(n.a, e.width) : this.signExtendBits(n.a, e.width);
      case 'trunc':
        return this.signedIf(e.signed, this.select(n.a, e.width - 1, 0));
      case 'cast': {
        const inner = this.expr(n.a);
        return { text: `${e.signed ? '$signed' : '$unsigned'}(${inner.text})`, atomic: true };
      }
    }
    throw new Error(`unhandled node ${(n as { kind: string }).kind}`);
  }

  // ---- statements -----------------------------------------------------------------------

  private stmts(stmts: readonly Stmt[], indent: string, op: '=' | '<=', lines: string[]): void {
    for (const st of stmts) {
      if (st.kind === 'assign') {
        const target = this.names.get(st.target)!;
        this.consumer = op === '<=' ? `${target}_next` : target;
        lines.push(`${indent}${target} ${op} ${this.expr(st.value).text};${this.loc(st.loc)}`);
      } else if (st.kind === 'when') {
        st.branches.forEach((b, i) => {
          const head = b.cond === null ? 'else' : `${i === 0 ? 'if' : 'else if'} (${this.expr(b.cond).text})`;
          lines.push(`${indent}${head} begin${i === 0 ? this.loc(st.loc) : ''}`);
          this.stmts(b.body, indent + '  ', op, lines);
          lines.push(`${indent}end`);
        });
      } else {
        lines.push(`${indent}case (${this.expr(st.subject).text})${this.loc(st.loc)}`);
        let hasDefault = false;
        for (const c of st.cases) {
          const label = c.values === null ? 'default' : c.values.map((v) => literal(v, st.subject).text).join(', ');
          if (c.values === null) hasDefault = true;
          lines.push(`${indent}  ${label}: begin`);
          this.stmts(c.body, indent + '    ', op, lines);
          lines.push(`${indent}  end`);
        }
        if (!hasDefault) lines.push(`${indent}  default: begin`, `${indent}  end`);
        lines.push(`${indent}endcase`);
      }
    }
  }

  private emitCombinational(s: Signal): void {
    const name = this.names.get(s)!;
    this.consumer = name;
    const body = pruneFor(this.m.body, s);
    if (!this.procedural.has(s) && body.length === 1 && body[0]!.kind === 'assign') {
      this.bodyLines.push(`  assign ${name} = ${this.expr(body[0]!.value).text};${this.loc(body[0]!.loc)}`);
      return;
    }
    this.procedural.add(s);
    const lines: string[] = [];
    this.stmts(body, '    ', '=', lines);
    this.bodyLines.push(`  always @* begin`, ...lines, `  end`);
  }

  private resetCondition(d: ClockDomain): string {
    const r = this.names.get(d.reset!)!;
    this.markRead(r);
    return d.resetActive === 'high' ? r : `!${r}`;
  }

  /** Sensitivity list; memory ports have no reset, so they pass `withReset = false`. */
  private sensitivity(d: ClockDomain, withReset = true): string {
    const clk = this.names.get(d.clock)!;
    this.markRead(clk);
    if (withReset && d.reset && d.resetKind === 'async') {
      const r = this.names.get(d.reset)!;
      return `posedge ${clk} or ${d.resetActive === 'high' ? 'posedge' : 'negedge'} ${r}`;
    }
    return `posedge ${clk}`;
  }

  /**
   * Registers sharing a clock domain, reset presence and enable are written in one always
   * block: the statement tree pruned to just them, under one reset branch.
   */
  private emitRegisterGroup(regs: Signal[]): void {
    const first = regs[0]!;
    const names = regs.map((r) => this.names.get(r)!);
    this.consumer = `${names[0]}_next`;
    const d = first.domain!;
    const body = pruneFor(this.m.body, new Set(regs));
    const lines: string[] = [];
    let indent = '    ';
    const hasReset = first.resetValue !== null && d.reset !== undefined;
    if (hasReset) {
      lines.push(`${indent}if (${this.resetCondition(d)}) begin`);
      regs.forEach((r, i) => lines.push(`${indent}  ${names[i]} <= ${literal(r.resetValue!, r).text};`));
      lines.push(`${indent}end else begin`);
      indent += '  ';
    }
    if (first.enable) {
      lines.push(`${indent}if (${this.expr(first.enable).text}) begin`);
      this.stmts(body, indent + '  ', '<=', lines);
      lines.push(`${indent}end`);
    } else {
      this.stmts(body, indent, '<=', lines);
    }
    if (hasReset) lines.push(`    end`);
    this.bodyLines.push(`  always @(${this.sensitivity(d)}) begin`, ...lines, `  end`);
  }

  private emitRegisters(): void {
    const groups = new Map<string, Signal[]>();
    const domainIds = new Map<ClockDomain, number>();
    const enableIds = new Map<Expr, number>();
    for (const s of this.m.signals) {
      if (s.kind !== 'reg') continue;
      if (!domainIds.has(s.domain!)) domainIds.set(s.domain!, domainIds.size);
      if (s.enable && !enableIds.has(s.enable)) enableIds.set(s.enable, enableIds.size);
      const key = `${domainIds.get(s.domain!)}/${s.resetValue !== null}/${s.enable ? enableIds.get(s.enable) : '-'}`;
      const g = groups.get(key);
      if (g) g.push(s);
      else groups.set(key, [s]);
    }
    for (const g of groups.values()) this.emitRegisterGroup(g);
  }

  private emitMemory(mem: Memory): void {
    const name = this.memName(mem);
    this.consumer = name;
    const t = mem.type;
    const attrs = mem.attributes ? `(* ${Object.entries(mem.attributes).map(([k, v]) => `${k} = "${v}"`).join(', ')} *) ` : '';
    this.declLines.push(`  ${attrs}reg ${declType(t)}${name} [0:${mem.depth - 1}];${mem.doc ? ` // ${mem.doc}` : ''}`);
    if (mem.init) {
      this.bodyLines.push(`  initial begin`);
      mem.init.forEach((v, i) => this.bodyLines.push(`    ${name}[${i}] = ${literal(v, t).text};`));
      for (let i = mem.init.length; i < mem.depth; i++) this.bodyLines.push(`    ${name}[${i}] = ${literal(0n, t).text};`);
      this.bodyLines.push(`  end`);
    }
    for (const w of mem.writePorts) {
      this.bodyLines.push(
        `  always @(${this.sensitivity(w.domain, false)}) begin${this.loc(w.loc)}`,
        `    if (${this.expr(w.enable).text}) ${name}[${this.expr(w.addr).text}] <= ${this.expr(w.data).text};`,
        `  end`,
      );
    }
    for (const r of mem.readPorts) {
      const data = this.names.get(r.data)!;
      this.consumer = data;
      const addr = this.expr(r.addr).text;
      if (r.latency === 0) {
        this.bodyLines.push(`  assign ${data} = ${name}[${addr}];${this.loc(r.loc)}`);
        continue;
      }
      this.procedural.add(r.data);
      let value = `${name}[${addr}]`;
      if (r.readDuringWrite === 'write-first') {
        const w = mem.writePorts.filter((p) => p.domain === r.domain);
        if (w.length !== 1) {
          throw new HdlError('BAD MEMORY', `write-first read of '${mem.name}' needs exactly one write port in its domain, found ${w.length}`, r.loc);
        }
        const wp = w[0]!;
        const hit = `${paren(this.expr(wp.enable))} && (${this.expr(wp.addr).text} == ${addr})`;
        value = `(${hit}) ? ${this.expr(wp.data).text} : ${value}`;
      }
      const en = r.enable ? `if (${this.expr(r.enable).text}) ` : '';
      this.bodyLines.push(`  always @(${this.sensitivity(r.domain!, false)}) begin${this.loc(r.loc)}`, `    ${en}${data} <= ${value};`, `  end`);
    }
  }

  private emitInstance(inst: Module['instances'][number]): void {
    const target = inst.target;
    const params =
      target instanceof ExternModule && Object.keys(target.parameters).length > 0
        ? ` #(${Object.entries(target.parameters).map(([k, v]) => `.${k}(${v})`).join(', ')})`
        : '';
    const conns: string[] = [];
    const ports = target instanceof Module ? target.portInfo() : target.ports;
    for (const p of ports) {
      if (p.direction === 'input') {
        const e = inst.inputs.get(p.name)!;
        this.consumer = `${inst.name}_${p.name}`;
        let piece = this.expr(e);
        // Compound connections get a wire named after the port. So do $signed()/$unsigned()
        // casts: Yosys 0.23 asserts on a cast in a port connection.
        if (!piece.atomic || piece.text.length > 40 || piece.text.startsWith('$')) {
          piece = this.ref(this.materialize(e, undefined, `${inst.name}_${p.name}`));
        }
        conns.push(`.${p.name}(${piece.text})`);
      } else {
        const s = inst.outputs.get(p.name)!;
        conns.push(`.${p.name}(${this.names.get(s)})`);
      }
    }
    this.bodyLines.push(`  ${this.moduleName(target)}${params} ${this.instNames.get(inst)} (${this.loc(inst.loc)}`);
    conns.forEach((c, i) => this.bodyLines.push(`    ${c}${i < conns.length - 1 ? ',' : ''}`));
    this.bodyLines.push(`  );`);
  }

  // ---- assembly -------------------------------------------------------------------------

  private header(): string[] {
    const m = this.m;
    const lines = [
      `// ${'-'.repeat(94)}`,
      `// ${this.moduleName(m)}`,
    ];
    if (m.doc) for (const l of m.doc.split('\n')) lines.push(`//   ${l}`);
    lines.push('//');
    if (m.generator) {
      lines.push(`// Generator:  ${m.generator.name}`);
      lines.push(`// Parameters: ${JSON.stringify(m.generator.params)}`);
    }
    lines.push(`// Built at:   ${formatLocation(m.loc)}`);
    for (const n of this.opts.headerNotes ?? []) lines.push(`// ${n}`);
    lines.push('//', '// Interface:');
    const ports = m.ports;
    const w = Math.max(4, ...ports.map((p) => p.name.length));
    for (const p of ports) {
      lines.push(
        `//   ${p.kind === 'input' ? 'input ' : 'output'} ${p.name.padEnd(w)} ${typeName(p).padEnd(5)}${p.doc ? `  ${p.doc}` : ''}`.trimEnd(),
      );
    }
    lines.push('//', '// Generated by swiftkv-hdl (TypeScript). Do not edit: change the generator instead.');
    lines.push(`// ${'-'.repeat(94)}`);
    return lines;
  }

  private assemble(): string {
    const m = this.m;
    const out: string[] = [...this.header(), '`timescale 1ns / 1ps', '`default_nettype none', '', `module ${this.moduleName(m)} (`];
    const ports = m.ports;
    ports.forEach((p, i) => {
      const kind = p.kind === 'input' ? 'input  wire' : this.procedural.has(p) ? 'output reg ' : 'output wire';
      out.push(`  ${kind} ${declType(p)}${this.names.get(p)}${i < ports.length - 1 ? ',' : ''}`);
    });
    out.push(');', '');
    const decls: string[] = [];
    for (const s of m.signals) {
      if (s.kind === 'input' || s.kind === 'output') continue;
      const isReg = s.kind === 'reg' || this.procedural.has(s);
      const attrs = s.attributes ? `(* ${Object.entries(s.attributes).map(([k, v]) => `${k} = "${v}"`).join(', ')} *) ` : '';
      decls.push(`  ${attrs}${isReg ? 'reg ' : 'wire'} ${declType(s)}${this.names.get(s)};${s.doc ? ` // ${s.doc}` : ''}`);
    }
    if (decls.length + this.declLines.length + this.tempLines.length > 0) {
      out.push(...decls, ...this.declLines, ...this.tempLines, '');
    }
    out.push(...this.bodyLines);
    const unused = this.unusedBits();
    if (unused.length > 0) {
      out.push('', '  // Bits no logic reads (dropped on purpose by a trunc or slice); named for lint.');
      out.push(`  wire _unused_ok = &{${joinList(["1'b0", ...unused, "1'b0"])}};`);
    }
    out.push('', 'endmodule', '', '`default_nettype wire', '');
    return out.join('\n');
  }

  /** Verilog selections covering every bit of every signal that nothing reads. */
  private unusedBits(): string[] {
    const parts: string[] = [];
    for (const name of this.order) {
      const r = this.reads.get(name)!;
      const full = (1n << BigInt(r.width)) - 1n;
      if (r.mask === full) continue;
      if (r.mask === 0n) {
        parts.push(name);
        continue;
      }
      let i = 0;
      while (i < r.width) {
        if ((r.mask >> BigInt(i)) & 1n) {
          i++;
          continue;
        }
        let j = i;
        while (j + 1 < r.width && !((r.mask >> BigInt(j + 1)) & 1n)) j++;
        parts.push(i === j ? `${name}[${i}]` : `${name}[${j}:${i}]`);
        i = j + 1;
      }
    }
    return parts;
  }
}

