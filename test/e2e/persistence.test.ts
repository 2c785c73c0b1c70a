// End-to-end: `minehunter scan --root` on the campaign fixture through the CLI tells one story (cron
// line → dropper → disguised miner → process → pool, with the unit, the hosts edits and, on a copy
// with real `chattr +i` bits and a freshly added key, the immutable files and the key); and on this
// machine the persistence and integrity detectors report nothing at high or critical.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { SERIOUS, describeFinding, ensureBuilt, runCli, runCliJson } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';

const CAMPAIGN = path.join('test', 'fixtures', 'roots', 'campaign');
const OURS = new Set([
  'persistence-download-exec',
  'persistence-odd-path',
  'ssh-key-forced-command',
  'ssh-key-recent',
  'hosts-tampering',
  'sudoers-nopasswd-odd',
  'immutable-persistence',
  'system-binary-modified',
]);
const chainLines = (f: Finding) =>
  f.evidence.flatMap((e) => (e.type === 'match' && e.field === 'chain' ? [e.value] : []));

let copy = '';
let release: (() => Promise<void>) | undefined;
const LOCKED = [
  'usr/local/lib/.cache/kworkerds',
  'etc/systemd/system/systemd-networkd-helper.service',
  'etc/cron.d/0systemd-update',
];

beforeAll(async () => {
  await ensureBuilt();
  // The copy holds dropper-like text under /tmp: a live scan elsewhere in the run (clean-host) must not
  // see it, so the host lock is held from its creation to its removal.
  release = await acquireHostLock();
  copy = mkdtempSync(path.join(os.tmpdir(), 'minehunter-campaign-'));
  cpSync(CAMPAIGN, copy, { recursive: true, verbatimSymlinks: true });
  // What the dropper does on a real host: lock its files and append its key (now).
  for (const rel of LOCKED) execFileSync('chattr', ['+i', path.join(copy, rel)]);
  const now = new Date();
  utimesSync(path.join(copy, 'root/.ssh/authorized_keys'), now, now);
}, 240_000);

afterAll(async () => {
  await removeCopy();
  await release?.();
});

async function removeCopy(): Promise<void> {
  if (!copy) return;
  for (const rel of LOCKED) {
    try {
      execFileSync('chattr', ['-i', path.join(copy, rel)]);
    } catch {
      // already unlocked
    }
  }
  rmSync(copy, { recursive: true, force: true });
  copy = '';
}

describe('scan --root on the campaign fixture', () => {
  it('reports one correlated story through the CLI, and exits 1', async () => {
    const scan = await runCliJson(['scan', '--root', CAMPAIGN, '--format', 'json']);
    expect(scan.code, scan.stderr).toBe(1);
    expect(scan.json.verdict.status).toBe('infected');
    const stories = scan.json.findings.filter((f) => chainLines(f).length > 0);
    expect(stories.map(describeFinding)).toHaveLength(1);
    const [story] = stories;
    expect(story?.level).toBe('critical');
    expect(chainLines(story!)).toEqual([
      'cron line /etc/cron.d/0systemd-update:3 → /var/tmp/.ldr.sh → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
      'systemd unit systemd-networkd-helper.service (ExecStart) → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
    ]);
    const rules = new Set(story?.signals.map((s) => s.ruleId));
    for (const id of [
      'pool-connection',
      'persistence-download-exec',
      'persistence-odd-path',
      'hosts-tampering',
    ])
      expect(rules, id).toContain(id);
    // Nothing of ours is left outside the story.
    const loose = scan.json.findings.filter((f) => f !== story && f.signals.some((s) => OURS.has(s.ruleId)));
    expect(loose.map(describeFinding)).toEqual([]);
  });

  it('adds the chattr +i bits and the freshly added key to the same story on a real copy', async () => {
    const scan = await runCliJson(['scan', '--root', copy, '--format', 'json']);
    const stories = scan.json.findings.filter((f) => chainLines(f).length > 0);
    expect(stories).toHaveLength(1);
    const signals = stories[0]!.signals;
    const messages = signals.map((s) => `${s.ruleId}: ${s.message.en}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        'immutable-persistence: program started by a persistence entry /usr/local/lib/.cache/kworkerds is immutable (chattr +i), on the chain to a running process',
        'immutable-persistence: persistence file /etc/cron.d/0systemd-update is immutable (chattr +i), on the chain to a running process',
        'immutable-persistence: persistence file /etc/systemd/system/systemd-networkd-helper.service is immutable (chattr +i), on the chain to a running process',
        expect.stringMatching(
          /^ssh-key-recent: \/root\/\.ssh\/authorized_keys \(root\) changed less than a day before the scan and holds 2 key\(s\).*x@campaign/,
        ),
      ]),
    );
    expect(stories[0]!.remediate).toEqual(
      expect.arrayContaining([{ type: 'clear-immutable', path: '/usr/local/lib/.cache/kworkerds' }]),
    );
  });

  it('prints the chain in the terminal report, in both languages', async () => {
    const en = await runCli(['scan', '--root', CAMPAIGN, '--lang', 'en', '--no-color']);
    expect(en.stdout).toContain(
      'chain = cron line /etc/cron.d/0systemd-update:3 → /var/tmp/.ldr.sh → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
    );
    const zh = await runCli(['scan', '--root', CAMPAIGN, '--lang', 'zh-CN', '--no-color']);
    expect(zh.stdout).toContain('cron 任务 /etc/cron.d/0systemd-update:3 → /var/tmp/.ldr.sh');
  });
});

describe('this machine', () => {
  it('has no persistence or integrity finding at high or critical (lower ones are printed)', async () => {
    // The campaign copy is gone first, so this live scan sees the machine only.
    await removeCopy();
    const scan = await runCliJson(['scan', '--format', 'json', '--fail-on', 'none']);
    const ours = scan.json.findings.filter((f) => f.signals.some((s) => OURS.has(s.ruleId)));
    console.log(
      `persistence/integrity findings on this host: ${ours.length}\n${ours.map(describeFinding).join('\n')}`,
    );
    expect(scan.json.skipped.filter((s) => OURS.has(s.ruleId))).toEqual([]);
    expect(ours.filter((f) => SERIOUS.includes(f.level)).map(describeFinding)).toEqual([]);
  }, 120_000);
});
