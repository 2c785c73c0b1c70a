// Literal persistence and integrity data for tests: a realistic clean set of cron lines, units,
// profiles, keys, sudo rules and verified binaries that no detector may flag, and small constructors
// for the dirty entries each test adds. No imports of the snapshot builders, so both can use it.
import type {
  AuthorizedKey,
  Integrity,
  Persistence,
  PersistenceEntry,
  PersistenceFile,
  SudoRule,
} from '../../src/snapshot/persistence.js';

export function cron(command: string, partial: Partial<PersistenceEntry> = {}): PersistenceEntry {
  return {
    place: 'cron.d',
    file: '/etc/cron.d/job',
    line: 1,
    user: 'root',
    schedule: '*/5 * * * *',
    command,
    text: `*/5 * * * * root ${command}`,
    ...partial,
  };
}

export function unit(
  name: string,
  command: string,
  partial: Partial<PersistenceEntry> = {},
): PersistenceEntry {
  return {
    place: 'systemd',
    file: `/etc/systemd/system/${name}`,
    user: 'root',
    command,
    text: `ExecStart=${command}`,
    unit: { name, scope: 'system', directive: 'ExecStart', enabledBy: ['multi-user.target'], dropIns: [] },
    ...partial,
  };
}

export function key(partial: Partial<AuthorizedKey> = {}): AuthorizedKey {
  return {
    file: '/root/.ssh/authorized_keys',
    line: 1,
    user: 'root',
    keyType: 'ssh-ed25519',
    fingerprint: 'SHA256:abc',
    comment: 'admin@ops',
    options: [],
    text: 'ssh-ed25519 AAAA admin@ops',
    ...partial,
  };
}

export function sudo(partial: Partial<SudoRule> = {}): SudoRule {
  return {
    file: '/etc/sudoers',
    line: 1,
    who: 'root',
    runAs: 'ALL:ALL',
    nopasswd: false,
    commands: 'ALL',
    text: 'root ALL=(ALL:ALL) ALL',
    ...partial,
  };
}

export function file(path: string, partial: Partial<PersistenceFile> = {}): PersistenceFile {
  return { path, role: 'config', size: 100, mtime: '2026-01-01T00:00:00.000Z', ...partial };
}

