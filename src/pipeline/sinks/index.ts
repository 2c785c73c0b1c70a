// The sinks of one watcher, built from the `--sink` URIs: each alert goes to every sink (fan-out),
// the sinks run independently (one down never delays another), and their condition is summed up
// in one health line for watch's stderr. Network sinks load their modules only when named.
import type { WatchEvent } from '../watch-state.js';
import { envelopeOf, redact, type Sink, type SinkContext, type SinkHealth } from './types.js';
import { fileSink, stdoutSink } from './lines.js';
import type { SinkSpec } from './uri.js';

export { parseSinkUri, SinkUriError, type SinkSpec } from './uri.js';
export type { SinkContext, SinkHealth } from './types.js';

export interface SinkSet {
  /** Hands the events to every sink, in order; resolves once each sink has taken (or queued) them. */
  send(events: readonly WatchEvent[]): Promise<void>;
  health(): SinkHealth[];
  /** One line: "stdout ok 3; webhook+http://… 2 sent, 1 queued, failing: HTTP 503". */
  healthLine(): string;
  close(ms?: number): Promise<void>;
}

async function build(spec: SinkSpec, ctx: SinkContext): Promise<Sink> {
  switch (spec.kind) {
    case 'stdout':
      return stdoutSink(ctx);
    case 'file':
      return fileSink(spec.path, ctx);
    case 'syslog':
      return (await import('./syslog.js')).syslogSink(spec, ctx);
    default:
      return (await import('./http.js')).httpSink(spec, ctx);
  }
}

function describeHealth(h: SinkHealth): string {
  const parts = [`${h.sent} sent`];
  if (h.queued) parts.push(`${h.queued} queued`);
  if (h.dropped) parts.push(`${h.dropped} dropped`);
  if (h.failed) parts.push(`${h.failed} failed`);
  return `${redact(h.name)} ${parts.join(', ')}${h.error ? `, failing: ${h.error}` : ''}`;
}

export async function createSinks(
  specs: readonly SinkSpec[],
  ctx: SinkContext,
  now = () => new Date(),
): Promise<SinkSet> {
  const sinks = await Promise.all(
    (specs.length > 0 ? specs : [{ kind: 'stdout', uri: 'stdout' } as const]).map((s) => build(s, ctx)),
  );
  return {
    async send(events) {
      for (const event of events) {
        const alert = envelopeOf(event, ctx.host, now());
        await Promise.all(sinks.map((s) => s.send(alert)));
      }
    },
    health: () => sinks.map((s) => s.health()),
    healthLine: () => sinks.map((s) => describeHealth(s.health())).join('; '),
    close: async (ms) => {
      await Promise.all(sinks.map((s) => s.close(ms)));
    },
  };
}
