// Tests for the preload collector on fixture roots: ld.so.preload entries, the library's hash and the
// libc calls it overrides (a real hider built here), dpkg ownership across merged /usr, clean twin.
import { execFile } from 'node:child_process';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeProcess } from '../../../test/helpers/snapshot-builders.js';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';
import { collectPreload, ownersOf, parseLdSoPreload, pathVariants } from './preload.js';
import { setDerivedCacheDir } from '../../util/derived-cache.js';

const HIDER = fileURLToPath(new URL('../../../test/lookalike/preload-hider.c', import.meta.url));
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
let root = '';
let sha = '';

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-preload-root-'));
  await cp(path.join(FIXTURE_ROOTS, 'stealth-preload'), root, { recursive: true });
  await mkdir(path.join(root, 'usr/local/lib'), { recursive: true });
  const lib = path.join(root, 'usr/local/lib/libsystem.so');
  await promisify(execFile)('cc', ['-shared', '-fPIC', '-O1', '-DHIDE_NAME="x"', '-o', lib, HIDER, '-ldl']);
  sha = createHash('sha256')
    .update(await readFile(lib))
    .digest('hex');
  await copyFile('/lib/x86_64-linux-gnu/libc.so.6', path.join(root, LIBC));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('collectPreload', () => {
  it('reads ld.so.preload, hashes the library and names the libc calls it overrides', async () => {
    const ctx = await makeContext(root, FIXTURE_NOW);
    const procs = [makeProcess({ pid: 10, maps: [LIBC], env: { LD_PRELOAD: 'libsystem.so' } })];
    const { preload, record } = await collectPreload(ctx, Promise.resolve(procs));
    expect(record.status).toBe('ok');
    expect(preload?.ldSoPreload).toMatchObject({ exists: true, entries: ['/usr/local/lib/libsystem.so'] });
    expect(preload?.packageDb).toBe('dpkg');
    const hider = preload?.libraries.find((l) => l.path === '/usr/local/lib/libsystem.so');
    expect(hider).toEqual({
      path: '/usr/local/lib/libsystem.so',
      sources: ['ld.so.preload'],
      exists: true,
      sha256: sha,
      size: expect.any(Number) as number,
      overrides: ['readdir', 'readdir64'],
    });
    // dpkg lists /lib/x86_64-linux-gnu/libc.so.6; maps says /usr/lib/…: merged /usr makes them one.
    // The fixture's dpkg has a file list for libc6 but no md5sums: nothing to compare it with.
    expect(preload?.libraries.find((l) => l.path === LIBC)).toEqual({
      path: LIBC,
      sources: ['maps'],
      exists: true,
      package: 'libc6',
      integrity: { status: 'not-checked', reason: 'the package database records no digest for it' },
    });
    expect(preload?.ldSoConf.map((c) => c.file)).toEqual([
      '/etc/ld.so.conf',
      '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
    ]);
    // A bare LD_PRELOAD name that is in no search directory stays as given, marked missing.
    expect(preload?.libraries.find((l) => l.path === 'libsystem.so')).toMatchObject({
      exists: false,
      sources: ['LD_PRELOAD'],
    });
  });

  it('gives the same libraries from its cache of unchanged files, and reads a changed one again', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'minehunter-preload-cache-'));
    const lib = path.join(root, 'usr/local/lib/libsystem.so');
    const original = await readFile(lib);
    const run = async () => {
      const ctx = await makeContext(root, FIXTURE_NOW);
      const procs = [makeProcess({ pid: 10, maps: [LIBC], env: { LD_PRELOAD: 'libsystem.so' } })];
      return (await collectPreload(ctx, Promise.resolve(procs))).preload?.libraries;
    };
    try {
      const uncached = await run();
      setDerivedCacheDir(cache);
      expect(await run()).toEqual(uncached); // fills the cache
      expect(await run()).toEqual(uncached); // answers from it
      // The same library with one more byte: a new stamp, so read and hashed again.
      await writeFile(lib, Buffer.concat([original, Buffer.from([0])]));
      const changed = await run();
      const hider = changed?.find((l) => l.path === '/usr/local/lib/libsystem.so');
      expect(hider?.sha256).not.toBe(sha);
      expect(hider?.overrides).toEqual(['readdir', 'readdir64']);
    } finally {
      setDerivedCacheDir(undefined);
      await writeFile(lib, original);
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('clean twin: no ld.so.preload, no libraries', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-preload-clean'), FIXTURE_NOW);
    const { preload } = await collectPreload(ctx, Promise.resolve([]));
    expect(preload?.ldSoPreload).toEqual({ path: '/etc/ld.so.preload', exists: false, entries: [] });
    expect(preload?.libraries).toEqual([]);
    expect(preload?.ldSoConf.map((c) => c.file)).toEqual([
      '/etc/ld.so.conf',
      '/etc/ld.so.conf.d/libc.conf',
      '/etc/ld.so.conf.d/x86_64-linux-gnu.conf',
    ]);
  });

  it('without a dpkg database ownership is "none", not "unowned"', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'offline-disk'), FIXTURE_NOW);
    const { preload, record } = await collectPreload(ctx, Promise.resolve(undefined));
    expect(preload?.packageDb).toBe('none');
    expect(record.note).toContain('package ownership not collected');
  });
});

