// Sweeps survive a reload: every finished (or partial) sweep is kept in IndexedDB via idb.
// Records are checked on read (another version of the app, an extension or a hand edit may have
// written them): a bad one is skipped and counted, never allowed to break the panels. The
// newest are read backwards through the time index, without loading every stored sweep.
import { openDB, type DBSchema } from 'idb';
import type { PruneConfig, SweepSeries } from '../../core/pruning';
import { PATTERNS } from '../../core/pruning';
import { parseSweep } from '../../core/explore/sweep';
import type { RecoveryMethodKind } from '../../lab/recovery-methods';

export interface SweepRow {
  series: SweepSeries;
  targetSparsity: number;
  achievedSparsity: number;
  accuracy: number;
  /** Sentences evaluated. */
  n: number;
  /** The same masks after layer-wise reconstruction by this method (lab/recovery-methods);
   *  absent: one-shot. */
  recovery?: RecoveryMethodKind;
}

export interface SweepRecord {
  id: string;
  createdAt: number;
  model: string;
  base: PruneConfig;
  rows: SweepRow[];
  complete: boolean;
}

interface SweepDB extends DBSchema {
  sweeps: { key: string; value: SweepRecord; indexes: { byTime: number } };
}

const db = () =>
  openDB<SweepDB>('hp-lab-sweeps', 1, {
    upgrade(d) {
      d.createObjectStore('sweeps', { keyPath: 'id' }).createIndex('byTime', 'createdAt');
    },
  });

export async function saveSweep(r: SweepRecord): Promise<void> {
  await (await db()).put('sweeps', r);
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The record as a SweepRecord, or an Error saying what is wrong with it. */
export function checkSweepRecord(x: unknown): SweepRecord {
  if (!isObj(x)) throw new Error('not an object');
  if (typeof x.id !== 'string' || x.id.length > 64) throw new Error('no id');
  if (!finite(x.createdAt)) throw new Error('no date');
  if (typeof x.model !== 'string') throw new Error('no model name');
  if (typeof x.complete !== 'boolean') throw new Error('no completion flag');
  const b = x.base;
  if (
    !isObj(b) ||
    !(PATTERNS as readonly unknown[]).includes(b.pattern) ||
    !finite(b.sparsity) ||
    !finite(b.tr) ||
    !finite(b.tc) ||
    !finite(b.split) ||
    typeof b.score !== 'string'
  ) {
    throw new Error('no valid pruning configuration');
  }
  if (!Array.isArray(x.rows)) throw new Error('no rows');
  if (x.rows.length > 100_000) throw new Error(`${x.rows.length} rows`);
  x.rows.forEach((r, i) => {
    if (
      !isObj(r) ||
      typeof r.series !== 'string' ||
      ![r.targetSparsity, r.achievedSparsity, r.accuracy, r.n].every(finite)
    ) {
      throw new Error(`rows[${i}] is not a sweep row`);
    }
  });
  if (x.rows.length > 0) parseSweep(x); // every row: a known series, sparsities and accuracy in [0, 1]
  return x as unknown as SweepRecord;
}

export interface StoredSweeps {
  /** Valid records, newest first. */
  records: SweepRecord[];
  /** Records read but unusable (skipped), with the first reason. */
  skipped: number;
  firstProblem?: string;
}

/** Up to `limit` valid stored sweeps (that `accept`), newest first: reads backwards through the
 *  time index and stops there, so 20,000 stored sweeps cost what one does. */
export async function newestSweeps(limit = 1, accept: (r: SweepRecord) => boolean = () => true): Promise<StoredSweeps> {
  const out: StoredSweeps = { records: [], skipped: 0 };
  const tx = (await db()).transaction('sweeps');
  for (let cursor = await tx.store.index('byTime').openCursor(null, 'prev'); cursor; cursor = await cursor.continue()) {
    let record: SweepRecord;
    try {
      record = checkSweepRecord(cursor.value);
    } catch (e) {
      out.skipped++;
      out.firstProblem ??=
        `${String((cursor.value as { id?: unknown })?.id ?? cursor.primaryKey)}: ` + `${(e as Error).message}`;
      continue;
    }
    if (!accept(record)) continue;
    out.records.push(record);
    if (out.records.length >= limit) break;
  }
  return out;
}

/** The newest stored sweep with points (what Choose and the paper view use), or null. */
export async function newestSweepWithPoints(): Promise<StoredSweeps & { record: SweepRecord | null }> {
  const r = await newestSweeps(1, (x) => x.rows.length > 0);
  return { ...r, record: r.records[0] ?? null };
}

/** The notice for skipped records, or ''. */
export const skippedNotice = (s: StoredSweeps): string =>
  s.skipped
    ? `${s.skipped} stored sweep${s.skipped > 1 ? 's' : ''} could not be read ` +
      `and ${s.skipped > 1 ? 'were' : 'was'} skipped (${s.firstProblem}).`
    : '';

export async function deleteSweep(id: string): Promise<void> {
  await (await db()).delete('sweeps', id);
}

export function sweepToCsv(r: SweepRecord): string {
  const head = 'series,recovery,target_sparsity,achieved_sparsity,accuracy,sentences';
  return (
    [
      head,
      ...r.rows.map(
        (x) => `${x.series},${x.recovery ?? 'none'},${x.targetSparsity},${x.achievedSparsity},${x.accuracy},${x.n}`,
      ),
    ].join('\n') + '\n'
  );
}
