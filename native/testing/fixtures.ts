import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SHARED = path.resolve(__dirname, '../../../shared');

/** A folder of the read-only shared material beside the project; fails with a clear message when it is missing. */
export function sharedPath(...parts: string[]): string {
  const full = path.join(SHARED, ...parts);
  if (!fs.existsSync(full)) {
    throw new Error(`Shared test material is missing: ${full}. Clone the project next to its shared/ folder (../shared).`);
  }
  return full;
}

export const tinyStoriesOnnx = () => sharedPath('fixtures', 'tinystories-656k-onnx');

export function referenceGreedy(): { input_ids: number[]; output_ids: number[] } {
  return JSON.parse(fs.readFileSync(path.join(tinyStoriesOnnx(), 'reference_greedy.json'), 'utf8'));
}

export function temporaryDir(prefix = 'pareto-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A writable copy of a model folder, for tests that break it on purpose. */
export function copyModel(source: string): string {
  const target = path.join(temporaryDir('pareto-model-'), path.basename(source));
  fs.cpSync(source, target, { recursive: true });
  for (const file of fs.readdirSync(target, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(file.parentPath, file.name), file.isDirectory() ? 0o755 : 0o644);
  }
  return target;
}
