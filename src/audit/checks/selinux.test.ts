// The SELinux checks ('selinux-enabled', 'selinux-enforcing') on temporary fake roots, collected the
// way `audit --root` collects them (host facts from os-release, SELinux facts through the door): the
// Rocky twins (enforcing passes; disabled and permissive fail, at their own levels), config and
// running mode disagreeing, and a Debian root without /etc/selinux not applicable.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { collectAuditFacts } from '../../collect/audit/index.js';
import { BUILTIN } from '../../collect/audit/logins/dictionary.js';
import { makeContext } from '../../collect/context.js';
import { collectHost } from '../../collect/linux/host.js';
import type { Snapshot } from '../../snapshot/schema.js';
import { runCheck } from '../run.js';
import { selinuxEnabled, selinuxEnforcing, usesSelinux } from './selinux.js';

const ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n';
const DEBIAN = 'NAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n';
const roots: string[] = [];

afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

/** A fake root with these files, collected as `audit --root` would (or as the live system when `live`). */
async function audited(files: Record<string, string>, live = false): Promise<Snapshot> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-selinux-check-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  const { host } = await collectHost(await makeContext(root, () => new Date()));
  const base = makeSnapshot({ target: { root, live }, host });
  const { audit } = await collectAuditFacts(base, {
    loginTests: false,
    dictionary: BUILTIN,
    parts: ['selinux'],
  });
  return { ...base, audit };
}

const rocky = (mode: string, extra: Record<string, string> = {}) =>
  audited({
    'etc/os-release': ROCKY,
    'etc/selinux/config': `SELINUX=${mode}\nSELINUXTYPE=targeted\n`,
    ...extra,
  });

describe("'selinux-enabled' and 'selinux-enforcing' on a Rocky root", () => {
  it('enforcing passes both, naming the mode and the distribution', async () => {
    const s = await rocky('enforcing');
    for (const check of [selinuxEnabled, selinuxEnforcing]) {
      const o = runCheck(check, s);
      expect(o.status).toBe('pass');
      expect(o.notApplicable).toBeUndefined();
      expect(o.message.en).toContain('configured enforcing (targeted)');
      expect(o.evidence).toContainEqual({ type: 'match', field: 'ID_LIKE', value: 'rhel centos fedora' });
    }
  });

  it('disabled fails both: selinux-enabled (medium) says SELinux is off', async () => {
    const s = await rocky('disabled');
    const o = runCheck(selinuxEnabled, s);
    expect(selinuxEnabled.level).toBe('medium');
    expect(o.status).toBe('fail');
    expect(o.message.en).toBe('SELinux is off: configured disabled (targeted).');
    expect(o.message['zh-CN']).toContain('SELinux 已关闭');
    expect(o.evidence).toContainEqual({
      type: 'match',
      field: '/etc/selinux/config SELINUX',
      value: 'disabled',
    });
    expect(runCheck(selinuxEnforcing, s).status).toBe('fail');
  });

  it('permissive fails only the lower selinux-enforcing, with the command for this host', async () => {
    const s = await rocky('permissive');
    expect(runCheck(selinuxEnabled, s).status).toBe('pass');
    const o = runCheck(selinuxEnforcing, s);
    expect(selinuxEnforcing.level).toBe('low');
    expect(o.status).toBe('fail');
    expect(o.fixCommand).toBe("sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config");
  });

  it('no /etc/selinux/config on an RHEL-family root: off, as no policy loads at boot', async () => {
    const s = await audited({ 'etc/os-release': ROCKY });
    const o = runCheck(selinuxEnabled, s);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('no /etc/selinux/config');
    expect(o.fixCommand).toMatch(/^dnf install -y selinux-policy-targeted && grubby /);
    expect(runCheck(selinuxEnforcing, s).message.en).toContain('turn it on first: selinux-enabled');
  });

  it('a SELINUX= value libselinux does not know is unknown, not guessed', async () => {
    const s = await rocky('"enforcing"');
    expect(runCheck(selinuxEnabled, s).status).toBe('unknown');
    expect(runCheck(selinuxEnforcing, s).status).toBe('unknown');
  });
});

describe('config and running mode disagreeing (live system)', () => {
  const live = (config: string, enforce: string, context = 'system_u:system_r:unconfined_t:s0\0') =>
    audited(
      {
        'etc/os-release': ROCKY,
        'etc/selinux/config': `SELINUX=${config}\n`,
        'sys/fs/selinux/enforce': enforce,
        'proc/self/attr/current': context,
      },
      true,
    );

  it('configured enforcing, running permissive (`setenforce 0`): both named, and only setenforce 1 to run', async () => {
    const s = await live('enforcing', '0');
    const o = runCheck(selinuxEnforcing, s);
    expect(o.status).toBe('fail');
    expect(o.message.en).toMatch(/configured enforcing, running permissive: they differ/);
    expect(o.message['zh-CN']).toContain('两者不一致');
    expect(o.evidence).toContainEqual({
      type: 'match',
      field: 'running mode',
      value: 'permissive (/sys/fs/selinux)',
    });
    expect(o.fixCommand).toBe('setenforce 1');
    expect(runCheck(selinuxEnabled, s).status).toBe('pass');
  });

  it('configured disabled but still running enforcing until the reboot: selinux-enabled fails, saying both', async () => {
    const s = await live('disabled', '1');
    const o = runCheck(selinuxEnabled, s);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('configured disabled, running enforcing');
  });

  it('running with no policy loaded (the `kernel` context) is off even with selinuxfs mounted', async () => {
    const s = await live('enforcing', '0', 'kernel\0');
    const o = runCheck(selinuxEnabled, s);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('running disabled');
  });

  it('enforcing in both passes', async () => {
    const s = await live('enforcing', '1');
    expect(runCheck(selinuxEnforcing, s).status).toBe('pass');
  });
});

describe('distributions that do not use SELinux', () => {
  it('a Debian root without /etc/selinux is not applicable, with the reason', async () => {
    const s = await audited({ 'etc/os-release': DEBIAN });
    for (const check of [selinuxEnabled, selinuxEnforcing]) {
      const o = runCheck(check, s);
      expect(o).toMatchObject({ status: 'pass', notApplicable: true });
      expect(o.message.en).toMatch(
        /^debian 12 \(no package database\) does not use SELinux.*not applicable\.$/,
      );
      expect(o.message['zh-CN']).toContain('不适用');
    }
  });

  it('a Debian root where SELinux was installed is judged like any other', async () => {
    const s = await audited({ 'etc/os-release': DEBIAN, 'etc/selinux/config': 'SELINUX=permissive\n' });
    expect(runCheck(selinuxEnforcing, s).status).toBe('fail');
    expect(runCheck(selinuxEnforcing, s).notApplicable).toBeUndefined();
  });

  it('family from os-release, else from the rpm database; SUSE (AppArmor) is not', () => {
    expect(usesSelinux({ id: 'almalinux', idLike: ['rhel', 'centos', 'fedora'] })).toBe(true);
    expect(usesSelinux({ id: 'fedora' })).toBe(true);
    expect(usesSelinux({ packageManager: 'rpm' })).toBe(true);
    expect(usesSelinux({ id: 'opensuse-leap', idLike: ['suse', 'opensuse'], packageManager: 'rpm' })).toBe(
      false,
    );
    expect(usesSelinux({ id: 'ubuntu', idLike: ['debian'], packageManager: 'dpkg' })).toBe(false);
    expect(usesSelinux(undefined)).toBe(false);
  });
});
