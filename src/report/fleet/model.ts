// The fleet overview of `minehunter summarize`: many hosts' JSON reports in, one model out — per host
// its verdict, kinds and counts (from its latest report), when it was first and last seen, and the
// same miner across hosts (by file hash, wallet and pool). Pure: the CLI reads the files, the renderers
// (HTML, CSV, JSON) only format this model.
import {
  LEVELS,
  MINER_KINDS,
  levelRank,
  type Level,
  type Localized,
  type MinerKind,
} from '../../model/finding.js';
import type { Verdict } from '../../classify/verdict.js';
import type { Report } from '../model.js';
import { INDICATOR_TYPES, cmp, indicatorsOf, type IndicatorType } from './indicators.js';

/** Bump on any incompatible change of the JSON the `--format json` output writes. */
export const FLEET_SCHEMA_VERSION = 1;

export type HostStatus = Verdict['status'];
/** Worst first: the order of the table and of the counts. */
export const STATUSES: HostStatus[] = ['infected', 'suspicious', 'incomplete', 'clean'];

/** One report and the file it came from. */
export interface FleetReport {
  source: string;
  report: Report;
}

/** A file that could not be used, and why. */
export interface SkippedInput {
  source: string;
  reason: Localized;
}

export type LevelCounts = Record<Level | 'allowed', number>;

export interface FleetHost {
  /** The host's name: the report's hostname, else its first address, else the report file's name. */
  host: string;
  /** What `host` was taken from. */
  namedBy: 'hostname' | 'address' | 'file';
  /** From the latest report. */
  status: HostStatus;
  highest: Level | null;
  kinds: MinerKind[];
  counts: LevelCounts;
  /** Miner processes running at the latest report. */
  running: number;
  /** Every status an earlier report gave that differs from the latest one, worst first. */
  earlier: HostStatus[];
  /** Collection times (collectedAt) of its first and latest reports. */
  firstSeen: string;
  lastSeen: string;
  reports: number;
  addresses: string[];
  /** The miner indicators of all its reports. */
  sha256: string[];
  wallets: string[];
  pools: string[];
  sources: string[];
}

/** One miner indicator and every host whose reports name it. */
export interface SharedMiner {
  type: IndicatorType;
  value: string;
  hosts: string[];
  kinds: MinerKind[];
  /** File paths (for a hash) or processes (for a wallet or pool) it was seen as, a few. */
  seenAs: string[];
  firstSeen: string;
  lastSeen: string;
}

export interface FleetOverview {
  fleetSchemaVersion: typeof FLEET_SCHEMA_VERSION;
  generatedAt: string;
  totals: {
    reports: number;
    hosts: number;
    skipped: number;
    byStatus: Record<HostStatus, number>;
    /** Hosts per kind in their latest report, split by status: the chart. */
    byKind: Record<MinerKind, { infected: number; suspicious: number }>;
    /** Indicators seen on two hosts or more, per type. */
    shared: Record<IndicatorType, number>;
  };
  /** Worst first: status, highest level, then name. */
  hosts: FleetHost[];
  /** Every indicator, most hosts first; those on one host only are listed too (`hosts.length` 1). */
  miners: SharedMiner[];
  skipped: SkippedInput[];
}

/** At most this many paths or processes per indicator: enough to recognise it, short in a cell. */
const SEEN_AS_KEPT = 5;

function timeOf(r: Report): string {
  return Number.isFinite(Date.parse(r.collectedAt)) ? r.collectedAt : r.generatedAt;
}

function nameOf(input: FleetReport): { host: string; namedBy: FleetHost['namedBy'] } {
  const hostname = input.report.host.hostname?.trim();
  if (hostname) return { host: hostname, namedBy: 'hostname' };
  const address = input.report.host.addresses.find(
    (a) => !/^(127\.|::1$|fe80:)/i.test(a.address) && a.interface !== 'lo',
  )?.address;
  if (address) return { host: address, namedBy: 'address' };
  return { host: input.source, namedBy: 'file' };
}

/** Later first: collection time, then generation time, then file name (for a stable choice). */
function byRecency(a: FleetReport, b: FleetReport): number {
  return (
    cmp(timeOf(b.report), timeOf(a.report)) ||
    cmp(b.report.generatedAt, a.report.generatedAt) ||
    cmp(a.source, b.source)
  );
}

function countsOf(r: Report): LevelCounts {
  const s = r.summary;
  return {
    critical: s.critical,
    high: s.high,
    medium: s.medium,
    low: s.low,
    info: s.info,
    allowed: s.allowed,
  };
}

function pushUnique<T>(into: T[], items: Iterable<T>, limit = Infinity): void {
  for (const item of items) if (!into.includes(item) && into.length < limit) into.push(item);
}

interface MinerAcc extends SharedMiner {
  hostSet: Set<string>;
}

