// Where an installed rule and IOC bundle lives ($XDG_DATA_HOME/minehunter/rules/<version>/, chosen
// by the `current` file there; `previous` names what `rules rollback` returns to) and which rules/
// and iocs/ directories the scan therefore reads. The files in them are masked (util/mask.ts):
// readers unmask them. Kept free of other imports: iocs/load.ts and engine/yara.ts ask it on every run.
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A bundle version: dotted numbers such as 2026.12.03 or 1.4.0, compared part by part. */
export const VERSION_RE = /^\d{1,9}(?:\.\d{1,9}){0,5}$/;

/** $XDG_DATA_HOME/minehunter/rules, else ~/.local/share/minehunter/rules. */
export function bundleStoreDir(env: NodeJS.ProcessEnv = process.env): string {
  const data =
    env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)
      ? env.XDG_DATA_HOME
      : path.join(env.HOME || os.homedir(), '.local', 'share');
  return path.join(data, 'minehunter', 'rules');
}

export interface InstalledSet {
  version: string;
  /** The version's directory, holding rules/, iocs/, manifest.json and signature.json. */
  dir: string;
  rulesDir: string;
  iocDir: string;
}

/** What `previous` holds when the set before the last update was the one built into minehunter. */
export const BUILT_IN = 'built-in';

/** The version (or BUILT_IN) in the store's pointer file `name`, or undefined when there is none. */
export function readPointer(store: string, name: 'current' | 'previous'): string | undefined {
  try {
    const value = readFileSync(path.join(store, name), 'utf8').trim();
    return VERSION_RE.test(value) || (name === 'previous' && value === BUILT_IN) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The installed set `current` names, or undefined when none is installed or it is unusable (a
 * damaged store must never stop a scan: the bundled rules then apply, as before any update).
 */
export function installedSet(env: NodeJS.ProcessEnv = process.env): InstalledSet | undefined {
  const store = bundleStoreDir(env);
  const version = readPointer(store, 'current');
  return version === undefined ? undefined : versionSet(store, version);
}

/** The set of one installed version, or undefined when its directory is not complete. */
export function versionSet(store: string, version: string): InstalledSet | undefined {
  if (!VERSION_RE.test(version)) return undefined;
  const dir = path.join(store, version);
  const rulesDir = path.join(dir, 'rules');
  const iocDir = path.join(dir, 'iocs');
  try {
    if (!statSync(rulesDir).isDirectory() || !statSync(iocDir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  if (!existsSync(path.join(dir, 'manifest.json'))) return undefined;
  return { version, dir, rulesDir, iocDir };
}

/** Negative, zero or positive as version `a` is older, the same or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
