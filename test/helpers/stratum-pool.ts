// A fake Stratum mining pool on 127.0.0.1 for end-to-end tests: it answers XMRig-style `login`
// requests with a job-shaped result and records every login, so a test can prove a miner talked to it.
import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** Ports real pools and their proxies listen on, in the order we try them. */
export const POOL_PORTS = [3333, 14444, 5555, 7777] as const;

export interface StratumLogin {
  login: string;
  pass: string;
  agent: string;
  /** The miner's side of the TCP connection, "127.0.0.1:PORT". */
  remote: string;
  raw: string;
}

export interface StratumPool {
  host: '127.0.0.1';
  port: number;
  /** True when every mining-pool port was busy and the pool fell back to an ephemeral port. */
  ephemeral: boolean;
  logins: StratumLogin[];
  /** Resolves with the first login (already received or future) that `match` accepts. */
  waitForLogin(match?: (login: StratumLogin) => boolean, timeoutMs?: number): Promise<StratumLogin>;
  close(): Promise<void>;
}

function listenOn(server: net.Server, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE' || err.code === 'EACCES') resolve(false);
      else reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: '127.0.0.1', port, exclusive: true });
  });
}

/** The reply a Monero pool sends to `login`: a session id and the first job. */
function loginResult(id: unknown): string {
  return (
    JSON.stringify({
      id,
      jsonrpc: '2.0',
      error: null,
      result: {
        id: randomBytes(8).toString('hex'),
        job: {
          blob: randomBytes(76).toString('hex'),
          job_id: randomBytes(4).toString('hex'),
          target: 'b88d0600',
          algo: 'rx/0',
          height: 3_100_000,
          seed_hash: randomBytes(32).toString('hex'),
        },
        extensions: ['algo', 'nicehash', 'connect', 'tls', 'keepalive'],
        status: 'OK',
      },
    }) + '\n'
  );
}

function errorReply(id: unknown, message: string): string {
  return JSON.stringify({ id, jsonrpc: '2.0', error: { code: -1, message }, result: null }) + '\n';
}

export async function startStratumPool(ports: readonly number[] = POOL_PORTS): Promise<StratumPool> {
  const logins: StratumLogin[] = [];
  const waiters = new Set<{ match: (l: StratumLogin) => boolean; resolve: (l: StratumLogin) => void }>();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A miner that dies mid-line resets the connection; that is not the pool's failure.
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      // Bound what a misbehaving client can make us hold.
      if (buffered.length > 64 * 1024) {
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) handleLine(socket, line);
      }
    });
  });

  function handleLine(socket: net.Socket, line: string): void {
    let request: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    try {
      request = JSON.parse(line) as typeof request;
    } catch {
      socket.write(errorReply(null, 'Parse error'));
      return;
    }
    if (request.method !== 'login') {
      socket.write(errorReply(request.id ?? null, `Unsupported method ${String(request.method)}`));
      return;
    }
    const params = request.params ?? {};
    const login: StratumLogin = {
      login: String(params.login ?? ''),
      pass: String(params.pass ?? ''),
      agent: String(params.agent ?? ''),
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      raw: line,
    };
    logins.push(login);
    socket.write(loginResult(request.id ?? null));
    for (const waiter of waiters) {
      if (waiter.match(login)) {
        waiters.delete(waiter);
        waiter.resolve(login);
      }
    }
  }

  let port = 0;
  let ephemeral = false;
  for (const candidate of ports) {
    if (await listenOn(server, candidate)) {
      port = candidate;
      break;
    }
  }
  if (port === 0) {
    await listenOn(server, 0);
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
    ephemeral = true;
    console.warn(
      `stratum-pool: mining-pool ports ${ports.join(', ')} are all busy; listening on ephemeral port ${port}, ` +
        'so pool-port detectors will not see a pool port in this run',
    );
  }

  return {
    host: '127.0.0.1',
    port,
    ephemeral,
    logins,
    waitForLogin(match = () => true, timeoutMs = 10_000) {
      const seen = logins.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (l: StratumLogin) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`stratum-pool on port ${port}: no matching login within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      return new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
    },
  };
}
