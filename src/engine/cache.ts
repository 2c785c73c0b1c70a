// The content scan's cache: what scanning a file found, keyed by the file's identity and state
// (device, inode, size, mtime, ctime) and by the rule set's hash, in SQLite under the user's cache
// directory. A file whose key is unchanged is not read again; any write to it changes mtime or
// ctime (ctime cannot be set from user space), and new or changed rules change the hash.
import { createCipheriv } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FileIndex, type IndexArrays } from './file-index.js';
import { isEmptyResult, type FileResult } from './scan-job.js';

export interface CacheKey {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

/** $XDG_CACHE_HOME/minehunter/scan-cache.sqlite, else ~/.cache/minehunter/scan-cache.sqlite. */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : path.join(os.homedir(), '.cache');
  return path.join(base, 'minehunter', 'scan-cache.sqlite');
}

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

/** Beyond this many files the index would cost more memory than per-file lookups cost time. */
const INDEX_MAX_ROWS = 300_000;
/** Bump when the scan of a file changes what it records (not needed for rule changes: they hash). */
const SCAN_LOGIC_VERSION = 'scan-7';

interface Row {
  size: number;
  mtime: number;
  ctime: number;
  result: Buffer;
}

export class ScanCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[number, number, number], Row>;
  private readonly putStmt: Database.Statement<[number, number, number, number, number, number, Buffer]>;
  private pendingWrites: [number, number, number, number, number, number, Buffer][] = [];
  /** Every file of this rule set, its state and result (see file-index.ts), when there are few enough. */
  private index: FileIndex | undefined;
  /** The stored index is missing or older than this one. */
  private indexChanged = false;

  /** The rule set's row in `rulesets`: rows key on this small number, not the 70-byte hash. */
  private readonly ruleSet: number;

  /** Beyond this many files the index is not kept (INDEX_MAX_ROWS; smaller in tests). */
  private readonly indexMaxRows: number;

  constructor(
    readonly file: string,
    ruleSetHash: string,
    options: { indexMaxRows?: number } = {},
  ) {
    this.indexMaxRows = options.indexMaxRows ?? INDEX_MAX_ROWS;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Earlier formats: clear JSON results (which matched the rules), then rows keyed by the hash
    // text. Their rows cannot be reused: drop them and their pages.
    const old = this.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('scan', 'scan_v2')")
      .all() as { name: string }[];
    if (old.length > 0) {
      for (const { name } of old) this.db.exec(`DROP TABLE ${name}`);
      this.db.exec('VACUUM');
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS rulesets (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE)`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS scan_v3 (
      rs INTEGER NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,
      size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, result BLOB NOT NULL,
      PRIMARY KEY (rs, dev, ino)) WITHOUT ROWID`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS scan_index (rs INTEGER PRIMARY KEY, data BLOB NOT NULL)`);
    // What a file yields depends on the rules and on how minehunter reads it (archives, skips):
    // a change to either must miss the cache.
    const key = `${ruleSetHash}:${SCAN_LOGIC_VERSION}`;
    const added = this.db.prepare('INSERT OR IGNORE INTO rulesets (hash) VALUES (?)').run(key).changes > 0;
    this.ruleSet = (this.db.prepare('SELECT id FROM rulesets WHERE hash = ?').get(key) as { id: number }).id;
    // New rules (an update, an edited --rules file): without pruning the file would grow with
    // every change. The previous rule set stays too, so scans that alternate between two (with and
    // without --rules) keep both warm.
    if (added) this.prune();
    this.getStmt = this.db.prepare(
      'SELECT size, mtime, ctime, result FROM scan_v3 WHERE rs = ? AND dev = ? AND ino = ?',
    );
    this.putStmt = this.db.prepare(
      'INSERT OR REPLACE INTO scan_v3 (rs, dev, ino, size, mtime, ctime, result) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.index = this.loadIndex();
  }

  /**
   * The stored index, else one built from the table's rows (and stored at close). An index that
   * misses rows another scan wrote meanwhile only costs those files a rescan: every entry carries
   * the file state it was recorded for.
   */
  private loadIndex(): FileIndex | undefined {
    const stored = this.db.prepare('SELECT data FROM scan_index WHERE rs = ?').get(this.ruleSet) as
      { data: Buffer } | undefined;
    const index = stored ? FileIndex.fromBlob(stored.data) : undefined;
    if (index) return index;
    const count = (
      this.db.prepare('SELECT count(*) AS n FROM scan_v3 WHERE rs = ?').get(this.ruleSet) as { n: number }
    ).n;
    if (count > this.indexMaxRows) return undefined;
    const built = new FileIndex(Math.ceil(count * 1.25));
    const rows = this.db
      .prepare('SELECT dev, ino, size, mtime, ctime, result FROM scan_v3 WHERE rs = ?')
      .raw()
      .iterate(this.ruleSet) as IterableIterator<[number, number, number, number, number, Buffer]>;
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
        return decode(this.index.result(i));
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
    const row = this.getStmt.get(this.ruleSet, key.dev, key.ino);
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
    this.indexChanged = true;
    this.pendingWrites.push([this.ruleSet, key.dev, key.ino, key.size, key.mtimeMs, key.ctimeMs, encoded]);
    if (this.pendingWrites.length >= 2000) this.flush();
  }

  flush(): void {
    if (this.pendingWrites.length === 0) return;
    const rows = this.pendingWrites;
    this.pendingWrites = [];
    const put = this.putStmt;
    this.db.transaction(() => {
      for (const r of rows) put.run(r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
    })();
  }

  /** Drops the rows of all but the two newest rule sets. */
  private prune(): void {
    const keep = 'SELECT id FROM rulesets ORDER BY id DESC LIMIT 2';
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM scan_v3 WHERE rs NOT IN (${keep})`).run();
      this.db.prepare(`DELETE FROM scan_index WHERE rs NOT IN (${keep})`).run();
      this.db.prepare(`DELETE FROM rulesets WHERE id NOT IN (${keep})`).run();
    })();
  }

  close(): void {
    this.flush();
    if (this.index && this.indexChanged) {
      // Past the limit (a --full scan of a big host) the rows alone answer, one query per file.
      if (this.index.count > this.indexMaxRows)
        this.db.prepare('DELETE FROM scan_index WHERE rs = ?').run(this.ruleSet);
      else
        this.db
          .prepare('INSERT OR REPLACE INTO scan_index (rs, data) VALUES (?, ?)')
          .run(this.ruleSet, this.index.toBlob());
    }
    this.db.close();
  }
}
