// ECS export: one alert per finding and a state event last, every field outside `minehunter.*` one
// the ECS field list defines (test/data/ecs/ecs-fields.json, from elastic/ecs), with the type and the
// allowed values ECS gives it; the facts a SIEM rule keys on (technique, process, hash, pool) in place.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportReport, MINER_SHA256, POOL_DOMAIN, WALLET } from '../../test/helpers/export-fixture.js';
import { HOSTILE_ARGV } from '../../test/helpers/incident-fixture.js';
import { renderEcs } from './render-ecs.js';

interface EcsField {
  type: string;
  array?: boolean;
  allowed?: Array<{ name: string; expected_event_types?: string[] }>;
}
const FIELDS = JSON.parse(
  readFileSync(new URL('../../test/data/ecs/ecs-fields.json', import.meta.url), 'utf8'),
) as Record<string, EcsField>;

type Event = Record<string, unknown> & {
  event: { kind: string; category: string[]; type: string[]; severity?: number };
};

/** Leaf paths of an event (arrays are leaves: ECS fields hold arrays of values). */
function leaves(o: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  return Object.entries(o).flatMap(([k, v]): Array<[string, unknown]> => {
    const name = prefix + k;
    return v && typeof v === 'object' && !Array.isArray(v)
      ? leaves(v as Record<string, unknown>, `${name}.`)
      : [[name, v]];
  });
}

const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$/i;

/** Why a value does not fit its ECS field; undefined when it does. */
function misfit(name: string, value: unknown): string | undefined {
  const field = FIELDS[name];
  if (!field) return `${name} is not an ECS field`;
  const values = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && !field.array) return `${name} is not an array field`;
  for (const v of values) {
    const ok =
      field.type === 'long'
        ? Number.isInteger(v)
        : field.type === 'float'
          ? typeof v === 'number'
          : field.type === 'date'
            ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
            : field.type === 'ip'
              ? typeof v === 'string' && IP.test(v)
              : typeof v === 'string';
    if (!ok) return `${name}: ${JSON.stringify(v)} is not a ${field.type}`;
    if (field.allowed && !field.allowed.some((a) => a.name === v)) return `${name}: ${String(v)} not allowed`;
  }
  return undefined;
}

const report = exportReport();
const events = renderEcs(report)
  .trimEnd()
  .split('\n')
  .map((l) => JSON.parse(l) as Event);
const alerts = events.slice(0, -1);

