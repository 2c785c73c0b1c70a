// Lint configuration. The one project-specific rule: detectors, audits and classification are pure
// functions of a snapshot, so they may not import anything that touches the host.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const hostModules = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'dgram',
  'dns',
  'http',
  'https',
  'os',
  'worker_threads',
];
const banned = hostModules.flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: [
      'src/detect/**/*.ts',
      'src/audit/**/*.ts',
      'src/classify/**/*.ts',
      'src/snapshot/**/*.ts',
      'src/shell/**/*.ts',
      'src/model/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: banned.map((name) => ({
            name,
            message: 'Detectors are pure: read facts from the snapshot, not the host.',
          })),
        },
      ],
    },
  },
);
