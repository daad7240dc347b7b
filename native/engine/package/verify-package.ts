import crypto from 'node:crypto';
import fs from 'node:fs';
import { packageFile, type ParetoManifest } from './pareto-manifest';

export interface FileCheck {
  file: string;
  ok: boolean;
  /** What is wrong with the file, in words; null when it matches. */
  problem: string | null;
}

function sha256(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = crypto.createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

/** Checks every file a package's pareto.json lists against its sha256. */
export async function verifyPackage(dir: string, manifest: ParetoManifest): Promise<FileCheck[]> {
  const checks: FileCheck[] = [];
  for (const [file, expected] of Object.entries(manifest.files)) {
    const full = packageFile(dir, file);
    if (!fs.existsSync(full)) {
      checks.push({ file, ok: false, problem: 'missing' });
      continue;
    }
    const actual = await sha256(full);
    checks.push({ file, ok: actual === expected, problem: actual === expected ? null : `sha256 is ${actual.slice(0, 12)}…, pareto.json says ${expected.slice(0, 12)}…` });
  }
  return checks;
}
