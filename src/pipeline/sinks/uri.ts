// The `--sink URI` language: which sink, where, and its few options (`?format=cef`, `?facility=`,
// retry and queue bounds). Parsing is pure and strict, so a typo is a usage error at start-up and
// never a watcher that runs for days sending nothing.
import path from 'node:path';

export type SyslogFormat = 'rfc5424' | 'cef';

export interface QueueBounds {
  /** First retry after this many ms; doubled after each failure up to backoffMaxMs. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Oldest alerts are dropped (and counted) beyond either bound. */
  maxCount: number;
  maxBytes: number;
}

export type SinkSpec =
  | { kind: 'stdout'; uri: string }
  | { kind: 'file'; uri: string; path: string }
  | {
      kind: 'syslog';
      uri: string;
      transport: 'udp' | 'tcp' | 'tls' | 'unix';
      host: string;
      port: number;
      /** The local socket (transport `unix`). */
      socket: string;
      format: SyslogFormat;
      facility: number;
      queue: QueueBounds;
    }
  | { kind: 'webhook' | 'falcosidekick'; uri: string; url: string; queue: QueueBounds; timeoutMs: number };

export class SinkUriError extends Error {}

/** RFC 5424 facility codes by name; `auth` (4) is the default for security messages. */
export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  daemon: 3,
  auth: 4,
  syslog: 5,
  authpriv: 10,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

export const DEFAULT_QUEUE: QueueBounds = {
  backoffMs: 1000,
  backoffMaxMs: 60_000,
  maxCount: 10_000,
  maxBytes: 20 * 1024 * 1024,
};

function positive(uri: string, name: string, value: string, scale: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new SinkUriError(`--sink ${uri}: ${name} takes a number > 0, not "${value}"`);
  return Math.round(n * scale);
}

/** The query options every queued sink takes; any other name is an error. */
function queueOptions(uri: string, params: URLSearchParams, extra: string[]): QueueBounds {
  const q = { ...DEFAULT_QUEUE };
  for (const [name, value] of params) {
    if (name === 'backoff') q.backoffMs = positive(uri, name, value, 1000);
    else if (name === 'backoff-max') q.backoffMaxMs = positive(uri, name, value, 1000);
    else if (name === 'queue-max') q.maxCount = positive(uri, name, value, 1);
    else if (name === 'queue-bytes') q.maxBytes = positive(uri, name, value, 1);
    else if (!extra.includes(name))
      throw new SinkUriError(
        `--sink ${uri}: unknown option "${name}" (known: ${[...extra, 'backoff', 'backoff-max', 'queue-max', 'queue-bytes'].join(', ')})`,
      );
  }
  q.backoffMaxMs = Math.max(q.backoffMaxMs, q.backoffMs);
  return q;
}

function syslogSpec(uri: string, scheme: string, u: URL): SinkSpec {
  const transport = scheme === 'syslog' ? (u.hostname ? 'udp' : 'unix') : scheme.slice('syslog+'.length);
  if (!['udp', 'tcp', 'tls', 'unix'].includes(transport))
    throw new SinkUriError(`--sink ${uri}: syslog transports are udp, tcp, tls (or syslog:///dev/log)`);
  const format = (u.searchParams.get('format') ?? 'rfc5424') as SyslogFormat;
  if (format !== 'rfc5424' && format !== 'cef')
    throw new SinkUriError(`--sink ${uri}: format is rfc5424 or cef, not "${format}"`);
  const facilityName = u.searchParams.get('facility') ?? 'auth';
  const facility = FACILITIES[facilityName];
  if (facility === undefined)
    throw new SinkUriError(`--sink ${uri}: facility is one of ${Object.keys(FACILITIES).join(', ')}`);
  const queue = queueOptions(uri, u.searchParams, ['format', 'facility']);
  if (transport === 'unix') {
    const socket = decodeURIComponent(u.pathname);
    if (!path.isAbsolute(socket) || socket === '/')
      throw new SinkUriError(`--sink ${uri}: name the socket, e.g. syslog:///dev/log`);
    return { kind: 'syslog', uri, transport: 'unix', host: '', port: 0, socket, format, facility, queue };
  }
  if (!u.hostname) throw new SinkUriError(`--sink ${uri}: no host`);
  const port = u.port ? Number(u.port) : transport === 'tls' ? 6514 : 514;
  return {
    kind: 'syslog',
    uri,
    transport: transport as 'udp' | 'tcp' | 'tls',
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    socket: '',
    format,
    facility,
    queue,
  };
}

function httpSpec(uri: string, kind: 'webhook' | 'falcosidekick', rest: string): SinkSpec {
  let u: URL;
  try {
    u = new URL(rest);
  } catch {
    throw new SinkUriError(`--sink ${uri}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SinkUriError(`--sink ${uri}: use ${kind}+http:// or ${kind}+https://`);
  // The receiver's own query parameters stay in its URL; only ours are read (and taken out).
  const ours = new URLSearchParams();
  for (const [name, value] of u.searchParams)
    if (['backoff', 'backoff-max', 'queue-max', 'queue-bytes'].includes(name)) ours.append(name, value);
  const timeout = u.searchParams.get('timeout');
  const queue = queueOptions(uri, ours, []);
  // Our options are ours: the receiver gets the URL without them.
  for (const name of ['backoff', 'backoff-max', 'queue-max', 'queue-bytes', 'timeout'])
    u.searchParams.delete(name);
  return {
    kind,
    uri,
    url: u.toString(),
    queue,
    timeoutMs: timeout ? positive(uri, 'timeout', timeout, 1000) : 10_000,
  };
}

export function parseSinkUri(uri: string): SinkSpec {
  if (uri === 'stdout' || uri === '-') return { kind: 'stdout', uri };
  if (uri.startsWith('file:')) {
    const rest = uri.startsWith('file://')
      ? decodeURIComponent(new URL(uri).pathname)
      : uri.slice('file:'.length);
    if (!rest)
      throw new SinkUriError(`--sink ${uri}: name the file, e.g. file:/var/log/minehunter/alerts.jsonl`);
    return { kind: 'file', uri, path: path.resolve(rest) };
  }
  const m = /^([a-z][a-z0-9+]*):/.exec(uri);
  const scheme = m?.[1] ?? '';
  if (scheme === 'webhook+http' || scheme === 'webhook+https')
    return httpSpec(uri, 'webhook', uri.slice('webhook+'.length));
  if (scheme === 'falcosidekick+http' || scheme === 'falcosidekick+https')
    return httpSpec(uri, 'falcosidekick', uri.slice('falcosidekick+'.length));
  if (scheme === 'syslog' || scheme.startsWith('syslog+')) {
    let u: URL;
    try {
      u = new URL(uri);
    } catch {
      throw new SinkUriError(`--sink ${uri}: not a URI`);
    }
    return syslogSpec(uri, scheme, u);
  }
  throw new SinkUriError(
    `--sink ${uri}: unknown sink (stdout, file:PATH, syslog+udp|tcp|tls://HOST:PORT, syslog:///dev/log, webhook+http(s)://…, falcosidekick+http(s)://…)`,
  );
}
