import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, screenshot, SMALL_DEV, type Session } from './helpers/browser';

describe('app shell with WebGPU (SwiftShader)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it('names the adapter in the header, also from a worker', async () => {
    const badge = s.page.getByTestId('gpu-badge');
    await badge.locator('[data-testid="adapter-name"]').waitFor({ timeout: 60_000 });
    expect(await badge.getAttribute('data-state')).toBe('ready');
    expect(await s.page.getByTestId('adapter-name').textContent()).toMatch(/SwiftShader/i);
    await s.page.getByTestId('worker-gpu').filter({ hasText: 'available' }).waitFor({ timeout: 60_000 });
    // The kernels' choice for this adapter, in words (SwiftShader: 64x64 tiles, 4-lane subgroups).
    expect(await s.page.getByTestId('kernel-variants').innerText()).toMatch(
      /up to 64x64 \(software adapter\); subgroups \(4 lanes\): few-token dense variant/,
    );
    expect(await s.page.getByTestId('tagline').innerText()).toMatch(/measured on your GPU/);
    // Simulating a device loss is a developer tool: not in the page unless ?debug is set.
    expect(await s.page.getByText('Simulate a GPU device loss').count()).toBe(0);
    await screenshot(s.page, 'shell-webgpu');
  });

  it('re-acquires the device after a loss', async () => {
    await s.page.evaluate(() => (window as unknown as { hpLab: { simulateGpuLoss(): void } }).hpLab.simulateGpuLoss());
    await s.page.getByTestId('gpu-badge').and(s.page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
  });

  it('logs no console errors and sends no request off the origin', () => {
    expect(s.consoleErrors).toEqual([]);
    expect(s.foreignRequests).toEqual([]);
  });

  // On the same page (a second one would load and evaluate the model again); last: it reloads.
  it('CPU measurement: times dense and HP kernels in a worker and shows a speedup', async () => {
    await s.page.getByTestId('accuracy-value').waitFor({ timeout: 240_000 }); // model in the eval worker
    await s.page.getByTestId('measure-cpu').click();
    const table = s.page.getByTestId('cpu-results');
    await table.waitFor({ timeout: 120_000 });
    const rows = await table.locator('tbody tr').count();
    expect(rows).toBe(3);
    const speedups = (await table.locator('tbody tr td:last-child').allTextContents()).map((t) => parseFloat(t));
    expect(speedups.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    // The whole model on onnxruntime-web at the device-choice workload (1 x 64 by default),
    // and the measured CPU row in the devices section.
    const modelTime = await s.page.getByTestId('cpu-model-time').innerText();
    expect(modelTime).toMatch(/onnxruntime-web \(wasm\): [\d.]+ ms per batch of 1 × 64 tokens/);
    await s.page
      .getByTestId('measured-table')
      .filter({ hasText: 'this browser, project CPU kernels' })
      .waitFor({ timeout: 30_000 });
    await screenshot(s.page, 'cpu-measured');
    // Measured rows persist like sweeps: still there after a reload, without measuring again.
    await s.page.reload();
    await s.page
      .getByTestId('measured-table')
      .filter({ hasText: 'this browser, project CPU kernels' })
      .waitFor({ timeout: 30_000 });
    expect(s.consoleErrors).toEqual([]);
  });
});
