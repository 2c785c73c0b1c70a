// The rpm database of a target, found and read through its TargetFs: SQLite (`rpmdb.sqlite`, rpm ≥
// 4.16) through better-sqlite3 on a private copy, Berkeley DB hash (`Packages`) and NDB
// (`Packages.db`, SUSE) by our own readers. Corrupt headers are listed one by one so one bad package
// does not hide the others.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { sqliteOptions } from '../../../util/paths.js';
import type { TargetFs } from '../../../target/fs.js';
import { errorMessage, isGone } from '../../support.js';
import { readBdbHash } from './bdb.js';
import { parseHeaderBlob, type RpmPackage } from './header.js';
import { readNdb } from './ndb.js';

export type RpmDbFormat = 'sqlite' | 'bdb' | 'ndb';

export interface RpmDatabase {
  format: RpmDbFormat;
  /** The database file inside the target. */
  path: string;
  packages: RpmPackage[];
  /** Headers that could not be decoded: the record key and why. */
  errors: { key: string; message: string }[];
}

/** The database file cannot be read as a whole (corrupt, truncated, unsupported). */
export class RpmDbError extends Error {
  constructor(
    readonly dbPath: string,
    message: string,
  ) {
    super(`${dbPath}: ${message}`);
  }
}

/** Where rpm keeps its database, newest layout first; the first that exists is the live one. */
const CANDIDATES: { path: string; format: RpmDbFormat }[] = [
  { path: '/usr/lib/sysimage/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/var/lib/rpm/rpmdb.sqlite', format: 'sqlite' },
  { path: '/usr/lib/sysimage/rpm/Packages.db', format: 'ndb' },
  { path: '/var/lib/rpm/Packages.db', format: 'ndb' },
  { path: '/usr/lib/sysimage/rpm/Packages', format: 'bdb' },
  { path: '/var/lib/rpm/Packages', format: 'bdb' },
];

/** The rpm database file of the target, or undefined when it has none. */
export async function findRpmDb(fs: TargetFs): Promise<{ path: string; format: RpmDbFormat } | undefined> {
  for (const c of CANDIDATES) {
    try {
      if ((await fs.stat(c.path)).isFile()) return c;
    } catch (err) {
      if (!isGone(err)) return c; // present but unreadable: reading it reports why
    }
  }
  return undefined;
}

function packagesTable(db: Database.Database): { key: string; blob: Buffer }[] {
  try {
    const rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').raw().all() as [
      number,
      Buffer,
    ][];
    return rows.map(([hnum, blob]) => ({ key: String(hnum), blob }));
  } finally {
    db.close();
  }
}

/**
 * The header blobs of an SQLite rpmdb. SQLite is never pointed at the target's file: it would write
 * a -shm file (or replay the log) inside the evidence, and a read-only mount would refuse the open.
 * The bytes are opened in memory; only an unmerged write-ahead log forces a private copy on disk.
 */
async function sqliteBlobs(fs: TargetFs, dbPath: string): Promise<{ key: string; blob: Buffer }[]> {
  // SQLite loads only on a host whose rpm database is SQLite (issue 17: start-up time).
  const { default: Database } = await import('better-sqlite3');
  const main = await fs.read(dbPath);
  const wal = await fs.read(`${dbPath}-wal`).catch((err: unknown) => {
    if (isGone(err)) return undefined;
    throw err;
  });
  if (!wal || wal.length === 0) {
    // rpm leaves its database in WAL mode (header bytes 18/19 = 2), which SQLite refuses to open
    // from memory; with no log to replay, the rollback-journal flag reads the same pages.
    if (main.length >= 100 && main[18] === 2 && main[19] === 2) main[18] = main[19] = 1;
    return packagesTable(new Database(main, { ...sqliteOptions(), readonly: true }));
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-rpmdb-'));
  try {
    const copy = path.join(dir, 'rpmdb.sqlite');
    await writeFile(copy, main);
    await writeFile(`${copy}-wal`, wal);
    return packagesTable(new Database(copy, { ...sqliteOptions(), fileMustExist: true }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The header blobs of a Berkeley DB `Packages`; key 0 is rpm's instance counter, not a header. */
async function bdbBlobs(fs: TargetFs, dbPath: string): Promise<{ key: string; blob: Buffer }[]> {
  const records = readBdbHash(await fs.read(dbPath));
  const out: { key: string; blob: Buffer }[] = [];
  for (const r of records) {
    const key = r.key.length === 4 ? r.key.readUInt32LE(0) : -1;
    if (key === 0) continue;
    out.push({ key: key >= 0 ? String(key) : r.key.toString('hex'), blob: r.value });
  }
  return out;
}

/**
 * The header blobs of an NDB `Packages.db`, by package index. A blob whose wrapper or checksum is
 * damaged is listed as an error beside the header errors, as rpm would refuse to load it.
 */
async function ndbBlobs(
  fs: TargetFs,
  dbPath: string,
): Promise<{ blobs: { key: string; blob: Buffer }[]; errors: RpmDatabase['errors'] }> {
  const { records, errors } = readNdb(await fs.read(dbPath));
  return {
    blobs: records.map((r) => ({ key: String(r.pkgIdx), blob: r.blob })),
    errors: errors.map((e) => ({ key: String(e.pkgIdx), message: e.message })),
  };
}

/** The blobs of whichever format the target has, plus records its container already refused. */
async function readBlobs(
  fs: TargetFs,
  found: { path: string; format: RpmDbFormat },
): Promise<{ blobs: { key: string; blob: Buffer }[]; errors: RpmDatabase['errors'] }> {
  if (found.format === 'ndb') return ndbBlobs(fs, found.path);
  const blobs =
    found.format === 'sqlite' ? await sqliteBlobs(fs, found.path) : await bdbBlobs(fs, found.path);
  return { blobs, errors: [] };
}

/** Reads the target's rpm database; undefined when there is none, RpmDbError when it is unusable. */
export async function readRpmDb(fs: TargetFs): Promise<RpmDatabase | undefined> {
  const found = await findRpmDb(fs);
  if (!found) return undefined;
  let read: Awaited<ReturnType<typeof readBlobs>>;
  try {
    read = await readBlobs(fs, found);
  } catch (err) {
    throw new RpmDbError(found.path, `${found.format} rpm database not readable: ${errorMessage(err)}`);
  }
  const { blobs } = read;
  const db: RpmDatabase = { format: found.format, path: found.path, packages: [], errors: [...read.errors] };
  for (const { key, blob } of blobs) {
    try {
      db.packages.push(parseHeaderBlob(blob));
    } catch (err) {
      db.errors.push({ key, message: errorMessage(err) });
    }
  }
  if (db.packages.length === 0 && db.errors.length > 0)
    throw new RpmDbError(found.path, `no header could be decoded (${db.errors[0]!.message})`);
  return db;
}

const cache = new WeakMap<TargetFs, Promise<RpmDatabase | undefined>>();

/** readRpmDb once per target: integrity and ownership both ask, and a full database costs ~1 s. */
export function readRpmDbCached(fs: TargetFs): Promise<RpmDatabase | undefined> {
  let p = cache.get(fs);
  if (!p) {
    p = readRpmDb(fs);
    cache.set(fs, p);
  }
  return p;
}
