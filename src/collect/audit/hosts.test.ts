// The audit's pool-names-in-/etc/hosts facts: matched against the bundled pool-domain list from the
// snapshot's parsed hosts file, absent without one, and collected by collectAuditFacts without a
// collection record of its own (nothing new is read from the target) when asked for.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { BUILTIN } from './logins/dictionary.js';
import { collectHostsPools } from './hosts.js';
import { collectAuditFacts } from './index.js';

const hostsFile = [
  { address: '127.0.0.1', names: ['localhost'] },
  { address: '0.0.0.0', names: ['pool.supportxmr.com', 'intranet.example'] },
  { address: '203.0.113.7', names: ['xmr-eu1.nanopool.org'] },
  { address: 'not-an-ip', names: ['minexmr.com'] },
];

describe('collectHostsPools', () => {
  it('lists the pool names of lines with an address, in file order, with the entry each matched', async () => {
    const facts = await collectHostsPools(makeSnapshot({ hostsFile }));
    expect(facts?.listFiles).toEqual(['iocs/pool-domains.yml']);
    expect(facts?.listed).toBeGreaterThan(10);
    expect(facts?.names).toEqual([
      { address: '0.0.0.0', name: 'pool.supportxmr.com', ioc: 'iocs/pool-domains.yml: supportxmr.com' },
      { address: '203.0.113.7', name: 'xmr-eu1.nanopool.org', ioc: 'iocs/pool-domains.yml: nanopool.org' },
    ]);
  });

  it('is absent without a hosts file in the snapshot', async () => {
    expect(await collectHostsPools(makeSnapshot({}))).toBeUndefined();
  });

  it('collectAuditFacts fills it when asked, with no collection record of its own', async () => {
    const { audit, records } = await collectAuditFacts(makeSnapshot({ hostsFile }), {
      loginTests: false,
      dictionary: BUILTIN,
      parts: ['hostsPools'],
    });
    expect(audit.hostsPools?.names.map((n) => n.name)).toEqual([
      'pool.supportxmr.com',
      'xmr-eu1.nanopool.org',
    ]);
    expect(records).toEqual([]);
  });
});
