// Tests for symlink-outside-root: a content section without such links (every live scan, most
// disks) is clean; each recorded link is one low tampering note with no remediation, naming the
// link, where it points and what was left unscanned; without a content section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot, makeContent } from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { symlinkOutsideRoot } from './symlink-outside-root.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const content = makeContent;

describe('symlink-outside-root', () => {
  it('clean: a content scan that met no link out of the root', () => {
    const snap = makeSnapshot({ content: content({ linksOutsideRoot: [] }) });
    expect(runDetectors(snap, ruleset, [symlinkOutsideRoot])).toEqual({ findings: [], skipped: [] });
    expect(
      runDetectors(makeSnapshot({ content: content({}) }), ruleset, [symlinkOutsideRoot]).findings,
    ).toEqual([]);
  });

  it('findings: one low tampering note per link, naming where it points and what was not scanned', () => {
    const snap = makeSnapshot({
      content: content({
        linksOutsideRoot: [
          { path: '/opt', target: '/root/tools', notScanned: ['/opt', '/opt/tool'] },
          { path: '/srv', target: '../../..', notScanned: ['/srv'] },
        ],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [symlinkOutsideRoot]);
    expect(findings).toHaveLength(2);
    for (const f of findings) {
      expect(FindingSchema.parse(f)).toEqual(f);
      expect(f).toMatchObject({
        ruleId: 'symlink-outside-root',
        level: 'low',
        category: 'tampering',
        remediate: [],
        basis: 'config',
      });
      expect(f.kind).toBeUndefined();
    }
    const byPath = new Map(
      findings.map((f) => [f.evidence[0]?.type === 'file' ? f.evidence[0].path : '', f]),
    );
    const opt = byPath.get('/opt');
    expect(opt?.message.en).toBe(
      '/opt in the target is a symbolic link to /root/tools, outside the target: not followed; not scanned: /opt/tool',
    );
    expect(opt).toMatchObject({
      messageId: 'notFollowedUnscanned',
      data: {
        path: '/opt',
        target: '/root/tools',
        // The link itself is not repeated among the places left unscanned.
        unscanned: { en: '/opt/tool', 'zh-CN': '/opt/tool' },
        unscannedCount: 1,
      },
    });
    expect(opt?.evidence[1]).toEqual({
      type: 'match',
      field: 'symlink',
      value: '/opt -> /root/tools',
      ioc: 'leads outside the target root',
    });
    expect(byPath.get('/srv')).toMatchObject({
      messageId: 'notFollowed',
      data: { path: '/srv', target: '../../..' },
    });
    expect(byPath.get('/srv')?.data).not.toHaveProperty('unscanned');
  });

  it('skipped: without a content section (--no-content)', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [symlinkOutsideRoot]).skipped).toEqual([
      { ruleId: 'symlink-outside-root', missing: ['content'] },
    ]);
  });
});
