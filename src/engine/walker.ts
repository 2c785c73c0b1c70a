// The file walker of the content scan: yields every regular file under the scan roots, with the
// stat fields the scan cache keys on, and reports what it leaves out (special files, symlink loops,
// unreadable directories, empty files) instead of failing. A file over the size limit is yielded
// like any other: the scan reads it by its parts (file-parts.ts), so padding cannot hide a miner. It is a synchronous
// generator pulled by the scheduler; directories are listed (see dir-lister.ts) a batch of at most
// LIST_BATCH_ENTRIES entries at a time, so memory stays bounded by the directory stack and one
// batch, not the tree. Symlinks are never walked through: entries are lstat-ed and a link is only
// reported when it loops; with an offline root (displayRoot) the roots themselves and that loop
// check resolve inside the root, so a hostile absolute link on a mounted disk never reaches the
// analyst's own files.
import { closeSync, constants as fsConstants, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolveInRootSync } from '../target/fs.js';
import { errnoCode, errorMessage } from '../util/errors.js';
import { reasonOf, type WalkSkip } from './skips.js';

export { reasonOf, type WalkSkip };
import {
  childPath,
  dirLister,
  type DirLister,
  type DirListing,
  type EntryKind,
  type Descent,
  type ListedTree,
  type Listing,
  type Vouch,
  S_IFMT,
  S_IFREG,
} from './dir-lister.js';
import { RULES_FILE_MAGIC } from './compiled-cache.js';
import { INDEX_FILE_MAGIC, type IndexArrays } from './file-index.js';
import { SHORT_PATH_BYTES, tooLongToName, type ShortPaths } from './short-paths.js';

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
  /**
   * A root named as a file may be a symbolic link to one (stat follows it): it is opened through
   * the link. Walked entries were lstat-ed as regular files and are opened without following.
   */
  follow?: true;
}

export type WalkEvent =
  | { type: 'file'; file: WalkFile }
  | { type: 'skip'; skip: WalkSkip }
  /** Files the scan cache vouched for (see `unchanged`), a batch of directories at a time: counted, not listed. */
  | { type: 'unchanged'; files: number; bytes: number };

export interface WalkOptions {
  roots: readonly string[];
  /** Stay on each root's filesystem (the default); --full and --cross-fs turn it off. */
  oneFileSystem: boolean;
  /** Absolute paths never entered (minehunter's own install dir and rules, the cache). */
  exclude: readonly string[];
  /** Directories left out and reported with reason `package-store` (the default scope's stores). */
  prune?: Prune;
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
   * A scan root under it is resolved inside it as a chroot would (`/opt -> /data/opt` is walked at
   * <root>/data/opt and shown as /opt), and so is a symlink's loop check: nothing under this root
   * follows a link out of it.
   */
  displayRoot?: string;
  /**
   * The warm rescan's shortcut: the scan cache's index as it is now (asked once per batch). The
   * files it holds in exactly their current state with nothing found are left out by the lister
   * and only counted (see Vouch), after every rule above: a rescan of an unchanged tree then
   * builds no path or object per file.
   */
  unchanged?: () => IndexArrays | undefined;
  /**
   * Name what lies past PATH_MAX through an open directory (short-paths.ts; the caller closes it
   * once every file handed out is read). Not under an offline root: a path there is opened inside
   * the root only (see displayRoot), which a descriptor's magic link would leave.
   */
  shortPaths?: ShortPaths;
}

/** `p` as the system under `displayRoot` sees it; unchanged outside it or without one. */
export function shownPath(p: string, displayRoot: string | undefined): string {
  if (!displayRoot || displayRoot === '/' || !isUnder(p, displayRoot)) return p;
  const rel = p.slice(displayRoot.replace(/\/+$/, '').length);
  return rel === '' ? '/' : rel;
}

/** Endings of archives and packages, by name (see skipArchiveNames). */
const ARCHIVE_EXTENSIONS = (
  'whl jar war ear zip tar gz tgz xz txz bz2 tbz tbz2 zst lz4 7z rar rpm deb apk iso img qcow2 ' +
  'vmdk egg nupkg crate'
).split(' ');
export const ARCHIVE_NAMES = new RegExp(`\\.(?:${ARCHIVE_EXTENSIONS.join('|')})$`, 'i');

