// The fine-tuning checkpoint store of the page (IndexedDB via idb, usable in a worker): one run
// at a time, its arrays in one store and what the page lists (request, step, losses) in
// another, so asking "is there a run to resume?" does not read megabytes.
import { openDB, type DBSchema } from 'idb';
import type { FineTuneCheckpoint } from './finetune';
import type { CheckpointInfo, CheckpointStore } from './finetune-experiment';

interface FineTuneDB extends DBSchema {
  info: { key: string; value: CheckpointInfo };
  state: { key: string; value: FineTuneCheckpoint };
}

const db = () =>
  openDB<FineTuneDB>('hp-lab-finetune', 1, {
    upgrade(d) {
      d.createObjectStore('info', { keyPath: 'runKey' });
      d.createObjectStore('state', { keyPath: 'runKey' });
    },
  });

export const idbCheckpointStore: CheckpointStore & { latest(): Promise<CheckpointInfo | null> } = {
  async load(runKey) {
    return (await (await db()).get('state', runKey)) ?? null;
  },
  async save(info, checkpoint) {
    const d = await db();
    const tx = d.transaction(['info', 'state'], 'readwrite');
    // One run at a time: a new run's first checkpoint replaces the previous run's.
    for (const key of await tx.objectStore('info').getAllKeys()) {
      if (key !== info.runKey) {
        await tx.objectStore('info').delete(key);
        await tx.objectStore('state').delete(key);
      }
    }
    await tx.objectStore('state').put(checkpoint);
    await tx.objectStore('info').put(info);
    await tx.done;
  },
  async clear() {
    const d = await db();
    const tx = d.transaction(['info', 'state'], 'readwrite');
    await tx.objectStore('info').clear();
    await tx.objectStore('state').clear();
    await tx.done;
  },
  /** The interrupted run, if any. */
  async latest() {
    // A cursor over the (at most one, see save) records, not getAll: the page asks this on load.
    let newest: CheckpointInfo | null = null;
    for (let c = await (await db()).transaction('info').store.openCursor(); c; c = await c.continue()) {
      if (!newest || c.value.savedAt > newest.savedAt) newest = c.value;
    }
    return newest;
  },
};
