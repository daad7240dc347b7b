#!/usr/bin/env node
// The `pareto` command: runs the TypeScript CLI through tsx so `npx pareto` works without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../native/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
