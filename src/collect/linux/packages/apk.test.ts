// Tests for Alpine's apk database as an ownership source, on a fake Alpine root built here: real files
// and symlinks, and a /lib/apk/db/installed written in apk-tools 2's format with the Z: checksums
// computed from those files (SHA-1 of the content, of the link text for a symlink), as apk writes them;
// a mapped library checked against its Z: sum (clean, and patched: reported).
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProcess } from '../../../../test/helpers/snapshot-builders.js';
import { oddSharedObject } from '../../../detect/detectors/odd-shared-object.js';
import type { Snapshot } from '../../../snapshot/schema.js';
import { TargetFs } from '../../../target/fs.js';
import { makeContext } from '../../context.js';
import { CollectorLog } from '../../support.js';
import { collectPreload } from '../preload.js';
import { APK_INSTALLED, parseApkInstalled } from './apk.js';
import { loadOwnership } from './ownership.js';

let root: string;

/** apk's Z: value: `Q1` + base64 SHA-1 of the file, or of the link text for a symlink. */
function q1(file: string): string {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(readlinkSync(file));
  } catch {
    bytes = readFileSync(file);
  }
  return `Q1${createHash('sha1').update(bytes).digest('base64')}`;
}

/** The files of the fake Alpine 3.20 root: content, or `-> target` for a symlink. */
const FILES: Record<string, string> = {
  'lib/ld-musl-x86_64.so.1': '\x7fELF musl loader stand-in\n',
  'lib/libc.musl-x86_64.so.1': '-> ld-musl-x86_64.so.1',
  'bin/busybox': '\x7fELF busybox stand-in\n',
  'bin/sh': '-> /bin/busybox',
  'etc/securetty': 'console\ntty1\n',
  'usr/lib/libz.so.1.3.1': '\x7fELF zlib stand-in\n',
  'usr/lib/libz.so.1': '-> libz.so.1.3.1',
  'sbin/apk': '\x7fELF apk stand-in\n',
  'lib/libapk.so.2.14.0': '\x7fELF libapk stand-in\n',
  // Not from any package: what a miner's preload rootkit drops beside the real libraries.
  'usr/lib/libprocesshider.so': '\x7fELF hider stand-in\n',
};

/**
 * The installed database, stanza by stanza as apk-tools 2.14 writes it (fields in its order). Names,
 * versions and layout follow Alpine 3.20; the package checksums (C:, c:) and times are illustrative,
 * the file checksums (Z:) are computed from the files above.
 */
