// ESLint flat config for the whole monorepo: `npm run lint` (eslint .) from the root.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The Node globals plain .js/.mjs files use (scripts, this file); TypeScript files get theirs
// from @types/node, and typescript-eslint turns no-undef off for them.
const nodeGlobals = Object.fromEntries(
  [
    'process',
    'console',
    'Buffer',
    'URL',
    'URLSearchParams',
    'AbortController',
    'AbortSignal',
    'fetch',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'queueMicrotask',
    'structuredClone',
    'performance',
    '__dirname',
    '__filename',
    'require',
    'module',
    'exports',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', '**/.turbo/', '.stack/', 'bench-results/', '**/out/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: nodeGlobals },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a parameter a signature requires but the body does not use.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // Services and libraries log through @shop/logger (JSON lines with trace ids); tools/ are
    // command-line programs and may write to the terminal.
    files: ['services/**', 'packages/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests read JSON bodies of any shape from the services under test.
    files: ['**/test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
