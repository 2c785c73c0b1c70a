// Test support: rpm roots built with the real tools (Debian's rpmbuild/rpm, db5.3_load) in temp
// directories, so the reader is checked against what rpm itself writes rather than hand-made bytes.
// Every rpm call passes --root/--dbpath under the temp directory: the host's own database is never touched.
import { execFileSync, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';

const SPEC = (name: string, version: string, release: string) => `Name: ${name}
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
printf '#!/bin/sh\\necho real ps\\n' > %{buildroot}/usr/bin/ps
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

/** Builds the procps-ng-like package once; returns the .rpm path. */
export function buildProcpsRpm(work: string): string {
  const top = path.join(work, 'rpmbuild');
  const spec = path.join(work, 'procps-ng.spec');
  writeFileSync(spec, SPEC('procps-ng', '3.3.17', '14.el9'));
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
      spec,
    ],
    RPM_RUN,
  );
  return path.join(top, 'RPMS/x86_64/procps-ng-3.3.17-14.el9.x86_64.rpm');
}

/** Installs the package into a fresh root (files and database), as on a Rocky 9 host. */
export function makeSqliteRoot(parent: string, name: string, rpmFile: string): string {
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
    ],
    RPM_RUN,
  );
  writeFileSync(
    path.join(root, 'etc/os-release'),
    'ID="rocky"\nVERSION_ID="9.3"\nID_LIKE="rhel centos fedora"\n',
  );
  return root;
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

/** `rpm -qa` (or another query) on a root, as the oracle; `bdb` reads the Packages file read-only. */
export function rpmQuery(root: string, args: string[], bdb = false): string {
  const backend = bdb ? ['--define', '_db_backend bdb_ro'] : [];
  return execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', ...backend, ...args], RPM_RUN);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
