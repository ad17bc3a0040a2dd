// The app under its own Content-Security-Policy (issue 18): the built page carries the meta tag,
// the preview server sends the frame and MIME-sniffing headers, the model loads and evaluates
// (onnxruntime's WebAssembly, workers) with no policy violation, and a picked dataset follows
// the CLI's encoding rules (BOM dropped, Latin-1 refused with its line).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, screenshot, SMALL_DEV, type Session } from './helpers/browser';

describe('security headers and CSP', () => {
  let s: Session;
  let headers: Record<string, string>;
  beforeAll(async () => {
    const base = inject('baseUrl');
    headers = Object.fromEntries((await fetch(base)).headers.entries());
    s = await openApp(base, {
      devSentences: SMALL_DEV,
      init: () => {
        const w = window as unknown as { cspViolations: string[] };
        w.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          w.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      },
    });
  });
  afterAll(async () => s?.close());

  it('serves the policy in the page and the frame / sniffing headers', async () => {
    const csp = await s.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'/);
    expect(csp).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  it('loads and evaluates the model with no policy violation', async () => {
    await s.page.getByTestId('accuracy-value').waitFor({ timeout: 240_000 });
    await s.page.getByTestId('gpu-badge').and(s.page.locator('[data-state="ready"]')).waitFor({ timeout: 60_000 });
    expect(await s.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(s.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });

  it("reads a picked dataset by the CLI's encoding rules", async () => {
    const lines = '{"text":"a fine film","label":1}\n{"text":"a dull film","label":0}\n';
    const picker = s.page.getByTestId('dataset-file');
    await picker.setInputFiles({
      name: 'bom.jsonl',
      mimeType: 'application/json',
      buffer: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines)]),
    });
    await s.page
      .getByTestId('dataset-summary')
      .filter({ hasText: 'bom.jsonl, 2 sentences' })
      .waitFor({ timeout: 30_000 });
    const latin1 = Buffer.concat([
      Buffer.from('{"text":"fine","label":1}\n{"text":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('","label":0}\n'),
    ]);
    await picker.setInputFiles({ name: 'latin1.jsonl', mimeType: 'application/json', buffer: latin1 });
    const err = s.page.getByTestId('model-error');
    await err.filter({ hasText: 'latin1.jsonl' }).waitFor({ timeout: 30_000 });
    expect(await err.innerText()).toMatch(/not UTF-8 text: byte 39 \(line 2\)/);
    expect(await s.page.getByTestId('dataset-summary').innerText()).toMatch(/bom\.jsonl, 2 sentences/);
    await screenshot(s.page, 'security-dataset-encoding');
    expect(await s.page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
  });
});
