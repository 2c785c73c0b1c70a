// What the rpm database says the watched system programs should be, in the shape the integrity
// collector compares against (the same it builds from dpkg's md5sums): package, listed path, digest
// in the header's own algorithm, and whether the file is %config (edits expected, not a finding).
import type { TargetFs } from '../../../target/fs.js';
import { FILE_FLAG, nevra } from './header.js';
import { readRpmDbCached, type RpmDatabase } from './index.js';

/** A package's record of one file; dpkg fills md5 only. */
export interface Expected {
  pkg: string;
  listed: string;
  md5?: string;
  sha256?: string;
  /** rpm's %config: a local edit is the admin's, as `rpm -V` shows but does not blame. */
  config?: boolean;
  /** Full name-version-release.arch, for the analyst reinstalling the right build. */
  nevra?: string;
}

/** The same file under /usr-merge: /bin/ps ↔ /usr/bin/ps (kept here so rpm/ has no cycle). */
function aliases(p: string): string[] {
  const m = /^\/(?:usr\/)?(bin|sbin)\/(.+)$/.exec(p);
  return m ? [`/usr/${m[1]}/${m[2]}`, `/${m[1]}/${m[2]}`] : [p];
}

/**
 * The rpm expectations for the given programs, or undefined when the target has no rpm database.
 * Throws RpmDbError when the database exists but cannot be read. %ghost files and entries without a
 * digest (links, directories) say nothing about content and are left out.
 */
export async function rpmExpectations(
  fs: TargetFs,
  present: { path: string; real: string }[],
): Promise<{ db: RpmDatabase; expected: Map<string, Expected> } | undefined> {
  const db = await readRpmDbCached(fs);
  if (!db) return undefined;
  const wanted = new Set(present.flatMap((b) => [...aliases(b.path), ...aliases(b.real)]));
  const expected = new Map<string, Expected>();
  for (const pkg of db.packages) {
    for (const f of pkg.files) {
      if (!wanted.has(f.path) || f.digest === '' || (f.flags & FILE_FLAG.GHOST) !== 0) continue;
      const e: Expected = { pkg: pkg.name, listed: f.path, nevra: nevra(pkg) };
      if (pkg.digestAlgo === 'sha256') e.sha256 = f.digest;
      else if (pkg.digestAlgo === 'md5') e.md5 = f.digest;
      else continue; // sha1/sha512 headers are not seen on the distributions this tool serves
      if ((f.flags & FILE_FLAG.CONFIG) !== 0) e.config = true;
      for (const alias of aliases(f.path)) expected.set(alias, e);
    }
  }
  return { db, expected };
}
