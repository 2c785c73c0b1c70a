// Tests for the integrity of mapped libraries (like `rpm -V` for every shared object a package owns):
// an rpm root built with the real rpmbuild/rpm holding a package that owns a library compiled here,
// processes simulated as the preload collector sees them (their maps), and odd-shared-object's
// judgement of the result. A patched library is reported with package and digests; its clean twin,
// a %config copy, a prelinked copy and a daemon still mapping the file an upgrade replaced are not.
// A dpkg root (md5sums + status written here) checks the same for Debian hosts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProcess } from '../../../../test/helpers/snapshot-builders.js';
import { oddSharedObject } from '../../../detect/detectors/odd-shared-object.js';
import type { ProcessInfo, Snapshot } from '../../../snapshot/schema.js';
import type { Preload } from '../../../snapshot/stealth.js';
import { TargetFs } from '../../../target/fs.js';
import { makeContext } from '../../context.js';
import { CollectorLog } from '../../support.js';
import { collectPreload } from '../preload.js';
import {
  buildLibraryRpm,
  makeSqliteRoot,
  RPM_RUN,
  rpmQuery,
  tempDir,
  upgradeRpm,
} from '../rpm/test-roots.js';
import { verifyMappedLibraries } from './mapped-integrity.js';
import { setDerivedCacheDir } from '../../../util/derived-cache.js';
import { loadOwnership } from './ownership.js';

const LIB = '/usr/lib64/libdemo.so.1';
const PLUGIN = '/usr/lib64/libdemo-plugin.so';
let work: string;
let builds: string;
let v1: string;
let v2: string;
let evil: string;
let rpm1: string;
let rpm2: string;

