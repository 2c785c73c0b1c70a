// Entry names of image tarballs and layers, made safe: `./` and `/` prefixes are dropped (tools write
// both), `..` that would climb above the root is refused, and the whiteout names of the OCI layer
// format (`.wh.<name>` deletes, `.wh..wh..opq` makes a directory opaque) are told apart from files.
import path from 'node:path';

export type NameCheck =
  /** `path` is absolute inside the image (`/usr/bin/x`); `absolute` when the entry was named with a leading `/`. */
  | { ok: true; path: string; absolute: boolean }
  /** `root`: the entry names the root itself (`./`), which carries nothing. */
  | { ok: false; reason: 'path-traversal' | 'root' };

/** Parts of one or more characters, none of them `.` or `..`, one `/` between, perhaps one at the end. */
const PLAIN_NAME = /^(?!\.\.?(?:\/|$))[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]+)*\/?$/;

/**
 * The entry's place in the image. `..` is resolved as it goes, and one that climbs above the root
 * is refused rather than clamped: a tar that asks for it is hostile, whatever a runtime would do.
 */
export function normaliseEntryName(name: string): NameCheck {
  // Most names are plain (`usr/bin/x`, `etc/`): no empty, `.` or `..` part to resolve.
  if (PLAIN_NAME.test(name))
    return { ok: true, path: `/${name.endsWith('/') ? name.slice(0, -1) : name}`, absolute: false };
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { ok: false, reason: 'path-traversal' };
      out.pop();
      continue;
    }
    out.push(part);
  }
  if (out.length === 0) return { ok: false, reason: 'root' };
  return { ok: true, path: `/${out.join('/')}`, absolute: name.startsWith('/') };
}

/**
 * A path of the outer archive (`blobs/sha256/ab…`, `abc/layer.tar`) as a key: relative, no `./`.
 * Undefined when it climbs out of the archive.
 */
export function archiveKey(name: string): string | undefined {
  const n = normaliseEntryName(name);
  return n.ok ? n.path.slice(1) : undefined;
}

/** Where a symbolic link of the outer archive leads, as a key, or undefined when out of it. */
export function archiveLinkTarget(key: string, linkname: string): string | undefined {
  const base = linkname.startsWith('/') ? '' : path.posix.dirname(key);
  return archiveKey(base === '.' || base === '' ? linkname : `${base}/${linkname}`);
}

const OPAQUE = '.wh..wh..opq';
const WHITEOUT = '.wh.';

export type Whiteout =
  | { type: 'delete'; path: string }
  | { type: 'opaque'; dir: string }
  /** `.wh..wh.plnk`, `.wh..wh.aufs` and kin: aufs bookkeeping, no meaning for the filesystem. */
  | { type: 'meta' }
  | { type: 'bad'; detail: string };

/** The whiteout an (already normalised) path is, or undefined for an ordinary entry. */
export function whiteoutOf(p: string): Whiteout | undefined {
  const base = path.posix.basename(p);
  if (!base.startsWith(WHITEOUT)) return undefined;
  const dir = path.posix.dirname(p);
  if (base === OPAQUE) return { type: 'opaque', dir };
  if (base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return { type: 'meta' };
  const name = base.slice(WHITEOUT.length);
  if (name === '' || name === '.' || name === '..')
    return { type: 'bad', detail: `whiteout names no file: ${base}` };
  return { type: 'delete', path: dir === '/' ? `/${name}` : `${dir}/${name}` };
}

/** The strict ancestors of an absolute path, nearest the root first: `/a/b/c` → `/a`, `/a/b`. */
export function ancestorsOf(p: string): string[] {
  const parts = p.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}
