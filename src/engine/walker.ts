// The file walker of the content scan: yields every regular file under the scan roots, with the
// stat fields the scan cache keys on, and reports what it leaves out (special files, symlink loops,
// unreadable directories, files over the size limit) instead of failing. It is a synchronous
// generator pulled by the scheduler, so memory stays bounded by the directory stack, not the tree.
import { lstatSync, readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { errnoCode, errorMessage } from '../collect/support.js';

export interface WalkFile {
  /** For display and the snapshot: invalid UTF-8 bytes of a name are written as \xNN. */
  path: string;
  /** What to open: the string path, or the raw bytes when a name is not valid UTF-8. */
  io: string | Buffer;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  mode: number;
}

export interface WalkSkip {
  path: string;
  reason: string;
  detail?: string;
}

export type WalkEvent = { type: 'file'; file: WalkFile } | { type: 'skip'; skip: WalkSkip };

export interface WalkOptions {
  roots: readonly string[];
  /** Stay on each root's filesystem (the default); --full and --cross-fs turn it off. */
  oneFileSystem: boolean;
  /** Larger files are skipped with reason `too-large`. */
  maxFileSize: number;
  /** Absolute paths never entered (minehunter's own install dir and rules, the cache). */
  exclude: readonly string[]; /** Directories left out and reported with reason `package-store` (the default scope's stores). */
  prune?: RegExp;
  /**
   * Leave out archives and packages by name (reason `archive-not-expanded`) unless they carry an exec
   * bit: the default scope's choice, since an archive cannot run until it is unpacked, and the
   * unpacked file or the running program is what the default scan finds.
   */
  skipArchiveNames?: boolean;
  /** Leave out other minehunter checkouts and installs (their rules and samples match themselves). */
  skipOwnInstalls?: boolean;
  /**
   * The root of an offline system (--root): paths are shown as that system sees them (/tmp/x, not
   * /mnt/image/tmp/x), like every other part of a snapshot, so respond finds them under the root.
   */
  displayRoot?: string;
}

/** `p` as the system under `displayRoot` sees it; unchanged outside it or without one. */
export function shownPath(p: string, displayRoot: string | undefined): string {
  if (!displayRoot || displayRoot === '/' || !isUnder(p, displayRoot)) return p;
  const rel = p.slice(displayRoot.replace(/\/+$/, '').length);
  return rel === '' ? '/' : rel;
}

export const ARCHIVE_NAMES =
  /\.(?:whl|jar|war|ear|zip|tar|gz|tgz|xz|txz|bz2|tbz2?|zst|lz4|7z|rar|rpm|deb|apk|iso|img|qcow2|vmdk|egg|nupkg|crate)$/i;

/** A directory holding minehunter itself: package.json named "minehunter" beside a rules/ directory. */
function isMinehunterTree(dirIo: string | Buffer, names: Set<string>): boolean {
  if (!names.has('package.json') || !names.has('rules')) return false;
  try {
    const pkg = readFileSync(
      typeof dirIo === 'string'
        ? `${dirIo}/package.json`
        : Buffer.concat([dirIo, Buffer.from('/package.json')]),
      'utf8',
    );
    return (JSON.parse(pkg) as { name?: unknown }).name === 'minehunter';
  } catch {
    return false;
  }
}

/**
 * Stores that package managers and toolchain installers fill and verify themselves (rustup, pyenv,
 * npm, Maven, Cargo, pip, Gradle, Go modules). On a developer's machine they hold most of the bytes
 * under /root and /home (here 6 GiB of 6 GiB), so the default scope skips them, says so, and
 * leaves them to --full and --path; what runs from them is still scanned as a process executable.
 */
export const PACKAGE_STORES =
  /\/(?:\.rustup\/toolchains|\.pyenv\/versions|\.npm\/_cacache|\.m2\/repository|\.cargo\/registry|\.cache\/pip|\.gradle\/caches|go\/pkg\/mod|\.cache\/go-build)$/;

/** Pseudo filesystems: their files are not content and reading some of them blocks or has effects. */
export const PSEUDO_DIRS = ['/proc', '/sys', '/dev'];
/** /dev/shm is a tmpfs miners drop into, not a device; it stays in scope when named. */
const PSEUDO_EXCEPTIONS = ['/dev/shm'];

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** Escapes the bytes of a path that are not valid UTF-8, so it prints and round-trips as JSON. */
export function displayPath(raw: Buffer): string {
  const text = raw.toString('utf8');
  if (!text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(raw)) return text;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const b = raw[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    const chunk = len > 0 ? raw.subarray(i, i + len) : undefined;
    const decoded = chunk && chunk.length === len ? chunk.toString('utf8') : '\uFFFD';
    if (len > 0 && !decoded.includes('\uFFFD') && Buffer.from(decoded, 'utf8').equals(chunk as Buffer)) {
      out += decoded === '\\' ? '\\\\' : decoded;
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return out;
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** True for /proc, /sys and /dev (but not /dev/shm) and anything under them. */
export function isPseudoPath(p: string): boolean {
  if (PSEUDO_EXCEPTIONS.some((e) => isUnder(p, e))) return false;
  return PSEUDO_DIRS.some((d) => isUnder(p, d));
}

interface Dir {
  io: string | Buffer;
  /** The path as shown (relative to the display root, bad bytes escaped). */
  display: string;
  /** The path on this host as text, for the pseudo-filesystem and exclusion checks. */
  host: string;
  dev: number;
}

function join(dir: Dir, name: string | Buffer): { io: string | Buffer; display: string; host: string } {
  const under = (parent: string, child: string): string =>
    parent === '/' ? `/${child}` : `${parent}/${child}`;
  if (typeof dir.io === 'string' && typeof name === 'string') {
    const io = under(dir.io, name);
    // Without a display root (a live scan) the shown path is the host path: no second string.
    return { io, display: dir.display === dir.io ? io : under(dir.display, name), host: io };
  }
  const base = typeof dir.io === 'string' ? Buffer.from(dir.io) : dir.io;
  const n = typeof name === 'string' ? Buffer.from(name) : name;
  const io = Buffer.concat([base, Buffer.from(base.length === 1 && base[0] === 0x2f ? '' : '/'), n]);
  // Escaping name by name equals escaping the whole path: "/" never sits inside a UTF-8 sequence.
  const shownName = typeof name === 'string' ? name : displayPath(name);
  return { io, display: under(dir.display, shownName), host: under(dir.host, shownName) };
}

/** Reads a directory; names that are not valid UTF-8 come back as raw bytes so they can be opened. */
function listDir(dir: Dir): { name: string | Buffer; dirent: Dirent | Dirent<Buffer> }[] {
  const entries = readdirSync(dir.io, { withFileTypes: true });
  if (!entries.some((e) => e.name.includes('\uFFFD')))
    return entries.map((e) => ({ name: e.name, dirent: e }));
  // Re-read as bytes: the lossy UTF-8 names could not be opened.
  return readdirSync(dir.io, { withFileTypes: true, encoding: 'buffer' }).map((e) => {
    const text = e.name.toString('utf8');
    const name = Buffer.from(text, 'utf8').equals(e.name) ? text : e.name;
    return { name, dirent: e };
  });
}

/**
 * Walks the roots depth first. Symlinks are never followed (so a loop cannot trap the walk); one
 * that points back into a loop is reported as `symlink-loop`. A directory reached twice (a bind
 * mount of its own parent) is entered once.
 */
export function* walk(opts: WalkOptions): Generator<WalkEvent> {
  const excluded = opts.exclude.map((e) => path.resolve(e));
  const seenDirs = new Set<string>();
  for (const root of opts.roots) {
    const shownRoot = shownPath(root, opts.displayRoot);
    let st;
    try {
      st = statSync(root);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT')
        yield { type: 'skip', skip: { path: shownRoot, reason: reasonOf(err), detail: errorMessage(err) } };
      continue;
    }
    if (st.isFile()) {
      const file = fileOf(root, shownRoot, st);
      const skip = fileSkip(file, opts.maxFileSize);
      yield skip ? { type: 'skip', skip } : { type: 'file', file };
      continue;
    }
    if (!st.isDirectory()) {
      yield { type: 'skip', skip: { path: shownRoot, reason: 'special-file' } };
      continue;
    }
    const stack: Dir[] = [{ io: root, display: shownRoot, host: root, dev: st.dev }];
    while (stack.length > 0) {
      const dir = stack.pop() as Dir;
      let entries;
      try {
        entries = listDir(dir);
      } catch (err) {
        yield { type: 'skip', skip: { path: dir.display, reason: reasonOf(err), detail: errorMessage(err) } };
        continue;
      }
      if (opts.skipOwnInstalls && isMinehunterTree(dir.io, new Set(entries.map((e) => String(e.name))))) {
        yield { type: 'skip', skip: { path: dir.display, reason: 'minehunter-install' } };
        continue;
      }
      const subdirs: Dir[] = [];
      for (const { name, dirent } of entries) {
        const child = join(dir, name);
        if (dirent.isSymbolicLink()) {
          // Not followed; only a loop is worth telling the user about.
          try {
            statSync(child.io);
          } catch (err) {
            if (errnoCode(err) === 'ELOOP')
              yield { type: 'skip', skip: { path: child.display, reason: 'symlink-loop' } };
          }
          continue;
        }
        if (dirent.isDirectory()) {
          if (isPseudoPath(child.host) || excluded.some((e) => isUnder(child.host, e))) continue;
          if (opts.prune?.test(child.display)) {
            yield {
              type: 'skip',
              skip: { path: child.display, reason: 'package-store', detail: 'scanned with --full or --path' },
            };
            continue;
          }
          let dst;
          try {
            dst = lstatSync(child.io);
          } catch (err) {
            yield {
              type: 'skip',
              skip: { path: child.display, reason: reasonOf(err), detail: errorMessage(err) },
            };
            continue;
          }
          if (opts.oneFileSystem && dst.dev !== dir.dev) continue;
          const key = `${dst.dev}:${dst.ino}`;
          if (seenDirs.has(key)) continue;
          seenDirs.add(key);
          subdirs.push({ io: child.io, display: child.display, host: child.host, dev: dst.dev });
          continue;
        }
        if (!dirent.isFile()) {
          yield {
            type: 'skip',
            skip: { path: child.display, reason: 'special-file', detail: kindOf(dirent) },
          };
          continue;
        }
        if (excluded.some((e) => isUnder(child.host, e))) continue;
        let fst;
        try {
          fst = lstatSync(child.io);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT')
            yield {
              type: 'skip',
              skip: { path: child.display, reason: reasonOf(err), detail: errorMessage(err) },
            };
          continue;
        }
        if ((fst.mode & S_IFMT) !== S_IFREG) continue;
        const file = fileOf(child.io, child.display, fst);
        if (opts.skipArchiveNames && (fst.mode & 0o111) === 0 && ARCHIVE_NAMES.test(child.display)) {
          yield {
            type: 'skip',
            skip: {
              path: file.path,
              reason: 'archive-not-expanded',
              detail: 'scanned with --full or --path',
            },
          };
          continue;
        }
        const skip = fileSkip(file, opts.maxFileSize);
        yield skip ? { type: 'skip', skip } : { type: 'file', file };
      }
      // Reverse so the depth-first walk visits directories in listing order.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as Dir);
    }
  }
}

function fileOf(
  io: string | Buffer,
  display: string,
  st: { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number },
): WalkFile {
  return {
    path: display,
    io,
    dev: st.dev,
    ino: st.ino,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    mode: st.mode,
  };
}

function fileSkip(file: WalkFile, maxFileSize: number): WalkSkip | undefined {
  if (file.size === 0) return { path: file.path, reason: 'empty' };
  if (file.size > maxFileSize)
    return { path: file.path, reason: 'too-large', detail: `${file.size} bytes > limit ${maxFileSize}` };
  return undefined;
}

function kindOf(d: Dirent | Dirent<Buffer>): string {
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'character device';
  if (d.isBlockDevice()) return 'block device';
  return 'unknown type';
}

/** The skip reason for a failed read: permission problems are `unreadable`, the rest `error`. */
export function reasonOf(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ELOOP') return 'symlink-loop';
  if (code === 'ENOENT') return 'vanished';
  return 'error';
}
