// Tests for persistence ↔ miner correlation on the campaign fixture: a cron line that downloads and
// runs a dropper, a systemd unit running the disguised miner, an added ssh key and /etc/hosts edits
// all become ONE finding about the miner process, with the chain cron line → script → binary →
// process → pool in its evidence. Unlinked persistence stays a finding of its own.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from '../collect/index.js';
import { FIXTURE_ROOTS, FIXTURE_NOW } from '../collect/test-helpers.js';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { runDetectors } from './run.js';
import { chainText, entryChain } from './chain.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const campaign = path.join(FIXTURE_ROOTS, 'campaign');

describe('persistence chains on the campaign fixture', () => {
  it('follows the cron line through the dropper to the running miner and its pool', async () => {
    const snapshot = await collectSnapshot({ root: campaign, now: FIXTURE_NOW, toolVersion: '0' });
    const cron = snapshot.persistence?.entries.find((e) => e.file === '/etc/cron.d/0systemd-update');
    expect(cron).toBeDefined();
    const chain = entryChain(snapshot, ruleset, cron!);
    expect(chain?.paths).toEqual(['/var/tmp/.ldr.sh', '/usr/local/lib/.cache/kworkerds']);
    expect(chain?.process.pid).toBe(1337);
    expect(chainText(cron!, chain!).en).toBe(
      'cron line /etc/cron.d/0systemd-update:3 → /var/tmp/.ldr.sh → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
    );
    // The distribution's own cron jobs lead nowhere.
    const e2scrub = snapshot.persistence?.entries.find((e) => e.file === '/etc/cron.d/e2scrub_all');
    expect(entryChain(snapshot, ruleset, e2scrub!)).toBeUndefined();
  });

  it("tells one story: every persistence signal joins the miner process's finding", async () => {
    // The key file was "added" a day before the scan: the clock is set from its own mtime.
    const probe = await collectSnapshot({ root: campaign, now: FIXTURE_NOW, toolVersion: '0' });
    const keyTime = Date.parse(
      probe.persistence!.files.find((f) => f.path === '/root/.ssh/authorized_keys')!.mtime!,
    );
    const snapshot = await collectSnapshot({
      root: campaign,
      now: () => new Date(keyTime + 86_400_000),
      toolVersion: '0',
    });
    const { findings } = runDetectors(snapshot, ruleset);
    const story = findings.filter((f) => f.evidence.some((e) => e.type === 'match' && e.field === 'chain'));
    expect(story).toHaveLength(1);
    const [f] = story;
    expect(f?.level).toBe('critical');
    expect(f?.category).toBe('miner');
    expect(new Set(f?.signals.map((s) => s.ruleId))).toEqual(
      new Set([
        'pool-connection',
        'persistence-download-exec',
        'persistence-odd-path',
        'hosts-tampering',
        'ssh-key-recent',
        ...(f?.signals.some((s) => s.ruleId === 'high-cpu-odd-path') ? ['high-cpu-odd-path'] : []),
      ]),
    );
    expect(
      f?.evidence
        .filter((e) => e.type === 'match' && e.field === 'chain')
        .map((e) => (e.type === 'match' ? e.value : '')),
    ).toEqual([
      'cron line /etc/cron.d/0systemd-update:3 → /var/tmp/.ldr.sh → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
      'systemd unit systemd-networkd-helper.service (ExecStart) → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333',
    ]);
    expect(f?.remediate).toEqual(
      expect.arrayContaining([
        { type: 'kill-process-tree', pid: 1337, exe: '/usr/local/lib/.cache/kworkerds' },
        { type: 'quarantine-file', path: '/var/tmp/.ldr.sh' },
        {
          type: 'remove-cron-line',
          path: '/etc/cron.d/0systemd-update',
          line: expect.stringContaining('curl -fsSL'),
        },
        {
          type: 'disable-unit',
          unit: 'systemd-networkd-helper.service',
          path: '/etc/systemd/system/systemd-networkd-helper.service',
        },
        {
          type: 'remove-authorized-key',
          path: '/root/.ssh/authorized_keys',
          line: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 x@campaign',
        },
      ]),
    );
    // No persistence finding is left outside the story.
    const persistenceIds = new Set([
      'persistence-download-exec',
      'persistence-odd-path',
      'hosts-tampering',
      'ssh-key-recent',
      'ssh-key-forced-command',
      'sudoers-nopasswd-odd',
      'immutable-persistence',
    ]);
    expect(
      findings
        .filter((x) => x !== f && x.signals.some((s) => persistenceIds.has(s.ruleId)))
        .map((x) => x.message.en),
    ).toEqual([]);
  });
});
