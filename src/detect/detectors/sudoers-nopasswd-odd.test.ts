// Tests for sudoers-nopasswd-odd: root, groups, cloud-init's login user and narrow service rules
// never hit; NOPASSWD ALL for a service account or a missing user and NOPASSWD for a /tmp program do.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanPersistence, snapshotWith, sudo } from '../../../test/helpers/persistence-builders.js';
import { sudoersNopasswdOdd } from './sudoers-nopasswd-odd.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('sudoers-nopasswd-odd', () => {
  it('clean: root, %sudo, the cloud login user and a narrow nagios rule are not reported', () => {
    expect(
      runDetectors(snapshotWith({ persistence: cleanPersistence() }), ruleset, [sudoersNopasswdOdd]),
    ).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: service accounts, unknown users and odd programs without a password are high', () => {
    const p = cleanPersistence();
    p.sudoRules.push(
      sudo({
        file: '/etc/sudoers.d/90-www',
        who: 'www-data',
        runAs: 'ALL',
        nopasswd: true,
        text: 'www-data ALL=(ALL) NOPASSWD: ALL',
      }),
      sudo({
        file: '/etc/sudoers.d/x',
        who: 'mysqld',
        runAs: 'ALL',
        nopasswd: true,
        text: 'mysqld ALL=(ALL) NOPASSWD: ALL',
      }),
      sudo({
        line: 9,
        who: 'alice',
        runAs: 'root',
        nopasswd: true,
        commands: '/tmp/.d/helper',
        text: 'alice ALL=(root) NOPASSWD: /tmp/.d/helper',
      }),
      // Needs a password: not reported.
      sudo({ line: 10, who: 'www-data', nopasswd: false, text: 'www-data ALL=(ALL) ALL' }),
    );
    const findings = runDetectors(snapshotWith({ persistence: p }), ruleset, [sudoersNopasswdOdd]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byWho = new Map(findings.map((f) => [f.data?.who, f]));
    expect([...byWho.keys()].sort()).toEqual(['alice', 'mysqld', 'www-data']);
    for (const f of findings) expect(f.messageId).toBe('passwordless');
    expect(byWho.get('www-data')?.data).toMatchObject({
      file: '/etc/sudoers.d/90-www',
      line: 1,
      commands: 'ALL',
      runAs: 'ALL',
      reason: 'service-account',
      uid: 33,
    });
    expect(byWho.get('mysqld')?.data).toMatchObject({
      file: '/etc/sudoers.d/x',
      line: 1,
      commands: 'ALL',
      runAs: 'ALL',
      reason: 'no-account',
    });
    expect(byWho.get('alice')?.data).toMatchObject({
      file: '/etc/sudoers',
      line: 9,
      commands: '/tmp/.d/helper',
      runAs: 'root',
      reason: 'odd-program',
      program: '/tmp/.d/helper',
    });
    expect(byWho.get('alice')?.message.en).toBe(
      '/etc/sudoers:9 lets alice run /tmp/.d/helper as root without a password: it allows /tmp/.d/helper from /tmp, a world-writable temporary directory',
    );
    expect(findings.every((f) => f.level === 'high')).toBe(true);
    // A drop-in holding only the rule is quarantined; a line of the main file is removed.
    expect(findings.flatMap((f) => f.remediate)).toEqual(
      expect.arrayContaining([
        { type: 'quarantine-file', path: '/etc/sudoers.d/90-www' },
        { type: 'remove-line', path: '/etc/sudoers', line: 'alice ALL=(root) NOPASSWD: /tmp/.d/helper' },
      ]),
    );
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [sudoersNopasswdOdd]).skipped).toEqual([
      { ruleId: 'sudoers-nopasswd-odd', missing: ['persistence'] },
    ]);
  });
});
