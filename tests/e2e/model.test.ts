// Models beyond the shipped one in a real browser (the model panel on the shipped model is
// tested on the first screen's page, first-screen.test.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, screenshot, SMALL_DEV, type Session } from './helpers/browser';
import { evaluateOnnx } from '../../src/eval/accuracy';
import { configureOrt } from '../../src/eval/ort-session';
import { defaultModelPath, readDataset, readModelBytes, readTokenizer } from '../../src/eval/node-assets';
import { readFileSync } from 'node:fs';
import { onnxWithHPW } from '../../src/core/model/apply-hpw';
import { writeHPW } from '../../src/core/formats/hpw';
import { readWeightsFile } from '../../src/core/formats/weights-file';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { pruneMatrix } from '../../src/core/pruning/prune-matrix';
import { QUICK_SENTENCES, quickScope } from '../../src/ui/panels/first/accuracy-text';

// A retrained model shipped as dense ONNX + .hpw (the retraining study's files): the page loads
// it from the list and measures the same accuracy as the CLI's `hp-lab eval --hpw` on the same
// sentences; a .hpw that does not fit is refused and the model stays.
describe('retrained models (.hpw or .spw on top of the dense ONNX)', () => {
  let s: Session;
  const sentences = readFileSync('public/data/dev.jsonl', 'utf8').split('\n').filter(Boolean).slice(0, 60).join('\n');
  beforeAll(async () => {
    // Its own 60 sentences replace the split (served short: no evaluation of all 500 meanwhile).
    s = await openApp(inject('baseUrl'), { devSentences: SMALL_DEV });
    await s.page.getByTestId('model-summary').waitFor({ timeout: 120_000 });
    await s.page
      .getByTestId('dataset-file')
      .setInputFiles({ name: 'dev60.jsonl', mimeType: 'application/json', buffer: Buffer.from(sentences) });
  });
  afterAll(async () => s?.close());

  // HP as .hpw, the best baseline (unstructured) as .spw: both from the list, both labelled by what is
  // loaded (never "dense"), both as the CLI measures them.
  // The HP file last: the device-choice test below needs it loaded (no third load).
  it.each([
    ['unstructured-90-recovered-retrained.spw', 'unstructured 90% recovered and retrained'],
    ['hp-32x32-90-recovered-retrained.hpw', 'HP 32x32 90% recovered and retrained'],
  ])('loads %s from the list, labels it "%s" and measures what the CLI measures', async (file, label) => {
    // The Model panel's quick line shows only while the whole split runs: recorded as it appears.
    await s.page.evaluate((file) => {
      const w = window as unknown as { quickLines: string[] };
      w.quickLines = [];
      new MutationObserver(() => {
        // Lines about this retrained model only (the previous model's evaluation may still be running).
        if (!(document.querySelector('[data-testid="model-summary"]')?.textContent ?? '').includes(file)) return;
        const line = document.querySelector('[data-testid="accuracy-quick"]')?.textContent?.replace(/\s+/g, ' ');
        if (line && w.quickLines.at(-1) !== line) w.quickLines.push(line);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    }, file);
    await s.page.getByTestId('retrained-select').selectOption(file);
    await s.page.getByTestId('retrained-load').click();
    await s.page.getByTestId('model-summary').getByText(`tinybert-rt.onnx + ${file}`).waitFor({ timeout: 120_000 });
    const accuracy = s.page.getByTestId('accuracy');
    await expect
      .poll(async () => (await accuracy.innerText()).match(/\((\d+)\/60\)/)?.[1], { timeout: 120_000, interval: 500 })
      .toBeTruthy();
    // Every accuracy of this model is labelled by what is loaded, never "dense".
    expect(await s.page.getByTestId('first-dense-label').innerText()).toBe(`${label} accuracy`);
    expect(await accuracy.innerText()).toContain(`% ${label} accuracy (before any further pruning)`);
    const quick = await s.page.evaluate(() => (window as unknown as { quickLines: string[] }).quickLines);
    expect(quick.length).toBeGreaterThan(0);
    for (const line of quick)
      expect(line).toContain(`${label} accuracy on ${quickScope(Math.min(60, QUICK_SENTENCES))}`);
    expect((await s.page.locator('#start').innerText()).match(/\bdense accuracy\b/)).toBeNull();
    const correct = Number((await accuracy.innerText()).match(/\((\d+)\/60\)/)![1]);
    configureOrt({ threads: 1 });
    const bytes = onnxWithHPW(
      parseBertOnnx(readModelBytes(defaultModelPath())),
      readWeightsFile(new Uint8Array(readFileSync(`public/models/retrained/${file}`))),
    );
    const node = await evaluateOnnx(bytes, readTokenizer(), readDataset(), { batch: 32, limit: 60, maxLength: 64 });
    expect(Math.abs(correct - node.correct)).toBeLessThanOrEqual(1);
    await screenshot(s.page, `model-retrained-${file.split('-')[0]}`);
  });

  it('refuses a .hpw made for another model and keeps the current one', async () => {
    const weight = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i + 1));
    const small = pruneMatrix(
      { name: 'q', out: 8, in: 8, weight },
      { pattern: 'hp', sparsity: 0.5, split: 0.5, tr: 4, tc: 4, score: 'magnitude' },
    );
    const other = writeHPW({ valueType: 'f32', info: {}, matrices: [{ name: 'layer.0.attention.q', hp: small.hp! }] });
    const before = (await s.page.getByTestId('model-summary').innerText()).split('\n')[0];
    await s.page
      .getByTestId('hpw-input')
      .setInputFiles({ name: 'other.hpw', mimeType: 'application/octet-stream', buffer: Buffer.from(other) });
    const err = s.page.getByTestId('model-error');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.innerText()).toMatch(
      /cannot be applied to the model.*is 8x8, the model's is 312x312.*previous model is still loaded/s,
    );
    expect((await s.page.getByTestId('model-summary').innerText()).split('\n')[0]).toBe(before);
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });

  it(
    "the device choice can take the retraining study's points, " + 'and says when they describe another model',
    async () => {
      const summary = s.page.getByTestId('model-summary');
      const loaded = await summary.innerText();
      if (!/retrained\.(hpw|spw)/.test(loaded)) {
        // On the shipped model the study's points describe it: no warning.
        await s.page.getByTestId('accuracy-source').selectOption('study');
        await expect.poll(async () => s.page.getByTestId('study-other-model').count(), { timeout: 30_000 }).toBe(0);
      }
      if (!loaded.includes('hp-32x32-90-recovered-retrained.hpw')) {
        await s.page.getByTestId('retrained-select').selectOption('hp-32x32-90-recovered-retrained.hpw');
        await s.page.getByTestId('retrained-load').click();
        await summary.getByText('tinybert-rt.onnx + hp-32x32-90-recovered-retrained.hpw').waitFor({ timeout: 120_000 });
      }
      await s.page.getByTestId('accuracy-source').selectOption('study');
      await s.page.getByTestId('ac-kind').selectOption('drop');
      await s.page.getByTestId('ac-value').fill('6');
      await s.page.getByTestId('lc').fill('0.5');
      const choice = s.page.getByTestId('choice');
      await expect
        .poll(async () => choice.innerText(), { timeout: 60_000, interval: 500 })
        .toMatch(/retrained on a GPU \(3 seeds/);
      // the loaded model is the HP 90% file, not the shipped dense model the study measured
      expect(await s.page.getByTestId('study-other-model').innerText()).toMatch(
        /measured on tinybert-rt\.onnx; the loaded model is tinybert-rt\.onnx \+ hp-32x32-90-recovered-retrained\.hpw/,
      );
      await s.page.getByTestId('sweep-chart').scrollIntoViewIfNeeded();
      await screenshot(s.page, 'choose-retrained-study');
    },
  );
});
