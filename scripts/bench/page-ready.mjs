// Time from opening the page to (a) the first meaningful number (the dense accuracy on the quick
// subset, on the first screen), (b) the shipped model parsed and shown and (c) its dev accuracy on
// the whole split; then (d) how fast a control change answers visibly: the time from the input
// event to the frame that shows "pruning…" (and, for the first screen's sliders, the redrawn HP
// sketch). Debian's Chromium, headless, WebGPU on. Serve the build first:
//   npm run build && npm run preview    then    node scripts/bench/page-ready.mjs [URL] [runs]
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';

const url = process.argv[2] ?? 'http://127.0.0.1:4173/';
const runs = Number(process.argv[3] ?? 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
});

/** In the page: change a control, then count frames until the page shows the answer ("pruning…",
 *  and for `sketch` also a redrawn HP sketch caption); ms from the event to that frame. */
async function answerMs(page, testId, value, busyId, sketch) {
  return page.evaluate(
    async ({ testId, value, busyId, sketch }) => {
      const el = document.querySelector(`[data-testid="${testId}"]`);
      if (!el) throw new Error(`no control ${testId}`);
      const caption = () => document.querySelector('[data-testid="hp-caption"]')?.textContent;
      const before = caption();
      const shown = () =>
        /pruning…/.test(document.querySelector(`[data-testid="${busyId}"]`)?.textContent ?? '') &&
        (!sketch || caption() !== before);
      const t0 = performance.now();
      el.value = String(value);
      el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
      for (let frame = 0; frame < 120; frame++) {
        await new Promise((r) => requestAnimationFrame(() => r()));
        if (shown()) return performance.now() - t0;
      }
      return null;
    },
    { testId, value, busyId, sketch },
  );
}

for (let run = 1; run <= runs; run++) {
  const context = await browser.newContext(); // fresh cache: a first visit each time
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(url);
  // Each milestone timed on its own (waiting for them in turn would time the later ones late).
  const at = (locator, timeout) => locator.waitFor({ timeout }).then(() => Date.now() - t0);
  const [firstNumberMs, modelReadyMs, devAccuracyMs] = await Promise.all([
    at(page.getByTestId('first-dense').filter({ hasText: '%' }), 120_000),
    at(page.getByTestId('model-summary'), 120_000),
    at(page.getByTestId('accuracy-value'), 300_000),
  ]);
  const firstNumber = (await page.getByTestId('first-dense').innerText()).replace(/\s+/g, ' ');
  const accuracy = await page.getByTestId('accuracy').innerText();
  // Control changes once the pruning worker holds the model (the first pruning is shown).
  await page.getByTestId('pruning-summary').waitFor({ timeout: 120_000 });
  await page.waitForTimeout(1500);
  const answers = {};
  for (const [name, testId, value, busyId, sketch] of [
    ['first-screen sparsity slider', 'first-sparsity-slider', 0.7, 'first-busy', true],
    ['first-screen level split', 'first-split', 0.25, 'first-busy', true],
    ['first-screen pattern', 'first-pattern', 'tile', 'first-busy', true],
    ['Prune panel sparsity', 'sparsity', 0.6, 'pruning-busy', false],
    ['Prune panel pattern', 'pattern', 'hp', 'pruning-busy', false],
    ['Prune panel Tr', 'tr', 8, 'pruning-busy', false],
  ]) {
    answers[name] = await answerMs(page, testId, value, busyId, sketch);
    await page.waitForTimeout(2500); // let that pruning finish before the next change
  }
  const rounded = Object.fromEntries(Object.entries(answers).map(([k, v]) => [k, v === null ? null : Math.round(v)]));
  console.log(
    JSON.stringify({
      run,
      loadAverage: loadavg()[0].toFixed(1),
      firstNumberMs,
      firstNumber,
      modelReadyMs,
      devAccuracyMs,
      accuracy,
      controlAnswerMs: rounded,
    }),
  );
  await context.close();
}
await browser.close();
