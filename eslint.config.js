// Lint for correctness, not style: typescript-eslint's type-checked recommended rules (a promise
// nobody awaits, a promise handed where a callback's result is ignored, `any` leaking into typed
// code, an await of a non-thenable). Who may import whom and "no cycles" are checked by
// dependency-cruiser (.dependency-cruiser.js); dead files, exports and dependencies by knip
// (knip.json). All three run in `npm test` (npm run lint).

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/'] },
  {
    files: ['**/*.ts'],
    ignores: ['web/**'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // Each file's nearest tsconfig.json: the root one, or test/browser's (with the DOM types).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A rejected promise must reach a handler even through `return` inside try/catch/finally.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // A switch over a union (a lifecycle state, a message type) names every member or has a
      // default: a new member cannot slip through unhandled.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // tsc reports unused locals and parameters (noUnusedLocals/Parameters): one checker.
      '@typescript-eslint/no-unused-vars': 'off',
      // `async` without `await` is how a function promises to reject instead of throwing.
      '@typescript-eslint/require-await': 'off',
      // `ErrorName | string` documents the known names; the rule calls that redundant.
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      // `reject(signal.reason)` passes an abort reason on as is, as AbortSignal APIs do.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true }],
    },
  },
  {
    // Tests and benchmarks parse what servers send (JSON, `any` by nature) and poke at
    // internals: the `any` rules would only add casts. The promise rules stay: a floating
    // promise in a test is an assertion that never runs or a rejection that lands elsewhere.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // They compare the client's enums with the wire's numbers on purpose (`contentType === 101`).
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // `String(data)` of a ws message: a Buffer here (binaryType 'nodebuffer'), though ws types
      // it as Buffer | ArrayBuffer | Buffer[].
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // The browser code (demo page, dashboard; web/tsconfig.json, JSDoc-typed JS): tsc checks
    // its types, this its promises, as in the pages' event handlers.
    files: ['web/**/*.{ts,js}'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  {
    files: ['**/*.js'],
    ignores: ['web/**'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
