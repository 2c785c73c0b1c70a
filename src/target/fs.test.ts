// Tests for the target's file system: the chroot-style resolution primitives (resolveInRoot,
// lookupInRoot and the links it reports as leading out of an offline root), and the door built on
// them, TargetFs, whose every read of a fake root stays inside it, whatever its links say.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupInRoot, resolveInRoot, resolveInRootSync, targetFs, TargetFs } from './fs.js';

describe('resolveInRoot', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-root-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'etc'));
  mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  writeFileSync(path.join(root, 'usr/lib/os-release'), 'ID=inside\n');
  symlinkSync('/usr/lib/os-release', path.join(root, 'etc/os-release'));
  symlinkSync('../../../../../../usr/lib/os-release', path.join(root, 'etc/escape'));
  symlinkSync('loop-b', path.join(root, 'etc/loop-a'));
  symlinkSync('loop-a', path.join(root, 'etc/loop-b'));

  it('follows absolute and climbing symlinks without leaving the root', async () => {
    expect(await targetFs(root).text('etc/os-release')).toBe('ID=inside\n');
    expect(await targetFs(root).text('/etc/escape')).toBe('ID=inside\n');
    expect(await resolveInRoot(root, 'etc/missing/file')).toBe(path.join(root, 'etc/missing/file'));
  });

  it('stops on a symlink loop', async () => {
    await expect(resolveInRoot(root, 'etc/loop-a')).rejects.toMatchObject({ code: 'ELOOP' });
  });

  it('leaves paths alone on the live root', async () => {
    expect(await resolveInRoot('/', 'etc/passwd')).toBe('/etc/passwd');
  });

  it('keeps the path of something missing inside the root, whatever `..` follow it', async () => {
    const deep = 'etc/missing/../../../../../../tmp/x';
    expect(await resolveInRoot(root, deep)).toBe(path.join(root, 'etc/missing/tmp/x'));
    expect(resolveInRootSync(root, deep)).toBe(path.join(root, 'etc/missing/tmp/x'));
    // An existing path's `..` stop at the root, as a chroot's do.
    expect(await resolveInRoot(root, '../../usr/lib/../../../usr/lib/os-release')).toBe(
      path.join(root, 'usr/lib/os-release'),
    );
  });

  it('resolves the same way without awaiting', () => {
    expect(resolveInRootSync(root, 'etc/os-release')).toBe(path.join(root, 'usr/lib/os-release'));
    expect(resolveInRootSync(root, '/etc/escape')).toBe(path.join(root, 'usr/lib/os-release'));
    expect(() => resolveInRootSync(root, 'etc/loop-a')).toThrow(
      expect.objectContaining({ code: 'ELOOP', errno: -os.constants.errno.ELOOP }),
    );
  });
});

