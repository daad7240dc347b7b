#!/usr/bin/env node
// The `pareto` command: runs the built CLI (out/native/cli.js), building it first in a fresh clone and again
// in a checkout whose native/ sources changed since the build (an edit or a pull would otherwise run stale code).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = new URL('../out/native/cli.js', import.meta.url);
const sources = fileURLToPath(new URL('../native/', import.meta.url));

function builtBeforeSources() {
  if (!existsSync(sources)) return false;
  const built = statSync(cli).mtimeMs;
  return readdirSync(sources, { recursive: true }).some((file) => statSync(path.join(sources, file)).mtimeMs > built);
}

const missing = !existsSync(cli);
if (missing || builtBeforeSources()) {
  process.stderr.write(missing ? 'pareto: building the CLI (first run)…\n' : 'pareto: native/ changed since the last build, rebuilding the CLI…\n');
  const { buildNative } = await import('../scripts/build-native.mjs');
  await buildNative();
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
