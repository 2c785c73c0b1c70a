// esbuild plugins both bundles share: the checkout's (scripts/bundle.mjs) and the single
// executable's (scripts/package.mjs).
import path from 'node:path';

/**
 * zod's `z` namespace re-exports its 60-odd message locales (`z.locales`, `z.core.locales`), so a
 * bundle holds all of them (370 KB of a 755 KB chunk) and every run compiles them, ~30 ms of each
 * scan's start-up here; zod itself sets English only, and minehunter never names `z.locales`. The
 * namespace keeps English alone.
 */
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};