/** A small shared library compiled here; `body` makes builds differ. */
function compile(name: string, body: string): string {
  const src = path.join(builds, `${name}.c`);
  writeFileSync(src, body);
  const out = path.join(builds, `${name}.so`);
  execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', out, src], RPM_RUN);
  return out;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const md5 = (file: string) => createHash('md5').update(readFileSync(file)).digest('hex');

beforeAll(() => {
  work = tempDir('minehunter-libintegrity-');
  builds = path.join(work, 'builds');
  mkdirSync(builds, { recursive: true });
  v1 = compile('v1', 'int demo_version(void) { return 1; }\n');
  v2 = compile('v2', 'int demo_version(void) { return 2; }\n');
  // The patched copy a rootkit drops in place: same API, plus a libc call it intercepts.
  evil = compile('evil', 'int demo_version(void) { return 1; }\nint readdir(void) { return 0; }\n');
  mkdirSync(path.join(work, 'pkg1'));
  mkdirSync(path.join(work, 'pkg2'));
  rpm1 = buildLibraryRpm(path.join(work, 'pkg1'), v1, '1.0');
  rpm2 = buildLibraryRpm(path.join(work, 'pkg2'), v2, '2.0');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Collects the preload section of a root for the given processes and runs odd-shared-object on it. */
async function scan(root: string, procs: ProcessInfo[]) {
  const ctx = await makeContext(root, () => new Date('2100-01-01T00:00:00Z'));
  const { preload, record } = await collectPreload(ctx, Promise.resolve(procs));
  const hits = oddSharedObject.detect({ processes: procs, preload } as Snapshot, undefined as never);
  const lib = (p: string) => preload?.libraries.find((l) => l.path === p);
  return { preload: preload as Preload, record, hits, lib };
}

/** A daemon that maps the library, and one that still maps the copy an upgrade deleted. */
const live = (pid: number, ...maps: string[]) => makeProcess({ pid, exe: '/usr/sbin/demod', maps });

describe('mapped libraries on an rpm root (digest, size and mode against the rpm database)', () => {
  it('a patched library is reported with its package and both digests; rpm -V agrees', async () => {
    const r = makeSqliteRoot(work, 'patched', rpm1);
    copyFileSync(evil, path.join(r, LIB.slice(1)));
    let verify = '';
    try {
      rpmQuery(r, ['-V', '--nodeps', 'libdemo']);
    } catch (err) {
      verify = (err as { stdout: string }).stdout;
    }
    expect(verify).toMatch(/^S\.5\S*\s+\/usr\/lib64\/libdemo\.so\.1$/m);
    const { lib, hits, record } = await scan(r, [live(100, LIB), live(101, `${LIB} (deleted)`)]);
    expect(lib(LIB)).toMatchObject({
      package: 'libdemo',
      sha256: sha256(evil),
      integrity: {
        status: 'modified',
        algorithm: 'sha256',
        expected: sha256(v1),
        actual: sha256(evil),
        expectedSize: readFileSync(v1).length,
        size: readFileSync(evil).length,
        expectedMode: 0o755,
        mode: 0o755,
      },
    });
    expect(record.note).toMatch(
      /packaged mapped libraries against rpm \(digest, size and mode\): 0 ok, 1 modified/,
    );
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      level: 'high',
      messageId: 'modifiedPackaged',
      data: {
        path: LIB,
        package: 'libdemo',
        expected: sha256(v1),
        actual: sha256(evil),
        processes: 1,
        pids: '100',
      },
      remediate: [],
    });
    // The process mapping the deleted (older) file is not named: it does not run what was compared.
    const pids = hits[0]!.evidence.flatMap((e) => (e.type === 'process' ? [e.pid] : []));
    expect(pids).toEqual([100]);
    expect(hits[0]!.evidence).toContainEqual({
      type: 'match',
      field: 'sha256',
      value: sha256(evil),
      ioc: `rpm libdemo: ${LIB} ${sha256(v1)}`,
    });
  });

  it('clean twin: the untouched library verifies ok and nothing is reported', async () => {
    const r = makeSqliteRoot(work, 'clean', rpm1);
    const { lib, hits } = await scan(r, [live(100, LIB)]);
    expect(lib(LIB)?.integrity).toMatchObject({ status: 'ok', expected: sha256(v1), actual: sha256(v1) });
    expect(lib(LIB)).not.toHaveProperty('sha256');
    expect(hits).toEqual([]);
  });

  it('an edited %config library is recorded as config, not reported', async () => {
    const r = makeSqliteRoot(work, 'config', rpm1);
    appendFileSync(path.join(r, PLUGIN.slice(1)), 'local build\n');
    const { lib, hits } = await scan(r, [live(100, LIB, PLUGIN)]);
    expect(lib(PLUGIN)?.integrity?.status).toBe('config');
    expect(lib(LIB)?.integrity?.status).toBe('ok');
    expect(hits).toEqual([]);
  });

  it('a mode change alone is reported: high when others may now write it', async () => {
    const r = makeSqliteRoot(work, 'mode', rpm1);
    chmodSync(path.join(r, LIB.slice(1)), 0o777);
    const { lib, hits } = await scan(r, [live(100, LIB)]);
    expect(lib(LIB)?.integrity).toMatchObject({ status: 'ok', mode: 0o777, expectedMode: 0o755 });
    expect(hits.map((h) => [h.level, h.messageId, h.data])).toEqual([
      [
        'high',
        'packagedModeChanged',
        { path: LIB, processes: 1, pids: '100', package: 'libdemo', mode: '0777', expectedMode: '0755' },
      ],
    ]);
  });

  it('an upgrade while a daemon maps the old library (deleted) is not reported', async () => {
    const r = makeSqliteRoot(work, 'upgraded', rpm1);
    upgradeRpm(r, rpm2);
    expect(rpmQuery(r, ['-q', 'libdemo']).trim()).toBe('libdemo-2.0-1.el9.x86_64');
    // Only the old daemon: nothing on disk is what it runs, so nothing is compared.
    const old = await scan(r, [live(200, `${LIB} (deleted)`)]);
    expect(old.lib(LIB)?.integrity).toMatchObject({ status: 'not-checked' });
    expect(old.lib(LIB)?.integrity?.reason).toMatch(/deleted/);
    expect(old.hits).toEqual([]);
    // A new process maps the new file: it is the package's.
    const both = await scan(r, [live(200, `${LIB} (deleted)`), live(201, LIB)]);
    expect(both.lib(LIB)?.integrity).toMatchObject({ status: 'ok', expected: sha256(v2) });
    expect(both.hits).toEqual([]);
    // Even a file on disk that differs is not compared when every mapping of it is deleted.
    copyFileSync(evil, path.join(r, LIB.slice(1)));
    const stale = await scan(r, [live(200, `${LIB} (deleted)`)]);
    expect(stale.lib(LIB)?.integrity?.status).toBe('not-checked');
    expect(stale.hits).toEqual([]);
  });

  it('a prelinked library on a host with prelink is recorded as prelinked, not reported', async () => {
    const r = makeSqliteRoot(work, 'prelinked', rpm1);
    const undo = path.join(builds, 'undo.bin');
    writeFileSync(undo, readFileSync(v1).subarray(0, 64));
    execFileSync(
      'objcopy',
      ['--add-section', `.gnu.prelink_undo=${undo}`, v1, path.join(r, LIB.slice(1))],
      RPM_RUN,
    );
    writeFileSync(path.join(r, 'etc/prelink.conf'), '-l /usr/lib64\n');
    const { lib, hits } = await scan(r, [live(100, LIB)]);
    expect(lib(LIB)?.integrity?.status).toBe('prelinked');
    expect(hits).toEqual([]);
  });

  it('hashes each file once and stops at the byte budget, saying so', async () => {
    const r = makeSqliteRoot(work, 'budget', rpm1);
    const own = await loadOwnership(new TargetFs(r), new CollectorLog('test', []));
    const libs: Preload['libraries'] = [LIB, PLUGIN].map((p) => ({
      path: p,
      sources: ['maps'],
      exists: true,
      package: 'libdemo',
    }));
    const log = new CollectorLog('test', []);
    const size = readFileSync(v1).length;
    const note = await verifyMappedLibraries(new TargetFs(r), libs, new Set([LIB, PLUGIN]), own!, log, size);
    expect(libs.map((l) => l.integrity?.status)).toEqual(['ok', 'not-checked']);
    expect(libs[1]!.integrity?.reason).toMatch(/digest budget/);
    expect(note).toMatch(/digest budget of .* MiB reached: 1 libraries not checked/);
    expect(log.errorCount).toBe(0);
  });
});

describe('mapped libraries on a dpkg root (md5sums: digest only)', () => {
  const DEB_LIB = '/usr/lib/x86_64-linux-gnu/libdemo.so.1';
  /** A Debian root: the library, dpkg's status, file list and md5sums for package libdemo1. */
  const debRoot = (name: string, sumOf: string): string => {
    const r = path.join(work, name);
    const info = path.join(r, 'var/lib/dpkg/info');
    mkdirSync(info, { recursive: true });
    mkdirSync(path.join(r, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    copyFileSync(v1, path.join(r, DEB_LIB.slice(1)));
    writeFileSync(
      path.join(r, 'var/lib/dpkg/status'),
      'Package: libdemo1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n',
    );
    // Listed under /lib (pre-merge path) while /proc shows /usr/lib: merged /usr joins them.
    writeFileSync(
      path.join(info, 'libdemo1:amd64.list'),
      '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libdemo.so.1\n',
    );
    writeFileSync(
      path.join(info, 'libdemo1:amd64.md5sums'),
      `${md5(sumOf)}  lib/x86_64-linux-gnu/libdemo.so.1\n`,
    );
    return r;
  };

  it('a library whose md5 differs from md5sums is reported with package and both md5s', async () => {
    const r = debRoot('deb-patched', v1);
    copyFileSync(evil, path.join(r, DEB_LIB.slice(1)));
    const { lib, hits, record } = await scan(r, [live(300, DEB_LIB)]);
    expect(lib(DEB_LIB)?.integrity).toEqual({
      status: 'modified',
      algorithm: 'md5',
      expected: md5(v1),
      actual: md5(evil),
      listed: '/lib/x86_64-linux-gnu/libdemo.so.1',
    });
    expect(record.note).toMatch(/packaged mapped libraries against dpkg \(digest only\): 0 ok, 1 modified/);
    expect(hits.map((h) => [h.level, h.messageId, h.data])).toEqual([
      [
        'high',
        'modifiedPackaged',
        {
          path: DEB_LIB,
          processes: 1,
          pids: '300',
          package: 'libdemo1',
          algorithm: 'md5',
          actual: md5(evil),
          expected: md5(v1),
        },
      ],
    ]);
  });

  it('clean twin: md5 matches, nothing reported', async () => {
    const { lib, hits } = await scan(debRoot('deb-clean', v1), [live(300, DEB_LIB)]);
    expect(lib(DEB_LIB)?.integrity).toMatchObject({ status: 'ok', algorithm: 'md5' });
    expect(hits).toEqual([]);
  });

  it('a library patched in place after a scan that cached its digest is still reported', async () => {
    const r = debRoot('deb-cached', v1);
    setDerivedCacheDir(path.join(work, 'derived-cache'));
    try {
      expect((await scan(r, [live(300, DEB_LIB)])).lib(DEB_LIB)?.integrity?.status).toBe('ok'); // fills
      expect((await scan(r, [live(300, DEB_LIB)])).lib(DEB_LIB)?.integrity?.status).toBe('ok'); // answers
      writeFileSync(path.join(r, DEB_LIB.slice(1)), readFileSync(evil)); // same inode, new ctime
      const { lib } = await scan(r, [live(300, DEB_LIB)]);
      expect(lib(DEB_LIB)?.integrity).toMatchObject({ status: 'modified', actual: md5(evil) });
    } finally {
      setDerivedCacheDir(undefined);
    }
  });
});