/** A directory holding minehunter itself: package.json named "minehunter" beside a rules/ directory. */
function isMinehunterTree(dirIo: string | Buffer, entries: DirListing): boolean {
  if (!entries.has('package.json') || !entries.has('rules')) return false;
  try {
    const pkg = readFileSync(childPath(dirIo, 'package.json'), 'utf8');
    return (JSON.parse(pkg) as { name?: unknown }).name === 'minehunter';
  } catch {
    return false;
  }
}

/**
 * The names of a scan cache's files (cache.ts): the database, its WAL and shared memory, the index,
 * the compiled rules used last.
 */
const CACHE_FILE_NAME = /^scan-cache\.sqlite(?:-wal|-shm|-index|-rules)?$/;

/**
 * True for another user's minehunter scan cache (~/.cache/minehunter/scan-cache.sqlite…): our own
 * data, masked, which grows past the scan budget on a host with many files and would then be
 * reported as read only in parts. The name alone would let anything hide there, so the file must
 * also begin as the tool writes it: a SQLite database, its write-ahead log, or our index. None of
 * these can be run as a program. The -shm file has no header of its own: it is small and scanned.
 */
function isMinehunterCacheFile(dir: Dir, name: string | Buffer, io: string | Buffer): boolean {
  // Per walked file: a string test, no allocation, before anything else.
  if (!dir.host.endsWith('/minehunter')) return false;
  if (!CACHE_FILE_NAME.test(name.toString()) || name.toString().endsWith('-shm')) return false;
  const head = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(io, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    if (readSync(fd, head, 0, 16, 0) < 16) return false;
  } catch {
    return false; // unreadable or gone: the content scan says so
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return (
    head.equals(Buffer.from('SQLite format 3\0')) ||
    head.readUInt32LE(0) === INDEX_FILE_MAGIC ||
    head.readUInt32LE(0) === RULES_FILE_MAGIC ||
    (head.readUInt32BE(0) & ~1) === 0x377f0682 // the WAL's magic, either byte order of its checksums
  );
}

/**
 * Directories left out by how their shown paths end. `leaves` holds the last name of every path
 * `test` matches: the lister never enters a directory of such a name by itself (see Descent).
 */
export interface Prune {
  test(display: string): boolean;
  readonly leaves: readonly string[];
}

/** A Prune of the directories whose paths end in one of `ends` ("a/b": a directory b in one named a). */
export function pruneByEnds(ends: readonly string[]): Prune {
  const escaped = ends.map((e) => e.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`/(?:${escaped.join('|')})$`);
  return { test: (p) => pattern.test(p), leaves: [...new Set(ends.map((e) => path.posix.basename(e)))] };
}

/**
 * Stores that package managers and toolchain installers fill and verify themselves (rustup, pyenv,
 * npm, Maven, Cargo, pip, Gradle, Go modules). On a developer's machine they hold most of the bytes
 * under /root and /home (here 6 GiB of 6 GiB), so the default scope skips them, says so, and
 * leaves them to --full and --path; what runs from them is still scanned as a process executable.
 */
export const PACKAGE_STORES = pruneByEnds([
  '.rustup/toolchains',
  '.pyenv/versions',
  '.npm/_cacache',
  '.m2/repository',
  '.cargo/registry',
  '.cache/pip',
  '.gradle/caches',
  'go/pkg/mod',
  '.cache/go-build',
]);

/** Pseudo filesystems: their files are not content and reading some of them blocks or has effects. */
export const PSEUDO_DIRS = ['/proc', '/sys', '/dev'];
/** /dev/shm is a tmpfs miners drop into, not a device; it stays in scope when named. */
const PSEUDO_EXCEPTIONS = ['/dev/shm'];

/** Directories and entries listed per call of the lister (see walk). */
const LIST_BATCH_DIRS = 1024;
const LIST_BATCH_ENTRIES = 65_536;

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
  // Called for every directory: most paths are ruled out by their first letters.
  if (!(p.startsWith('/proc') || p.startsWith('/sys') || p.startsWith('/dev'))) return false;
  if (PSEUDO_EXCEPTIONS.some((e) => isUnder(p, e))) return false;
  return PSEUDO_DIRS.some((d) => isUnder(p, d));
}

interface Dir {
  io: string | Buffer;
  /**
   * The directory's short name (`/proc/self/fd/N`) once a child's path grew too long to open
   * (see short-paths.ts); null when it could not be opened.
   */
  short?: string | null;
  /** The path as shown (relative to the display root, bad bytes escaped). */
  display: string;
  /** The path on this host as text, for the pseudo-filesystem and exclusion checks. */
  host: string;
  dev: number;
}

