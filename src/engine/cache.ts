// The content scan's cache: what scanning a file found, keyed by the file's identity and state
// (device, inode, size, mtime, ctime) and by the rule set's hash, in SQLite under the user's cache
// directory. A file whose key is unchanged is not read again; any write to it changes mtime or
// ctime (ctime cannot be set from user space), and new or changed rules change the hash.
import { createCipheriv } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sqliteOptions } from '../util/paths.js';
import { readWhole } from '../util/read-whole.js';
import { FileIndex, INDEX_FILE_MAGIC, dayOf, type CacheKey, type IndexArrays } from './file-index.js';
import { isEmptyResult, type FileResult } from './scan-job.js';
import { WEB_NORMALISER_VERSION } from './web-normalise/index.js';

export type { CacheKey };

/** Named in util/paths.ts, so the command line names it without loading SQLite (issue 17). */
export { defaultCachePath } from '../util/paths.js';

/**
 * Results are stored compactly: an empty blob for the common "nothing found, not executable", 33
 * bytes (tag 1, the sha256) for an executable where nothing was found, else tag 3 and masked JSON.
 */
function encode(r: FileResult): Buffer {
  if (isEmptyResult(r)) return EMPTY;
  if (isExecutableOnly(r)) return Buffer.concat([TAG_EXECUTABLE, Buffer.from(r.sha256 as string, 'hex')]);
  return Buffer.concat([TAG_MASKED, mask(Buffer.from(JSON.stringify(r)))]);
}

const TAG_EXECUTABLE = Buffer.from([1]);
const TAG_MASKED = Buffer.from([3]);

/**
 * Hides a result's bytes: AES-128-CTR under a fixed key, so it is its own inverse. Not secrecy
 * (the key is here): it keeps the matched excerpts a result holds out of the file in clear, so the
 * cache never matches the rules, ours or another scanner's, when a scan reaches it. Deflating did
 * the same at twice the cost per result in a fresh process, a XOR loop in JavaScript at four times.
 */
function mask(b: Buffer): Buffer {
  return createCipheriv('aes-128-ctr', MASK_KEY, MASK_IV).update(b);
}

const MASK_KEY = Buffer.from('minehunter-cache');
const MASK_IV = Buffer.alloc(16);

/** An executable where nothing was found: all a scan records is its hash. */
function isExecutableOnly(r: FileResult): boolean {
  return (
    r.executable === true &&
    typeof r.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(r.sha256) &&
    isEmptyResult({
      matches: r.matches,
      entries: r.entries,
      archiveEntries: r.archiveEntries,
      skips: r.skips,
      // A padded or part-scanned program keeps those facts: stored whole, not as its hash alone.
      padding: r.padding,
      parts: r.parts,
      web: r.web,
    })
  );
}

/** The answer for the usual file, shared: callers only read results. */
const NOTHING: FileResult = Object.freeze({ matches: Object.freeze([]) as unknown as FileResult['matches'] });