describe('lookupInRoot', () => {
  // A suspect disk beside a directory of the analyst's own, which its absolute links name.
  const base = mkdtempSync(path.join(os.tmpdir(), 'minehunter-lookup-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'disk');
  const mine = path.join(base, 'analyst-tools');
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'tool'), "the analyst's own file\n");
  mkdirSync(path.join(root, 'data/opt'), { recursive: true });
  mkdirSync(path.join(root, 'var/lib'), { recursive: true });
  writeFileSync(path.join(root, 'data/opt/app'), 'inside\n');
  symlinkSync(mine, path.join(root, 'opt')); // absolute, nothing there inside the root
  symlinkSync('/data/opt', path.join(root, 'home')); // absolute, held by the root
  symlinkSync('../../..', path.join(root, 'srv')); // climbs above the root
  symlinkSync('lib/../../data/opt', path.join(root, 'var/www')); // climbs, but stays inside
  symlinkSync('data/opt', path.join(root, 'usr')); // relative, inside
  symlinkSync('/mnt/big', path.join(root, 'data/big')); // absolute, another partition
  symlinkSync('/data/big/x', path.join(root, 'media')); // through it
  symlinkSync('nowhere', path.join(root, 'dangling')); // relative, dangling inside

  it('reports an absolute link the root does not hold, and never names a host path', async () => {
    const found = await lookupInRoot(root, '/opt/tool');
    expect(found).toEqual({
      hostPath: path.join(root, mine, 'tool'),
      missing: true,
      outside: { path: '/opt', target: mine },
    });
    expect(found.hostPath.startsWith(`${root}/`)).toBe(true);
    expect(await lookupInRoot(root, '/opt')).toMatchObject({ missing: true, outside: { path: '/opt' } });
  });

  it('follows an absolute link the root holds inside the root', async () => {
    expect(await lookupInRoot(root, '/home/app')).toEqual({
      hostPath: path.join(root, 'data/opt/app'),
      missing: false,
    });
    expect(await lookupInRoot(root, '/usr/app')).toEqual({
      hostPath: path.join(root, 'data/opt/app'),
      missing: false,
    });
  });

  it("reports a relative link whose `..` climb above the root, but resolves it at the root's top", async () => {
    expect(await lookupInRoot(root, '/srv')).toEqual({
      hostPath: root,
      missing: false,
      outside: { path: '/srv', target: '../../..' },
    });
    expect(await lookupInRoot(root, '/var/www/app')).toEqual({
      hostPath: path.join(root, 'data/opt/app'),
      missing: false,
    });
  });

  it('names the link that leads out, however deep the chain', async () => {
    expect(await lookupInRoot(root, '/media/file')).toMatchObject({
      missing: true,
      outside: { path: '/data/big', target: '/mnt/big' },
    });
  });

  it('leaves a missing place or a dangling link inside the root unreported', async () => {
    expect(await lookupInRoot(root, '/var/spool/cron')).toEqual({
      hostPath: path.join(root, 'var/spool/cron'),
      missing: true,
    });
    expect(await lookupInRoot(root, '/dangling')).toEqual({
      hostPath: path.join(root, 'nowhere'),
      missing: true,
    });
  });
});

