// Defects found walking the page as a newcomer, each pinned: a bad tile size in a link, the
// heatmap after zooming and switching matrix, an invalid latency constraint.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, SMALL_DEV, type Session } from './helpers/browser';

/** Pixels of the heatmap canvas drawn as kept weights (dark blue). */
async function keptPixels(s: Session): Promise<number> {
  return s.page.getByTestId('mask-heatmap').evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 2] > 100) n++;
    return n;
  });
}

describe('defects of the first walk', () => {
  let s: Session;
  beforeAll(async () => {
    s = await openApp(inject('baseUrl'), { query: '?tr=7&sparsity=0.5&lc=100', devSentences: SMALL_DEV });
  });
  afterAll(async () => s?.close());

  it('reports ?tr=7 and shows the default tile, never a blank select', async () => {
    await s.page
      .locator('[data-banner="warning"]')
      .filter({ hasText: /invalid values for tr/ })
      .waitFor({ timeout: 30_000 });
    expect(await s.page.getByTestId('tr').inputValue()).toBe('32');
    // The URL follows the state a moment (200 ms, debounced) after it settles: poll, do not read once.
    await expect.poll(() => new URL(s.page.url()).searchParams.has('tr'), { timeout: 10_000 }).toBe(false);
  });

  it('draws the mask of the next matrix after zooming into the previous one', async () => {
    await s.page
      .getByTestId('pruning-summary')
      .filter({ hasText: /Achieved sparsity/ })
      .waitFor({ timeout: 120_000 });
    await expect.poll(() => keptPixels(s), { timeout: 30_000 }).toBeGreaterThan(100);
    // Zoom deep into the bottom-right corner of the first (312 x 312) matrix.
    await s.page.getByTestId('mask-heatmap').scrollIntoViewIfNeeded();
    const box = (await s.page.getByTestId('mask-heatmap').boundingBox())!;
    await s.page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.95);
    for (let i = 0; i < 12; i++) await s.page.mouse.wheel(0, -100);
    expect(await s.page.getByTestId('heatmap-zoom').innerText()).not.toMatch(/zoom 1\.0×/);
    await s.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    // Hovering reads the weight under the pointer out.
    expect(await s.page.getByTestId('heatmap-readout').innerText()).toMatch(/output \d+, input \d+: (kept|pruned)/);
    const options = await s.page.getByTestId('matrix-select').locator('option').allInnerTexts();
    const wide = options.findIndex((o) => /\(1200×312\)/.test(o));
    expect(wide).toBeGreaterThan(0);
    await s.page.getByTestId('matrix-select').selectOption({ index: wide });
    await expect.poll(() => keptPixels(s), { timeout: 30_000 }).toBeGreaterThan(100);
    expect(await s.page.getByTestId('heatmap-zoom').innerText()).toMatch(/1200×312, .*zoom 1\.0×/);
  });

  it('takes the verdict down when LC becomes invalid', async () => {
    const choice = s.page.getByTestId('choice');
    await choice.waitFor({ timeout: 60_000 });
    await s.page.getByTestId('lc').fill('0');
    await s.page.getByTestId('select-error').waitFor({ timeout: 10_000 });
    expect(await choice.count()).toBe(0);
    await s.page.getByTestId('lc').fill('100');
    await choice.waitFor({ timeout: 60_000 });
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
