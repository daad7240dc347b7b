import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { sdFixture } from '../native/testing/fixtures';
import { expect, screenshotPath, test } from './studio-server';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SD_MODEL_ID = path.basename(sdFixture());
// Enough steps of the tiny SD fixture that the run outlasts the start request's reply (the engine runs in a
// child process, so its events can reach the page before the job's id), and its previews show while it runs.
const PREVIEW_RUN_STEPS = 240;

/** Records, from inside the page, whether progress and a preview ever showed: a small model can finish between two polls. */
async function watchRun(page: Page, options: { stopAtStep?: number } = {}) {
  await page.evaluate(({ stopAtStep }) => {
    const seen = { progressSteps: [] as number[], previews: 0, stopClicked: false };
    (window as unknown as { imageRun: typeof seen }).imageRun = seen;
    const observer = new MutationObserver(() => {
      const progress = document.querySelector('[data-testid="image-progress"]');
      const step = Number(progress?.getAttribute('aria-valuenow') ?? 0);
      if (step > (seen.progressSteps.at(-1) ?? 0)) seen.progressSteps.push(step);
      if (document.querySelector('[data-testid="image-preview"]')) seen.previews += 1;
      if (stopAtStep !== undefined && !seen.stopClicked && step >= stopAtStep) {
        const stop = document.querySelector('[data-testid="image-stop-button"]') as HTMLButtonElement | null;
        if (stop && !stop.disabled) {
          seen.stopClicked = true;
          stop.click();
        }
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  }, options);
}

const runRecord = (page: Page) => page.evaluate(() => (window as unknown as { imageRun: { progressSteps: number[]; previews: number; stopClicked: boolean } }).imageRun);

test.describe('images in web mode', () => {
  test('generates an image with live progress and previews, lists its parameters, and saves the PNG', async ({ page, studio }) => {
    await page.goto(studio.url);
    await page.getByTestId('images-nav').click();
    await expect(page.getByTestId('image-model-select')).toContainText(SD_MODEL_ID);
    // Text models are not offered for images.
    await expect(page.getByTestId('image-model-select')).not.toContainText('tinystories');
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);

    await page.getByTestId('image-prompt-input').fill('a red circle on a blue square');
    await page.getByTestId('image-steps-input').fill(String(PREVIEW_RUN_STEPS));
    await page.getByTestId('image-seed-input').fill('1');
    await page.getByTestId('image-negative-input').fill('blurry');
    await watchRun(page);
    await page.getByTestId('image-generate-button').click();

    await expect(page.getByTestId('image-result')).toBeVisible();
    const record = await runRecord(page);
    expect(record.progressSteps.length).toBeGreaterThanOrEqual(1);
    expect(record.progressSteps.at(-1)).toBe(PREVIEW_RUN_STEPS);
    expect(record.previews).toBeGreaterThan(0);
    await expect(page.getByTestId('image-progress')).toHaveAttribute('data-state', 'done');
    await expect(page.getByTestId('image-progress-text')).toContainText(`Done · ${PREVIEW_RUN_STEPS} steps`);

    const parameters = page.getByTestId('image-parameters');
    await expect(parameters.getByTestId('param-seed')).toHaveText('1');
    await expect(parameters.getByTestId('param-steps')).toHaveText(String(PREVIEW_RUN_STEPS));
    await expect(parameters.getByTestId('param-prompt')).toHaveText('a red circle on a blue square');
    // The 64 px fixture is drawn scaled up with hard pixel edges.
    await expect(page.getByTestId('image-result')).toHaveCSS('image-rendering', 'pixelated');
    const shownWidth = await page.getByTestId('image-result').evaluate((image) => image.getBoundingClientRect().width);
    expect(shownWidth).toBeGreaterThan(200);
    // The user may prefer a smooth enlargement (web-image-batch.spec.ts checks that Settings keeps it).
    await page.getByTestId('image-scaling').getByRole('radio', { name: 'Smooth' }).click();
    await expect(page.getByTestId('image-result')).toHaveCSS('image-rendering', 'auto');
    await page.getByTestId('image-scaling').getByRole('radio', { name: 'Crisp' }).click();
    await expect(page.getByTestId('image-result')).toHaveCSS('image-rendering', 'pixelated');

    // The profiler reports the image run.
    await expect(page.getByTestId('image-metric-ms-per-step')).not.toHaveText('—');
    await expect(page.getByTestId('image-metric-s-per-image')).not.toHaveText('—');
    await expect(page.getByTestId('image-metric-memory')).not.toHaveText('—');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('image-save-button').click()]);
    expect(download.suggestedFilename()).toBe('a-red-circle-on-a-blue-1.png');
    const bytes = fs.readFileSync((await download.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const text = bytes.toString('latin1');
    expect(text).toContain('parameters\0a red circle on a blue square');
    expect(text).toMatch(/Negative prompt: blurry\nSteps: 240, Sampler: DDIM, CFG scale: 7\.5, Seed: 1, Size: 64x64/);
    await page.screenshot({ path: screenshotPath('web-images.png') });

    // A second image joins the gallery; clicking the first restores its parameters into the form.
    await page.getByTestId('image-prompt-input').fill('a yellow sun');
    await page.getByTestId('image-negative-input').fill('');
    await page.getByTestId('image-steps-input').fill('3');
    await page.getByTestId('image-seed-input').fill('7');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('gallery-item')).toHaveCount(2);
    await expect(page.getByTestId('param-seed')).toHaveText('7');
    await page.getByTestId('gallery-item').nth(1).click();
    await expect(page.getByTestId('image-prompt-input')).toHaveValue('a red circle on a blue square');
    await expect(page.getByTestId('image-seed-input')).toHaveValue('1');
    await expect(page.getByTestId('image-steps-input')).toHaveValue(String(PREVIEW_RUN_STEPS));
    await expect(page.getByTestId('param-seed')).toHaveText('1');
    await expect(page.getByTestId('image-negative-input')).toHaveValue('blurry');
  });

  test('Stop ends a long run mid-way and says so', async ({ page, studio }) => {
    await page.goto(studio.url);
    await page.getByTestId('images-nav').click();
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);
    await page.getByTestId('image-prompt-input').fill('a green triangle');
    // The most steps a request may ask: Stop crosses the server and the engine's process, while the tiny fixture runs fast.
    await page.getByTestId('image-steps-input').fill('1000');
    await page.getByTestId('image-seed-input').fill('2');
    await watchRun(page, { stopAtStep: 1 });
    await page.getByTestId('image-generate-button').click();

    await expect(page.getByTestId('image-progress')).toHaveAttribute('data-state', 'stopped');
    await expect(page.getByTestId('image-progress-text')).toContainText(/Stopped after \d+ of 1000 steps/);
    const record = await runRecord(page);
    expect(record.stopClicked).toBe(true);
    expect(record.progressSteps.at(-1)).toBeLessThan(1000);
    await expect(page.getByTestId('image-result')).toHaveCount(0);
    await expect(page.getByTestId('image-error')).toHaveCount(0);
    await expect(page.getByTestId('image-generate-button')).toBeEnabled();
  });

  test('bad input shows a visible error, and the next run works', async ({ page, studio }) => {
    await page.goto(studio.url);
    await page.getByTestId('images-nav').click();
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);
    await page.getByTestId('image-prompt-input').fill('a cat');
    await page.getByTestId('image-steps-input').fill('2.5');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-error')).toContainText('Steps must be a whole number');

    await page.getByTestId('image-steps-input').fill('60');
    await page.getByTestId('image-scheduler-select').selectOption('lcm');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-error')).toContainText(/more than the 50/);

    await page.getByTestId('image-steps-input').fill('2');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-result')).toBeVisible();
    await expect(page.getByTestId('image-error')).toHaveCount(0);
    await expect(page.getByTestId('param-scheduler')).toHaveText('LCM');
  });
});
