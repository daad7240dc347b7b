import type { Page } from '@playwright/test';
import { expect, test } from './studio-server';

/** Moves a λ slider with the keyboard, as a user would, and waits for the preview of that λ. */
async function slideTo(page: Page, prefix: string, key: 'Home' | 'End', lambda: string) {
  await page.getByTestId(`${prefix}lambda-slider`).focus();
  await page.keyboard.press(key);
  await expect(page.getByTestId(`${prefix}lambda-value`)).toContainText(`λ ${lambda}`);
  await expect(previewPoint(page, prefix)).toHaveAttribute('data-lambda', lambda);
}

function previewPoint(page: Page, prefix: string) {
  return page.getByTestId(`${prefix}preview-point`);
}

test.describe('the λ preview and a model picked by hand, in web mode', () => {
  test('moving the slider updates the preview and the Pareto scatter without generating; presets set λ', async ({ page, freshStudio: studio }) => {
    test.setTimeout(300_000);
    await page.goto(studio.url);
    // Before calibration the preview says so instead of guessing; Calibrate now measures the family here, with progress.
    await expect(page.getByTestId('calibration-status')).toHaveAttribute('data-state', /missing|stale/);
    await page.getByTestId('calibrate-button').click();
    await expect(page.getByTestId('calibration-status')).toHaveAttribute('data-state', 'calibrated', { timeout: 240_000 });
    await expect(previewPoint(page, '')).toHaveAttribute('data-point', /^pareto-stories-/);

    await slideTo(page, '', 'End', '1.00');
    await expect(page.getByTestId('pareto-scatter')).toHaveAttribute('data-chosen', (await previewPoint(page, '').getAttribute('data-point'))!);
    const best = (await previewPoint(page, '').getAttribute('data-point'))!;
    await slideTo(page, '', 'Home', '0.00');
    await expect(previewPoint(page, '')).not.toHaveAttribute('data-point', best);
    const cheapest = (await previewPoint(page, '').getAttribute('data-point'))!;
    await expect(previewPoint(page, '')).toContainText(/ms\/token \([\d.]+–[\d.]+\)/);
    await expect(page.getByTestId('choice-reason')).toContainText('λ moved past');
    await expect(page.getByTestId('pareto-scatter')).toHaveAttribute('data-chosen', cheapest);
    // Nothing ran: no story, no run to report, the Generate button still idle.
    await expect(page.getByTestId('output-text')).toHaveCount(0);
    await expect(page.getByTestId('operating-point')).toHaveCount(0);
    await expect(page.getByTestId('generate-button')).toHaveText('Generate');

    // A preset is a named λ: the slider moves to it and says its name.
    await page.getByTestId('preset-quality').click();
    await expect(page.getByTestId('lambda-value')).toContainText('Quality');
    await expect(page.getByTestId('lambda-value')).toContainText('λ 0.90');
    await expect(page.getByTestId('preset-quality')).toHaveAttribute('aria-pressed', 'true');
    await expect(previewPoint(page, '')).toHaveAttribute('data-lambda', '0.90');
    await page.screenshot({ path: 'test-results/lambda-preview-generate.png' });

    // A run at that λ runs the previewed point and then shows predicted against measured.
    const previewed = (await previewPoint(page, '').getAttribute('data-point'))!;
    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 60_000 });
    const [model, precision] = previewed.split(':');
    await expect(page.getByTestId('operating-point')).toContainText(`${model} · ${precision}`);
    await expect(page.getByTestId('prediction-check')).toContainText(/Measured [\d.]+ ms\/token, predicted [\d.]+ ms\/token \([\d.]+–[\d.]+\)/);
  });

  test('picking the teacher by hand runs the teacher in both views, with λ off', async ({ page, freshStudio: studio }) => {
    test.setTimeout(180_000);
    await page.goto(studio.url);

    const textSelect = page.getByTestId('model-select');
    const textTeacher = (await textSelect.locator('option', { hasText: 'teacher' }).first().getAttribute('value'))!;
    await textSelect.selectOption(textTeacher);
    await expect(page.getByTestId('lambda-slider')).toBeDisabled();
    await expect(page.getByTestId('lambda-disabled-reason')).toContainText('runs as you set it');
    await expect(page.getByTestId('lambda-value')).toContainText('λ off');
    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByTestId('output-model')).toContainText(textTeacher);
    await expect(page.getByTestId('output-operating-point')).toHaveCount(0);

    await page.getByTestId('images-nav').click();
    const imageSelect = page.getByTestId('image-model-select');
    const imageTeacher = (await imageSelect.locator('option', { hasText: '(teacher)' }).first().getAttribute('value'))!;
    await imageSelect.selectOption(imageTeacher);
    await expect(page.getByTestId('image-lambda-slider')).toBeDisabled();
    await expect(page.getByTestId('image-lambda-disabled-reason')).toContainText('runs as you set it');
    await page.getByTestId('image-prompt-input').fill('a smiling face');
    await page.getByTestId('image-steps-input').fill('4');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-result')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('param-model')).toHaveText('pareto-emoji-teacher');
    await expect(page.getByTestId('image-output-operating-point')).toHaveCount(0);
  });
});
