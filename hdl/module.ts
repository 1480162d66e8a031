/**
 * Modules: ports, wires, registers with explicit clock domains, combinational when/switch
 * blocks, memories and instances. A module is built by ordinary TypeScript code: generator
 * parameters are resolved here, at elaboration, and only the resulting structure is emitted.
 */
import { type HwType, typeName, sameType, clog2, fits } from './types.ts';
import { Expr, type ExprLike, lit } from './expr.ts';
import { type SourceLoc, captureLocation, formatLocation } from './source.ts';
import { HdlError } from './errors.ts';

export type SignalKind = 'input' | 'output' | 'wire' | 'reg' | 'memread' | 'instout';

export interface ClockDomain {
  readonly name: string;
  readonly clock: Signal;
  /** Reset input, or undefined for a domain without reset. */
  readonly reset: Signal | undefined;
  readonly resetKind: 'sync' | 'async';
  readonly resetActive: 'high' | 'low';
}

export interface RegOptions {
  domain: ClockDomain;
  /** Value loaded while reset is active; `null` for a register without reset (e.g. datapath). */
  reset: bigint | number | null;
  /** Register only updates when this 1-bit signal is high (in addition to `when` conditions). */
  enable?: Expr;
}

export class Signal extends Expr {
  readonly kind: SignalKind;
  readonly module: Module;
  name: string;
  /** For registers. */
  readonly domain: ClockDomain | undefined;
  readonly resetValue: bigint | null;
  readonly enable: Expr | undefined;
  /** Free-form description, emitted as a comment next to the declaration. */
  doc: string | undefined;
  /** Verilog attributes on the declaration, e.g. { srl_style: 'reg_srl_reg' } for synthesis tools. */
  attributes: Record<string, string> | undefined;

  constructor(module: Module, kind: SignalKind, name: string, type: HwType, loc: SourceLoc | undefined, reg?: RegOptions) {
    super(type, { kind: 'signal' }, loc);
    this.module = module;
    this.kind = kind;
    this.name = name;
    this.nameHint = name;
    this.domain = reg?.domain;
    this.resetValue = reg && reg.reset !== null ? BigInt(reg.reset) : null;
    this.enable = reg?.enable;
  }

  /**
   * Drive this signal (wire/output: combinational value; reg: next value). Inside `when`
   * or `switch` bodies the assignment is conditional; the last assignment on a path wins.
   * Types must match exactly; say `resize`, `trunc`, `zext`, `sext` or `asSigned` otherwise.
   */
  set(value: ExprLike): void {
    this.module.addAssign(this, value, captureLocation());
  }

  describe(): string {
    return `${this.kind} '${this.name}' ${typeName(this)}`;
  }
}

export type Stmt =
  | { readonly kind: 'assign'; readonly target: Signal; readonly value: Expr; readonly loc: SourceLoc | undefined }
  | { readonly kind: 'when'; readonly branches: { cond: Expr | null; body: Stmt[] }[]; readonly loc: SourceLoc | undefined }
  | {
      readonly kind: 'switch';
      readonly subject: Expr;
      readonly cases: { values: bigint[] | null; body: Stmt[] }[];
      readonly loc: SourceLoc | undefined;
    };

export class WhenBuilder {
  constructor(private readonly module: Module, private readonly stmt: Extract<Stmt, { kind: 'when' }>) {}

  elsewhen(cond: Expr, body: () => void): WhenBuilder {
    if (this.stmt.branches.at(-1)!.cond === null) {
      throw new HdlError('BAD WHEN', 'elsewhen after otherwise', captureLocation());
    }
    checkCondition(cond);
    const branch = { cond, body: [] as Stmt[] };
    this.stmt.branches.push(branch);
    this.module.inBlock(branch.body, body);
    return this;
  }

  otherwise(body: () => void): void {
    if (this.stmt.branches.at(-1)!.cond === null) {
      throw new HdlError('BAD WHEN', 'second otherwise', captureLocation());
    }
    const branch = { cond: null, body: [] as Stmt[] };
    this.stmt.branches.push(branch);
    this.module.inBlock(branch.body, body);
  }
}

export class SwitchBuilder {
  private readonly seen = new Set<bigint>();
  constructor(private readonly module: Module, private readonly stmt: Extract<Stmt, { kind: 'switch' }>) {}