describe('collectPreload: owner and mode of mapped objects in toolchain trees', () => {
  const TOOLCHAIN = '/home/dev/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/_ssl.so';
  const ADDON = '/tmp/x/node_modules/foo/build/Release/foo.node';
  const HIDDEN = '/tmp/.x/libx.so';
  const VENV = '/srv/app/venv/lib/python3.11/site-packages/y.so';
  const PRELOADED = '/home/dev/.nvm/versions/node/v20.11.0/lib/libhook.so';
  let troot = '';
  beforeAll(async () => {
    troot = await mkdtemp(path.join(os.tmpdir(), 'minehunter-preload-toolchain-'));
    await cp(path.join(FIXTURE_ROOTS, 'stealth-preload-clean'), troot, { recursive: true });
    for (const [file, mode] of [
      [TOOLCHAIN, 0o644],
      [ADDON, 0o666],
      [HIDDEN, 0o755],
      [VENV, 0o644],
      [PRELOADED, 0o644],
    ] as const) {
      const host = path.join(troot, file);
      await mkdir(path.dirname(host), { recursive: true });
      await writeFile(host, 'not an ELF file');
      await chmod(host, mode);
    }
  });
  afterAll(async () => {
    await rm(troot, { recursive: true, force: true });
  });

  it('records uid and mode only for the toolchain objects odd-shared-object would otherwise report', async () => {
    const ctx = await makeContext(troot, FIXTURE_NOW);
    const procs = [
      makeProcess({
        pid: 10,
        maps: [TOOLCHAIN, ADDON, HIDDEN, VENV, PRELOADED],
        env: { LD_PRELOAD: PRELOADED },
      }),
    ];
    const { preload } = await collectPreload(ctx, Promise.resolve(procs));
    const lib = (p: string) => preload?.libraries.find((l) => l.path === p);
    const uid = process.getuid?.() ?? 0;
    expect(lib(TOOLCHAIN)).toMatchObject({ exists: true, uid, mode: 0o644 });
    expect(lib(ADDON)).toMatchObject({ exists: true, uid, mode: 0o666 });
    // Outside toolchain trees, in an ordinary place, or preloaded: the facts stay as they were.
    for (const p of [HIDDEN, VENV, PRELOADED]) {
      expect(lib(p), p).toMatchObject({ exists: true });
      expect(lib(p), p).not.toHaveProperty('uid');
      expect(lib(p), p).not.toHaveProperty('mode');
    }
  });
});

describe('parsers', () => {
  it('splits ld.so.preload on blanks and colons and drops comments', () => {
    expect(parseLdSoPreload('# c\n/a.so /b.so:/c.so\n\n  /d.so # why\n')).toEqual([
      '/a.so',
      '/b.so',
      '/c.so',
      '/d.so',
    ]);
  });
  it('knows both spellings of a path under merged /usr', () => {
    expect(pathVariants('/usr/lib/x.so')).toEqual(['/usr/lib/x.so', '/lib/x.so']);
    expect(pathVariants('/lib64/ld.so')).toEqual(['/lib64/ld.so', '/usr/lib64/ld.so']);
    expect(pathVariants('/opt/x.so')).toEqual(['/opt/x.so']);
  });
  it('finds owners by exact path only', () => {
    const lists = new Map([['libfoo', '/.\n/usr/lib/libfoo.so.1\n/usr/lib/libfoo.so.1.2\n']]);
    expect(ownersOf(lists, ['/usr/lib/libfoo.so.1', '/usr/lib/libfoo.so'])).toEqual(
      new Map([['/usr/lib/libfoo.so.1', 'libfoo']]),
    );
  });
});
