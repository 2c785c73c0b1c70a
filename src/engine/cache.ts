// The content scan's cache: what scanning a file found, keyed by the file's identity and state
// (device, inode, size, mtime, ctime) and by the rule set's hash, in SQLite under the user's cache
// directory. A file whose key is unchanged is not read again; any write to it changes mtime or
// ctime (ctime cannot be set from user space), and new or changed rules change the hash.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { FileResult } from './scan-job.js';

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
 * Results are stored compactly: an empty blob for the common "nothing found, not executable", else
 * deflated JSON. Deflating also keeps the matched excerpts out of the file in clear, so the cache
 * itself never matches the rules when a scan reaches it.
 */
function encode(r: FileResult): Buffer {
  if (r.matches.length === 0 && !r.sha256 && !r.entries && !r.skips && !r.archiveEntries) return EMPTY;
  return deflateRawSync(JSON.stringify(r));
}

function decode(b: Buffer): FileResult {
  return b.length === 0 ? { matches: [] } : (JSON.parse(inflateRawSync(b).toString('utf8')) as FileResult);
}

const EMPTY = Buffer.alloc(0);

const PRELOAD_MAX_ROWS = 300_000;
/** Bump when the scan of a file changes what it records (not needed for rule changes: they hash). */
const SCAN_LOGIC_VERSION = 'scan-3';

export class ScanCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<
    [number, number, string],
    { size: number; mtime: number; ctime: number; result: Buffer }
  >;
  private readonly putStmt: Database.Statement<[number, number, string, number, number, number, Buffer]>;
  private pendingWrites: [number, number, string, number, number, number, Buffer][] = [];
  /** All rows of this rule set, read in one query when there are few enough (see PRELOAD_MAX_ROWS). */
  private preloaded: Map<string, { size: number; mtime: number; ctime: number; result: Buffer }> | undefined;
  hits = 0;
  misses = 0;

  private readonly ruleSetHash: string;

  constructor(
    readonly file: string,
    ruleSetHash: string,
  ) {
    // What a file yields depends on the rules and on how minehunter reads it (archives, skips):
    // a change to either must miss the cache.
    this.ruleSetHash = `${ruleSetHash}:${SCAN_LOGIC_VERSION}`;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // The first format kept results as clear JSON, which matched the rules: drop it and its pages.
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scan'").get()) {
      this.db.exec('DROP TABLE scan');
      this.db.exec('VACUUM');
    }
    this.db.exec(`CREATE TABLE IF NOT EXISTS scan_v2 (
      dev INTEGER NOT NULL, ino INTEGER NOT NULL, ruleset TEXT NOT NULL,
      size INTEGER NOT NULL, mtime REAL NOT NULL, ctime REAL NOT NULL, result BLOB NOT NULL,
      PRIMARY KEY (dev, ino, ruleset)) WITHOUT ROWID`);
    this.getStmt = this.db.prepare(
      'SELECT size, mtime, ctime, result FROM scan_v2 WHERE dev = ? AND ino = ? AND ruleset = ?',
    );
    // One query for the whole table beats one lookup per file by 5-10x on a warm rescan; past a
    // few hundred thousand rows the map would cost more memory than the lookups cost time.
    const count = (
      this.db.prepare('SELECT count(*) AS n FROM scan_v2 WHERE ruleset = ?').get(this.ruleSetHash) as {
        n: number;
      }
    ).n;
    if (count <= PRELOAD_MAX_ROWS) {
      this.preloaded = new Map();
      const rows = this.db
        .prepare('SELECT dev, ino, size, mtime, ctime, result FROM scan_v2 WHERE ruleset = ?')
        .all(this.ruleSetHash) as {
        dev: number;
        ino: number;
        size: number;
        mtime: number;
        ctime: number;
        result: Buffer;
      }[];
      for (const r of rows) this.preloaded.set(`${r.dev}:${r.ino}`, r);
    }
    this.putStmt = this.db.prepare(
      'INSERT OR REPLACE INTO scan_v2 (dev, ino, ruleset, size, mtime, ctime, result) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** The stored result when the file is unchanged since it was scanned with these rules. */
  get(key: CacheKey): FileResult | undefined {
    const row = this.preloaded
      ? this.preloaded.get(`${key.dev}:${key.ino}`)
      : this.getStmt.get(key.dev, key.ino, this.ruleSetHash);
    if (row && row.size === key.size && row.mtime === key.mtimeMs && row.ctime === key.ctimeMs) {
      this.hits++;
      return decode(row.result);
    }
    this.misses++;
    return undefined;
  }

  /** Queued and written in one transaction per few thousand files: single inserts would dominate. */
  put(key: CacheKey, result: FileResult): void {
    // A file that could not be read is tried again next time.
    if (result.skips?.some((s) => s.path !== undefined && !s.path.includes('!'))) return;
    this.pendingWrites.push([
      key.dev,
      key.ino,
      this.ruleSetHash,
      key.size,
      key.mtimeMs,
      key.ctimeMs,
      encode(result),
    ]);
    if (this.pendingWrites.length >= 2000) this.flush();
  }

  flush(): void {
    if (this.pendingWrites.length === 0) return;
    const rows = this.pendingWrites;
    this.pendingWrites = [];
    this.db.transaction(() => {
      for (const r of rows) this.putStmt.run(...r);
    })();
  }

  /** Drops rows of other rule sets, so the file does not grow with every rule update. */
  prune(): void {
    this.db.prepare('DELETE FROM scan_v2 WHERE ruleset <> ?').run(this.ruleSetHash);
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
