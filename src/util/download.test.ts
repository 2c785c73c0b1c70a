// download() against real http and https servers on 127.0.0.1, with a test CA made by openssl: the
// extra CA certificates the launchers keep from Node's start-up are trusted through
// MINEHUNTER_EXTRA_CA_CERTS, redirects are followed, the size cap and HTTP errors say so.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestCa } from '../../test/helpers/rsyslog.js';
import { DownloadError, download } from './download.js';
import { EXTRA_CA_VARIABLE, defaultCa } from './extra-ca.js';

let dir: string;
let caFile: string;
let secure: https.Server;
let plain: http.Server;
let httpsBase: string;
let httpBase: string;
const BODY = Buffer.from('a rule bundle, as far as this test knows\n');

function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/b') res.end(BODY);
  else if (req.url === '/to-https') res.writeHead(302, { location: `${httpsBase}/b` }).end();
  else if (req.url === '/loop') res.writeHead(301, { location: '/loop' }).end();
  else if (req.url === '/big') res.end(Buffer.alloc(64 * 1024));
  else res.writeHead(404).end('no');
}

const listen = async (server: http.Server | https.Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-download-'));
  const ca = await makeTestCa(dir);
  caFile = ca.ca;
  secure = https.createServer({ cert: readFileSync(ca.cert), key: readFileSync(ca.key) }, answer);
  plain = http.createServer(answer);
  httpsBase = `https://127.0.0.1:${await listen(secure)}`;
  httpBase = `http://127.0.0.1:${await listen(plain)}`;
}, 60_000);

afterAll(async () => {
  for (const s of [secure, plain]) {
    s?.closeAllConnections();
    await new Promise((resolve) => s?.close(resolve));
  }
  await rm(dir, { recursive: true, force: true });
});

// The variable as the test run found it (set when the suite runs under ./minehunter's environment).
const outerExtraCa = process.env[EXTRA_CA_VARIABLE];

afterEach(() => {
  if (outerExtraCa === undefined) delete process.env[EXTRA_CA_VARIABLE];
  else process.env[EXTRA_CA_VARIABLE] = outerExtraCa;
  vi.restoreAllMocks();
});

const limits = { maxBytes: 1024, timeoutMs: 10_000 };

describe('download', () => {
  it('trusts the CA named by MINEHUNTER_EXTRA_CA_CERTS, and without it refuses the server', async () => {
    delete process.env[EXTRA_CA_VARIABLE];
    const refused = await download(new URL(`${httpsBase}/b`), limits).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DownloadError);
    expect((refused as DownloadError).reason).toBe('network');
    expect((refused as Error).message).toMatch(/certificate/);

    process.env[EXTRA_CA_VARIABLE] = caFile;
    expect(defaultCa()?.at(-1)).toContain('-----BEGIN CERTIFICATE-----');
    expect((await download(new URL(`${httpsBase}/b`), limits)).equals(BODY)).toBe(true);
    // A redirect from http to https keeps that trust.
    expect((await download(new URL(`${httpBase}/to-https`), limits)).equals(BODY)).toBe(true);
  });

  it("warns once about an extra CA file it cannot use and goes on with Node's roots", async () => {
    const notPem = path.join(dir, 'not-a-cert.txt');
    await writeFile(notPem, 'hello\n');
    process.env[EXTRA_CA_VARIABLE] = notPem;
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(defaultCa()).toBeUndefined();
    expect(defaultCa()).toBeUndefined();
    const warned = stderr.mock.calls.map((c) => String(c[0])).join('');
    expect(warned).toContain(`ignoring the extra CA certificates in ${notPem}`);
    expect(warned).toContain('已忽略');
    expect(stderr).toHaveBeenCalledTimes(1);
    await expect(download(new URL(`${httpsBase}/b`), limits)).rejects.toThrow(/certificate/);
  });

  it('says which limit a download broke: HTTP status, size, redirects', async () => {
    const failure = (url: string): Promise<DownloadError> =>
      download(new URL(url), limits).then(
        () => Promise.reject(new Error(`${url} downloaded`)),
        (e: unknown) => e as DownloadError,
      );
    expect(await failure(`${httpBase}/missing`)).toMatchObject({ reason: 'status', status: 404 });
    expect(await failure(`${httpBase}/big`)).toMatchObject({ reason: 'too-large' });
    const loop = await failure(`${httpBase}/loop`);
    expect(loop).toMatchObject({ reason: 'network' });
    expect(loop.message).toContain('more than 20 redirects');
  });
});
