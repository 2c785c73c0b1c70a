// Tests for ssh-key-recent: key files older than the window never hit; a recent change is low for a
// user, medium for root, and high when a dropper on a running miner's chain names the file.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { COLLECTED_AT, makeProcess } from '../../../test/helpers/snapshot-builders.js';
import {
  cleanPersistence,
  cron,
  file,
  key,
  snapshotWith,
} from '../../../test/helpers/persistence-builders.js';
import { RECENT_DAYS, sshKeyRecent } from './ssh-key-recent.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const daysAgo = (d: number) => new Date(Date.parse(COLLECTED_AT) - d * 86_400_000).toISOString();

describe('ssh-key-recent', () => {
  it('clean: key files changed long before the scan are not reported', () => {
    expect(runDetectors(snapshotWith({ persistence: cleanPersistence() }), ruleset, [sshKeyRecent])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: recent changes are low for a user and medium for root; older ones are not reported', () => {
    const p = cleanPersistence();
    p.authorizedKeys.push(
      key({ file: '/home/alice/.ssh/authorized_keys', user: 'alice', comment: 'alice@laptop' }),
    );
    p.authorizedKeys.push(key({ file: '/home/bob/.ssh/authorized_keys', user: 'bob' }));
    p.files = [
      file('/root/.ssh/authorized_keys', { mtime: daysAgo(2) }),
      file('/home/alice/.ssh/authorized_keys', { mtime: daysAgo(0.5) }),
      file('/home/bob/.ssh/authorized_keys', { mtime: daysAgo(RECENT_DAYS + 1) }),
    ];
    const findings = runDetectors(snapshotWith({ persistence: p }), ruleset, [sshKeyRecent]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings).toMatchObject([
      {
        level: 'medium',
        messageId: 'changed',
        data: {
          path: '/root/.ssh/authorized_keys',
          user: 'root',
          mtime: daysAgo(2),
          age: { en: '2 days' },
          count: 2,
          keys: { en: 'ssh-ed25519 admin@ops SHA256:abc; ssh-ed25519 backup@nas SHA256:abc' },
        },
      },
      {
        level: 'low',
        messageId: 'changed',
        data: {
          path: '/home/alice/.ssh/authorized_keys',
          user: 'alice',
          age: { en: 'less than a day' },
          count: 1,
          keys: { en: 'ssh-ed25519 alice@laptop SHA256:abc' },
        },
      },
    ]);
    expect(findings).toHaveLength(2);
    expect(findings[1]?.message.en).toBe(
      '/home/alice/.ssh/authorized_keys (alice) changed less than a day before the scan and holds 1 key(s): ssh-ed25519 alice@laptop SHA256:abc',
    );
  });

  it("findings: a key file the dropper of a running miner names joins the miner's finding as high", () => {
    const p = cleanPersistence();
    p.entries = [cron('sh /var/tmp/.ldr.sh')];
    p.authorizedKeys.push(
      key({
        line: 3,
        keyType: 'ssh-rsa',
        comment: 'x@campaign',
        fingerprint: 'SHA256:evil',
        text: 'ssh-rsa AAAA x@campaign',
      }),
    );
    p.files = [
      file('/root/.ssh/authorized_keys', { mtime: daysAgo(1) }),
      file('/var/tmp/.ldr.sh', {
        role: 'target',
        references: ['/var/tmp/.x/kworkerds', '/root/.ssh/authorized_keys'],
        sshKeys: ['SHA256:evil'],
      }),
    ];
    const miner = makeProcess({ pid: 77, exe: '/var/tmp/.x/kworkerds' });
    const [f] = runDetectors(snapshotWith({ persistence: p, processes: [miner] }), ruleset, [
      sshKeyRecent,
    ]).findings;
    expect(f).toMatchObject({ level: 'high' });
    expect(f?.evidence.some((e) => e.type === 'process' && e.pid === 77)).toBe(true);
    expect(f).toMatchObject({
      messageId: 'changedWrittenByDropper',
      data: { path: '/root/.ssh/authorized_keys', written: { en: 'x@campaign' } },
    });
    // Only the dropper's key is removed; the admins' keys stay for a person to judge.
    expect(f?.remediate.filter((a) => a.type === 'remove-authorized-key')).toEqual([
      { type: 'remove-authorized-key', path: '/root/.ssh/authorized_keys', line: 'ssh-rsa AAAA x@campaign' },
    ]);
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [sshKeyRecent]).skipped).toEqual([
      { ruleId: 'ssh-key-recent', missing: ['persistence'] },
    ]);
  });
});
