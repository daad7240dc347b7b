import path from 'node:path';
import type { Page } from '@playwright/test';
import { sdFixture } from '../native/testing/fixtures';
import { expect, screenshotPath, test, type StudioServer } from './studio-server';

const SD_MODEL_ID = path.basename(sdFixture());

/** The host's settings as the web mode's API returns them. */
async function savedSettings(page: Page, studio: StudioServer): Promise<{ imageScaling: string }> {
  const response = await page.request.post(`${studio.origin}/api/getSettings`, { headers: { Authorization: `Bearer ${studio.token}` } });
  return response.json();
}

/** Notes, from inside the page, the most preview cells with a picture the batch's preview grid ever showed. */
async function watchPreviewGrid(page: Page) {
  await page.evaluate(() => {
    const seen = { previewCells: 0 };
    (window as unknown as { batchRun: typeof seen }).batchRun = seen;
    new MutationObserver(() => {
      const cells = document.querySelectorAll('[data-testid="image-preview-grid"] img').length;
      seen.previewCells = Math.max(seen.previewCells, cells);
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
}

test.describe('image batches in web mode', () => {
  test('makes four seeds in one run as a 2×2 grid with previews per image, and keeps each in the gallery', async ({ page, freshStudio }) => {
    await page.goto(freshStudio.url);
    await page.getByTestId('images-nav').click();
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);
    await page.getByTestId('image-prompt-input').fill('a red circle');
    // Enough steps that the previews reach the page while the batch runs.
    await page.getByTestId('image-steps-input').fill('40');
    await page.getByTestId('image-seed-input').fill('5');
    await page.getByTestId('image-batch').getByRole('radio', { name: '4' }).check();
    await watchPreviewGrid(page);
    await page.getByTestId('image-generate-button').click();

    const grid = page.getByTestId('image-result-grid');
    await expect(grid.getByTestId('image-grid-cell')).toHaveCount(4);
    await expect(page.getByTestId('image-progress-text')).toContainText('Done · 4 images, 40 steps');
    expect(await page.evaluate(() => (window as unknown as { batchRun: { previewCells: number } }).batchRun.previewCells)).toBe(4);
    await expect(grid).toContainText('seed 5');
    await expect(grid).toContainText('seed 8');
    // The first image's parameters until another is picked.
    await expect(page.getByTestId('param-seed')).toHaveText('5');
    await grid.getByTestId('image-grid-cell').nth(2).click();
    await expect(page.getByTestId('param-seed')).toHaveText('7');
    await expect(page.getByTestId('image-gallery').getByTestId('gallery-item')).toHaveCount(4);
    const firstImage = grid.locator('img').first();
    const side = await firstImage.evaluate((image) => image.getBoundingClientRect().width);
    expect(side).toBeGreaterThan(150);
  });

  test('enlarges small images crisply or smoothly, as chosen, and Settings remembers the choice', async ({ page, freshStudio }) => {
    // Tall enough that the screenshot shows the whole grid.
    await page.setViewportSize({ width: 1360, height: 1180 });
    await page.goto(freshStudio.url);
    await page.getByTestId('images-nav').click();
    const modelSelect = page.getByTestId('image-model-select');
    const student = await modelSelect.locator('option', { hasText: '(student)' }).first().getAttribute('value');
    await modelSelect.selectOption(student!);
    await page.getByTestId('image-prompt-input').fill('red heart');
    await page.getByTestId('image-seed-input').fill('1');
    await page.getByTestId('image-batch').getByRole('radio', { name: '4' }).check();
    await page.getByTestId('image-generate-button').click();

    const images = page.getByTestId('image-result-grid').locator('img');
    await expect(images).toHaveCount(4);
    await expect(images.first()).toHaveCSS('image-rendering', 'pixelated');
    await page.getByTestId('image-result-grid').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('web-images-batch.png') });

    await page.getByTestId('image-scaling').getByRole('radio', { name: 'Smooth' }).click();
    await expect(images.first()).toHaveCSS('image-rendering', 'auto');
    await expect.poll(async () => (await savedSettings(page, freshStudio)).imageScaling).toBe('smooth');
    // A new window on the same studio enlarges smoothly from the start.
    await page.reload();
    await page.getByTestId('images-nav').click();
    await modelSelect.selectOption(student!);
    await page.getByTestId('image-prompt-input').fill('red heart');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-result')).toHaveCSS('image-rendering', 'auto');
    await expect(page.getByTestId('image-scaling').getByRole('radio', { name: 'Smooth' })).toHaveAttribute('aria-checked', 'true');
  });
});
