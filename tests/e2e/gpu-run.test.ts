// "Run on my GPU": the whole pruned model through the WGSL engine in a worker (SwiftShader here),
// beside onnxruntime-web on the same weights: accuracies agree, latencies and speedup shown.
// The page's URL is also the pruning flow's 50% HP state: its quick accuracy is checked here.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';
import { parseBertOnnx } from '../../src/core/model/bert-from-onnx';
import { takeFirst } from '../../src/core/data/dataset';
import { evaluateOnnx } from '../../src/eval/accuracy';
import { configureOrt } from '../../src/eval/ort-session';
import { defaultModelPath, readDataset, readModelBytes, readTokenizer } from '../../src/eval/node-assets';
import { PruneSession } from '../../src/lab/prune-session';
import { decodeState } from '../../src/ui/stores/url-state';
import { QUICK_BATCH, QUICK_SENTENCES } from '../../src/ui/panels/first/accuracy-text';

const query = '?pattern=hp&sparsity=0.5&tr=16&tc=16';

describe('run on my GPU', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { query, devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  /** The model is loaded and the eval worker has its tokenizer and data (ORT runs beside the engine). */
  async function ready() {
    await s.page.getByTestId('model-summary').waitFor({ timeout: 120_000 });
    await s.page.getByTestId('accuracy-value').waitFor({ timeout: 240_000 });
  }

  /** Runs the engine with `weights` on the software adapter's default 8 sentences (a second each
   *  through the engine on SwiftShader), and ORT beside it. */
  async function run(weights: 'f32' | 'f16' | 'int8', profile = false) {
    expect(await s.page.getByTestId('gpu-sentences').inputValue()).toBe('8');
    await s.page.getByTestId('gpu-weights').selectOption(weights);
    await s.page.getByTestId('gpu-profile').setChecked(profile);
    await s.page.getByTestId('run-on-gpu').click();
    await s.page
      .getByTestId('engine-weights')
      .filter({ hasText: weights === 'int8' ? 'int8 W8A8 codes' : `${weights} weights` })
      .waitFor({ timeout: 400_000 });
    await s.page.getByTestId('ort-accuracy').waitFor({ timeout: 400_000 });
  }

  // The pruning flow's check, on this page (its URL is the state; no GPU run changes the pruning).
  it(
    "shows the pruned model's accuracy on the quick sample, " + 'equal to the CLI (Node, wasm) within one sentence',
    async () => {
      await s.page.getByTestId('acc-quick').waitFor({ timeout: 240_000 });
      const page = parseFloat(await s.page.getByTestId('acc-quick').innerText());
      configureOrt({ threads: 1 });
      const pruned = new PruneSession(parseBertOnnx(readModelBytes(defaultModelPath()))).prunedOnnx(
        decodeState(query).state.pruning,
      );
      // The sample of the sentences the page was served (the first SMALL_DEV).
      const node = await evaluateOnnx(pruned, readTokenizer(), takeFirst(readDataset(), SMALL_DEV), {
        quick: QUICK_SENTENCES,
        batch: QUICK_BATCH,
      });
      expect(node.n).toBe(QUICK_SENTENCES);
      // within one sentence of the quick sample (plus the page's rounding to 0.1)
      expect(Math.abs(page - node.accuracy * 100)).toBeLessThanOrEqual(100 / QUICK_SENTENCES + 0.05);
      await s.page.locator('#prune').screenshot({ ...SECTION_SHOT, path: 'test-results/prune-50.png' });
      expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    },
    420_000,
  );

  it('runs the engine and ORT on 8 sentences with the same accuracy, and shows where the GPU time goes', async () => {
    await ready();
    await run('f32', true);
    const engine = await s.page.getByTestId('engine-accuracy').innerText();
    const ort = await s.page.getByTestId('ort-accuracy').innerText();
    const correct = (text: string) => text.match(/\((\d+)\/8\)/)?.[1];
    expect(correct(engine)).toBeDefined();
    expect(correct(engine)).toBe(correct(ort));
    expect(await s.page.getByTestId('gpu-speedups').innerText()).toMatch(/HP vs dense on the engine: [\d.]+×/);
    // The wall time of a run and this browser's bare readback round trip, both measured.
    const wall = (await s.page.getByTestId('gpu-wall').innerText()).match(
      new RegExp(
        'tokens \\(tokens in, logits out\\): ([\\d.]+) ms; GPU time of its forward: ([\\d.]+) ms\\. ' +
          'A bare 4-byte readback takes ([\\d.]+) ms',
      ),
    );
    expect(wall).not.toBeNull();
    for (const ms of wall!.slice(1)) expect(Number(ms)).toBeGreaterThan(0);
    // A wall time below the GPU time (medians of separate runs; on SwiftShader both CPU time) is explained.
    const [wallMs, gpuMs] = [Number(wall![1]), Number(wall![2])];
    const explained = await s.page.getByTestId('gpu-wall-note').count();
    if (wallMs !== gpuMs) expect(explained, `wall ${wallMs} ms, GPU ${gpuMs} ms`).toBe(wallMs < gpuMs ? 1 : 0);
    // Each kind of op timed on its own, for both engines: a reading of each, and a row a kind.
    const reading = await s.page.getByTestId('op-breakdown-reading').innerText();
    for (const name of ['HP linears', 'Dense linears'])
      expect(reading).toMatch(
        new RegExp(
          `${name}: the forward [\\d.]+ ms in \\d+ dispatches; ` +
            'its kinds timed on their own add up to [\\d.]+ ms\\. The largest is [^:]+: \\d+ %',
        ),
      );
    await s.page.getByText("Each kind's time").click();
    const kinds = await s.page.getByTestId('op-breakdown-table').locator('tbody tr').allInnerTexts();
    expect(
      kinds.some((k) => /^attention\t[\d.]+\t[\d.]+$/.test(k)),
      kinds.join(' | '),
    ).toBe(true);
    expect(kinds.length).toBeGreaterThanOrEqual(5);
    const f32Weights = await s.page.getByTestId('engine-weights').innerText();
    expect(f32Weights).toMatch(/^f32 weights: linears [\d.]+ MiB of [\d.]+ MiB on the GPU$/);
    await s.page.locator('#gpu').screenshot({ ...SECTION_SHOT, path: 'test-results/gpu-run.png' });
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  }, 900_000); // model load, dense accuracy on the dev split, then the run: minutes on SwiftShader

  it('with f16 weights: the linears take half the memory, accuracy still matches ORT (f32)', async () => {
    const linearMiB = async () =>
      Number((await s.page.getByTestId('engine-weights').innerText()).match(/linears ([\d.]+) MiB/)?.[1]);
    await ready();
    // The f32 figure of the same model and pruning: from the page's last run, or a run now.
    const shown = s.page.getByTestId('engine-weights');
    if ((await shown.count()) === 0 || !(await shown.innerText()).startsWith('f32 weights')) await run('f32');
    const f32MiB = await linearMiB();
    await run('f16');
    const f16MiB = await linearMiB();
    expect(f16MiB / f32MiB).toBeGreaterThan(0.45);
    expect(f16MiB / f32MiB).toBeLessThan(0.6); // f16 values; the HP indices stay as they are
    const engine = Number((await s.page.getByTestId('engine-accuracy').innerText()).match(/\((\d+)\/8\)/)?.[1]);
    const ort = Number((await s.page.getByTestId('ort-accuracy').innerText()).match(/\((\d+)\/8\)/)?.[1]);
    expect(Math.abs(engine - ort)).toBeLessThanOrEqual(1);
  }, 900_000);

  it('in int8 (W8A8): the linears as int8 codes, accuracy within a sentence of onnxruntime in f32', async () => {
    const linearMiB = async () =>
      Number((await s.page.getByTestId('engine-weights').innerText()).match(/linears ([\d.]+) MiB/)?.[1]);
    await ready();
    // The page's last f32 or f16 figure of the same model and pruning (a run now if none): int8 codes take
    // a byte a weight against 2 or 4 (the HP indices alike; tests/gpu/encoder-run.test.ts: under half of f32's).
    const shown = s.page.getByTestId('engine-weights');
    if ((await shown.count()) === 0 || !/^f(32|16) weights/.test(await shown.innerText())) await run('f32');
    const floatMiB = await linearMiB();
    await run('int8');
    const int8MiB = await linearMiB();
    expect(int8MiB).toBeGreaterThan(0);
    expect(int8MiB).toBeLessThan(floatMiB);
    const engine = Number((await s.page.getByTestId('engine-accuracy').innerText()).match(/\((\d+)\/8\)/)?.[1]);
    const ort = Number((await s.page.getByTestId('ort-accuracy').innerText()).match(/\((\d+)\/8\)/)?.[1]);
    expect(Math.abs(engine - ort)).toBeLessThanOrEqual(1);
    expect(await s.page.getByTestId('gpu-speedups').innerText()).toMatch(
      /\(the engine in int8, onnxruntime in f32\)\./,
    );
    expect(await s.page.getByTestId('int8-run-path').innerText()).toMatch(/tensor-core path (on|off)/);
    await s.page.locator('#gpu').screenshot({ ...SECTION_SHOT, path: 'test-results/gpu-run-int8.png' });
  }, 900_000);
});
