// The accuracy sweep the selection uses: one record per pruning configuration with its
// measured accuracy. Parses the three shapes a sweep comes in:
//  - `hp-lab sweep` output: { config: PruneConfig, denseAccuracy, rows: [{series,
//    targetSparsity, achievedSparsity, accuracy}] }
//  - the app's stored SweepRecord: { base: PruneConfig, rows: [...same row shape...] }
//  - this module's own file: { kind: 'hp-lab-sweep', points: SweepPoint[] } or a bare array.
import { isHPStructured, type Pruning } from '../pruning/types';
import { RECOVERY_KINDS } from '../recover/recovery-config';
import { DENSE, PATTERNS, type Pattern, type SparsityConfig } from '../hardware/workload';

export interface SweepPoint {
  /** 'dense' for the unpruned model. */
  pattern: Pattern;
  /** Achieved sparsity of the 24 prunable linears, in [0, 1). */
  sparsity: number;
  /** hp: share of the sparsity taken by the tile level (log-density): tile keep = d^split. */
  split?: number;
  /** hp: the two keep ratios directly (override split). */
  keep?: { tile: number; vector: number };
  tile?: { tr: number; tc: number };
  /** nm: N of every M. */
  nm?: { n: number; m: number };
  /** Accuracy on the evaluation split, in [0, 1]. */
  accuracy: number;
  /** Series name as the sweep called it (e.g. '2:4'). */
  label?: string;
  /** Sentences the accuracy was measured on (for its standard error). */
  n?: number;
}

export interface Sweep {
  model?: string;
  data?: string;
  /** Accuracy of the unpruned model (needed for an AC given as a maximum drop). */
  denseAccuracy?: number;
  /** Sentences every point was measured on, when the sweep says so once (hp-lab sweep). */
  sentences?: number;
  points: SweepPoint[];
}

export class SweepFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SweepFormatError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const positiveInt = (v: unknown): number | undefined => {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
};

function checkUnit(v: number | undefined, what: string, where: string): number {
  if (v === undefined || v < 0 || v > 1)
    throw new SweepFormatError(`${where}: ${what} must be a number in [0, 1], got ${JSON.stringify(v)}`);
  return v;
}

function parseTile(c: Record<string, unknown>): { tr: number; tc: number } | undefined {
  const tr = num(c.tr);
  const tc = num(c.tc);
  return tr && tc && Number.isInteger(tr) && Number.isInteger(tc) && tr > 0 && tc > 0 && tc <= 256
    ? { tr, tc }
    : undefined;
}

/** A row of `hp-lab sweep` / the app's SweepRecord, with the sweep's base PruneConfig. */
function fromRow(row: unknown, base: Record<string, unknown>, i: number): SweepPoint {
  const where = `rows[${i}]`;
  if (!isObj(row)) throw new SweepFormatError(`${where} is not an object`);
  const series = String(row.series ?? base.pattern ?? '');
  const nm = /^(\d+):(\d+)$/.exec(series);
  const pattern = (nm ? 'nm' : series) as Pattern;
  if (!PATTERNS.includes(pattern)) throw new SweepFormatError(`${where}: unknown series '${series}'`);
  const sparsity = checkUnit(
    num(row.achievedSparsity) ?? num(row.targetSparsity) ?? num(row.sparsity),
    'sparsity',
    where,
  );
  const accuracy = checkUnit(num(row.accuracy), 'accuracy', where);
  const point: SweepPoint = { pattern: sparsity === 0 ? 'dense' : pattern, sparsity, accuracy, label: series };
  const tile = parseTile(base);
  if (tile) point.tile = tile;
  const split = num(base.split);
  if (pattern === 'hp' && split !== undefined) point.split = Math.min(1, Math.max(0, split));
  if (nm) point.nm = { n: Number(nm[1]), m: Number(nm[2]) };
  const n = num(row.n);
  if (n !== undefined && Number.isInteger(n) && n > 0) point.n = n;
  return point;
}

/** A row's point, and its recovered twin when the row also has `recoveredAccuracy` (hp-lab sweep
 *  --recover K); an app row with recovery K (lsq, lsq-dense) is itself the recovered point. The
 *  recovered model keeps the masks (same hardware cost), so it is a configuration like any other;
 *  its label ends in ' +K' (K the row's or the sweep's recovery kind, lsq by default). */
