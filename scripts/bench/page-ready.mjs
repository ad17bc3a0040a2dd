// Time from opening the page to (a) the shipped model parsed and shown and (b) its dev accuracy
// shown, in Debian's Chromium (headless, WebGPU on). Serve the build first:
//   npm run build && npm run preview    then    node scripts/bench/page-ready.mjs [URL] [runs]
import { chromium } from 'playwright-core';

const url = process.argv[2] ?? 'http://127.0.0.1:4173/';
const runs = Number(process.argv[3] ?? 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
for (let run = 1; run <= runs; run++) {
  const context = await browser.newContext(); // fresh cache: a first visit each time
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.getByTestId('model-summary').waitFor({ timeout: 120_000 });
  const modelReadyMs = Date.now() - t0;
  await page.getByTestId('accuracy-value').waitFor({ timeout: 300_000 });
  const devAccuracyMs = Date.now() - t0;
  console.log(JSON.stringify({ run, modelReadyMs, devAccuracyMs, accuracy: await page.getByTestId('accuracy').innerText() }));
  await context.close();
}
await browser.close();
