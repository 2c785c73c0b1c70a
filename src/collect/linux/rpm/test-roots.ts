// Test support: rpm roots built with the real tools (Debian's rpmbuild/rpm, db5.3_load) in temp
// directories, so the reader is checked against what rpm itself writes rather than hand-made bytes.
// Every rpm call passes --root/--dbpath under the temp directory: the host's own database is never touched.
import { execFileSync, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const SPEC = (name: string, version: string, release: string, psFrom?: string) => `Name: ${name}
Version: ${version}
Release: ${release}
Summary: minehunter test package
License: GPL
Vendor: Rocky Enterprise Software Foundation
BuildArch: x86_64
%description
Test package shaped like procps-ng: owns /usr/bin/ps.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/etc/sysconfig
${psFrom ? `cp ${psFrom} %{buildroot}/usr/bin/ps` : "printf '#!/bin/sh\\necho real ps\\n' > %{buildroot}/usr/bin/ps"}
printf '#!/bin/sh\\necho real top\\n' > %{buildroot}/usr/bin/top
printf '#!/bin/sh\\necho real free\\n' > %{buildroot}/usr/bin/free
chmod 755 %{buildroot}/usr/bin/ps %{buildroot}/usr/bin/top %{buildroot}/usr/bin/free
echo 'PS_OPTS=1' > %{buildroot}/etc/sysconfig/procps
%files
/usr/bin/ps
/usr/bin/top
%config(noreplace) /usr/bin/free
%config(noreplace) /etc/sysconfig/procps
%ghost /var/log/procps.log
`;

export const RPM_RUN: ExecFileSyncOptionsWithStringEncoding = {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
};

/**
 * Builds the procps-ng-like package once; returns the .rpm path. `psFrom` packages that file as
 * /usr/bin/ps instead of the two-line script (a real ELF, for the prelink tests).
 */
export function buildProcpsRpm(work: string, psFrom?: string): string {
  const top = path.join(work, 'rpmbuild');
  const spec = path.join(work, 'procps-ng.spec');
  writeFileSync(spec, SPEC('procps-ng', '3.3.17', '14.el9', psFrom));
  execFileSync(
    'rpmbuild',
    [
      '-bb',
      '--define',
      `_topdir ${top}`,
      '--define',
      '__os_install_post %{nil}',
      '--define',
      'debug_package %{nil}',
      '--define',
      '_build_id_links none',
      spec,
    ],
    RPM_RUN,
  );
  return path.join(top, 'RPMS/x86_64/procps-ng-3.3.17-14.el9.x86_64.rpm');
}

/** Installs the packages into a fresh root (files and database), as on a Rocky 9 host. */
export function makeSqliteRoot(parent: string, name: string, rpmFile: string, ...more: string[]): string {
  const root = path.join(parent, name);
  mkdirSync(root, { recursive: true });
  execFileSync(
    'rpm',
    [
      '--root',
      root,
      '--dbpath',
      '/var/lib/rpm',
      '-i',
      '--nodeps',
      '--noscripts',
      '--ignorearch',
      '--ignoreos',
      rpmFile,
      ...more,
    ],
    RPM_RUN,
  );
  mkdirSync(path.join(root, 'etc'), { recursive: true }); // a library package alone creates no /etc
  writeFileSync(
    path.join(root, 'etc/os-release'),
    'ID="rocky"\nVERSION_ID="9.3"\nID_LIKE="rhel centos fedora"\n',
  );
  return root;
}

/**
 * Builds a package owning one shared library, shaped like a system library package: `libFrom`
 * (built by cc) becomes /usr/lib64/libdemo.so.1, and a second copy /usr/lib64/libdemo-plugin.so is
 * marked %config (as some packages mark plugins an admin may replace). Returns the .rpm path.
 */
export function buildLibraryRpm(work: string, libFrom: string, version = '1.0'): string {
  const top = path.join(work, 'rpmbuild');
  const spec = path.join(work, `libdemo-${version}.spec`);
  writeFileSync(
    spec,
    `Name: libdemo
Version: ${version}
Release: 1.el9
Summary: minehunter test library package
License: GPL
BuildArch: x86_64
%description
Test package shaped like a system library: owns /usr/lib64/libdemo.so.1.
%install
mkdir -p %{buildroot}/usr/lib64
cp ${libFrom} %{buildroot}/usr/lib64/libdemo.so.1
cp ${libFrom} %{buildroot}/usr/lib64/libdemo-plugin.so
chmod 755 %{buildroot}/usr/lib64/libdemo.so.1 %{buildroot}/usr/lib64/libdemo-plugin.so
%files
/usr/lib64/libdemo.so.1
%config(noreplace) /usr/lib64/libdemo-plugin.so
`,
  );
  const defines = ['__os_install_post %{nil}', 'debug_package %{nil}', '_build_id_links none'];
  execFileSync(
    'rpmbuild',
    ['-bb', '--define', `_topdir ${top}`, ...defines.flatMap((d) => ['--define', d]), spec],
    RPM_RUN,
  );
  return path.join(top, `RPMS/x86_64/libdemo-${version}-1.el9.x86_64.rpm`);
}

/** Upgrades a package in a root made by makeSqliteRoot (`rpm -U`, the root's own database only). */
export function upgradeRpm(root: string, rpmFile: string): void {
  execFileSync(
    'rpm',
    [
      '--root',
      root,
      '--dbpath',
      '/var/lib/rpm',
      '-U',
      '--nodeps',
      '--noscripts',
      '--ignorearch',
      '--ignoreos',
      rpmFile,
    ],
    RPM_RUN,
  );
}

/** Header blobs of an sqlite rpmdb, by instance number. */
export function sqliteHeaders(root: string): { hnum: number; blob: Buffer }[] {
  const db = new Database(path.join(root, 'var/lib/rpm/rpmdb.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as {
      hnum: number;
      blob: Buffer;
    }[];
  } finally {
    db.close();
  }
}

/**
 * Turns an sqlite root into a CentOS 7-style one: the same headers loaded into a Berkeley DB hash
 * `Packages` with db5.3_load (key = instance number, native order; key 0 = rpm's instance counter,
 * which also makes db_load write bucket 0 so rpm's bdb_ro can walk it). The sqlite files go away.
 */
export function convertToBdb(root: string, pageSize = 4096): void {
  const rows = sqliteHeaders(root);
  const u32 = (n: number): string => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b.toString('hex');
  };
  const lines = ['VERSION=3', 'format=bytevalue', 'type=hash', `db_pagesize=${pageSize}`, 'HEADER=END'];
  lines.push(` ${u32(0)}`, ` ${u32(Math.max(...rows.map((r) => r.hnum)) + 1)}`);
  for (const r of rows) lines.push(` ${u32(r.hnum)}`, ` ${r.blob.toString('hex')}`);
  lines.push('DATA=END', '');
  const dir = path.join(root, 'var/lib/rpm');
  for (const f of ['rpmdb.sqlite', 'rpmdb.sqlite-wal', 'rpmdb.sqlite-shm', '.rpm.lock'])
    rmSync(path.join(dir, f), { force: true });
  const dump = path.join(os.tmpdir(), `minehunter-dump-${process.pid}-${Date.now()}.txt`);
  writeFileSync(dump, lines.join('\n'));
  try {
    execFileSync('db5.3_load', ['-f', dump, path.join(dir, 'Packages')], RPM_RUN);
  } finally {
    rmSync(dump, { force: true });
  }
}

