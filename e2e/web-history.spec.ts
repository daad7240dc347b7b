import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { encodePng } from '../native/engine/png/png';
import { sdFixture } from '../native/testing/fixtures';
import { FIXTURE_MODEL, expect, startServer, test } from './studio-server';

const SD_MODEL_ID = path.basename(sdFixture());
const SHOTS = 'test-results/history';

/** Drops a file on the window as a user dragging it from a file manager would. */
async function dropFile(page: Page, name: string, type: string, bytes: Uint8Array) {
  await page.evaluate(
    ({ name, type, data }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], name, { type }));
      const zone = document.querySelector('[data-testid="drop-zone"]')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { name, type, data: Array.from(bytes) },
  );
}

test.describe('history in web mode', () => {
  test('restart the server, then reopen an earlier story and image with their settings restored', async ({ page }) => {
    test.setTimeout(120_000);
    const first = await startServer([FIXTURE_MODEL, sdFixture()]);
    await page.goto(first.server.url);
    await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
    await page.getByTestId('prompt-input').fill('A fox in the snow');
    await page.getByTestId('max-new-tokens-input').fill('24');
    await page.locator('#temperature').fill('0.6');
    await page.locator('#top-k').fill('12');
    await page.locator('#seed').fill('11');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible();
    const story = await page.getByTestId('output-text').textContent();

    await page.getByTestId('images-nav').click();
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);
    await page.getByTestId('image-prompt-input').fill('a red circle');
    await page.getByTestId('image-steps-input').fill('3');
    await page.getByTestId('image-seed-input').fill('5');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-result')).toBeVisible();

    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGTERM');
    await exited;
    const second = await startServer([FIXTURE_MODEL, sdFixture()], first.home);
    try {
      await page.goto(second.server.url);
      await page.getByTestId('history-nav').click();
      await expect(page.getByTestId('history-count')).toHaveText('2 outputs');
      await page.getByTestId('history-search').fill('fox');
      await expect(page.getByTestId('history-story')).toHaveCount(1);
      await expect(page.getByTestId('history-image')).toHaveCount(0);
      await page.getByTestId('history-story').click();
      await expect(page.getByTestId('history-detail-text')).toContainText(story!.trim().slice(0, 40));
      await expect(page.getByTestId('history-path')).toContainText(path.join(first.home, 'history', 'history.json'));
      await page.screenshot({ path: `${SHOTS}/history-story.png` });
      await page.getByTestId('history-reopen').click();

      await expect(page.getByTestId('generate-nav')).toHaveAttribute('aria-current', 'page');
      await expect(page.getByTestId('prompt-input')).toHaveValue('A fox in the snow');
      await expect(page.getByTestId('model-select')).toHaveValue('tinystories-656k-onnx');
      await expect(page.getByTestId('max-new-tokens-input')).toHaveValue('24');
      await expect(page.locator('#temperature')).toHaveValue('0.6');
      await expect(page.locator('#top-k')).toHaveValue('12');
      await expect(page.locator('#seed')).toHaveValue('11');
      // The same request again: a seeded story comes back word for word.
      await page.keyboard.press('Control+Enter');
      await expect(page.getByTestId('finish-reason')).toBeVisible();
      await expect(page.getByTestId('output-text')).toHaveText(story!);

      await page.getByTestId('history-nav').click();
      await page.getByTestId('history-search').fill('');
      await page.getByTestId('history-kind').selectOption('image');
      await page.getByTestId('history-image').click();
      await expect(page.getByTestId('history-detail-image')).toBeVisible();
      const imagePath = (await page.getByTestId('history-path').textContent())!;
      expect(fs.existsSync(imagePath)).toBe(true);
      await page.screenshot({ path: `${SHOTS}/history-image.png` });
      await page.getByTestId('history-reopen').click();
      await expect(page.getByTestId('images-nav')).toHaveAttribute('aria-current', 'page');
      await expect(page.getByTestId('image-prompt-input')).toHaveValue('a red circle');
      await expect(page.getByTestId('image-model-select')).toHaveValue(SD_MODEL_ID);
      await expect(page.getByTestId('image-steps-input')).toHaveValue('3');
      await expect(page.getByTestId('image-seed-input')).toHaveValue('5');
      await expect(page.getByTestId('restore-note')).toHaveText('Settings restored from history.');

      await page.getByTestId('history-nav').click();
      await page.getByTestId('history-image').click();
      await page.getByTestId('history-delete').click();
      await page.getByTestId('history-delete-confirm').click();
      await expect(page.getByTestId('history-count')).toHaveText('0 outputs');
      expect(fs.existsSync(imagePath)).toBe(false);
    } finally {
      second.child.kill('SIGTERM');
    }
  });

  test('a dropped PNG restores its A1111 parameters; one without parameters, or another file, says why not', async ({ page, studio }) => {
    await page.goto(studio.url);
    const pixel = { width: 1, height: 1, data: Uint8Array.of(200, 40, 40) };
    const a1111 = encodePng(pixel, { parameters: 'a castle on a hill\nNegative prompt: fog\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 6.5, Seed: 42, Size: 128x64, Model: dreamshaper_8' });
    await dropFile(page, 'castle.png', 'image/png', a1111);

    await expect(page.getByTestId('images-nav')).toHaveAttribute('aria-current', 'page');
    await expect(page.getByTestId('image-prompt-input')).toHaveValue('a castle on a hill');
    await expect(page.getByTestId('image-negative-input')).toHaveValue('fog');
    await expect(page.getByTestId('image-seed-input')).toHaveValue('42');
    await expect(page.getByTestId('image-guidance-input')).toHaveValue('6.5');
    await expect(page.getByTestId('image-scheduler-select')).toHaveValue('dpm++2m');
    await expect(page.getByTestId('restore-note')).toContainText('Settings restored from an A1111 PNG. The model "dreamshaper_8" is not installed, so the model picked here makes it. Under Auto (λ)');
    // Picked by hand, the model takes the PNG's steps and size too.
    await page.getByTestId('image-model-select').selectOption(SD_MODEL_ID);
    await expect(page.getByTestId('image-steps-input')).toHaveValue('20');
    await expect(page.getByTestId('image-size-select')).toHaveValue('128x64');

    await dropFile(page, 'bare.png', 'image/png', encodePng(pixel));
    await expect(page.getByTestId('drop-problem')).toContainText('bare.png: This PNG carries no generation parameters');
    await page.screenshot({ path: `${SHOTS}/drop-without-parameters.png` });
    await dropFile(page, 'notes.txt', 'text/plain', new TextEncoder().encode('hello'));
    await expect(page.getByTestId('drop-problem')).toContainText('notes.txt is not a PNG');
  });

  test('keyboard: Ctrl+Enter generates and Esc stops from anywhere; Tab reaches every control with a visible focus', async ({ page, studio }) => {
    const focusNothing = () => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.goto(studio.url);
    await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('max-new-tokens-input').fill('300');
    // The seed is random, so the story runs its full length (past an early end of story) to overflow its pane.
    const fullLength = (tokens: number) =>
      page.route('**/api/startTextJob', (route) => route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), minNewTokens: tokens }) }));
    await fullLength(300);
    await focusNothing();
    await page.keyboard.press('Control+Enter');
    await expect(page.getByTestId('finish-reason')).toBeVisible();
    await page.unroute('**/api/startTextJob');

    // The story pane scrolls from the keyboard.
    await page.getByTestId('output-body').evaluate((element) => element.scrollTo(0, 0));
    await page.getByTestId('output-body').focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.getByTestId('output-body').evaluate((element) => element.scrollTop)).toBeGreaterThan(0);

    // Tab from the top of the page through the Generate view.
    await focusNothing();
    const reached = new Set<string>();
    for (let press = 0; press < 60; press++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        if (!element || element === document.body) return null;
        const style = getComputedStyle(element);
        const ring = style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px');
        // The prompt's fields show focus on their box, as editors do.
        const box = element.closest('.prompt-box');
        const boxed = box !== null && getComputedStyle(box).boxShadow !== 'none';
        return { key: element.dataset.testid || element.id || element.getAttribute('aria-label') || element.textContent?.trim() || element.tagName, visible: ring || boxed };
      });
      if (!focused) continue;
      expect(focused.visible, `${focused.key} shows no focus`).toBe(true);
      reached.add(focused.key);
    }
    for (const control of ['generate-nav', 'history-nav', 'model-select', 'prompt-input', 'generate-button', 'output-body', 'max-new-tokens-input', 'seed', 'ep-select']) {
      expect([...reached], `Tab never reached ${control}`).toContain(control);
    }

    // Esc while the story streams, pressed from the History view; sent from inside the page so it lands mid-stream however fast the model is.
    await page.getByTestId('max-new-tokens-input').fill('450');
    // The story runs its full length, so there is a live run for Esc to stop.
    await fullLength(450);
    await page.evaluate(() => {
      const observer = new MutationObserver(() => {
        // The new run is live once Stop can stop it (the pane may still show the last story until its first token).
        if ((document.querySelector('[data-testid="stop-button"]') as HTMLButtonElement | null)?.disabled !== false) return;
        observer.disconnect();
        (document.querySelector('[data-testid="history-nav"]') as HTMLButtonElement).click();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('history-nav')).toHaveAttribute('aria-current', 'page');
    await page.getByTestId('generate-nav').click();
    await expect(page.getByTestId('finish-reason')).toHaveAttribute('data-reason', 'cancelled');
  });
});
