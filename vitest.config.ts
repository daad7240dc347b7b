import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['native/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'electron/**/*.test.ts', 'scripts/**/*.test.ts', 'bin/**/*.test.ts', 'models/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The CLI specs run bin/pareto.js, which runs the built CLI: build it from the current source first.
    globalSetup: ['scripts/build-native.mjs'],
  },
});
