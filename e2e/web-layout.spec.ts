import path from 'node:path';
import axe from 'axe-core';
import type { Page } from '@playwright/test';
import { sdFixture } from '../native/testing/fixtures';
import { expect, test } from './studio-server';

/** Every view in this build; the lead extends this list as views land (Compare). */
const VIEWS = ['generate', 'images', 'compare', 'history', 'models', 'report', 'settings'] as const;
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1920, height: 1080 },
];

/** Serious and critical axe violations on the page as it stands, one line each. */
async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the studio's CSP (no inline scripts) does not block it.
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary?.split('\n')[1]?.trim() ?? ''}`) }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').flatMap((violation) => violation.nodes.map((node) => `${violation.id}: ${node}`));
}

/**
 * Controls of the shown view that cannot be clicked: scrolled into view, the element at the
 * centre of each must be the control itself (not the profiler strip or anything else on top),
 * and it must lie inside the window.
 */
async function unclickable(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>('.view:not([hidden]) :is(button, input, select, textarea, [tabindex="0"]), .sidebar button');
    for (const control of Array.from(controls)) {
      const style = getComputedStyle(control);
      if (control.closest('[hidden]') || style.visibility === 'hidden' || control.getClientRects().length === 0) continue;
      if (control.classList.contains('visually-hidden')) continue;
      control.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      const box = control.getBoundingClientRect();
      const name = control.dataset.testid ?? control.id ?? control.textContent?.trim().slice(0, 30);
      if (box.right > window.innerWidth + 0.5 || box.bottom > window.innerHeight + 0.5 || box.left < -0.5 || box.top < -0.5) {
        problems.push(`${name}: outside the window (${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)})`);
        continue;
      }
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      if (!hit || !(control === hit || control.contains(hit) || (control instanceof HTMLInputElement && control.labels && Array.from(control.labels).some((label) => label.contains(hit))))) {
        problems.push(`${name}: covered by ${hit ? `${hit.tagName.toLowerCase()}.${Array.from(hit.classList).join('.')}` : 'nothing'}`);
      }
    }
    return problems;
  });
}

/** Parts of the shown view wider than the window: a strip cut off on the right, a table's columns cut. */
async function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.view:not([hidden]) :is(.profiler, .data-table, .toolbar, .prompt-actions, .image-actions, .history-filters)'))
      .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5 || element.scrollWidth > element.clientWidth + 1)
      .map((element) => `${element.className}: ${Math.round(element.getBoundingClientRect().right)} px wide in a ${window.innerWidth} px window (scrollWidth ${element.scrollWidth} vs ${element.clientWidth})`),
  );
}

test.describe('layout and accessibility', () => {
  test('every view at 1024×700 and 1920×1080: controls clickable, nothing cut off, no serious axe violations', async ({ page, studio }) => {
    test.setTimeout(120_000);
    await page.setViewportSize(SIZES[0]!);
    await page.goto(studio.url);
    // Fill the views as a user would: a story, an image, and so their history.
    await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('max-new-tokens-input').fill('120');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible();
    await page.getByTestId('images-nav').click();
    await page.getByTestId('image-model-select').selectOption(path.basename(sdFixture()));
    await page.getByTestId('image-prompt-input').fill('a red circle');
    await page.getByTestId('image-steps-input').fill('2');
    await page.getByTestId('image-generate-button').click();
    await expect(page.getByTestId('image-result')).toBeVisible();
    await page.getByTestId('history-nav').click();
    await page.getByTestId('history-story').first().click();

    const problems: string[] = [];
    for (const size of SIZES) {
      await page.setViewportSize(size);
      for (const view of VIEWS) {
        await page.getByTestId(`${view}-nav`).click();
        await expect(page.getByTestId(`${view}-nav`)).toHaveAttribute('aria-current', 'page');
        const where = `${view} at ${size.width}×${size.height}`;
        problems.push(...(await unclickable(page)).map((problem) => `${where}: ${problem}`));
        problems.push(...(await overflowing(page)).map((problem) => `${where}: ${problem}`));
        problems.push(...(await axeProblems(page)).map((problem) => `${where}: ${problem}`));
        await page.evaluate(() => document.querySelectorAll('.view-scroll, .compose, .settings-panel').forEach((element) => element.scrollTo(0, 0)));
        await page.screenshot({ path: `test-results/layout/${view}-${size.width}x${size.height}.png` });
      }
    }
    expect(problems).toEqual([]);
  });
});
