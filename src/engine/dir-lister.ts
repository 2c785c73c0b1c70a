// Lists directories with the stat of each entry, for the content scan's walker. The work is the
// same either way: natively, many directories at once on all cores, when the dirstat addon was
// built (native/dirstat.c, by `npm run build`); otherwise with Node's readdir and lstat. A warm
// rescan is little more than this listing, and the addon does it 2-3x faster than Node. Both
// produce the addon's record format, read in place by DirListing: an object per entry would cost
// more than the listing itself.
import { lstatSync, readdirSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import util from 'node:util';

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
/** A time in ms as Node's lib/internal/fs/utils.js computes it, so the cache's keys agree with ===. */
const msOf = (sec: number, nsec: number): number => sec * 1e3 + nsec / 1e6;
const KIND_FILE = 1;
/** The file-type bits of a mode, and the type of a regular file (Linux's values). */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;

/** True when the scan cache holds "nothing found" for a file in exactly this state. */
export type UnchangedTest = (
  dev: number,
  ino: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
) => boolean;

/**
 * One directory's entries, sorted by name (Node's order). Files, directories and entries of unknown
 * type carry their lstat; a symlink carries the errno of following it (ELOOP for a loop).
 */
export class DirListing {
  readonly length: number;
  private readonly offsets: Int32Array;
  private readonly fields: Float64Array;

  constructor(
    private readonly dir: string | Buffer,
    private readonly bytes: Buffer,
  ) {
    // An aligned copy when the bytes do not start on 8: the fields are read as one Float64Array.
    if (bytes.byteOffset % 8 !== 0) this.bytes = bytes = Buffer.from(new Uint8Array(bytes));
    this.fields = new Float64Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 8));
    let count = 0;
    for (let o = 0; o + FIXED <= bytes.length; o += recordLength(bytes.readUInt16LE(o + 2))) count++;
    this.offsets = new Int32Array(count);
    for (let o = 0, i = 0; i < count; o += recordLength(bytes.readUInt16LE(o + 2))) this.offsets[i++] = o;
    this.length = count;
  }

  /**
   * The warm rescan's shortcut, in one tight loop: marks the regular files of 1 to `maxSize` bytes
   * that `unchanged` vouches for. Undefined when it marks none.
   */
  vouched(maxSize: number, unchanged: UnchangedTest): Uint8Array | undefined {
    let marks: Uint8Array | undefined;
    const { bytes, fields, offsets } = this;
    for (let i = 0; i < this.length; i++) {
      const o = offsets[i] as number;
      if (bytes[o] !== KIND_FILE) continue;
      const f = (o + HEADER) / 8;
      // A mode of 0 (the lstat failed) is not a regular file either.
      if (((fields[f + F_MODE] as number) & S_IFMT) !== S_IFREG) continue;
      const size = fields[f + F_SIZE] as number;
      if (size <= 0 || size > maxSize) continue;
      const mtimeMs = msOf(fields[f + F_MTIME_S] as number, fields[f + F_MTIME_NS] as number);
      const ctimeMs = msOf(fields[f + F_CTIME_S] as number, fields[f + F_CTIME_NS] as number);
      if (unchanged(fields[f + F_DEV] as number, fields[f + F_INO] as number, size, mtimeMs, ctimeMs))
        (marks ??= new Uint8Array(this.length))[i] = 1;
    }
    return marks;
  }

  kind(i: number): EntryKind {
    return KINDS[this.bytes[this.offsets[i] as number] as number] ?? 'unknown';
  }

  /** The name as text, or its bytes when they are not valid UTF-8 (so it can still be opened). */
  name(i: number): string | Buffer {
    const o = this.offsets[i] as number;
    return nameOf(this.bytes, o + FIXED, o + FIXED + this.bytes.readUInt16LE(o + 2));
  }

  /** Why the lstat failed, or for a symlink why following it failed. */
  error(i: number): Error | undefined {
    const o = this.offsets[i] as number;
    const errno = this.bytes.readInt32LE(o + 4);
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

  /** True when an entry has exactly this name (compared as bytes: no string per entry). */
  has(name: string): boolean {
    const wanted = Buffer.from(name);
    for (let i = 0; i < this.length; i++) {
      const o = this.offsets[i] as number;
      if (this.bytes.readUInt16LE(o + 2) !== wanted.length) continue;
      if (this.bytes.compare(wanted, 0, wanted.length, o + FIXED, o + FIXED + wanted.length) === 0)
        return true;
    }
    return false;
  }

  private field(i: number, k: number): number {
    return this.fields[((this.offsets[i] as number) + HEADER) / 8 + k] as number;
  }
}

