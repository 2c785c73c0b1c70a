// dpkg's file lists (/var/lib/dpkg/info/*.list) as an ownership source: which package installed a
// path, with the merged-/usr spellings dpkg and /proc disagree on; and its md5sums files, the only
// record dpkg keeps of a file's content (no size, no mode: a dpkg check is digest only). Moved from
// preload.ts so the ownership interface can offer it beside rpm and apk.
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import type { TargetFs } from '../../../target/fs.js';
import { type CollectorLog, isGone } from '../../support.js';
import type { Expected } from '../rpm/verify.js';
import { derivedCacheDir } from '../../../util/derived-cache.js';
import { fileStamp, StampCache } from '../../../util/stamp-cache.js';
import { DpkgListIndex, hashSpan, holdsAny, lineHashes } from './dpkg-index.js';

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

/** Regular files only, never a FIFO's wait: a list that is anything else takes the slow door. */
const LIST_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** A target's dpkg file lists: listed now, read when the wanted paths are known. */
export interface DpkgLists {
  /** The owning package of each wanted path that has one (any merged-/usr spelling). */
  ownersOf(wanted: string[]): Map<string, string>;
}

/**
 * The names in the target's /var/lib/dpkg/info (3,000 entries on a server: one list, one md5sums
 * and scripts per package), sorted. Preload ownership, the mapped libraries' records and the system
 * binaries' integrity all start from it, at about the same moment of a scan: listed once per target
 * and reused while the directory is unchanged (dpkg adds, removes and replaces its files by rename,
 * which moves the directory's ctime), where each listing cost 5–30 ms of the scan's CPU (issue 17).
 * Throws what the listing throws (ENOENT when the target has no dpkg database).
 */
