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
    const levels = Object.fromEntries(findings.map((f) => [f.message.en.split(':')[0], f.level]));
    expect(levels).toEqual({
      'Kernel module diamorphine': 'critical',
      'Kernel module hidemod': 'high',
      'Kernel module vboxdrv': 'low',
      'The kernel is tainted (12290': 'low',
    });
    expect(findings[0]).toMatchObject({ kind: 'driver', ruleId: 'kernel-module' });
    expect(findings[0]!.message['zh-CN']).toContain('被隐藏');
  });

  it('skipped: without the modules section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [kernelModule]).skipped).toEqual([
      { ruleId: 'kernel-module', missing: ['modules'] },
    ]);
  });
});
