// Where a watcher keeps what it has already said (watch-state.ts): a row of the `watch_state` table in
// the SQLite database the content scan's cache already uses (engine/cache.ts, scan-cache.sqlite), one
// row per watcher, named by its state path (`--state`, which also places its acks file and queues).
// SQLite replaces the row in one transaction, so a watcher killed mid-save (SIGKILL, power loss) keeps
// the previous state whole. A JSON state file left at that path by an earlier version is imported
// once (then renamed *.imported), so an upgrade repeats no alert. Where the database cannot be opened
// (a read-only cache directory, no SQLite addon), the state stays in the JSON file as before: the
// watcher says so and goes on.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { defaultCachePath, sqliteOptions } from '../util/paths.js';
import { emptyState, parseState, type WatchState } from './watch-state.js';

/** A watcher's state, loaded and saved. */
export interface StateStore {
  /** Where it is kept, for notes: `DB (name)` or the JSON file. */
  readonly where: string;
  /** Whether there is a state to load (a row, or a JSON file to import). */
  known(): boolean;
  load(): WatchState;
  save(state: WatchState): void;
  close(): void;
}

export interface StoreOptions {
  /** The SQLite database (the scan cache's). */
  database: string;
  /** The watcher's state path (`--state`): the row's name and where a legacy JSON file is looked for. */
  name: string;
  note: (text: string) => void;
  /** Only read (`minehunter ack`): nothing is created, imported or written. */
  readOnly?: boolean;
}

/** A row not saved for this long belongs to no running watcher any more. */
const FORGET_AFTER_MS = 365 * 24 * 3600 * 1000;

const TABLE = `CREATE TABLE IF NOT EXISTS watch_state (
  name TEXT PRIMARY KEY, state TEXT NOT NULL, saved_at TEXT NOT NULL)`;

/** The state store for one watcher: its row in the database, else (cannot open it) its JSON file. */
export function openStateStore(o: StoreOptions): StateStore {
  let db: Database.Database;
  try {
    if (o.readOnly && !existsSync(o.database)) throw new Error('no database yet');
    if (!o.readOnly) mkdirSync(path.dirname(o.database), { recursive: true, mode: 0o700 });
    // A content scan of the same watcher may be writing the cache: wait for it rather than fail.
    db = new Database(o.database, { ...sqliteOptions(), timeout: 10_000, readonly: Boolean(o.readOnly) });
    if (!o.readOnly) {
      db.pragma('journal_mode = WAL');
      // As the scan cache: a commit survives the process being killed; no fsync per save (a save
      // every interval would wait on the disk), so only a machine crash may lose the last few.
      db.pragma('synchronous = NORMAL');
      db.exec(TABLE);
      // The states of watchers gone for a year (temporary --state names, retired hosts' copies).
      db.prepare('DELETE FROM watch_state WHERE saved_at < ?').run(
        new Date(Date.now() - FORGET_AFTER_MS).toISOString(),
      );
    }
  } catch (err) {
    if (!o.readOnly)
      o.note(`state database ${o.database}: ${(err as Error).message}; state kept in ${o.name}`);
    return jsonStateStore(o.name, o.note);
  }
  return new SqliteStore(db, o);
}

/**
 * The database a watcher started with `env` keeps its state in: the scan cache under
 * $XDG_CACHE_HOME, else under its $HOME (what that process's defaultCachePath() gives).
 */
export function stateDatabase(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
  const home = env.HOME ? path.join(env.HOME, '.cache') : undefined;
  return defaultCachePath({ XDG_CACHE_HOME: xdg ?? home });
}

/** The state saved under `name` by a watcher started with `env`, only read; undefined when none. */
export function savedState(name: string, env: NodeJS.ProcessEnv = process.env): WatchState | undefined {
  const store = openStateStore({ database: stateDatabase(env), name, readOnly: true, note: () => {} });
  try {
    return store.known() ? store.load() : undefined;
  } finally {
    store.close();
  }
}

/** The state in a JSON file of its own (the fallback, and the loop's default without a database). */
export function jsonStateStore(file: string, note: (t: string) => void): StateStore {
  return new JsonStore(file, note);
}

/** Reads a state's JSON text; a damaged one is noted and started afresh (one round of repeats at most). */
function parsed(text: string, where: string, note: (t: string) => void): WatchState {
  const { state, problem } = parseState(text);
  if (problem) note(`state ${where}: ${problem}; starting afresh`);
  return state;
}

class SqliteStore implements StateStore {
  readonly where: string;
  private readonly get: Database.Statement<[string], { state: string }>;

  constructor(
    private readonly db: Database.Database,
    private readonly o: StoreOptions,
  ) {
    this.where = `${o.database} (${o.name})`;
    this.get = hasTable(db)
      ? db.prepare('SELECT state FROM watch_state WHERE name = ?')
      : // read-only on a database no watcher wrote to yet
        db.prepare('SELECT NULL AS state WHERE 0 AND ? IS NOT NULL');
  }

  known(): boolean {
    return this.get.get(this.o.name) !== undefined || existsSync(this.o.name);
  }

  load(): WatchState {
    const row = this.get.get(this.o.name);
    if (row) return parsed(row.state, this.where, this.o.note);
    return this.importJson();
  }

  /** The JSON state an earlier version left at the state path, moved into the database once. */
  private importJson(): WatchState {
    let text: string;
    try {
      text = readFileSync(this.o.name, 'utf8');
    } catch {
      return emptyState(); // a first run
    }
    const state = parsed(text, this.o.name, this.o.note);
    if (this.o.readOnly) return state;
    this.save(state);
    try {
      renameSync(this.o.name, `${this.o.name}.imported`);
    } catch {
      // left in place: the row is read first from now on
    }
    this.o.note(`state imported from ${this.o.name} into ${this.where}`);
    return state;
  }

  save(state: WatchState): void {
    this.db
      .prepare('INSERT OR REPLACE INTO watch_state (name, state, saved_at) VALUES (?, ?, ?)')
      .run(this.o.name, JSON.stringify(state), new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }
}

function hasTable(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'watch_state'").get() !==
    undefined
  );
}

/** The fallback: the JSON file, written aside and renamed over (a crash leaves the previous one). */
class JsonStore implements StateStore {
  constructor(
    readonly where: string,
    private readonly note: (t: string) => void,
  ) {}

  known(): boolean {
    return existsSync(this.where);
  }

  load(): WatchState {
    try {
      return parsed(readFileSync(this.where, 'utf8'), this.where, this.note);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.note(`state ${this.where}: ${(err as Error).message}`);
      return emptyState();
    }
  }

  save(state: WatchState): void {
    mkdirSync(path.dirname(this.where), { recursive: true, mode: 0o700 });
    const tmp = `${this.where}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
    renameSync(tmp, this.where);
  }

  close(): void {}
}
