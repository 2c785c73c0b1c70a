// The one place that says where minehunter's own files are: rules/, iocs/, keys/, package.json, the
// native addons and the scan workers. From src/ (tsx) or dist/ they sit two directories below the
// project root; inside the single executable (util/sea.ts) import.meta.url is empty and they are
// the embedded copies, unpacked into a private directory.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { isSea, seaDir, seaManifest, seaWorkerSource } from './sea.js';

export function projectRoot(): string {
  if (isSea()) return seaDir();
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** One of the tool's own data directories or files (the bundled ones, not `rules update`'s). */
export function resourcePath(name: 'rules' | 'iocs' | 'keys' | 'package.json'): string {
  return path.join(projectRoot(), name);
}

/**
 * The file a module's code is read from, for stamps that change with the code: the module itself
 * from a checkout, the executable inside the single executable (where import.meta.url is empty).
 */
export function codeFile(metaUrl: string | undefined): string {
  return isSea() || !metaUrl ? process.execPath : fileURLToPath(metaUrl);
}

/**
 * The single executable itself, to leave out of its own content scan: it carries the rules and the
 * tool's code (miner names, pool strings), so it would match them. Empty from a checkout.
 */
export function ownExecutable(): string[] {
  return isSea() ? [process.execPath] : [];
}

/** The native addon this installation built: the directory lister and the readers it includes. */
export function ownNativeAddon(): string {
  if (isSea()) return path.join(seaDir(), 'native', 'dirstat.node');
  return path.join(projectRoot(), 'dist', 'native', 'dirstat.node');
}

/**
 * The native addon's file when it is built and not turned off (MINEHUNTER_NATIVE=0): loaded by
 * nativeFunction, and by the threads that load it themselves (the process walk's reads and CPU
 * samples, the PID probe).
 */
export function builtNativeAddon(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MINEHUNTER_NATIVE === '0') return undefined;
  const file = ownNativeAddon();
  return existsSync(file) ? file : undefined;
}

/**
 * The addons this installation's processes map that are its own files: the lister it built and,
 * inside the single executable, the YARA-X and SQLite addons it unpacked beside it (the names
 * scripts/package.mjs gives them). From a checkout those two are loaded from node_modules.
 */
export function ownNativeAddons(): string[] {
  if (!isSea()) return [ownNativeAddon()];
  return ['dirstat.node', 'yara-x.node', 'better_sqlite3.node'].map((n) => path.join(seaDir(), 'native', n));
}

/**
 * $XDG_CACHE_HOME/minehunter/scan-cache.sqlite, else ~/.cache/minehunter/scan-cache.sqlite: the
 * content scan's cache (engine/cache.ts). Here, not there, so naming it loads no SQLite.
 */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : path.join(os.homedir(), '.cache');
  return path.join(base, 'minehunter', 'scan-cache.sqlite');
}

/** The YARA-X binding, an optional npm package with a prebuilt addon. */
export const YARA_X_PACKAGE = '@litko/yara-x-linux-x64-gnu';

const loaded = new Map<string, unknown>();

function dlopen(file: string): unknown {
  let exports = loaded.get(file);
  if (exports === undefined) {
    const module = { exports: {} };
    process.dlopen(module, file);
    exports = module.exports;
    loaded.set(file, exports);
  }
  return exports;
}

/**
 * The YARA-X binding's exports and version; throws when it is not installed. From a checkout it is
 * required from node_modules, inside the executable its unpacked copy is opened with process.dlopen.
 */
export function loadYaraX(): { module: unknown; version: string } {
  const module = isSea()
    ? dlopen(path.join(seaDir(), 'native', 'yara-x.node'))
    : (createRequire(import.meta.url)(YARA_X_PACKAGE) as unknown);
  return { module, version: yaraXVersion() };
}

/**
 * The YARA-X binding's version without loading it (~10-20 ms of a 20 MB addon): the compiled
 * rules' cache key on the main thread, which hands the rules to the scan workers and never scans.
 */
export function yaraXVersion(): string {
  if (isSea()) return seaManifest().versions[YARA_X_PACKAGE] ?? 'unknown';
  const require = createRequire(import.meta.url);
  return (require(`${YARA_X_PACKAGE}/package.json`) as { version: string }).version;
}

/**
 * Function `name` of this installation's native addon (dist/native/dirstat.node), or undefined
 * when it is not built, turned off (MINEHUNTER_NATIVE=0), not loadable here (a foreign build) or
 * has no such export: the caller then does the same work in JavaScript.
 */
export function nativeFunction<F>(name: string): F | undefined {
  const file = builtNativeAddon();
  if (!file) return undefined;
  try {
    const f = (loadNativeFile(file) as Record<string, unknown>)[name];
    return typeof f === 'function' ? (f as F) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads a native addon by path, once per process. process.dlopen in a checkout too: require() of
 * the same file went through the CommonJS resolver first, 0.3 ms more with its loader warm and
 * 1.8 ms more in an ES-module process where it was not (the addon opens the warm rescan's cache).
 */
export function loadNativeFile(file: string): unknown {
  return dlopen(file);
}

/**
 * Options every `new Database()` spreads in: inside the executable better-sqlite3 cannot find its
 * addon by itself (it looks beside its own source), so it is handed the unpacked one, loaded. The
 * package accepts the addon object as well as a path, though its types name only the path.
 */
export function sqliteOptions(): Database.Options {
  if (!isSea()) return {};
  const addon = dlopen(path.join(seaDir(), 'native', 'better_sqlite3.node'));
  return { nativeBinding: addon as string };
}

/**
 * The source of an embedded worker (`scan-worker` of the content scan, `image-scan-worker` of the
 * image scan) for `new Worker(source, { eval: true })`; undefined outside the executable.
 */
export function embeddedWorker(name: 'scan-worker' | 'image-scan-worker'): string | undefined {
  return isSea() ? seaWorkerSource(`${name}.js`) : undefined;
}

let cachedVersion: string | undefined;
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(resourcePath('package.json'), 'utf8')) as {
      version?: string;
    };
    cachedVersion = pkg.version ?? '0.0.0';
  }
  return cachedVersion;
}
