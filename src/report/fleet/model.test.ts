// The fleet model: the same miner found on several hosts by file hash, wallet and pool (and not by
// allowed findings or mere mentions), reports of one host merged (latest verdict, first/last seen,
// earlier statuses), the same report read twice counted once, hosts without a name, the counts the
// chart draws, and the order of hosts and indicators.
import { describe, expect, it } from 'vitest';
import { exportReport, MINER_SHA256, POOL_DOMAIN, WALLET } from '../../../test/helpers/export-fixture.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { Finding } from '../../model/finding.js';
import { buildReport, type Report } from '../model.js';
import { indicatorsOf, normalizePool } from './indicators.js';
import { buildFleet, type FleetReport } from './model.js';

const NOW = new Date('2026-12-01T00:00:00.000Z');

/** The export fixture's infected report (a miner with hash, wallet and pool) as host `name` at `time`. */
function infected(name: string, time: string, edit: (text: string) => string = (t) => t): FleetReport {
  const r = exportReport();
  const report = JSON.parse(edit(JSON.stringify(r))) as Report;
  report.host = { ...report.host, hostname: name };
  report.collectedAt = time;
  report.generatedAt = time;
  return { source: `${name}-${time}.json`, report };
}

function clean(
  name: string | undefined,
  time: string,
  addresses = [{ interface: 'eth0', address: '10.0.0.9', family: 'IPv4' as const }],
): FleetReport {
  const snapshot = makeSnapshot({ collectedAt: time });
  snapshot.host = { ...snapshot.host, hostname: name, addresses };
  if (name === undefined) delete snapshot.host.hostname;
  const report = buildReport({
    snapshot,
    findings: [],
    skipped: [],
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date(time),
  });
  return { source: `${name ?? 'unnamed'}-${time}.json`, report };
}

const OTHER_WALLET = WALLET.replace(/.{8}$/, 'AAAAAAAA');

describe('miner indicators of one report', () => {
  it('names the miner file hash, the wallet and the pools; not the allowed tool or the cron line', () => {
    const found = indicatorsOf(exportReport());
    const of = (type: string) => found.filter((i) => i.type === type).map((i) => i.value);
    expect(of('sha256')).toEqual([MINER_SHA256]);
    expect(of('wallet')).toEqual([WALLET]);
    expect(of('pool')).toEqual(
      expect.arrayContaining([`${POOL_DOMAIN}:443`, '198.51.100.9:443', '203.0.113.7:3333']),
    );
    expect(of('sha256')).not.toContain('e'.repeat(64));
    const hash = found.find((i) => i.type === 'sha256')!;
    expect(hash.seenAs).toEqual(['/var/tmp/.cache/xmr']);
    expect(hash.kinds).toEqual(['hidden-directory']);
  });

  it('leaves out findings that only mention a miner (a saved report, a document)', () => {
    const r = exportReport();
    const mention: Finding = {
      ...r.findings.find((f) => f.ruleId === 'miner-command-line')!,
      basis: 'mention',
      level: 'low',
      evidence: [{ type: 'file', path: '/root/notes.txt', sha256: 'a'.repeat(64) }],
    };
    const found = indicatorsOf({ ...r, findings: [mention] });
    expect(found.map((i) => i.value)).not.toContain('a'.repeat(64));
  });

  it('writes pools as host:port without scheme, user or case', () => {
    expect(normalizePool('stratum+tcp://worker:x@Pool.Example:3333')).toBe('pool.example:3333');
    expect(normalizePool('stratum+ssl://[2001:db8::5]:443')).toBe('[2001:db8::5]:443');
    expect(normalizePool('[2001:DB8::5]:5555')).toBe('[2001:db8::5]:5555');
    expect(normalizePool('192.0.2.10:3333')).toBe('192.0.2.10:3333');
    expect(normalizePool('pool.example')).toBe('pool.example');
    expect(normalizePool('not a pool/at all')).toBeUndefined();
    expect(normalizePool('*')).toBeUndefined();
  });
});

