/**
 * Random well-typed designs for differential fuzzing of the emitter: expression trees over
 * every node kind (with shared subexpressions and user names), and small sequential circuits
 * with registers, when/switch trees, a RAM and a ROM. Deterministic for a given seed.
 */
import { Module, Signal, u, s, lit, mux, cat, type Expr, type HwType, type ClockDomain } from '../hdl/index.ts';
import type { Rng } from './rng.ts';

const MAX_W = 96;

function randomType(rng: Rng, wide: boolean): HwType {
  const w = wide && rng.next() < 0.25 ? rng.int(33, 80) : rng.pick([1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17, 31, 32]);
  return rng.next() < 0.5 ? s(w) : u(w);
}

function randomConst(rng: Rng, t: HwType): Expr {
  const raw = rng.bits(t.width);
  const v = t.signed ? BigInt.asIntN(t.width, raw) : raw;
  return lit(v, t);
}

/** Make `e` exactly type t (resize, then cast). */
export function coerce(e: Expr, t: HwType): Expr {
  const r = e.width === t.width ? e : e.resize(t.width);
  return t.signed ? r.asSigned() : r.asUnsigned();
}

export class ExprFuzzer {
  private readonly pool: Expr[] = [];
  private names = 0;
  constructor(private readonly rng: Rng, private readonly leaves: () => Expr[]) {}

  private leaf(): Expr {
    const ls = this.leaves();
    if (this.rng.next() < 0.15 || ls.length === 0) return randomConst(this.rng, randomType(this.rng, true));
    return this.rng.pick(ls);
  }

  private cap(e: Expr): Expr {
    if (e.width <= MAX_W) return e;
    return this.rng.next() < 0.5 ? e.trunc(this.rng.int(1, MAX_W)) : e.shr(e.width - this.rng.int(1, MAX_W));
  }

  expr(depth: number): Expr {
    const rng = this.rng;
    if (depth <= 0) return this.leaf();
    if (this.pool.length > 0 && rng.next() < 0.12) return rng.pick(this.pool);
    const a = this.expr(depth - 1);
    // A second operand distinct from the first: `x ^ x` and the like are constants that
    // Verilator's lint rightly flags, and they test nothing.
    const b = (): Expr => {
      const x = this.expr(depth - 1);
      return x === a ? this.leaf() : x;
    };
    let e: Expr;
    switch (rng.int(0, 22)) {
      case 0: e = a.add(b()); break;
      case 1: e = a.sub(b()); break;
      case 2: {
        const m = b();
        e = a.mul(m.trunc(Math.min(m.width, 20)));
        break;
      }
      case 3: e = a.and(coerce(b(), a)); break;
      case 4: e = a.or(coerce(b(), a)); break;
      case 5: e = a.xor(coerce(b(), a)); break;
      case 6: e = rng.pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const) === 'eq' ? a.eq(b()) : a[rng.pick(['ne', 'lt', 'le', 'gt', 'ge'] as const)](b()); break;
      case 7: e = a.not(); break;
      case 8: e = a.neg(); break;
      case 9: e = rng.pick([() => a.andR(), () => a.orR(), () => a.xorR()])(); break;
      case 10: e = a.shl(rng.int(0, 5)); break;
      case 11: e = a.width > 1 ? a.shr(rng.int(0, a.width - 1)) : a.not(); break;
      case 12: e = a.shlv(coerce(b(), u(rng.int(1, 7)))); break;
      case 13: e = a.shrv(coerce(b(), u(rng.int(1, 7)))); break;
      case 14: {
        const sel = b();
        e = mux(sel.width === 1 ? sel : sel.orR(), a, coerce(b(), a));
        break;
      }
      case 15: {
        const lo = rng.int(0, a.width - 1);
        e = a.slice(rng.int(lo, a.width - 1), lo);
        break;
      }
      case 16: e = cat(a, b(), ...(rng.next() < 0.3 ? [b()] : [])); break;
      case 17: e = a.zext(a.width + rng.int(0, 6)); break;
      case 18: e = a.sext(a.width + rng.int(0, 6)); break;
      case 19: e = a.resize(rng.int(1, a.width + 8)); break;
      case 20: e = a.signed ? a.asUnsigned() : a.asSigned(); break;
      case 21: e = a.trunc(rng.int(1, a.width)); break;
      default: e = a.add(randomConst(rng, { width: rng.int(1, 12), signed: a.signed })); break;
    }
    e = this.cap(e);
    if (rng.next() < 0.05) e.named(`n${this.names++}`);
    this.pool.push(e);
    return e;
  }
}

/** A combinational module with `nOutputs` random expression trees over random inputs. */
export function randomCombinational(rng: Rng, name: string, nInputs: number, nOutputs: number, depth: number): Module {
  const m = new Module(name);
  const inputs: Signal[] = [];
  for (let i = 0; i < nInputs; i++) inputs.push(m.input(`in${i}`, randomType(rng, true)));
  const f = new ExprFuzzer(rng, () => inputs);
  for (let o = 0; o < nOutputs; o++) {
    const e = f.expr(rng.int(1, depth));
    m.output(`out${o}`, e.type).set(e);
  }
  return m;
}

