// Keeps the compiled rules (ours, the user's and the prefilter) in the scan cache's SQLite file,
// keyed by the engine version and every rule file's namespace and text, so a scan whose rules did
// not change restores them (about 15 ms) instead of compiling them (about 140 ms with the
// prefilter), which every `minehunter scan` would otherwise pay before reading a single file.
// The rule set used last is also kept in a file of its own beside the cache, read without SQLite.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { sqliteOptions } from '../util/paths.js';
import { maskBytes, unmaskBytes } from '../util/mask.js';
import { compiledRulesFileOf } from './cache.js';
import {
  compileRules,
  engineLabel,
  loadCompiledRules,
  type CompileResult,
  type RuleFileSpec,
  type RuleProblem,
  type ScanOptions,
  type YaraScanner,
} from './yara.js';

/** Bump when the compiled form changes for the same sources (the prefilter planner, for one). */
const FORMAT = 'compiled-2';

interface Stored {
  ruleSetHash: string;
  files: RuleFileSpec[];
  problems: RuleProblem[];
}

/** The key of a rule set, or undefined when a file cannot be read (then compile, and report it). */
function keyOf(files: readonly RuleFileSpec[], options: ScanOptions): string | undefined {
  const hash = createHash('sha256').update(`${FORMAT}\0${engineLabel()}\0${options.prefilter !== false}\0`);
  for (const f of files) {
    try {
      hash.update(`${f.path}\0${f.namespace ?? ''}\0${readFileSync(f.path, 'utf8')}\0`);
    } catch {
      return undefined;
    }
  }
  return hash.digest('hex');
}

function open(cachePath: string): Database.Database {
  mkdirSync(path.dirname(cachePath), { recursive: true, mode: 0o700 });
  const db = new Database(cachePath, sqliteOptions());
  db.pragma('journal_mode = WAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS compiled_rules (key TEXT PRIMARY KEY, blob BLOB NOT NULL, meta TEXT NOT NULL)',
  );
  return db;
}

/**
 * The rule set used last, in a file beside the cache (cacheFiles() names it): a warm rescan reads
 * it alone. Through SQLite the same restore loaded the SQLite addon, opened the database and
 * unpacked the rules, ~25 ms of a ~110 ms warm rescan, though a rescan that finds every file in
 * the scan cache never scans a byte with them. Here the rules stay packed (masked and deflated)
 * until a scan needs them. Layout: magic, key length, meta length, blob length (u32 LE each),
 * the sha256 of meta and blob, the key, the masked meta (Stored as JSON), the blob as the table
 * holds it.
 */
export const RULES_FILE_MAGIC = 0x3152_484d; // "MHR1"
const RULES_FILE_HEAD = 16 + 32;

interface Packed {
  stored: Stored;
  /** Deflated serialised rules, masked (what the compiled_rules table holds). */
  blob: Buffer;
}

/** The rule set in the file when it is the one keyed `key`, whole and undamaged. */
function readRulesFile(file: string, key: string): Packed | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length < RULES_FILE_HEAD || bytes.readUInt32LE(0) !== RULES_FILE_MAGIC) return undefined;
  const keyEnd = RULES_FILE_HEAD + bytes.readUInt32LE(4);
  const metaEnd = keyEnd + bytes.readUInt32LE(8);
  const blobEnd = metaEnd + bytes.readUInt32LE(12);
  if (blobEnd !== bytes.length || bytes.toString('latin1', RULES_FILE_HEAD, keyEnd) !== key) return undefined;
  const blob = bytes.subarray(metaEnd, blobEnd);
  // A damaged blob would only show when a scan unpacks it, and fail that scan: checked now instead.
  if (!digestOf(bytes.subarray(keyEnd, metaEnd), blob).equals(bytes.subarray(16, RULES_FILE_HEAD)))
    return undefined;
  try {
    return {
      stored: JSON.parse(unmaskBytes(bytes.subarray(keyEnd, metaEnd)).toString('utf8')) as Stored,
      blob,
    };
  } catch {
    return undefined;
  }
}

