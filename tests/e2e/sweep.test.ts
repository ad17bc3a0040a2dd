// The sweep: runs in the page (pruning worker + eval worker), is kept in IndexedDB after every
// point, survives a reload, exports as CSV, and feeds the device choice (AC becomes usable).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';
import { DEFAULT_SWEEP_SERIES, DEFAULT_SWEEP_SPARSITIES, sweepPoints } from '../../src/core/pruning';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { evaluateOnnx } from '../../src/eval/accuracy';
import { configureOrt } from '../../src/eval/ort-session';
import { defaultModelPath, readDataset, readModelBytes, readTokenizer } from '../../src/eval/node-assets';
import { PruneSession } from '../../src/lab/prune-session';
import { decodeState } from '../../src/ui/stores/url-state';

/** Rows stored in IndexedDB; `recovered`: only those measured after reconstruction. */
async function storedRows(s: Session, recovered = false): Promise<number> {
  return s.page.evaluate(
    (recovered) =>
      new Promise<number>((resolve) => {
        const open = indexedDB.open('hp-lab-sweeps');
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('sweeps')) return resolve(0);
          const all = db.transaction('sweeps').objectStore('sweeps').getAll();
          type Row = { recovery?: string };
          all.onsuccess = () =>
            resolve(
              all.result.reduce(
                (n: number, r: { rows: Row[] }) => n + r.rows.filter((x) => !recovered || x.recovery === 'lsq').length,
                0,
              ),
            );
        };
        open.onerror = () => resolve(0);
      }),
    recovered,
  );
}

describe('accuracy sweep', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it(
    'keeps points in IndexedDB as they finish, with a recovered series, ' +
      'restores them after a reload, exports CSV and enables AC',
    async () => {
      // Evaluation ready: the whole dev split, after the quick subset and beside the first pruned
      // model's accuracy (the same eval worker); on 2 loaded cores that can take minutes.
      await s.page.getByTestId('accuracy-value').waitFor({ timeout: 300_000 });
      await s.page.getByTestId('sweep-recover').check();
      // 200 sentences a point by default; 50 here (the menu reaches the evaluations: every row says 50).
      const perPoint = s.page.getByTestId('sweep-sentences');
      expect(await perPoint.inputValue()).toBe('200');
      await perPoint.selectOption('50');
      await s.page.getByTestId('run-sweep').click();
      await expect.poll(() => storedRows(s), { timeout: 200_000, interval: 2000 }).toBeGreaterThanOrEqual(2);
      // hp from 50% on is also measured after layer-wise reconstruction (the 7th point).
      await expect.poll(() => storedRows(s, true), { timeout: 600_000, interval: 2000 }).toBeGreaterThanOrEqual(1);
      await s.page.locator('#prune').screenshot({ ...SECTION_SHOT, path: 'test-results/sweep-recovered.png' });

      // The device choice (section 6) sees the running sweep at once, without a reload.
      await expect.poll(() => s.page.getByTestId('ac-kind').isEnabled(), { timeout: 30_000 }).toBe(true);
      expect(await s.page.locator('#select').innerText()).toMatch(/Accuracy sweep: \d+ points/);

      await s.page.reload();
      const csvButton = s.page.getByTestId('sweep-csv');
      await csvButton.waitFor({ timeout: 60_000 });
      expect(await s.page.locator('#prune').innerText()).toMatch(/\d+ points \(partial\)/);
      const [download] = await Promise.all([s.page.waitForEvent('download'), csvButton.click()]);
      const csv = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe('series,recovery,target_sparsity,achieved_sparsity,accuracy,sentences');
      expect(csv.length).toBeGreaterThanOrEqual(3);
      const rows = csv.slice(1).map((line) => line.split(','));
      for (const [series, recovery, target, achieved, accuracy, n] of rows) {
        expect(series).toMatch(/^(hp|tile|vector|unstructured|row-balanced|nm|2:4|1:4)$/);
        expect(recovery).toMatch(/^(none|lsq)$/);
        if (recovery === 'lsq') expect(Number(target)).toBeGreaterThanOrEqual(0.5);
        expect(Math.abs(Number(achieved) - Number(target))).toBeLessThan(0.1);
        expect(Number(accuracy)).toBeGreaterThanOrEqual(0);
        expect(Number(accuracy)).toBeLessThanOrEqual(1);
        expect(Number(n)).toBe(50);
      }
      expect(rows.some(([, , target]) => Number(target) > 0)).toBe(true);

      // The first two one-shot points' accuracies are the CLI's (Node, wasm) on the same pruned
      // models and the same 50 sentences, within one sentence.
      configureOrt({ threads: 1 });
      const session = new PruneSession(parseBertOnnx(readModelBytes(defaultModelPath())));
      const points = sweepPoints(DEFAULT_SWEEP_SERIES, DEFAULT_SWEEP_SPARSITIES, decodeState('').state.pruning);
      for (const [series, , target, , accuracy] of rows.filter(([, recovery]) => recovery === 'none').slice(0, 2)) {
        const point = points.find((p) => p.series === series && p.config.sparsity === Number(target));
        expect(point, `${series} at ${target}`).toBeDefined();
        const node = await evaluateOnnx(session.prunedOnnx(point!.config), readTokenizer(), readDataset(), {
          limit: 50,
          batch: 32,
        });
        expect(Math.abs(Number(accuracy) - node.accuracy)).toBeLessThanOrEqual(1 / 50 + 1e-9);
      }

      // The stored sweep makes the accuracy constraint usable in the device choice.
      await expect.poll(() => s.page.getByTestId('ac-kind').isEnabled(), { timeout: 60_000 }).toBe(true);
      await s.page.locator('#select').screenshot({ ...SECTION_SHOT, path: 'test-results/select-with-sweep.png' });
      expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    },
    1_200_000,
  );
});
