// Tests for collector plumbing: the error cap, bounded concurrency and chroot-style path resolution,
// including the links lookupInRoot reports as leading out of an offline root.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectionRecordSchema } from '../snapshot/schema.js';
import {
  CollectorLog,
  MAX_RECORDED_ERRORS,
  mapLimit,
  parsePasswd,
  lookupInRoot,
  readRootText,
  resolveInRoot,
  resolveInRootSync,
} from './support.js';

describe('CollectorLog', () => {
  it('keeps the first errors with their code and counts the rest', () => {
    const log = new CollectorLog('linux.test', ['processes']);
    for (let i = 0; i < MAX_RECORDED_ERRORS + 5; i++) {
      log.add(`/proc/${i}/environ`, Object.assign(new Error('permission denied'), { code: 'EACCES' }));
    }
    const record = log.record('partial', 'n');
    expect(() => CollectionRecordSchema.parse(record)).not.toThrow();
    expect(record.errors).toHaveLength(MAX_RECORDED_ERRORS);
    expect(record.errors[0]).toEqual({
      path: '/proc/0/environ',
      code: 'EACCES',
      message: 'permission denied',
    });
    expect(record.droppedErrors).toBe(5);
  });
});

describe('mapLimit', () => {
  it('never runs more than the limit at once and keeps results in input order', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});

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
    expect(await readRootText(root, 'etc/os-release')).toBe('ID=inside\n');
    expect(await readRootText(root, '/etc/escape')).toBe('ID=inside\n');
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

describe('parsePasswd', () => {
  it('maps uids to names, first entry wins', () => {
    const users = parsePasswd(
      'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\nbad line\nwww-data:x:33:33::/:/bin/false\n',
    );
    expect([...users]).toEqual([
      [0, 'root'],
      [33, 'www-data'],
    ]);
  });
});
