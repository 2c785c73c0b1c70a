// Tests for kernel-module: distribution modules are clean; a module hidden from /proc/modules is
// critical, an out-of-tree unsigned one outside the tree high, a DKMS one low; no list, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { modulesWith } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { kernelModule } from './kernel-module.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const mod = (name: string, more: Record<string, unknown> = {}) => ({
  name,
  taints: '',
  inProcModules: true,
  inSysModule: true,
  inTree: true,
  ...more,
});

describe('kernel-module', () => {
  it('clean: in-tree modules, untainted kernel; and a kernel without /proc/modules', () => {
    const snap = makeSnapshot({ modules: modulesWith({ modules: [mod('ext4'), mod('bridge')] }) });
    expect(runDetectors(snap, ruleset, [kernelModule])).toEqual({ findings: [], skipped: [] });
    const none = makeSnapshot({ modules: modulesWith({ procModules: false, modules: [] }) });
    expect(runDetectors(none, ruleset, [kernelModule])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: hidden module critical, foreign tainting module high, DKMS low, unexplained taint low', () => {
    const snap = makeSnapshot({
      modules: modulesWith({
        tainted: (1 << 12) | (1 << 13) | (1 << 1),
        modules: [
          mod('diamorphine', { inProcModules: false, taints: '', inTree: false }),
          mod('hidemod', { taints: 'OE', inTree: false }),
          mod('vboxdrv', { taints: 'OE', inTree: true }),
        ],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [kernelModule]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byId = Object.fromEntries(
      findings.map((f) => [f.data?.module ?? 'kernel', [f.level, f.messageId, f.data]]),
    );
    expect(byId).toEqual({
      diamorphine: ['critical', 'hidden', { module: 'diamorphine' }],
      hidemod: ['high', 'taintingNotInTree', { module: 'hidemod', taints: 'OE' }],
      vboxdrv: ['low', 'tainting', { module: 'vboxdrv', taints: 'OE' }],
      // Only force-loading (F) is left unexplained: the modules listed account for O and E.
      kernel: [
        'low',
        'taintUnexplained',
        {
          tainted: 12290,
          flags: { en: 'module force-loaded (F)', 'zh-CN': '强制加载的模块（F）' },
          letters: 'F',
        },
      ],
    });
    expect(findings[0]).toMatchObject({ kind: 'driver', ruleId: 'kernel-module' });
    expect(findings[0]!.message['zh-CN']).toBe(
      '内核模块 diamorphine：它已加载（/sys/module）却在 /proc/modules 和 lsmod 中被隐藏',
    );
  });

  it('skipped: without the modules section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [kernelModule]).skipped).toEqual([
      { ruleId: 'kernel-module', missing: ['modules'] },
    ]);
  });
});
