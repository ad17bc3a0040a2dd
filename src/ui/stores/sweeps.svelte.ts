// The sweep the page shows, shared by the Sweep panel (which runs and restores sweeps) and the
// device choice (which takes its accuracies): a sweep run now reaches section 6 at once, not
// only after a reload.
import { listSweeps, type SweepRecord } from './sweep-db';

export const sweeps = $state<{ latest: SweepRecord | null; error: string }>({ latest: null, error: '' });

let restoring: Promise<void> | undefined;

/** Loads the newest stored sweep once per page (IndexedDB), unless one was run meanwhile. */
export function restoreLatestSweep(): Promise<void> {
  restoring ??= listSweeps().then(
    (all) => {
      sweeps.latest ??= all.find((r) => r.rows.length > 0) ?? all[0] ?? null;
    },
    (e) => {
      sweeps.error = `Stored sweeps: ${(e as Error).message}`;
    },
  );
  return restoring;
}
