// Small helpers every audit check uses: bilingual text, outcomes, evidence, listening sockets and
// version comparison.
import type { Evidence } from '../model/finding.js';
import type { SocketInfo } from '../snapshot/schema.js';
import { isLoopback } from '../detect/net.js';
import type { CheckOutcome } from './types.js';

import { t } from '../model/localized.js';
export { t };

export function pass(en: string, zh: string, evidence: Evidence[] = []): CheckOutcome {
  return { status: 'pass', message: t(en, zh), evidence };
}

/** A pass because there is nothing to check here (the service is absent); not counted in the score. */
export function absent(en: string, zh: string, evidence: Evidence[] = []): CheckOutcome {
  return { status: 'pass', message: t(en, zh), evidence, notApplicable: true };
}

export function fail(en: string, zh: string, evidence: Evidence[] = [], fixCommand?: string): CheckOutcome {
  const o: CheckOutcome = { status: 'fail', message: t(en, zh), evidence };
  if (fixCommand) o.fixCommand = fixCommand;
  return o;
}

export function unknown(en: string, zh: string, evidence: Evidence[] = []): CheckOutcome {
  return { status: 'unknown', message: t(en, zh), evidence };
}

export function fact(field: string, value: string): Evidence {
  return { type: 'match', field, value };
}

/** Lists at most `max` items and says how many more there are. */
export function listSome(items: string[], max = 8): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} (+${items.length - max})` : shown;
}

/** A listening TCP socket or a bound, unconnected UDP socket. */
export function isListening(s: SocketInfo): boolean {
  if (s.protocol.startsWith('tcp')) return s.state === 'LISTEN';
  return s.state === 'UNCONN' && s.remotePort === 0;
}

/** Listening on an address other hosts can reach: anything but loopback. */
export function reachableFromNetwork(s: SocketInfo): boolean {
  return isListening(s) && !isLoopback(s.localAddress);
}

export function endpoint(s: SocketInfo): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s.localAddress)?.[1];
  const addr = mapped ?? s.localAddress;
  return addr.includes(':') ? `[${addr}]:${s.localPort}` : `${addr}:${s.localPort}`;
}

export function socketEvidence(s: SocketInfo, match?: string): Evidence {
  const e: Evidence = {
    type: 'socket',
    protocol: s.protocol,
    local: endpoint(s),
    remote: '*',
    state: s.state,
    pids: [...s.pids],
  };
  if (match) e.match = match;
  return e;
}

/**
 * Compares version strings the way dpkg does for the parts that matter here: runs of digits
 * numerically, other runs by character, `~` sorting before everything (6.1.0-rc1 style suffixes).
 */
export function compareVersions(a: string, b: string): number {
  const re = /(\d+)|(~)|([^\d~]+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return y === '~' ? 1 : -1;
    if (y === undefined) return x === '~' ? -1 : 1;
    if (x === '~') return -1;
    if (y === '~') return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
      continue;
    }
    if (nx !== ny) return nx ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** Days between two ISO times (b − a). */
export function daysBetween(a: string, b: string): number {
  return (Date.parse(b) - Date.parse(a)) / 86_400_000;
}
