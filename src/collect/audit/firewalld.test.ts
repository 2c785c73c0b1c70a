// Tests for firewalld's saved zones and the SMB check over them: a public zone whose rich rule
// accepts 445 fails with the zone and the rule as evidence; the twin that rejects 445 passes.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runCheck } from '../../audit/run.js';
import { smbPortsBlocked } from '../../audit/checks/firewall.js';
import { TargetFs } from '../../target/fs.js';
import { collectFirewalldConfig, parseZoneXml, smbOpenings } from './firewalld.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../../test/fixtures/firewalld/${name}`, import.meta.url));

async function smbCheck(name: string) {
  const saved = await collectFirewalldConfig(new TargetFs(fixture(name)));
  const snapshot = makeSnapshot({
    audit: {
      firewall: {
        iptables: [],
        iptablesErrors: [],
        ipv6Enabled: false,
        firewalld: { installed: true, ...saved },
      },
    },
  });
  return { saved, outcome: runCheck(smbPortsBlocked, snapshot) };
}

describe('firewalld zones', () => {
  it('reads the default zone, services and rich rules (comments ignored)', async () => {
    const { saved } = await smbCheck('open');
    expect(saved?.defaultZone).toBe('public');
    expect(saved?.zones).toHaveLength(1);
    expect(saved?.zones[0]).toMatchObject({
      name: 'public',
      file: '/etc/firewalld/zones/public.xml',
      services: ['ssh', 'dhcpv6-client', 'cockpit'],
      ports: [],
      richRules: [{ action: 'accept', ports: ['445/tcp'] }],
    });
  });

  it('445 accepted in the public zone fails smb-ports-blocked with the zone and rule as evidence', async () => {
    const { outcome } = await smbCheck('open');
    expect(outcome.status).toBe('fail');
    expect(outcome.evidence).toContainEqual({
      type: 'match',
      field: 'firewalld zone public (/etc/firewalld/zones/public.xml)',
      value: '445/tcp: <rule family="ipv4"> <port port="445" protocol="tcp"/> <accept/> </rule>',
    });
  });

  it('the closed twin (445 rejected) passes', async () => {
    const { outcome } = await smbCheck('closed');
    expect(outcome.status).toBe('pass');
  });

  it('counts samba services, port ranges and an ACCEPT target as openings', () => {
    const z = parseZoneXml(
      'public',
      'x',
      '<zone target="ACCEPT"><service name="samba"/><port port="135-139" protocol="udp"/></zone>',
    );
    expect(smbOpenings(z, [135, 137, 138, 139, 445]).map((o) => o.port)).toEqual([
      '135-139/udp',
      '137/udp',
      '138/udp',
      '139/tcp',
      '445/tcp',
      'all',
    ]);
  });
});
