// Tests for the rpm database reader and rpm integrity, on roots built with Debian's real rpmbuild,
// rpm and db5.3_load: the header parser on headers rpm wrote, the SQLite and Berkeley DB readers
// against `rpm -qa` as the oracle, a replaced /usr/bin/ps, its clean twin, an edited %config file,
// a prelinked ELF (cc + objcopy) beside a replaced one, a mode changed alone (chmod u+s), and
// corrupt databases.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemBinaryModified } from '../../../detect/detectors/system-binary-modified.js';
import type { Snapshot } from '../../../snapshot/schema.js';
import { TargetFs } from '../../../target/fs.js';
import { makeContext } from '../../context.js';
import { collectHost } from '../host.js';
import { collectIntegrity } from '../integrity.js';
import { loadOwnership } from '../packages/ownership.js';
import { CollectorLog } from '../../support.js';
import { readBdbHash } from './bdb.js';
import { FILE_FLAG, nevra, parseHeaderBlob, RpmHeaderError } from './header.js';
import { readRpmDb, RpmDbError } from './index.js';
import {
  buildProcpsRpm,
  convertToBdb,
  makeSqliteRoot,
  RPM_RUN,
  rpmQuery,
  sqliteHeaders,
  tempDir,
} from './test-roots.js';
import { elfSectionNames } from './verify.js';

const PS_SHA = 'ec11e77bc60e5a5efd569764f4dfcb27e0300001dd167ec055e3347c015537d5';
let work: string;
let rpmFile: string;