function withRecovered(point: SweepPoint, row: unknown, kind = 'lsq'): SweepPoint[] {
  const r = row as Record<string, unknown>;
  if (r.recovery !== undefined && r.recovery !== 'none') {
    if (!(RECOVERY_KINDS as readonly unknown[]).includes(r.recovery))
      throw new SweepFormatError(
        `rows: unknown recovery '${String(r.recovery)}' (one of ${RECOVERY_KINDS.join(', ')})`,
      );
    return [{ ...point, label: `${point.label} +${String(r.recovery)}` }];
  }
  const label = `${point.label} +${kind}`;
  const recovered = num(r.recoveredAccuracy);
  if (recovered === undefined) return [point];
  return [point, { ...point, accuracy: checkUnit(recovered, 'recoveredAccuracy', 'rows'), label }];
}

/** `hp-lab sweep`'s top-level {recovery: {kind}}, when it is a plain name. */
function recoveryKind(v: unknown): string | undefined {
  return isObj(v) && typeof v.kind === 'string' && /^[a-z-]{1,16}$/.test(v.kind) ? v.kind : undefined;
}

function fromPoint(p: unknown, i: number): SweepPoint {
  const where = `points[${i}]`;
  if (!isObj(p)) throw new SweepFormatError(`${where} is not an object`);
  const pattern = String(p.pattern) as Pattern;
  if (!PATTERNS.includes(pattern))
    throw new SweepFormatError(`${where}: unknown pattern '${String(p.pattern)}' (one of ${PATTERNS.join(', ')})`);
  const point: SweepPoint = {
    pattern,
    sparsity: checkUnit(num(p.sparsity), 'sparsity', where),
    accuracy: checkUnit(num(p.accuracy), 'accuracy', where),
  };
  if (num(p.split) !== undefined) point.split = checkUnit(num(p.split), 'split', where);
  if (isObj(p.keep))
    point.keep = {
      tile: checkUnit(num(p.keep.tile), 'keep.tile', where),
      vector: checkUnit(num(p.keep.vector), 'keep.vector', where),
    };
  if (isObj(p.tile)) {
    const t = parseTile(p.tile);
    if (!t) throw new SweepFormatError(`${where}: tile must be {tr, tc} positive integers, tc <= 256`);
    point.tile = t;
  }
  if (isObj(p.nm)) point.nm = { n: num(p.nm.n) ?? 0, m: num(p.nm.m) ?? 0 };
  if (typeof p.label === 'string') point.label = p.label;
  const n = num(p.n);
  if (n !== undefined && Number.isInteger(n) && n > 0) point.n = n;
  if (point.sparsity >= 1) throw new SweepFormatError(`${where}: sparsity 1 keeps nothing`);
  return point;
}

/** Parses any of the accepted sweep shapes; throws SweepFormatError with the offending path. */
export function parseSweep(json: unknown): Sweep {
  let sweep: Sweep;
  if (Array.isArray(json)) sweep = { points: json.map(fromPoint) };
  else if (isObj(json) && Array.isArray(json.points)) {
    sweep = {
      points: json.points.map(fromPoint),
      denseAccuracy: num(json.denseAccuracy),
      sentences: positiveInt(json.sentences),
      model: typeof json.model === 'string' ? json.model : undefined,
    };
  } else if (isObj(json) && Array.isArray(json.rows)) {
    const base = isObj(json.config) ? json.config : isObj(json.base) ? json.base : {};
    sweep = {
      points: json.rows.flatMap((r, i) => withRecovered(fromRow(r, base, i), r, recoveryKind(json.recovery))),
      denseAccuracy: num(json.denseAccuracy),
      sentences: positiveInt(json.sentences),
      model: typeof json.model === 'string' ? json.model : undefined,
      data: typeof json.data === 'string' ? json.data : undefined,
    };
  } else {
    throw new SweepFormatError(
      'not a sweep: expected `hp-lab sweep` output ({rows: [...]}), a stored sweep ({base, rows}), or {points: [...]}',
    );
  }
  if (sweep.points.length === 0) throw new SweepFormatError('the sweep has no points');
  if (sweep.denseAccuracy !== undefined) checkUnit(sweep.denseAccuracy, 'denseAccuracy', 'sweep');
  return sweep;
}

/** Dense accuracy: given, or the best unpruned point in the sweep. */
export function denseAccuracyOf(s: Sweep): number | undefined {
  if (s.denseAccuracy !== undefined) return s.denseAccuracy;
  const dense = s.points.filter((p) => p.pattern === 'dense' || p.sparsity === 0);
  return dense.length ? Math.max(...dense.map((p) => p.accuracy)) : undefined;
}

/** Standard error of an accuracy measured on n sentences (binomial): sqrt(p (1 - p) / n). */
export function accuracyStandardError(accuracy: number, n: number | undefined): number | null {
  if (!n || n <= 0) return null;
  return Math.sqrt(Math.max(accuracy * (1 - accuracy), 0) / n);
}

