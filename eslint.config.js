// Lint for the whole project: typescript-eslint's recommended rules, plus Reef's import boundaries and no `.only` in tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reef from './eslint/reef-import-rules.js';

/** Node's globals for plain .js/.mjs scripts (TypeScript checks its own files). */
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'URLSearchParams', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone', 'fetch', 'performance', 'AbortController', 'TextEncoder', 'TextDecoder'].map(
    (name) => [name, 'readonly'],
  ),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'release/', 'coverage/', 'test-results/', 'playwright-report/', 'native/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: nodeGlobals },
  },
  {
    plugins: { reef },
    rules: {
      'reef/import-boundaries': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // A focused test silently skips the rest of the suite.
    files: ['**/*.test.{ts,tsx}', '**/*.spec.{ts,tsx}', 'e2e/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'MemberExpression[object.name=/^(describe|it|test|suite)$/][property.name="only"]',
          message: 'remove .only before committing: it skips every other test',
        },
        {
          selector: 'MemberExpression[object.object.name=/^(describe|it|test)$/][property.name="only"]',
          message: 'remove .only before committing: it skips every other test',
        },
      ],
    },
  },
  {
    // nats.js keeps one transport setting per process; only the bus may open connections.
    files: ['**/*.{ts,tsx}'],
    ignores: ['main/bus/nats-connection.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@nats-io/transport-node', importNames: ['connect'], message: 'use openNatsConnection() from main/bus/nats-connection.ts: nats.js transports are process-wide' },
            { name: '@nats-io/nats-core', importNames: ['wsconnect'], message: 'use openNatsConnection() from main/bus/nats-connection.ts: nats.js transports are process-wide' },
          ],
        },
      ],
    },
  },
);
