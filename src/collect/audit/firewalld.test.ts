// Tests for firewalld's saved zones and the SMB check over them: a public zone whose rich rule
// accepts 445 fails with the zone and the rule as evidence; the twin that rejects 445 passes; and an
// offline root (`audit --root`) has its saved zones read too, while loaded rulesets stay live-only.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runCheck } from '../../audit/run.js';
import { firewallActive, smbPortsBlocked } from '../../audit/checks/firewall.js';
import { smbOpenings } from '../../audit/firewall/firewalld.js';
import { TargetFs } from '../../target/fs.js';
import { collectFirewalldConfig, parseFirewalldConf, parseZoneXml } from './firewalld.js';
import { collectAuditFacts } from './index.js';
import { BUILTIN } from './logins/dictionary.js';

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

describe('firewalld files from a hostile disk', () => {
  // A zone file or firewalld.conf on an offline root may be anything. The regexes that read them
  // took 15 s on 160 KB of blank lines and 3.5 s on 160 KB of unclosed `<rule ` (quadratic: minutes
  // for a few MB); the bound below only guards against that coming back.
  const timed = <T>(f: () => T): { value: T; ms: number } => {
    const started = Date.now();
    const value = f();
    return { value, ms: Date.now() - started };
  };

  it('finds the default zone after 2 MB of blank lines', () => {
    const { value, ms } = timed(() => parseFirewalldConf(`${' \n'.repeat(1 << 20)}DefaultZone=work\n`));
    expect(value).toBe('work');
    expect(ms).toBeLessThan(3000);
  });

  it.each([
    ['unclosed rules', '<rule '],
    ['unclosed comments', '<!--'],
    ['unclosed zone tags', '<zone '],
    ['unclosed port tags', '<port '],
    ['an attribute name of letters', 'a'],
  ])('reads a zone of 4 MB of %s after its real services, in one pass', (_name, piece) => {
    const head = '<zone target="DROP"><service name="ssh"/><port port="8080" protocol="tcp"/>';
    const { value, ms } = timed(() =>
      parseZoneXml('public', 'x', head + piece.repeat((4 << 20) / piece.length)),
    );
    expect(value).toMatchObject({ target: 'DROP', services: ['ssh'], ports: ['8080/tcp'], richRules: [] });
    expect(ms).toBeLessThan(3000);
  });
});

describe('firewalld zones of an offline root', () => {
  async function offline(root: string) {
    const snapshot = makeSnapshot({ target: { root, live: false } });
    const { audit, records } = await collectAuditFacts(snapshot, {
      loginTests: false,
      dictionary: BUILTIN,
      parts: ['firewall'],
    });
    return {
      snapshot: { ...snapshot, audit },
      record: records.find((r) => r.collector === 'audit.firewall'),
    };
  }

  it('reads the saved zones of `--root` (no ruleset) and fails smb-ports-blocked on the open twin', async () => {
    const { snapshot, record } = await offline(fixture('open'));
    expect(record?.status).toBe('ok');
    const fw = snapshot.audit.firewall!;
    expect(fw.nft).toBeUndefined();
    expect(fw.iptables).toEqual([]);
    expect(fw.firewalld).toMatchObject({ installed: false, defaultZone: 'public' });
    expect(fw.firewalld?.zones?.map((z) => z.file)).toEqual(['/etc/firewalld/zones/public.xml']);
    const smb = runCheck(smbPortsBlocked, snapshot);
    expect(smb.status).toBe('fail');
    expect(smb.message.en).toContain('445/tcp');
    // No loaded ruleset offline: firewall-active stays unknown and says why.
    const active = runCheck(firewallActive, snapshot);
    expect(active.status).toBe('unknown');
    expect(active.message.en).toContain('offline root');
  });

  it('passes smb-ports-blocked on the closed twin', async () => {
    const { snapshot } = await offline(fixture('closed'));
    expect(runCheck(smbPortsBlocked, snapshot).status).toBe('pass');
  });

  it('stays skipped on a root without firewalld configuration', async () => {
    const { snapshot, record } = await offline(fixture('closed/etc/firewalld/zones'));
    expect(snapshot.audit.firewall).toBeUndefined();
    expect(record).toMatchObject({ status: 'skipped' });
    expect(record?.note).toMatch(/running system/);
  });
});
