// The facts of a finding that the SIEM and threat-intelligence exports (ECS, Splunk HEC, STIX) all
// need, read once from its evidence and tags: ATT&CK techniques, the processes, files, pool endpoints,
// pool host names and wallets it names. Each export then maps them into its own vocabulary.
import type { Evidence, Finding, Level } from '../model/finding.js';

/** Resource hijacking: what every miner finding is, whatever its own tags say. */
export const MINING_TECHNIQUE = 'T1496';

export type ProcessFact = Extract<Evidence, { type: 'process' }>;
export type SocketFact = Extract<Evidence, { type: 'socket' }>;

export interface FileFact {
  path: string;
  sha256?: string;
}

export interface Endpoint {
  address: string;
  port?: number;
  /** The transport in lower case (tcp, udp), when the evidence names one. */
  transport?: string;
  /** The local end of the same connection, when the evidence has it. */
  local?: { address: string; port?: number };
}

/** ATT&CK technique ids (T1496, T1053.003) from `attack.t…` tags, T1496 added for miner findings. */
export function techniquesOf(finding: Finding): string[] {
  const ids = finding.tags
    .filter((tag) => /^attack\.t\d{4}(\.\d{3})?$/i.test(tag))
    .map((tag) => tag.slice('attack.'.length).toUpperCase());
  if (finding.category === 'miner' || finding.kind !== undefined) ids.unshift(MINING_TECHNIQUE);
  return [...new Set(ids)];
}

/** `host:port`, `[v6]:port` or a bare address, split; undefined for an empty or `*` address. */
export function splitEndpoint(text: string): { address: string; port?: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let address = text;
  let port: string | undefined;
  if (bracketed) [, address = '', port] = bracketed;
  else if (/^[^:]+:\d+$/.test(text)) [address = '', port] = text.split(':');
  if (address === '' || address === '*') return undefined;
  const n = port === undefined ? undefined : Number(port);
  return n !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? { address, port: n } : { address };
}

export function isIp(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) || (address.includes(':') && /^[0-9a-f:.]+$/i.test(address));
}

export function processesOf(finding: Finding): ProcessFact[] {
  return finding.evidence.filter((e): e is ProcessFact => e.type === 'process');
}

/** Files named by file evidence and by the executables of processes, the hashed ones kept once. */
export function filesOf(finding: Finding): FileFact[] {
  const out = new Map<string, FileFact>();
  for (const e of finding.evidence) {
    const fact =
      e.type === 'file'
        ? { path: e.path, ...(e.sha256 ? { sha256: e.sha256 } : {}) }
        : e.type === 'process' && e.exe
          ? { path: e.exe, ...(e.exeSha256 ? { sha256: e.exeSha256 } : {}) }
          : undefined;
    if (fact && !out.get(fact.path)?.sha256) out.set(fact.path, fact);
  }
  return [...out.values()];
}

/** The remote ends of socket evidence and the addresses remediation would block: the pools. */
export function endpointsOf(finding: Finding): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const e of finding.evidence) {
    if (e.type !== 'socket') continue;
    const remote = splitEndpoint(e.remote);
    if (!remote) continue;
    const local = splitEndpoint(e.local);
    out.set(`${remote.address}|${remote.port ?? ''}`, {
      ...remote,
      transport: e.protocol.replace(/6$/, '').toLowerCase(),
      ...(local ? { local } : {}),
    });
  }
  for (const a of finding.remediate) {
    if (a.type !== 'block-address' || !isIp(a.address)) continue;
    const key = `${a.address}|${a.port ?? ''}`;
    if (!out.has(key))
      out.set(key, { address: a.address, ...(a.port !== undefined ? { port: a.port } : {}) });
  }
  return [...out.values()];
}

/** Pool host names: those remediation would sinkhole, and block addresses that are names. */
export function domainsOf(finding: Finding): string[] {
  const names = finding.remediate.flatMap((a) =>
    a.type !== 'block-address' ? [] : [a.domain, isIp(a.address) ? undefined : a.address],
  );
  return [...new Set(names.filter((n): n is string => Boolean(n && /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(n))))];
}

/** Wallet addresses the command-line detector matched against iocs/wallet-patterns.yml. */
export function walletsOf(finding: Finding): string[] {
  const wallets = finding.evidence.flatMap((e) =>
    e.type === 'match' && e.ioc?.includes('wallet') ? [e.value] : [],
  );
  return [...new Set(wallets)];
}

/** A numeric severity, 0-100 as Elastic's detection rules use it (critical 99 … info 0). */
export const SEVERITY: Record<Level, number> = { critical: 99, high: 73, medium: 47, low: 21, info: 0 };

/** The command line as a shell would show it: arguments with spaces or quotes single-quoted. */
export function commandLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
