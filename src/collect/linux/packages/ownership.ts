// One "which package owns this path" question for every package manager the tool reads: dpkg's
// file lists on Debian/Ubuntu, the rpm database on RHEL-family and SUSE hosts, apk's installed
// database on Alpine (container roots above all). Callers (preload, odd shared objects) ask it
// without knowing which database answered; the same source then says what it recorded of the
// files' content (digest; size and mode on rpm), so owned libraries can be verified as `rpm -V` does.
import type { TargetFs } from '../../../target/fs.js';
import type { CollectorLog } from '../../support.js';
import { readRpmDbCached, RpmDbError } from '../rpm/index.js';
import { rpmRecords, type Expected } from '../rpm/verify.js';
import { APK_INSTALLED, apkRecords, readApkInstalled } from './apk.js';
import { dpkgRecords, pathVariants, readDpkgLists } from './dpkg.js';

export interface PackageOwnership {
  manager: 'dpkg' | 'rpm' | 'apk';
  /** The owning package of each wanted path that has one (any merged-/usr spelling). */
  ownersOf(paths: string[]): Map<string, string>;
  /** What the caller may add to its record (which database, how many packages). */
  note?: string;
  /**
   * What the database recorded of each owned path (path → its owner from ownersOf), keyed by the
   * path as asked; a path without a usable record is absent. Ownership built by hand may lack it.
   */
  records?(owned: Map<string, string>, log: CollectorLog): Promise<Map<string, Expected>>;
}

/** Ownership from a database that lists every file of every package (rpm, apk), indexed once. */
export function indexedOwnership(
  manager: 'rpm' | 'apk',
  files: Iterable<[string, string]>,
  note?: string,
): PackageOwnership {
  const byPath = new Map<string, string>();
  // Sorted package order would need a second pass; rpm lets shared paths (directories) have many
  // owners and the first in database order is as good as any for "is it packaged".
  for (const [p, pkg] of files) if (!byPath.has(p)) byPath.set(p, pkg);
  return {
    manager,
    ...(note ? { note } : {}),
    ownersOf(paths) {
      const out = new Map<string, string>();
      for (const p of paths) {
        for (const v of pathVariants(p)) {
          const pkg = byPath.get(v);
          if (pkg !== undefined) {
            out.set(p, pkg);
            break;
          }
        }
      }
      return out;
    },
  };
}

/** Ownership from the rpm database (kept under its old name for callers that build it by hand). */
export function rpmOwnership(files: Iterable<[string, string]>, note?: string): PackageOwnership {
  return indexedOwnership('rpm', files, note);
}

/**
 * The target's ownership source: dpkg when it has one, else rpm, else apk; undefined when none
 * exists or the one present is unreadable (the error goes to the caller's log, ownership stays
 * unknown rather than "nothing is packaged").
 */
export async function loadOwnership(fs: TargetFs, log: CollectorLog): Promise<PackageOwnership | undefined> {
  const lists = await readDpkgLists(fs, log);
  if (lists)
    return {
      manager: 'dpkg',
      ownersOf: (paths) => lists.ownersOf(paths),
      records: (owned, recLog) => dpkgRecords(fs, owned, recLog),
    };
  try {
    const db = await readRpmDbCached(fs);
    if (db) {
      const files = function* (): Generator<[string, string]> {
        for (const pkg of db.packages) for (const f of pkg.files) yield [f.path, pkg.name];
      };
      const own = rpmOwnership(files(), `package ownership from rpm ${db.format} database ${db.path}`);
      // The owners' headers only: the record then comes from the package the finding names.
      own.records = (owned) => {
        const names = new Set(owned.values());
        const packages = db.packages.filter((p) => names.has(p.name));
        return Promise.resolve(rpmRecords({ ...db, packages }, owned.keys(), pathVariants));
      };
      return own;
    }
  } catch (err) {
    log.add(err instanceof RpmDbError ? err.dbPath : undefined, err);
    return undefined;
  }
  const apk = await readApkInstalled(fs, log);
  if (!apk) return undefined;
  const files = function* (): Generator<[string, string]> {
    for (const pkg of apk) for (const f of pkg.files) yield [f.path, pkg.name];
  };
  const own = indexedOwnership('apk', files(), `package ownership from apk database ${APK_INSTALLED}`);
  own.records = (owned) => Promise.resolve(apkRecords(apk, owned));
  return own;
}
