/**
 * A state machine with named states: one register, binary-encoded, reset to the first state,
 * and one localparam per state in the emitted Verilog (`PHASE_RUN`), so the state logic reads
 * as it was written:
 *
 *   const phase = new Fsm(m, 'phase', ['IDLE', 'LOAD', 'RUN'], { domain: cd });
 *   m.when(phase.is('IDLE').and(start), () => phase.goto('LOAD'));
 */
import { u, clog2 } from './types.ts';
import { lit, type Expr } from './expr.ts';
import type { ClockDomain, Module, Signal } from './module.ts';
import { HdlError } from './errors.ts';
import { captureLocation } from './source.ts';

export class Fsm<S extends string> {
  readonly state: Signal;
  private readonly codes = new Map<S, Expr>();

  constructor(m: Module, readonly name: string, readonly states: readonly S[], opts: { domain: ClockDomain; initial?: S }) {
    if (states.length === 0) throw new HdlError('BAD ARGUMENT', `FSM '${name}' needs at least one state`, captureLocation());
    if (new Set(states).size !== states.length) throw new HdlError('BAD ARGUMENT', `FSM '${name}' lists a state twice: ${states.join(', ')}`, captureLocation());
    const t = u(clog2(Math.max(2, states.length)));
    states.forEach((s, i) => this.codes.set(s, lit(i, t).named(`${name.toUpperCase()}_${s.toUpperCase()}`)));
    const initial = opts.initial ?? states[0]!;
    this.state = m.reg(name, t, { domain: opts.domain, reset: this.index(initial) });
    this.state.doc = `state: ${states.join(', ')}`;
  }

  private index(s: S): number {
    const i = this.states.indexOf(s);
    if (i < 0) throw new HdlError('BAD ARGUMENT', `FSM '${this.name}' has no state '${s}' (states: ${this.states.join(', ')})`, captureLocation());
    return i;
  }

  /** The constant that encodes state `s`. */
  code(s: S): Expr {
    this.index(s);
    return this.codes.get(s)!;
  }

  /** 1 while the machine is in state `s`. */
  is(s: S): Expr {
    return this.state.eq(this.code(s));
  }

  /** 1 while the machine is in any of `states`. */
  isAny(...states: S[]): Expr {
    return states.map((s) => this.is(s)).reduce((a, b) => a.or(b));
  }

  /** Next state `s` (inside when/switch bodies: on that path). */
  goto(s: S): void {
    this.state.set(this.code(s));
  }
}
