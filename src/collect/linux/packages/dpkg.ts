// dpkg's file lists (/var/lib/dpkg/info/*.list) as an ownership source: which package installed a
// path, with the merged-/usr spellings dpkg and /proc disagree on. Moved from preload.ts so the
// ownership interface can offer it beside rpm.
import type { TargetFs } from '../../../target/fs.js';
import { type CollectorLog, isGone, mapLimit } from '../../support.js';

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