/** A clean server's persistence: distribution cron jobs and units, a developer's profile, keys, sudo. */
export function cleanPersistence(): Persistence {
  return {
    entries: [
      cron('cd / && run-parts --report /etc/cron.hourly', {
        place: 'crontab',
        file: '/etc/crontab',
        line: 3,
      }),
      cron("test -x /usr/bin/certbot && perl -e 'sleep int(rand(43200))' && certbot -q renew", {
        file: '/etc/cron.d/certbot',
      }),
      cron('"/root/.acme.sh"/acme.sh --cron --home "/root/.acme.sh" > /dev/null', {
        file: '/etc/cron.d/acme',
      }),
      cron('/home/alice/bin/backup.sh --to /srv/backup', {
        place: 'cron-spool',
        file: '/var/spool/cron/crontabs/alice',
        user: 'alice',
      }),
      cron('/usr/bin/flock -n /tmp/sync.lock /home/alice/.local/bin/sync-assets', {
        place: 'cron-spool',
        file: '/var/spool/cron/crontabs/alice',
        user: 'alice',
        line: 2,
      }),
      unit('cron.service', '/usr/sbin/cron -f -P $EXTRA_OPTS'),
      unit('ssh.service', '/usr/sbin/sshd -D $SSHD_OPTS'),
      unit('app.service', '/usr/bin/node /srv/app/dist/server.js --port 3000', { user: 'app' }),
      unit('apt-daily.service', '/usr/lib/apt/apt.systemd.daily update', {
        schedule: 'OnCalendar=*-*-* 6,18:00',
      }),
      unit(
        'redis.service',
        '/usr/bin/redis-server /etc/redis/redis.conf --supervised systemd --daemonize no',
      ),
      {
        place: 'rc-local',
        file: '/etc/rc.local',
        line: 2,
        user: 'root',
        command: '/usr/local/bin/set-motd.sh',
        text: '/usr/local/bin/set-motd.sh',
      },
      {
        place: 'shell-profile',
        file: '/home/alice/.bashrc',
        line: 9,
        user: 'alice',
        command: '. "$HOME/.cargo/env"',
        text: '. "$HOME/.cargo/env"',
      },
      {
        place: 'shell-profile',
        file: '/etc/profile.d/bash_completion.sh',
        line: 2,
        command: '. /usr/share/bash-completion/bash_completion',
        text: '  . /usr/share/bash-completion/bash_completion',
      },
      {
        place: 'udev',
        file: '/lib/udev/rules.d/85-hdparm.rules',
        line: 1,
        user: 'root',
        schedule: 'RUN',
        command: '/lib/udev/hdparm',
        text: 'ACTION=="add", SUBSYSTEM=="block", RUN+="/lib/udev/hdparm"',
      },
    ],
    authorizedKeys: [
      key(),
      key({
        line: 2,
        comment: 'backup@nas',
        options: ['from="10.0.0.0/8"', 'command="/usr/bin/rrsync -ro /srv/backup"', 'no-pty'],
        command: '/usr/bin/rrsync -ro /srv/backup',
        from: '10.0.0.0/8',
        text: 'from="10.0.0.0/8",command="/usr/bin/rrsync -ro /srv/backup",no-pty ssh-ed25519 AAAA backup@nas',
      }),
    ],
    sudoRules: [
      sudo(),
      sudo({ who: '%sudo', line: 2, text: '%sudo ALL=(ALL:ALL) ALL' }),
      sudo({
        file: '/etc/sudoers.d/90-cloud-init-users',
        who: 'alice',
        runAs: 'ALL',
        nopasswd: true,
        text: 'alice ALL=(ALL) NOPASSWD:ALL',
      }),
      sudo({
        file: '/etc/sudoers.d/nagios',
        who: 'nagios',
        runAs: 'root',
        nopasswd: true,
        commands: '/usr/lib/nagios/plugins/check_raid',
        text: 'nagios ALL=(root) NOPASSWD: /usr/lib/nagios/plugins/check_raid',
      }),
    ],
    accounts: [
      { name: 'root', uid: 0, home: '/root', shell: '/bin/bash' },
      { name: 'www-data', uid: 33, home: '/var/www', shell: '/usr/sbin/nologin' },
      { name: 'nagios', uid: 110, home: '/var/lib/nagios', shell: '/usr/sbin/nologin' },
      { name: 'alice', uid: 1000, home: '/home/alice', shell: '/bin/bash' },
      { name: 'app', uid: 1001, home: '/srv/app', shell: '/usr/sbin/nologin' },
    ],
    files: [
      file('/etc/crontab', { attributes: [] }),
      file('/etc/cron.d/certbot', { attributes: [] }),
      file('/root/.ssh/authorized_keys', { attributes: [], mtime: '2025-06-01T00:00:00.000Z' }),
      file('/usr/local/bin/set-motd.sh', { role: 'target', attributes: [], references: ['/etc/motd'] }),
    ],
    attributes: { collected: true },
  };
}

export function cleanIntegrity(): Integrity {
  return {
    packageManager: 'dpkg',
    binaries: [
      {
        path: '/usr/bin/ps',
        packagePath: '/bin/ps',
        package: 'procps',
        status: 'ok',
        expectedMd5: '08a07e7517a09d2f40e2618eff4adf22',
        actualMd5: '08a07e7517a09d2f40e2618eff4adf22',
      },
      {
        path: '/usr/bin/ss',
        packagePath: '/bin/ss',
        package: 'iproute2',
        status: 'ok',
        expectedMd5: '11111111111111111111111111111111',
        actualMd5: '11111111111111111111111111111111',
      },
    ],
  };
}
