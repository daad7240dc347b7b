import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where settings and history live: PARETO_HOME, else ~/.pareto-studio. */
export function defaultDataDir(): string {
  return process.env.PARETO_HOME ?? path.join(os.homedir(), '.pareto-studio');
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The bundled models: PARETO_MODELS_DIR (set by the desktop shell), else the project's models/. */
export function defaultModelsDir(): string {
  return process.env.PARETO_MODELS_DIR ?? path.join(projectRoot, 'models');
}

/** The built renderer that the web mode serves. */
export function defaultRendererDir(): string {
  return path.join(projectRoot, 'out', 'renderer');
}

/** The studio's version (package.json), which keys what the engine caches on disk. */
export function studioVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
