// Tests for the system binary integrity collector: md5sums parsing, /usr-merge aliases, the fixture
// roots (a replaced ps, a package-less netstat, and their clean twin; dpkg's check is digest only),
// and this machine's own tools.
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setDerivedCacheDir } from '../../util/derived-cache.js';
import { makeContext } from '../context.js';
import { FIXTURE_ROOTS } from '../test-helpers.js';
import { collectIntegrity, mergedAliases, parseMd5sums } from './integrity.js';

const ctxFor = (root: string) => makeContext(root, () => new Date('2100-01-01T00:00:00Z'));

describe('integrity', () => {
  it('parses md5sums and maps /bin ↔ /usr/bin', () => {
    expect([...parseMd5sums('08a07e7517a09d2f40e2618eff4adf22  bin/ps\nbad line\n')]).toEqual([
      ['/bin/ps', '08a07e7517a09d2f40e2618eff4adf22'],
    ]);
    expect(mergedAliases('/bin/ps')).toEqual(['/usr/bin/ps', '/bin/ps']);
    expect(mergedAliases('/usr/sbin/ss')).toEqual(['/usr/sbin/ss', '/sbin/ss']);
  });

  it('finds a replaced ps (listed by dpkg as bin/ps) and a netstat no package installed', async () => {
    const { integrity, record } = await collectIntegrity(
      await ctxFor(path.join(FIXTURE_ROOTS, 'persist-integrity')),
    );
    expect(record.status).toBe('ok');
    // dpkg keeps md5 alone: the record says size and mode were not compared, and none is recorded.
    expect(record.note).toBe('dpkg md5sums: digest only (dpkg records no size or mode)');
    expect(integrity?.binaries.some((b) => b.expectedMode !== undefined || b.mode !== undefined)).toBe(false);
    expect(integrity?.binaries.map((b) => [b.path, b.status, b.package ?? '', b.packagePath ?? ''])).toEqual([
      ['/usr/bin/ps', 'modified', 'procps', '/bin/ps'],
      ['/usr/bin/top', 'ok', 'procps', '/usr/bin/top'],
      ['/usr/bin/netstat', 'unpackaged', '', ''],
    ]);
    const clean = await collectIntegrity(await ctxFor(path.join(FIXTURE_ROOTS, 'persist-integrity-clean')));
    expect(clean.integrity?.binaries.map((b) => b.status)).toEqual(['ok', 'ok']);
  });

  it('gives the same verdicts from its digest cache, and hashes a program changed in place again', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-integrity-'));
    const root = path.join(tmp, 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'persist-integrity-clean'), root, { recursive: true });
    const statuses = async () =>
      (await collectIntegrity(await ctxFor(root))).integrity?.binaries.map((b) => [
        b.path,
        b.status,
        b.sha256,
      ]);
    try {
      const uncached = await statuses();
      expect(uncached?.map((b) => b[1])).toEqual(['ok', 'ok']);
      setDerivedCacheDir(path.join(tmp, 'cache'));
      expect(await statuses()).toEqual(uncached); // fills the cache
      expect(await statuses()).toEqual(uncached); // answers from it
      const first = (await collectIntegrity(await ctxFor(root))).integrity!.binaries[0]!.path;
      appendFileSync(path.join(root, first), 'patched');
      expect((await statuses())?.map((b) => b[1])).toEqual(['modified', 'ok']);
    } finally {
      setDerivedCacheDir(undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("reads a package's md5sums again when it is edited in place or replaced, with the cache on", async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-integrity-'));
    const root = path.join(tmp, 'root');
    cpSync(path.join(FIXTURE_ROOTS, 'persist-integrity-clean'), root, { recursive: true });
    const sums = path.join(root, 'var/lib/dpkg/info/procps.md5sums');
    const original = readFileSync(sums, 'utf8');
    const statuses = async () =>
      (await collectIntegrity(await ctxFor(root))).integrity?.binaries.map((b) => [b.path, b.status]);
    try {
      setDerivedCacheDir(path.join(tmp, 'cache'));
      expect(await statuses()).toEqual([
        ['/usr/bin/ps', 'ok'],
        ['/usr/bin/top', 'ok'],
      ]);
      expect(await statuses()).toEqual([
        ['/usr/bin/ps', 'ok'],
        ['/usr/bin/top', 'ok'],
      ]);
      // Edited in place, same size: ps's recorded sum no longer matches.
      writeFileSync(sums, original.replace(/^[0-9a-f]{32}/, '0'.repeat(32)));
      expect(await statuses()).toEqual([
        ['/usr/bin/ps', 'modified'],
        ['/usr/bin/top', 'ok'],
      ]);
      // The original renamed back over it (a new inode): ok again.
      writeFileSync(`${sums}-new`, original);
      renameSync(`${sums}-new`, sums);
      expect(await statuses()).toEqual([
        ['/usr/bin/ps', 'ok'],
        ['/usr/bin/top', 'ok'],
      ]);
      // The package no longer lists top: unpackaged.
      writeFileSync(sums, original.split('\n')[0]! + '\n');
      expect(await statuses()).toEqual([
        ['/usr/bin/ps', 'ok'],
        ['/usr/bin/top', 'unpackaged'],
      ]);
    } finally {
      setDerivedCacheDir(undefined);
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('records "skipped" for binaries without a dpkg database, and "ok" for a root without them', async () => {
    const none = await collectIntegrity(await ctxFor(path.join(FIXTURE_ROOTS, 'persist-cron')));
    expect(none.record).toMatchObject({ status: 'ok', note: expect.stringMatching(/none of the watched/) });
  });

  it("checks this machine's tools against dpkg: every watched binary present is verified ok", async () => {
    const { integrity, record } = await collectIntegrity(await makeContext('/', () => new Date()));
    expect(record.status).toBe('ok');
    expect(integrity?.packageManager).toBe('dpkg');
    const ps = integrity?.binaries.find((b) => b.path === '/usr/bin/ps' || b.path === '/bin/ps');
    expect(ps).toMatchObject({ status: 'ok', package: 'procps' });
    expect(integrity?.binaries.filter((b) => b.status !== 'ok')).toEqual([]);
  });
});