/** The sha256 of the masked meta and the blob, one after the other. */
function digestOf(meta: Buffer, blob: Buffer): Buffer {
  return createHash('sha256').update(meta).update(blob).digest();
}

/** Writes the rule set's file whole (aside, then renamed over); a refusing directory costs nothing. */
function writeRulesFile(file: string, key: string, packed: Packed): void {
  const keyBytes = Buffer.from(key, 'latin1');
  const meta = maskBytes(Buffer.from(JSON.stringify(packed.stored)));
  const head = Buffer.alloc(RULES_FILE_HEAD);
  head.writeUInt32LE(RULES_FILE_MAGIC, 0);
  head.writeUInt32LE(keyBytes.length, 4);
  head.writeUInt32LE(meta.length, 8);
  head.writeUInt32LE(packed.blob.length, 12);
  digestOf(meta, packed.blob).copy(head, 16);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([head, keyBytes, meta, packed.blob]), { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}

/** A scanner of packed rules, unpacked when a scan first needs them. */
function unpackLater(packed: Packed, options: ScanOptions): YaraScanner {
  const { ruleSetHash, files } = packed.stored;
  return loadCompiledRules(() => inflateRawSync(unmaskBytes(packed.blob)), ruleSetHash, files, options);
}

/**
 * compileRules, through the cache at `cachePath`. Any trouble with the cache (unreadable, locked,
 * written by another engine build) falls back to compiling: the cache only ever saves time.
 */
export function compileRulesCached(
  files: readonly RuleFileSpec[],
  options: ScanOptions,
  cachePath: string | undefined,
): CompileResult {
  const key = cachePath ? keyOf(files, options) : undefined;
  if (!cachePath || !key) return compileRules(files, options);
  const rulesFile = compiledRulesFileOf(cachePath);
  const last = readRulesFile(rulesFile, key);
  if (last) return { scanner: unpackLater(last, options), problems: last.stored.problems };
  let db: Database.Database | undefined;
  try {
    db = open(cachePath);
    const row = db.prepare('SELECT blob, meta FROM compiled_rules WHERE key = ?').get(key) as
      { blob: Buffer; meta: string } | undefined;
    if (row) {
      const packed = { stored: JSON.parse(row.meta) as Stored, blob: row.blob };
      // Unpacked now: a damaged row falls through to compiling.
      const scanner = loadCompiledRules(
        inflateRawSync(unmaskBytes(row.blob)),
        packed.stored.ruleSetHash,
        packed.stored.files,
        options,
      );
      db.close();
      writeRulesFile(rulesFile, key, packed);
      return { scanner, problems: packed.stored.problems };
    }
  } catch {
    // fall through to compiling
  }
  const result = compileRules(files, options);
  const packed: Packed = {
    stored: {
      ruleSetHash: result.scanner.ruleSetHash,
      files: [...result.scanner.files],
      problems: result.problems,
    },
    // Deflated, then masked (util/mask.ts): the serialised rules hold every pattern in clear.
    blob: maskBytes(deflateRawSync(result.scanner.serialize())),
  };
  try {
    db ??= open(cachePath);
    // The newest rule set before this one stays, like the scan results (see ScanCache.prune).
    db.transaction(() => {
      db?.prepare(
        'DELETE FROM compiled_rules WHERE rowid NOT IN (SELECT rowid FROM compiled_rules ORDER BY rowid DESC LIMIT 1)',
      ).run();
      db?.prepare('INSERT OR REPLACE INTO compiled_rules (key, blob, meta) VALUES (?, ?, ?)').run(
        key,
        packed.blob,
        JSON.stringify(packed.stored),
      );
    })();
    writeRulesFile(rulesFile, key, packed);
  } catch {
    // A read-only or full cache directory: the scan goes on with the rules just compiled.
  }
  db?.close();
  return result;
}
