// The webhook and Falcosidekick sinks: one HTTP(S) POST of JSON per alert through the on-disk
// queue. The webhook body is the watch event as stdout prints it, plus the event id and host; the
// Falcosidekick body is Falco's alert shape (format-falco.ts). 2xx is delivered; 408, 429 and 5xx
// and network errors are retried with backoff; another 4xx means the receiver will never take it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { defaultCa } from '../../util/extra-ca.js';
import { falcoPayload } from './format-falco.js';
import { QueuedSink, RejectedError, type Transport } from './queued.js';
import type { SinkSpec } from './uri.js';
import type { AlertEnvelope, SinkContext, TlsFiles } from './types.js';

/** The webhook body: the event's own fields first, then the envelope's. */
export function webhookBody(a: AlertEnvelope): Record<string, unknown> {
  return { ...a.event, id: a.id, host: a.host, sent_at: a.time };
}

/**
 * A sink's TLS files: its own CA (--tls-ca) replaces the trusted roots, as in Node; without one,
 * Node's roots and the user's NODE_EXTRA_CA_CERTS (see util/extra-ca.ts).
 */
export function tlsOptions(tls: TlsFiles): { ca?: Buffer | string[]; cert?: Buffer; key?: Buffer } {
  const ca = tls.ca ? readFileSync(tls.ca) : defaultCa();
  return {
    ...(ca ? { ca } : {}),
    ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
    ...(tls.key ? { key: readFileSync(tls.key) } : {}),
  };
}

function post(url: URL, body: string, id: string, ctx: SinkContext, timeoutMs: number): Promise<void> {
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': `minehunter/${ctx.toolVersion}`,
          // The same alert sent again (a crash between delivery and removal) carries the same key.
          'idempotency-key': id,
        },
        timeout: timeoutMs,
        agent: false,
        ...(secure ? tlsOptions(ctx.tls) : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve();
          else if (code >= 400 && code < 500 && code !== 408 && code !== 429)
            reject(new RejectedError(`HTTP ${code} ${res.statusMessage ?? ''}`.trim()));
          else reject(new Error(`HTTP ${code} ${res.statusMessage ?? ''}`.trim()));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function httpSink(
  spec: Extract<SinkSpec, { kind: 'webhook' | 'falcosidekick' }>,
  ctx: SinkContext,
): QueuedSink {
  const url = new URL(spec.url);
  // The record on disk is the id and the body, so a retry after a restart sends the same bytes.
  const format = (a: AlertEnvelope): string =>
    JSON.stringify({
      id: a.id,
      body: spec.kind === 'falcosidekick' ? falcoPayload(a, ctx.lang) : webhookBody(a),
    });
  const transport: Transport = {
    deliver: (record) => {
      const { id, body } = JSON.parse(record) as { id: string; body: unknown };
      return post(url, JSON.stringify(body), id, ctx, spec.timeoutMs);
    },
    close: () => undefined,
  };
  return new QueuedSink(spec.uri, ctx, spec.queue, format, transport);
}