export function dpkgInfoNames(fs: TargetFs): string[] {
  let st: ReturnType<TargetFs['statSync']>;
  try {
    st = fs.statSync(DPKG_INFO);
  } catch {
    st = undefined; // the listing below says why, in its own words
  }
  const stamp = st ? `${st.dev}:${st.ino}:${st.ctimeMs}:${st.mtimeMs}:${st.size}` : '';
  const cached = infoListings.get(fs);
  if (cached && st && cached.stamp === stamp) return cached.names;
  // Names only, as namesSync gives them (sorted), without the typed entry and joined path it builds
  // for each of the thousands of files.
  const names = readdirSync(fs.hostPathSync(DPKG_INFO)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (st) infoListings.set(fs, { stamp, names });
  return names;
}

/** The last listing of each target's dpkg info directory, with the directory's stat it was taken at. */
const infoListings = new WeakMap<TargetFs, { stamp: string; names: string[] }>();

/**
 * Lists the dpkg file lists; they are read, each once, when ownersOf is asked. A host has hundreds
 * of lists (810 here, 9.6 MB): read up front through the promise API and held until the process
 * walk named the wanted paths, they cost four thread-pool round trips each, about 150 ms of CPU,
 * and 20 MB of the scan's peak memory (issue 17). Read synchronously when asked, each list is
 * searched and dropped at once.
 */
export function readDpkgLists(fs: TargetFs, log: CollectorLog): Promise<DpkgLists | undefined> {
  let names: string[];
  let dir: string;
  try {
    names = dpkgInfoNames(fs).filter((n) => n.endsWith('.list'));
    dir = fs.hostPathSync(DPKG_INFO);
  } catch (err) {
    if (!isGone(err)) log.add(`/${DPKG_INFO}`, err);
    return Promise.resolve(undefined);
  }
  // Package name order: the first package listing a path owns it, whichever order files come in.
  const byPackage = names
    .map((name) => ({ name, pkg: packageName(name) }))
    .sort((a, b) =>
      a.pkg < b.pkg ? -1 : a.pkg > b.pkg ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  return Promise.resolve({
    ownersOf(wanted) {
      if (wanted.length === 0) return new Map<string, string>();
      const index = DpkgListIndex.open(derivedCacheDir(), dir);
      // Every list's stamp, once: the saved answers are for these lists, the index keys by them.
      const stamps = index ? byPackage.map(({ name }) => index.stampOf(name)) : [];
      const lists: ListSet = { fs, dir, byPackage, stamps, log };
      // Two wanted paths that are spellings of one another answer together (LineSearch): then the
      // answer for one depends on the other, and only a search of the lists gives it.
      if (!index || new LineSearch(wanted).sharedSpellings) return searchLists(lists, wanted, index);
      return answeredOwners(lists, wanted, index);
    },
  });
}

/** A target's dpkg file lists in package name order, with each one's stamp (none without an index). */
interface ListSet {
  fs: TargetFs;
  dir: string;
  byPackage: { name: string; pkg: string }[];
  stamps: (string | undefined)[];
  log: CollectorLog;
}

/**
 * The owners of `wanted` (no two of them spellings of one another) from the answers saved while every
 * list had the stamp it has now; the paths not among them are searched for in the lists, and the
 * answers saved for the next scan.
 */
function answeredOwners(lists: ListSet, wanted: string[], index: DpkgListIndex): Map<string, string> {
  const { byPackage, stamps } = lists;
  const complete = stamps.every((s) => s !== undefined);
  const signature = complete
    ? DpkgListIndex.listsSignature(
        byPackage.map((b) => b.name),
        stamps as string[],
      )
    : undefined;
  const saved = signature === undefined ? undefined : index.answers(signature);
  const missing = wanted.filter((p) => saved?.get(p) === undefined);
  const found = missing.length > 0 ? searchLists(lists, missing, index) : new Map<string, string>();
  const owners = new Map<string, string>();
  const answers = new Map<string, string>();
  for (const p of wanted) {
    const pkg = (saved?.get(p) ?? found.get(p)) || '';
    answers.set(p, pkg);
    if (pkg !== '') owners.set(p, pkg);
  }
  if (signature !== undefined) index.saveAnswers(signature, answers);
  return owners;
}

/**
 * The owners of `wanted` from the lists' text. Lists unchanged since the last scan and holding no line
 * a wanted path may be are not read (packages/dpkg-index.ts); without an index every list is read.
 */
function searchLists(
  lists: ListSet,
  wanted: string[],
  index: DpkgListIndex | undefined,
): Map<string, string> {
  const { fs, dir, byPackage, stamps, log } = lists;
  const search = new LineSearch(wanted);
  if (search.empty) return search.owners;
  const buffer = new ReadBuffer();
  for (let i = 0; i < byPackage.length; i++) {
    const { name, pkg } = byPackage[i]!;
    const stamp = stamps[i];
    const hashes = stamp === undefined ? undefined : index!.cached(name, stamp);
    if (hashes && !holdsAny(hashes, search.pendingHashes())) {
      index!.keep(name, stamp!, hashes);
      continue;
    }
    const text = readList(fs, dir, name, buffer, log);
    if (text === undefined) continue;
    if (stamp !== undefined) index!.keep(name, stamp, hashes ?? lineHashes(text));
    search.scan(text, pkg);
  }
  index?.save();
  return search.owners;
}

/**
 * One buffer all lists of a search are read into, grown to the largest: a buffer per list (800 of
 * them, and a stat each to size it) cost a third of the reading's CPU.
 */
class ReadBuffer {
  bytes = Buffer.allocUnsafe(256 * 1024);

  /** The rest of the open file `fd`, as latin1 text. */
  readAll(fd: number): string {
    let got = 0;
    for (;;) {
      if (got === this.bytes.length) {
        const bigger = Buffer.allocUnsafe(this.bytes.length * 2);
        this.bytes.copy(bigger, 0, 0, got);
        this.bytes = bigger;
      }
      const n = readSync(fd, this.bytes, got, this.bytes.length - got, null);
      if (n === 0) return this.bytes.toString('latin1', 0, got);
      got += n;
    }
  }
}

/**
 * One list's text, read as latin1 (one character per byte, so a path's bytes compare as they always
 * did). A regular file is opened in the listed directory without following a link; anything else
 * goes through the target's door, which follows links inside the root only.
 */
function readList(
  fs: TargetFs,
  dir: string,
  name: string,
  buffer: ReadBuffer,
  log: CollectorLog,
): string | undefined {
  let fd: number | undefined;
  try {
    try {
      fd = openSync(path.join(dir, name), LIST_FLAGS);
    } catch {
      fd = openSync(fs.hostPathSync(`/${DPKG_INFO}/${name}`), constants.O_RDONLY | constants.O_NONBLOCK);
    }
    return buffer.readAll(fd);
  } catch (err) {
    log.add(`/${DPKG_INFO}/${name}`, err);
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The search for the wanted paths' lines. A host's lists hold ~200,000 lines and a scan asks about
 * a dozen paths in two spellings each: a substring search per spelling read every text once per
 * spelling (~150 ms of CPU); one walk over the lines, comparing only those as long as some
 * spelling, reads it once (this runs inside the scan's time budget).
 */
class LineSearch {
  readonly owners = new Map<string, string>();
  private readonly variantOf = new Map<string, string>();
  private readonly lengths: Set<number>;

  /** Some spelling is one of two wanted paths' (`/lib/x` and `/usr/lib/x` both asked about). */
  readonly sharedSpellings: boolean = false;

  constructor(wanted: string[]) {
    // A spelling shared by two wanted paths answers for the last of them, as it always has.
    for (const p of wanted)
      for (const v of pathVariants(p)) {
        const before = this.variantOf.get(v);
        if (before !== undefined && before !== p) this.sharedSpellings = true;
        this.variantOf.set(v, p);
      }
    this.lengths = new Set([...this.variantOf.keys()].map((v) => v.length));
  }

  get empty(): boolean {
    return this.variantOf.size === 0;
  }

  private pending: number[] = [];
  private pendingFor = -1;

  /** The line hashes of the spellings whose path has no owner yet: what a list must hold to matter. */
  pendingHashes(): number[] {
    if (this.pendingFor !== this.owners.size) {
      this.pending = [];
      for (const [v, p] of this.variantOf)
        if (!this.owners.has(p)) this.pending.push(hashSpan(v, 0, v.length));
      this.pendingFor = this.owners.size;
    }
    return this.pending;
  }

  /** Records `pkg` for each wanted path one of `text`'s lines spells that has no owner yet. */
  scan(text: string, pkg: string): void {
    for (let at = 0; at <= text.length;) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (this.lengths.has(end - at)) {
        const p = this.variantOf.get(text.slice(at, end));
        if (p !== undefined && !this.owners.has(p)) this.owners.set(p, pkg);
      }
      at = end + 1;
    }
  }
}

/**
 * Which package lists each wanted path (any of its merged-/usr spellings), from list texts already
 * read (package name → text): the first package, in name order, with a line that is exactly one of
 * the spellings.
 */
export function ownersOf(lists: Map<string, string>, wanted: string[]): Map<string, string> {
  const search = new LineSearch(wanted);
  if (search.empty) return search.owners;
  for (const [pkg, text] of [...lists].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    search.scan(text, pkg);
  return search.owners;
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

/** What a search of one md5sums file found, kept by the file's stamp (util/stamp-cache.ts). */
export interface Md5sumsHits {
  /** The signature of the wanted paths the search was for (md5sumsSignature). */
  wanted: string;
  /** The wanted paths the file lists and their md5s, in the file's order: path, md5, path, md5… */
  hits: string[];
}

/** Changes when Md5sumsHits or what a search keeps changes: an older cache is then ignored. */
export const MD5SUMS_FORMAT = 1;

export function isMd5sumsHits(v: unknown): v is Md5sumsHits {
  const h = v as Md5sumsHits;
  return typeof h?.wanted === 'string' && Array.isArray(h.hits) && h.hits.every((x) => typeof x === 'string');
}

/** A short digest of a set of wanted paths: a cached search answers only for the same set. */
export function md5sumsSignature(wanted: Iterable<string>): string {
  return createHash('sha256')
    .update([...new Set(wanted)].sort().join('\n'))
    .digest('base64')
    .slice(0, 22);
}

/**
 * The md5 the md5sums file at target path `file` records for each of `wanted` it lists (in the
 * file's order; a path listed twice keeps its last md5, as parseMd5sums does). A file failing
 * `relevant` (a cheap test of its bytes) lists none of them. Answered from `cache` while the file's
 * stamp is unchanged and the wanted set is the same (`signature`, from md5sumsSignature): reading
 * and parsing the same few dozen files — coreutils', systemd's, util-linux's sums — cost every warm
 * scan ~20 ms of CPU (issue 17). Any write to the file, or a file renamed over it, changes its stamp,
 * and it is read again. Throws what reading the file throws.
 */
export function md5sumsFor(
  fs: TargetFs,
  file: string,
  wanted: ReadonlySet<string>,
  signature: string,
  cache: StampCache<Md5sumsHits> | undefined,
  relevant?: (bytes: Buffer) => boolean,
): Map<string, string> {
  let stamp: string | undefined;
  try {
    const st = cache ? fs.statSync(file) : undefined;
    if (st?.isFile()) stamp = fileStamp(st);
  } catch {
    // unstattable: read (or fail) without the cache; the read says why
  }
  const saved = stamp === undefined ? undefined : cache!.get(file, stamp);
  const out = new Map<string, string>();
  if (saved?.wanted === signature) {
    for (let i = 0; i + 1 < saved.hits.length; i += 2) out.set(saved.hits[i]!, saved.hits[i + 1]!);
    return out;
  }
  const bytes = fs.readSync(file);
  if (!relevant || relevant(bytes))
    for (const [p, md5] of parseMd5sums(bytes.toString('utf8'))) if (wanted.has(p)) out.set(p, md5);
  if (stamp !== undefined) cache!.set(file, stamp, { wanted: signature, hits: [...out].flat() });
  return out;
}

/**
 * The md5 dpkg recorded for each owned path (path → owning package), keyed by the path as asked.
 * Only the owners' md5sums files are read (`<pkg>.md5sums` or `<pkg>:<arch>.md5sums`); a package
 * without one (some old or hand-built packages ship none) leaves its paths without a record.
 * Conffiles are never in md5sums, so configuration is excluded as rpm's %config is.
 */
export function dpkgRecords(
  fs: TargetFs,
  owned: Map<string, string>,
  log: CollectorLog,
): Promise<Map<string, Expected>> {
  const out = new Map<string, Expected>();
  let names: string[];
  try {
    names = dpkgInfoNames(fs).filter((n) => n.endsWith('.md5sums'));
  } catch (err) {
    if (!isGone(err)) log.add(`/${DPKG_INFO}`, err);
    return Promise.resolve(out);
  }
  const byPkg = new Map<string, string[]>();
  for (const [p, pkg] of owned) byPkg.set(pkg, [...(byPkg.get(pkg) ?? []), p]);
  const files = names.filter((n) => byPkg.has(n.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '')));
  // What each owner's md5sums file records of its paths is kept by the file's stamp (off without a
  // derived-cache directory).
  const cache = StampCache.open('md5sums-owned', fs.hostPathSync('/'), MD5SUMS_FORMAT, isMd5sumsHits);
  // The owners' few md5sums files, read on the spot (no thread-pool round trips, issue 17).
  for (const n of files) {
    const pkg = n.slice(0, -'.md5sums'.length).replace(/:[^:]*$/, '');
    const wanted = new Set((byPkg.get(pkg) ?? []).flatMap((p) => pathVariants(p)));
    let sums: Map<string, string>;
    try {
      sums = md5sumsFor(fs, `/${DPKG_INFO}/${n}`, wanted, md5sumsSignature(wanted), cache);
    } catch (err) {
      log.add(`/${DPKG_INFO}/${n}`, err);
      continue;
    }
    for (const p of byPkg.get(pkg) ?? []) {
      for (const v of pathVariants(p)) {
        const md5 = sums.get(v);
        if (md5 === undefined) continue;
        out.set(p, { pkg, listed: v, md5 });
        break;
      }
    }
  }
  cache?.save();
  return Promise.resolve(out);
}
