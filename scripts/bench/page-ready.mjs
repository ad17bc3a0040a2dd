// Time from opening the page to (a) the first meaningful number: the dense accuracy on the quick
// subset, on the first screen, labelled "quick" with its error bar (the script fails the run if
// the first figure shown is not that one), (b) the shipped model parsed and shown and (c) its dev
// accuracy on the whole split; on a first visit (a fresh browser context: empty HTTP cache) and
// on a repeat visit (the same context opened again: the model and onnxruntime's wasm come from
// the browser's cache). Then (d) how fast a control change answers visibly: the time from the
// input event to the frame that shows "pruning…" (and, for the first screen's sliders, the
// redrawn HP sketch). Times are ms from the navigation start (performance.timeOrigin), taken in
// the page by a MutationObserver, so no milestone is timed late by the polling of another.
// Beside each wall time, the CPU time the browser spent to that point (all its processes, from
// /proc): on a shared machine the wall time follows the load, the CPU time much less.
// Debian's Chromium, headless, WebGPU on. Serve the build first:
//   npm run build && npm run preview    then    node scripts/bench/page-ready.mjs [URL] [runs] [--first]
// --first: only the first number (first and repeat visit), no whole split or control answers.
// Several URLs, comma-separated (two builds served side by side): each run opens every one, in
// turn and in alternating order, so an A/B comparison shares the machine's load.
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';

const urls = (process.argv[2] ?? 'http://127.0.0.1:4173/').split(',');
const runs = Number(process.argv[3] ?? 3);
const firstOnly = process.argv.includes('--first');
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

/** Installed before the page's scripts: records when each milestone first appears (ms since the
 *  navigation start) and what the first screen's dense figure said then. */
function recordMilestones() {
  const seen = {};
  window.__milestones = seen;
  const check = () => {
    const dense = document.querySelector('[data-testid="first-dense"]');
    const scope = dense?.getAttribute('data-scope');
    if (scope && !seen[scope])
      seen[scope] = { ms: performance.now(), text: dense.innerText.replace(/\s+/g, ' ').trim() };
    if (!seen.firstScope && scope) seen.firstScope = scope;
    if (!seen.model && document.querySelector('[data-testid="model-summary"]')) seen.model = { ms: performance.now() };
    if (!seen.dev && document.querySelector('[data-testid="accuracy-value"]')) seen.dev = { ms: performance.now() };
  };
  new MutationObserver(check).observe(document, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });
}

/** CPU time (ms) of each of this process's descendants (the browser's processes), from /proc. */
function browserCpuMs() {
  const parent = new Map();
  const ticks = new Map();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd on
      parent.set(pid, f[1]);
      ticks.set(pid, Number(f[11]) + Number(f[12])); // utime + stime
    } catch {
      // gone meanwhile
    }
  }
  const mine = (pid) => {
    for (let p = pid; p && p !== '0'; p = parent.get(p)) if (p === String(process.pid)) return true;
    return false;
  };
  const cpu = new Map();
  for (const [pid, t] of ticks) if (pid !== String(process.pid) && mine(pid)) cpu.set(pid, (t * 1000) / 100); // USER_HZ
  return cpu;
}

/** CPU spent since `before` by the processes alive now (one that ended meanwhile, e.g. the
 *  previous page's renderer, neither counts nor subtracts). */
function cpuSince(before) {
  let total = 0;
  for (const [pid, ms] of browserCpuMs()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Opens `url` in `context` and waits for the first number (and for the whole-split accuracy
 *  unless --first); the milestones, rounded, and the browser's CPU time to the first number. */
async function visit(context, url) {
  const page = await context.newPage();
  await page.addInitScript(recordMilestones);
  const cpu0 = browserCpuMs();
  await page.goto(url);
  await page.waitForFunction(() => window.__milestones?.firstScope, null, { timeout: 300_000, polling: 50 });
  const firstNumberCpuMs = Math.round(cpuSince(cpu0));
  if (!firstOnly) await page.getByTestId('accuracy-value').waitFor({ timeout: 300_000 });
  const m = await page.evaluate(() => window.__milestones);
  const ms = (x) => (x ? Math.round(x.ms) : null);
  return {
    page,
    // The first figure must be the quick subset's (labelled, with its error bar).
    firstNumberMs: m.firstScope === 'quick' ? ms(m.quick) : null,
    firstNumberCpuMs,
    firstNumber: m.firstScope === 'quick' ? m.quick.text : `not the quick subset: ${m[m.firstScope]?.text}`,
    modelReadyMs: ms(m.model),
    devAccuracyMs: ms(m.dev),
  };
}

async function measure(run, url) {
  const context = await browser.newContext(); // fresh cache: a first visit each time
  const loadBefore = loadavg()[0].toFixed(1);
  const { page: first, ...firstVisit } = await visit(context, url);
  await first.close();
  const { page, ...repeatVisit } = await visit(context, url); // same context: the browser's cache is warm
  if (firstOnly) {
    const loadAverage = `${loadBefore} -> ${loadavg()[0].toFixed(1)}`;
    console.log(JSON.stringify({ run, url, loadAverage, firstVisit, repeatVisit }));
    await context.close();
    return;
  }
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
      url,
      loadAverage: `${loadBefore} -> ${loadavg()[0].toFixed(1)}`,
      firstVisit,
      repeatVisit,
      accuracy,
      controlAnswerMs: rounded,
    }),
  );
  await context.close();
}

// The browser's first WebGPU device starts its GPU process (SwiftShader): done here, not timed.
const warm = await browser.newContext();
const blank = await warm.newPage();
await blank.goto(new URL('models/manifest.json', urls[0]).href);
await blank.evaluate(async () => (await navigator.gpu?.requestAdapter())?.requestDevice());
await warm.close();

for (let run = 1; run <= runs; run++) {
  const order = run % 2 ? urls : [...urls].reverse();
  for (const url of order) await measure(run, url);
}
await browser.close();
