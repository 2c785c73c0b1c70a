// Tests for the NDB (`Packages.db`, SUSE) reader. Debian's rpm 4.18 is built without the ndb
// backend (`--define '_db_backend ndb'` falls back to a dummy database), so the files are assembled
// by test-roots' ndbBytes from header blobs Debian's real rpm wrote into SQLite; that writer matches
// rpm 4.18's own rpmpkg.c byte for byte (see its comment). The SQLite reader on the same root is the
// oracle for packages, files and digests.
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetFs } from '../../../target/fs.js';
import { makeContext } from '../../context.js';
import { CollectorLog } from '../../support.js';
import { collectIntegrity } from '../integrity.js';
import { loadOwnership } from '../packages/ownership.js';
import { nevra } from './header.js';
import { readRpmDb, RpmDbError } from './index.js';
import { adler32, NdbError, readNdb } from './ndb.js';
import {
  buildProcpsRpm,
  convertToNdb,
  makeSqliteRoot,
  ndbBytes,
  rpmQuery,
  sqliteHeaders,
  tempDir,
} from './test-roots.js';

const DB = '/usr/lib/sysimage/rpm/Packages.db';
let work: string;
let rpmFile: string;

beforeAll(() => {
  work = tempDir('minehunter-ndb-test-');
  rpmFile = buildProcpsRpm(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ctxFor = (root: string) => makeContext(root, () => new Date('2100-01-01T00:00:00Z'));

/** Three copies of the one real header under indexes 1..3, so one can be damaged and two kept. */
const threeCopies = (rows: { hnum: number; blob: Buffer }[]) =>
  [1, 2, 3].map((hnum) => ({ hnum, blob: rows[0]!.blob }));

describe('NDB reader', () => {
  it('reads the same packages, files and digests as the SQLite reader on the same headers', async () => {
    const r = makeSqliteRoot(work, 'same', rpmFile);
    const oracle = rpmQuery(r, ['-qa']).trim();
    const fromSqlite = await readRpmDb(new TargetFs(r));
    convertToNdb(r);
    const fromNdb = await readRpmDb(new TargetFs(r));
    expect(fromNdb).toMatchObject({ format: 'ndb', path: DB, errors: [] });
    expect(fromNdb!.packages.map(nevra)).toEqual([oracle]);
    expect(fromNdb!.packages).toEqual(fromSqlite!.packages);
    const ps = fromNdb!.packages[0]!.files.find((f) => f.path === '/usr/bin/ps');
    expect(ps?.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads several slot pages and skips a slot freed the way rpm erases a package', () => {
    const [row] = sqliteHeaders(makeSqliteRoot(work, 'pages', rpmFile)) as [{ hnum: number; blob: Buffer }];
    const file = ndbBytes(
      [1, 2, 3].map((hnum) => ({ hnum, blob: row.blob })),
      { slotPages: 3 },
    );
    // rpmpkgDel: the slot keeps its magic with index, offset and count zeroed; the blob's blocks zeroed.
    const slot = 32 + 16; // the second slot
    const blkOff = file.readUInt32LE(slot + 8);
    const blkCnt = file.readUInt32LE(slot + 12);
    file.fill(0, slot + 4, slot + 16);
    file.fill(0, blkOff * 16, (blkOff + blkCnt) * 16);
    const { records, errors } = readNdb(file);
    expect(errors).toEqual([]);
    expect(records.map((r) => r.pkgIdx)).toEqual([1, 3]);
    expect(records.every((r) => r.blob.equals(row.blob))).toBe(true);
  });

  it('computes Adler-32 as RFC 1950 and zlib do', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(Buffer.alloc(0))).toBe(1);
    // Past the 5552-byte reduction interval; the value is Python zlib.adler32(b"\\xff" * 100000).
    expect(adler32(Buffer.alloc(100_000, 0xff))).toBe(0x149a302c);
  });
});

describe('NDB damage', () => {
  it('a truncated Packages.db is a clear RpmDbError, not an empty database', async () => {
    const r = makeSqliteRoot(work, 'truncated', rpmFile);
    const file = convertToNdb(r);
    truncateSync(file, 5000); // cut inside the blob
    await expect(readRpmDb(new TargetFs(r))).rejects.toThrow(RpmDbError);
    await expect(readRpmDb(new TargetFs(r))).rejects.toThrow(
      /Packages\.db: ndb rpm database not readable: truncated/,
    );
    truncateSync(file, 4096 + 16 * 4); // whole blocks, but the blob runs past the end
    await expect(readRpmDb(new TargetFs(r))).rejects.toThrow(/truncated: package 1 lies past the end/);
    truncateSync(file, 20);
    await expect(readRpmDb(new TargetFs(r))).rejects.toThrow(/too short for NDB/);
  });

  it('garbage, a wrong version or a broken slot page end in an error naming the file', async () => {
    expect(() => readNdb(Buffer.alloc(8192, 0x41))).toThrow(/bad magic/);
    const [row] = sqliteHeaders(makeSqliteRoot(work, 'garbage', rpmFile)) as [{ hnum: number; blob: Buffer }];
    const good = ndbBytes([row]);
    const version = Buffer.from(good);
    version.writeUInt32LE(1, 4);
    expect(() => readNdb(version)).toThrow(/unsupported NDB version 1/);
    const slotMagic = Buffer.from(good);
    slotMagic.writeUInt32LE(0, 32 + 16 * 7);
    expect(() => readNdb(slotMagic)).toThrow(NdbError);
    expect(() => readNdb(slotMagic)).toThrow(/slot 9 has a bad magic/);
    const hugePages = Buffer.from(good);
    hugePages.writeUInt32LE(0xffffffff, 12);
    expect(() => readNdb(hugePages)).toThrow(/truncated: the header names 4294967295 slot pages/);
  });

  it('one damaged blob is listed by package index and the others are still read', async () => {
    const r = makeSqliteRoot(work, 'one-bad', rpmFile);
    const file = convertToNdb(r, { headers: threeCopies });
    const bytes = readFileSync(file);
    const second = bytes.readUInt32LE(32 + 16 + 8) * 16;
    bytes.writeUInt8(bytes.readUInt8(second + 16 + 200) ^ 0x01, second + 16 + 200); // one bit of package 2
    writeFileSync(file, bytes);
    const db = await readRpmDb(new TargetFs(r));
    expect(db!.packages.map(nevra)).toEqual([
      'procps-ng-3.3.17-14.el9.x86_64',
      'procps-ng-3.3.17-14.el9.x86_64',
    ]);
    expect(db!.errors).toEqual([{ key: '2', message: 'blob checksum (Adler-32) mismatch' }]);
  });

  it('when no blob survives, the database is unreadable rather than empty', async () => {
    const r = makeSqliteRoot(work, 'all-bad', rpmFile);
    const file = convertToNdb(r);
    const bytes = readFileSync(file);
    bytes.fill(0, 4096); // every blob zeroed, the slots still point at them
    writeFileSync(file, bytes);
    await expect(readRpmDb(new TargetFs(r))).rejects.toThrow(
      /Packages\.db: no header could be decoded \(blob head has a bad magic\)/,
    );
  });
});

describe('NDB in the collectors', () => {
  it('integrity: a replaced /usr/bin/ps on a SUSE-layout root is reported from Packages.db', async () => {
    const r = makeSqliteRoot(work, 'replaced', rpmFile);
    convertToNdb(r);
    writeFileSync(path.join(r, 'usr/bin/ps'), '#!/bin/sh\nexec /tmp/.x/ps "$@" | grep -v xmrig\n');
    const { integrity, record } = await collectIntegrity(await ctxFor(r));
    expect(record.status).toBe('ok');
    expect(record.note).toBe(`rpm ndb database ${DB}: 1 packages`);
    expect(integrity?.binaries.map((b) => [b.path, b.status])).toEqual([
      ['/usr/bin/ps', 'modified'],
      ['/usr/bin/top', 'ok'],
      ['/usr/bin/free', 'ok'],
    ]);
  });

  it('integrity: a corrupt Packages.db is a failed record naming it', async () => {
    const r = makeSqliteRoot(work, 'corrupt', rpmFile);
    truncateSync(convertToNdb(r), 4100);
    const { integrity, record } = await collectIntegrity(await ctxFor(r));
    expect(integrity).toBeUndefined();
    expect(record.status).toBe('failed');
    expect(record.errors[0]).toMatchObject({ path: DB });
  });

  it('ownership answers from Packages.db', async () => {
    const r = makeSqliteRoot(work, 'owner', rpmFile);
    convertToNdb(r);
    const log = new CollectorLog('test', []);
    const own = await loadOwnership(new TargetFs(r), log);
    expect(own?.manager).toBe('rpm');
    expect(own?.note).toBe(`package ownership from rpm ndb database ${DB}`);
    expect([...own!.ownersOf(['/usr/bin/ps', '/tmp/.x/ps'])]).toEqual([['/usr/bin/ps', 'procps-ng']]);
  });
});
