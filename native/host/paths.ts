import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where settings and history live: PARETO_HOME, else ~/.pareto-studio. */
export function defaultDataDir(): string {
  return process.env.PARETO_HOME ?? path.join(os.homedir(), '.pareto-studio');
}

const here = fileURLToPath(import.meta.url);
// This module sits two folders below the project root both as source (native/host) and built (out/native).
const projectRoot = path.resolve(path.dirname(here), '../..');

/** The bundled models: PARETO_MODELS_DIR (set by the desktop shell), else the project's models/. */
export function defaultModelsDir(): string {
  return process.env.PARETO_MODELS_DIR ?? path.join(projectRoot, 'models');
}

/** The project's recipes (the scripts, and the PyTorch weights of the runs they made), wherever the bundled models are read from. */
export function defaultRecipesDir(): string {
  return path.join(projectRoot, 'models', 'recipes');
}

/** A file of the project's checkout, from its root: the bench's peer scripts, read from source however the CLI was built. */
export function projectFile(...parts: string[]): string {
  return path.join(projectRoot, ...parts);
}

/** The built renderer that the web mode serves. */
export function defaultRendererDir(): string {
  return path.join(projectRoot, 'out', 'renderer');
}

/** The host's process entry beside this module: the built `out/native/host.js`, or its source when run through tsx. */
export function hostEntryPath(): string {
  return here.endsWith('.ts') ? path.join(path.dirname(here), 'host-entry.ts') : path.join(path.dirname(here), 'host.js');
}

/** The studio's version (package.json), which keys what the engine caches on disk. */
export function studioVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
