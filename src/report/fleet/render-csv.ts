// The fleet overview as two CSV tables (RFC 4180, UTF-8 with CRLF line ends, as spreadsheets expect):
// one row per host, and one row per miner indicator (file sha256, wallet, pool) with the hosts that
// share it. Column names are fixed English identifiers and values are ids (`infected`,
// `open-source-miner`), whatever --lang says, so scripts that read the files never depend on the
// language. A cell that a spreadsheet would run as a formula (= + - @ first) is prefixed with '.
import { COUNT_COLUMNS, type FleetOverview } from './model.js';

/** Several values in one cell (kinds, pools, hosts). */
const LIST = ';';

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function table(header: string[], rows: (string | number | null | undefined)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export const HOST_COLUMNS = [
  'host',
  'named_by',
  'status',
  'highest',
  'kinds',
  ...COUNT_COLUMNS,
  'running_miners',
  'first_seen',
  'last_seen',
  'reports',
  'earlier_status',
  'addresses',
  'sha256',
  'wallets',
  'pools',
  'sources',
];

/** One row per host, worst first. */
export function renderFleetHostsCsv(f: FleetOverview): string {
  return table(
    HOST_COLUMNS,
    f.hosts.map((h) => [
      h.host,
      h.namedBy,
      h.status,
      h.highest,
      h.kinds.join(LIST),
      ...COUNT_COLUMNS.map((c) => h.counts[c]),
      h.running,
      h.firstSeen,
      h.lastSeen,
      h.reports,
      h.earlier.join(LIST),
      h.addresses.join(LIST),
      h.sha256.join(LIST),
      h.wallets.join(LIST),
      h.pools.join(LIST),
      h.sources.join(LIST),
    ]),
  );
}

export const MINER_COLUMNS = [
  'type',
  'value',
  'host_count',
  'kinds',
  'first_seen',
  'last_seen',
  'seen_as',
  'hosts',
];

/** One row per indicator, most hosts first; `host_count` 1 rows are indicators no other host shares. */
export function renderFleetMinersCsv(f: FleetOverview): string {
  return table(
    MINER_COLUMNS,
    f.miners.map((m) => [
      m.type,
      m.value,
      m.hosts.length,
      m.kinds.join(LIST),
      m.firstSeen,
      m.lastSeen,
      m.seenAs.join(LIST),
      m.hosts.join(LIST),
    ]),
  );
}
