// The HTTP proxy on 127.0.0.1 that every request of the checked browser goes through (Chromium's
// --proxy-server, loopback included). It does two things a flag cannot:
//  - with --block-external it lets the page reach its own origin only, for every request kind at
//    once (documents, scripts, fetch, WebSockets, from the page, its frames and its workers), and
//    records each refusal, so a suspect page can be opened without talking to its pool;
//  - it always refuses the browser's own background services (component updates, account checks),
//    which Chromium still calls with every --disable flag set: a check never reaches Google.
// Allowed traffic is relayed as is: plain HTTP request by request, anything else (HTTPS, WebSocket)
// as a CONNECT tunnel whose bytes the gate never reads.
import http from 'node:http';
import net from 'node:net';

/** Hosts of Chromium's own services; a page has no business with these either. */
const BROWSER_SERVICES =
  /^(?:update\.googleapis\.com|accounts\.google\.com|clients\d*\.google\.com|clientservices\.googleapis\.com|safebrowsing\.googleapis\.com|sb-ssl\.google\.com|optimizationguide-pa\.googleapis\.com|content-autofill\.googleapis\.com|chromewebstore\.googleapis\.com|android\.clients\.google\.com|mtalk\.google\.com|[\w-]+-pa\.googleapis\.com|[\w.-]+\.gvt[12]\.com|dl\.google\.com)$/i;

/** A refused request: its URL (host:port for a tunnel, whose scheme the gate cannot see) and why. */
export interface GateRefusal {
  url: string;
  by: 'origin' | 'browser';
}

/** Marks the gate's own 502 answer, so a page that could not be reached is not judged as loaded. */
export const UNREACHABLE_HEADER = 'x-minehunter-unreachable';

const bare = (host: string): string => host.replace(/^\[(.*)\]$/, '$1');

/** host:port with the scheme's default port filled in, lower case: what an origin is compared by. */
export function hostKey(url: URL): string {
  const port = url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80');
  return `${bare(url.hostname).toLowerCase()}:${port}`;
}

export class OriginGate {
  /** host:port keys the page may reach; undefined lets everything through but browser services. */
  allowed: Set<string> | undefined;
  onRefused: (r: GateRefusal) => void = () => undefined;
  /**
   * Servers the gate could not reach, by host:port, with the reason (ECONNREFUSED, ENOTFOUND…):
   * the browser only sees a bad gateway, a report should say why a page did not load.
   */
  readonly unreachable = new Map<string, string>();
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor() {
    this.server = http.createServer((req, res) => this.relay(req, res));
    this.server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
      this.tunnel(req, socket, head),
    );
    this.server.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Undefined when the request may pass, else why it may not. */
  private refusal(hostname: string, key: string): GateRefusal['by'] | undefined {
    if (BROWSER_SERVICES.test(bare(hostname))) return 'browser';
    if (this.allowed && !this.allowed.has(key.toLowerCase())) return 'origin';
    return undefined;
  }

  private relay(req: http.IncomingMessage, res: http.ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const by = this.refusal(url.hostname, hostKey(url));
    if (by) {
      this.onRefused({ url: url.href, by });
      res.writeHead(403, { 'content-type': 'text/plain' }).end('refused by minehunter\n');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = http.request(
      {
        host: bare(url.hostname),
        port: url.port || 80,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.rawHeaders);
        up.pipe(res);
      },
    );
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      this.unreachable.set(hostKey(url), err.code ?? err.message);
      if (!res.headersSent) res.writeHead(502, { [UNREACHABLE_HEADER]: err.code ?? 'error' });
      res.end();
    });
    req.pipe(upstream);
  }

  private tunnel(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '';
    const at = target.lastIndexOf(':');
    const host = at > 0 ? target.slice(0, at) : target;
    const port = Number(at > 0 ? target.slice(at + 1) : 443);
    const by = this.refusal(host, `${bare(host)}:${port}`);
    if (by || !Number.isInteger(port) || port <= 0 || port > 65535) {
      this.onRefused({ url: target, by: by ?? 'origin' });
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const upstream = net.connect(port, bare(host), () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      this.unreachable.set(`${bare(host)}:${port}`.toLowerCase(), err.code ?? err.message);
      // Before the tunnel is up the browser gets a refusal; after, the connection just ends.
      if (upstream.connecting) socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
    socket.on('close', () => upstream.destroy());
  }
}
