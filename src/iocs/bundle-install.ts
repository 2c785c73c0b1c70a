// Installs a verified rule and IOC bundle where bundle-store.ts makes the scan find it, and takes it
// back (`rules rollback`). Every switch is a rename, so a scan sees the old set or the new one, never
// half of one; everything is checked before the store is touched, so a refused bundle leaves the
// installed rules exactly as they were. The set an update replaced is kept for rollback, and the
// rules built into minehunter are the floor: a bundle older than them is a downgrade.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Localized } from '../model/finding.js';
import { maskBytes, readUnmasked } from '../util/mask.js';
import {
  BUILT_IN,
  VERSION_RE,
  bundleStoreDir,
  compareVersions,
  installedSet,
  readPointer,
  versionSet,
  type InstalledSet,
} from './bundle-store.js';
import { BundleError, Manifest, shippedDirs, verifyBundle, type VerifiedBundle } from './bundle.js';
import type { KeyObject } from 'node:crypto';

export type InstallOutcome = {
  status: 'installed' | 'unchanged';
  version: string;
  /** The version installed before, when there was one (else the built-in set was in use). */
  previous?: string;
  dir: string;
};

export interface InstallOptions {
  /** Install a downgrade, or replace the installed version with different content. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  /** The built-in set's date, YYYY-MM-DD (default: builtInDate()). */
  floor?: string;
}

const DATE_RE = /\bdate["']?\s*[:=]\s*["']?(\d{4}-\d{2}-\d{2})\b/g;

/**
 * How recent the rules built into minehunter are: the newest date (YYYY-MM-DD) among the `date`
 * meta of its rules and the `date` of its indicator entries, or undefined when none can be read.
 * Dates rather than version numbers, so a team's own numbering (1.4.0) is compared fairly too.
 */
export function builtInDate(dirs = shippedDirs()): string | undefined {
  let newest: string | undefined;
  for (const dir of [dirs.rulesDir, dirs.iocDir]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /\.(?:yara?|ya?ml|json)$/i.test(n));
    } catch {
      continue;
    }
    for (const name of names) {
      let text: string;
      try {
        text = readUnmasked(path.join(dir, name)).toString('utf8');
      } catch {
        continue;
      }
      for (const m of text.matchAll(DATE_RE)) if (!newest || m[1]! > newest) newest = m[1];
    }
  }
  return newest;
}

/** Why installing `bundle` over `current` is refused without --force, or undefined. */
function refusal(
  bundle: VerifiedBundle,
  current: InstalledSet | undefined,
  floor: string | undefined,
): Localized | undefined {
  const { version, created } = bundle.manifest;
  const day = created.slice(0, 10);
  if (floor && day < floor) {
    return {
      en: `bundle version ${version} was made on ${day}, before the rules built into minehunter (${floor}): a downgrade, refused (--force installs it anyway)`,
      'zh-CN': `规则包版本 ${version} 生成于 ${day}，早于 minehunter 内置的规则（${floor}）：属于降级，已拒绝（--force 可强制安装）`,
    };
  }
  if (!current) return undefined;
  if (compareVersions(version, current.version) < 0) {
    return {
      en: `bundle version ${version} is older than the installed ${current.version}: a downgrade, refused (--force installs it anyway)`,
      'zh-CN': `规则包版本 ${version} 比已安装的 ${current.version} 旧：属于降级，已拒绝（--force 可强制安装）`,
    };
  }
  return undefined;
}

/** Writes `value` to the store's pointer file `name` by a rename, so readers see the old or the new. */
async function setPointer(store: string, name: 'current' | 'previous', value: string): Promise<void> {
  const temp = path.join(store, `.${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(temp, `${value}\n`);
  await rename(temp, path.join(store, name));
}

/** Moves `file` aside by a rename (the atomic step), then deletes it. */
async function retire(store: string, file: string): Promise<void> {
  const aside = path.join(store, `.retired-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await rename(path.join(store, file), aside);
  } catch {
    return; // already gone
  }
  await rm(aside, { recursive: true, force: true });
}

/** Writes the bundle's files, masked, and its manifest and signature into a new directory of `store`. */
async function writeIncoming(store: string, bundle: VerifiedBundle): Promise<string> {
  const incoming = await mkdtemp(path.join(store, '.incoming-'));
  await mkdir(path.join(incoming, 'rules'));
  await mkdir(path.join(incoming, 'iocs'));
  for (const [name, data] of bundle.files) {
    // 'wx' in a directory we just made: nothing there can redirect the write. Masked, so an
    // on-access antivirus never sees the miner strings the rules hold (see util/mask.ts).
    await writeFile(path.join(incoming, ...name.split('/')), maskBytes(data), { flag: 'wx', mode: 0o644 });
  }
  await writeFile(path.join(incoming, 'manifest.json'), bundle.manifestBytes, { flag: 'wx' });
  const sig = { algorithm: 'ed25519', keyId: bundle.keyId, value: bundle.signature };
  await writeFile(path.join(incoming, 'signature.json'), JSON.stringify(sig, null, 2) + '\n', { flag: 'wx' });
  return incoming;
}

