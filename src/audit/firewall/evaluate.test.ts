// The firewall model against rulesets captured from a real kernel (test/fixtures/firewall: the .nft
// sources were loaded in a network namespace and listed with `nft -j`, `iptables-save`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FirewallFacts } from '../../snapshot/audit.js';
import { buildModel, evaluateProbe, hasInboundFilter } from './evaluate.js';
import { chainsFromIptablesSave, tokenize } from './iptables.js';
import type { Probe } from './ir.js';
import { chainsFromNft } from './nft.js';

const dir = new URL('../../../test/fixtures/firewall/', import.meta.url);
const json = (name: string): unknown => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const text = (name: string): string => readFileSync(new URL(name, dir), 'utf8');

function facts(partial: Partial<FirewallFacts>): FirewallFacts {
  return { iptables: [], iptablesErrors: [], ipv6Enabled: true, ...partial };
}

const PORTS = [135, 137, 138, 139, 445];
function all(): Probe[] {
  const out: Probe[] = [];
  for (const direction of ['in', 'out'] as const)
    for (const family of ['ip', 'ip6'] as const)
      for (const proto of ['tcp', 'udp'] as const)
        for (const dport of PORTS) out.push({ direction, family, proto, dport });
  return out;
}

describe('nft rulesets', () => {
  it('a ruleset that blocks 135/137-139/445 both ways blocks every combination and leaves SSH open', () => {
    const { model } = buildModel(facts({ nft: json('smb-blocked.nft.json') }));
    expect(all().filter((p) => !evaluateProbe(model, p).blocked)).toEqual([]);
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 22 }).blocked).toBe(
      false,
    );
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 8080 }).blocked).toBe(
      false,
    );
    expect(evaluateProbe(model, { direction: 'in', family: 'ip6', proto: 'udp', dport: 137 }).by).toBe(
      'nft inet filter input',
    );
    expect(hasInboundFilter(model)).toBe(true);
  });

  it('a drop policy blocks inbound ports, but a LAN accept for 445 and an open output chain do not count', () => {
    const { model } = buildModel(facts({ nft: json('smb-inbound-only.nft.json') }));
    const open = all().filter((p) => !evaluateProbe(model, p).blocked);
    expect(open.filter((p) => p.direction === 'in')).toEqual([
      { direction: 'in', family: 'ip', proto: 'tcp', dport: 445 },
    ]);
    expect(open.filter((p) => p.direction === 'out')).toHaveLength(20);
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 3306 }).blocked).toBe(
      true,
    );
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 22 }).blocked).toBe(
      false,
    );
  });

  it('an empty ruleset has no inbound filter and blocks nothing', () => {
    const { model } = buildModel(facts({ nft: json('empty.nft.json') }));
    expect(model.chains).toEqual([]);
    expect(hasInboundFilter(model)).toBe(false);
    expect(all().some((p) => evaluateProbe(model, p).blocked)).toBe(false);
  });

  it('refuses a document that is not an nft ruleset', () => {
    expect(() => chainsFromNft({ hello: 1 })).toThrow(/nftables/);
    const built = buildModel(facts({ nft: { hello: 1 } }));
    expect(built.problems[0]).toMatch(/^nft: /);
  });

  it('a rate limit or an unknown match never counts as a certain drop', () => {
    const doc = {
      nftables: [
        {
          chain: {
            family: 'inet',
            table: 't',
            name: 'in',
            type: 'filter',
            hook: 'input',
            prio: 0,
            policy: 'accept',
          },
        },
        {
          rule: {
            family: 'inet',
            table: 't',
            chain: 'in',
            expr: [
              { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 445 } },
              { limit: { rate: 10, per: 'second' } },
              { drop: null },
            ],
          },
        },
      ],
    };
    const { model } = buildModel(facts({ nft: doc }));
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 445 }).blocked).toBe(
      false,
    );
    expect(hasInboundFilter(model)).toBe(true);
  });
});

describe('iptables-save', () => {
  it('parses multiport, negated interfaces, conntrack and a user chain with RETURN', () => {
    const chains = chainsFromIptablesSave(text('iptables-smb.v4.save'), 'ip', 'iptables');
    expect(chains.map((c) => c.name)).toEqual(['INPUT', 'FORWARD', 'OUTPUT', 'SMB']);
    const model = { chains, sources: ['iptables'] };
    for (const p of all().filter((x) => x.family === 'ip'))
      expect(evaluateProbe(model, p), JSON.stringify(p)).toMatchObject({ blocked: true });
    expect(evaluateProbe(model, { direction: 'in', family: 'ip', proto: 'tcp', dport: 22 }).blocked).toBe(
      false,
    );
  });

  it('uses the readable iptables-save text instead of the opaque xt rules iptables-nft leaves in nft JSON', () => {
    const nftOnly = buildModel(facts({ nft: json('iptables-smb.nft.json') })).model;
    // multiport is an xt match nft cannot show: from nft alone nothing is certainly blocked.
    expect(all().some((p) => evaluateProbe(nftOnly, p).blocked)).toBe(false);
    const both = buildModel(
      facts({
        nft: json('iptables-smb.nft.json'),
        iptables: [
          { family: 'ip', backend: 'nf_tables', text: text('iptables-smb.v4.save') },
          { family: 'ip6', backend: 'nf_tables', text: text('iptables-smb.v6.save') },
        ],
      }),
    ).model;
    expect(all().filter((p) => !evaluateProbe(both, p).blocked)).toEqual([]);
    expect(both.chains.filter((c) => c.id.startsWith('nft'))).toEqual([]);
  });

  it('tokenizes quoted comments', () => {
    expect(tokenize('-A INPUT -m comment --comment "block smb" -j DROP')).toEqual([
      '-A',
      'INPUT',
      '-m',
      'comment',
      '--comment',
      'block smb',
      '-j',
      'DROP',
    ]);
  });
});