/** The stored result, or undefined when the blob is not one encode() wrote (a damaged file). */
function decode(b: Buffer): FileResult | undefined {
  if (b.length === 0) return NOTHING;
  if (b[0] === 1 && b.length === 33) return { matches: [], sha256: b.toString('hex', 1), executable: true };
  if (b[0] !== 3) return undefined;
  try {
    const r = JSON.parse(mask(b.subarray(1)).toString('utf8')) as FileResult;
    return Array.isArray(r?.matches) ? r : undefined;
  } catch {
    return undefined;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Beyond this many files the index would cost more memory than per-file lookups cost time. An entry
 * is ~60 bytes (file-index.ts), so 2M files hold ~120 MB; past the limit each file costs one SQLite
 * query, which made a warm `--path` over 1M files take a minute instead of seconds (issue 20).
 */
const INDEX_MAX_ROWS = 2_000_000;
/**
 * Up to this many files (~12 MB) the database keeps a copy of an index whose file another rule set
 * took over, or that could not be written (see storeIndex()); past it, the rows rebuild the index
 * (2-3 s of CPU for a million files).
 */
const DB_INDEX_MAX_ROWS = 200_000;
/**
 * A file no scan has met for this many days is forgotten (index entry and row): without it the
 * cache grew with every file that ever passed through /tmp or a log directory, and a warm scan
 * loaded them all. Measured here after a few weeks of test runs: 1.1M entries (an 84 MB index
 * file, a 217 MB database) where a scan needed 8,000; the warm default scan took 1.7 s and 227 MB
 * instead of 1.3 s and 143 MB (issues 17 and 20). Two weeks keep a tree scanned with --path now
 * and then warm.
 */
const KEEP_UNUSED_DAYS = 14;
/** Bump when the scan of a file changes what it records (not needed for rule changes: they hash). */
const SCAN_LOGIC_VERSION = 'scan-9';

interface Row {
  size: number;
  mtime: number;
  ctime: number;
  result: Buffer;
}

/** The database of a cache file, opened (see ScanCache.db). */
interface Opened {
  db: Database.Database;
  /** The rule set's row in `rulesets`: rows key on this small number, not the 70-byte hash. */
  ruleSet: number;
  getStmt: Database.Statement<[number, number, number], Row>;
  putStmt: Database.Statement<[number, number, number, number, number, number, Buffer]>;
}

/**
 * The files a cache at `file` consists of: the database, its WAL and shared memory, the index, and
 * the rules used last (compiled-cache.ts).
 */
export function cacheFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`, indexFileOf(file), compiledRulesFileOf(file)];
}

/** Where the compiled rules used last are kept beside a cache at `file` (see compiled-cache.ts). */
export const compiledRulesFileOf = (file: string): string => `${file}-rules`;

const indexFileOf = (file: string): string => `${file}-index`;

/**
 * The index file: the last scan's index (the same blob FileIndex.toParts() gives) with the rule-set
 * key it belongs to, so a warm rescan reads one file and never opens SQLite when nothing changed;
 * opening the database alone (loading the SQLite addon) costs as much as a quarter of such a rescan.
 * Magic, key length, key, padding to 8 bytes (so the index's arrays are views of the file's bytes),
 * then the index.
 */
function readIndexFile(file: string, key: string): FileIndex | undefined {
  const read = readIndexFileBytes(file);
  return read?.key === key ? FileIndex.fromBlob(read.index) : undefined;
}

/** The index file's rule-set key and index bytes; undefined when there is none or it is not one. */
function readIndexFileBytes(file: string): { key: string; index: Buffer } | undefined {
  let bytes: Buffer;
  try {
    bytes = readWhole(file);
  } catch {
    return undefined; // none yet, or unreadable: the rows rebuild the index
  }
  const header = indexFileHeader(bytes, bytes.length);
  return header && { key: header.key, index: bytes.subarray(header.start) };
}

/** The rule-set key an index file's first `length` bytes name, and where its index starts. */
function indexFileHeader(bytes: Buffer, length: number): { key: string; start: number } | undefined {
  if (length < 8 || bytes.readUInt32LE(0) !== INDEX_FILE_MAGIC) return undefined;
  const keyLength = bytes.readUInt32LE(4);
  const start = indexStart(keyLength);
  if (start > length) return undefined;
  return { key: bytes.toString('utf8', 8, 8 + keyLength), start };
}

/** The index file's rule-set key and entry count, from its first bytes; undefined when it is not one. */
function readIndexFileHead(file: string): { key: string; count: number } | undefined {
  const head = Buffer.alloc(4096);
  let length: number;
  try {
    const fd = openSync(file, 'r');
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const header = indexFileHeader(head, length);
  const count = header && FileIndex.countOf(head.subarray(header.start, length));
  return header && count !== undefined ? { key: header.key, count } : undefined;
}

/** Writes the index file whole (aside, then renamed over); false when the directory refused it. */
function writeIndexFile(file: string, key: string, parts: readonly Buffer[]): boolean {
  const keyBytes = Buffer.from(key);
  const header = Buffer.alloc(indexStart(keyBytes.length));
  header.writeUInt32LE(INDEX_FILE_MAGIC, 0);
  header.writeUInt32LE(keyBytes.length, 4);
  keyBytes.copy(header, 8);
  // Written aside and renamed over: a scan reading it meanwhile sees the old or the new one whole.
  const temp = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    // Header and the index's pieces written one after the other: a concatenated copy of an index
    // of a million files was another ~55 MB on the scan's peak memory, at its very end (issue 20).
    const fd = openSync(temp, 'w', 0o600);
    created = true;
    try {
      writeAll(fd, header);
      for (const part of parts) writeAll(fd, part);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    return true;
  } catch {
    // Only what this scan created is removed (something else at that path is not ours).
    if (created) rmSync(temp, { force: true });
    return false;
  }
}

/** Writes all of `buf` at the file's position (a write may take less than it was given). */
function writeAll(fd: number, buf: Buffer): void {
  for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at, buf.length - at);
}

const indexStart = (keyLength: number): number => (8 + keyLength + 7) & ~7;

export class ScanCache {
  /** Opened on first need: a warm rescan of an unchanged tree never needs it (see readIndexFile). */
  private opened: Opened | undefined;
  /** Rows waiting for flush(): dev, ino, size, mtime, ctime, result. */
  private pendingWrites: [number, number, number, number, number, Buffer][] = [];
  /** Every file of this rule set, its state and result (see file-index.ts), when there are few enough. */
  private index: FileIndex | undefined;
  /** The index stored in the database is missing or older than this one. */
  private indexChanged = false;
  /** The index file does not hold this one (see readIndexFile). */
  private indexFileStale = false;
  /** The index was read from the index file (not the database's copy or rows). */
  private indexFromFile = false;
  /** What a file yields depends on the rules and on how minehunter reads it (archives, skips). */
  private readonly key: string;

  /** Beyond this many files the index is not kept (INDEX_MAX_ROWS; smaller in tests). */
  private readonly indexMaxRows: number;
  /** Beyond this many files the index is kept in its file only (DB_INDEX_MAX_ROWS; smaller in tests). */
  private readonly dbIndexMaxRows: number;
  private closed = false;
  /** The clock, in ms (tests move it to see entries expire). */
  private readonly now: () => number;

  constructor(
    readonly file: string,
    ruleSetHash: string,
    options: { indexMaxRows?: number; dbIndexMaxRows?: number; now?: () => number } = {},
  ) {
    this.indexMaxRows = options.indexMaxRows ?? INDEX_MAX_ROWS;
    this.dbIndexMaxRows = options.dbIndexMaxRows ?? DB_INDEX_MAX_ROWS;
    this.now = options.now ?? Date.now;
    // A change to the rules, to how files are read or to what the web normaliser decodes (its
    // matches are stored with the file's) must miss the cache.
    this.key = `${ruleSetHash}:${SCAN_LOGIC_VERSION}:web-${WEB_NORMALISER_VERSION}`;
    const fromFile = readIndexFile(indexFileOf(file), this.key);
    this.indexFromFile = fromFile !== undefined;
    this.index = fromFile ?? this.loadIndex();
  }

  /** The database, opened (and created or migrated) on first use. */
  private get db(): Opened {
    return (this.opened ??= this.open());
  }

  private open(): Opened {
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const db = new Database(this.file, sqliteOptions());
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Earlier formats: clear JSON results (which matched the rules), then rows keyed by the hash
    // text. Their rows cannot be reused: drop them and their pages.
    const old = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('scan', 'scan_v2')")
      .all() as { name: string }[];
    if (old.length > 0) {
      for (const { name } of old) db.exec(`DROP TABLE ${name}`);
      db.exec('VACUUM');
    }
    db.exec(`CREATE TABLE IF NOT EXISTS rulesets (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE)`);
    db.exec(`CREATE TABLE IF NOT EXISTS scan_v3 (
      rs INTEGER NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
      size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, result BLOB NOT NULL,
      PRIMARY KEY (rs, dev, ino)) WITHOUT ROWID`);
    db.exec(`CREATE TABLE IF NOT EXISTS scan_index (rs INTEGER PRIMARY KEY, data BLOB NOT NULL)`);
    const added = db.prepare('INSERT OR IGNORE INTO rulesets (hash) VALUES (?)').run(this.key).changes > 0;
    const ruleSet = (db.prepare('SELECT id FROM rulesets WHERE hash = ?').get(this.key) as { id: number }).id;
    // New rules (an update, an edited --rules file): without pruning the file would grow with
    // every change. The previous rule set stays too, so scans that alternate between two (with and
    // without --rules) keep both warm.
    if (added) prune(db);
    return {
      db,
      ruleSet,
      getStmt: db.prepare(
        'SELECT size, mtime, ctime, result FROM scan_v3 WHERE rs = ? AND dev = ? AND ino = ?',
      ),
      putStmt: db.prepare(
        'INSERT OR REPLACE INTO scan_v3 (rs, dev, ino, size, mtime, ctime, result) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  /**
   * The database's copy of the index, else one built from the table's rows (stored at close).
   * An index that misses rows another scan wrote meanwhile only costs those files a rescan: every
   * entry carries the file state it was recorded for.
   */
  private loadIndex(): FileIndex | undefined {
    const { db, ruleSet } = this.db;
    const stored = db.prepare('SELECT data FROM scan_index WHERE rs = ?').get(ruleSet) as
      { data: Buffer } | undefined;
    const index = stored ? FileIndex.fromBlob(stored.data) : undefined;
    // Written at close, so the index file holds this rule set's next time.
    this.indexFileStale = true;
    if (index) return index;
    const count = (db.prepare('SELECT count(*) AS n FROM scan_v3 WHERE rs = ?').get(ruleSet) as { n: number })
      .n;
    if (count > this.indexMaxRows) return undefined;
    const built = new FileIndex(Math.ceil(count * 1.25));
    const rows = db
      .prepare('SELECT dev, ino, size, mtime, ctime, result FROM scan_v3 WHERE rs = ?')
      .raw()
      .iterate(ruleSet) as IterableIterator<[number, number, number, number, number, Buffer]>;
    for (const [dev, ino, size, mtimeMs, ctimeMs, result] of rows)
      built.set({ dev, ino, size, mtimeMs, ctimeMs }, result);
    this.indexChanged = true;
    return built;
  }

  /** The stored result when the file is unchanged since it was scanned with these rules. */
  get(key: CacheKey): FileResult | undefined {
    if (this.index) {
      const i = this.index.find(key.dev, key.ino);
      if (i >= 0 && this.index.sameState(i, key.size, key.mtimeMs, key.ctimeMs)) {
        const result = this.index.result(i);
        return result && decode(result);
      }
      return undefined;
    }
    return this.fromTable(key);
  }

  /**
   * The index's arrays, for the walker's shortcut (see WalkOptions.unchanged): the files they hold
   * in exactly their current state with nothing found are counted, not read. Undefined past
   * indexMaxRows, where there is no index.
   */
  indexArrays(): IndexArrays | undefined {
    return this.index?.arrays();
  }

  private fromTable(key: CacheKey): FileResult | undefined {
    const { getStmt, ruleSet } = this.db;
    const row = getStmt.get(ruleSet, key.dev, key.ino);
    if (row && row.size === key.size && row.mtime === key.mtimeMs && row.ctime === key.ctimeMs) {
      return decode(row.result);
    }
    return undefined;
  }

  /** Queued and written in one transaction per few thousand files: single inserts would dominate. */
  put(key: CacheKey, result: FileResult): void {
    // A file that could not be read is tried again next time.
    if (result.skips?.some((s) => s.path !== undefined && !s.path.includes('!'))) return;
    const encoded = encode(result);
    this.index?.set(key, encoded);
    this.indexChanged = this.indexFileStale = true;
    this.pendingWrites.push([key.dev, key.ino, key.size, key.mtimeMs, key.ctimeMs, encoded]);
    if (this.pendingWrites.length >= 2000) this.flush();
  }

  flush(): void {
    if (this.pendingWrites.length === 0) return;
    const rows = this.pendingWrites;
    this.pendingWrites = [];
    const { db, putStmt, ruleSet } = this.db;
    db.transaction(() => {
      for (const r of rows) putStmt.run(ruleSet, r[0], r[1], r[2], r[3], r[4], r[5]);
    })();
  }

  /**
   * Notes today as the last use of what this scan met and forgets what none met for
   * KEEP_UNUSED_DAYS, in the index and in the database (whose rows would otherwise rebuild it).
   */
  private forgetUnused(index: FileIndex): void {
    const today = dayOf(this.now());
    const { changed, stale } = index.noteUse(today, KEEP_UNUSED_DAYS);
    if (changed) this.indexFileStale = true;
    if (stale === 0) return;
    const dropped = index.expire(today, KEEP_UNUSED_DAYS);
    if (dropped.length === 0) return;
    this.indexChanged = this.indexFileStale = true;
    const { db, ruleSet } = this.db;
    const del = db.prepare('DELETE FROM scan_v3 WHERE rs = ? AND dev = ? AND ino = ?');
    db.transaction(() => {
      for (const { dev, ino } of dropped) del.run(ruleSet, dev, ino);
    })();
  }

  /** Writes what is pending and the index, and closes the database; once (later calls do nothing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.flush();
    const index = this.index;
    if (index) this.forgetUnused(index);
    if (index && (this.indexChanged || this.indexFileStale)) this.storeIndex(index);
    this.opened?.db.close();
  }

  /**
   * Stores the index where the next scan reads it: its file. The database keeps a copy only of the
   * rule set whose file this one takes over (so scans alternating between two rule sets, with and
   * without --rules, stay warm) and of this one when its file cannot be written: a copy stored at
   * every scan that met a new file wrote the whole index to SQLite's log and back, ~90 ms of a
   * 0.8 s warm default scan for 5,000 files. Past indexMaxRows the rows alone answer.
   */
  private storeIndex(index: FileIndex): void {
    const file = indexFileOf(this.file);
    const parts = index.count > this.indexMaxRows ? undefined : index.toParts();
    if (!parts) {
      rmSync(file, { force: true });
      if (this.indexChanged) this.storeDbCopy(this.db.ruleSet, undefined);
      return;
    }
    // The file held another rule set's index when this scan began (or none, or a damaged one).
    if (!this.indexFromFile) this.keepDisplacedIndex(file);
    if (writeIndexFile(file, this.key, parts)) {
      // This rule set's copy (loaded when its file was another's) is older than the file from now on.
      if (this.opened) this.storeDbCopy(this.opened.ruleSet, undefined);
    } else if (this.indexChanged) {
      this.storeDbCopy(
        this.db.ruleSet,
        index.count <= this.dbIndexMaxRows ? Buffer.concat(parts) : undefined,
      );
    }
  }

  /** The index file's index when it belongs to another rule set this database knows, as its copy. */
  private keepDisplacedIndex(file: string): void {
    // Its head first: a large index is not read whole only to be left out.
    const head = readIndexFileHead(file);
    if (!head || head.key === this.key || head.count > this.dbIndexMaxRows) return;
    const row = this.db.db.prepare('SELECT id FROM rulesets WHERE hash = ?').get(head.key) as
      { id: number } | undefined;
    const displaced = row && readIndexFileBytes(file);
    if (row && displaced?.key === head.key) this.storeDbCopy(row.id, displaced.index);
  }

  /** Sets (or with no blob, removes) the database's copy of a rule set's index. */
  private storeDbCopy(ruleSet: number, blob: Buffer | undefined): void {
    const { db } = this.db;
    if (blob) db.prepare('INSERT OR REPLACE INTO scan_index (rs, data) VALUES (?, ?)').run(ruleSet, blob);
    else db.prepare('DELETE FROM scan_index WHERE rs = ?').run(ruleSet);
  }
}

/** Drops the rows of all but the two newest rule sets. */
function prune(db: Database.Database): void {
  const keep = 'SELECT id FROM rulesets ORDER BY id DESC LIMIT 2';
  db.transaction(() => {
    db.prepare(`DELETE FROM scan_v3 WHERE rs NOT IN (${keep})`).run();
    db.prepare(`DELETE FROM scan_index WHERE rs NOT IN (${keep})`).run();
    db.prepare(`DELETE FROM rulesets WHERE id NOT IN (${keep})`).run();
  })();
}
