// The page under faults (issue 18): malformed and numerous stored sweeps, a stalled model URL,
// a GPU loss during "Measure my GPU", and an evaluation worker that stops without an error event.
// (Screenshots in test-results/faults-*.png.)
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Worker } from 'playwright-core';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';

const STORED = 2000;

/** Writes `STORED` valid sweeps, then a newest valid one and two newer malformed ones. */
function seedSweeps(count: number) {
  return new Promise<void>((resolve, reject) => {
    const open = indexedDB.open('hp-lab-sweeps');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction('sweeps', 'readwrite');
      const store = tx.objectStore('sweeps');
      const base = { pattern: 'hp', sparsity: 0.5, score: 'magnitude', tr: 16, tc: 16, split: 0.5 };
      const rows = [0, 0.5, 0.9].map((s) => ({
        series: 'hp',
        targetSparsity: s,
        achievedSparsity: s,
        accuracy: 0.8 - s / 4,
        n: 200,
      }));
      for (let i = 0; i < count; i++)
        store.put({ id: `old-${i}`, createdAt: 1e12 + i, model: `old-${i}.onnx`, base, rows, complete: true });
      store.put({ id: 'good', createdAt: 2e12, model: 'newest-valid.onnx', base, rows, complete: true });
      store.put({ id: 'bad-rows', createdAt: 2e12 + 1, model: 'x', base, rows: null, complete: true });
      store.put({
        id: 'bad-accuracy',
        createdAt: 2e12 + 2,
        model: 'x',
        base,
        rows: [{ ...rows[0], accuracy: 7 }],
        complete: true,
      });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    };
  });
}

