// Bundles the built CLI (dist/cli/main.js and the modules it imports, pure-JavaScript packages
// included) into dist/bundle/cli/: an entry file, the process walk's and the content scan's worker
// scripts, and one chunk per group of lazily loaded modules; ./minehunter runs it. Node 20 reads
// each of a checkout's ~400 ES modules through four asynchronous file operations and resolves each
// import on its own: in alternating runs here the bundle took 0.1-0.2 s of wall time and 0.13-0.23 s
// of CPU off a warm default scan (issue 17). It is the same code: each module's import.meta.url is
// rewritten to the URL of its file in dist/, so every file it looks up beside itself (rules, native
// addons, the IOC parser's stamp) is the same one. Native and heavy optional packages stay outside,
// loaded from node_modules as before. Without esbuild (a production install) nothing is bundled and
// ./minehunter runs dist/cli/main.js.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zodEnglishOnly } from './esbuild-plugins.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(repo, 'dist', 'cli', 'main.js');
const outdir = path.join(repo, 'dist', 'bundle', 'cli');

/**
 * Loaded from node_modules at run time: native addons (better-sqlite3, YARA-X), the database and
 * browser clients only `audit` and the PDF report load (large, and loaded rarely), tsx (the test
 * bootstrap of workers run from src/), and the optional packages those try to require.
 */
export const EXTERNAL = [
  'better-sqlite3',
  '@litko/*',
  'playwright-core',
  'pg',
  'pg-native',
  'mysql2',
  'ioredis',
  'tsx',
  'bufferutil',
  'utf-8-validate',
];

/**
 * The worker scripts a default scan starts, bundled too (each thread loads its modules as the main
 * thread does): the file tsc built, and the bundle's name for it.
 */
const WORKERS = new Map([
  [path.join(repo, 'dist', 'collect', 'linux', 'proc-worker.js'), 'proc-worker'],
  [path.join(repo, 'dist', 'engine', 'scan-worker.js'), 'scan-worker'],
]);

/**
 * Each module's import.meta.url becomes its own file's URL, computed from the chunk's; a worker
 * started by URL (`new URL('./scan-worker.js', import.meta.url)`) becomes the bundled worker beside
 * the chunk. Every chunk is written to outdir, so one relative path serves wherever a module lands.
 */
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.m?js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const workersBundled = text.replace(
        /new URL\('\.\/([\w-]+\.js)', import\.meta\.url\)/g,
        (found, name) => {
          const bundled = WORKERS.get(path.join(path.dirname(args.path), name));
          // import.meta['url'] is the chunk's own URL, and escapes the rewrite below.
          return bundled ? `new URL('./${bundled}.js', import.meta['url'])` : found;
        },
      );
      const relative = path.relative(outdir, args.path).split(path.sep).join('/');
      const own = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
      return { contents: workersBundled.replaceAll('import.meta.url', own), loader: 'js' };
    });
  },
};

/** zod's own bundle beside the chunks, CommonJS so that it can be loaded when first needed. */
const ZOD_FILE = 'zod.cjs';

/**
 * Our modules' `import { z } from 'zod'` gets a stand-in `z` that loads zod (ZOD_FILE) the first time
 * one of its members is read. The schemas are built on first use (src/util/lazy.ts) and a scan only
 * writes snapshots and reports, so a scan never needs zod, yet compiling and running its ~390 KB
 * took ~35 ms of every run's main thread (issue 17); commands that read files back load it then.
 */
const lazyZod = {
  name: 'lazy-zod',
  setup(build) {
    build.onResolve({ filter: /^zod$/ }, () => ({ path: 'zod', namespace: 'lazy-zod' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-zod' }, () => ({
      contents: [
        "import { createRequire } from 'node:module';",
        'let real;',
        `const load = () => (real ??= createRequire(import.meta.url)('./${ZOD_FILE}').z);`,
        'export const z = new Proxy(Object.create(null), {',
        '  get: (_target, key) => Reflect.get(load(), key),',
        '  has: (_target, key) => Reflect.has(load(), key),',
        '});',
      ].join('\n'),
      loader: 'js',
    }));
  },
};

async function loadEsbuild() {
  try {
    return await import('esbuild');
  } catch {
    return undefined;
  }
}

const esbuild = await loadEsbuild();
rmSync(path.join(repo, 'dist', 'bundle'), { recursive: true, force: true });
if (!esbuild) {
  console.error(
    'bundle: esbuild is not installed (a production install): ./minehunter runs dist/cli/main.js',
  );
} else if (!existsSync(entry)) {
  console.error('bundle: dist/cli/main.js is missing: run tsc first (npm run build)');
  process.exit(1);
} else {
  await esbuild.build({
    entryPoints: [{ in: entry, out: 'main' }, ...[...WORKERS].map(([file, out]) => ({ in: file, out }))],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // Bundled CommonJS packages (commander, yaml) call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __minehunterRequire } from 'node:module'; const require = __minehunterRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'error',
    plugins: [ownImportMetaUrl, lazyZod],
  });
  await esbuild.build({
    entryPoints: [path.join(repo, 'node_modules', 'zod', 'index.js')],
    outfile: path.join(outdir, ZOD_FILE),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'error',
    plugins: [zodEnglishOnly],
  });
}
