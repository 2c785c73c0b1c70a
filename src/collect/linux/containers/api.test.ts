// The Engine API client over a real unix socket, answering as podman 4.3's compatible service
// answered on this machine kind (recorded), and failing as daemons fail: no socket, HTTP errors,
// garbage, an oversized answer, silence.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGet, parseInspect, parseListEntry, readApi, runtimeOfServer } from './api.js';

const ID = 'fb6a9e7e1f16edaa59cc3f3bf64aa04529f5cfd4ee3f88ce52492dd6c12a7dfd';
const OTHER = '7a96129e1b6eb6d439c3006c683d8b552c125fab019e4190467e83026e036b1f';

/** `GET /v1.41/containers/json` from `podman system service` (podman 4.3.1), trimmed. */
const PODMAN_LIST = [
  {
    Id: ID,
    Names: ['/mh-try'],
    Image: 'localhost/mh-try:1',
    ImageID: 'sha256:6464803e83b3603e1bc9f3cac35861875a205a0b172f126f0c4b0fd30c008abf',
    Command: '/bin/sleeper --donate-level 1',
    Created: 1796258473,
    Ports: [],
    Labels: {},
    State: 'running',
    Status: 'Up 22 seconds',
  },
];

/** `GET /v1.41/containers/{id}/json`, trimmed to what is read. */
const PODMAN_INSPECT = {
  Id: OTHER,
  Name: '/mh-other',
  Image: 'sha256:' + 'c'.repeat(64),
  Config: { Image: 'localhost/other:2', Labels: null },
  State: { Status: 'running', Running: true, Paused: false, Pid: 13946 },
  GraphDriver: {
    Name: 'overlay',
    Data: { MergedDir: '/var/lib/containers/storage/overlay/' + 'd'.repeat(64) + '/merged' },
  },
};

let dir: string;
const servers: http.Server[] = [];

async function serve(name: string, handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  const sock = path.join(dir, name);
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return sock;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mh-engine-api-'));
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

describe('readApi', () => {
  it('lists running containers and inspects a wanted id the list left out', async () => {
    const asked: string[] = [];
    const sock = await serve('podman.sock', (req, res) => {
      asked.push(req.url ?? '');
      res.setHeader('Server', 'Libpod/4.3.1 (linux)');
      if (req.url === '/v1.41/containers/json') return res.end(JSON.stringify(PODMAN_LIST));
      if (req.url === `/v1.41/containers/${OTHER}/json`) return res.end(JSON.stringify(PODMAN_INSPECT));
      res.statusCode = 404;
      res.end('{}');
    });
    const read = await readApi(sock, [ID, OTHER]);
    expect(read.answered).toBe(true);
    expect(read.containers).toEqual([
      {
        runtime: 'podman',
        id: ID,
        name: 'mh-try',
        image: 'localhost/mh-try:1',
        imageId: 'sha256:6464803e83b3603e1bc9f3cac35861875a205a0b172f126f0c4b0fd30c008abf',
        state: 'running',
        source: 'api',
      },
      {
        runtime: 'podman',
        id: OTHER,
        name: 'mh-other',
        image: 'localhost/other:2',
        imageId: 'sha256:' + 'c'.repeat(64),
        state: 'running',
        pid: 13946,
        mergedDir: '/var/lib/containers/storage/overlay/' + 'd'.repeat(64) + '/merged',
        source: 'api',
      },
    ]);
    // The listed id is not inspected again.
    expect(asked).toEqual(['/v1.41/containers/json', `/v1.41/containers/${OTHER}/json`]);
  });

  it('is silent about a socket that is not there', async () => {
    expect(await readApi(path.join(dir, 'absent.sock'), [ID])).toEqual({ containers: [], answered: false });
  });

  it('reports an HTTP error, garbage or an oversized answer as an error, not a crash', async () => {
    const err500 = await serve('500.sock', (_req, res) => {
      res.statusCode = 500;
      res.end('{"message":"boom"}');
    });
    expect((await readApi(err500, [ID])).error).toMatchObject({ message: 'GET containers/json: HTTP 500' });
    const garbage = await serve('garbage.sock', (_req, res) => res.end('<html>not json</html>'));
    expect((await readApi(garbage, [ID])).answered).toBe(false);
    const huge = await serve('huge.sock', (_req, res) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 20; i++) res.write(chunk);
      res.end();
    });
    const read = await readApi(huge, [ID]);
    expect(read.answered).toBe(false);
    expect(String(read.error)).toMatch(/answer over/);
  });

  it('gives up on a silent daemon within the timeout', async () => {
    const silent = await serve('silent.sock', () => undefined);
    const t0 = performance.now();
    const read = await readApi(silent, [ID], 200);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(String(read.error)).toMatch(/no answer within 200 ms/);
  });
});

describe('answers', () => {
  it('names the runtime by the Server header', () => {
    expect(runtimeOfServer('Libpod/4.3.1 (linux)')).toBe('podman');
    expect(runtimeOfServer('Docker/20.10.24 (linux)')).toBe('docker');
    expect(runtimeOfServer(undefined)).toBe('docker');
  });

  it('reads dockershim labels and refuses entries without a container id', () => {
    expect(
      parseListEntry(
        {
          Id: ID,
          Names: ['/k8s_app_web'],
          Labels: { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'shop' },
        },
        'docker',
      ),
    ).toMatchObject({ pod: 'web-1', namespace: 'shop', name: 'k8s_app_web' });
    expect(parseListEntry({ Id: 'short' }, 'docker')).toBeUndefined();
    expect(parseInspect({ Id: '../x' }, 'docker')).toBeUndefined();
  });

  it('apiGet returns status, Server header and parsed body', async () => {
    const sock = await serve('echo.sock', (req, res) => {
      res.setHeader('Server', 'Docker/24.0.7 (linux)');
      res.end(JSON.stringify({ url: req.url, host: req.headers.host }));
    });
    expect(await apiGet(sock, '/v1.41/_ping')).toEqual({
      status: 200,
      server: 'Docker/24.0.7 (linux)',
      body: { url: '/v1.41/_ping', host: 'docker' },
    });
  });
});
