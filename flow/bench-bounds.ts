/**
 * The two lower bounds `make bench` sets each attention latency against, in cycles:
 *
 *   compute bound    2*L*d MACs per head (q . k and e * v) over the multipliers that do them:
 *                    P in DOT and P in ACC per lane, so L*d/P cycles per head a lane runs;
 *   KV-stream bound  the K and V cache of every head (2*L*d elements) read once from memory at
 *                    the given bandwidth, in cycles of the given clock.
 *
 * Both apply to every variant alike (native attention reads K and V once each too, in two
 * passes), so a ratio above 1 is what the algorithm and its pipeline cost.
 */

export interface BoundInput {
  /** Context length, head dimension, PEs per lane. */
  L: number;
  d: number;
  P: number;
  /** Heads of the job and lanes that share them (ceil(heads/lanes) rounds). */
  heads: number;
  lanes: number;
}

function checkPositive(what: Record<string, number>): void {
  for (const [k, v] of Object.entries(what)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${k} = ${v}: accepted positive numbers`);
  }
}

/** Cycles if every multiplier did a useful MAC every cycle: rounds * 2*L*d / (2*P). */
export function computeBoundCycles(b: BoundInput): number {
  checkPositive({ L: b.L, d: b.d, P: b.P, heads: b.heads, lanes: b.lanes });
  const rounds = Math.ceil(b.heads / b.lanes);
  return (rounds * 2 * b.L * b.d) / (2 * b.P);
}

export interface StreamInput {
  L: number;
  d: number;
  heads: number;
  /** Bytes per K or V element (4: Q15.17). */
  bytesPerElement: number;
  clockMHz: number;
  bandwidthGBs: number;
}

/** Cycles to read K and V of every head once at the bandwidth (GB/s = 1e9 bytes/s). */
export function kvStreamBoundCycles(s: StreamInput): number {
  checkPositive({ L: s.L, d: s.d, heads: s.heads, bytesPerElement: s.bytesPerElement, clockMHz: s.clockMHz, bandwidthGBs: s.bandwidthGBs });
  const bytes = 2 * s.L * s.d * s.heads * s.bytesPerElement;
  return (bytes / (s.bandwidthGBs * 1e9)) * s.clockMHz * 1e6;
}
