// Patch facts of rpm hosts on fake roots built with the real rpm (test-roots.ts): a Rocky-9-like root
// with a dnf history database in libdnf's schema and an updateinfo.xml.gz whose security advisory
// names a newer procps-ng (fails security-updates) and its twin whose advisory names the installed
// version (passes); a CentOS-7-like root (Berkeley DB, yum history, .bz2 updateinfo); a root without
// a repository cache; and the updateinfo reader on every compression it meets.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { securityUpdates } from '../../audit/checks/hygiene.js';
import { runCheck } from '../../audit/run.js';
import { PackageFactsSchema, type PackageFacts } from '../../snapshot/audit.js';
import { targetFs } from '../../target/fs.js';
import { buildProcpsRpm, convertToBdb, makeSqliteRoot, rpmQuery, tempDir } from '../linux/rpm/test-roots.js';
import { collectPackages } from './packages.js';
import { parseUpdateinfo, readUpdateinfo, updateinfoHref, UpdateinfoParser } from './rpm-packages.js';

let work: string;
let rpmFile: string;

beforeAll(() => {
  work = tempDir('minehunter-rpm-packages-test-');
  rpmFile = buildProcpsRpm(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const has = (tool: string): boolean => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const DAY = 86_400;
const NOW = Math.floor(Date.parse('2026-11-26T12:00:00Z') / 1000);
const isoAt = (s: number) => new Date(s * 1000).toISOString();

/** One `<update>` element in the shape Red Hat's and Rocky's updateinfo use. */
function update(o: {
  id: string;
  type?: string;
  name?: string;
  version?: string;
  release: string;
  arch?: string;
  epoch?: string;
  module?: boolean;
}): string {
  const pkg = `<package name="${o.name ?? 'procps-ng'}" version="${o.version ?? '3.3.17'}" release="${o.release}" epoch="${o.epoch ?? '0'}" arch="${o.arch ?? 'x86_64'}" src="procps-ng.src.rpm">
          <filename>procps-ng.rpm</filename><sum type="sha256">00</sum>
        </package>`;
  return `  <update from="releng@rockylinux.org" status="final" type="${o.type ?? 'security'}" version="2">
    <id>${o.id}</id>
    <title>Important: procps-ng security &amp; bug fix update</title>
    <issued date="2024-01-15 00:00:00"/>
    <severity>Important</severity>
    <description><![CDATA[A <package> named here is not a pkglist entry.]]></description>
    <references><reference href="https://access.redhat.com/errata/${o.id}" id="${o.id}" type="self"/></references>
    <pkglist>
      <collection short="rocky-baseos-9.3.rpms">
        <name>rocky-baseos-9.3.rpms</name>
        ${o.module ? '<module name="procps" stream="10" version="1" context="x" arch="x86_64"/>' : ''}
        ${pkg}
      </collection>
    </pkglist>
  </update>`;
}

/** The advisory under test and the entries that must not count (bugfix, module stream, other arch, not installed). */
const updateinfo = (release: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<updates>\n${[
    update({ id: 'RHSA-2024:1234', release }),
    update({ id: 'RHBA-2024:0001', type: 'bugfix', version: '9.9', release: '1.el9' }),
    update({ id: 'RHSA-2024:2000', version: '10.0', release: '1.module+el9', module: true }),
    update({ id: 'RHSA-2024:3000', version: '9.0', release: '1.el9', arch: 'i686' }),
    update({ id: 'RHSA-2024:4000', name: 'openssl-libs', version: '3.0.7', release: '25.el9_3', epoch: '1' }),
  ].join('\n')}\n</updates>\n`;

const repomd = (href: string) => `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo">
  <data type="primary"><location href="repodata/p-primary.xml.gz"/></data>
  <data type="updateinfo"><checksum type="sha256">abc</checksum><location href="${href}"/></data>
</repomd>\n`;

/** A dnf 4 history database with libdnf's tables (the columns this reader and dnf itself use). */
function writeDnfHistory(file: string, wal: boolean): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(mkdtempSync(path.join(work, 'hist-')), 'history.sqlite');
  const db = new Database(tmp);
  if (wal) db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec(`CREATE TABLE trans (id INTEGER PRIMARY KEY AUTOINCREMENT, dt_begin INTEGER NOT NULL, dt_end INTEGER,
      rpmdb_version_begin TEXT, rpmdb_version_end TEXT, releasever TEXT NOT NULL, user_id INTEGER NOT NULL,
      cmdline TEXT, state INTEGER NOT NULL);
    CREATE TABLE item (id INTEGER PRIMARY KEY, item_type INTEGER NOT NULL);
    CREATE TABLE trans_item (id INTEGER PRIMARY KEY AUTOINCREMENT, trans_id INTEGER REFERENCES trans(id),
      item_id INTEGER REFERENCES item(id), repo_id INTEGER, action INTEGER NOT NULL, reason INTEGER NOT NULL,
      state INTEGER NOT NULL);
    CREATE TABLE rpm (item_id INTEGER UNIQUE NOT NULL, name TEXT NOT NULL, epoch INTEGER NOT NULL,
      version TEXT NOT NULL, release TEXT NOT NULL, arch TEXT NOT NULL);
    INSERT INTO item VALUES (1, 1);
    INSERT INTO rpm VALUES (1, 'procps-ng', 0, '3.3.17', '14.el9', 'x86_64');`);
  const tr = db.prepare(
    "INSERT INTO trans (dt_begin, dt_end, releasever, user_id, cmdline, state) VALUES (?, ?, '9', 0, ?, ?)",
  );
  const item = db.prepare(
    'INSERT INTO trans_item (trans_id, item_id, action, reason, state) VALUES (?, 1, ?, 2, 1)',
  );
  item.run(tr.run(NOW - 10 * DAY - 60, NOW - 10 * DAY, 'install procps-ng', 1).lastInsertRowid, 1);
  item.run(tr.run(NOW - 5 * DAY - 60, NOW - 5 * DAY, 'upgrade -y', 1).lastInsertRowid, 6);
  tr.run(NOW - 2 * DAY - 60, NOW - 2 * DAY, 'install htop', 1);
  item.run(tr.run(NOW - DAY - 60, NOW - DAY, 'upgrade --refresh', 2).lastInsertRowid, 6); // failed: no count
  // Copied while the connection is open, so the log is still unmerged when wal is asked for.
  writeFileSync(file, readFileSync(tmp));
  if (wal) writeFileSync(`${file}-wal`, readFileSync(`${tmp}-wal`));
  db.close();
}

/** A Rocky 9 root with dnf, its history and a BaseOS cache whose advisory fixes procps-ng at `release`. */
function dnfRoot(name: string, release: string, opts: { wal?: boolean; cache?: boolean } = {}): string {
  const root = makeSqliteRoot(work, name, rpmFile);
  mkdirSync(path.join(root, 'etc/dnf'), { recursive: true });
  writeFileSync(path.join(root, 'etc/dnf/dnf.conf'), '[main]\ngpgcheck=1\n');
  writeDnfHistory(path.join(root, 'var/lib/dnf/history.sqlite'), opts.wal ?? false);
  if (opts.cache === false) return root;
  const repo = path.join(root, 'var/cache/dnf/baseos-0123456789abcdef');
  mkdirSync(path.join(repo, 'repodata'), { recursive: true });
  const info = 'repodata/0f1e-updateinfo.xml.gz';
  writeFileSync(path.join(repo, 'repodata/repomd.xml'), repomd(info));
  writeFileSync(path.join(repo, info), gzipSync(updateinfo(release)));
  // A stale updateinfo that repomd.xml no longer names: must not be read.
  writeFileSync(path.join(repo, 'repodata/dead-updateinfo.xml.gz'), Buffer.from('not gzip'));
  writeFileSync(path.join(repo, 'metalink.xml'), '<metalink/>');
  for (const f of ['repodata/repomd.xml', info, 'repodata/dead-updateinfo.xml.gz'])
    utimesSync(path.join(repo, f), NOW - 3 * DAY, NOW - 3 * DAY);
  utimesSync(path.join(repo, 'metalink.xml'), NOW - 4 * DAY, NOW - 4 * DAY);
  return root;
}

const installTime = (root: string) =>
  isoAt(Number(rpmQuery(root, ['-q', '--qf', '%{INSTALLTIME}', 'procps-ng'])));

const historyTemps = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('minehunter-history-'));

describe('rpm patch facts: dnf host', () => {
  it('reads install time, dnf history and a pending security advisory (fails security-updates)', async () => {
    const root = dnfRoot('dnf-pending', '15.el9');
    const facts = await collectPackages(targetFs(root));
    expect(facts).toEqual({
      manager: 'dnf',
      rpmDatabase: '/var/lib/rpm/rpmdb.sqlite',
      newestInstallAt: installTime(root),
      history: {
        file: '/var/lib/dnf/history.sqlite',
        lastTransactionAt: isoAt(NOW - 2 * DAY),
        command: 'install htop',
        lastUpgradeAt: isoAt(NOW - 5 * DAY),
      },
      repoCaches: 1,
      listsUpdatedAt: isoAt(NOW - 3 * DAY),
      securityLists: ['/var/cache/dnf/baseos-0123456789abcdef/repodata/0f1e-updateinfo.xml.gz'],
      candidates: [
        {
          name: 'procps-ng',
          arch: 'x86_64',
          installed: '3.3.17-14.el9',
          candidate: '3.3.17-15.el9',
          list: 'baseos',
          advisories: ['RHSA-2024:1234'],
        },
      ],
      modularSkipped: 1,
    } satisfies PackageFacts);
    expect(PackageFactsSchema.parse(facts)).toEqual(facts); // what `analyze` reads back
    const o = runCheck(securityUpdates, makeSnapshot({ audit: { packages: facts } }));
    expect(o.status).toBe('fail');
    expect(o.message.en).toBe(
      '1 package(s) have a pending security update: procps-ng (advisories RHSA-2024:1234).',
    );
    expect(o.evidence[0]).toMatchObject({
      field: 'pending',
      value: 'procps-ng.x86_64 3.3.17-14.el9 → 3.3.17-15.el9 (RHSA-2024:1234)',
    });
  });

  it('passes security-updates on the twin whose advisory names the installed version', async () => {
    const facts = await collectPackages(targetFs(dnfRoot('dnf-current', '14.el9')));
    expect(facts.candidates).toEqual([
      {
        name: 'procps-ng',
        arch: 'x86_64',
        installed: '3.3.17-14.el9',
        candidate: '3.3.17-14.el9',
        list: 'baseos',
      },
    ]);
    expect(runCheck(securityUpdates, makeSnapshot({ audit: { packages: facts } })).status).toBe('pass');
  });

  it('reads a history with an unmerged write-ahead log from a private copy, and leaves no copy behind', async () => {
    const before = historyTemps();
    const root = dnfRoot('dnf-wal', '15.el9', { wal: true });
    expect(statSync(path.join(root, 'var/lib/dnf/history.sqlite-wal')).size).toBeGreaterThan(0);
    const facts = await collectPackages(targetFs(root));
    expect(facts.history?.lastTransactionAt).toBe(isoAt(NOW - 2 * DAY));
    expect(historyTemps()).toEqual(before);
  });

  it('says there is no repository cache (security-updates unknown, not pass)', async () => {
    const facts = await collectPackages(targetFs(dnfRoot('dnf-nocache', '15.el9', { cache: false })));
    expect(facts).toMatchObject({ manager: 'dnf', repoCaches: 0, securityLists: [], candidates: [] });
    expect(facts.listsUpdatedAt).toBeUndefined();
    const o = runCheck(securityUpdates, makeSnapshot({ audit: { packages: facts } }));
    expect(o.status).toBe('unknown');
    expect(o.message.en).toMatch(/^No repository metadata cache on disk/);
  });

  it('records an unreadable updateinfo as an error, never as "no pending update"', async () => {
    const root = dnfRoot('dnf-corrupt', '15.el9');
    writeFileSync(
      path.join(root, 'var/cache/dnf/baseos-0123456789abcdef/repodata/0f1e-updateinfo.xml.gz'),
      gzipSync(updateinfo('15.el9')).subarray(0, 60),
    );
    const facts = await collectPackages(targetFs(root));
    expect(facts.securityLists).toEqual([]);
    expect(facts.error).toMatch(/0f1e-updateinfo\.xml\.gz: /);
    expect(runCheck(securityUpdates, makeSnapshot({ audit: { packages: facts } })).status).toBe('unknown');
  });
});

describe('rpm patch facts: yum host (CentOS 7 layout)', () => {
  it.skipIf(!has('bzip2'))('reads a Berkeley DB rpmdb, yum history and a .bz2 updateinfo', async () => {
    const root = makeSqliteRoot(work, 'yum', rpmFile);
    const installedAt = installTime(root); // the same header moves into the Berkeley DB
    convertToBdb(root);
    writeFileSync(path.join(root, 'etc/yum.conf'), '[main]\n');
    const hist = path.join(root, 'var/lib/yum/history');
    mkdirSync(hist, { recursive: true });
    for (const [day, at] of [
      ['2023-01-01', NOW - 300 * DAY],
      ['2024-01-01', NOW - 20 * DAY],
    ] as const) {
      const db = new Database(path.join(hist, `history-${day}.sqlite`));
      db.exec(`CREATE TABLE trans_beg (tid INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL, rpmdb_version TEXT NOT NULL, loginuid INTEGER);
        CREATE TABLE trans_end (tid INTEGER PRIMARY KEY REFERENCES trans_beg, timestamp INTEGER NOT NULL, rpmdb_version TEXT NOT NULL, return_code INTEGER NOT NULL);
        CREATE TABLE trans_cmdline (tid INTEGER NOT NULL REFERENCES trans_beg, cmdline TEXT NOT NULL);
        CREATE TABLE pkgtups (pkgtupid INTEGER PRIMARY KEY, name TEXT NOT NULL, arch TEXT NOT NULL, epoch TEXT NOT NULL, version TEXT NOT NULL, release TEXT NOT NULL, checksum TEXT);
        CREATE TABLE trans_data_pkgs (tid INTEGER NOT NULL REFERENCES trans_beg, pkgtupid INTEGER NOT NULL REFERENCES pkgtups, done BOOL NOT NULL DEFAULT FALSE, state TEXT NOT NULL);
        INSERT INTO pkgtups VALUES (1, 'procps-ng', 'x86_64', '0', '3.3.17', '14.el9', NULL);`);
      db.prepare("INSERT INTO trans_beg VALUES (1, ?, '1:abc', 0)").run(at - 60);
      db.prepare("INSERT INTO trans_end VALUES (1, ?, '1:abc', 0)").run(at);
      db.prepare("INSERT INTO trans_cmdline VALUES (1, 'update -y')").run();
      db.prepare("INSERT INTO trans_data_pkgs VALUES (1, 1, 1, 'Update')").run();
      db.prepare("INSERT INTO trans_beg VALUES (2, ?, '1:abc', 0)").run(at + 60);
      db.prepare("INSERT INTO trans_end VALUES (2, ?, '1:abc', 1)").run(at + 120); // failed
      db.close();
    }
    const repo = path.join(root, 'var/cache/yum/x86_64/7/updates');
    mkdirSync(repo, { recursive: true });
    const info = '9a8b-updateinfo.xml.bz2';
    writeFileSync(path.join(repo, 'repomd.xml'), repomd(`repodata/${info}`));
    writeFileSync(path.join(repo, info), execFileSync('bzip2', ['-c'], { input: updateinfo('15.el9') }));
    const facts = await collectPackages(targetFs(root));
    expect(facts).toMatchObject({
      manager: 'yum',
      rpmDatabase: '/var/lib/rpm/Packages',
      newestInstallAt: installedAt,
      history: {
        file: '/var/lib/yum/history/history-2024-01-01.sqlite',
        lastTransactionAt: isoAt(NOW - 20 * DAY),
        lastUpgradeAt: isoAt(NOW - 20 * DAY),
        command: 'update -y',
      },
      repoCaches: 1,
      securityLists: [`/var/cache/yum/x86_64/7/updates/${info}`],
      candidates: [
        { name: 'procps-ng', candidate: '3.3.17-15.el9', list: 'updates', advisories: ['RHSA-2024:1234'] },
      ],
    });
    expect(facts.error).toBeUndefined();
  });
});

describe('updateinfo reader', () => {
  const xml = updateinfo('15.el9');
  const want = {
    advisories: [
      {
        id: 'RHSA-2024:1234',
        severity: 'Important',
        packages: [{ name: 'procps-ng', arch: 'x86_64', evr: { version: '3.3.17', release: '15.el9' } }],
      },
      {
        id: 'RHSA-2024:3000',
        severity: 'Important',
        packages: [{ name: 'procps-ng', arch: 'i686', evr: { version: '9.0', release: '1.el9' } }],
      },
      {
        id: 'RHSA-2024:4000',
        severity: 'Important',
        packages: [
          { name: 'openssl-libs', arch: 'x86_64', evr: { epoch: 1, version: '3.0.7', release: '25.el9_3' } },
        ],
      },
    ],
    modularSkipped: 1,
  };

  it('keeps security advisories only, skips module streams, and reads the same in any chunking', () => {
    expect(parseUpdateinfo(xml)).toEqual(want);
    // Chunks shorter than "</update>" split the last element's end over three or more of them.
    for (const size of [1, 4, 7, 13, 4096]) {
      const p = new UpdateinfoParser();
      for (let i = 0; i < xml.length; i += size) p.push(xml.slice(i, i + size));
      expect(p.result, `chunks of ${size}`).toEqual(want);
    }
  });

  // The cache is a file on the target. The regexes that cut an element took 34 s on 80,000
  // unclosed `<collection ` and 455 s on an 800 KB attribute name; an element that never ends was
  // copied and searched again with every chunk. The bounds only guard against that coming back.
  it('reads hostile elements in one pass and still finds the advisories around them', () => {
    const [head, tail] = xml.split('</updates>') as [string, string];
    const bad = (inner: string) =>
      `<update type="security"><id>RHSA-BAD</id><pkglist>${inner}</pkglist></update>`;
    const hostile = [
      bad('<collection '.repeat(1 << 18)),
      bad(`<package ${'a'.repeat(4 << 20)}>`),
      bad('<package version="'.repeat(1 << 18)),
    ].join('');
    const started = Date.now();
    const got = parseUpdateinfo(`${head}${hostile}</updates>${tail}`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(got).toEqual(want);
  });

  it('finds the updateinfo location in repomd.xml, also after a megabyte of unclosed data tags', () => {
    expect(updateinfoHref(repomd('repodata/u-updateinfo.xml.gz'))).toBe('repodata/u-updateinfo.xml.gz');
    const started = Date.now();
    expect(updateinfoHref('<data type="updateinfo">'.repeat(1 << 16) + '<data type="x"')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('drops an element that never ends once it is past 32 MiB, streaming, and reads on after it', () => {
    const p = new UpdateinfoParser();
    const started = Date.now();
    p.push('<updates><update type="security"><id>RHSA-OPEN</id><pkglist>');
    const chunk = 'x'.repeat(1 << 16);
    for (let i = 0; i < 40 * 16; i++) p.push(chunk); // 40 MiB in 64 KiB chunks
    for (let i = 0; i < xml.length; i += 4096) p.push(xml.slice(i, i + 4096));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(p.result).toEqual(want);
  });

  it('reads plain, gzip, zstd and xz files through the target', async () => {
    const dir = path.join(work, 'formats');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'u-updateinfo.xml'), xml);
    writeFileSync(path.join(dir, 'u-updateinfo.xml.gz'), gzipSync(xml));
    const fs = targetFs(dir);
    expect(await readUpdateinfo(fs, '/u-updateinfo.xml')).toEqual(want);
    expect(await readUpdateinfo(fs, '/u-updateinfo.xml.gz')).toEqual(want);
    for (const [tool, ext] of [
      ['zstd', 'zst'],
      ['xz', 'xz'],
    ] as const) {
      if (!has(tool)) continue;
      writeFileSync(path.join(dir, `u-updateinfo.xml.${ext}`), execFileSync(tool, ['-c'], { input: xml }));
      expect(await readUpdateinfo(fs, `/u-updateinfo.xml.${ext}`)).toEqual(want);
    }
    writeFileSync(path.join(dir, 'bad-updateinfo.xml.xz'), 'not xz at all');
    if (has('xz')) await expect(readUpdateinfo(fs, '/bad-updateinfo.xml.xz')).rejects.toThrow(/xz -dc/);
  });
});
