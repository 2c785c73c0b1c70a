// What identifies a miner across hosts, read from one host's report: the sha256 of the miner's files
// (the file evidence and the executable of the process a finding is about), the wallets its command
// line or configuration names, and the pools it uses (pool URLs, pool host names, connections to pool
// ports, the addresses remediation would block). Only findings that point to a miner count, and not
// mere mentions (a document or a saved report quoting miner strings), so a shared shell or a copied
// report never ties two hosts together.
import type { Finding, MinerKind } from '../../model/finding.js';
import { basisOf } from '../../classify/verdict.js';
import { parsePoolUrl } from '../../detect/util.js';
import type { Report } from '../model.js';
import { splitEndpoint, walletsOf } from '../export-facts.js';

export const INDICATOR_TYPES = ['sha256', 'wallet', 'pool'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export interface Indicator {
  type: IndicatorType;
  /** Normalised: sha256 in lower case; a pool as `host:port` without scheme or user, host in lower case. */
  value: string;
  /** The kinds of the findings that name it. */
  kinds: MinerKind[];
  /** Where it was seen on the host: the file path for a hash, the process for a wallet or pool. */
  seenAs: string[];
}

/** A finding that is about a miner and not only a mention of one. */
export function isMinerEvidence(f: Finding): boolean {
  if (f.allowed) return false;
  if (f.category !== 'miner' && f.kind === undefined) return false;
  const basis = basisOf(f);
  return basis !== 'mention' && basis !== 'own-output';
}

/** A pool as `host:port` (or a bare host): the scheme, user and path of a URL dropped. */
export function normalizePool(text: string): string | undefined {
  const url = parsePoolUrl(text);
  if (url) {
    const host = url.host.toLowerCase();
    const shown = host.includes(':') ? `[${host}]` : host;
    return url.port !== undefined ? `${shown}:${url.port}` : shown;
  }
  const ep = splitEndpoint(text.trim());
  if (!ep || /[\s/]/.test(ep.address)) return undefined;
  const host = ep.address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  const shown = host.includes(':') ? `[${host}]` : host;
  return ep.port !== undefined ? `${shown}:${ep.port}` : shown;
}

function poolsOf(f: Finding): string[] {
  const out: string[] = [];
  for (const e of f.evidence) {
    if (e.type === 'socket' && e.match) out.push(e.remote);
    else if (e.type === 'match' && e.ioc && /^pool URL scheme|pool-domains/i.test(e.ioc)) out.push(e.value);
  }
  for (const a of f.remediate)
    if (a.type === 'block-address') {
      out.push(
        a.port !== undefined
          ? `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`
          : a.address,
      );
      if (a.domain) out.push(a.port !== undefined ? `${a.domain}:${a.port}` : a.domain);
    }
  return out;
}

/** The process a finding is about (its first process evidence), as `comm (exe)`. */
function subjectOf(f: Finding): string | undefined {
  const p = f.evidence.find((e) => e.type === 'process');
  return p?.type === 'process' ? (p.exe ?? p.comm) : undefined;
}

function hashesOf(f: Finding): { sha256: string; path: string }[] {
  const out: { sha256: string; path: string }[] = [];
  const subject = f.evidence.find((e) => e.type === 'process');
  if (subject?.type === 'process' && subject.exeSha256)
    out.push({ sha256: subject.exeSha256, path: subject.exe ?? subject.comm });
  for (const e of f.evidence) if (e.type === 'file' && e.sha256) out.push({ sha256: e.sha256, path: e.path });
  return out.filter((h) => /^[0-9a-f]{64}$/i.test(h.sha256));
}

/** The miner indicators of one report, each once, in a stable order. */
export function indicatorsOf(report: Report): Indicator[] {
  const found = new Map<string, Indicator>();
  const add = (type: IndicatorType, value: string, kind: MinerKind | undefined, seenAs?: string): void => {
    const key = `${type}\0${value}`;
    let ind = found.get(key);
    if (!ind) found.set(key, (ind = { type, value, kinds: [], seenAs: [] }));
    if (kind && !ind.kinds.includes(kind)) ind.kinds.push(kind);
    if (seenAs && !ind.seenAs.includes(seenAs)) ind.seenAs.push(seenAs);
  };
  for (const f of report.findings) {
    if (!isMinerEvidence(f)) continue;
    const subject = subjectOf(f);
    for (const h of hashesOf(f)) add('sha256', h.sha256.toLowerCase(), f.kind, h.path);
    for (const w of walletsOf(f)) add('wallet', w, f.kind, subject);
    for (const p of poolsOf(f)) {
      const pool = normalizePool(p);
      if (pool) add('pool', pool, f.kind, subject);
    }
  }
  // The verdict's running miners name pools and wallets read from the command line too.
  for (const p of report.verdict.running ?? []) {
    for (const w of p.wallets) add('wallet', w, undefined, p.exe ?? p.comm);
    for (const raw of p.pools) {
      const pool = normalizePool(raw);
      if (pool) add('pool', pool, undefined, p.exe ?? p.comm);
    }
  }
  return [...found.values()].sort(
    (a, b) => INDICATOR_TYPES.indexOf(a.type) - INDICATOR_TYPES.indexOf(b.type) || cmp(a.value, b.value),
  );
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
