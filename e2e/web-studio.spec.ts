import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, FIXTURE_MODEL, screenshotPath, test } from './studio-server';

test.describe('web mode in Chromium', () => {
  test('generates a story that streams, stops on Stop, and shows its speed', async ({ page, studio }) => {
    test.setTimeout(180_000);
    await page.goto(studio.url);
    await expect(page.getByTestId('model-select')).toContainText('tinystories-656k-onnx');
    await expect(page).not.toHaveURL(/token=/);

    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('max-new-tokens-input').fill('450');
    // Watch the output from inside the page, so the Stop click lands mid-stream however fast the model is.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { outputLengths: number[] }).outputLengths = seen;
      const observer = new MutationObserver(() => {
        const output = document.querySelector('[data-testid="output-text"]');
        const length = output?.textContent?.length ?? 0;
        if (length > (seen.at(-1) ?? 0)) seen.push(length);
        if (seen.length === 3) (document.querySelector('[data-testid="stop-button"]') as HTMLButtonElement | null)?.click();
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    // The story runs its full length (past an early end of story), so there is a live run for Stop to end.
    await page.route('**/api/startTextJob', (route) => route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), minNewTokens: 450 }) }));
    await page.getByTestId('generate-button').click();

    // The first λ run of the bundled family times its points on this machine first.
    await expect(page.getByTestId('finish-reason')).toContainText(/cancel|stopped/i, { timeout: 120_000 });
    const lengths = await page.evaluate(() => (window as unknown as { outputLengths: number[] }).outputLengths);
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    const stoppedText = await page.getByTestId('output-text').textContent();
    expect(stoppedText!.length).toBeGreaterThan(0);
    await page.waitForTimeout(600);
    expect(await page.getByTestId('output-text').textContent()).toBe(stoppedText);

    const tokensPerSecond = Number((await page.getByTestId('metric-tps').textContent())!.replace(/[^\d.]/g, ''));
    expect(tokensPerSecond).toBeGreaterThan(0);
    await expect(page.getByTestId('metric-ttft')).not.toHaveText(/^\s*—?\s*$/);
  });

  test('a full story reads well and the profiler fills in (screenshot)', async ({ page, studio }) => {
    test.setTimeout(180_000);
    await page.goto(studio.url);
    await page.getByTestId('prompt-input').fill('Once upon a time, a little fox');
    await page.getByTestId('max-new-tokens-input').fill('160');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('output-text')).toContainText(/\w+ \w+ \w+/);
    await page.screenshot({ path: screenshotPath('web-generate.png') });
  });

  test('bad input shows a visible error and the studio keeps serving', async ({ page, studio }) => {
    await page.goto(studio.url);
    await page.getByTestId('prompt-input').fill('the dog ran home. '.repeat(200));
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('error-message')).toContainText(/shorten the prompt/);

    await page.getByTestId('prompt-input').fill('Once upon a time');
    await page.getByTestId('max-new-tokens-input').fill('20');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('output-text')).not.toBeEmpty();
    await expect(page.getByTestId('error-message')).toHaveCount(0);
  });

  test('broken model folders are named in visible errors, and a good model still runs after them', async ({ page, studio }) => {
    const noOnnx = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-e2e-no-onnx-'));
    fs.writeFileSync(path.join(noOnnx, 'config.json'), '{}');
    const truncated = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-e2e-truncated-')), 'truncated-model');
    fs.cpSync(FIXTURE_MODEL, truncated, { recursive: true });
    fs.chmodSync(path.join(truncated, 'onnx', 'model.onnx'), 0o644);
    fs.truncateSync(path.join(truncated, 'onnx', 'model.onnx'), 20_000);

    await page.goto(studio.url);
    const importPath = page.getByTestId('import-path-input');
    await importPath.fill('/no/such/model');
    await page.getByTestId('import-button').click();
    await expect(page.getByTestId('import-error')).toContainText('Model folder not found: /no/such/model');
    await importPath.fill(noOnnx);
    await page.getByTestId('import-button').click();
    await expect(page.getByTestId('import-error')).toContainText('has no onnx/ folder');

    // A truncated graph is refused when it is added, not when it is run.
    await importPath.fill(truncated);
    await page.getByTestId('import-button').click();
    await expect(page.getByTestId('import-error')).toContainText('truncated-model: onnx/model.onnx is not an ONNX model: it is truncated, corrupt or another kind of file');
    await expect(page.getByTestId('model-select')).not.toContainText('truncated-model');

    await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
    await page.getByTestId('max-new-tokens-input').fill('20');
    await page.getByTestId('generate-button').click();
    await expect(page.getByTestId('finish-reason')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('output-text')).not.toBeEmpty();
  });

  test('the API refuses a request without the launch token', async ({ request, studio }) => {
    const response = await request.post(`${studio.origin}/api/listModels`);
    expect(response.status()).toBe(401);
  });
});
