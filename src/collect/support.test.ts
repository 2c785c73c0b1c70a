// Tests for collector plumbing: the error cap, bounded concurrency and chroot-style path resolution.
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
  readRootText,
  resolveInRoot,
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
