// Lint configuration. Two project-specific rules, both through no-restricted-imports:
// - detectors, audits and classification (and the pure modules they build on) are functions of a
//   snapshot, so they may not import anything that touches the host;
// - arrows point one way: a module may import its own layer and the layers below it, never one
//   above (LAYERS, lowest first). An upward import fails the lint; test/lint-boundaries.test.ts
//   proves that it does.
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

/** The folders of src/, lowest layer first; a folder may import its own layer and those before it. */
export const LAYERS = [
  ['model', 'util'],
  ['snapshot', 'shell', 'iocs', 'target'],
  ['engine'],
  ['detect'],
  ['audit', 'classify', 'allow', 'collect'],
  ['report', 'pipeline'],
  ['incident', 'respond'],
  ['evidence'],
  ['cli'],
];

/** Folders whose modules are pure: no host access. */
const PURE = new Set(['detect', 'audit', 'classify', 'snapshot', 'shell', 'model']);

/** How deep below src/ a file may sit, for the relative import paths the patterns match. */
const MAX_DEPTH = 4;

function boundaries() {
  const configs = [];
  LAYERS.forEach((layer, i) => {
    const above = LAYERS.slice(i + 1).flat();
    for (const folder of layer) {
      for (let depth = 1; depth <= MAX_DEPTH; depth++) {
        // A file at src/<folder>/<d-1 dirs>/x.ts reaches src/ with exactly `depth` times `../`.
        const up = '\\.\\./'.repeat(depth);
        const patterns = above.length
          ? [
              {
                regex: `^${up}(?:${above.join('|')})/`,
                message: `Arrows point one way: ${folder}/ (layer ${i}) may not import a higher layer (${above.join(', ')}). Move the shared type or helper down (see LAYERS in eslint.config.js).`,
              },
            ]
          : [];
        const paths = PURE.has(folder)
          ? banned.map((name) => ({
              name,
              message: 'Detectors are pure: read facts from the snapshot, not the host.',
            }))
          : [];
        if (patterns.length === 0 && paths.length === 0) continue;
        configs.push({
          files: [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`],
          ignores: ['**/*.test.ts'],
          rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
        });
      }
    }
  });
  return configs;
}

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
  ...boundaries(),
);