/** A directory's listing, or why it could not be read. */
export type Listing = DirListing | Error;

export interface DirLister {
  readonly native: boolean;
  /**
   * Lists `dirs` in order until about `budget` entries are listed: the result is a prefix of
   * `dirs` (never empty when `dirs` is not), so memory stays bounded however large they are.
   */
  list(dirs: readonly (string | Buffer)[], budget: number): Listing[];
}

/** See native/dirstat.c: all records in one Buffer, and (start, length) or (-errno, -1) per directory. */
type StatDirs = (dirs: readonly (string | Buffer)[], threads: number, budget: number) => [Buffer, Int32Array];

function loadAddon(): StatDirs | undefined {
  if (process.env.MINEHUNTER_NATIVE === '0') return undefined;
  try {
    const file = fileURLToPath(new URL('../../dist/native/dirstat.node', import.meta.url));
    return (createRequire(import.meta.url)(file) as { statDirs: StatDirs }).statDirs;
  } catch {
    return undefined; // not built (no C compiler or Node headers): the Node lister does the same work
  }
}

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

/** The addon's work done with Node, written in the addon's format. */
function listWithNode(dir: string | Buffer): Listing {
  let names;
  try {
    names = readNames(dir);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
  const out = Buffer.alloc(names.reduce((n, e) => n + recordLength(e.name.length), 0));
  let o = 0;
  for (const { name, kind } of names) {
    let errno = 0;
    let st: BigIntStats | undefined;
    if (kind === 'file' || kind === 'dir' || kind === 'unknown' || kind === 'symlink') {
      const child = childPath(dir, nameOf(name, 0, name.length));
      try {
        if (kind === 'symlink') statSync(child);
        else st = lstatSync(child, { bigint: true });
      } catch (err) {
        errno = Math.abs((err as { errno?: number }).errno ?? 5); // EIO when Node gave no number
      }
    }
    out[o] = KIND_NUMBER.get(kind) ?? 0;
    out.writeUInt16LE(name.length, o + 2);
    out.writeInt32LE(errno, o + 4);
    if (st) {
      // Seconds and nanoseconds as the kernel gave them (a BigInt stat keeps them exact).
      const values = [st.dev, st.ino, st.size, st.mode, ...timespec(st.mtimeNs), ...timespec(st.ctimeNs)];
      values.forEach((v, k) => out.writeDoubleLE(Number(v), o + HEADER + k * 8));
    }
    name.copy(out, o + FIXED);
    o += recordLength(name.length);
  }
  return new DirListing(dir, out);
}

/** Node's readdir and lstat, one directory at a time: where the addon is not built. */
export const nodeDirLister: DirLister = {
  native: false,
  list: (dirs, budget) => {
    const out: Listing[] = [];
    let entries = 0;
    for (const dir of dirs) {
      if (out.length > 0 && entries >= budget) break;
      const listing = listWithNode(dir);
      out.push(listing);
      entries += listing instanceof Error ? 1 : listing.length + 1;
    }
    return out;
  },
};

let shared: DirLister | undefined;

/** The addon's lister when it is built (and MINEHUNTER_NATIVE is not 0), else Node's. */
export function dirLister(): DirLister {
  if (shared) return shared;
  const statDirs = loadAddon();
  const threads = Math.max(1, Math.min(8, os.availableParallelism()));
  shared = statDirs
    ? {
        native: true,
        list: (dirs, budget) => {
          let result;
          try {
            result = statDirs(dirs, threads, budget);
          } catch {
            // Only a listing past 2 GiB or a failed allocation gets here: Node does the batch.
            return nodeDirLister.list(dirs, budget);
          }
          const [data, spans] = result;
          const out: Listing[] = [];
          for (let i = 0; i < spans.length / 2; i++) {
            const dir = dirs[i] as string | Buffer;
            const start = spans[2 * i] as number;
            const length = spans[2 * i + 1] as number;
            out.push(
              length < 0
                ? errnoError(start, 'scandir', dir)
                : new DirListing(dir, data.subarray(start, start + length)),
            );
          }
          return out;
        },
      }
    : nodeDirLister;
  return shared;
}
