// The webhook sink's on-disk queue against a real HTTP server on 127.0.0.1: while the receiver
// answers 503 alerts wait on disk (and survive a restart of the sender); once it is back each is
// delivered once, in order; the bounds drop the oldest and count them; a 4xx drops one alert, not
// the queue; a failing sink never throws into the watcher.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../watch-state.js';
import { httpSink } from './http.js';
import { createSinks } from './index.js';
import { DiskQueue } from './queue.js';
import { envelopeOf, type SinkContext } from './types.js';
import { parseSinkUri } from './uri.js';

let dir = '';
let server: http.Server;
let url = '';
let status = 200;
let got: { key: string; body: { fingerprint: string; id: string } }[] = [];
const notes: string[] = [];

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-sinks-'));
  got = [];
  status = 200;
  notes.length = 0;
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (status === 200)
        got.push({
          key: String(req.headers['idempotency-key']),
          body: JSON.parse(text) as { fingerprint: string; id: string },
        });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (): SinkContext => ({
  queueDir: path.join(dir, 'queue'),
  tls: {},
  lang: 'en',
  host: 'h',
  toolVersion: '0.0.0',
  note: (t) => notes.push(t),
});
const resolved = (fp: string): WatchEvent => ({
  event: 'resolved',
  fingerprint: fp,
  ruleId: 'r',
  first_seen: 'a',
  last_seen: 'b',
  at: 'c',
});
const until = async (test: () => boolean) => {
  for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(test()).toBe(true);
};

describe('webhook queue', () => {
  it('keeps alerts on disk while the receiver is down, across a restart, and delivers each once in order', async () => {
    status = 503;
    const spec = parseSinkUri(`webhook+${url}?backoff=0.05&backoff-max=0.1`) as Extract<
      ReturnType<typeof parseSinkUri>,
      { kind: 'webhook' }
    >;
    const first = httpSink(spec, ctx());
    for (const fp of ['a', 'b', 'c']) await first.send(envelopeOf(resolved(fp), 'h', new Date()));
    await until(() => first.health().failed >= 2);
    expect(first.health()).toMatchObject({ sent: 0, queued: 3, error: 'HTTP 503 Service Unavailable' });
    expect(notes.join('\n')).toMatch(/HTTP 503 Service Unavailable; 3 queued, retrying/);
    await first.close(0);

    const second = httpSink(spec, ctx());
    status = 200;
    await second.send(envelopeOf(resolved('d'), 'h', new Date()));
    await until(() => second.health().queued === 0);
    expect(got.map((g) => g.body.fingerprint)).toEqual(['a', 'b', 'c', 'd']);
    expect(got.map((g) => g.key)).toEqual(got.map((g) => g.body.id));
    expect(second.health()).toMatchObject({ sent: 4, queued: 0 });
    expect(second.health().error).toBeUndefined();
    await second.close();
  });

  it('drops a rejected alert (4xx) and goes on with the next', async () => {
    status = 400;
    const sink = httpSink(parseSinkUri(`webhook+${url}`) as never, ctx());
    await sink.send(envelopeOf(resolved('bad'), 'h', new Date()));
    await until(() => sink.health().queued === 0);
    expect(notes.join('\n')).toMatch(/rejected and dropped: HTTP 400/);
    status = 200;
    await sink.send(envelopeOf(resolved('good'), 'h', new Date()));
    await until(() => got.length === 1);
    expect(got[0]!.body.fingerprint).toBe('good');
    await sink.close();
  });

  it('bounds the queue by count and bytes, dropping the oldest and counting them', () => {
    const q = new DiskQueue(path.join(dir, 'q'), { maxCount: 3, maxBytes: 1000 });
    for (let i = 0; i < 5; i++) q.push(`record ${i}`);
    expect(q.length).toBe(3);
    expect(q.dropped).toBe(2);
    expect(q.peek()?.record).toBe('record 2');
    q.push('x'.repeat(990));
    // 3 × 8 + 990 bytes is over 1000: the two oldest go.
    expect(q.length).toBe(2);
    expect(q.dropped).toBe(4);
    // A restart finds what is left, in order, and numbers on after it.
    const again = new DiskQueue(path.join(dir, 'q'), { maxCount: 3, maxBytes: 10_000 });
    again.push('after');
    expect(again.length).toBe(3);
    expect(readdirSync(path.join(dir, 'q')).filter((n) => n.endsWith('.rec'))).toHaveLength(3);
    expect(again.peek()?.record).toBe('record 4');
  });
});

describe('sink fan-out', () => {
  it('keeps sending to the working sinks when one cannot be reached, and says so in the health line', async () => {
    const out = path.join(dir, 'alerts.jsonl');
    const sinks = await createSinks(
      [parseSinkUri('syslog+tcp://127.0.0.1:1?backoff=5'), parseSinkUri(`file:${out}`)],
      ctx(),
    );
    await sinks.send([resolved('a'), resolved('b')]);
    await until(() => /failing: .*ECONNREFUSED/.test(sinks.healthLine()));
    expect(sinks.healthLine()).toMatch(
      /^syslog\+tcp:\/\/127\.0\.0\.1:1\?backoff=5 0 sent, 2 queued, \d+ failed, failing: .*ECONNREFUSED.*; file:.* 2 sent$/,
    );
    await sinks.close(0);
  });
});
