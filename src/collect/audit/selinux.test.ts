// The SELinux collector on temporary fake roots: the config read as libselinux reads it, the running
// mode read only when the target is the live system (a fake root stands in for / through `live`), and
// a Debian-like root without /etc/selinux.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TargetFs } from '../../target/fs.js';
import { collectSelinux, parseEnforce, parseSelinuxConfig } from './selinux.js';

const roots: string[] = [];

async function fakeRoot(files: Record<string, string>): Promise<TargetFs> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-selinux-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  return new TargetFs(root);
}

afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

const ROCKY_CONFIG = [
  '# This file controls the state of SELinux on the system.',
  '#SELINUX=disabled',
  'SELINUX=enforcing',
  'SELINUX=disabled',
  'SELINUXTYPE=mls',
  'SELINUXTYPE=targeted',
  '',
].join('\n');

describe('parseSelinuxConfig', () => {
  it('takes the first recognised SELINUX= (comments skipped) and the last SELINUXTYPE=, as libselinux does', () => {
    expect(parseSelinuxConfig(ROCKY_CONFIG)).toEqual({ mode: 'enforcing', type: 'targeted' });
  });
  it('keeps a value libselinux would not recognise, and skips it when a recognised one follows', () => {
    expect(parseSelinuxConfig('SELINUX="enforcing"\n')).toEqual({ mode: '"enforcing"' });
    expect(parseSelinuxConfig('SELINUX=on\nSELINUX=Permissive\r\n')).toEqual({ mode: 'permissive' });
    expect(parseSelinuxConfig(' SELINUX=enforcing\n')).toEqual({});
  });
  it('reads the enforce file', () => {
    expect([parseEnforce('1\n'), parseEnforce('0'), parseEnforce('x')]).toEqual([
      'enforcing',
      'permissive',
      undefined,
    ]);
  });
});

describe('collectSelinux', () => {
  it('offline root: the config only, never the root’s copy of /sys', async () => {
    const fs = await fakeRoot({
      'etc/selinux/config': ROCKY_CONFIG,
      'sys/fs/selinux/enforce': '0',
    });
    expect(await collectSelinux(fs, false)).toEqual({
      installed: true,
      config: { mode: 'enforcing', type: 'targeted' },
      liveNote: 'an offline root has no running kernel to ask',
    });
  });

  it('live system: the running mode from /sys/fs/selinux/enforce beside the config', async () => {
    const fs = await fakeRoot({
      'etc/selinux/config': ROCKY_CONFIG,
      'sys/fs/selinux/enforce': '0\n',
      'proc/self/attr/current': 'unconfined_u:unconfined_r:unconfined_t:s0\0',
    });
    expect(await collectSelinux(fs, true)).toMatchObject({
      config: { mode: 'enforcing' },
      live: 'permissive',
    });
  });

  it('live system: selinuxfs mounted but no policy loaded (the `kernel` context) is disabled', async () => {
    const fs = await fakeRoot({
      'etc/selinux/config': 'SELINUX=disabled\n',
      'sys/fs/selinux/enforce': '0',
      'proc/self/attr/current': 'kernel\0',
    });
    expect((await collectSelinux(fs, true)).live).toBe('disabled');
  });

  it('live system without selinuxfs: disabled; without /sys at all: unknown, with the reason', async () => {
    const mounted = await fakeRoot({ 'sys/fs/cgroup/x': '' });
    expect(await collectSelinux(mounted, true)).toEqual({ installed: false, live: 'disabled' });
    const bare = await fakeRoot({ 'etc/os-release': 'ID=debian\n' });
    expect(await collectSelinux(bare, true)).toEqual({
      installed: false,
      liveNote: '/sys is not mounted: the running mode is unknown',
    });
  });

  it('Debian-like root: no /etc/selinux, nothing configured', async () => {
    const fs = await fakeRoot({ 'etc/os-release': 'ID=debian\nVERSION_ID="12"\n' });
    const facts = await collectSelinux(fs, false);
    expect(facts.installed).toBe(false);
    expect(facts.config).toBeUndefined();
  });
});
