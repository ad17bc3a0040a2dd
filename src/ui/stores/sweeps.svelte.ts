// The sweep the page shows, shared by the Sweep panel (which runs and restores sweeps) and the
// device choice (which takes its accuracies): a sweep run now reaches section 6 at once, not
// only after a reload.
// Stored records are checked on read: unusable ones are skipped and counted in `notice`.
import { newestSweeps, skippedNotice, type SweepRecord } from './sweep-db';

export const sweeps = $state<{ latest: SweepRecord | null; error: string; notice: string }>({
  latest: null,
  error: '',
  notice: '',
});

let restoring: Promise<void> | undefined;

/** The newest valid stored sweep with points, else the newest valid one (reads only those). */
async function newestStored(): Promise<SweepRecord | null> {
  const withPoints = await newestSweeps(1, (r) => r.rows.length > 0);
  sweeps.notice = skippedNotice(withPoints);
  return withPoints.records[0] ?? (await newestSweeps(1)).records[0] ?? null;
}

const failed = (e: unknown) => {
  sweeps.error = `Stored sweeps: ${(e as Error).message}`;
};

/** Loads the newest stored sweep once per page (IndexedDB), unless one was run meanwhile. */
export function restoreLatestSweep(): Promise<void> {
  restoring ??= newestStored().then((r) => {
    sweeps.latest ??= r;
  }, failed);
  return restoring;
}

/** Shows the newest stored sweep now (after one was deleted). */
export function showNewestSweep(): Promise<void> {
  return newestStored().then((r) => {
    sweeps.latest = r;
  }, failed);
}
