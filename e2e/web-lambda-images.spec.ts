import type { Page } from '@playwright/test';
import { expect, screenshotPath, test } from './studio-server';

/** The Images slider's choice as the view shows it: "pareto-emoji-student · int8 · 4 steps · Fréchet 10.76 · 0.05 s/image". */
async function chosenPoint(page: Page) {
  const text = (await page.getByTestId('image-operating-point').textContent()) ?? '';
  const match = /^(.+) · (\S+) · (\d+) steps? · Fréchet ([\d.]+) · ([\d.]+) s\/image$/.exec(text);
  if (!match) throw new Error(`The Images slider shows no operating point: "${text}"`);
  const [, model, precision, steps, frechetDistance, sPerImage] = match as unknown as [string, string, string, string, string, string];
  return { model, precision, steps: Number(steps), frechetDistance: Number(frechetDistance), sPerImage: Number(sPerImage) };
}

/** Moves the λ slider to one end with the keyboard, as a user would, and waits for the view to show it. */
async function slideTo(page: Page, end: 'Home' | 'End') {
  const slider = page.getByTestId('image-lambda-slider');
  await slider.focus();
  await page.keyboard.press(end);
  await expect(page.getByTestId('image-lambda-value')).toContainText(end === 'Home' ? 'λ 0.00' : 'λ 1.00');
}

/** Generates with the form as it stands and waits for the image (the first λ run also measures every point of the family). */
async function generate(page: Page, galleryCount: number) {
  await expect(page.getByTestId('image-generate-button')).toBeEnabled();
  await page.getByTestId('image-generate-button').click();
  await expect(page.getByTestId('gallery-item')).toHaveCount(galleryCount, { timeout: 180_000 });
  await expect(page.getByTestId('image-result')).toBeVisible();
  await expect(page.getByTestId('image-progress')).toHaveAttribute('data-state', 'done');
}

test.describe('the Images λ slider in web mode', () => {
  // The server is shared by the worker's specs: put the saved slider position back where a fresh studio has it.
  test.afterEach(async ({ request, studio }) => {
    const response = await request.post(`${studio.origin}/api/updateSettings`, { headers: { authorization: `Bearer ${studio.token}` }, data: { lambda: 0.5 } });
    expect(response.ok()).toBe(true);
  });

  test('λ picks the image model, precision and steps; the ends choose different points; a model picked by hand turns it off', async ({ page, studio }) => {
    test.setTimeout(360_000);
    await page.goto(studio.url);
    await page.getByTestId('images-nav').click();

    // By default λ chooses within the bundled image family, at the saved position (0.5).
    const modelSelect = page.getByTestId('image-model-select');
    await expect(modelSelect).toHaveValue(':auto');
    await expect(modelSelect.locator('option:checked')).toContainText('Auto (λ)');
    await expect(page.getByTestId('image-lambda-slider')).toBeEnabled();
    await expect(page.getByTestId('image-lambda-value')).toContainText('λ 0.50');
    await expect(page.getByTestId('image-steps-input')).toBeDisabled();
    await expect(page.getByTestId('image-lambda-hint')).toBeVisible();

    await page.getByTestId('image-prompt-input').fill('a smiling face');
    await page.getByTestId('image-seed-input').fill('1');

    // λ 0: the most efficient point.
    await slideTo(page, 'Home');
    await generate(page, 1);
    const efficient = await chosenPoint(page);
    await expect(page.getByTestId('param-steps')).toHaveText(String(efficient.steps));
    await expect(page.getByTestId('param-precision')).toHaveText(efficient.precision);
    await expect(page.getByTestId('image-output-operating-point')).toContainText('λ 0.00');
    await page.screenshot({ path: screenshotPath('web-images-lambda.png') });

    // λ 1: the best quality, which here costs more steps and more time per image.
    await slideTo(page, 'End');
    await expect(page.getByTestId('image-lambda-slider').locator('xpath=../..')).toContainText('Last run · λ 0.00');
    await generate(page, 2);
    const best = await chosenPoint(page);
    await expect(page.getByTestId('param-steps')).toHaveText(String(best.steps));
    await expect(page.getByTestId('param-precision')).toHaveText(best.precision);
    await expect(page.getByTestId('image-output-operating-point')).toContainText('λ 1.00');
    expect(best).not.toEqual(efficient);
    expect(efficient.steps).toBeLessThan(best.steps);
    expect(efficient.sPerImage).toBeLessThan(best.sPerImage);
    expect(best.frechetDistance).toBeLessThan(efficient.frechetDistance);

    // The slider's position is saved: the Generate view's slider shows it too.
    await page.getByTestId('generate-nav').click();
    await expect(page.getByTestId('lambda-value')).toContainText('λ 1.00');
    await page.getByTestId('images-nav').click();

    // A model picked by hand runs as set, with its own steps: λ's choice is off.
    const teacher = await modelSelect.locator('option', { hasText: '(teacher)' }).first().getAttribute('value');
    await modelSelect.selectOption(teacher!);
    await expect(page.getByTestId('image-lambda-slider')).toBeDisabled();
    await expect(page.getByTestId('image-lambda-disabled-reason')).toContainText('runs as you set it');
    await page.getByTestId('image-steps-input').fill('3');
    await page.getByTestId('image-precision-select').selectOption('int8');
    await generate(page, 3);
    await expect(page.getByTestId('param-steps')).toHaveText('3');
    await expect(page.getByTestId('param-precision')).toHaveText('int8');
    await expect(page.getByTestId('image-output-operating-point')).toHaveCount(0);

    // Back on Auto, λ chooses again (the steps typed for the teacher are not sent).
    await modelSelect.selectOption(':auto');
    await expect(page.getByTestId('image-lambda-slider')).toBeEnabled();
    await expect(page.getByTestId('image-steps-input')).toHaveValue('');
    await generate(page, 4);
    // The same point as before (its predicted cost is refined by every run, so only the point is compared).
    const again = await chosenPoint(page);
    expect([again.model, again.precision, again.steps]).toEqual([best.model, best.precision, best.steps]);
  });
});
