// dpkg's file lists (/var/lib/dpkg/info/*.list) as an ownership source: which package installed a
// path, with the merged-/usr spellings dpkg and /proc disagree on; and its md5sums files, the only
// record dpkg keeps of a file's content (no size, no mode: a dpkg check is digest only). Moved from
// preload.ts so the ownership interface can offer it beside rpm and apk.
import type { TargetFs } from '../../../target/fs.js';
import { type CollectorLog, isGone, mapLimit } from '../../support.js';
import type { Expected } from '../rpm/verify.js';

const DPKG_INFO = 'var/lib/dpkg/info';

/**
 * The other spellings of a path under merged /usr: dpkg may list `/lib/x86_64-linux-gnu/libc.so.6`
 * while /proc/PID/maps shows `/usr/lib/x86_64-linux-gnu/libc.so.6`, and the other way round.
 */
export function pathVariants(p: string): string[] {
  const out = [p];
  const m = /^\/usr(\/(?:lib|lib32|lib64|libx32|bin|sbin)\/.*)$/.exec(p);
  if (m?.[1]) out.push(m[1]);
  else if (/^\/(?:lib|lib32|lib64|libx32|bin|sbin)\//.test(p)) out.push(`/usr${p}`);
  return out;
}

/** `libc6:amd64.list` → `libc6`; dpkg keeps one list per installed package. */
function packageName(listFile: string): string {
  return listFile.replace(/\.list$/, '').replace(/:[^:]*$/, '');
}

/** Reads every dpkg file list once; the texts are searched when the wanted paths are known. */
export async function readDpkgLists(
  fs: TargetFs,
  log: CollectorLog,
): Promise<Map<string, string> | undefined> {
  let names: string[];
  try {
    names = (await fs.names(DPKG_INFO)).filter((n) => n.endsWith('.list'));
  } catch (err) {
    if (!isGone(err)) log.add(`/${DPKG_INFO}`, err);
    return undefined;
  }
  const texts = new Map<string, string>();
  await mapLimit(names, 16, async (name) => {
    const file = `/${DPKG_INFO}/${name}`;
    try {
      texts.set(packageName(name), (await fs.read(file)).toString('latin1'));
    } catch (err) {
      log.add(file, err);
    }
  });
  return texts;
}

/** Which package lists each wanted path (any of its merged-/usr spellings). */
export function ownersOf(lists: Map<string, string>, wanted: string[]): Map<string, string> {
  const variantOf = new Map<string, string>();
  for (const p of wanted) for (const v of pathVariants(p)) variantOf.set(v, p);
  const owners = new Map<string, string>();
  // A handful of wanted paths against thousands of lists: a native substring search per path is
  // far cheaper than splitting every list into lines (this runs inside the scan's time budget).
  for (const [pkg, text] of [...lists].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const [variant, p] of variantOf) {
      if (owners.has(p)) continue;
      let at = text.indexOf(variant);
      while (at >= 0) {
        const end = at + variant.length;
        const wholeLine = (at === 0 || text[at - 1] === '\n') && (end === text.length || text[end] === '\n');
        if (wholeLine) {
          owners.set(p, pkg);
          break;
        }
        at = text.indexOf(variant, at + 1);
      }
    }
  }
  return owners;
}

/** Parses one `info/<pkg>.md5sums` file: `<md5>  <path without leading slash>`. */
export function parseMd5sums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{32})\s+(.+)$/.exec(line.trim());
    if (m) out.set(`/${m[2]}`, m[1]!);
  }
  return out;
}

/**
 * The md5 dpkg recorded for each owned path (path → owning package), keyed by the path as asked.
 * Only the owners' md5sums files are read (`<pkg>.md5sums` or `<pkg>:<arch>.md5sums`); a package
 * without one (some old or hand-built packages ship none) leaves its paths without a record.
 * Conffiles are never in md5sums, so configuration is excluded as rpm's %config is.
 */
export async function dpkgRecords(
  fs: TargetFs,
  owned: Map<string, string>,
  log: CollectorLog,
): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  let names: string[];
  try {
    names = (await fs.names(DPKG_INFO)).filter((n) => n.endsWith('.md5sums'));
  } catch (err) {
    if (!isGone(err)) log.add(`/${DPKG_INFO}`, err);
    return out;
  }
  const byPkg = new Map<string, string[]>();
  for (const [p, pkg] of owned) byPkg.set(pkg, [...(byPkg.get(pkg) ?? []), p]);
  const files = names.filter((n) => byPkg.has(n.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '')));
  await mapLimit(files, 16, async (n) => {
    const pkg = n.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '');
    let sums: Map<string, string>;
    try {
      sums = parseMd5sums((await fs.read(`/${DPKG_INFO}/${n}`)).toString('utf8'));
    } catch (err) {
      log.add(`/${DPKG_INFO}/${n}`, err);
      return;
    }
    for (const p of byPkg.get(pkg) ?? []) {
      for (const v of pathVariants(p)) {
        const md5 = sums.get(v);
        if (md5 === undefined) continue;
        out.set(p, { pkg, listed: v, md5 });
        break;
      }
    }
  });
  return out;
}