  /** Case for one value or several. Values must fit the subject's type and not repeat. */
  is(values: bigint | number | readonly (bigint | number)[], body: () => void): SwitchBuilder {
    const list = (Array.isArray(values) ? values : [values]).map((v) => BigInt(v as bigint | number));
    for (const v of list) {
      if (!fits(v, this.stmt.subject)) {
        throw new HdlError('CONSTANT RANGE', `case value ${v} does not fit the switch subject ${typeName(this.stmt.subject)}`, captureLocation());
      }
      if (this.seen.has(v)) throw new HdlError('BAD SWITCH', `case value ${v} appears twice`, captureLocation());
      this.seen.add(v);
    }
    const c = { values: list, body: [] as Stmt[] };
    this.stmt.cases.push(c);
    this.module.inBlock(c.body, body);
    return this;
  }

  default(body: () => void): void {
    const c = { values: null, body: [] as Stmt[] };
    this.stmt.cases.push(c);
    this.module.inBlock(c.body, body);
  }
}

function checkCondition(cond: Expr): void {
  if (cond.width !== 1) {
    throw new HdlError('WIDTH MISMATCH', `condition must be 1 bit, got ${typeName(cond)}`, captureLocation());
  }
}

export type ReadDuringWrite = 'read-first' | 'write-first';

export interface MemoryOptions {
  type: HwType;
  depth: number;
  /** Initial contents (ROM data, or RAM power-up values); missing entries are 0. */
  init?: readonly (bigint | number)[];
}

export interface ReadPort {
  readonly addr: Expr;
  readonly data: Signal;
  /** 0: combinational read; 1: registered read (block RAM style). */
  readonly latency: 0 | 1;
  readonly domain: ClockDomain | undefined;
  readonly enable: Expr | undefined;
  /** Relative to the write ports of the same domain, for latency 1. */
  readonly readDuringWrite: ReadDuringWrite;
  readonly loc: SourceLoc | undefined;
}

export interface WritePort {
  readonly addr: Expr;
  readonly data: Expr;
  readonly enable: Expr;
  readonly domain: ClockDomain;
  readonly loc: SourceLoc | undefined;
}

export class Memory {
  readonly readPorts: ReadPort[] = [];
  readonly writePorts: WritePort[] = [];
  readonly type: HwType;
  readonly depth: number;
  readonly addrWidth: number;
  readonly init: readonly bigint[] | undefined;
  doc: string | undefined;
  /** Verilog attributes on the declaration, e.g. { ram_style: 'distributed' }. */
  attributes: Record<string, string> | undefined;

  constructor(readonly module: Module, readonly name: string, opts: MemoryOptions, readonly loc: SourceLoc | undefined) {
    if (!Number.isInteger(opts.depth) || opts.depth < 1 || opts.depth > 1 << 24) {
      throw new HdlError('BAD MEMORY', `memory '${name}' depth ${opts.depth} is out of range: accepted 1..${1 << 24}`, loc);
    }
    this.type = opts.type;
    this.depth = opts.depth;
    this.addrWidth = clog2(opts.depth);
    if (opts.init) {
      if (opts.init.length > opts.depth) {
        throw new HdlError('BAD MEMORY', `memory '${name}' has ${opts.init.length} init values for depth ${opts.depth}`, loc);
      }
      this.init = opts.init.map((v, i) => {
        const b = BigInt(v);
        if (!fits(b, opts.type)) {
          throw new HdlError('CONSTANT RANGE', `memory '${name}' init[${i}] = ${b} does not fit ${typeName(opts.type)}`, loc);
        }
        return b;
      });
    }
  }

  private checkAddr(addr: Expr, loc: SourceLoc | undefined): void {
    if (addr.signed || addr.width !== this.addrWidth) {
      throw new HdlError('WIDTH MISMATCH', `memory '${this.name}' address must be u${this.addrWidth}, got ${typeName(addr)}`, loc);
    }
  }

  /**
   * Add a read port. `latency: 0` reads combinationally; `latency: 1` registers the data in
   * `domain` (optionally gated by `enable`), as block RAM does.
   */
  read(
    name: string,
    addr: Expr,
    opts: { latency: 0 } | { latency: 1; domain: ClockDomain; enable?: Expr; readDuringWrite?: ReadDuringWrite } = { latency: 0 },
  ): Signal {
    const loc = captureLocation();
    this.checkAddr(addr, loc);
    const data = this.module.newSignal('memread', name, this.type, loc);
    this.readPorts.push({
      addr,
      data,
      latency: opts.latency,
      domain: opts.latency === 1 ? opts.domain : undefined,
      enable: opts.latency === 1 ? opts.enable : undefined,
      readDuringWrite: opts.latency === 1 ? opts.readDuringWrite ?? 'read-first' : 'read-first',
      loc,
    });
    return data;
  }