describe('TargetFs', () => {
  // A suspect disk beside the analyst's own directory. Its links lead out of it with an absolute
  // path (/opt, /etc/secret) and with `..` (/etc/escape, /etc/up); the chain's twin inside the root
  // (/analyst/secret) is what the target itself would read there.
  const base = mkdtempSync(path.join(os.tmpdir(), 'minehunter-door-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'disk');
  const mine = path.join(base, 'analyst');
  const SECRET = "the analyst's own file\n";
  const TWIN = 'the twin inside the root\n';
  mkdirSync(mine);
  writeFileSync(path.join(mine, 'secret'), SECRET);
  mkdirSync(path.join(root, 'etc'), { recursive: true });
  mkdirSync(path.join(root, 'analyst'));
  mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  writeFileSync(path.join(root, 'analyst/secret'), TWIN);
  writeFileSync(path.join(root, 'usr/lib/os-release'), 'ID=inside\n');
  symlinkSync('/usr/lib/os-release', path.join(root, 'etc/os-release')); // absolute, held by the root
  symlinkSync(mine, path.join(root, 'opt')); // absolute, out of the root
  symlinkSync(path.join(mine, 'secret'), path.join(root, 'etc/secret')); // absolute, out of the root
  symlinkSync('../../analyst/secret', path.join(root, 'etc/escape')); // `..` above the root
  symlinkSync('../../../../..', path.join(root, 'etc/up')); // `..` chain: the root's top
  const door = targetFs(root);
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('knows its root and whether it is the live one', () => {
    expect(door).toBeInstanceOf(TargetFs);
    expect(door.root).toBe(root);
    expect(door.live).toBe(false);
    expect(targetFs(`${root}/etc/..`).root).toBe(root);
    expect(targetFs('/').live).toBe(true);
  });

  it('maps paths as the primitives do, and leaves them alone on the live root', async () => {
    expect(await door.hostPath('/etc/escape')).toBe(path.join(root, 'analyst/secret'));
    expect(door.hostPathSync('/etc/escape')).toBe(path.join(root, 'analyst/secret'));
    expect(await door.hostPath('/opt/secret')).toBe(path.join(root, mine, 'secret'));
    expect(await door.lookup('/opt/secret')).toEqual(await lookupInRoot(root, '/opt/secret'));
    expect(await targetFs('/').hostPath('etc/passwd')).toBe('/etc/passwd');
    expect(targetFs('/').hostPathSync('etc/passwd')).toBe('/etc/passwd');
  });

  it("text: reads the root's files through its links, never the analyst's", async () => {
    expect(await door.text('etc/os-release')).toBe('ID=inside\n');
    expect(await door.text('/etc/escape')).toBe(TWIN);
    await expect(door.text('/etc/secret')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(door.text('/opt/secret')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(door.text('/etc/up/../analyst/secret')).resolves.toBe(TWIN);
    expect(await door.text('/etc/escape', { maxBytes: 8 })).toBe(TWIN.slice(0, 8));
    expect(await door.text('/etc/escape', { maxBytes: 1000 })).toBe(TWIN);
    expect((await door.read('/etc/escape', { maxBytes: 3 })).toString('latin1')).toBe('the');
  });

  it('text: throws as fs does for a directory', async () => {
    await expect(door.text('/etc')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('list: types entries as readdir does, and lists the root where a link leads out', async () => {
    const etc = await door.list('/etc');
    expect(etc.map((e) => e.name)).toEqual(['escape', 'os-release', 'secret', 'up']);
    expect(etc.find((e) => e.name === 'secret')).toEqual({
      name: 'secret',
      path: '/etc/secret',
      isDir: false,
      isFile: false,
      isLink: true,
    });
    expect((await door.list('/')).find((e) => e.name === 'usr')).toEqual({
      name: 'usr',
      path: '/usr',
      isDir: true,
      isFile: false,
      isLink: false,
    });
    // /etc/up climbs to the root's top: the root's own entries, not the analyst's directory beside it.
    expect(await door.names('/etc/up')).toEqual(['analyst', 'etc', 'opt', 'usr']);
    await expect(door.list('/opt')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stat and lstat: follow links inside the root, or describe the link itself', async () => {
    expect((await door.stat('/etc/escape')).size).toBe(TWIN.length);
    expect((await door.stat('/etc/up')).ino).toBe(statSync(root).ino);
    await expect(door.stat('/etc/secret')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(door.stat('/opt')).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await door.lstat('/etc/secret')).isSymbolicLink()).toBe(true);
    expect((await door.lstat('/etc/up/usr/lib/os-release')).size).toBe('ID=inside\n'.length);
    await expect(door.lstat('/opt/secret')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await door.exists('/etc/escape')).toBe(true);
    expect(await door.exists('/etc/secret')).toBe(false);
    expect(await door.readlink('/etc/secret')).toBe(path.join(mine, 'secret'));
  });

  it('hash: streams the sha256 of the file inside the root', async () => {
    expect(await door.hash('/etc/escape')).toBe(sha256(TWIN));
    expect(await door.hash('/etc/up/etc/up/analyst/secret')).toBe(sha256(TWIN));
    await expect(door.hash('/etc/secret')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('open: a handle on the file inside the root', async () => {
    const fh = await door.open('/etc/escape');
    try {
      expect(await fh.readFile('utf8')).toBe(TWIN);
    } finally {
      await fh.close();
    }
    await expect(door.open('/opt/secret')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('does not hang on a FIFO where a file was expected', async () => {
    execFileSync('mkfifo', [path.join(root, 'analyst/fifo')]);
    expect(await door.text('/analyst/fifo')).toBe('');
    expect(await door.hash('/analyst/fifo')).toBe(sha256(''));
  });
});