describe('renderEcs', () => {
  it('writes one alert per finding, in the report order, then one state event for the scan', () => {
    expect(events).toHaveLength(report.findings.length + 1);
    expect(alerts.map((e) => e.event.kind)).toEqual(report.findings.map(() => 'alert'));
    expect(alerts.map((e) => (e.rule as { id: string }).id)).toEqual(report.findings.map((f) => f.ruleId));
    expect(events.at(-1)!.event.kind).toBe('state');
    expect(events.at(-1)!.minehunter).toMatchObject({
      verdict: 'infected',
      findings: 4,
      summary: report.summary,
    });
  });

  it('uses only fields of the ECS field list, with their types and allowed values, outside minehunter.*', () => {
    let checked = 0;
    for (const e of events) {
      const problems = leaves(e)
        .filter(([name]) => !name.startsWith('minehunter.'))
        .map(([name, value]) => {
          checked++;
          return misfit(name, value);
        })
        .filter(Boolean);
      expect(problems).toEqual([]);
    }
    expect(checked).toBeGreaterThan(100);
    // The field list is the real one, not a stub that would accept anything.
    expect(Object.keys(FIELDS).length).toBeGreaterThan(1500);
    expect(misfit('process.commandline', 'x')).toBeDefined();
    expect(misfit('event.kind', 'finding')).toBeDefined();
  });

  it('gives each category an event type that ECS expects for it', () => {
    const expected = new Map(
      FIELDS['event.category']!.allowed!.map((a) => [a.name, a.expected_event_types ?? []]),
    );
    for (const e of events)
      for (const c of e.event.category)
        expect(e.event.type.every((t) => expected.get(c)!.includes(t))).toBe(true);
  });

  it('maps the pool connection: ATT&CK T1496, the process with its hostile argv intact, the pool', () => {
    const e = alerts[0]!;
    expect(e.event).toMatchObject({ category: ['malware', 'process', 'network'], severity: 99 });
    expect(e['@timestamp']).toBe(report.collectedAt);
    expect(e.threat).toMatchObject({ framework: 'MITRE ATT&CK', technique: { id: ['T1496'] } });
    expect(e.process).toMatchObject({ pid: 4242, executable: '/tmp/.x/kworker', args: HOSTILE_ARGV });
    expect((e.process as { command_line: string }).command_line).toContain('stratum+tcp://203.0.113.7:3333');
    expect(e.destination).toEqual({ address: '203.0.113.7', ip: '203.0.113.7', port: 3333 });
    expect(e.host).toMatchObject({ name: 'web-01', ip: ['10.0.0.2'], os: { type: 'linux' } });
    expect(e.minehunter).toMatchObject({
      kind: 'open-source-miner',
      level: 'critical',
      fingerprint: 'pool-connection:/tmp/.x/kworker',
      message: report.findings[0]!.message,
    });
  });

  it('maps a miner binary: its hash, its container, the pool host name, the wallet, the sub-technique', () => {
    const e = alerts.find((a) => (a.rule as { id: string }).id === 'miner-command-line')!;
    expect(e.process).toMatchObject({ hash: { sha256: MINER_SHA256 }, user: { name: 'www-data' } });
    expect(e.file).toMatchObject({ path: '/var/tmp/.cache/xmr', hash: { sha256: MINER_SHA256 } });
    expect(e.container).toMatchObject({
      runtime: 'docker',
      name: 'shop',
      image: { name: 'docker.io/library/nginx:1.25' },
    });
    expect(e.destination).toEqual({
      address: '198.51.100.9',
      ip: '198.51.100.9',
      port: 443,
      domain: POOL_DOMAIN,
    });
    expect(e.threat).toMatchObject({
      technique: { id: ['T1496', 'T1564'], subtechnique: { id: ['T1564.001'] } },
    });
    expect(e.related).toMatchObject({ hash: [MINER_SHA256], user: ['www-data'] });
    expect(e.minehunter).toMatchObject({ kind: 'hidden-directory', basis: 'running', wallets: [WALLET] });
  });

  it('files a persistence finding with no miner kind as configuration, and keeps allowed ones marked', () => {
    const cron = alerts.find((a) => (a.rule as { id: string }).id === 'cron-download-exec')!;
    expect(cron.event.category).toEqual(['configuration', 'file']);
    expect(cron.threat).toMatchObject({ technique: { id: ['T1053'], subtechnique: { id: ['T1053.003'] } } });
    expect(cron.minehunter).toMatchObject({ kind: null, level: 'medium' });
    const allowed = alerts.find((a) => (a.minehunter as { allowed: unknown }).allowed !== null)!;
    expect(allowed.minehunter).toMatchObject({ allowed: { by: 'fingerprint' } });
  });

  it('writes only the state event for a clean host, and leaves out what the host does not say', () => {
    const clean = exportReport();
    clean.findings = [];
    delete clean.host.hostname;
    clean.host.addresses = [];
    const out = renderEcs(clean).trimEnd().split('\n');
    expect(out).toHaveLength(1);
    const e = JSON.parse(out[0]!) as Event;
    expect(e.event.kind).toBe('state');
    expect(e.host).toEqual({ os: expect.objectContaining({ type: 'linux' }) as unknown });
    expect(
      leaves(e)
        .filter(([n]) => !n.startsWith('minehunter.'))
        .map(([n, v]) => misfit(n, v))
        .filter(Boolean),
    ).toEqual([]);
  });

  it('keeps control characters of a hostile argv inside JSON strings', () => {
    const out = renderEcs(report);
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(out.trimEnd().split('\n')).toHaveLength(events.length);
  });
});