/** The dense model's accuracy as the rest of the page knows it (e.g. the whole dev split). */
export interface DenseReference {
  accuracy: number;
  /** Sentences it was measured on. */
  n?: number;
  /** Where it comes from, e.g. 'dev split, 500 sentences'. */
  source?: string;
}

/** The points a selection ranks: the sweep's pruned points plus exactly one dense point, whose
 *  accuracy is `dense` when given (the same figure the rest of the page shows), else the
 *  sweep's own. Dense is always a candidate: a sweep without a 0% point still offers it. */
export function withDensePoint(
  sweep: Sweep,
  dense?: DenseReference,
): { points: SweepPoint[]; dense: DenseReference | null } {
  const pruned = sweep.points.filter((p) => !(p.pattern === 'dense' || p.sparsity === 0));
  const own = sweep.points.filter((p) => p.pattern === 'dense' || p.sparsity === 0);
  let ref: DenseReference | null = dense ?? null;
  if (!ref && sweep.denseAccuracy !== undefined)
    ref = { accuracy: sweep.denseAccuracy, n: sweep.sentences, source: 'the sweep' };
  if (!ref && own.length) {
    // Several 0% rows (one per series) are the same dense model on the same sentences: one
    // measurement repeated, so their mean, with one row's n (summing n would overstate it).
    const accuracy = own.reduce((a, p) => a + p.accuracy, 0) / own.length;
    const ns = own.map((p) => p.n ?? 0).filter((n) => n > 0);
    ref = { accuracy, n: ns.length ? Math.max(...ns) : sweep.sentences, source: "the sweep's 0% points" };
  }
  if (!ref) return { points: pruned, dense: null };
  const point: SweepPoint = { pattern: 'dense', sparsity: 0, accuracy: ref.accuracy, label: 'dense' };
  if (ref.n) point.n = ref.n;
  return { points: [point, ...pruned], dense: ref };
}

/** The device models' view of a sweep point. */
export function sparsityOf(p: SweepPoint): SparsityConfig {
  const tr = p.tile?.tr ?? DENSE.tr;
  const tc = p.tile?.tc ?? DENSE.tc;
  const density = Math.max(1e-6, 1 - p.sparsity);
  if (p.pattern === 'dense' || p.sparsity === 0) return { ...DENSE, tr, tc };
  let tileDensity = density;
  let vectorDensity = density;
  if (p.pattern === 'hp') {
    if (p.keep) ({ tile: tileDensity, vector: vectorDensity } = p.keep);
    else {
      const split = p.split ?? 0.5;
      tileDensity = density ** split;
      vectorDensity = density ** (1 - split);
    }
  } else if (p.pattern === 'tile') vectorDensity = 1;
  else if (p.pattern === 'vector') tileDensity = 1;
  const nm = p.pattern === 'nm' && p.nm && p.nm.n > 0 && p.nm.m > 0 ? { nm: { n: p.nm.n, m: p.nm.m } } : {};
  return {
    pattern: p.pattern,
    density,
    tr,
    tc,
    tileDensity: Math.max(1e-6, tileDensity),
    vectorDensity: Math.max(1e-6, vectorDensity),
    ...nm,
  };
}

export function describePoint(p: SweepPoint): string {
  if (p.pattern === 'dense' || p.sparsity === 0) return 'dense';
  const tile = p.tile ? ` ${p.tile.tr}x${p.tile.tc}` : '';
  const split =
    p.pattern === 'hp'
      ? p.keep
        ? ` keep ${p.keep.tile.toFixed(2)}/${p.keep.vector.toFixed(2)}`
        : ` split ${(p.split ?? 0.5).toFixed(2)}`
      : '';
  return (
    `${p.label && p.label !== p.pattern ? p.label : p.pattern} ${(p.sparsity * 100).toFixed(1)}%` +
    `${isHPStructured(p.pattern) ? tile : ''}${split}`
  );
}

/** The pruning sliders' configuration (core/pruning PruneConfig shape) as a device-model config. */
export function sparsityFromPrune(p: Pruning & { keep?: { tile: number; vector: number } }): SparsityConfig {
  const pattern = (PATTERNS as readonly string[]).includes(p.pattern) ? (p.pattern as Pattern) : 'unstructured';
  const sparsity = Math.min(0.999, Math.max(0, p.sparsity));
  const tile = p.tr > 0 && p.tc > 0 && p.tc <= 256 ? { tr: Math.round(p.tr), tc: Math.round(p.tc) } : undefined;
  return sparsityOf({ pattern, sparsity, split: p.split, keep: p.keep, tile, accuracy: 0 });
}
