// Debian's Chromium driven by playwright-core: a page on the preview server that records
// console errors and every request that leaves the page's origin.
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Session {
  browser: Browser;
  page: Page;
  consoleErrors: string[];
  foreignRequests: string[];
  close(): Promise<void>;
}

/** The dev sentences served to pages whose tests read no whole-split figure (see devSentences):
 *  a few more than the quick sample (48), so the whole split still follows it. */
export const SMALL_DEV = 64;

export interface OpenOptions {
  webgpu?: boolean;
  query?: string;
  /** Runs in the page before its own scripts (e.g. to record CSP violations). */
  init?: () => void;
  /** Serve only the first N sentences of the dev split (the page's own evaluations then cost
   *  N/500 of theirs): for tests that check no figure of the whole split. */
  devSentences?: number;
}

export async function openApp(
  baseUrl: string,
  { webgpu = true, query = '', init, devSentences }: OpenOptions = {},
): Promise<Session> {
  const args = [
    ...BASE_FLAGS,
    ...(webgpu
      ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan']
      : ['--disable-features=WebGPU', '--disable-gpu']),
  ];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const origin = new URL(baseUrl).origin;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
  });
  if (init) await page.addInitScript(init);
  // The context's route also sees the workers' requests (the eval worker fetches the split).
  // Served from the repository's copy (the file the build serves), not through route.fetch(): a
  // fetch still in flight when a test closes its page rejected outside any test (an unhandled error
  // that fails the run); a fulfil refused by a closed page is of no interest either.
  if (devSentences) {
    const lines = readFileSync(path.resolve('public/data/dev.jsonl'), 'utf8').split('\n').filter(Boolean);
    const body = lines.slice(0, devSentences).join('\n') + '\n';
    await page
      .context()
      .route('**/data/dev.jsonl', (route) =>
        route.fulfill({ status: 200, contentType: 'application/x-ndjson', body }).catch(() => undefined),
      );
  }
  await page.goto(baseUrl + query);
  return { browser, page, consoleErrors, foreignRequests, close: () => browser.close() };
}

/** Options for a section's screenshot: the page's sticky top bar is laid out in place, so it does
 *  not cover the top of a section scrolled into view (as it did in gpu-run.png). */
export const SECTION_SHOT = { style: '.top { position: static !important; }' } as const;

/** Saves a full-page screenshot under test-results/ (CI keeps it as an artifact). */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = path.resolve('test-results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
