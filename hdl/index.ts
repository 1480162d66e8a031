/** The DSL's public surface: import everything from here. */
export { type HwType, u, s, bool, typeName, sameType, fits, bitsFor, clog2, minValue, maxValue } from './types.ts';
export { Value, mux as valueMux, concat as valueConcat } from './value.ts';
export { Expr, type ExprLike, lit, constFor, mux, cat } from './expr.ts';
export {
  Module,
  Signal,
  Memory,
  ExternModule,
  InstanceHandle,
  type ClockDomain,
  type RegOptions,
  type PortInfo,
  type ReadDuringWrite,
} from './module.ts';
export { type Bits, type Arith, valueArith, exprArith } from './arith.ts';
export { Q, qType, qName, toFixed, fromFixed, roundShift, roundShiftParts, applyRound, saturate, narrow, saturateFlagged, narrowFlagged, type Flagged, type RoundParts, type QFormat, type Rounding } from './fixed.ts';
export { emitDesign, emitModule, type EmitOptions, type EmittedDesign, type EmittedModule } from './verilog.ts';
export { Simulator } from './sim.ts';
export { checkDesign, assertClean, modulePasses, type CheckResult } from './checks.ts';
export { HdlError, HdlCheckError } from './errors.ts';
export { formatLocation, type SourceLoc } from './source.ts';