  /** Add a synchronous write port. */
  write(addr: Expr, data: Expr, enable: Expr, domain: ClockDomain): void {
    const loc = captureLocation();
    this.checkAddr(addr, loc);
    if (!sameType(data, this.type)) {
      throw new HdlError('WIDTH MISMATCH', `memory '${this.name}' write data must be ${typeName(this.type)}, got ${typeName(data)}`, loc);
    }
    if (enable.width !== 1) throw new HdlError('WIDTH MISMATCH', `write enable must be 1 bit, got ${typeName(enable)}`, loc);
    this.writePorts.push({ addr, data, enable, domain, loc });
  }
}

/** A port of a module, as seen from outside (instances, manifests, testbenches). */
export interface PortInfo {
  readonly name: string;
  readonly direction: 'input' | 'output';
  readonly width: number;
  readonly signed: boolean;
  readonly doc?: string;
}

/** A Verilog module written by hand, instantiated by DSL modules. */
export class ExternModule {
  readonly kind = 'extern';
  constructor(
    readonly name: string,
    readonly ports: readonly PortInfo[],
    /** Verilog source files providing it (go into the file list). */
    readonly sources: readonly string[],
    readonly parameters: Readonly<Record<string, number>> = {},
  ) {}
}

export interface Instance {
  readonly name: string;
  readonly target: Module | ExternModule;
  readonly inputs: ReadonlyMap<string, Expr>;
  readonly outputs: ReadonlyMap<string, Signal>;
  readonly loc: SourceLoc | undefined;
}

/** Handle returned by `Module.instance`: read the child's outputs by port name. */
export class InstanceHandle {
  constructor(readonly instance: Instance) {}
  out(port: string): Signal {
    const s = this.instance.outputs.get(port);
    if (!s) {
      const names = [...this.instance.outputs.keys()].join(', ');
      throw new HdlError('BAD PORT', `instance '${this.instance.name}' has no output '${port}' (outputs: ${names})`, captureLocation());
    }
    return s;
  }
}

/**
 * What a primitive module is, for tools that treat it as a unit (resource counts, timing): a
 * DSP48E2 tile written in the register pattern Vivado absorbs into the slice. `inputsRegistered`
 * (every data input goes straight into an input register) and `outputRegistered` (the output
 * comes straight from the P register) tell timing analysis whether the tile's ports are
 * register endpoints; `latency` is the number of register stages from input to output.
 */
export interface PrimitiveInfo {
  readonly kind: 'dsp48e2';
  readonly inputsRegistered: boolean;
  readonly outputRegistered: boolean;
  readonly latency: number;
}

export class Module {
  readonly kind = 'module';
  readonly signals: Signal[] = [];
  readonly body: Stmt[] = [];
  readonly memories: Memory[] = [];
  readonly instances: Instance[] = [];
  readonly domains: ClockDomain[] = [];
  readonly loc: SourceLoc | undefined;
  /** One-paragraph description, emitted in the header. */
  doc: string | undefined;
  /** Generator name and parameters, emitted in the header and the manifest. */
  generator: { name: string; params: Record<string, unknown> } | undefined;
  /** Set on modules that stand for one hardware primitive (a DSP slice); see PrimitiveInfo. */
  primitive: PrimitiveInfo | undefined;
  /**
   * Emit this module (when it is not the top) as `<name>_<8 hex digits of a hash of its body>`,
   * so every parameter that changes its text changes its name (hdl/verilog.ts).
   */
  hashName = false;
  private block: Stmt[];

  constructor(readonly name: string) {
    this.loc = captureLocation();
    this.block = this.body;
  }

  get ports(): Signal[] {
    return this.signals.filter((s) => s.kind === 'input' || s.kind === 'output');
  }

  portInfo(): PortInfo[] {
    return this.ports.map((p) => ({
      name: p.name,
      direction: p.kind === 'input' ? 'input' : 'output',
      width: p.width,
      signed: p.signed,
      ...(p.doc ? { doc: p.doc } : {}),
    }));
  }