function join(
  dir: Dir,
  name: string | Buffer,
  shortPaths?: ShortPaths,
): { io: string | Buffer; display: string; host: string } {
  const io = childPath(dir.io, name);
  if (shortPaths && tooLongToName(io)) {
    if (dir.short === undefined) dir.short = shortPaths.open(dir.io) ?? null;
    if (dir.short !== null) {
      // Named through the open directory; shown, and checked against exclusions, by its full path.
      const shownName = typeof name === 'string' ? name : displayPath(name);
      return {
        io: childPath(dir.short, name),
        display: under(dir.display, shownName),
        host: under(dir.host, shownName),
      };
    }
  }
  if (typeof io === 'string') {
    // Without a display root (a live scan) the shown and host paths are the path: no second
    // string. Below a directory named through a descriptor they are built from its own.
    return {
      io,
      display: dir.display === dir.io ? io : under(dir.display, name as string),
      host: dir.host === dir.io ? io : under(dir.host, name as string),
    };
  }
  // Escaping name by name equals escaping the whole path: "/" never sits inside a UTF-8 sequence.
  const shownName = typeof name === 'string' ? name : displayPath(name);
  return { io, display: under(dir.display, shownName), host: under(dir.host, shownName) };
}

function under(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/**
 * The walk's rules for what to leave out, built once from the options: exclusions by path and by
 * name, pseudo filesystems, pruned stores, one-filesystem, directories already entered, and the
 * keep-lists the lister needs when the scan cache vouches for a batch.
 */
class WalkFilter {
  /** The lister resolves symlinks under an offline root inside it (see DirLister.list). */
  readonly confineTo: string | undefined;
  private readonly excluded: string[];
  private readonly excludedPrefixes: string[];
  private readonly excludedNames = new Map<string, Set<string>>();
  private readonly excludedBaseNames: Set<string>;
  /** Directories entered, by device then inode (numbers: no key string per directory). */
  private readonly seenDirs = new Map<number, Set<number>>();
  private seenCount = 0;
  /** A listing whose directories the addon entered count as entered, not yet in seenDirs (see trust). */
  private pending: ListedTree | undefined;
  private readonly keepNames: string[];
  private readonly keepSuffixes: string[];
  /** Where the addon may enter directories by itself: a stricter form of classifyDir's rules. */
  readonly descent: Descent;

  // Precomputes the exclusion lookups and keep-lists so the per-entry checks stay cheap.
  constructor(private readonly opts: WalkOptions) {
    this.excluded = opts.exclude.map((e) => path.resolve(e));
    // Under an excluded directory: the path itself or one starting with it and a slash.
    this.excludedPrefixes = this.excluded.map((e) => (e.endsWith('/') ? e : `${e}/`));
    // A file can only be excluded by name in the directory holding it (a directory under an excluded
    // one is never entered): a file whose name is one of these is looked up by its directory.
    for (const e of this.excluded) {
      const names = this.excludedNames.get(path.dirname(e)) ?? new Set<string>();
      this.excludedNames.set(path.dirname(e), names.add(path.basename(e)));
    }
    this.excludedBaseNames = new Set(this.excluded.map((e) => path.basename(e)));
    // What the lister must list even when the cache vouches for it: the walker's rules by name.
    this.keepNames = [...this.excludedBaseNames];
    // isMinehunterTree looks for it.
    if (opts.skipOwnInstalls) this.keepNames.push('package.json');
    this.keepSuffixes = opts.skipArchiveNames ? ARCHIVE_EXTENSIONS.map((e) => `.${e}`) : [];
    this.confineTo = opts.displayRoot && opts.displayRoot !== '/' ? opts.displayRoot : undefined;
    // classifyDir's rules by path and name, made stricter where the addon cannot apply them as
    // they are: pseudo filesystems even under a confining root and /dev/shm; a pruned store by
    // its last name alone; nothing below a directory that may be a minehunter tree; no path the
    // walker would name through a descriptor. One-filesystem the addon keeps always; a directory
    // entered twice the walker still catches (walkTree's `enter`).
    this.descent = {
      stopPaths: [...this.excluded, ...PSEUDO_DIRS],
      stopNames: opts.prune?.leaves ?? [],
      holdNames: opts.skipOwnInstalls ? ['package.json'] : [],
      maxPath: SHORT_PATH_BYTES,
    };
  }

  // True for a directory at or under one of the excluded paths.
  isExcludedDir(p: string): boolean {
    return this.excluded.some((e, k) => p === e || p.startsWith(this.excludedPrefixes[k] as string));
  }

  // True for a file named by an exclusion in the directory holding it.
  isExcludedFile(dir: Dir, name: string | Buffer): boolean {
    return (
      typeof name === 'string' &&
      this.excludedBaseNames.has(name) &&
      this.excludedNames.get(dir.host)?.has(name) === true
    );
  }

  // True the first time a directory (by device and inode) is reached, so a bind mount is entered once.
  firstVisit(dev: number, ino: number): boolean {
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      for (let j = pending.asked.length; j < pending.length; j++) this.add(pending.dev(j), pending.ino(j));
    }
    return this.add(dev, ino);
  }

  private add(dev: number, ino: number): boolean {
    let inodes = this.seenDirs.get(dev);
    if (!inodes) this.seenDirs.set(dev, (inodes = new Set()));
    if (inodes.has(ino)) return false;
    inodes.add(ino);
    this.seenCount++;
    return true;
  }

  /**
   * Whether every directory the addon entered in `tree` is a first visit, with no check each: so
   * when the one directory entered so far is the one the call asked for, as the addon enters each
   * device and inode once per call, that one included (a warm rescan of one root, and the first
   * call of any walk). They then count as entered, and are added to the set in one pass when the
   * next check comes (none, in a warm rescan of one root: ~2,000 set lookups and as many boxed
   * numbers fewer, 1-3 ms of a fresh process's interpreter).
   */
  trust(tree: ListedTree): boolean {
    if (this.pending || this.seenCount !== 1 || tree.asked.length !== 1) return false;
    this.pending = tree;
    return true;
  }

  // The cache's vouch for the next batch (asked once per batch), with the names the lister must keep.
  vouchNow(): Vouch | undefined {
    const index = this.opts.unchanged?.();
    return (
      index && {
        ...index,
        // Every size: a file over the size limit is scanned too (by its parts), and vouched for
        // when its cached result is empty.
        maxSize: Number.MAX_SAFE_INTEGER,
        keepNames: this.keepNames,
        keepSuffixes: this.keepSuffixes,
      }
    );
  }
}

