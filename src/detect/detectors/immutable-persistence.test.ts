// Tests for immutable-persistence: files without i/a flags (or whose flags were not read) never hit;
// immutable and append-only persistence files are medium, high on a running miner's chain.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { makeProcess } from '../../../test/helpers/snapshot-builders.js';
import { cleanPersistence, file, snapshotWith, unit } from '../../../test/helpers/persistence-builders.js';
import { immutablePersistence } from './immutable-persistence.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('immutable-persistence', () => {
  it('clean: files without immutable or append-only flags are not reported', () => {
    expect(
      runDetectors(snapshotWith({ persistence: cleanPersistence() }), ruleset, [immutablePersistence]),
    ).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: an immutable cron file and an append-only key file are medium, with chattr -i first', () => {
    const p = cleanPersistence();
    p.files = [
      file('/etc/cron.d/0systemd-update', { attributes: ['i'] }),
      file('/root/.ssh/authorized_keys', { attributes: ['a'] }),
      file('/etc/crontab'),
    ];
    const findings = runDetectors(snapshotWith({ persistence: p }), ruleset, [immutablePersistence]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byPath = [...findings].sort((a, b) => String(a.data?.path).localeCompare(String(b.data?.path)));
    expect(byPath.map((f) => [f.level, f.messageId, f.data])).toEqual([
      [
        'medium',
        'locked',
        {
          what: { en: 'persistence file', 'zh-CN': '持久化文件' },
          role: 'config',
          path: '/etc/cron.d/0systemd-update',
          attributes: { en: 'immutable', 'zh-CN': '不可修改' },
          flags: 'i',
        },
      ],
      [
        'medium',
        'locked',
        {
          what: { en: 'persistence file', 'zh-CN': '持久化文件' },
          role: 'config',
          path: '/root/.ssh/authorized_keys',
          attributes: { en: 'append-only', 'zh-CN': '仅追加' },
          flags: 'a',
        },
      ],
    ]);
    expect(findings.flatMap((f) => f.remediate)).toContainEqual({
      type: 'clear-immutable',
      path: '/etc/cron.d/0systemd-update',
    });
  });

  it('findings: an immutable binary that a unit runs as a live process is high and joins it', () => {
    const p = cleanPersistence();
    p.entries = [unit('helper.service', '/usr/local/lib/.cache/kworkerds -c c.json')];
    p.files = [file('/usr/local/lib/.cache/kworkerds', { role: 'target', attributes: ['i'] })];
    const miner = makeProcess({ pid: 1337, exe: '/usr/local/lib/.cache/kworkerds' });
    const [f] = runDetectors(snapshotWith({ persistence: p, processes: [miner] }), ruleset, [
      immutablePersistence,
    ]).findings;
    expect(f?.level).toBe('high');
    expect(f).toMatchObject({
      messageId: 'lockedOnChain',
      data: { role: 'target', path: '/usr/local/lib/.cache/kworkerds', flags: 'i' },
    });
    expect(f?.message.en).toBe(
      'program started by a persistence entry /usr/local/lib/.cache/kworkerds is immutable (chattr +i), on the chain to a running process',
    );
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [immutablePersistence]).skipped).toEqual([
      { ruleId: 'immutable-persistence', missing: ['persistence'] },
    ]);
  });
});
