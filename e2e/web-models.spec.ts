import fs from 'node:fs';
import path from 'node:path';
import { copyModel } from '../native/testing/fixtures';
import { genaiFixture } from '../native/testing/genai-fixture';
import { expect, FIXTURE_MODEL, screenshotPath, test } from './studio-server';

test.describe('the Models view as a model manager', () => {
  test('checks a folder before adding it, shows a card per model, and removes an imported one', async ({ page, freshStudio }) => {
    test.setTimeout(120_000);
    await page.goto(freshStudio.url);
    await page.getByTestId('models-nav').click();

    // A folder whose model.onnx is not a model is refused with the same sentence `pareto models import` prints.
    const broken = copyModel(FIXTURE_MODEL);
    fs.writeFileSync(path.join(broken, 'onnx', 'model.onnx'), 'not a model\n'.repeat(64));
    await page.getByTestId('models-import-path-input').fill(broken);
    await page.getByTestId('models-import-button').click();
    await expect(page.getByTestId('models-import-error')).toContainText('onnx/model.onnx is not an ONNX model');

    // An ONNX Runtime GenAI folder goes in as it is and says what it was read as.
    const genai = copyModel(genaiFixture());
    const id = path.basename(genai);
    await page.getByTestId('models-import-path-input').fill(genai);
    await page.getByTestId('models-import-button').click();
    const card = page.getByTestId(`model-card-${id}`);
    await expect(card).toBeVisible();
    await expect(page.getByTestId(`model-layout-${id}`)).toHaveText('ONNX Runtime GenAI');
    await expect(page.getByTestId(`model-points-${id}`)).toContainText('model.onnx');
    await expect(card).toContainText('llama');

    // Launch-path models (the fixture) can be copied but not removed; the imported one can.
    await expect(page.getByTestId('model-card-tinystories-656k-onnx')).toBeVisible();
    await expect(page.getByTestId('model-remove-tinystories-656k-onnx')).toHaveCount(0);
    // A bundled package's files are checked against the sha256 sums its pareto.json lists.
    await page.getByTestId('model-verify-pareto-stories-student-s').click();
    await expect(page.getByTestId('model-verify-result-pareto-stories-student-s')).toHaveText(/^All \d+ files match their checksums\.$/);
    await page.screenshot({ path: screenshotPath('web-models.png'), fullPage: true });

    await page.getByTestId(`model-remove-${id}`).click();
    await expect(card).toHaveCount(0);
    expect(fs.existsSync(genai)).toBe(true); // the folder stays on disk
  });
});
