// The points of an accuracy-vs-sparsity sweep: every pattern at every sparsity, plus the fixed
// N:M presets (2:4, 1:4) at their own sparsity. Shared by `hp-lab sweep` and the app's sweep.
import { PATTERNS, type Pattern, type PruneConfig } from './types';

/** A sweep series: a pattern, or a fixed N:M preset such as '2:4'. */
export type SweepSeries = Pattern | `${number}:${number}`;

export const DEFAULT_SWEEP_SERIES: SweepSeries[] = [
  'hp',
  'tile',
  'vector',
  'unstructured',
  'row-balanced',
  'nm',
  '2:4',
  '1:4',
];
export const DEFAULT_SWEEP_SPARSITIES = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

export interface SweepPoint {
  series: SweepSeries;
  config: PruneConfig;
}

export function parseSeries(s: string): SweepSeries {
  if ((PATTERNS as readonly string[]).includes(s)) return s as Pattern;
  const m = /^(\d+):(\d+)$/.exec(s);
  if (m && Number(m[2]) >= 1 && Number(m[1]) <= Number(m[2])) return s as SweepSeries;
  throw new RangeError(`unknown sweep series '${s}' (a pattern: ${PATTERNS.join(', ')}; or N:M like 2:4)`);
}

export function sweepPoints(series: SweepSeries[], sparsities: number[], base: PruneConfig): SweepPoint[] {
  const points: SweepPoint[] = [];
  for (const s of series) {
    const nm = /^(\d+):(\d+)$/.exec(s);
    if (nm) {
      const [n, m] = [Number(nm[1]), Number(nm[2])];
      points.push({
        series: s,
        config: {
          ...base,
          pattern: 'nm',
          nmN: n,
          nmM: m,
          sparsity: 1 - n / m,
          groupSparsity: undefined,
          keep: undefined,
        },
      });
      continue;
    }
    for (const sparsity of sparsities) {
      points.push({ series: s, config: { ...base, pattern: s as Pattern, sparsity, nmN: undefined, keep: undefined } });
    }
  }
  return points;
}
