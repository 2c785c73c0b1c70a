// Tests for hosts-tampering: loopback entries for pools (an admin's block) and internal names never
// hit; security vendors sent to 0.0.0.0/127.0.0.1 are medium and pool names pinned to a routable
// address are high; without /etc/hosts the detector is skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanHostHostsFile, cleanHostSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { snapshotWith } from '../../../test/helpers/persistence-builders.js';
import { hostsTampering } from './hosts-tampering.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('hosts-tampering', () => {
  it('clean: a normal hosts file with pools blocked to loopback is not reported', () => {
    expect(runDetectors(cleanHostSnapshot(), ruleset, [hostsTampering])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: vendors sinkholed are medium, a pool pinned to a real address is high', () => {
    const snap = snapshotWith({
      hostsFile: [
        ...cleanHostHostsFile(),
        { address: '0.0.0.0', names: ['update.aegis.aliyun.com'] },
        { address: '127.0.0.1', names: ['yunjing.qcloud.com'] },
        { address: '198.51.100.77', names: ['xmr.pool.minergate.com'] },
        // A vendor name pointed at an internal mirror is not a sinkhole.
        { address: '10.0.0.5', names: ['database.clamav.net'] },
      ],
    });
    const findings = runDetectors(snap, ruleset, [hostsTampering]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings.map((f) => [f.level, f.message.en])).toEqual([
      ['high', '/etc/hosts pins the mining pool xmr.pool.minergate.com to 198.51.100.77'],
      [
        'medium',
        '/etc/hosts sends update.aegis.aliyun.com (Alibaba Cloud Security Center (Aegis)) to 0.0.0.0: the security agent can no longer reach it',
      ],
      [
        'medium',
        '/etc/hosts sends yunjing.qcloud.com (Tencent Cloud Workload Protection (YunJing)) to 127.0.0.1: the security agent can no longer reach it',
      ],
    ]);
    expect(findings[0]?.remediate).toEqual([
      { type: 'remove-line', path: '/etc/hosts', line: '198.51.100.77 xmr.pool.minergate.com' },
      { type: 'block-address', address: '198.51.100.77', domain: 'xmr.pool.minergate.com' },
    ]);
  });

  it('skipped: without /etc/hosts the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({ processes: [] }), ruleset, [hostsTampering]).skipped).toEqual([
      { ruleId: 'hosts-tampering', missing: ['hosts-file'] },
    ]);
  });
});
