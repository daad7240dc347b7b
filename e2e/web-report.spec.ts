import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, screenshotPath, test } from './studio-server';

test.describe('the Report view, in web mode', () => {
  test('runs the trade-off report with live progress, shows Table 1 and the seven figures, and exports the folder', async ({ page, freshStudio: studio }) => {
    test.setTimeout(300_000);
    await page.goto(studio.url);
    await page.getByTestId('report-nav').click();
    const families = page.getByTestId('report-families');
    await expect(families).toContainText('pareto-stories');
    await expect(families).toContainText('pareto-emoji');
    await expect(page.getByTestId('report-quick')).toBeChecked();

    await page.getByTestId('report-run').click();
    await expect(page.getByTestId('report-progress')).toContainText(/measuring pareto-/, { timeout: 60_000 });
    await expect(page.getByTestId('report-results')).toBeVisible({ timeout: 240_000 });

    const stories = page.getByTestId('report-table1-pareto-stories');
    await expect(stories).toContainText('latency (ms/token, median (min–max))');
    await expect(stories).toContainText('paper (Sivalingam, IJSRMT 4(10), 2025)');
    await expect(stories).toContainText('not stated');
    await expect(page.getByTestId('report-table1-pareto-emoji')).toContainText('quality (Fréchet distance, lower is better)');
    await expect(page.getByTestId('report-formulas')).toContainText('U(C) = λ·Q(C)/Qmax + (1−λ)·E(C)');
    for (const figure of ['fig1-quality-vs-complexity', 'fig3-utility-curve', 'fig7-pareto-scatter']) {
      await expect(page.getByTestId(`report-${figure}`).locator('canvas')).toHaveCount(1);
    }
    await expect(page.locator('.report-figure')).toHaveCount(7);
    await expect(page.getByTestId('report-folder')).toContainText('reports');

    // Export the folder somewhere else; a folder that cannot be written is refused with a message naming it.
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-report-')), 'exported');
    await page.getByTestId('report-export-path').fill(out);
    await page.getByTestId('report-export').click();
    await expect(page.getByTestId('report-exported')).toContainText(`to ${out}`);
    expect(fs.readdirSync(out)).toEqual(expect.arrayContaining(['table1.md', 'table1.json', 'report.html', 'fig7-pareto-scatter.svg']));
    await page.getByTestId('report-export-path').fill('/proc/version/report');
    await page.getByTestId('report-export').click();
    await expect(page.getByTestId('report-export-error')).toContainText('The report cannot be written to /proc/version/report');

    await page.getByTestId('report-table1-pareto-stories').scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('web-report.png') });
    await page.getByTestId('report-fig7-pareto-scatter').screenshot({ path: screenshotPath('web-report-figure.png') });
  });
});
