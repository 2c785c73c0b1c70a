// The one gate every login test passes through: it may contact 127.0.0.1 and ::1 and nothing else,
// and it spaces attempts so no service sees more than a few guesses a second.
import type { SocketInfo } from '../../../snapshot/schema.js';

export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;
export type LoopbackHost = (typeof LOOPBACK_HOSTS)[number];

export class NotLoopbackError extends Error {
  override name = 'NotLoopbackError';
}

/** Throws unless `host` is exactly 127.0.0.1 or ::1: login tests never leave this machine. */
export function assertLoopback(host: string): asserts host is LoopbackHost {
  if (!(LOOPBACK_HOSTS as readonly string[]).includes(host)) {
    throw new NotLoopbackError(`refusing to test ${host}: login tests only contact 127.0.0.1 and ::1`);
  }
}

export interface Target {
  host: LoopbackHost;
  port: number;
  endpoint: string;
}

export function target(host: string, port: number): Target {
  assertLoopback(host);
  return { host, port, endpoint: host === '::1' ? `[::1]:${port}` : `127.0.0.1:${port}` };
}

/**
 * The loopback address a listening socket can be reached at, or why it cannot: a socket bound to
 * 10.0.0.5 only is not reachable through loopback, and is never contacted on 10.0.0.5.
 */
export function loopbackFor(s: SocketInfo): { target: Target } | { reason: string } {
  const a = s.localAddress.toLowerCase();
  if (a === '127.0.0.1' || a === '0.0.0.0' || a === '::ffff:127.0.0.1')
    return { target: target('127.0.0.1', s.localPort) };
  if (a === '::1' || a === '::') return { target: target('::1', s.localPort) };
  return { reason: `bound to ${s.localAddress} only; login tests contact 127.0.0.1 and ::1, nothing else` };
}

/** Enforces a minimum gap between attempts against one endpoint. */
export class Pacer {
  private last = 0;
  constructor(private readonly gapMs: number) {}
  async wait(): Promise<void> {
    const due = this.last + this.gapMs - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    this.last = Date.now();
  }
}
