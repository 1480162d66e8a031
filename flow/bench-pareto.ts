/**
 * The Pareto front of the design-space map: a point is on the front when no other point is at
 * least as good in every objective and better in one.
 */

export interface Objective<T> {
  name: string;
  value: (p: T) => number;
  /** true: larger is better (tokens/s); false: smaller is better (resources, error). */
  maximize: boolean;
}

/** a dominates b: no worse in every objective, better in at least one. */
export function dominates<T>(a: T, b: T, objectives: readonly Objective<T>[]): boolean {
  let better = false;
  for (const o of objectives) {
    const x = o.value(a);
    const y = o.value(b);
    const cmp = o.maximize ? x - y : y - x; // > 0: a is better
    if (cmp < 0) return false;
    if (cmp > 0) better = true;
  }
  return better;
}

/** Indices of the points no other point dominates, in input order. */
export function paretoFront<T>(points: readonly T[], objectives: readonly Objective<T>[]): number[] {
  if (objectives.length === 0) throw new RangeError('paretoFront needs at least one objective');
  for (const o of objectives) {
    points.forEach((p, i) => {
      const v = o.value(p);
      if (Number.isNaN(v)) throw new RangeError(`point ${i}: objective '${o.name}' is NaN`);
    });
  }
  return points.flatMap((p, i) => (points.some((q, j) => j !== i && dominates(q, p, objectives)) ? [] : [i]));
}
