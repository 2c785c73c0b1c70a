// Alpine's apk database (`/lib/apk/db/installed`) as an ownership source: which package installed a
// path in an Alpine host or container root. Read as text from the target, never through `apk`, which
// is not on the analyst's machine and on a suspect root may be the attacker's.
import type { TargetFs } from '../../../target/fs.js';
import { type CollectorLog, isGone } from '../../support.js';
import type { Expected } from '../rpm/verify.js';
import { pathVariants } from './dpkg.js';

export const APK_INSTALLED = '/lib/apk/db/installed';

export interface ApkFile {
  /** Absolute path in the target: `/` + the F: directory + `/` + the R: name. */
  path: string;
  /** Hex digest from Z: (`Q1` = SHA-1, `Q2` = SHA-256; of the link text for a symlink). */
  sha1?: string;
  sha256?: string;
}

export interface ApkPackage {
  name: string;
  version: string;
  arch?: string;
  files: ApkFile[];
}

/** `Q1<base64>` → the SHA-1 in hex; apk-tools 3 may write `Q2` (SHA-256). Anything else is kept out. */
function checksum(z: string): Pick<ApkFile, 'sha1' | 'sha256'> {
  const hex = Buffer.from(z.slice(2), 'base64').toString('hex');
  if (z.startsWith('Q1') && hex.length === 40) return { sha1: hex };
  if (z.startsWith('Q2') && hex.length === 64) return { sha256: hex };
  return {};
}

/**
 * Parses the installed database: one stanza per package, separated by blank lines, one `X:value`
 * field a line. Files are `R:` lines that belong to the last `F:` directory before them; their
 * `Z:` checksum follows. A stanza without `P:` (damage, a half-written file) is skipped.
 */
export function parseApkInstalled(text: string): ApkPackage[] {
  const out: ApkPackage[] = [];
  let pkg: ApkPackage | undefined;
  let dir = '';
  let file: ApkFile | undefined;
  const finish = (): void => {
    if (pkg?.name) out.push(pkg);
    pkg = undefined;
    dir = '';
    file = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      finish();
      continue;
    }
    if (line[1] !== ':') continue; // not a field: apk ignores it too
    const key = line[0];
    const value = line.slice(2);
    pkg ??= { name: '', version: '', files: [] };
    if (key === 'P') pkg.name = value;
    else if (key === 'V') pkg.version = value;
    else if (key === 'A') pkg.arch = value;
    else if (key === 'F') {
      dir = value.replace(/^\/+|\/+$/g, '');
      file = undefined;
    } else if (key === 'R') {
      file = { path: dir ? `/${dir}/${value}` : `/${value}` };
      pkg.files.push(file);
    } else if (key === 'Z' && file) Object.assign(file, checksum(value));
  }
  finish();
  return out;
}

/**
 * The target's apk packages; undefined when it has no apk database. An unreadable database, or one
 * that names no package (apk-tools is itself a package, so a real one never does), goes to the
 * caller's log and also returns undefined: ownership is then unknown, not "nothing is owned".
 */
export async function readApkInstalled(fs: TargetFs, log: CollectorLog): Promise<ApkPackage[] | undefined> {
  let text: string;
  try {
    text = await fs.text(APK_INSTALLED);
  } catch (err) {
    if (!isGone(err)) log.add(APK_INSTALLED, err);
    return undefined;
  }
  const packages = parseApkInstalled(text);
  if (packages.length > 0) return packages;
  log.add(APK_INSTALLED, new Error(`apk database names no package (${text.length} bytes): corrupt or wiped`));
  return undefined;
}

/**
 * The checksum apk recorded for each owned path (path → owning package), keyed by the path as asked:
 * `Z:` is the SHA-1 (Q1) or SHA-256 (Q2) of the content. apk keeps no size or mode and has no
 * notion of configuration files among libraries, so an apk check is digest only.
 */
export function apkRecords(packages: ApkPackage[], owned: Map<string, string>): Map<string, Expected> {
  const wanted = new Set(owned.values());
  const byPath = new Map<string, Expected>();
  for (const pkg of packages) {
    if (!wanted.has(pkg.name)) continue;
    for (const f of pkg.files) {
      if (f.sha1 !== undefined) byPath.set(f.path, { pkg: pkg.name, listed: f.path, sha1: f.sha1 });
      else if (f.sha256 !== undefined)
        byPath.set(f.path, { pkg: pkg.name, listed: f.path, sha256: f.sha256 });
    }
  }
  const out = new Map<string, Expected>();
  for (const p of owned.keys()) {
    const hit = pathVariants(p)
      .map((v) => byPath.get(v))
      .find((e) => e !== undefined);
    if (hit) out.set(p, hit);
  }
  return out;
}
