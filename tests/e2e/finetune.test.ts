// "Fine-tune on my GPU" end to end in Chromium on SwiftShader, with a tiny BERT (real vocabulary)
// picked as the model and a few training sentences: the software-adapter estimate, progress and
// the loss chart, the result's onnxruntime-web accuracy, the downloads (masks exact: pruned
// positions zero in the .hpw and the ONNX, kept ones trained; 8 unlabelled review sentences
// distilled on besides), and a reload that resumes an
// interrupted run from its IndexedDB checkpoint.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';
import { buildTinyBertOnnx } from '../helpers/tiny-bert-onnx';
import { readHPW } from '../../src/core/formats/hpw';
import { decodeHP } from '../../src/core/formats/hp';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { prunableLinears } from '../../src/core/model/bert-types';
import { matrixInputs, pruneMatrices, type PruneConfig } from '../../src/core/pruning';

const tiny = buildTinyBertOnnx({ layers: 2, hidden: 32, heads: 2, ffn: 64, vocab: 30522, maxPositions: 64, seed: 5 });
const config: PruneConfig = { pattern: 'hp', score: 'magnitude', tr: 16, tc: 16, sparsity: 0.5, split: 0.5 };
const query = `?pattern=hp&sparsity=0.5&tr=16&tc=16`;

/** The fine-tuned model's accuracy, or the panel's error (reported at once, not after a timeout). */
async function finished(page: Page) {
  const error = page.getByTestId('finetune-error');
  await page
    .getByTestId('finetune-accuracy')
    .filter({ hasText: /\(\d+\/16\)/ })
    .or(error)
    .waitFor({ timeout: 400_000 });
  expect(await error.count(), (await error.count()) ? await error.innerText() : '').toBe(0);
}

// 16 dev sentences (the first of the shipped dev split) keep every onnxruntime evaluation short.
const dev = readFileSync('public/data/dev.jsonl', 'utf8').split('\n').slice(0, 16).join('\n');

