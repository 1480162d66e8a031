/**
 * Valid/ready streams, named in AXI4-Stream style (`<name>_tvalid`, `_tready`, `_tdata`,
 * `_tlast`), declared once and connected in one call.
 *
 * A bundle is seen from one side:
 * - a sink (this logic receives): `valid`, `data`, `last` are read, `ready` is driven;
 * - a source (this logic sends): `valid`, `data`, `last` are driven, `ready` is read.
 * `fire` is `valid & ready`: a beat moves in this cycle. The AXI rule holds for every source
 * built here: once valid is high, valid and data stay until the beat fires.
 *
 * Passing a bundle to `Module.instance` under a stream's prefix binds all of its ports:
 *
 *   const kv = streamInput(m, 'kv', u(64), { last: true });          // ports of this module
 *   const lane = m.instance('u_lane', laneModule, { kv, ... }, { domain: cd });
 *   // kv_tready of this module is now driven by the lane's kv_tready
 */
import type { HwType } from './types.ts';
import { u } from './types.ts';
import type { Expr } from './expr.ts';
import type { Module, Signal, StreamBinding } from './module.ts';

export interface StreamOptions {
  /** With a `_tlast` signal (default false). */
  last?: boolean;
  /** Description of the data, for the port comments. */
  doc?: string;
}

/** Receiving side: read valid/data/last, drive ready. */
export interface StreamSink extends StreamBinding {
  readonly side: 'sink';
  readonly name: string;
  readonly ready: Signal;
  readonly fire: Expr;
}

/** Sending side: drive valid/data/last, read ready. */
export interface StreamSource extends StreamBinding {
  readonly side: 'source';
  readonly name: string;
  readonly valid: Signal;
  readonly data: Signal;
  readonly last: Signal | undefined;
  readonly fire: Expr;
}

/** A stream input port of `m`: `<name>_tvalid`, `_tdata`, `_tlast` in, `_tready` out. */
export function streamInput(m: Module, name: string, data: HwType, opts: StreamOptions = {}): StreamSink {
  const valid = m.input(`${name}_tvalid`, u(1));
  const ready = m.output(`${name}_tready`, u(1));
  const d = m.input(`${name}_tdata`, data, opts.doc);
  const last = opts.last ? m.input(`${name}_tlast`, u(1)) : undefined;
  return { kind: 'stream', side: 'sink', name, valid, ready, data: d, last, fire: valid.and(ready) };
}

/** A stream output port of `m`: `<name>_tvalid`, `_tdata`, `_tlast` out, `_tready` in. */
export function streamOutput(m: Module, name: string, data: HwType, opts: StreamOptions = {}): StreamSource {
  const valid = m.output(`${name}_tvalid`, u(1));
  const ready = m.input(`${name}_tready`, u(1));
  const d = m.output(`${name}_tdata`, data, opts.doc);
  const last = opts.last ? m.output(`${name}_tlast`, u(1)) : undefined;
  return { kind: 'stream', side: 'source', name, valid, ready, data: d, last, fire: valid.and(ready) };
}

/**
 * A stream between two parts of one module: wires `<name>_valid`, `_ready`, `_data`, `_last`,
 * seen as a source (hand it to the producer) and as a sink (hand it to the consumer).
 */
export function streamWires(m: Module, name: string, data: HwType, opts: StreamOptions = {}): { source: StreamSource; sink: StreamSink } {
  const valid = m.wire(`${name}_valid`, u(1));
  const ready = m.wire(`${name}_ready`, u(1));
  const d = m.wire(`${name}_data`, data);
  const last = opts.last ? m.wire(`${name}_last`, u(1)) : undefined;
  const fire = valid.and(ready);
  return {
    source: { kind: 'stream', side: 'source', name, valid, ready, data: d, last, fire },
    sink: { kind: 'stream', side: 'sink', name, valid, ready, data: d, last, fire },
  };
}