/**
 * Walks the roots depth first. Symlinks are never followed (so a loop cannot trap the walk and a
 * link to a directory never takes the walk outside the roots): an entry is a directory to enter
 * only when its lstat says so. One that points back into a loop is reported as `symlink-loop`. A
 * directory reached twice (a bind mount of its own parent) is entered once.
 */
export function* walk(opts: WalkOptions, lister: DirLister = dirLister()): Generator<WalkEvent> {
  const filter = new WalkFilter(opts);
  for (const named of opts.roots) {
    const start = openRoot(named, opts, filter);
    if (start === undefined) continue;
    if ('type' in start) yield start;
    else yield* walkTree(start, opts, filter, lister);
  }
}

/**
 * A scan root: the directory to walk, or the one event it makes (a file root's file or skip, an
 * unreadable or special root's skip), or nothing (missing, or a directory already walked).
 */
function openRoot(named: string, opts: WalkOptions, filter: WalkFilter): Dir | WalkEvent | undefined {
  const shownRoot = shownPath(named, opts.displayRoot);
  const confineTo = filter.confineTo;
  let root = named;
  let st;
  try {
    // A root of an offline system is where its own symlinks lead inside it, never outside.
    if (confineTo && isUnder(named, confineTo)) root = resolveInRootSync(confineTo, shownRoot);
    st = statSync(root);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT')
      return { type: 'skip', skip: { path: shownRoot, reason: reasonOf(err), detail: errorMessage(err) } };
    return undefined;
  }
  if (st.isFile()) {
    const file: WalkFile = { ...fileOf(root, shownRoot, st), follow: true };
    const skip = fileSkip(file);
    return skip ? { type: 'skip', skip } : { type: 'file', file };
  }
  if (!st.isDirectory()) return { type: 'skip', skip: { path: shownRoot, reason: 'special-file' } };
  // A root inside another (/etc and /etc/cron.d) is walked once.
  if (!filter.firstVisit(st.dev, st.ino)) return undefined;
  return { io: root, display: shownRoot, host: root, dev: st.dev };
}

