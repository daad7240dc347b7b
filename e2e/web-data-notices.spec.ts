import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, FIXTURE_MODEL, screenshotPath, startServer, test } from './studio-server';

test('a damaged settings.json is moved aside, its last good copy restored, and the window says so (#16 finding 7)', async ({ page }) => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pareto-e2e-damaged-'));
  fs.writeFileSync(path.join(home, 'settings.json.last-good'), JSON.stringify({ lambda: 0.2, importedModels: [] }));
  fs.writeFileSync(path.join(home, 'settings.json'), '{"lambda": 0.');
  const { server, child } = await startServer([FIXTURE_MODEL], home);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('data-notices')).toContainText(/settings\.json was damaged \(kept as .*settings\.json\.corrupt-.*\); its last good copy was restored/);
    await expect(page.getByTestId('model-select')).toContainText('tinystories-656k-onnx');
    await page.screenshot({ path: screenshotPath('web-data-notices.png') });
    expect(fs.readdirSync(home).some((name) => name.startsWith('settings.json.corrupt-'))).toBe(true);
  } finally {
    child.kill('SIGTERM');
  }
});