/** Removes every installed version but `keep`: only the active set and the one rollback returns to stay. */
async function prune(store: string, keep: (string | undefined)[]): Promise<void> {
  for (const name of readdirSync(store)) {
    if (VERSION_RE.test(name) && !keep.includes(name)) await retire(store, name);
  }
}

/**
 * Installs a verified bundle as $store/<version>/ and points `current` at it; the set it replaces
 * (a version, or the built-in set) is recorded in `previous` for rollbackBundle. A downgrade (older
 * than the installed version, or made before the built-in rules) is refused unless `force`.
 */
export async function installBundle(
  bundle: VerifiedBundle,
  opts: InstallOptions = {},
): Promise<InstallOutcome> {
  const store = bundleStoreDir(opts.env);
  const version = bundle.manifest.version;
  const current = installedSet(opts.env);
  const target = path.join(store, version);
  if (current?.version === version) {
    const installed = await readFile(path.join(current.dir, 'manifest.json')).catch(() => undefined);
    if (installed?.equals(bundle.manifestBytes)) return { status: 'unchanged', version, dir: current.dir };
    if (!opts.force)
      throw new BundleError(version, {
        en: `version ${version} is already installed with different content; refused (--force replaces it)`,
        'zh-CN': `版本 ${version} 已安装但内容不同；已拒绝（--force 可替换）`,
      });
  }
  const refused = opts.force ? undefined : refusal(bundle, current, opts.floor ?? builtInDate());
  if (refused) throw new BundleError(version, refused);

  await mkdir(store, { recursive: true, mode: 0o700 });
  const incoming = await writeIncoming(store, bundle);
  try {
    const old = path.join(store, `.replaced-${path.basename(incoming).slice('.incoming-'.length)}`);
    const replaced = await rename(target, old).then(
      () => true,
      () => false,
    );
    await rename(incoming, target);
    const previous =
      current?.version === version ? readPointer(store, 'previous') : (current?.version ?? BUILT_IN);
    if (previous) await setPointer(store, 'previous', previous);
    await setPointer(store, 'current', version);
    if (replaced) await rm(old, { recursive: true, force: true });
    await prune(store, [version, previous]);
  } finally {
    await rm(incoming, { recursive: true, force: true });
  }
  return { status: 'installed', version, previous: current?.version, dir: target };
}

/** verifyBundle, then installBundle: nothing is written unless every check passed. */
export async function updateBundle(
  bytes: Buffer,
  keys: KeyObject[],
  display: string,
  opts: InstallOptions = {},
): Promise<{ outcome: InstallOutcome; bundle: VerifiedBundle }> {
  const bundle = verifyBundle(bytes, keys, display);
  return { outcome: await installBundle(bundle, opts), bundle };
}

export interface RollbackOutcome {
  from: string;
  /** The version now active, or 'built-in'. */
  to: string;
  /** The kept version was older than the built-in rules, so the built-in set took its place. */
  belowFloor?: string;
}

function createdOf(set: InstalledSet): string | undefined {
  try {
    return Manifest.parse(JSON.parse(readFileSync(path.join(set.dir, 'manifest.json'), 'utf8'))).created;
  } catch {
    return undefined;
  }
}

/**
 * Switches back to the set the last update replaced, by renaming one pointer file, and deletes the
 * set rolled back from. Never below the built-in rules: with nothing installed there is nothing to
 * roll back, and a kept version made before the built-in rules gives way to them.
 */
export async function rollbackBundle(
  opts: { env?: NodeJS.ProcessEnv; floor?: string } = {},
): Promise<RollbackOutcome> {
  const store = bundleStoreDir(opts.env);
  const current = installedSet(opts.env);
  if (!current)
    throw new BundleError(store, {
      en: 'nothing to roll back: no bundle is installed, so the rules built into minehunter are in use, and rollback never goes below them',
      'zh-CN': '没有可回滚的内容：未安装规则包，当前使用 minehunter 内置的规则，回滚不会低于内置规则',
    });
  const previous = readPointer(store, 'previous');
  if (!previous || previous === current.version)
    throw new BundleError(store, {
      en: `no previous rule set is kept (only the one the last update replaced is, and a rollback uses it up); version ${current.version} stays installed`,
      'zh-CN': `没有保留上一个规则集（只保留最近一次更新所替换的那个，回滚后即不再保留）；版本 ${current.version} 保持安装`,
    });
  let to = previous;
  let belowFloor: string | undefined;
  if (previous !== BUILT_IN) {
    const kept = versionSet(store, previous);
    if (!kept)
      throw new BundleError(store, {
        en: `the previous version ${previous} is missing or incomplete in ${store}; version ${current.version} stays installed`,
        'zh-CN': `上一个版本 ${previous} 在 ${store} 中缺失或不完整；版本 ${current.version} 保持安装`,
      });
    const floor = opts.floor ?? builtInDate();
    const day = createdOf(kept)?.slice(0, 10);
    if (floor && (!day || day < floor)) [to, belowFloor] = [BUILT_IN, previous];
  }
  if (to === BUILT_IN) await retire(store, 'current');
  else await setPointer(store, 'current', to);
  await rm(path.join(store, 'previous'), { force: true });
  await retire(store, current.version);
  if (belowFloor) await retire(store, belowFloor);
  return { from: current.version, to, ...(belowFloor ? { belowFloor } : {}) };
}
