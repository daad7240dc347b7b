import { expect, screenshotPath, test } from './studio-server';

test.describe('Settings › Local API server', () => {
  test('turned on, it serves /v1 on 127.0.0.1 with the token the card shows and copies; turned off, it stops', async ({ page, context, freshStudio }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: freshStudio.origin });
    await page.goto(freshStudio.url);
    await page.getByTestId('settings-nav').click();
    const card = page.getByTestId('api-server-card');
    await expect(card).toBeVisible();
    await expect(page.getByTestId('settings-api-server')).not.toBeChecked();
    await expect(card.getByTestId('settings-api-url')).toHaveCount(0);

    await page.getByTestId('settings-api-port').fill('80');
    await card.getByRole('button', { name: 'Use this port' }).click();
    await expect(card.getByRole('alert')).toHaveText('Port: use a port from 1024 up.');

    const port = 20_000 + Math.floor(Math.random() * 20_000);
    await page.getByTestId('settings-api-port').fill(String(port));
    // The box follows the saved setting, so it ticks once the host has it.
    await page.getByTestId('settings-api-server').click();
    await expect(page.getByTestId('settings-api-server')).toBeChecked();
    await expect(page.getByTestId('settings-api-url')).toHaveValue(`http://127.0.0.1:${port}/v1`);
    const token = await page.getByTestId('settings-api-token').inputValue();
    expect(token).toMatch(/^[\w-]{20,}$/);
    expect(token).not.toBe(freshStudio.token);

    await page.getByTestId('settings-api-token-copy').click();
    await expect(page.getByTestId('settings-api-token-copy')).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await card.screenshot({ path: screenshotPath('settings-api-server.png') });

    const models = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
    expect(models.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/v1/models`)).status).toBe(401);
    // The web mode shows no Updates card: updates are the desktop app's.
    await expect(page.getByRole('region', { name: 'Updates' })).toHaveCount(0);

    await page.getByTestId('settings-api-server').click();
    await expect(page.getByTestId('settings-api-server')).not.toBeChecked();
    await expect(page.getByTestId('settings-api-url')).toHaveCount(0);
    await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();
  });
});
