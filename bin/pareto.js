#!/usr/bin/env node
// The `pareto` command: runs the built CLI (out/native/cli.js), building it first in a fresh clone.
import { existsSync } from 'node:fs';

const cli = new URL('../out/native/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('pareto: building the CLI (first run)…\n');
  const { buildNative } = await import('../scripts/build-native.mjs');
  await buildNative();
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
