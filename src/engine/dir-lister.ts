// Lists directories with the stat of each entry, for the content scan's walker. The work is the
// same either way: natively, many directories at once on all cores, when the dirstat addon was
// built (native/dirstat.c, by `npm run build`); otherwise with Node's readdir and lstat. A warm
// rescan is little more than this listing, and the addon does it 2-3x faster than Node. Both
// produce the addon's record format, read in place by DirListing: an object per entry would cost
// more than the listing itself. Given the scan cache's index (a Vouch), both leave out the files
// it vouches for and only count them, so a warm rescan never handles them one by one in JavaScript.
// Given a Descent, the addon also enters the directories below those asked for by itself (see
// ListedTree), so a rescan of an unchanged tree is one call and JavaScript never builds their paths.
import { lstatSync, readdirSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import util from 'node:util';
import { resolveInRootSync } from '../target/fs.js';
import { cpuBudget } from '../util/cpu-budget.js';
import { nativeFunction } from '../util/paths.js';
import { cleanAndUnchangedIn, type IndexArrays } from './file-index.js';

export type EntryKind =
  'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char-device' | 'block-device' | 'unknown';

/** Record layout (see native/dirstat.c): u8 kind, u8, u16 name length, i32 errno, 8 f64, name. */
const KINDS: EntryKind[] = [
  'unknown',
  'file',
  'dir',
  'symlink',
  'fifo',
  'socket',
  'char-device',
  'block-device',
];
const HEADER = 8;
const FIELDS = 8;
const FIXED = HEADER + FIELDS * 8;
const F_DEV = 0;
const F_INO = 1;
const F_SIZE = 2;
const F_MODE = 3;
const F_MTIME_S = 4;
const F_MTIME_NS = 5;
const F_CTIME_S = 6;
const F_CTIME_NS = 7;

const recordLength = (nameLength: number): number => FIXED + ((nameLength + 7) & ~7);
/**
 * A record's name length and stat errno, read byte by byte: Node 20's checked readers
 * (readUInt16LE, readInt32LE, compare) are slower even when optimized, and in unoptimized code
 * (most of a short scan's) their argument checks allocate an array per call: per entry of every
 * listing, ~5% of what a default scan's main thread allocated.
 */
const nameLengthAt = (b: Buffer, o: number): number => (b[o + 2] as number) | ((b[o + 3] as number) << 8);
const errnoAt = (b: Buffer, o: number): number =>
  (b[o + 4] as number) |
  ((b[o + 5] as number) << 8) |
  ((b[o + 6] as number) << 16) |
  ((b[o + 7] as number) << 24);
/** The name of the record at `o`. */
const nameAt = (b: Buffer, o: number): string | Buffer =>
  nameOf(b, o + FIXED, o + FIXED + nameLengthAt(b, o));
/** Names DirListing.has looks for, encoded once. */
const encodedNames = new Map<string, Buffer>();
/** A time in ms as Node's lib/internal/fs/utils.js computes it, so the cache's keys agree with ===. */
const msOf = (sec: number, nsec: number): number => sec * 1e3 + nsec / 1e6;
/** The file-type bits of a mode, and the type of a regular file (Linux's values). */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;

/**
 * The warm rescan's shortcut: the scan cache's index and the names the walker must still see. A
 * regular file of 1 to maxSize bytes that the index holds in exactly its listed state, with nothing
 * found, is left out of the listing and only counted (DirListing.unchangedFiles and ...Bytes).
 */
export interface Vouch extends IndexArrays {
  maxSize: number;
  /** Names always listed: the walker excludes them or looks for them. */
  keepNames: readonly string[];
  /** Lower-case endings always listed on files without an exec bit (archives the walker reports). */
  keepSuffixes: readonly string[];
}

/**
 * One directory's entries, sorted by name (Node's order). Files, directories and entries of unknown
 * type carry their lstat; a symlink carries the errno of following it (ELOOP for a loop).
 */
export class DirListing {
  constructor(
    private readonly dir: string | Buffer,
    /** The records of a whole batch of directories (see Records); this one's are a run of them. */
    private readonly records: Records,
    private readonly first: number,
    readonly length: number,
    /** Regular files the Vouch left out of this listing, and their bytes. */
    readonly unchangedFiles = 0,
    readonly unchangedBytes = 0,
  ) {}

  /** The listing of one directory's records alone (Node's lister writes them per directory). */
  static of(dir: string | Buffer, bytes: Buffer, unchangedFiles = 0, unchangedBytes = 0): DirListing {
    const offsets: number[] = [];
    for (let o = 0; o + FIXED <= bytes.length; o += recordLength(nameLengthAt(bytes, o))) offsets.push(o);
    const records = recordsOf(bytes, Int32Array.from(offsets));
    return new DirListing(dir, records, 0, offsets.length, unchangedFiles, unchangedBytes);
  }

  kind(i: number): EntryKind {
    return KINDS[this.records.bytes[this.at(i)] as number] ?? 'unknown';
  }

  /** The name as text, or its bytes when they are not valid UTF-8 (so it can still be opened). */
  name(i: number): string | Buffer {
    return nameAt(this.records.bytes, this.at(i));
  }

  /** Why the lstat failed, or for a symlink why following it failed. */
  error(i: number): Error | undefined {
    const errno = errnoAt(this.records.bytes, this.at(i));
    if (errno === 0) return undefined;
    return errnoError(
      errno,
      this.kind(i) === 'symlink' ? 'stat' : 'lstat',
      childPath(this.dir, this.name(i)),
    );
  }

  /** True when the entry was lstat-ed (a mode of 0: a symlink, FIFO, socket or device, or a failure). */
  hasStat(i: number): boolean {
    return this.field(i, F_MODE) !== 0;
  }

  dev(i: number): number {
    return this.field(i, F_DEV);
  }
  ino(i: number): number {
    return this.field(i, F_INO);
  }
  size(i: number): number {
    return this.field(i, F_SIZE);
  }
  mode(i: number): number {
    return this.field(i, F_MODE);
  }
  mtimeMs(i: number): number {
    return msOf(this.field(i, F_MTIME_S), this.field(i, F_MTIME_NS));
  }
  ctimeMs(i: number): number {
    return msOf(this.field(i, F_CTIME_S), this.field(i, F_CTIME_NS));
  }

  /** True when the addon entered this directory entry itself (see ListedTree): the walker has it there. */
  entered(i: number): boolean {
    return this.records.bytes[this.at(i) + 1] === 1;
  }

  /** True when an entry has exactly this name (compared as bytes: no string per entry). */
  has(name: string): boolean {
    let wanted = encodedNames.get(name);
    if (!wanted) encodedNames.set(name, (wanted = Buffer.from(name)));
    const { bytes } = this.records;
    for (let i = 0; i < this.length; i++) {
      const o = this.at(i);
      if (nameLengthAt(bytes, o) !== wanted.length) continue;
      let k = 0;
      while (k < wanted.length && bytes[o + FIXED + k] === wanted[k]) k++;
      if (k === wanted.length) return true;
    }
    return false;
  }

  /** Where entry i's record starts. */
  private at(i: number): number {
    return this.records.offsets[this.first + i] as number;
  }

  private field(i: number, k: number): number {
    return this.records.fields[(this.at(i) + HEADER) / 8 + k] as number;
  }
}

/** Records (see native/dirstat.c), the same bytes as numbers, and where each record starts. */
interface Records {
  bytes: Buffer;
  fields: Float64Array;
  offsets: Int32Array;
}

function recordsOf(bytes: Buffer, offsets: Int32Array): Records {
  // An aligned copy when the bytes do not start on 8: the fields are read as one Float64Array.
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(new Uint8Array(bytes));
  return {
    bytes: aligned,
    fields: new Float64Array(aligned.buffer, aligned.byteOffset, Math.floor(aligned.length / 8)),
    offsets,
  };
}

/** A directory's listing, or why it could not be read. */
export type Listing = DirListing | Error;

/**
 * What the addon may enter by itself below the directories asked for: only where the walker would
 * enter too (native/dirstat.c's children_of has the stricter test). Never a path in or under
 * stopPaths, a directory named in stopNames, anything below a directory holding an entry named in
 * holdNames, or a path longer than maxPath bytes.
 */
export interface Descent {
  stopPaths: readonly string[];
  stopNames: readonly string[];
  holdNames: readonly string[];
  maxPath: number;
}

/** Numbers per listed directory in the addon's dirInfo (see native/dirstat.c). */
const INFO = 6;

/**
 * The directories one call listed: those asked for (a prefix of them, as DirLister.list returns),
 * then those the addon entered below them by itself, each after its parent. The second kind is
 * known by its parent and its record there (name, device, inode); its path is built only when the
 * walker needs its listing, and one whose every record was entered too (quiet: see passQuiet)
 * never needs it.
 */
export class ListedTree {
  constructor(
    readonly asked: Listing[],
    /** The addon's output for all of them (see native/dirstat.c), when it descended. */
    private readonly below?: { records: Records; info: Int32Array; counts: Float64Array },
  ) {}

  /** Directories listed in all (asked for, then entered). */
  get length(): number {
    return this.below ? this.below.info.length / INFO : this.asked.length;
  }

  /** The index of the directory whose listing holds j's record (j entered by the addon). */
  parentOf(j: number): number {
    return this.info(j, 3);
  }

  /** j's name, device and inode, from its record in its parent's listing. */
  name(j: number): string | Buffer {
    return nameAt((this.below?.records as Records).bytes, this.recordAt(j));
  }
  dev(j: number): number {
    return this.field(j, F_DEV);
  }
  ino(j: number): number {
    return this.field(j, F_INO);
  }

  /**
   * Passes the directories entered by the addon from `from` on: `enter(j, parent, dev, ino)` says
   * whether the walk enters each (without it, it enters all); the unchanged files of each quiet one
   * it enters (listed, and every record in it entered too: nothing for the walker) are added to
   * `unchanged`. Stops at the first one entered that is not quiet and returns its index, or
   * `length`. One loop over the addon's arrays: a warm rescan of the bench tree passes ~1,900
   * quiet directories in a call, where a few accessor calls per directory (parent, device, inode,
   * quiet, counts) took 3-6 ms in a fresh process's interpreter.
   */
  passQuiet(
    from: number,
    enter: ((j: number, parent: number, dev: number, ino: number) => boolean) | undefined,
    unchanged: { files: number; bytes: number },
  ): number {
    const below = this.below;
    const length = this.length;
    if (!below) return length;
    const { info, counts } = below;
    const { fields, offsets } = below.records;
    for (let j = Math.max(from, this.asked.length); j < length; j++) {
      const at = INFO * j;
      if (enter) {
        const f = ((offsets[info[at + 4] as number] as number) + HEADER) / 8;
        if (!enter(j, info[at + 3] as number, fields[f + F_DEV] as number, fields[f + F_INO] as number))
          continue;
      }
      if (info[at + 2] !== 0 || info[at + 5] !== 0) return j;
      unchanged.files += counts[2 * j] as number;
      unchanged.bytes += counts[2 * j + 1] as number;
    }
    return length;
  }

  /** j's listing; `dir` (its path) names it in errors. */
  listing(j: number, dir: string | Buffer): Listing {
    if (j < this.asked.length || !this.below) return this.asked[j] as Listing;
    return listingOf(this.below, j, dir);
  }

  private info(j: number, k: number): number {
    return this.below?.info[INFO * j + k] ?? -1;
  }

  private recordAt(j: number): number {
    return this.below?.records.offsets[this.info(j, 4)] as number;
  }

  private field(j: number, k: number): number {
    return this.below?.records.fields[(this.recordAt(j) + HEADER) / 8 + k] as number;
  }
}

/** Directory j of the addon's output. */
function listingOf(
  out: { records: Records; info: Int32Array; counts: Float64Array },
  j: number,
  dir: string | Buffer,
): Listing {
  const errno = out.info[INFO * j + 2] as number;
  if (errno !== 0) return errnoError(errno, 'scandir', dir);
  return new DirListing(
    dir,
    out.records,
    out.info[INFO * j] as number,
    out.info[INFO * j + 1] as number,
    out.counts[2 * j] as number,
    out.counts[2 * j + 1] as number,
  );
}

export interface DirLister {
  readonly native: boolean;
  /**
   * Lists `dirs` in order until about `budget` entries are listed: the result is a prefix of
   * `dirs` (never empty when `dirs` is not), so memory stays bounded however large they are.
   * With `vouch`, the files it vouches for are counted instead of listed. With `root` (an offline
   * system's root), a symlink under it is checked for a loop as a chroot at `root` would see it, so
   * a link on a mounted disk is never followed to this machine's files; the addon also opens each
   * directory under it that way (Node's lister opens the path as given: the walker only passes
   * directories whose lstat said so, so that matters only for a tree changing under the walk).
   */
  list(dirs: readonly (string | Buffer)[], budget: number, vouch?: Vouch, root?: string): Listing[];
  /**
   * As `list`; with `descent` the addon also lists, within the same budget, directories below
   * those asked for (see ListedTree). Node's lister lists only those asked for.
   */
  listTree(
    dirs: readonly (string | Buffer)[],
    budget: number,
    vouch?: Vouch,
    root?: string,
    descent?: Descent,
  ): ListedTree;
}

/**
 * See native/dirstat.c: all records in one Buffer; per directory its first record, record count,
 * errno, parent, record in the parent and records left to the walker; where each record starts;
 * per directory the files a vouch left out and their bytes.
 */
type StatDirs = (
  dirs: readonly (string | Buffer)[],
  threads: number,
  budget: number,
  vouch?: Vouch,
  root?: string,
  descent?: Descent,
) => [Buffer, Int32Array, Int32Array, Float64Array];

/** An Error like the one Node throws for this errno, so callers read `code` and `message` alike. */
function errnoError(errno: number, syscall: string, target: string | Buffer): Error {
  const [code, text] = util.getSystemErrorMap().get(-Math.abs(errno)) ?? [`E${Math.abs(errno)}`, 'error'];
  return Object.assign(new Error(`${code}: ${text}, ${syscall} '${String(target)}'`), {
    code,
    errno,
    syscall,
  });
}

export function childPath(dir: string | Buffer, name: string | Buffer): string | Buffer {
  if (typeof dir === 'string' && typeof name === 'string') return dir === '/' ? `/${name}` : `${dir}/${name}`;
  const base = typeof dir === 'string' ? Buffer.from(dir) : dir;
  const sep = base.length === 1 && base[0] === 0x2f ? '' : '/';
  return Buffer.concat([base, Buffer.from(sep), typeof name === 'string' ? Buffer.from(name) : name]);
}

/** A name as text, or its bytes when they are not valid UTF-8. */
function nameOf(raw: Buffer, start: number, end: number): string | Buffer {
  const text = raw.toString('utf8', start, end);
  if (!text.includes('\uFFFD')) return text;
  const bytes = raw.subarray(start, end);
  return Buffer.from(text, 'utf8').equals(bytes) ? text : Buffer.from(bytes);
}

const KIND_NUMBER = new Map(KINDS.map((k, i) => [k, i]));

function kindOf(d: Dirent | Dirent<Buffer>): EntryKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'char-device';
  if (d.isBlockDevice()) return 'block-device';
  return 'unknown';
}

