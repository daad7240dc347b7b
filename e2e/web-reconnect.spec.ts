import { once } from 'node:events';
import { expect, FIXTURE_MODEL, startServer, test } from './studio-server';

test.describe('web mode across a server restart', () => {
  test('a tab left open reconnects once `pareto serve` is back, and can generate again', async ({ page }) => {
    test.setTimeout(120_000);
    const first = await startServer([FIXTURE_MODEL]);
    const port = Number(new URL(first.server.origin).port);
    await page.goto(first.server.url);
    const engine = page.getByRole('navigation', { name: 'Main' });
    await expect(engine).toContainText('Engine ready');

    first.child.kill('SIGTERM');
    await once(first.child, 'exit');
    await expect(engine).toContainText('Reconnecting…');

    const second = await startServer([FIXTURE_MODEL], first.home, port);
    try {
      await expect(engine).toContainText('Engine ready', { timeout: 20_000 });
      await page.getByTestId('model-select').selectOption('tinystories-656k-onnx');
      await page.getByTestId('prompt-input').fill('Once upon a time');
      await page.getByTestId('max-new-tokens-input').fill('8');
      await page.getByTestId('generate-button').click();
      await expect(page.getByTestId('output-text')).not.toBeEmpty({ timeout: 30_000 });
    } finally {
      second.child.kill('SIGTERM');
    }
  });
});