/** Walks one root directory: lists the directory stack in batches and classifies each listing. */
function* walkTree(
  root: Dir,
  opts: WalkOptions,
  filter: WalkFilter,
  lister: DirLister,
): Generator<WalkEvent> {
  // Directories still to list. They are listed many at a time (the native lister spreads them
  // over the cores, and each call has a fixed cost), newest first, so the walk stays mostly depth
  // first and the stack stays short. The addon also enters what lies below them by itself, within
  // the same budget (see Descent): those are handled in the same pass, never put on the stack.
  const stack: Dir[] = [root];
  while (stack.length > 0) {
    const batch = stack.splice(Math.max(0, stack.length - LIST_BATCH_DIRS)).reverse();
    const tree = lister.listTree(
      batch.map((d) => d.io),
      LIST_BATCH_ENTRIES,
      filter.vouchNow(),
      filter.confineTo,
      filter.descent,
    );
    const asked = tree.asked.length;
    // What the budget left unlisted goes back, in the order it was taken.
    for (let i = batch.length - 1; i >= asked; i--) stack.push(batch[i] as Dir);
    // One event for the whole batch's unchanged files: on a warm rescan that is nearly all of it.
    const unchanged = { files: 0, bytes: 0 };
    // Per listed directory: its Dir once built, undefined while it need not be (entered by the
    // addon with nothing for the walker), null when the walk does not enter it.
    const dirs: (Dir | null | undefined)[] = batch.slice(0, asked);
    // Directory j, entered by the addon below `parent`: not entered by the walk (null) when its
    // parent is not or it was entered before (a bind mount of a directory inside itself); else its
    // Dir is left to build (undefined) until the walker needs it. The addon's own rules left out
    // everything else classifyDir would. No check at all when the filter trusts the listing.
    const enter = filter.trust(tree)
      ? undefined
      : (j: number, parent: number, dev: number, ino: number): boolean => {
          const entered = dirs[parent] !== null && filter.firstVisit(dev, ino);
          dirs[j] = entered ? undefined : null;
          return entered;
        };
    for (let j = 0; j < tree.length; j++) {
      // Past the directories asked for: on to the next one entered whose listing has something.
      if (j >= asked && (j = tree.passQuiet(j, enter, unchanged)) >= tree.length) break;
      const dir = dirOf(tree, j, dirs, filter.confineTo === undefined ? opts.shortPaths : undefined);
      yield* classifyListing(dir, tree.listing(j, dir.io), opts, filter, stack, unchanged);
    }
    if (unchanged.files > 0) yield { type: 'unchanged', files: unchanged.files, bytes: unchanged.bytes };
  }
}

/** Directory j's Dir, built from its parent's (and theirs, up to one already built) when needed. */
function dirOf(
  tree: ListedTree,
  j: number,
  dirs: (Dir | null | undefined)[],
  shortPaths: ShortPaths | undefined,
): Dir {
  const chain: number[] = [];
  let k = j;
  while (!dirs[k]) {
    chain.push(k);
    k = tree.parentOf(k);
  }
  let dir = dirs[k] as Dir;
  for (let c = chain.length - 1; c >= 0; c--) {
    const at = chain[c] as number;
    dir = { ...join(dir, tree.name(at), shortPaths), dev: tree.dev(at) };
    dirs[at] = dir;
  }
  return dir;
}

/**
 * One directory's listing: the events of its entries (or the skip for the whole directory), its
 * subdirectories to enter pushed onto `stack`, its unchanged files counted. Entries the addon
 * entered itself are left to their own listings.
 */
function* classifyListing(
  dir: Dir,
  entries: Listing,
  opts: WalkOptions,
  filter: WalkFilter,
  stack: Dir[],
  unchanged: { files: number; bytes: number },
): Generator<WalkEvent> {
  if (entries instanceof Error) {
    yield {
      type: 'skip',
      skip: { path: dir.display, reason: reasonOf(entries), detail: errorMessage(entries) },
    };
    return;
  }
  if (opts.skipOwnInstalls && isMinehunterTree(dir.io, entries)) {
    yield { type: 'skip', skip: { path: dir.display, reason: 'minehunter-install' } };
    return;
  }
  const subdirs: Dir[] = [];
  for (let i = 0; i < entries.length; i++) {
    if (entries.entered(i)) continue;
    const ev = classifyEntry(dir, entries, i, opts, filter, subdirs);
    if (ev) yield ev;
  }
  unchanged.files += entries.unchangedFiles;
  unchanged.bytes += entries.unchangedBytes;
  // Reverse so the depth-first walk visits directories in listing order.
  for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as Dir);
}

/**
 * Entry `i` of a directory's listing: the event it makes (a file to scan or a skip to report), or
 * nothing; a directory to enter is pushed onto `subdirs` instead.
 */