/** Node's readdir; names that are not valid UTF-8 are read again as bytes so they can be opened. */
function readNames(dir: string | Buffer): { name: Buffer; kind: EntryKind }[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  if (!entries.some((e) => e.name.includes('\uFFFD')))
    return entries.map((e) => ({ name: Buffer.from(e.name), kind: kindOf(e) }));
  return readdirSync(dir, { withFileTypes: true, encoding: 'buffer' }).map((e) => ({
    name: e.name,
    kind: kindOf(e),
  }));
}

/** Nanoseconds since the epoch as a timespec: whole seconds (rounded down) and 0-999,999,999 ns. */
function timespec(ns: bigint): [bigint, bigint] {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    sec -= 1n;
    nsec += 1_000_000_000n;
  }
  return [sec, nsec];
}

/** A record's numbers: dev, ino, size, mode, mtime s and ns, ctime s and ns. */
type Fields = [number, number, number, number, number, number, number, number];

/** Vouch's rule in JavaScript (the addon has it in C), for an lstat-ed entry of the listing. */
function isVouched(
  v: Vouch,
  name: Buffer,
  keepNames: readonly Buffer[],
  st: { dev: number; ino: number; size: number; mode: number; mtimeMs: number; ctimeMs: number },
): boolean {
  if ((st.mode & S_IFMT) !== S_IFREG || !(st.size > 0 && st.size <= v.maxSize)) return false;
  if (keepNames.some((k) => k.equals(name))) return false;
  if ((st.mode & 0o111) === 0) {
    const lower = name.toString('latin1').toLowerCase();
    if (v.keepSuffixes.some((x) => lower.endsWith(x))) return false;
  }
  return cleanAndUnchangedIn(v, st.dev, st.ino, st.size, st.mtimeMs, st.ctimeMs);
}

