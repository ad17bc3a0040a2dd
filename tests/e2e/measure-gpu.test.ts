// "Measure my GPU" on SwiftShader: dense vs HP WGSL kernels (and onnxruntime-web's WebGPU
// MatMul) in a worker, every result verified against the CPU reference, the measured GPU row
// then shown in the devices panel.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDenseTile } from '../../src/gpu/kernels/variant-rule';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';

describe('measure my GPU', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { query: '?pattern=hp&sparsity=0.8&tr=16&tc=16', devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it('times dense vs HP on the TinyBERT shapes and a large case, all verified', async () => {
    const button = s.page.getByTestId('measure-gpu');
    await button.waitFor({ timeout: 60_000 });
    // Software adapter: the large case defaults to 256³ so the run stays short.
    expect(await s.page.getByTestId('gpu-large-size').inputValue()).toBe('256');
    await button.click();
    const table = s.page.getByTestId('gpu-results');
    await table.waitFor({ timeout: 150_000 });
    expect(await s.page.getByTestId('gpu-case-error').count()).toBe(0);
    const rows = table.getByTestId('gpu-case');
    expect(await rows.count()).toBe(4);
    expect((await rows.locator('td:first-child').allInnerTexts()).map((t) => t.split('\n')[0])).toEqual([
      'attention 312×312 128×312→312',
      'FFN in 1200×312 128×312→1200',
      'FFN out 312×1200 128×1200→312',
      'large 256³ 256×256→256',
    ]);
    for (const v of await table.getByTestId('gpu-verified').allInnerTexts()) expect(v).toBe('✓ dense ✓ HP');
    // Each row names the kernel variants the automatic choice ran (register tile, token block or subgroup).
    // Dense names are DENSE_TILES' names or tile specs (`BMxBN/TMxTN[/kBK][/2d]`): the parser decides.
    for (const v of await table.getByTestId('gpu-variants').allInnerTexts()) {
      const m = /^kernels: dense (\S+), HP (wide|mid|tall|narrow|subgroup)$/.exec(v);
      expect(m, v).not.toBeNull();
      expect(m![1] === 'subgroup' || parseDenseTile(m![1]) !== undefined, m![1]).toBe(true);
    }
    const speedups = (await table.getByTestId('gpu-speedup').allInnerTexts()).map((t) => parseFloat(t));
    expect(speedups.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    // Densities follow the 80 % sparsity of the URL's config.
    const densities = (await rows.locator('td:nth-child(2)').allInnerTexts()).map((t) => parseFloat(t));
    for (const d of densities) expect(Math.abs(d - 20)).toBeLessThan(3);
    // A speedup above 1/density (possible on SwiftShader) comes with the note on why.
    const above = speedups.some((x, i) => x > 1.05 / (densities[i] / 100));
    expect(await s.page.getByTestId('gpu-bound-note').count()).toBe(above ? 1 : 0);
    const note = await s.page.getByTestId('gpu-timing-note').innerText();
    expect(note).toMatch(/SwiftShader/i);
    expect(note).toMatch(/timestamp queries|wall clock/);
    // The peer: a verified onnxruntime-web row per shape, or one stated reason it could not run.
    const peers = table.getByTestId('gpu-peer');
    if ((await peers.count()) === 0)
      expect(await s.page.getByTestId('gpu-peer-note').innerText()).toMatch(/skipped: .+/);
    else {
      expect(await peers.count()).toBe(4);
      for (const v of await peers.locator('td:nth-child(8)').allInnerTexts()) expect(v).toBe('✓');
    }
    console.log(await table.innerText());
    await s.page.locator('#gpu').screenshot({ ...SECTION_SHOT, path: 'test-results/measure-gpu.png' });
  });

  it('shows the measured GPU row in the devices panel', async () => {
    const measured = s.page.getByTestId('measured-table');
    await measured.waitFor({ timeout: 10_000 });
    const row = measured.locator('tr', { hasText: /SwiftShader/i });
    expect(await row.count()).toBe(1);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells[1]).toBe('gpu');
    expect(parseFloat(cells[2])).toBeGreaterThan(0);
    expect(cells[3]).toMatch(/[\d.]+ @ 20%/);
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });

  it('cancels at once, mid-kernel, quietly; the previous results stay and the next run starts', async () => {
    const button = s.page.getByTestId('measure-gpu');
    const label = s.page.getByTestId('progress-label').filter({ hasText: /pruning and timing|MatMul/ });
    const before = await s.page.getByTestId('gpu-results').innerText();
    await s.page.getByTestId('gpu-large-size').selectOption('1024'); // minutes on SwiftShader
    for (let round = 0; round < 2; round++) {
      await button.click();
      await label.first().waitFor({ timeout: 60_000 }); // the worker is timing a kernel
      await s.page.getByTestId('measure-gpu-cancel').click();
      // Within seconds, not at the end of the kernel in progress.
      await s.page.getByTestId('measure-gpu-cancelled').waitFor({ timeout: 5_000 });
      expect(await s.page.getByTestId('measure-gpu-cancelled').innerText()).toBe(
        'Cancelled; the results below are from the previous run.',
      );
      expect(await s.page.getByTestId('gpu-bench-error').count()).toBe(0);
      expect(await s.page.getByTestId('measure-gpu-cancel').count()).toBe(0);
      expect(await button.isEnabled()).toBe(true);
      expect(await s.page.getByTestId('gpu-results').innerText()).toBe(before);
    }
    // Not a worker crash: no banner.
    expect(await s.page.locator('[data-banner="error"]').count()).toBe(0);
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