/**
 * A sequential module: registers (all with reset values, so both simulators start defined),
 * combinational wires assigned under when/switch trees (with defaults: no latches), a RAM
 * with a registered and a combinational read port, and a ROM.
 */
export function randomSequential(rng: Rng, name: string, opts: { asyncReset?: boolean } = {}): Module {
  const m = new Module(name);
  const cd: ClockDomain = m.clockDomain(opts.asyncReset ? { resetKind: 'async', resetActive: 'low', reset: 'rst_n' } : {});
  const inputs: Signal[] = [];
  for (let i = 0; i < rng.int(3, 6); i++) inputs.push(m.input(`in${i}`, randomType(rng, true)));
  const regs: Signal[] = [];
  for (let i = 0; i < rng.int(3, 7); i++) {
    const t = randomType(rng, true);
    const raw = rng.bits(t.width);
    regs.push(m.reg(`r${i}`, t, { domain: cd, reset: t.signed ? BigInt.asIntN(t.width, raw) : raw }));
  }
  const depthBits = rng.int(1, 4);
  const memT = randomType(rng, false);
  const randomWord = (t: HwType): bigint => (t.signed ? BigInt.asIntN(t.width, rng.bits(t.width)) : rng.bits(t.width));
  const ram = m.memory('ram', { type: memT, depth: 1 << depthBits, init: Array.from({ length: 1 << depthBits }, () => randomWord(memT)) });
  const romT = randomType(rng, false);
  const romData = Array.from({ length: 8 }, () => randomWord(romT));
  const rom = m.rom('rom', romT, romData);

  const state = (): Expr[] => [...inputs, ...regs];
  const f0 = new ExprFuzzer(rng, state);
  const ramQ = ram.read('ram_q', coerce(f0.expr(2), u(depthBits)), { latency: 1, domain: cd, readDuringWrite: rng.next() < 0.5 ? 'write-first' : 'read-first' });
  const ramC = ram.read('ram_c', coerce(f0.expr(2), u(depthBits)));
  const romQ = rom.read('rom_q', coerce(f0.expr(2), u(3)));
  // Writes wait for the end of reset so the RAM keeps defined contents until state is
  // defined; a register (not the async reset net itself) tells, as good practice wants.
  const live = m.reg('live', u(1), { domain: cd, reset: 0 });
  live.set(1);
  const outOfReset = live;
  ram.write(coerce(f0.expr(2), u(depthBits)), coerce(f0.expr(3), memT), coerce(f0.expr(2), u(1)).and(outOfReset), cd);

  const wires: Signal[] = [];
  // The registered RAM read has no reset: it only feeds an output, so no undefined value
  // reaches the registers.
  const visible = (): Expr[] => [...inputs, ...regs, ramC, romQ, ...wires];
  const f = new ExprFuzzer(rng, visible);
  // Combinational wires: each reads only inputs, state and earlier wires (no loops).
  for (let i = 0; i < rng.int(1, 3); i++) {
    const t = randomType(rng, false);
    const w = m.wire(`w${i}`, t);
    w.set(coerce(f.expr(2), t)); // default first: no latch
    const cond = coerce(f.expr(2), u(1));
    m.when(cond, () => w.set(coerce(f.expr(3), t))).otherwise(() => {
      if (rng.next() < 0.5) w.set(coerce(f.expr(2), t));
    });
    wires.push(w);
  }
  // Register updates under a random statement tree.
  const assignSome = (depth: number): void => {
    for (let k = 0; k < rng.int(1, 3); k++) {
      const choice = rng.next();
      if (choice < 0.55 || depth <= 0) {
        const r = rng.pick(regs);
        r.set(coerce(f.expr(rng.int(1, 3)), r));
      } else if (choice < 0.8) {
        const w = m.when(coerce(f.expr(2), u(1)), () => assignSome(depth - 1));
        if (rng.next() < 0.5) w.elsewhen(coerce(f.expr(2), u(1)), () => assignSome(depth - 1));
        if (rng.next() < 0.5) w.otherwise(() => assignSome(depth - 1));
      } else {
        const subjT = u(rng.int(1, 3));
        const sw = m.switch(coerce(f.expr(2), subjT));
        const values = [...Array(1 << subjT.width).keys()];
        const used = new Set<number>();
        for (let c = 0; c < rng.int(1, values.length); c++) {
          const v = rng.pick(values);
          if (used.has(v)) continue;
          used.add(v);
          sw.is(v, () => assignSome(depth - 1));
        }
        if (rng.next() < 0.5) sw.default(() => assignSome(depth - 1));
      }
    }
  };
  assignSome(2);
  for (const r of regs) if (rng.next() < 0.3) r.set(coerce(f.expr(2), r));
  // Outputs: every register, and a few random views of everything.
  regs.forEach((r, i) => m.output(`q${i}`, r.type).set(r));
  for (let o = 0; o < rng.int(2, 4); o++) {
    const e = f.expr(rng.int(1, 3));
    m.output(`out${o}`, e.type).set(e);
  }
  m.output('ram_q_out', memT).set(ramQ);
  return m;
}