beforeAll(() => {
  work = tempDir('minehunter-rpm-test-');
  rpmFile = buildProcpsRpm(work);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ctxFor = (root: string) => makeContext(root, () => new Date('2100-01-01T00:00:00Z'));

/** A fresh root: sqlite by default, or the same headers in a Berkeley DB Packages. */
function root(name: string, kind: 'sqlite' | 'bdb' = 'sqlite', pageSize?: number): string {
  const r = makeSqliteRoot(work, name, rpmFile);
  if (kind === 'bdb') convertToBdb(r, pageSize);
  return r;
}

describe('rpm header parser (headers written by rpm itself)', () => {
  it('decodes name, version, release, arch, vendor, install time and per-file facts', () => {
    const r = root('hdr');
    const [{ blob }] = sqliteHeaders(r) as [{ hnum: number; blob: Buffer }];
    const pkg = parseHeaderBlob(blob);
    expect(nevra(pkg)).toBe(rpmQuery(r, ['-qa']).trim());
    expect(pkg).toMatchObject({ name: 'procps-ng', version: '3.3.17', release: '14.el9', arch: 'x86_64' });
    expect(pkg.vendor).toBe('Rocky Enterprise Software Foundation');
    expect(pkg.digestAlgo).toBe('sha256');
    expect(String(pkg.installTime)).toBe(rpmQuery(r, ['-q', '--qf', '%{INSTALLTIME}', 'procps-ng']));
    // Every file fact, against rpm's own query of the same header.
    const oracle = rpmQuery(r, [
      '-q',
      '--qf',
      '[%{FILENAMES} %{FILEDIGESTS} %{FILESIZES} %{FILEMODES} %{FILEFLAGS}\n]',
      'procps-ng',
    ]);
    const ours = pkg.files
      .map((f) => `${f.path} ${f.digest} ${f.size} ${f.mode} ${f.flags}`.replace('  ', ' '))
      .join('\n');
    expect(ours + '\n').toBe(oracle.replace(/ {2}/g, ' '));
    const byPath = new Map(pkg.files.map((f) => [f.path, f]));
    expect(byPath.get('/usr/bin/ps')?.digest).toBe(PS_SHA);
    expect(byPath.get('/etc/sysconfig/procps')!.flags & FILE_FLAG.CONFIG).toBeTruthy();
    expect(byPath.get('/var/log/procps.log')!.flags & FILE_FLAG.GHOST).toBeTruthy();
  });

  it('throws a clear error on truncated and corrupt blobs', () => {
    const [{ blob }] = sqliteHeaders(root('hdr-bad')) as [{ hnum: number; blob: Buffer }];
    expect(() => parseHeaderBlob(blob.subarray(0, blob.length - 10))).toThrow(/truncated/);
    expect(() => parseHeaderBlob(blob.subarray(0, 5))).toThrow(RpmHeaderError);
    const bad = Buffer.from(blob);
    bad.writeUInt32BE(0x7fffffff, 0);
    expect(() => parseHeaderBlob(bad)).toThrow(/impossible index/);
  });
});

describe('rpm database reader', () => {
  it('reads the SQLite rpmdb rpm wrote, as `rpm -qa` lists it', async () => {
    const r = root('sqlite');
    const db = await readRpmDb(new TargetFs(r));
    expect(db).toMatchObject({ format: 'sqlite', path: '/var/lib/rpm/rpmdb.sqlite', errors: [] });
    expect(db!.packages.map(nevra)).toEqual(rpmQuery(r, ['-qa']).trim().split('\n'));
  });

  for (const pageSize of [4096, 1024]) {
    it(`reads a Berkeley DB Packages (page size ${pageSize}) checked with rpm's bdb_ro as the oracle`, async () => {
      const r = root(`bdb-${pageSize}`, 'bdb', pageSize);
      const oracle = rpmQuery(r, ['-qa', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\n'], true).trim();
      expect(oracle).toBe('procps-ng-3.3.17-14.el9.x86_64');
      const db = await readRpmDb(new TargetFs(r));
      expect(db).toMatchObject({ format: 'bdb', path: '/var/lib/rpm/Packages', errors: [] });
      expect(db!.packages.map(nevra)).toEqual([oracle]);
      const files = rpmQuery(r, ['-qa', '--qf', '[%{FILENAMES}\n]'], true).trim().split('\n');
      expect(db!.packages[0]!.files.map((f) => f.path)).toEqual(files);
    });
  }

  it('ends a truncated Berkeley DB or a corrupt SQLite file in a clear error', async () => {
    const b = root('bdb-truncated', 'bdb', 1024);
    const file = path.join(b, 'var/lib/rpm/Packages');
    truncateSync(file, 2048);
    await expect(readRpmDb(new TargetFs(b))).rejects.toThrow(
      /Packages: bdb rpm database not readable: truncated/,
    );
    expect(() => readBdbHash(Buffer.alloc(4096))).toThrow(/bad magic/);
    const s = root('sqlite-garbage');
    rmSync(path.join(s, 'var/lib/rpm/rpmdb.sqlite-wal'), { force: true });
    writeFileSync(path.join(s, 'var/lib/rpm/rpmdb.sqlite'), Buffer.alloc(8192, 0x41));
    await expect(readRpmDb(new TargetFs(s))).rejects.toThrow(RpmDbError);
    await expect(readRpmDb(new TargetFs(s))).rejects.toThrow(
      /rpmdb\.sqlite: sqlite rpm database not readable/,
    );
  });

  it('returns undefined for a root without any rpm database', async () => {
    expect(await readRpmDb(new TargetFs(work))).toBeUndefined();
  });
});

/** The detector's hits on an integrity section alone (it reads nothing else, the ruleset included). */
const hitsOf = (integrity: Snapshot['integrity']) =>
  systemBinaryModified.detect({ integrity } as Snapshot, undefined as never);
const highOrAbove = (integrity: Snapshot['integrity']) =>
  hitsOf(integrity).filter((h) => h.level === 'high' || h.level === 'critical');

describe('rpm integrity (like rpm -V for the watched programs)', () => {
  for (const kind of ['sqlite', 'bdb'] as const) {
    it(`${kind}: a replaced /usr/bin/ps is reported with its package and both digests`, async () => {
      const r = root(`replaced-${kind}`, kind);
      writeFileSync(path.join(r, 'usr/bin/ps'), '#!/bin/sh\nexec /tmp/.x/ps "$@" | grep -v xmrig\n');
      const { integrity, record } = await collectIntegrity(await ctxFor(r));
      expect(record.status).toBe('ok');
      expect(integrity?.packageManager).toBe('rpm');
      const ps = integrity?.binaries.find((b) => b.path === '/usr/bin/ps');
      expect(ps).toMatchObject({
        status: 'modified',
        package: 'procps-ng',
        packagePath: '/usr/bin/ps',
        expectedSha256: PS_SHA,
      });
      expect(ps?.sha256).not.toBe(PS_SHA);
      const hits = highOrAbove(integrity);
      expect(hits).toHaveLength(1);
      expect(hits[0]).toMatchObject({
        messageId: 'modifiedSha256',
        data: { path: '/usr/bin/ps', package: 'procps-ng', expectedSha256: PS_SHA, sha256: ps?.sha256 },
      });
      expect(hits[0]!.evidence[1]).toMatchObject({ ioc: `rpm procps-ng: /usr/bin/ps ${PS_SHA}` });
      // rpm -V's S beside the 5: the size rpm recorded against the file's.
      expect(ps).toMatchObject({ expectedSize: 23, expectedMode: 0o755, mode: 0o755 });
      expect(hits[0]!.evidence[2]).toEqual({
        type: 'match',
        field: 'size',
        value: String(ps?.size),
        ioc: 'rpm procps-ng: 23',
      });
    });
  }

  it('a mode change alone is reported: a setuid bit added is high, other bits medium', async () => {
    const r = root('mode-changed');
    chmodSync(path.join(r, 'usr/bin/ps'), 0o4755);
    chmodSync(path.join(r, 'usr/bin/top'), 0o775);
    let verify = '';
    try {
      rpmQuery(r, ['-V', '--nodeps', 'procps-ng']);
    } catch (err) {
      verify = (err as { stdout: string }).stdout;
    }
    expect(verify).toMatch(/^\.M\S*\s+\/usr\/bin\/ps$/m);
    const { integrity } = await collectIntegrity(await ctxFor(r));
    expect(integrity?.binaries.find((b) => b.path === '/usr/bin/ps')).toMatchObject({
      status: 'ok',
      mode: 0o4755,
      expectedMode: 0o755,
    });
    const hits = hitsOf(integrity);
    expect(hits.map((h) => [h.level, h.messageId, h.data])).toEqual([
      [
        'high',
        'modeChanged',
        {
          path: '/usr/bin/ps',
          package: 'procps-ng',
          mode: '4755',
          expectedMode: '0755',
          change: { en: 'a setuid or setgid bit was added', 'zh-CN': '新增了 setuid 或 setgid 位' },
          packagePath: '/usr/bin/ps',
        },
      ],
      [
        'medium',
        'modeChanged',
        {
          path: '/usr/bin/top',
          package: 'procps-ng',
          mode: '0775',
          expectedMode: '0755',
          change: { en: 'permission bits changed', 'zh-CN': '权限位被修改' },
          packagePath: '/usr/bin/top',
        },
      ],
    ]);
    expect(hits[0]!.evidence[1]).toEqual({
      type: 'match',
      field: 'mode',
      value: '4755',
      ioc: 'rpm procps-ng: /usr/bin/ps 0755',
    });
  });

  it('clean twin: every watched program verifies, nothing at medium or above', async () => {
    const { integrity } = await collectIntegrity(await ctxFor(root('clean')));
    expect(integrity?.binaries.map((b) => [b.path, b.status])).toEqual([
      ['/usr/bin/ps', 'ok'],
      ['/usr/bin/top', 'ok'],
      ['/usr/bin/free', 'ok'],
    ]);
    expect(hitsOf(integrity)).toEqual([]);
  });

  it('an edited %config file is not reported (rpm -V shows it, but it is the admin’s)', async () => {
    const r = root('config-edited');
    appendFileSync(path.join(r, 'usr/bin/free'), '# local tweak\n');
    appendFileSync(path.join(r, 'etc/sysconfig/procps'), 'MORE=1\n');
    // rpm -V itself flags both as changed config files (exit 1, the report on stdout).
    let verify = '';
    try {
      rpmQuery(r, ['-V', '--nodeps', 'procps-ng']);
    } catch (err) {
      verify = (err as { stdout: string }).stdout;
    }
    expect(verify).toMatch(/^S\.5\S*\s+c \/usr\/bin\/free$/m);
    const { integrity } = await collectIntegrity(await ctxFor(r));
    expect(integrity?.binaries.find((b) => b.path === '/usr/bin/free')?.status).toBe('config');
    expect(hitsOf(integrity)).toEqual([]);
  });

  it('a corrupt database ends in a failed record naming it, with no integrity section', async () => {
    const r = root('corrupt', 'bdb');
    const file = path.join(r, 'var/lib/rpm/Packages');
    const bytes = readFileSync(file);
    bytes.fill(0xff, 4096); // every page after the metadata page destroyed
    writeFileSync(file, bytes);
    const { integrity, record } = await collectIntegrity(await ctxFor(r));
    expect(integrity).toBeUndefined();
    expect(record.status).toBe('failed');
    expect(record.errors[0]).toMatchObject({ path: '/var/lib/rpm/Packages' });
    expect(record.errors[0]!.message).toMatch(/Packages: bdb rpm database not readable/);
  });

  it('a copy of the root reads the same (nothing is written into the evidence)', async () => {
    const r = root('readonly');
    const copy = path.join(work, 'readonly-copy');
    cpSync(r, copy, { recursive: true });
    await collectIntegrity(await ctxFor(r));
    expect(readFileSync(path.join(r, 'var/lib/rpm/rpmdb.sqlite'))).toEqual(
      readFileSync(path.join(copy, 'var/lib/rpm/rpmdb.sqlite')),
    );
  });
});

describe('prelinked binaries (CentOS 6/7 prelink rewrites ELF files in place)', () => {
  let elfRpm: string;
  let builds: string;
  /** A small program compiled here; `text` makes two builds differ. */
  const compile = (name: string, text: string): string => {
    const src = path.join(builds, `${name}.c`);
    writeFileSync(src, `#include <stdio.h>\nint main(void) { puts("${text}"); return 0; }\n`);
    execFileSync('cc', ['-O0', '-o', path.join(builds, name), src], RPM_RUN);
    return path.join(builds, name);
  };
  /** What prelink leaves: the same program plus a .gnu.prelink_undo section (the original ELF header). */
  const prelinkLike = (elf: string, out: string): void => {
    const undo = path.join(builds, 'undo.bin');
    writeFileSync(undo, readFileSync(elf).subarray(0, 64));
    execFileSync('objcopy', ['--add-section', `.gnu.prelink_undo=${undo}`, elf, out], RPM_RUN);
  };

  beforeAll(() => {
    builds = path.join(work, 'elf-builds');
    mkdirSync(path.join(builds, 'pkg'), { recursive: true });
    elfRpm = buildProcpsRpm(path.join(builds, 'pkg'), compile('ps', 'real ps'));
  });

  it('reads ELF section names and sees the section objcopy added', () => {
    const plain = path.join(builds, 'ps');
    const names = elfSectionNames(readFileSync(plain));
    expect(names).toEqual(expect.arrayContaining(['.text', '.dynsym', '.shstrtab']));
    expect(names).not.toContain('.gnu.prelink_undo');
    prelinkLike(plain, path.join(builds, 'ps.prelinked'));
    expect(elfSectionNames(readFileSync(path.join(builds, 'ps.prelinked')))).toContain('.gnu.prelink_undo');
    expect(elfSectionNames(Buffer.from('#!/bin/sh\necho ps\n'))).toBeUndefined();
    expect(elfSectionNames(readFileSync(plain).subarray(0, 200))).toBeUndefined(); // headers cut off
  });

  /** An rpm root with the ELF ps installed, then changed on disk by `change`. */
  const elfRoot = (name: string, change: (ps: string) => void, prelinkInstalled: boolean): string => {
    const r = makeSqliteRoot(work, name, elfRpm);
    change(path.join(r, 'usr/bin/ps'));
    if (prelinkInstalled) writeFileSync(path.join(r, 'etc/prelink.conf'), '-l /bin\n-l /usr/bin\n');
    return r;
  };

  it('a prelinked ps on a host with prelink is recorded as prelinked, not reported', async () => {
    const r = elfRoot('prelinked', (ps) => prelinkLike(path.join(builds, 'ps'), ps), true);
    // rpm -V on this root (without prelink's undo helper) shows the digest change itself.
    expect(() => rpmQuery(r, ['-V', '--nodeps', 'procps-ng'])).toThrow();
    const { integrity, record } = await collectIntegrity(await ctxFor(r));
    const ps = integrity?.binaries.find((b) => b.path === '/usr/bin/ps');
    expect(ps).toMatchObject({ status: 'prelinked', package: 'procps-ng' });
    expect(ps?.sha256).not.toBe(ps?.expectedSha256);
    expect(record.note).toMatch(/\/usr\/bin\/ps prelinked: digest not comparable/);
    expect(hitsOf(integrity)).toEqual([]);
  });

  it('a plain replaced ELF ps stays reported, prelink or not', async () => {
    const other = compile('evil-ps', 'hidden ps');
    const r = elfRoot('elf-replaced', (ps) => copyFileSync(other, ps), true);
    const { integrity } = await collectIntegrity(await ctxFor(r));
    expect(integrity?.binaries.find((b) => b.path === '/usr/bin/ps')?.status).toBe('modified');
    expect(highOrAbove(integrity).map((h) => h.data?.['path'])).toEqual(['/usr/bin/ps']);
  });

  it('a prelink section on a host without prelink explains nothing: still modified', async () => {
    // Anyone can add the section with objcopy; without prelink on the host it was not prelink's doing.
    const evil = compile('evil-ps2', 'hidden ps');
    const r = elfRoot('fake-prelink', (ps) => prelinkLike(evil, ps), false);
    const { integrity } = await collectIntegrity(await ctxFor(r));
    expect(integrity?.binaries.find((b) => b.path === '/usr/bin/ps')?.status).toBe('modified');
    expect(highOrAbove(integrity)).toHaveLength(1);
  });
});

describe('package ownership (one interface for dpkg and rpm)', () => {
  it('answers from the rpm database on an rpm root, following merged /usr', async () => {
    const log = new CollectorLog('test', []);
    const own = await loadOwnership(new TargetFs(root('owner')), log);
    expect(own?.manager).toBe('rpm');
    expect([...own!.ownersOf(['/usr/bin/ps', '/bin/top', '/usr/lib64/libprocesshider.so'])]).toEqual([
      ['/usr/bin/ps', 'procps-ng'],
      ['/bin/top', 'procps-ng'],
    ]);
    expect(log.errorCount).toBe(0);
  });

  it('answers from dpkg on this Debian machine, and leaves a corrupt rpm database unknown with an error', async () => {
    const log = new CollectorLog('test', []);
    const own = await loadOwnership(new TargetFs('/'), log);
    expect(own?.manager).toBe('dpkg');
    expect(own!.ownersOf(['/usr/bin/ps']).get('/usr/bin/ps')).toBe('procps');
    const r = root('owner-corrupt', 'bdb');
    truncateSync(path.join(r, 'var/lib/rpm/Packages'), 4096);
    const bad = new CollectorLog('test', []);
    expect(await loadOwnership(new TargetFs(r), bad)).toBeUndefined();
    expect(bad.errors[0]?.path).toBe('/var/lib/rpm/Packages');
  });
});

describe('distribution facts', () => {
  it('names the package manager of an rpm root beside os-release ID and VERSION_ID', async () => {
    const { host } = await collectHost(await ctxFor(root('host')));
    expect(host.distribution).toMatchObject({ id: 'rocky', version: '9.3', packageManager: 'rpm' });
  });
});