  /**
   * `base` if no signal, memory or instance of this module has that name yet, else `base_2`,
   * `base_3`, ...: for generated helpers (pipelines) that name many registers.
   */
  uniqueName(base: string): string {
    const taken = (n: string): boolean =>
      this.signals.some((x) => x.name === n) || this.memories.some((x) => x.name === n) || this.instances.some((x) => x.name === n);
    if (!taken(base)) return base;
    for (let i = 2; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
  }

  /** @internal */
  newSignal(kind: SignalKind, name: string, type: HwType, loc: SourceLoc | undefined, reg?: RegOptions): Signal {
    const s = new Signal(this, kind, name, type, loc, reg);
    this.signals.push(s);
    return s;
  }

  input(name: string, type: HwType, doc?: string): Signal {
    const s = this.newSignal('input', name, type, captureLocation());
    s.doc = doc;
    return s;
  }

  output(name: string, type: HwType, doc?: string): Signal {
    const s = this.newSignal('output', name, type, captureLocation());
    s.doc = doc;
    return s;
  }

  /** A combinational wire; with `value`, driven by it right away. */
  wire(name: string, type: HwType, value?: ExprLike): Signal;
  wire(name: string, value: Expr): Signal;
  wire(name: string, typeOrValue: HwType | Expr, value?: ExprLike): Signal {
    const loc = captureLocation();
    const type = typeOrValue instanceof Expr ? typeOrValue.type : typeOrValue;
    const s = this.newSignal('wire', name, type, loc);
    const v = typeOrValue instanceof Expr ? typeOrValue : value;
    if (v !== undefined) this.addAssign(s, v, loc);
    return s;
  }

  /**
   * Creates clock (and reset) input ports and returns the domain. Synchronous active-high
   * reset by default, as FPGA flows prefer.
   */
  clockDomain(opts: { name?: string; clock?: string; reset?: string | null; resetKind?: 'sync' | 'async'; resetActive?: 'high' | 'low' } = {}): ClockDomain {
    const clock = this.input(opts.clock ?? 'clk', { width: 1, signed: false }, 'clock, rising edge');
    const resetName = opts.reset === undefined ? 'rst' : opts.reset;
    const resetKind = opts.resetKind ?? 'sync';
    const resetActive = opts.resetActive ?? 'high';
    const reset =
      resetName === null
        ? undefined
        : this.input(resetName, { width: 1, signed: false }, `${resetKind} reset, active ${resetActive}`);
    const d: ClockDomain = { name: opts.name ?? 'sync', clock, reset, resetKind, resetActive };
    this.domains.push(d);
    return d;
  }

  /** A register in `domain`. Assign its next value with `.set()`; unassigned paths hold. */
  reg(name: string, type: HwType, opts: RegOptions): Signal {
    const loc = captureLocation();
    if (opts.reset !== null && !fits(BigInt(opts.reset), type)) {
      throw new HdlError('CONSTANT RANGE', `reset value ${opts.reset} of register '${name}' does not fit ${typeName(type)}`, loc);
    }
    if (opts.reset !== null && !opts.domain.reset) {
      throw new HdlError('BAD RESET', `register '${name}' has a reset value but domain '${opts.domain.name}' has no reset`, loc);
    }
    if (opts.enable && opts.enable.width !== 1) {
      throw new HdlError('WIDTH MISMATCH', `register '${name}' enable must be 1 bit, got ${typeName(opts.enable)}`, loc);
    }
    return this.newSignal('reg', name, type, loc, opts);
  }

  memory(name: string, opts: MemoryOptions): Memory {
    const m = new Memory(this, name, opts, captureLocation());
    this.memories.push(m);
    return m;
  }

  /** A read-only memory with the given contents (combinational or registered reads). */
  rom(name: string, type: HwType, data: readonly (bigint | number)[]): Memory {
    const m = new Memory(this, name, { type, depth: data.length, init: data }, captureLocation());
    this.memories.push(m);
    return m;
  }

  /**
   * Instantiate `target`, binding every input port. Outputs appear as wires named
   * `<instance>_<port>`, read with `handle.out(port)`.
   *
   * - `opts.domain` binds the clock (and reset) ports of every clock domain of a DSL target to
   *   this domain, so callers never rebind `clk`/`rst` by hand.
   * - A stream bundle (hdl/stream.ts) given under a prefix `x` binds the target's `x_tvalid`,
   *   `x_tdata`, `x_tlast` and `x_tready` in one go: a sink-side bundle for a target's stream
   *   input (the bundle's `ready` is driven by the target), a source-side bundle for a target's
   *   stream output (the bundle's valid/data/last are driven by the target).
   */
  instance(
    name: string,
    target: Module | ExternModule,
    inputs: Record<string, ExprLike | StreamBinding>,
    opts: { domain?: ClockDomain } = {},
  ): InstanceHandle {
    const loc = captureLocation();
    const ports = target instanceof Module ? target.portInfo() : target.ports;
    const portNames = new Map(ports.map((p) => [p.name, p]));
    const flat: Record<string, ExprLike> = {};
    const afterwards: ((h: InstanceHandle) => void)[] = [];
    for (const [key, v] of Object.entries(inputs)) {
      if (isStreamBinding(v)) {
        expandStream(name, target.name, key, v, portNames, flat, afterwards, loc);
      } else {
        flat[key] = v;
      }
    }
    if (opts.domain) {
      if (!(target instanceof Module)) {
        throw new HdlError('BAD PORT', `instance '${name}': a domain can only be bound to a DSL module, not extern '${target.name}'`, loc);
      }
      for (const d of target.domains) {
        if (flat[d.clock.name] === undefined) flat[d.clock.name] = opts.domain.clock;
        if (d.reset && flat[d.reset.name] === undefined) {
          if (!opts.domain.reset) {
            throw new HdlError('BAD RESET', `instance '${name}': '${target.name}' needs reset '${d.reset.name}' but domain '${opts.domain.name}' has none`, loc);
          }
          if (d.resetActive !== opts.domain.resetActive) {
            throw new HdlError('BAD RESET', `instance '${name}': reset '${d.reset.name}' is active ${d.resetActive} but domain '${opts.domain.name}' resets active ${opts.domain.resetActive}`, loc);
          }
          flat[d.reset.name] = opts.domain.reset;
        }
      }
    }
    const bound = new Map<string, Expr>();
    const outs = new Map<string, Signal>();
    for (const key of Object.keys(flat)) {
      if (!ports.some((p) => p.name === key && p.direction === 'input')) {
        throw new HdlError('BAD PORT', `'${target.name}' has no input '${key}' (instance '${name}')`, loc);
      }
    }
    for (const p of ports) {
      if (p.direction === 'input') {
        const v = flat[p.name];
        if (v === undefined) throw new HdlError('UNBOUND PORT', `input '${p.name}' of instance '${name}' (${target.name}) is not connected`, loc);
        const e = v instanceof Expr ? v : lit(v, p);
        if (!sameType(e, p)) {
          throw new HdlError(
            'WIDTH MISMATCH',
            `input '${p.name}' of instance '${name}' is ${typeName(p)} but is connected to ${typeName(e)}`,
            loc,
          );
        }
        bound.set(p.name, e);
      } else {
        outs.set(p.name, this.newSignal('instout', `${name}_${p.name}`, p, loc));
      }
    }
    const inst: Instance = { name, target, inputs: bound, outputs: outs, loc };
    this.instances.push(inst);
    const handle = new InstanceHandle(inst);
    // Stream ready/valid/data wires are driven structurally: at the top of the body, whatever
    // when() block the instance was created in.
    this.inBlock(this.body, () => {
      for (const f of afterwards) f(handle);
    });
    return handle;
  }

  when(cond: Expr, body: () => void): WhenBuilder {
    checkCondition(cond);
    const stmt: Extract<Stmt, { kind: 'when' }> = { kind: 'when', branches: [{ cond, body: [] }], loc: captureLocation() };
    this.block.push(stmt);
    this.inBlock(stmt.branches[0]!.body, body);
    return new WhenBuilder(this, stmt);
  }

  switch(subject: Expr): SwitchBuilder {
    const stmt: Extract<Stmt, { kind: 'switch' }> = { kind: 'switch', subject, cases: [], loc: captureLocation() };
    this.block.push(stmt);
    return new SwitchBuilder(this, stmt);
  }

  /** @internal */
  inBlock(block: Stmt[], body: () => void): void {
    const saved = this.block;
    this.block = block;
    try {
      body();
    } finally {
      this.block = saved;
    }
  }

  /** @internal */
  addAssign(target: Signal, valueLike: ExprLike, loc: SourceLoc | undefined): void {
    if (target.module !== this) {
      throw new HdlError('FOREIGN SIGNAL', `${target.describe()} belongs to module '${target.module.name}', not '${this.name}'`, loc);
    }
    if (target.kind === 'input' || target.kind === 'memread' || target.kind === 'instout') {
      throw new HdlError('BAD DRIVER', `${target.describe()} cannot be assigned: it is driven by ${driverOf(target.kind)}`, loc);
    }
    let value: Expr;
    if (valueLike instanceof Expr) {
      value = valueLike;
    } else {
      const v = BigInt(valueLike);
      if (!fits(v, target)) {
        throw new HdlError('CONSTANT RANGE', `constant ${v} does not fit ${target.describe()}`, loc);
      }
      value = lit(v, target.type);
    }
    if (!sameType(value, target)) {
      const hint = value.width > target.width ? 'trunc/resize or a saturating narrowing' : 'zext/sext/resize';
      throw new HdlError(
        'WIDTH MISMATCH',
        `${target.describe()} assigned a ${typeName(value)} value${value.nameHint ? ` '${value.nameHint}'` : ''}; say ${hint}${value.signed !== target.signed ? ' or asSigned/asUnsigned' : ''}`,
        loc,
      );
    }
    this.block.push({ kind: 'assign', target, value, loc });
  }

  toString(): string {
    return `module ${this.name} (${formatLocation(this.loc)})`;
  }
}

function driverOf(kind: SignalKind): string {
  return kind === 'input' ? 'the module port' : kind === 'memread' ? 'a memory read port' : 'an instance output';
}

// ---- stream bundles in instance bindings (the bundle types live in stream.ts) ------------------

/**
 * The structural view of a stream bundle that `instance` needs (hdl/stream.ts builds them).
 * `side: 'sink'`: valid/data/last are read, ready is driven (a stream input of the target).
 * `side: 'source'`: valid/data/last are driven, ready is read (a stream output of the target).
 */
export interface StreamBinding {
  readonly kind: 'stream';
  readonly side: 'sink' | 'source';
  readonly valid: Expr;
  readonly ready: Expr;
  readonly data: Expr;
  readonly last: Expr | undefined;
}

function isStreamBinding(v: unknown): v is StreamBinding {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'stream';
}

function drivable(e: Expr, what: string, loc: SourceLoc | undefined): Signal {
  if (!(e instanceof Signal) || (e.kind !== 'wire' && e.kind !== 'output')) {
    throw new HdlError('BAD DRIVER', `${what} must be a wire or an output to be driven by an instance, got ${e.toString()}`, loc);
  }
  return e;
}

function expandStream(
  inst: string,
  target: string,
  prefix: string,
  s: StreamBinding,
  ports: ReadonlyMap<string, PortInfo>,
  flat: Record<string, ExprLike>,
  afterwards: ((h: InstanceHandle) => void)[],
  loc: SourceLoc | undefined,
): void {
  const port = (suffix: string): PortInfo | undefined => ports.get(`${prefix}_${suffix}`);
  const valid = port('tvalid');
  const ready = port('tready');
  const data = port('tdata');
  const last = port('tlast');
  if (!valid || !ready || !data) {
    throw new HdlError('BAD PORT', `instance '${inst}': '${target}' has no stream '${prefix}' (${prefix}_tvalid/_tready/_tdata)`, loc);
  }
  if (Boolean(last) !== Boolean(s.last)) {
    throw new HdlError('BAD PORT', `instance '${inst}': stream '${prefix}' ${last ? 'has' : 'has no'} tlast on '${target}' but the bundle ${s.last ? 'has' : 'has none'}`, loc);
  }
  const isInput = valid.direction === 'input';
  if (isInput && s.side !== 'sink') {
    throw new HdlError('BAD PORT', `instance '${inst}': '${prefix}' is a stream input of '${target}': bind a sink-side bundle (whose ready the instance drives)`, loc);
  }
  if (!isInput && s.side !== 'source') {
    throw new HdlError('BAD PORT', `instance '${inst}': '${prefix}' is a stream output of '${target}': bind a source-side bundle (whose valid/data the instance drives)`, loc);
  }
  if (isInput) {
    flat[valid.name] = s.valid;
    flat[data.name] = s.data;
    if (last && s.last) flat[last.name] = s.last;
    const r = drivable(s.ready, `ready of stream '${prefix}'`, loc);
    afterwards.push((h) => r.module.addAssign(r, h.out(ready.name), loc));
  } else {
    flat[ready.name] = s.ready;
    const v = drivable(s.valid, `valid of stream '${prefix}'`, loc);
    const dd = drivable(s.data, `data of stream '${prefix}'`, loc);
    const l = last && s.last ? drivable(s.last, `last of stream '${prefix}'`, loc) : undefined;
    afterwards.push((h) => {
      v.module.addAssign(v, h.out(valid.name), loc);
      dd.module.addAssign(dd, h.out(data.name), loc);
      if (l && last) l.module.addAssign(l, h.out(last.name), loc);
    });
  }
}
