// Devices, Choose a device and the paper view as a visitor sees them: a pick with no measured
// accuracy carries a warning, the Devices panel shows the latency Choose uses (calibrated) beside
// the analytic-vs-simulated check, and the paper view checks the paper's claims on demand.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp, SECTION_SHOT, SMALL_DEV, type Session } from './helpers/browser';

// One page for both groups (another would load and evaluate the model again).
let s: Session;
beforeAll(async () => {
  s = await openApp(inject('baseUrl'), { query: '?lc=0.35', devSentences: SMALL_DEV });
});
afterAll(async () => s?.close());

describe('devices, choose, paper claims', () => {
  it("warns when the pick's accuracy is unknown (no sweep yet)", async () => {
    const warning = s.page.getByTestId('choice-warning');
    await warning.first().waitFor({ timeout: 120_000 });
    expect(await warning.first().innerText()).toMatch(/no measured accuracy/i);
    await s.page.locator('#select').screenshot({ ...SECTION_SHOT, path: 'test-results/choose-warning.png' });
  });

  it('Devices shows the calibrated latency Choose uses, beside analytic vs simulated', async () => {
    const row = s.page.getByTestId('fpga-table').locator('tr', { hasText: 'ZCU102' });
    await row.getByRole('button', { name: 'simulate' }).click();
    await row
      .locator('td.sim')
      .filter({ hasText: /ms · analytic/ })
      .waitFor({ timeout: 120_000 });
    expect(await row.locator('td.sim').innerText()).toMatch(
      /^\d+\.\d{3} ms · analytic \d+\.\d{3} vs simulated \d+\.\d{3} ms/,
    );
    await s.page.locator('#devices').screenshot({ ...SECTION_SHOT, path: 'test-results/devices-calibrated.png' });
  });

  it('the paper view checks the claims, each with a verdict', async () => {
    await s.page.getByTestId('paper-table').waitFor({ timeout: 120_000 });
    await s.page.getByTestId('check-claims').click();
    const table = s.page.getByTestId('claims-table');
    await table.waitFor({ timeout: 200_000 });
    const text = await table.innerText();
    for (const claim of ['vs CPU', 'vs GPU', 'tile-only', 'equal accuracy', 'LC and AC']) expect(text).toContain(claim);
    expect(text).toMatch(/reproduced|partly|not testable here/);
    await table.screenshot({ ...SECTION_SHOT, path: 'test-results/paper-claims.png' });
    await s.page.getByTestId('paper-table').screenshot({ ...SECTION_SHOT, path: 'test-results/paper-view.png' });
    expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});

// After the group above (it reads the f32 designs): int8 is picked here.
describe('int8 in the choice and the GPU panel', () => {
  it(
    'int8 FPGA designs on request, carrying the measured W8A8 accuracy; ' +
      'the GPU panel says whether int8 reaches tensor cores',
    async () => {
      await s.page.getByTestId('fpga-bits').selectOption('8');
      const note = s.page.getByTestId('int8-note');
      await note.waitFor({ timeout: 60_000 });
      expect(await note.innerText()).toMatch(
        /W8A8 model was measured at 83\.6 % vs f32 83\.4 %.*lowered by the largest loss, 0\.0 pt/,
      );
      await s.page.getByTestId('choice-warning').first().waitFor({ timeout: 120_000 });
      await s.page.locator('#select').screenshot({ ...SECTION_SHOT, path: 'test-results/choose-int8.png' });
      const path = s.page.getByTestId('int8-path');
      if (await path.count()) expect(await path.innerText()).toMatch(/tensor-core path (on|off)/);
      expect(s.consoleErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    },
  );
});