async function pickTinyModel(page: Page) {
  await page.getByTestId('model-summary').waitFor({ timeout: 120_000 });
  await page
    .getByTestId('dataset-file')
    .setInputFiles({ name: 'dev16.jsonl', mimeType: 'application/json', buffer: Buffer.from(dev) });
  await page.getByTestId('dataset-summary').filter({ hasText: '16 sentences' }).waitFor({ timeout: 120_000 });
  await page
    .getByTestId('model-file')
    .setInputFiles({ name: 'tiny.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(tiny.bytes) });
  await page.getByTestId('model-summary').filter({ hasText: 'tiny.onnx' }).waitFor({ timeout: 120_000 });
  await page.getByTestId('accuracy').filter({ hasText: '/16)' }).waitFor({ timeout: 240_000 });
  await page.getByTestId('finetune-start').waitFor({ timeout: 60_000 });
}

describe('fine-tune on my GPU', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { query, devSentences: SMALL_DEV });
  }, 240_000);
  afterAll(async () => s?.close());

  it('trains a small run, measures it with onnxruntime, downloads with the masks exact', async () => {
    const { page } = s;
    await pickTinyModel(page);
    // SwiftShader: the page states the time of a full run and preselects a small one.
    expect(await page.getByTestId('finetune-software').innerText()).toMatch(
      /software one.*would take (at least|about) .*small run/s,
    );
    await page.getByTestId('finetune-sentences').selectOption('8');
    await page.getByTestId('finetune-epochs').fill('2');
    await page.getByTestId('finetune-batch').selectOption('4');
    await page.getByTestId('finetune-lr').selectOption('0.001');
    // Unlabelled review sentences (public/data/reviews.txt.gz, fetched only when ticked): 8 of them.
    await page.getByTestId('finetune-reviews').check();
    await page.getByTestId('finetune-reviews-cost').waitFor({ timeout: 120_000 });
    await page.getByTestId('finetune-reviews-limit').selectOption('8');
    expect(await page.locator('label', { has: page.getByTestId('finetune-reviews') }).innerText()).toContain(
      'also distil on 8 unlabelled review sentences',
    );
    expect(await page.getByTestId('finetune-reviews-cost').innerText()).toMatch(/≈ [\d,]+ more tokens per epoch/);
    await page.getByTestId('finetune-reviews-cost').scrollIntoViewIfNeeded();
    await page.screenshot({ ...SECTION_SHOT, path: 'test-results/finetune-reviews.png' });
    await page.getByTestId('finetune-start').click();
    await page.getByRole('progressbar').first().waitFor({ timeout: 30_000 });
    await finished(page);
    expect(await page.getByTestId('finetune-result').innerText()).toContain('+ 8 unlabelled review sentences');
    const losses = (await page.getByTestId('finetune-losses').innerText()).split(',').map(Number);
    expect(losses).toHaveLength(2);
    expect(losses.every((l) => l > 0 && Number.isFinite(l))).toBe(true);
    expect(await page.getByTestId('finetune-chart').isVisible()).toBe(true);

    const save = async (id: string) => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(id).click()]);
      return new Uint8Array(readFileSync((await dl.path())!));
    };
    const hpw = readHPW(await save('finetune-download-hpw'));
    const onnx = parseBertOnnx(await save('finetune-download-onnx'));
    const masks = pruneMatrices(matrixInputs(tiny.model), config).matrices.map((m) => m.mask);
    const before = prunableLinears(tiny.model);
    prunableLinears(onnx.model).forEach((l, i) => {
      expect(decodeHP(hpw.matrices[i].hp)).toEqual(l.weight);
      l.weight.forEach((w, j) => {
        if (!masks[i][j]) expect(w).toBe(0);
      });
      expect(l.weight.some((w, j) => masks[i][j] && w !== before[i].weight[j])).toBe(true);
    });
    // The fine-tuned model is now the current pruned model: "Run on my GPU" runs it, and the
    // device choice has its measured accuracy as a candidate.
    expect(await page.getByTestId('gpu-run-model').innerText()).toMatch(/the model fine-tuned above/);
    expect(await page.getByTestId('select-sweep-source').innerText()).toMatch(
      /the model fine-tuned here \(hp \d+\.\d%, \d+\.\d%\)/,
    );
    await page.getByTestId('gpu-sentences').selectOption('20'); // all 16 (the software default is 8)
    await page.getByTestId('run-on-gpu').click();
    await page.getByTestId('engine-accuracy').waitFor({ timeout: 300_000 });
    expect(await page.getByTestId('gpu-run-results').innerText()).toContain('fine-tuned model');
    // onnxruntime beside the engine runs the same (fine-tuned) weights: on the same 16 sentences
    // it scores what the fine-tuning panel measured.
    await page.getByTestId('ort-accuracy').waitFor({ timeout: 300_000 });
    const score = async (id: string) => (await page.getByTestId(id).innerText()).match(/(\d+\.\d)% \((\d+)\/16\)/)?.[0];
    expect(await score('ort-accuracy')).toBeDefined();
    expect(await score('ort-accuracy')).toBe(await score('finetune-accuracy'));
    await page.locator('#gpu').screenshot({ ...SECTION_SHOT, path: 'test-results/finetune.png' });
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  }, 900_000);

  it('a reload resumes an interrupted run from its checkpoint', async () => {
    const { page } = s;
    await page.getByTestId('finetune-reviews').uncheck();
    await page.getByTestId('finetune-epochs').fill('5'); // 8 sentences, batch 4: 10 steps, a checkpoint per epoch
    await page.getByTestId('finetune-start').click();
    await page.getByRole('progressbar', { name: /step [4-9]\/10/ }).waitFor({ timeout: 300_000 });
    await page.reload();
    await pickTinyModel(page);
    const pending = page.getByTestId('finetune-pending');
    await pending.waitFor({ timeout: 60_000 });
    const saved = Number((await pending.innerText()).match(/step (\d+)\/10/)?.[1]);
    expect(saved).toBeGreaterThanOrEqual(2);
    await page.getByTestId('finetune-resume').click();
    await finished(page);
    expect(await page.getByTestId('finetune-result').innerText()).toContain(`resumed at step ${saved}`);
    expect((await page.getByTestId('finetune-losses').innerText()).split(',')).toHaveLength(5);
    expect(await page.getByTestId('finetune-pending').count()).toBe(0);
  }, 900_000);
});
