// A cache of which lines each dpkg file list holds, so a scan reads only the lists that may name
// the paths it asks about. A host's lists are ~800 files, ~10 MB, ~200,000 lines; reading them all
// to find the owners of a few dozen mapped libraries was the largest fixed cost of a warm default
// scan (~200 ms of CPU, issue 17). Kept per list: its stat stamp (inode, size, mtime, ctime) and the
// sorted 32-bit hashes of its lines. A list whose stamp is unchanged and holds no hash of a wanted
// path is not read; every other list is read and searched as before, so an answer always comes from
// a list's text (a hash only ever says "maybe"), and the first package in name order still owns a
// path. A stale or tampered cache can only make a list be skipped that names a wanted path, and
// then the path looks unpackaged — more suspicious, never less.
// Beside it, the owners last found, for the lists exactly as they were (DpkgListIndex.answers).
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { fileStamp } from '../../../util/stamp-cache.js';

/** Changes when the layout or the hash function changes: an older file is then ignored. */
const FORMAT = 3;

interface Entry {
  stamp: string;
  /** The hashes of the list's lines, sorted ascending, without repeats. */
  hashes: Uint32Array;
}

/** FNV-1a over the UTF-16 code units of `s[start, end)`: latin1 list text and a path alike. */
export function hashSpan(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The sorted, distinct hashes of a list text's lines. */
export function lineHashes(text: string): Uint32Array {
  const out: number[] = [];
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (end > at) out.push(hashSpan(text, at, end));
    at = end + 1;
  }
  const sorted = Uint32Array.from(out).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!;
  return sorted.slice(0, n);
}