function installedDb(): string {
  const z = (p: string) => `Z:${q1(path.join(root, p))}`;
  return `C:Q1Fv8CD1n2CsM/5V0BvrvCjoxHGvE=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
I:642048
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1711489435
c:a0ea9d7ae4a1f4ed4bdba1d6d2ab7b4b8e3e1f47
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
${z('lib/ld-musl-x86_64.so.1')}
R:libc.musl-x86_64.so.1
a:0:0:777
${z('lib/libc.musl-x86_64.so.1')}

C:Q1ExdM8qK5gOwhq0U1Gtc2qINJ8xs=
P:busybox
V:1.36.1-r29
A:x86_64
S:517236
I:951296
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1716374318
c:1e4a7b4b1d2e3c5f6a7b8c9d0e1f2a3b4c5d6e7f
D:so:libc.musl-x86_64.so.1
p:cmd:busybox=1.36.1-r29
r:busybox-initscripts
F:bin
R:busybox
a:0:0:755
${z('bin/busybox')}
F:etc
R:securetty
${z('etc/securetty')}
F:etc/network
F:etc/network/if-up.d
M:0:0:755

C:Q1k4pE3SQhyCsSJ9jDNRANxB2Ujz4=
P:busybox-binsh
V:1.36.1-r29
A:x86_64
S:1591
I:1
T:busybox ash /bin/sh
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1716374318
c:1e4a7b4b1d2e3c5f6a7b8c9d0e1f2a3b4c5d6e7f
D:busybox=1.36.1-r29
p:/bin/sh cmd:sh=1.36.1-r29
F:bin
R:sh
a:0:0:777
${z('bin/sh')}

C:Q1Vw5D8YkVl6qN7ZLEnhE2Rm2rg2E=
P:zlib
V:1.3.1-r1
A:x86_64
S:53720
I:110592
T:A compression/decompression Library
U:https://zlib.net/
L:Zlib
o:zlib
m:Natanael Copa <ncopa@alpinelinux.org>
t:1714393262
c:9e8c3a5fa6f6f0e9a0c1b2d3e4f5a6b7c8d9e0f1
D:so:libc.musl-x86_64.so.1
p:so:libz.so.1=1.3.1
F:usr
F:usr/lib
R:libz.so.1
a:0:0:777
${z('usr/lib/libz.so.1')}
R:libz.so.1.3.1
a:0:0:755
${z('usr/lib/libz.so.1.3.1')}

C:Q1b0PjpbZ7fHBUb9Hi0+rj5q2S3hw=
P:apk-tools
V:2.14.4-r0
A:x86_64
S:120973
I:307200
T:Alpine Package Keeper - package manager for alpine
U:https://gitlab.alpinelinux.org/alpine/apk-tools
L:GPL-2.0-only
o:apk-tools
m:Natanael Copa <ncopa@alpinelinux.org>
t:1715687231
c:0e9b5a4d6c7f8e9d0a1b2c3d4e5f6a7b8c9d0e1f
D:musl>=1.2.3_git20230424 ca-certificates-bundle so:libc.musl-x86_64.so.1 so:libcrypto.so.3 so:libssl.so.3 so:libz.so.1
p:so:libapk.so.2.14.0=2.14.0 cmd:apk=2.14.4-r0
F:lib
R:libapk.so.2.14.0
a:0:0:755
${z('lib/libapk.so.2.14.0')}
F:sbin
R:apk
a:0:0:755
${z('sbin/apk')}
F:var
F:var/cache
F:var/cache/apk
F:var/cache/misc

`;
}

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-apk-root-'));
  for (const [rel, content] of Object.entries(FILES)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    if (content.startsWith('-> ')) symlinkSync(content.slice(3), file);
    else writeFileSync(file, content, 'latin1');
  }
  mkdirSync(path.join(root, 'lib/apk/db'), { recursive: true });
  writeFileSync(path.join(root, 'lib/apk/db/installed'), installedDb());
  writeFileSync(path.join(root, 'etc/os-release'), 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('apk installed database', () => {
  it('reads every stanza: name, version, arch and files under their F: directory', () => {
    const pkgs = parseApkInstalled(readFileSync(path.join(root, 'lib/apk/db/installed'), 'utf8'));
    expect(pkgs.map((p) => `${p.name}-${p.version}.${p.arch}`)).toEqual([
      'musl-1.2.5-r0.x86_64',
      'busybox-1.36.1-r29.x86_64',
      'busybox-binsh-1.36.1-r29.x86_64',
      'zlib-1.3.1-r1.x86_64',
      'apk-tools-2.14.4-r0.x86_64',
    ]);
    const busybox = pkgs.find((p) => p.name === 'busybox')!;
    // F: lines without R: (directories only) add no files; M: (a directory's owner) is not a file.
    expect(busybox.files.map((f) => f.path)).toEqual(['/bin/busybox', '/etc/securetty']);
    expect(pkgs.find((p) => p.name === 'apk-tools')!.files.map((f) => f.path)).toEqual([
      '/lib/libapk.so.2.14.0',
      '/sbin/apk',
    ]);
  });

  it('decodes Z: to the SHA-1 of the file, and of the link text for a symlink', () => {
    const pkgs = parseApkInstalled(readFileSync(path.join(root, 'lib/apk/db/installed'), 'utf8'));
    const files = new Map(pkgs.flatMap((p) => p.files.map((f) => [f.path, f])));
    const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest('hex');
    expect(files.get('/bin/busybox')?.sha1).toBe(sha1(readFileSync(path.join(root, 'bin/busybox'))));
    expect(files.get('/bin/sh')?.sha1).toBe(sha1('/bin/busybox'));
    // The value real Alpine images carry for musl's libc symlink (link text "ld-musl-x86_64.so.1").
    expect(files.get('/lib/libc.musl-x86_64.so.1')?.sha1).toBe(
      Buffer.from('7yJ3JFNypA4mxhJJr0ou6CzsJVI=', 'base64').toString('hex'),
    );
  });

  it('skips a stanza without P:, keeps CRLF files readable and takes a Q2 (SHA-256) checksum', () => {
    const sha256 = createHash('sha256').update('x').digest();
    const text = [
      'V:1.0-r0\nF:usr/bin\nR:orphan\n',
      `P:tool\r\nV:2.0-r1\r\nF:usr/bin\r\nR:tool\r\nZ:Q2${sha256.toString('base64')}\r\n`,
    ].join('\n');
    expect(parseApkInstalled(text)).toEqual([
      {
        name: 'tool',
        version: '2.0-r1',
        files: [{ path: '/usr/bin/tool', sha256: sha256.toString('hex') }],
      },
    ]);
  });
});

describe('package ownership on an Alpine root', () => {
  it('answers from apk for packaged paths (any merged-/usr spelling) and not for others', async () => {
    const log = new CollectorLog('test', []);
    const own = await loadOwnership(new TargetFs(root), log);
    expect(own?.manager).toBe('apk');
    expect(own?.note).toBe(`package ownership from apk database ${APK_INSTALLED}`);
    const asked = [
      '/lib/libc.musl-x86_64.so.1',
      '/usr/lib/libz.so.1.3.1',
      '/usr/bin/busybox',
      '/bin/sh',
      '/usr/lib/libprocesshider.so',
      '/tmp/.x/libprocesshider.so',
    ];
    expect(Object.fromEntries(own!.ownersOf(asked))).toEqual({
      '/lib/libc.musl-x86_64.so.1': 'musl',
      '/usr/lib/libz.so.1.3.1': 'zlib',
      '/usr/bin/busybox': 'busybox',
      '/bin/sh': 'busybox-binsh',
    });
    expect(log.errorCount).toBe(0);
  });

  it('a wiped or unreadable database leaves ownership unknown, with an error naming it', async () => {
    const broken = mkdtempSync(path.join(os.tmpdir(), 'minehunter-apk-broken-'));
    try {
      mkdirSync(path.join(broken, 'lib/apk/db'), { recursive: true });
      writeFileSync(path.join(broken, 'lib/apk/db/installed'), '\n\n');
      const log = new CollectorLog('test', []);
      expect(await loadOwnership(new TargetFs(broken), log)).toBeUndefined();
      expect(log.errors[0]).toMatchObject({ path: APK_INSTALLED });
      expect(log.errors[0]!.message).toMatch(/names no package/);
      // A directory where the file should be: read error, still unknown rather than "unowned".
      rmSync(path.join(broken, 'lib/apk/db/installed'));
      mkdirSync(path.join(broken, 'lib/apk/db/installed'));
      const log2 = new CollectorLog('test', []);
      expect(await loadOwnership(new TargetFs(broken), log2)).toBeUndefined();
      expect(log2.errors[0]).toMatchObject({ path: APK_INSTALLED });
      // No apk database at all: nothing to say, no error.
      const log3 = new CollectorLog('test', []);
      mkdirSync(path.join(broken, 'empty'));
      expect(await loadOwnership(new TargetFs(path.join(broken, 'empty')), log3)).toBeUndefined();
      expect(log3.errorCount).toBe(0);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('the preload collector names apk as its package database and the owner of a packaged library', async () => {
    writeFileSync(
      path.join(root, 'etc/ld.so.preload'),
      '/usr/lib/libprocesshider.so\n/usr/lib/libz.so.1.3.1\n',
    );
    try {
      const ctx = await makeContext(root, () => new Date('2100-01-01T00:00:00Z'));
      const { preload } = await collectPreload(ctx, Promise.resolve(undefined));
      expect(preload?.packageDb).toBe('apk');
      const libs = new Map(preload?.libraries.map((l) => [l.path, l]));
      expect(libs.get('/usr/lib/libz.so.1.3.1')?.package).toBe('zlib');
      expect(libs.get('/usr/lib/libprocesshider.so')?.package).toBeUndefined();
    } finally {
      rmSync(path.join(root, 'etc/ld.so.preload'));
    }
  });
});

describe('mapped libraries on an Alpine root (Z: sha1, digest only)', () => {
  const LIBZ = '/usr/lib/libz.so.1.3.1';
  const sha1 = (bytes: string | Buffer) => createHash('sha1').update(bytes).digest('hex');
  const procs = [makeProcess({ pid: 7, exe: '/usr/sbin/nginx', maps: [LIBZ] })];
  const collect = async () => {
    const ctx = await makeContext(root, () => new Date('2100-01-01T00:00:00Z'));
    return collectPreload(ctx, Promise.resolve(procs));
  };

  it('a mapped library apk installed verifies against its Z: sha1', async () => {
    const { preload, record } = await collect();
    const libz = preload?.libraries.find((l) => l.path === LIBZ);
    const recorded = sha1(readFileSync(path.join(root, LIBZ)));
    expect(libz?.integrity).toEqual({
      status: 'ok',
      algorithm: 'sha1',
      expected: recorded,
      actual: recorded,
    });
    expect(record.note).toMatch(/packaged mapped libraries against apk \(digest only\): 1 ok/);
  });

  it('a patched one is modified, with the sha1 apk recorded and the one found', async () => {
    const file = path.join(root, LIBZ);
    const original = readFileSync(file);
    writeFileSync(file, '\x7fELF zlib stand-in, patched\n');
    try {
      const { preload } = await collect();
      const libz = preload?.libraries.find((l) => l.path === LIBZ);
      expect(libz?.integrity).toEqual({
        status: 'modified',
        algorithm: 'sha1',
        expected: sha1(original),
        actual: sha1('\x7fELF zlib stand-in, patched\n'),
      });
      const hits = oddSharedObject.detect({ processes: procs, preload } as Snapshot, undefined as never);
      expect(hits.map((h) => [h.level, h.messageId, h.data['package']])).toEqual([
        ['high', 'modifiedPackaged', 'zlib'],
      ]);
    } finally {
      writeFileSync(file, original);
    }
  });
});
