// The shared eslint flat config: typescript-eslint's type-checked rules everywhere, plus the
// architecture's bans for the pure layers (packages/wire, packages/core): no clock, no randomness,
// no timers, no process, no Buffer. Time and randomness are injected there.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const pureLayerMessage =
  'packages/wire and packages/core are sans-IO: take time and randomness as inputs (see architecture.md, "The core contract").';

/** Globals the pure layers must not touch. */
const pureLayerGlobals = [
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'process',
  'performance',
  'Buffer',
].map((name) => ({ name, message: pureLayerMessage }));

/** Node modules the pure layers must not import. */
const pureLayerModules = [
  'timers',
  'timers/promises',
  'process',
  'perf_hooks',
  'dgram',
  'net',
  'fs',
  'fs/promises',
  'buffer',
  'crypto',
].flatMap((name) => [
  { name, message: pureLayerMessage },
  { name: `node:${name}`, message: pureLayerMessage },
]);

export function createEslintConfig({ rootDir }) {
  return tseslint.config(
    {
      ignores: [
        '**/dist/**',
        '**/node_modules/**',
        '**/coverage/**',
        '**/.turbo/**',
        // Compiled tools and the real peers' build trees (tooling/bench/build/peers).
        'tooling/bench/build/**',
        'packages/wire/src/generated/**',
        // Test data, byte-identical to its source (see each folder's README).
        'packages/wire/test/vectors/*.json',
        'packages/core/test/traces/*.up',
      ],
    },
    js.configs.recommended,
    ...tseslint.configs.strictTypeChecked,
    ...tseslint.configs.stylisticTypeChecked,
    {
      languageOptions: {
        globals: { ...globals.node },
        parserOptions: {
          projectService: true,
          tsconfigRootDir: rootDir,
        },
      },
      rules: {
        '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
        '@typescript-eslint/no-unused-vars': [
          'error',
          { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
        ],
        // Bit-level codecs read better with explicit `>>> 0`, which this rule would not change.
        '@typescript-eslint/prefer-literal-enum-member': 'off',
      },
    },
    {
      files: ['packages/wire/src/**/*.ts', 'packages/core/src/**/*.ts'],
      rules: {
        'no-restricted-globals': ['error', ...pureLayerGlobals],
        'no-restricted-imports': ['error', { paths: pureLayerModules }],
        'no-restricted-properties': [
          'error',
          { object: 'Date', property: 'now', message: pureLayerMessage },
          { object: 'Math', property: 'random', message: pureLayerMessage },
          { object: 'globalThis', property: 'setTimeout', message: pureLayerMessage },
          { object: 'globalThis', property: 'setInterval', message: pureLayerMessage },
          { object: 'globalThis', property: 'process', message: pureLayerMessage },
          { object: 'globalThis', property: 'performance', message: pureLayerMessage },
        ],
        'no-restricted-syntax': [
          'error',
          { selector: "NewExpression[callee.name='Date']", message: pureLayerMessage },
        ],
      },
    },
    {
      files: ['**/*.js', '**/*.mjs'],
      extends: [tseslint.configs.disableTypeChecked],
    },
  );
}