/** Whether the sorted `hashes` hold any of `wanted`. */
export function holdsAny(hashes: Uint32Array, wanted: readonly number[]): boolean {
  for (const h of wanted) {
    let lo = 0;
    let hi = hashes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = hashes[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
  }
  return false;
}

/** Changes when the saved answers' layout changes: an older file is then ignored. */
const ANSWERS_FORMAT = 1;

/**
 * The index of one dpkg info directory, as last saved, and what this scan saw of it; beside it, the
 * owners the last scan found for the paths it asked about, kept with a digest of every list's name
 * and stamp (listsSignature). While no list was added, removed, replaced or written, those answers
 * are what reading the lists would give, and the ~600 KB of line hashes are not even read (~12 ms of
 * a warm scan's CPU, issue 17). Every list is still stat'ed: a list edited in place changes its own
 * stamp but not the directory's.
 */
export class DpkgListIndex {
  private loaded: Map<string, Entry> | undefined;
  private readonly seen = new Map<string, Entry>();
  private changed = false;
  private savedAnswers: { signature: string; answers: Map<string, string> } | undefined;

  private constructor(
    private readonly file: string,
    private readonly answersFile: string,
    private readonly infoDir: string,
  ) {}

  /** The saved line hashes, read when first needed. */
  private get old(): Map<string, Entry> {
    this.loaded ??= readIndex(this.file);
    return this.loaded;
  }

  /** The index of the info directory at host path `infoDir`, kept in `cacheDir`; undefined without one. */
  static open(cacheDir: string | undefined, infoDir: string): DpkgListIndex | undefined {
    if (cacheDir === undefined) return undefined;
    // One file per target: a scan of an offline root never reads or overwrites the host's index.
    const key = createHash('sha256').update(infoDir).digest('hex').slice(0, 16);
    return new DpkgListIndex(
      path.join(cacheDir, `dpkg-lists-${key}.bin`),
      path.join(cacheDir, `dpkg-owners-${key}.bin`),
      infoDir,
    );
  }

  /**
   * A digest of the lists' names and stamps, in the order given: two are equal only while every list
   * is the same file, unwritten since (any write moves its ctime).
   */
  static listsSignature(names: readonly string[], stamps: readonly string[]): string {
    const h = createHash('sha256');
    for (let i = 0; i < names.length; i++) h.update(`${names[i]}\0${stamps[i]}\n`);
    return h.digest('base64');
  }

  /**
   * The owners saved with `signature` (path → package, '' for a path no list names); undefined when
   * none were, or for other lists.
   */
  answers(signature: string): ReadonlyMap<string, string> | undefined {
    this.savedAnswers ??= readAnswers(this.answersFile);
    return this.savedAnswers?.signature === signature ? this.savedAnswers.answers : undefined;
  }

  /** Saves `answers` as what the lists of `signature` say, when they differ from the saved ones. */
  saveAnswers(signature: string, answers: Map<string, string>): void {
    const old = this.answers(signature);
    if (old && old.size === answers.size && [...answers].every(([p, pkg]) => old.get(p) === pkg)) return;
    writeAtomically(
      this.answersFile,
      deflateRawSync(serialize({ format: ANSWERS_FORMAT, signature, answers: [...answers].flat() })),
    );
  }

  /** The list's stamp now, or undefined when it is not a regular file (then it is always read). */
  stampOf(name: string): string | undefined {
    try {
      // Milliseconds as doubles keep sub-microsecond digits: a bigint stat costs twice as much.
      // Joined by hand: the names come from a listing of the directory (no slash) and the directory
      // is a resolved host path, so path.join's normalising of 800 paths per scan is work for nothing.
      const st = lstatSync(`${this.infoDir}/${name}`);
      return st.isFile() ? fileStamp(st) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The line hashes saved for `name` when it still has `stamp`. */
  cached(name: string, stamp: string): Uint32Array | undefined {
    const e = this.old.get(name);
    return e && e.stamp === stamp ? e.hashes : undefined;
  }

  /** Keeps `name`'s entry for the next scan (lists not kept are dropped: removed packages). */
  keep(name: string, stamp: string, hashes: Uint32Array): void {
    if (this.old.get(name)?.hashes !== hashes) this.changed = true;
    this.seen.set(name, { stamp, hashes });
  }

  /** Writes the index when this scan changed it; a cache that cannot be written is no error. */
  save(): void {
    if (!this.changed && this.seen.size === this.old.size) return;
    writeAtomically(this.file, this.serialized());
  }

  private serialized(): Buffer {
    // One array of all hashes with each list's end offset: 800 small typed arrays took ~4 times
    // as long to read back.
    const names: string[] = [];
    const stamps: string[] = [];
    const ends = new Uint32Array(this.seen.size);
    let total = 0;
    for (const [name, e] of this.seen) {
      names.push(name);
      stamps.push(e.stamp);
      total += e.hashes.length;
      ends[names.length - 1] = total;
    }
    const hashes = new Uint32Array(total);
    let at = 0;
    for (const e of this.seen.values()) {
      hashes.set(e.hashes, at);
      at += e.hashes.length;
    }
    // The names deflated (as the parsed indicator cache is): a package named after a miner never
    // lies in clear for a content scan to match. The hashes are numbers, left as they are: masking
    // all ~700 KB cost ~90 ms of a fresh process's CPU.
    const meta = deflateRawSync(serialize({ names, stamps }));
    return serialize({ format: FORMAT, meta, ends, hashes });
  }
}

/** Writes `data` to `file` by rename, readable by its owner only; a cache that cannot be written is no error. */
function writeAtomically(file: string, data: Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Saved answers, or undefined when there are none or the file is not one this version wrote. */
function readAnswers(file: string): { signature: string; answers: Map<string, string> } | undefined {
  let d: { format?: unknown; signature?: unknown; answers?: unknown };
  try {
    d = deserialize(inflateRawSync(readFileSync(file))) as typeof d;
  } catch {
    return undefined;
  }
  const flat = d?.answers;
  if (d?.format !== ANSWERS_FORMAT || typeof d.signature !== 'string' || !Array.isArray(flat))
    return undefined;
  if (flat.length % 2 !== 0 || !flat.every((x) => typeof x === 'string')) return undefined;
  const answers = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) answers.set(flat[i] as string, flat[i + 1] as string);
  return { signature: d.signature, answers };
}

/** A saved index, or an empty one when there is none or it is not one this version wrote. */
function readIndex(file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  let d: { format?: unknown; meta?: unknown; ends?: unknown; hashes?: unknown };
  let names: unknown;
  let stamps: unknown;
  try {
    d = deserialize(readFileSync(file)) as typeof d;
    if (d?.format !== FORMAT || !(d.meta instanceof Uint8Array)) return out;
    ({ names, stamps } = deserialize(inflateRawSync(d.meta)) as { names?: unknown; stamps?: unknown });
  } catch {
    return out;
  }
  const { ends, hashes } = d;
  if (
    !Array.isArray(names) ||
    !Array.isArray(stamps) ||
    !(ends instanceof Uint32Array) ||
    !(hashes instanceof Uint32Array) ||
    names.length !== stamps.length ||
    names.length !== ends.length
  )
    return out;
  let start = 0;
  for (let i = 0; i < names.length; i++) {
    const name: unknown = names[i];
    const stamp: unknown = stamps[i];
    const end = ends[i]!;
    if (typeof name !== 'string' || typeof stamp !== 'string' || end < start || end > hashes.length)
      return new Map();
    out.set(name, { stamp, hashes: hashes.subarray(start, end) });
    start = end;
  }
  return out;
}