describe('the page under faults', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it('skips malformed stored sweeps with a notice, reads the newest without reading all, deletes', async () => {
    await s.page.getByTestId('run-sweep').waitFor({ timeout: 60_000 });
    await s.page.waitForFunction(async () => (await indexedDB.databases()).some((d) => d.name === 'hp-lab-sweeps'));
    await s.page.evaluate(seedSweeps, STORED);
    // Count what the page reads from IndexedDB after the reload.
    await s.page.addInitScript(() => {
      const w = window as unknown as { idbReads: { steps: number; getAll: number } };
      w.idbReads = { steps: 0, getAll: 0 };
      const cont = IDBCursor.prototype.continue;
      IDBCursor.prototype.continue = function (...a) {
        w.idbReads.steps++;
        return cont.apply(this, a);
      };
      for (const proto of [IDBIndex.prototype, IDBObjectStore.prototype]) {
        const getAll = proto.getAll;
        proto.getAll = function (this: IDBIndex, ...a: Parameters<typeof getAll>) {
          w.idbReads.getAll++;
          return getAll.apply(this, a);
        } as typeof getAll;
      }
    });
    await s.page.reload();
    const info = s.page.getByTestId('sweep-info');
    await info.waitFor({ timeout: 60_000 });
    expect(await info.innerText()).toMatch(/^newest-valid\.onnx, .*3 points;/);
    expect(await s.page.getByTestId('sweep-notice').innerText()).toMatch(
      /^2 stored sweeps could not be read and were skipped \(bad-accuracy: .*accuracy/,
    );
    // Choose a device uses the newest valid sweep too.
    await s.page.getByText(/Accuracy sweep: 3 points, newest-valid\.onnx/).waitFor({ timeout: 30_000 });
    const reads = await s.page.evaluate(
      () => (window as unknown as { idbReads: { steps: number; getAll: number } }).idbReads,
    );
    expect(reads.getAll).toBe(0);
    expect(reads.steps).toBeLessThan(20); // a few per panel, not the 2,003 stored

    await s.page.getByTestId('sweep-delete').click();
    await info.filter({ hasText: `old-${STORED - 1}.onnx` }).waitFor({ timeout: 30_000 });
    const left = await s.page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const open = indexedDB.open('hp-lab-sweeps');
          open.onsuccess = () => {
            const req = open.result.transaction('sweeps').objectStore('sweeps').count();
            req.onsuccess = () => resolve(req.result);
          };
        }),
    );
    expect(left).toBe(STORED + 2);
    await s.page.locator('#prune').screenshot({ ...SECTION_SHOT, path: 'test-results/faults-stored-sweeps.png' });
  });

  it('a stalled model URL can be cancelled, and the URL box comes back', async () => {
    await s.page.getByTestId('model-summary').waitFor({ timeout: 120_000 });
    // The request (from the model worker) is held forever: a server that never answers.
    await s.page.context().route('**/stalled-model.onnx', () => {});
    const box = s.page.getByTestId('model-url');
    await box.fill(new URL('stalled-model.onnx', inject('baseUrl')).href);
    await s.page.getByTestId('model-url-load').click();
    const cancel = s.page.getByTestId('cancel-download');
    await cancel.waitFor({ timeout: 30_000 });
    expect(await box.isDisabled()).toBe(true);
    await cancel.click();
    await s.page.getByTestId('model-error').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    expect(await s.page.getByTestId('model-error').innerText()).toMatch(
      /The download of the model was cancelled\. The previous model is still loaded\./,
    );
    expect(await box.isDisabled()).toBe(false);
    await s.page.locator('#model').screenshot({ ...SECTION_SHOT, path: 'test-results/faults-model-cancel.png' });
  });

  it('a GPU loss during Measure my GPU says so and keeps the cases finished before it', async () => {
    const button = s.page.getByTestId('measure-gpu');
    await button.waitFor({ timeout: 60_000 });
    await button.click();
    // The first case's kernels are done once its onnxruntime-web peer starts.
    await s.page.getByRole('progressbar', { name: /onnxruntime-web|FFN in/ }).waitFor({ timeout: 150_000 });
    await s.page.evaluate(() => (window as unknown as { hpLab: { simulateGpuLoss(): void } }).hpLab.simulateGpuLoss());
    const err = s.page.getByTestId('gpu-bench-error');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.innerText()).toMatch(
      /GPU device was lost during the measurement.*case\(s\) finished before the loss are shown/,
    );
    expect(await s.page.getByTestId('gpu-case').count()).toBeGreaterThanOrEqual(1);
    await button.and(s.page.locator(':enabled')).waitFor({ timeout: 30_000 });
    await s.page.locator('#gpu').screenshot({ ...SECTION_SHOT, path: 'test-results/faults-gpu-loss.png' });
  });

  it(
    'an evaluation worker that closes itself is detected, restarted and given back its state',
    { timeout: 480_000 },
    async () => {
      const t0 = Date.now();
      const step = (what: string) => console.log(`worker death: ${what} at ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      await s.page.getByTestId('accuracy-value').waitFor({ timeout: 240_000 });
      step('dense accuracy shown');
      // The eval worker itself, not onnxruntime's threads: the same script, started later (the
      // page's workers start first; onnxruntime's when a session is built).
      const evalWorker = s.page.workers().find((w: Worker) => /eval\.worker/.test(w.url()));
      expect(
        evalWorker,
        s.page
          .workers()
          .map((w) => w.url())
          .join(', '),
      ).toBeDefined();
      await evalWorker!.evaluate(() => setTimeout(() => self.close(), 0)); // no error event, ever
      step('worker closed');
      // Noticed when the browser has ended the worker and freed its life lock (0-50 s after the
      // close on a loaded 2-core machine: a worker with onnxruntime threads takes a while to end),
      // and said on the page.
      const banner = s.page
        .locator('[data-banner="error"]')
        .filter({ hasText: 'evaluation worker stopped unexpectedly' });
      await banner.waitFor({ timeout: 150_000 });
      step('death reported');
      expect(await banner.innerText()).toMatch(
        /The evaluation worker stopped unexpectedly \(it closed without an error\); it has been restarted/,
      );
      // The restarted worker has its tokenizer and model back: a picked dataset evaluates.
      const tiny = {
        name: 'tiny.jsonl',
        mimeType: 'application/json',
        buffer: Buffer.from('{"text":"a fine film","label":1}\n{"text":"a dull film","label":0}\n'),
      };
      await s.page.getByTestId('dataset-file').setInputFiles(tiny);
      await s.page
        .getByTestId('dataset-summary')
        .filter({ hasText: 'tiny.jsonl, 2 sentences' })
        .waitFor({ timeout: 120_000 });
      step('dataset loaded in the restarted worker');
      await s.page.getByTestId('accuracy').filter({ hasText: '/2)' }).waitFor({ timeout: 120_000 });
      expect(await s.page.getByTestId('model-error').count()).toBe(0);
      await s.page.locator('#model').screenshot({ ...SECTION_SHOT, path: 'test-results/faults-worker-restart.png' });
    },
  );
});