describe('fleet overview', () => {
  it('groups the same miner across hosts by hash, wallet and pool, listing the hosts', () => {
    const fleet = buildFleet(
      [
        infected('web-1', '2026-11-20T10:00:00.000Z'),
        infected('web-2', '2026-11-21T10:00:00.000Z'),
        infected('db-1', '2026-11-22T10:00:00.000Z', (t) => t.replaceAll(WALLET, OTHER_WALLET)),
        clean('mail-1', '2026-11-22T11:00:00.000Z'),
      ],
      [],
      NOW,
    );
    const miner = (type: string, value: string) =>
      fleet.miners.find((m) => m.type === type && m.value === value);
    expect(miner('sha256', MINER_SHA256)).toMatchObject({
      hosts: ['db-1', 'web-1', 'web-2'],
      firstSeen: '2026-11-20T10:00:00.000Z',
      lastSeen: '2026-11-22T10:00:00.000Z',
      seenAs: ['/var/tmp/.cache/xmr'],
    });
    expect(miner('wallet', WALLET)?.hosts).toEqual(['web-1', 'web-2']);
    expect(miner('wallet', OTHER_WALLET)?.hosts).toEqual(['db-1']);
    expect(miner('pool', `${POOL_DOMAIN}:443`)?.hosts).toEqual(['db-1', 'web-1', 'web-2']);
    // Most hosts first; the one-host wallet comes after every shared indicator.
    expect(fleet.miners[0]!.hosts).toHaveLength(3);
    expect(fleet.miners.at(-1)!.hosts).toHaveLength(1);
    expect(fleet.totals.shared.wallet).toBe(1);
    expect(fleet.totals.shared.sha256).toBe(1);
    expect(fleet.hosts.find((h) => h.host === 'db-1')!.wallets).toEqual([OTHER_WALLET]);
  });

  it('merges the reports of one host: the latest verdict, first and last seen, earlier statuses', () => {
    const fleet = buildFleet(
      [
        clean('web-1', '2026-11-25T10:00:00.000Z'),
        infected('web-1', '2026-11-20T10:00:00.000Z'),
        infected('web-1', '2026-11-22T10:00:00.000Z'),
        infected('web-2', '2026-11-22T10:00:00.000Z'),
      ],
      [],
      NOW,
    );
    expect(fleet.totals).toMatchObject({ reports: 4, hosts: 2 });
    const web1 = fleet.hosts.find((h) => h.host === 'web-1')!;
    expect(web1).toMatchObject({
      status: 'clean',
      kinds: [],
      reports: 3,
      firstSeen: '2026-11-20T10:00:00.000Z',
      lastSeen: '2026-11-25T10:00:00.000Z',
      earlier: ['infected'],
      // A miner of an earlier report still ties the host to the others.
      sha256: [MINER_SHA256],
    });
    expect(web1.sources[0]).toBe('web-1-2026-11-25T10:00:00.000Z.json');
    const web2 = fleet.hosts.find((h) => h.host === 'web-2')!;
    expect(web2).toMatchObject({ status: 'infected', highest: 'critical', reports: 1, earlier: [] });
    expect(web2.counts).toMatchObject({ critical: 1, high: 1, medium: 1, allowed: 1 });
    expect(web2.running).toBeGreaterThan(0);
    // Worst first.
    expect(fleet.hosts.map((h) => h.host)).toEqual(['web-2', 'web-1']);
  });

  it('counts the same report read twice once, and one collection analysed twice once (the latest)', () => {
    const a = infected('web-1', '2026-11-20T10:00:00.000Z');
    const fleet = buildFleet([a, { ...a, source: 'copy-of-it.json' }], [], NOW);
    expect(fleet.totals.reports).toBe(1);
    expect(fleet.hosts[0]!.reports).toBe(1);
    // The same snapshot analysed again later (newer IOCs found nothing more to allow): the later wins.
    const again = clean('web-1', '2026-11-20T10:00:00.000Z');
    again.report.generatedAt = '2026-11-21T00:00:00.000Z';
    for (const order of [
      [a, again],
      [again, a],
    ]) {
      const f = buildFleet(order, [], NOW);
      expect(f.totals.reports).toBe(1);
      expect(f.hosts[0]!.status).toBe(again.report.verdict.status);
    }
  });

  it('names a host without a hostname by its address, else by its file', () => {
    const fleet = buildFleet(
      [
        clean(undefined, '2026-11-20T10:00:00.000Z'),
        clean(undefined, '2026-11-20T10:00:00.000Z', [
          { interface: 'lo', address: '127.0.0.1', family: 'IPv4' },
        ]),
      ],
      [],
      NOW,
    );
    expect(fleet.hosts.map((h) => [h.host, h.namedBy]).sort()).toEqual([
      ['10.0.0.9', 'address'],
      ['unnamed-2026-11-20T10:00:00.000Z.json', 'file'],
    ]);
  });

  it('counts hosts by verdict and infected/suspicious hosts by kind for the chart', () => {
    const suspicious = infected('web-3', '2026-11-22T10:00:00.000Z');
    suspicious.report.verdict = { ...suspicious.report.verdict, status: 'suspicious' };
    const fleet = buildFleet(
      [
        infected('web-1', '2026-11-20T10:00:00.000Z'),
        infected('web-2', '2026-11-20T10:00:00.000Z'),
        suspicious,
        clean('db', '2026-11-20T10:00:00.000Z'),
      ],
      [{ source: 'broken.json', reason: { en: 'is not JSON', 'zh-CN': '不是 JSON' } }],
      NOW,
    );
    expect(fleet.totals.byStatus).toEqual({ infected: 2, suspicious: 1, incomplete: 0, clean: 1 });
    const kinds = fleet.hosts.find((h) => h.host === 'web-1')!.kinds;
    expect(kinds.length).toBeGreaterThan(0);
    for (const k of kinds) expect(fleet.totals.byKind[k]).toEqual({ infected: 2, suspicious: 1 });
    expect(fleet.totals.byKind['web-script']).toEqual({ infected: 0, suspicious: 0 });
    expect(fleet.totals.skipped).toBe(1);
    expect(fleet.skipped[0]!.source).toBe('broken.json');
    expect(fleet).toMatchObject({ fleetSchemaVersion: 1, generatedAt: NOW.toISOString() });
  });

  it('gives an empty overview for no reports', () => {
    const fleet = buildFleet([], [], NOW);
    expect(fleet.hosts).toEqual([]);
    expect(fleet.miners).toEqual([]);
    expect(fleet.totals.hosts).toBe(0);
  });
});
