// Keeps the compiled rules (ours, the user's and the prefilter) in the scan cache's SQLite file,
// keyed by the engine version and every rule file's namespace and text, so a scan whose rules did
// not change restores them (about 15 ms) instead of compiling them (about 140 ms with the
// prefilter), which every `minehunter scan` would otherwise pay before reading a single file.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { sqliteOptions } from '../util/paths.js';
import { maskBytes, unmaskBytes } from '../util/mask.js';
import {
  compileRules,
  engineLabel,
  loadCompiledRules,
  type CompileResult,
  type RuleFileSpec,
  type RuleProblem,
  type ScanOptions,
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
  let db: Database.Database | undefined;
  try {
    db = open(cachePath);
    const row = db.prepare('SELECT blob, meta FROM compiled_rules WHERE key = ?').get(key) as
      { blob: Buffer; meta: string } | undefined;
    if (row) {
      const stored = JSON.parse(row.meta) as Stored;
      const blob = inflateRawSync(unmaskBytes(row.blob));
      const scanner = loadCompiledRules(blob, stored.ruleSetHash, stored.files, options);
      return { scanner, problems: stored.problems };
    }
  } catch {
    // fall through to compiling
  }
  const result = compileRules(files, options);
  try {
    db ??= open(cachePath);
    const stored: Stored = {
      ruleSetHash: result.scanner.ruleSetHash,
      files: [...result.scanner.files],
      problems: result.problems,
    };
    // Deflated, then masked (util/mask.ts): the serialised rules hold every pattern in clear.
    const blob = maskBytes(deflateRawSync(result.scanner.serialize()));
    // The newest rule set before this one stays, like the scan results (see ScanCache.prune).
    db.transaction(() => {
      db?.prepare(
        'DELETE FROM compiled_rules WHERE rowid NOT IN (SELECT rowid FROM compiled_rules ORDER BY rowid DESC LIMIT 1)',
      ).run();
      db?.prepare('INSERT OR REPLACE INTO compiled_rules (key, blob, meta) VALUES (?, ?, ?)').run(
        key,
        blob,
        JSON.stringify(stored),
      );
    })();
  } catch {
    // A read-only or full cache directory: the scan goes on with the rules just compiled.
  }
  db?.close();
  return result;
}