/** Under `root` (or it): a string prefix test, as the addon makes it on bytes. */
function isUnderRoot(p: string | Buffer, root: string): boolean {
  const text = typeof p === 'string' ? p : p.toString('latin1');
  const prefix = typeof p === 'string' ? root : Buffer.from(root).toString('latin1');
  return text === prefix || text.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);
}

/**
 * Follows the symlink `link` for its loop check: stat through it, or under an offline root resolve
 * it inside the root as the addon does. A name that is not UTF-8 cannot be resolved piece by piece
 * with string paths, so under a root it is not followed at all (no loop is reported for it).
 */
function followLink(link: string | Buffer, root: string | undefined): void {
  if (!root || !isUnderRoot(link, root)) {
    statSync(link);
    return;
  }
  if (typeof link !== 'string') return;
  lstatSync(resolveInRootSync(root, link.slice(root.length)));
}

/** The addon's work done with Node, written in the addon's format. */
function listWithNode(
  dir: string | Buffer,
  vouch: Vouch | undefined,
  keepNames: readonly Buffer[],
  root?: string,
): Listing {
  let names;
  try {
    names = readNames(dir);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  const out = Buffer.alloc(names.reduce((n, e) => n + recordLength(e.name.length), 0));
  let o = 0;
  let unchangedFiles = 0;
  let unchangedBytes = 0;
  for (const { name, kind } of names) {
    let errno = 0;
    let st: BigIntStats | undefined;
    if (kind === 'file' || kind === 'dir' || kind === 'unknown' || kind === 'symlink') {
      const child = childPath(dir, nameOf(name, 0, name.length));
      try {
        if (kind === 'symlink') followLink(child, root);
        else st = lstatSync(child, { bigint: true });
      } catch (err) {
        errno = Math.abs((err as { errno?: number }).errno ?? 5); // EIO when Node gave no number
      }
    }
    // Seconds and nanoseconds as the kernel gave them (a BigInt stat keeps them exact).
    const values = st
      ? ([st.dev, st.ino, st.size, st.mode, ...timespec(st.mtimeNs), ...timespec(st.ctimeNs)].map(
          Number,
        ) as Fields)
      : undefined;
    if (vouch && values && kind === 'file') {
      const [dev, ino, size, mode, mtimeS, mtimeNs, ctimeS, ctimeNs] = values;
      const state = { dev, ino, size, mode, mtimeMs: msOf(mtimeS, mtimeNs), ctimeMs: msOf(ctimeS, ctimeNs) };
      if (isVouched(vouch, name, keepNames, state)) {
        unchangedFiles++;
        unchangedBytes += size;
        continue;
      }
    }
    out[o] = KIND_NUMBER.get(kind) ?? 0;
    out.writeUInt16LE(name.length, o + 2);
    out.writeInt32LE(errno, o + 4);
    values?.forEach((v, k) => out.writeDoubleLE(v, o + HEADER + k * 8));
    name.copy(out, o + FIXED);
    o += recordLength(name.length);
  }
  return DirListing.of(dir, out.subarray(0, o), unchangedFiles, unchangedBytes);
}

/** Node's readdir and lstat, one directory at a time: where the addon is not built. */
export const nodeDirLister: DirLister = {
  native: false,
  list: (dirs, budget, vouch, root) => {
    const out: Listing[] = [];
    const keepNames = vouch?.keepNames.map((n) => Buffer.from(n)) ?? [];
    let entries = 0;
    for (const dir of dirs) {
      if (out.length > 0 && entries >= budget) break;
      const listing = listWithNode(dir, vouch, keepNames, root);
      out.push(listing);
      entries += listing instanceof Error ? 1 : listing.length + 1;
    }
    return out;
  },
  listTree: (dirs, budget, vouch, root) => new ListedTree(nodeDirLister.list(dirs, budget, vouch, root)),
};

let shared: DirLister | undefined;

/** The addon's lister over `statDirs`; a batch it cannot do (past 2 GiB, out of memory) goes to Node's. */
function nativeLister(statDirs: StatDirs, threads: number): DirLister {
  const listTree: DirLister['listTree'] = (dirs, budget, vouch, root, descent) => {
    let result;
    try {
      result = statDirs(dirs, threads, budget, vouch, root, descent);
    } catch {
      return nodeDirLister.listTree(dirs, budget, vouch, root);
    }
    const [data, info, offsets, counts] = result;
    const out = { records: recordsOf(data, offsets), info, counts };
    const asked: Listing[] = [];
    for (let j = 0; j < info.length / INFO && (info[INFO * j + 3] as number) < 0; j++)
      asked.push(listingOf(out, j, dirs[j] as string | Buffer));
    return new ListedTree(asked, out);
  };
  return {
    native: true,
    list: (dirs, budget, vouch, root) => listTree(dirs, budget, vouch, root).asked,
    listTree,
  };
}

/** The addon's lister when it is built (and MINEHUNTER_NATIVE is not 0), else Node's. */
export function dirLister(): DirLister {
  if (shared) return shared;
  // Not built (no C compiler or Node headers) or turned off: the Node lister does the same work.
  const statDirs = nativeFunction<StatDirs>('statDirs');
  shared = statDirs ? nativeLister(statDirs, Math.max(1, Math.min(8, cpuBudget()))) : nodeDirLister;
  return shared;
}
