/**
 * A job limiter: at most `n` jobs run at once, the rest wait in the order they were queued.
 * Synthesis and timing runs of a design share one limiter, so Yosys never runs more processes
 * than the machine has cores.
 */
import { availableParallelism } from 'node:os';

export type Limiter = <T>(job: () => Promise<T>) => Promise<T>;

export function createLimiter(n: number = availableParallelism()): Limiter {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`job limit ${n} is out of range: accepted integers >= 1`);
  let running = 0;
  const waiting: (() => void)[] = [];
  // A finishing job hands its slot straight to the next waiter, so no newcomer can slip in between.
  const acquire = (): Promise<void> => {
    if (running < n) {
      running++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return async <T>(job: () => Promise<T>): Promise<T> => {
    await acquire();
    try {
      return await job();
    } finally {
      release();
    }
  };
}

/** Seconds since `t0` (performance.now()), one decimal, for progress lines. */
export function secondsSince(t0: number): string {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}
