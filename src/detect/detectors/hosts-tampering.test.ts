// Tests for hosts-tampering: internal names never hit; pool names sent to a dead address (an admin's
// block) make one info finding with nothing to remove; security vendors sent to 0.0.0.0/127.0.0.1 are
// medium and pool names pinned to a routable address are high; a file with both kinds gives both;
// without /etc/hosts the detector is skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanHostHostsFile, cleanHostSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { snapshotWith } from '../../../test/helpers/persistence-builders.js';
import { hostsPoolNames, hostsTampering } from './hosts-tampering.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const PLAIN = [
  { address: '127.0.0.1', names: ['localhost'] },
  { address: '127.0.1.1', names: ['web-01'] },
  { address: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
  { address: '10.0.0.9', names: ['db-replica.internal'] },
];
const run = (hostsFile: typeof PLAIN) => runDetectors(snapshotWith({ hostsFile }), ruleset, [hostsTampering]);

describe('hosts-tampering', () => {
  it('clean: a normal hosts file is not reported', () => {
    expect(run(PLAIN)).toEqual({ findings: [], skipped: [] });
  });

  it('info: pool names blocked to 0.0.0.0, 127.0.0.0/8, ::1 or :: make one finding, nothing to remove', () => {
    const { findings } = run([
      ...PLAIN,
      { address: '127.0.0.1', names: ['pool.minexmr.com', 'xmr.pool.minergate.com'] },
      { address: '0.0.0.0', names: ['supportxmr.com'] },
      { address: '127.5.5.5', names: ['pool.supportxmr.com'] },
      { address: '::1', names: ['gulf.moneroocean.stream'] },
      { address: '::', names: ['xmr-eu1.nanopool.org', 'db-replica.internal'] },
      // The same name blocked twice counts once.
      { address: '0.0.0.0', names: ['POOL.MINEXMR.COM'] },
    ]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'hosts-tampering',
      level: 'info',
      messageId: 'poolsBlocked',
      data: { count: 6, names: { en: '6 names', 'zh-CN': '6 个' } },
      remediate: [],
    });
    expect(f?.kind).toBeUndefined();
    expect(f?.evidence).toEqual([
      { type: 'file', path: '/etc/hosts' },
      {
        type: 'match',
        field: 'hosts',
        value: '127.0.0.1 pool.minexmr.com',
        ioc: 'iocs/pool-domains.yml: minexmr.com',
      },
      {
        type: 'match',
        field: 'hosts',
        value: '127.0.0.1 xmr.pool.minergate.com',
        ioc: 'iocs/pool-domains.yml: minergate.com',
      },
      {
        type: 'match',
        field: 'hosts',
        value: '0.0.0.0 supportxmr.com',
        ioc: 'iocs/pool-domains.yml: supportxmr.com',
      },
      {
        type: 'match',
        field: 'hosts',
        value: '127.5.5.5 pool.supportxmr.com',
        ioc: 'iocs/pool-domains.yml: supportxmr.com',
      },
      {
        type: 'match',
        field: 'hosts',
        value: '::1 gulf.moneroocean.stream',
        ioc: 'iocs/pool-domains.yml: moneroocean.stream',
      },
      {
        type: 'match',
        field: 'hosts',
        value: ':: xmr-eu1.nanopool.org',
        ioc: 'iocs/pool-domains.yml: nanopool.org',
      },
      {
        type: 'match',
        field: 'hosts',
        value: '0.0.0.0 POOL.MINEXMR.COM',
        ioc: 'iocs/pool-domains.yml: minexmr.com',
      },
    ]);
    // One name: singular.
    expect(run([...PLAIN, { address: '0.0.0.0', names: ['supportxmr.com'] }]).findings[0]?.message).toEqual({
      en: 'pool domains blocked here (1 name)',
      'zh-CN': '本机已屏蔽矿池域名（1 个）',
    });
  });

  it("info: the clean host's pool blocks are the one informational finding", () => {
    const { findings } = runDetectors(cleanHostSnapshot(), ruleset, [hostsTampering]);
    expect(findings.map((f) => [f.level, f.messageId, f.data?.count])).toEqual([['info', 'poolsBlocked', 3]]);
  });

  it('findings: vendors sinkholed are medium, a pool pinned to a real address is high, blocks stay info', () => {
    const snap = snapshotWith({
      hostsFile: [
        ...cleanHostHostsFile(),
        { address: '0.0.0.0', names: ['update.aegis.aliyun.com'] },
        { address: '127.0.0.1', names: ['yunjing.qcloud.com'] },
        { address: '198.51.100.77', names: ['xmr.pool.minergate.com'] },
        // A vendor name pointed at an internal mirror is not a sinkhole.
        { address: '10.0.0.5', names: ['database.clamav.net'] },
        // Not an address: nothing to say about it.
        { address: 'pool.example', names: ['pool.supportxmr.com'] },
      ],
    });
    const findings = runDetectors(snap, ruleset, [hostsTampering]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings.map((f) => [f.level, f.messageId, f.data])).toEqual([
      [
        'high',
        'poolPinned',
        { name: 'xmr.pool.minergate.com', address: '198.51.100.77', pool: 'minergate.com' },
      ],
      [
        'medium',
        'vendorSinkholed',
        {
          name: 'update.aegis.aliyun.com',
          vendor: 'Alibaba Cloud Security Center (Aegis)',
          domain: 'aegis.aliyun.com',
          address: '0.0.0.0',
        },
      ],
      [
        'medium',
        'vendorSinkholed',
        {
          name: 'yunjing.qcloud.com',
          vendor: 'Tencent Cloud Workload Protection (YunJing)',
          domain: 'yunjing.qcloud.com',
          address: '127.0.0.1',
        },
      ],
      // cleanHostHostsFile blocks pool.minexmr.com, xmr.pool.minergate.com and supportxmr.com.
      ['info', 'poolsBlocked', { count: 3, names: { en: '3 names', 'zh-CN': '3 个' } }],
    ]);
    expect(findings[0]?.remediate).toEqual([
      { type: 'remove-line', path: '/etc/hosts', line: '198.51.100.77 xmr.pool.minergate.com' },
      { type: 'block-address', address: '198.51.100.77', domain: 'xmr.pool.minergate.com' },
    ]);
    expect(findings[0]?.evidence).toContainEqual({
      type: 'match',
      field: 'hosts',
      value: '198.51.100.77 xmr.pool.minergate.com',
      ioc: 'iocs/pool-domains.yml: minergate.com',
    });
  });

  it('findings: a pool pinned to a real address alone gives no info finding', () => {
    expect(
      run([...PLAIN, { address: '203.0.113.7', names: ['pool.supportxmr.com'] }]).findings.map(
        (f) => f.level,
      ),
    ).toEqual(['high']);
  });

  it('hostsPoolNames: pool names in file order, sinkholes told apart, non-addresses left out', () => {
    const names = hostsPoolNames(
      [
        { address: '203.0.113.7', names: ['pool.supportxmr.com', 'web'] },
        { address: '127.0.0.53', names: ['nanopool.org'] },
        { address: 'x', names: ['minexmr.com'] },
      ],
      ruleset.poolDomains,
    );
    expect(names.map((n) => [n.address, n.name, n.sinkhole, n.pool.value])).toEqual([
      ['203.0.113.7', 'pool.supportxmr.com', false, 'supportxmr.com'],
      ['127.0.0.53', 'nanopool.org', true, 'nanopool.org'],
    ]);
  });

  it('skipped: without /etc/hosts the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({ processes: [] }), ruleset, [hostsTampering]).skipped).toEqual([
      { ruleId: 'hosts-tampering', missing: ['hosts-file'] },
    ]);
  });
});
