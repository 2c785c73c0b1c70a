// The gate the checked browser's traffic goes through: same-origin requests and tunnels pass and
// reach their server, other origins and the browser's own services are refused and recorded without
// a connection being made. Servers and clients on 127.0.0.1 only.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostKey, OriginGate, type GateRefusal } from './gate.js';

let gate: OriginGate;
let gatePort: number;
let target: http.Server;
let targetPort: number;
const reached: string[] = [];
const refused: GateRefusal[] = [];

function listen(server: http.Server | net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/** A plain HTTP request through the gate, as a browser sends it to a proxy (absolute URL). */
function viaGate(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gatePort, path: url, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The gate's answer to CONNECT host:port (its status line). */
function tunnel(hostPort: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(gatePort, '127.0.0.1', () =>
      s.write(`CONNECT ${hostPort} HTTP/1.1\r\nHost: ${hostPort}\r\n\r\n`),
    );
    s.once('data', (d: Buffer) => {
      resolve(d.toString('latin1').split('\r\n')[0] ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  target = http.createServer((req, res) => {
    reached.push(req.url ?? '');
    res.end('hello');
  });
  target.on('connection', () => reached.push('connection'));
  targetPort = await listen(target);
  gate = new OriginGate();
  gate.onRefused = (r) => refused.push(r);
  gatePort = await gate.listen();
});

afterAll(async () => {
  await gate.close();
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
});

describe('OriginGate', () => {
  it('keys origins by host and port, default ports filled in', () => {
    expect(hostKey(new URL('http://Example.COM/a'))).toBe('example.com:80');
    expect(hostKey(new URL('wss://example.com/a'))).toBe('example.com:443');
    expect(hostKey(new URL('http://[::1]:8080/'))).toBe('::1:8080');
  });

  it('relays the allowed origin and refuses another port of the same host, which sees nothing', async () => {
    gate.allowed = new Set([`127.0.0.1:${targetPort}`]);
    reached.length = 0;
    refused.length = 0;
    expect(await viaGate(`http://127.0.0.1:${targetPort}/page?x=1`)).toEqual({ status: 200, body: 'hello' });
    expect(reached).toContain('/page?x=1');
    reached.length = 0;
    const other = `127.0.0.1:${targetPort === 65535 ? 1 : targetPort + 1}`;
    expect((await viaGate(`http://${other}/x`)).status).toBe(403);
    expect(await tunnel(other)).toMatch(/^HTTP\/1\.1 403/);
    expect(refused).toEqual([
      { url: `http://${other}/x`, by: 'origin' },
      { url: other, by: 'origin' },
    ]);
    expect(reached).toEqual([]);
  });

  it('opens a tunnel to the allowed origin', async () => {
    gate.allowed = new Set([`127.0.0.1:${targetPort}`]);
    expect(await tunnel(`127.0.0.1:${targetPort}`)).toBe('HTTP/1.1 200 Connection Established');
  });

  it("always refuses the browser's own services, without looking them up", async () => {
    gate.allowed = undefined;
    refused.length = 0;
    expect(await tunnel('update.googleapis.com:443')).toMatch(/403/);
    expect((await viaGate('http://accounts.google.com/ListAccounts')).status).toBe(403);
    expect(refused.map((r) => r.by)).toEqual(['browser', 'browser']);
  });
});
