// Pareto front over (accuracy up, latency down, cost down).

export interface ParetoItem {
  accuracy: number | null;
  latencyMs: number;
  cost: number;
}

/** a dominates b: no worse in every objective and better in one (unknown accuracy ties). */
export function dominates(a: ParetoItem, b: ParetoItem): boolean {
  const accA = a.accuracy ?? 0;
  const accB = b.accuracy ?? 0;
  const noWorse = accA >= accB && a.latencyMs <= b.latencyMs && a.cost <= b.cost;
  const better = accA > accB || a.latencyMs < b.latencyMs || a.cost < b.cost;
  return noWorse && better;
}

/** The non-dominated items, in input order. O(n^2): sweeps x devices stay in the thousands. */
export function paretoFront<T extends ParetoItem>(items: T[]): T[] {
  return items.filter(
    (a, i) =>
      Number.isFinite(a.latencyMs) && !items.some((b, j) => j !== i && Number.isFinite(b.latencyMs) && dominates(b, a)),
  );
}
