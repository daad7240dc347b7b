import type { APIRequestContext } from '@playwright/test';
import { expect, test } from './studio-server';

const CONTROLLER_OFF = { enabled: false, batteryLambdaShift: 0.3, latencyMsPerToken: null, latencySPerImage: null, energyJPerToken: null, energyJPerImage: null };

/** What the studio's meter uses on this machine: the labels on screen must agree with it. */
async function energyStatus(request: APIRequestContext, studio: { origin: string; token: string }): Promise<{ source: string; estimated: boolean; readers: { id: string; available: boolean }[] }> {
  const response = await request.post(`${studio.origin}/api/getEnergyStatus`, { headers: { authorization: `Bearer ${studio.token}` } });
  expect(response.ok()).toBe(true);
  return response.json();
}

/** The studio server is shared by the specs of a worker: put the controller back the way they expect it. */
async function setController(request: APIRequestContext, studio: { origin: string; token: string }, energyController: object) {
  const response = await request.post(`${studio.origin}/api/updateSettings`, { headers: { authorization: `Bearer ${studio.token}` }, data: { energyController } });
  expect(response.ok()).toBe(true);
}

interface EnergySample {
  joules: string;
  watts: string;
  kind: string;
  source: string;
}

test.describe('energy in the web mode', () => {
  test('the profiler shows live watts and joules, labelled estimated here, changing while a story streams', async ({ page, request, studio }) => {
    const status = await energyStatus(request, studio);
    await page.goto(studio.url);
    await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
    await page.getByTestId('expert-toggle').click();
    await page.getByTestId('window-mode').locator('input[value="fixed"]').check();
    await page.getByTestId('window-input').fill('64');
    await page.getByTestId('max-new-tokens-input').fill('4000');
    await page.getByTestId('prompt-input').fill('Once upon a time');
    // Record the energy figures from inside the page whenever they change while the run is live.
    await page.evaluate(() => {
      const samples: EnergySample[] = [];
      (window as unknown as { energySamples: EnergySample[] }).energySamples = samples;
      const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? '';
      new MutationObserver(() => {
        const running = !(document.querySelector('[data-testid="stop-button"]') as HTMLButtonElement | null)?.disabled;
        const sample = { joules: text('metric-energy'), watts: text('metric-watts'), kind: text('metric-energy-kind'), source: text('metric-energy-source') };
        if (running && sample.joules !== '—' && sample.joules !== samples.at(-1)?.joules) samples.push(sample);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    // A run long enough for several meter readings: the request keeps going past the end of the story.
    await page.route('**/api/startTextJob', (route) => route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), minNewTokens: 3000 }) }));
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 60_000 });

    const samples = await page.evaluate(() => (window as unknown as { energySamples: EnergySample[] }).energySamples);
    expect(samples.length).toBeGreaterThanOrEqual(2);
    const joules = samples.map((sample) => Number(sample.joules));
    expect(joules.every((value, index) => value > 0 && (index === 0 || value >= joules[index - 1]!))).toBe(true);
    expect(joules.at(-1)!).toBeGreaterThan(joules[0]!);
    expect(samples.some((sample) => Number(sample.watts) > 0)).toBe(true);
    for (const sample of samples) expect(sample).toMatchObject({ kind: status.estimated ? 'estimated' : 'measured', source: status.source });

    // The run's summary: J/token and, for an estimate, the range, with the formula and its assumptions on hover.
    await expect(page.getByTestId('metric-joules-per-output')).toHaveText(/^\d+(\.\d+)?$/);
    test.skip(!status.estimated, `energy is measured here (${status.source}), so there is no estimate to show`);
    await expect(page.getByTestId('metric-energy-range')).toHaveText(/^\d+\.\d+–\d+\.\d+ J · $/);
    const title = await page.locator('.metric', { has: page.getByTestId('metric-energy') }).getAttribute('title');
    expect(title).toMatch(/Estimated, not measured.*CPU seconds × watts per busy core.*W per core.*Likely range/);
    await page.screenshot({ path: 'test-results/web-energy-profiler.png' });
  });

  test('Settings lists every energy reader and why it is unavailable here, and the controller persists', async ({ page, request, studio }) => {
    const status = await energyStatus(request, studio);
    await page.goto(studio.url);
    await page.getByTestId('settings-nav').click();
    await expect(page.getByTestId('energy-in-use')).toHaveText(status.source);
    for (const reader of status.readers) {
      await expect(page.getByTestId(`energy-reader-${reader.id}`)).toHaveAttribute('data-available', String(reader.available));
      if (!reader.available) await expect(page.getByTestId(`energy-reader-${reader.id}`).locator('.energy-reader-detail')).not.toBeEmpty();
    }
    await page.getByTestId('settings-energy-controller').check();
    await page.locator('#settings-latency-ms-per-token').fill('2.5');
    await page.getByRole('button', { name: 'Save defaults' }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    await page.screenshot({ path: 'test-results/web-energy-settings.png', fullPage: true });
    await page.goto(studio.url);
    await page.getByTestId('settings-nav').click();
    await expect(page.getByTestId('settings-energy-controller')).toBeChecked();
    await expect(page.locator('#settings-latency-ms-per-token')).toHaveValue('2.5');
    await setController(request, studio, CONTROLLER_OFF);
  });

  test('with the controller on, a story under λ says what the budget changed', async ({ page, request, studio }) => {
    await setController(request, studio, { ...CONTROLLER_OFF, enabled: true, latencyMsPerToken: 0.01 });
    try {
      await page.goto(studio.url);
      await expect(page.getByTestId('model-select').locator('option:checked')).toContainText('Auto (λ)');
      await page.getByTestId('prompt-input').fill('Once upon a time');
      await page.getByTestId('max-new-tokens-input').fill('40');
      await page.getByTestId('generate-button').click();
      await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 60_000 });
      await expect(page.getByTestId('budget-notice')).toContainText(/Energy budget\s*latency target out of reach: λ 0\.50 (kept|→ \d\.\d\d), pareto-stories-/);
      expect(await page.getByTestId('budget-notice').getAttribute('title')).toMatch(/^latency target 0\.01 ms\/token cannot be met: the cheapest point, .*, costs [\d.]+ ms\/token here$/);
    } finally {
      await setController(request, studio, CONTROLLER_OFF);
    }
  });
});
