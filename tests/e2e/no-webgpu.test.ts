import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, screenshot, SMALL_DEV, type Session } from './helpers/browser';

describe('app shell without WebGPU', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { webgpu: false, devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it('shows the banner and the CPU-only mode, and does not crash', async () => {
    await s.page.locator('[data-banner="warning"]').filter({ hasText: 'No WebGPU here' }).waitFor({ timeout: 30_000 });
    expect(await s.page.getByTestId('gpu-badge').getAttribute('data-state')).toBe('unavailable');
    await s.page.getByTestId('cpu-only').waitFor();
    // The header promises what this mode does: no "measured on your GPU" without a GPU.
    const tagline = await s.page.getByTestId('tagline').innerText();
    expect(tagline).not.toMatch(/on your GPU/);
    expect(tagline).toMatch(/your CPU/);
    await screenshot(s.page, 'shell-no-webgpu');
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    expect(s.foreignRequests).toEqual([]);
  });
});