/** Little-endian 32-bit words, the only integer NDB stores. */
function le32(...words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, i * 4));
  return b;
}

/** Adler-32 written out again here, so the reader's own function is not what checks itself. */
function adler(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (b * 65536 + a) >>> 0;
}

/**
 * An NDB `Packages.db` holding the given header blobs, laid out byte for byte as rpm 4.18's
 * rpmpkg.c writes a fresh database that then gets `put`s in this order: header ('RpmP', version 0,
 * generation = 1 + puts, slot pages, next package index), slot pages pre-filled with 'Slot' magics,
 * slots from number 2 on (the header takes the first 32 bytes), blobs appended from the first block
 * after the slot pages, each as head ('BlbS', index, the generation it was written in, length),
 * blob, zero padding to 16 bytes, tail (Adler-32 of head + blob + padding, length, 'BlbE').
 * Debian's rpm has no ndb backend, so this writer is the test's NDB source; its output was compared
 * once with what rpm-4.18.0's own rpmpkg.c (rpmpkgOpen, NextPkgIdx, Put) writes for the same blobs:
 * identical bytes. `slotPages` > 1 lays out what rpm reaches after adding slot pages.
 */
export function ndbBytes(
  headers: { hnum: number; blob: Buffer }[],
  opts: { slotPages?: number } = {},
): Buffer {
  const slotPages = opts.slotPages ?? 1;
  const slotArea = Buffer.alloc(slotPages * 4096);
  for (let at = 0; at < slotArea.length; at += 16) slotArea.writeUInt32LE(0x746f6c53, at);
  const nextIdx = Math.max(0, ...headers.map((h) => h.hnum)) + 1;
  le32(0x506d7052, 0, 1 + headers.length, slotPages, nextIdx, 0, 0, 0).copy(slotArea, 0);
  const blobs: Buffer[] = [];
  let blkOff = slotArea.length / 16;
  headers.forEach((h, i) => {
    const blkCnt = Math.ceil((16 + h.blob.length + 12) / 16);
    const body = Buffer.concat([
      le32(0x53626c42, h.hnum, 1 + i, h.blob.length),
      h.blob,
      Buffer.alloc(blkCnt * 16 - (16 + h.blob.length + 12)),
    ]);
    blobs.push(body, le32(adler(body), h.blob.length, 0x45626c42));
    le32(0x746f6c53, h.hnum, blkOff, blkCnt).copy(slotArea, 32 + i * 16);
    blkOff += blkCnt;
  });
  return Buffer.concat([slotArea, ...blobs]);
}

/**
 * Turns an sqlite root into an openSUSE-style one: the same headers in an NDB Packages.db under
 * /usr/lib/sysimage/rpm (where SUSE keeps it), the sqlite files gone. `headers` may change the list
 * first (a second copy of a header, say) so a test can damage one package and keep another.
 */
export function convertToNdb(
  root: string,
  opts: {
    slotPages?: number;
    headers?: (rows: { hnum: number; blob: Buffer }[]) => { hnum: number; blob: Buffer }[];
  } = {},
): string {
  const rows = sqliteHeaders(root);
  rmSync(path.join(root, 'var/lib/rpm'), { recursive: true, force: true });
  const dir = path.join(root, 'usr/lib/sysimage/rpm');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'Packages.db');
  writeFileSync(file, ndbBytes(opts.headers ? opts.headers(rows) : rows, { slotPages: opts.slotPages ?? 1 }));
  return file;
}

/** `rpm -qa` (or another query) on a root, as the oracle; `bdb` reads the Packages file read-only. */
export function rpmQuery(root: string, args: string[], bdb = false): string {
  const backend = bdb ? ['--define', '_db_backend bdb_ro'] : [];
  return execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...backend, ...args], RPM_RUN);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