function classifyEntry(
  dir: Dir,
  entries: DirListing,
  i: number,
  opts: WalkOptions,
  filter: WalkFilter,
  subdirs: Dir[],
): WalkEvent | undefined {
  const kind = entries.kind(i);
  const name = entries.name(i);
  const child = join(dir, name, filter.confineTo === undefined ? opts.shortPaths : undefined);
  if (kind === 'symlink') {
    // Not followed; only a loop is worth telling the user about.
    if (errnoCode(entries.error(i)) === 'ELOOP')
      return { type: 'skip', skip: { path: child.display, reason: 'symlink-loop' } };
    return undefined;
  }
  if (kind === 'dir') return classifyDir(dir, child, entries, i, opts, filter, subdirs);
  if (kind !== 'file')
    return { type: 'skip', skip: { path: child.display, reason: 'special-file', detail: kindLabel(kind) } };
  if (filter.isExcludedFile(dir, name)) return undefined;
  if (opts.skipOwnInstalls && isMinehunterCacheFile(dir, name, child.io))
    return { type: 'skip', skip: { path: child.display, reason: 'minehunter-cache' } };
  return classifyFile(child, entries, i, opts);
}

/** A directory entry: pushed onto `subdirs` when it is to be entered; returns the skip to report, if any. */
function classifyDir(
  dir: Dir,
  child: { io: string | Buffer; display: string; host: string },
  entries: DirListing,
  i: number,
  opts: WalkOptions,
  filter: WalkFilter,
  subdirs: Dir[],
): WalkEvent | undefined {
  // Under a confining root the host path is not what the target sees: /proc/4242/root/tmp is a
  // container's /tmp, walked through its /proc link, not procfs.
  const confined = filter.confineTo !== undefined && isUnder(child.host, filter.confineTo);
  if ((!confined && isPseudoPath(child.host)) || filter.isExcludedDir(child.host)) return undefined;
  if (opts.prune?.test(child.display)) {
    return {
      type: 'skip',
      skip: {
        path: child.display,
        reason: 'package-store',
        detail: 'scanned with --full or --path',
      },
    };
  }
  if (!entries.hasStat(i)) {
    const error = entries.error(i);
    return {
      type: 'skip',
      skip: { path: child.display, reason: reasonOf(error), detail: errorMessage(error) },
    };
  }
  const dev = entries.dev(i);
  if (opts.oneFileSystem && dev !== dir.dev) return undefined;
  if (!filter.firstVisit(dev, entries.ino(i))) return undefined;
  subdirs.push({ io: child.io, display: child.display, host: child.host, dev });
  return undefined;
}

/** A regular-file entry: the file to scan, or the skip for it (unreadable, archive by name, empty). */
function classifyFile(
  child: { io: string | Buffer; display: string },
  entries: DirListing,
  i: number,
  opts: WalkOptions,
): WalkEvent | undefined {
  if (!entries.hasStat(i)) {
    const error = entries.error(i);
    if (errnoCode(error) !== 'ENOENT')
      return {
        type: 'skip',
        skip: { path: child.display, reason: reasonOf(error), detail: errorMessage(error) },
      };
    return undefined;
  }
  const mode = entries.mode(i);
  // The entry was replaced between the listing and the stat.
  if ((mode & S_IFMT) !== S_IFREG) return undefined;
  const file: WalkFile = {
    path: child.display,
    io: child.io,
    dev: entries.dev(i),
    ino: entries.ino(i),
    size: entries.size(i),
    mtimeMs: entries.mtimeMs(i),
    ctimeMs: entries.ctimeMs(i),
    mode,
  };
  if (opts.skipArchiveNames && (mode & 0o111) === 0 && ARCHIVE_NAMES.test(child.display)) {
    return {
      type: 'skip',
      skip: {
        path: file.path,
        reason: 'archive-not-expanded',
        detail: 'scanned with --full or --path',
      },
    };
  }
  const skip = fileSkip(file);
  return skip ? { type: 'skip', skip } : { type: 'file', file };
}

/** A walked file: its shown path, what to open, and the state that keys the scan cache. */
export function fileOf(
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

/** An empty file has nothing to scan; any other size is scanned (by its parts over the limit). */
function fileSkip(file: WalkFile): WalkSkip | undefined {
  return file.size === 0 ? { path: file.path, reason: 'empty' } : undefined;
}

/** How a special file is described in its skip. */
function kindLabel(kind: EntryKind): string {
  if (kind === 'char-device') return 'character device';
  if (kind === 'block-device') return 'block device';
  if (kind === 'fifo' || kind === 'socket') return kind;
  return 'unknown type';
}
