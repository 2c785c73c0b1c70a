// STIX 2.1 export: the bundle and every object in it validate against the OASIS STIX 2.1 JSON
// schemas (test/data/stix/schemas); it holds the tool and host identities, a resource-exploitation
// malware per kind, indicators for hash, pool address, pool name and wallet, observed-data, sightings
// on the host and `indicates` relationships, every reference resolving inside the bundle; ids are
// UUIDv5 of what they describe, so exporting the same host again gives the same ids.
import { describe, expect, it } from 'vitest';
import { exportReport, MINER_SHA256, POOL_DOMAIN, WALLET } from '../../test/helpers/export-fixture.js';
import { SchemaValidator } from '../../test/helpers/json-schema-lite.js';
import { renderStix, stixBundle, uuidv5 } from './render-stix.js';

const SCHEMAS = new SchemaValidator(new URL('../../test/data/stix/schemas', import.meta.url).pathname);
const SCHEMA_OF: Record<string, string> = {
  identity: 'sdos/identity.json',
  'attack-pattern': 'sdos/attack-pattern.json',
  malware: 'sdos/malware.json',
  indicator: 'sdos/indicator.json',
  'observed-data': 'sdos/observed-data.json',
  sighting: 'sros/sighting.json',
  relationship: 'sros/relationship.json',
  file: 'observables/file.json',
  process: 'observables/process.json',
  'ipv4-addr': 'observables/ipv4-addr.json',
  'network-traffic': 'observables/network-traffic.json',
  'domain-name': 'observables/domain-name.json',
};

type Obj = { type: string; id: string } & Record<string, unknown>;
const report = exportReport();
const bundle = JSON.parse(renderStix(report)) as { type: string; id: string; objects: Obj[] };
const ofType = (type: string) => bundle.objects.filter((o) => o.type === type);

describe('renderStix', () => {
  it('validates against the OASIS STIX 2.1 bundle schema, and each object against its own', () => {
    expect(SCHEMAS.validate('common/bundle.json', bundle)).toEqual([]);
    for (const o of bundle.objects) {
      expect(SCHEMA_OF[o.type], o.type).toBeDefined();
      expect(SCHEMAS.validate(SCHEMA_OF[o.type]!, o), o.id).toEqual([]);
    }
    expect(new Set(bundle.objects.map((o) => o.type))).toEqual(new Set(Object.keys(SCHEMA_OF)));
  });

  it('has a validator that rejects what the schemas forbid', () => {
    const malware = ofType('malware')[0]!;
    const { is_family: _drop, ...noFamily } = malware;
    expect(SCHEMAS.validate('sdos/malware.json', noFamily).join()).toContain('is_family');
    expect(
      SCHEMAS.validate('sdos/indicator.json', {
        ...ofType('indicator')[0]!,
        pattern_type: undefined,
        valid_from: 'yesterday',
      }),
    ).not.toEqual([]);
    expect(
      SCHEMAS.validate('sdos/identity.json', { ...ofType('identity')[0]!, id: 'identity--1' }),
    ).not.toEqual([]);
    expect(
      SCHEMAS.validate('common/bundle.json', { ...bundle, objects: [{ ...malware, created: '2026-11-26' }] }),
    ).not.toEqual([]);
  });

  it('names the tool and the scanned host, and sights each miner on the host', () => {
    const [tool, host] = ofType('identity');
    expect(tool).toMatchObject({ name: 'minehunter', identity_class: 'system' });
    expect(host).toMatchObject({ name: 'web-01', identity_class: 'system', created_by_ref: tool!.id });
    const malware = ofType('malware');
    expect(malware.map((m) => m.malware_types)).toEqual([
      ['resource-exploitation'],
      ['resource-exploitation'],
    ]);
    expect(malware.every((m) => m.is_family === false)).toBe(true);
    const sightings = ofType('sighting');
    expect(sightings.every((s) => (s.where_sighted_refs as string[])[0] === host!.id)).toBe(true);
    expect(sightings.map((s) => s.x_minehunter_fingerprint)).toEqual(
      report.findings.filter((f) => !f.allowed).map((f) => f.fingerprint),
    );
    expect(sightings[0]).toMatchObject({
      sighting_of_ref: malware[0]!.id,
      count: 1,
      first_seen: report.collectedAt,
    });
    // The cron line has no miner kind: it is sighted as its ATT&CK technique.
    const cron = ofType('attack-pattern')[0]!;
    expect(cron).toMatchObject({
      name: 'T1053.003',
      external_references: [{ source_name: 'mitre-attack', external_id: 'T1053.003' }],
    });
    expect(sightings[2]).toMatchObject({ sighting_of_ref: cron.id });
  });

  it('writes indicator patterns for the hash, the pool address and name, and the wallet', () => {
    const patterns = ofType('indicator').map((i) => i.pattern);
    expect(patterns).toEqual(
      expect.arrayContaining([
        `[file:hashes.'SHA-256' = '${MINER_SHA256}']`,
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '203.0.113.7' AND network-traffic:dst_port = 3333]",
        "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '198.51.100.9' AND network-traffic:dst_port = 443]",
        `[domain-name:value = '${POOL_DOMAIN}']`,
        `[process:command_line LIKE '%${WALLET}%']`,
      ]),
    );
    // The allowed finding's hash is no indicator.
    expect(patterns.join()).not.toContain('e'.repeat(64));
    const rels = ofType('relationship');
    expect(rels.every((r) => r.relationship_type === 'indicates')).toBe(true);
    // Each indicator indicates the malware of its finding.
    expect(rels).toHaveLength(patterns.length);
  });

  it('resolves every reference inside the bundle', () => {
    const ids = new Set(bundle.objects.map((o) => o.id));
    expect(ids.size).toBe(bundle.objects.length);
    const refs = JSON.stringify(bundle.objects)
      .match(/"[a-z_]+_refs?":(\[[^\]]*\]|"[^"]*")/g)!
      .flatMap((m) => [...m.matchAll(/"([a-z0-9-]+--[0-9a-f-]{36})"/g)].map((x) => x[1]!));
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((r) => !ids.has(r))).toEqual([]);
  });

  it('gives the same ids on a second export of the same host, and other ids on another host', () => {
    const again = stixBundle(exportReport());
    expect(again.objects.map((o) => o.id)).toEqual(bundle.objects.map((o) => o.id));
    const other = exportReport();
    other.host.hostname = 'web-02';
    const otherIds = new Set(stixBundle(other).objects.map((o) => o.id));
    const sighting = ofType('sighting')[0]!.id;
    expect(otherIds.has(sighting)).toBe(false);
    // An indicator is about the pool, not the host: the same on both.
    expect(otherIds.has(ofType('indicator')[0]!.id)).toBe(true);
  });

  it('writes a valid bundle of the two identities for a clean host with no host name', () => {
    const clean = exportReport();
    clean.findings = [];
    delete clean.host.hostname;
    const b = stixBundle(clean);
    expect(SCHEMAS.validate('common/bundle.json', b)).toEqual([]);
    expect(b.objects.map((o) => o.type)).toEqual(['identity', 'identity']);
    expect(b.objects[1]).toMatchObject({ name: '/' });
  });

  it('computes RFC 4122 version 5 UUIDs', () => {
    // The RFC's DNS namespace example, as Python's uuid.uuid5(NAMESPACE_DNS, 'python.org') gives it.
    expect(uuidv5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });
});
