// Sweeps survive a reload: every finished (or partial) sweep is kept in IndexedDB via idb.
import { openDB, type DBSchema } from 'idb';
import type { PruneConfig, SweepSeries } from '../../core/pruning';

export interface SweepRow {
  series: SweepSeries;
  targetSparsity: number;
  achievedSparsity: number;
  accuracy: number;
  /** Sentences evaluated. */
  n: number;
  /** 'lsq': the same masks after layer-wise reconstruction (core/recover); absent: one-shot. */
  recovery?: 'lsq';
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

/** All stored sweeps, newest first. */
export async function listSweeps(): Promise<SweepRecord[]> {
  return (await (await db()).getAllFromIndex('sweeps', 'byTime')).reverse();
}

export async function deleteSweep(id: string): Promise<void> {
  await (await db()).delete('sweeps', id);
}

export function sweepToCsv(r: SweepRecord): string {
  const head = 'series,recovery,target_sparsity,achieved_sparsity,accuracy,sentences';
  return [head, ...r.rows.map((x) => `${x.series},${x.recovery ?? 'none'},${x.targetSparsity},${x.achievedSparsity},${x.accuracy},${x.n}`)].join('\n') + '\n';
}
