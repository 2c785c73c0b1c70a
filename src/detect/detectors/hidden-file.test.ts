// Tests for hidden-file: nothing hidden is clean; a hidden /etc/ld.so.preload is critical, a hidden
// executable high with a quarantine action; without the hidden section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { hiddenWith } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { hiddenFile } from './hidden-file.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('hidden-file', () => {
  it('clean: every checked name listed', () => {
    const snap = makeSnapshot({ hidden: hiddenWith({ checkedDirs: ['/etc', '/usr/bin'] }) });
    expect(runDetectors(snap, ruleset, [hiddenFile])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: /etc/ld.so.preload missing from find is critical; a hidden executable high', () => {
    const snap = makeSnapshot({
      hidden: hiddenWith({
        files: [
          { path: '/etc/ld.so.preload', reason: 'ld.so.preload', missingFrom: ['find'] },
          { path: '/usr/bin/.sshd', reason: 'exe', missingFrom: ['readdir', 'find'] },
        ],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [hiddenFile]);
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const [preload, exe] = findings;
    expect(preload).toMatchObject({ level: 'critical', kind: 'preload', remediate: [] });
    expect(preload).toMatchObject({
      messageId: 'missingFromListing',
      data: { path: '/etc/ld.so.preload', reason: 'ld.so.preload', missingFrom: 'find' },
    });
    expect(exe).toMatchObject({
      level: 'high',
      remediate: [{ type: 'quarantine-file', path: '/usr/bin/.sshd' }],
      messageId: 'missingFromListing',
      data: { path: '/usr/bin/.sshd', reason: 'exe', missingFrom: 'readdir, find' },
    });
    expect(exe?.message['zh-CN']).toBe(
      '/usr/bin/.sshd（正在运行进程的可执行文件）存在，但不在minehunter 自身的列举和`find`的结果中',
    );
  });

  it('skipped: without the hidden section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [hiddenFile]).skipped).toEqual([
      { ruleId: 'hidden-file', missing: ['hidden'] },
    ]);
  });
});
