// A webhook receiver of the tests' own on 127.0.0.1 (node:http): records every JSON POST it
// accepts, and can be taken down for a while (503 to every request, counted) to show that the
// sender's queue delivers everything once it is back, and nothing twice.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  /** Date.now() when it arrived. */
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  /** Requests answered 503 while down. */
  refused: number;
  /** While true, every request gets 503 Service Unavailable and is not recorded. */
  down: boolean;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const state = { received: [] as Received[], refused: 0, down: false };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.down) {
        state.refused++;
        res.writeHead(503).end('down for the test\n');
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        res.writeHead(400).end('not JSON\n');
        return;
      }
      state.received.push({ at: Date.now(), path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    get received() {
      return state.received;
    },
    get refused() {
      return state.refused;
    },
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
