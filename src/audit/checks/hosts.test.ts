// The pool-domains-blocked check over literal facts: passes on pool names sent to a dead address,
// unknown (never failed) without a block or with a pool pinned to a real address, unknown when the
// facts were not collected.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { HostsPoolFacts } from '../../snapshot/audit.js';
import { runAudit, runCheck } from '../run.js';
import { poolDomainsBlocked } from './hosts.js';

const facts = (names: HostsPoolFacts['names']): HostsPoolFacts => ({
  listFiles: ['iocs/pool-domains.yml'],
  listed: 24,
  names,
});
const snap = (f: HostsPoolFacts) => makeSnapshot({ audit: { hostsPools: f } });
const name = (address: string, host: string, ioc = 'iocs/pool-domains.yml: supportxmr.com') => ({
  address,
  name: host,
  ioc,
});

describe('pool-domains-blocked', () => {
  it('passes when /etc/hosts sends pool names to 0.0.0.0, 127.0.0.0/8, ::1 or ::', () => {
    const o = runCheck(
      poolDomainsBlocked,
      snap(
        facts([
          name('0.0.0.0', 'pool.supportxmr.com'),
          name('127.0.0.1', 'supportxmr.com'),
          name('127.8.0.1', 'POOL.SUPPORTXMR.COM'),
          name('::1', 'xmr-eu1.nanopool.org', 'iocs/pool-domains.yml: nanopool.org'),
          name('::', 'gulf.moneroocean.stream', 'iocs/pool-domains.yml: moneroocean.stream'),
        ]),
      ),
    );
    expect(o.status).toBe('pass');
    expect(o.notApplicable).toBeUndefined();
    expect(o.message).toEqual({
      en: '/etc/hosts blocks 4 known pool name(s): pool.supportxmr.com, supportxmr.com, xmr-eu1.nanopool.org, gulf.moneroocean.stream.',
      'zh-CN':
        '/etc/hosts 屏蔽了 4 个已知矿池域名：pool.supportxmr.com, supportxmr.com, xmr-eu1.nanopool.org, gulf.moneroocean.stream。',
    });
    expect(o.evidence[0]).toEqual({
      type: 'match',
      field: 'blocked',
      value: '0.0.0.0 pool.supportxmr.com (iocs/pool-domains.yml: supportxmr.com)',
    });
  });

  it('is unknown, not failed, when no pool name is blocked', () => {
    const o = runCheck(poolDomainsBlocked, snap(facts([])));
    expect(o.status).toBe('unknown');
    expect(o.message.en).toBe(
      '/etc/hosts blocks none of the 24 pool domains minehunter knows. Optional: not on the prevention checklist, so not a failure.',
    );
    expect(o.message['zh-CN']).toContain('不算不通过');
    expect(o.evidence).toEqual([
      { type: 'match', field: 'pool-domain list', value: 'iocs/pool-domains.yml (24 domains)' },
    ]);
  });

  it('is unknown, not passed, when a pool name is pinned to a real address beside the blocks', () => {
    const o = runCheck(
      poolDomainsBlocked,
      snap(facts([name('0.0.0.0', 'supportxmr.com'), name('203.0.113.7', 'pool.supportxmr.com')])),
    );
    expect(o.status).toBe('unknown');
    expect(o.message.en).toContain('pins 1 known pool name(s) to a real address (pool.supportxmr.com)');
    expect(o.evidence.map((e) => e.type === 'match' && e.field)).toEqual(['pinned', 'blocked']);
  });

  it('is unknown when the facts were not collected', () => {
    expect(runCheck(poolDomainsBlocked, makeSnapshot({ audit: {} })).message.en).toBe(
      'Not collected: hostsPools.',
    );
  });

  it('raises the score when it passes and leaves it alone when unknown', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    const report = (f: HostsPoolFacts) =>
      runAudit(snap(f), { toolVersion: 't', now, checks: [poolDomainsBlocked] });
    expect(report(facts([name('0.0.0.0', 'supportxmr.com')])).score).toEqual({
      value: 100,
      pass: 1,
      fail: 0,
      unknown: 0,
    });
    const none = report(facts([]));
    expect(none.score).toEqual({ value: 100, pass: 0, fail: 0, unknown: 1 });
    expect(none.findings).toEqual([]);
  });
});
