// Layering by runtime (SPEC §1), enforced here rather than by convention:
// native/ never imports electron or React; the renderer imports only the contract from native/;
// the contract imports nothing but zod; electron/ reaches native/ only through the contract and the host's supervisor;
// inside native/, each room imports only the rooms to its left (scripts/eslint/native-rooms.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import rooms from './scripts/eslint/native-rooms.mjs';

const uiAndShell = ['electron', 'electron/*', 'react', 'react-dom', 'react/*', 'react-dom/*', '@tanstack/*'];

export default tseslint.config(
  { ignores: ['node_modules', 'out', 'dist', 'release', 'test-results', 'playwright-report', 'models/recipes/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['native/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: uiAndShell, message: 'native/ runs in Node: it never imports Electron or UI code.' }, { group: ['**/renderer/**', '**/electron/**'], message: 'native/ never imports the shell or the UI.' }] }],
    },
  },
  {
    files: ['native/**/*.ts'],
    ignores: ['native/**/*.test.ts', 'native/testing/**'],
    plugins: { rooms },
    rules: { 'rooms/native-rooms': 'error' },
  },
  {
    files: ['native/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!zod$|\\./).*', message: 'The contract imports nothing but zod and itself.' }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(\\.\\./)+native/(?!contract(/|$))', message: 'The renderer imports only the contract (types and schemas) from native/.' },
        { regex: '^(node:|electron$|onnxruntime)', message: 'The renderer runs in a browser sandbox: no Node, Electron or engine modules.' },
      ] }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(\\.\\./)+native/(?!contract(/|$)|host/supervisor$)', message: 'The shell is thin: it reaches native/ only through the contract and the host\'s supervisor (native/host/supervisor).' },
        { group: ['react', 'react-dom', '**/renderer/**'], message: 'The shell never imports the UI.' },
      ] }],
    },
  },
);
