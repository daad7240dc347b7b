import fs from 'node:fs';
import path from 'node:path';
import type { Download, Page } from '@playwright/test';
import type { CompareResult } from '../native/contract';
import { decodePng, readPngText } from '../native/engine/png/png';
import { expect, test } from './studio-server';

const SAVED = path.join('test-results', 'compare-exports');

/** Clicks an export button and keeps the file it downloads, as a user's browser would. */
async function exportFile(page: Page, testId: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]) as [Download, void];
  const file = path.join(SAVED, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

/** Runs the comparison the form describes and waits for every pane to finish. */
async function compareAndWait(page: Page, panes: number) {
  await page.getByTestId('compare-button').click();
  await expect(page.getByTestId('compare-results')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await expect(page.getByTestId('compare-pane')).toHaveCount(panes);
  for (const pane of await page.getByTestId('compare-pane').all()) await expect(pane).toHaveAttribute('data-status', 'done');
}

/** Reads back the JSON export: one pane per mode, each with what ran and its figures. */
function readJsonExport(file: string, kind: 'text' | 'image'): CompareResult {
  const result = JSON.parse(fs.readFileSync(file, 'utf8')) as CompareResult;
  expect(result.kind).toBe(kind);
  expect(result.panes.map((pane) => pane.mode)).toEqual([{ lambda: 0 }, { lambda: 0.5 }, { lambda: 1 }]);
  for (const pane of result.panes) expect(pane.point && pane.figures && pane.status).toBe('done');
  return result;
}

test.describe('Compare in web mode', () => {
  test.beforeAll(() => fs.mkdirSync(SAVED, { recursive: true }));

  test('three λ values for a story: panes side by side, figures with the best marked, JSON and PNG exports read back', async ({ page, studio }) => {
    test.setTimeout(240_000);
    await page.goto(studio.url);
    await page.getByTestId('compare-nav').click();
    await expect(page.getByTestId('compare-mode')).toHaveCount(3);
    await page.getByTestId('compare-prompt').fill('Once upon a time');
    await page.getByTestId('compare-seed').fill('1');
    await page.getByTestId('compare-max-tokens').fill('24');
    await compareAndWait(page, 3);

    const panes = page.getByTestId('compare-pane');
    for (const pane of await panes.all()) {
      await expect(pane.getByTestId('pane-point')).toContainText(/pareto-stories-\S+ · \w+ · \d+ layers? · CPU/);
      await expect(pane.getByTestId('pane-text')).toContainText('Once upon a time');
      await expect(pane.getByTestId('pane-figure-msPerToken')).toContainText(/\d+\.\d+\s*ms/);
      await expect(pane.getByTestId('pane-figure-bitsPerByte')).toContainText(/\d\.\d{3}/);
    }
    // Every measure the panes share has a best, and λ 1 has the best declared quality.
    await expect(page.locator('[data-testid="pane-figure-msPerToken"][data-best="true"]')).not.toHaveCount(0);
    await expect(panes.nth(2).getByTestId('pane-figure-bitsPerByte')).toHaveAttribute('data-best', 'true');
    await page.screenshot({ path: 'test-results/screenshots/web-compare-text.png' });

    const json = readJsonExport(await exportFile(page, 'compare-export-json'), 'text');
    expect(json.panes.every((pane) => pane.text!.text.length > 0 && pane.figures!.outputs === 24)).toBe(true);
    const shown = await panes.nth(0).getByTestId('pane-text').textContent();
    expect(shown).toBe(json.prompt + json.panes[0]!.text!.text);

    const png = decodePng(fs.readFileSync(await exportFile(page, 'compare-export-png')));
    expect(png.width).toBe(3 * 340 + 16);
    expect(png.height).toBeGreaterThan(300);
  });

  test('three λ values for an image: images at one zoom, a wipe between two, the A1111 grid with its parameters', async ({ page, studio }) => {
    test.setTimeout(300_000);
    await page.goto(studio.url);
    await page.getByTestId('compare-nav').click();
    await page.getByTestId('compare-kind').getByRole('radio', { name: 'Images' }).check();
    await page.getByTestId('compare-prompt').fill('a smiling face');
    await page.getByTestId('compare-seed').fill('1');
    await compareAndWait(page, 3);

    const images = page.getByTestId('pane-image');
    await expect(images).toHaveCount(3);
    const widths = await images.evaluateAll((elements) => elements.map((element) => (element as HTMLImageElement).width / (element as HTMLImageElement).naturalWidth));
    expect(new Set(widths).size).toBe(1);
    await expect(page.getByTestId('pane-figure-sPerImage').and(page.locator('[data-best="true"]'))).not.toHaveCount(0);
    await expect(page.getByTestId('compare-pane').nth(2).getByTestId('pane-figure-frechetDistance')).toHaveAttribute('data-best', 'true');
    await expect(page.getByTestId('image-wipe')).toBeVisible();
    await page.getByTestId('wipe-slider').fill('20');
    await page.screenshot({ path: 'test-results/screenshots/web-compare-images.png' });

    const json = readJsonExport(await exportFile(page, 'compare-export-json'), 'image');
    expect(json.panes.every((pane) => pane.image!.parameters.seed === 1 && pane.figures!.sPerImage! > 0)).toBe(true);
    const png = decodePng(fs.readFileSync(await exportFile(page, 'compare-export-png')));
    expect(png.width).toBe(3 * 340 + 16);

    const grid = fs.readFileSync(await exportFile(page, 'compare-export-grid'));
    const text = readPngText(grid);
    expect(text.parameters).toMatch(/^a smiling face\n.*Seed: 1, .*Compare: "λ 0\.00 \| λ 0\.50 \| λ 1\.00"$/s);
    const cells = json.panes.map((pane) => pane.image!.width);
    expect(decodePng(grid).width).toBe(cells.reduce((sum, width) => sum + width, 0) + 4 * (cells.length - 1));
  });
});