/** One host from its reports (latest first), adding its indicators to `miners`. */
function hostOf(
  host: string,
  namedBy: FleetHost['namedBy'],
  list: FleetReport[],
  miners: Map<string, MinerAcc>,
): FleetHost {
  const latest = list[0]!.report;
  const out: FleetHost = {
    host,
    namedBy,
    status: latest.verdict.status,
    highest: latest.verdict.highest,
    kinds: latest.verdict.kinds.map((k) => k.kind),
    counts: countsOf(latest),
    running: latest.verdict.running?.length ?? 0,
    earlier: STATUSES.filter(
      (s) => s !== latest.verdict.status && list.some((r) => r.report.verdict.status === s),
    ),
    firstSeen: timeOf(list[list.length - 1]!.report),
    lastSeen: timeOf(latest),
    reports: list.length,
    addresses: [...new Set(latest.host.addresses.map((a) => a.address))],
    sha256: [],
    wallets: [],
    pools: [],
    sources: list.map((r) => r.source),
  };
  for (const { report } of list) {
    const seen = timeOf(report);
    for (const ind of indicatorsOf(report)) {
      pushUnique(ind.type === 'sha256' ? out.sha256 : ind.type === 'wallet' ? out.wallets : out.pools, [
        ind.value,
      ]);
      const key = `${ind.type}\0${ind.value}`;
      let m = miners.get(key);
      if (!m) {
        m = {
          type: ind.type,
          value: ind.value,
          hosts: [],
          hostSet: new Set(),
          kinds: [],
          seenAs: [],
          firstSeen: seen,
          lastSeen: seen,
        };
        miners.set(key, m);
      }
      m.hostSet.add(host);
      pushUnique(m.kinds, ind.kinds);
      pushUnique(m.seenAs, ind.seenAs, SEEN_AS_KEPT);
      if (seen < m.firstSeen) m.firstSeen = seen;
      if (seen > m.lastSeen) m.lastSeen = seen;
    }
  }
  return out;
}

function hostOrder(a: FleetHost, b: FleetHost): number {
  return (
    STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) ||
    (b.highest ? levelRank(b.highest) : 0) - (a.highest ? levelRank(a.highest) : 0) ||
    cmp(a.host, b.host)
  );
}

/**
 * The overview. Reports of the same host (by name) merge: the latest gives the verdict, all give the
 * first/last seen times and the miner indicators. Reports of the same host and collection time count
 * once (the latest analysis).
 */
export function buildFleet(inputs: FleetReport[], skipped: SkippedInput[], now: Date): FleetOverview {
  // Per host, one report per collection: the same snapshot analysed twice (its report and a later
  // `analyze`, or one file copied) counts once, the latest analysis kept.
  const byHost = new Map<string, { namedBy: FleetHost['namedBy']; byCollection: Map<string, FleetReport> }>();
  for (const input of inputs) {
    const { host, namedBy } = nameOf(input);
    let entry = byHost.get(host);
    if (!entry) byHost.set(host, (entry = { namedBy, byCollection: new Map() }));
    const seen = entry.byCollection.get(input.report.collectedAt);
    if (!seen || input.report.generatedAt > seen.report.generatedAt)
      entry.byCollection.set(input.report.collectedAt, input);
  }
  let reports = 0;
  for (const e of byHost.values()) reports += e.byCollection.size;
  const miners = new Map<string, MinerAcc>();
  const hosts = [...byHost.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([host, e]) => hostOf(host, e.namedBy, [...e.byCollection.values()].sort(byRecency), miners))
    .sort(hostOrder);

  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<HostStatus, number>;
  const byKind = Object.fromEntries(MINER_KINDS.map((k) => [k, { infected: 0, suspicious: 0 }])) as Record<
    MinerKind,
    { infected: number; suspicious: number }
  >;
  for (const h of hosts) {
    byStatus[h.status]++;
    if (h.status === 'infected' || h.status === 'suspicious') for (const k of h.kinds) byKind[k][h.status]++;
  }
  const minerList: SharedMiner[] = [...miners.values()]
    .map(({ hostSet, ...m }) => ({ ...m, hosts: [...hostSet].sort(cmp) }))
    .sort(
      (a, b) =>
        b.hosts.length - a.hosts.length ||
        INDICATOR_TYPES.indexOf(a.type) - INDICATOR_TYPES.indexOf(b.type) ||
        cmp(a.value, b.value),
    );
  const shared = Object.fromEntries(
    INDICATOR_TYPES.map((t) => [t, minerList.filter((m) => m.type === t && m.hosts.length > 1).length]),
  ) as Record<IndicatorType, number>;
  return {
    fleetSchemaVersion: FLEET_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    totals: { reports, hosts: hosts.length, skipped: skipped.length, byStatus, byKind, shared },
    hosts,
    miners: minerList,
    skipped: [...skipped].sort((a, b) => cmp(a.source, b.source)),
  };
}

/** The levels in table order, for renderers. */
export const COUNT_COLUMNS: (Level | 'allowed')[] = [...LEVELS, 'allowed'];
