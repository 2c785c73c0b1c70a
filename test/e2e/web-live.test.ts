// End-to-end: `minehunter web` (the built CLI, a real headless Chromium) on the project's own harmless
// look-alike pages, served on 127.0.0.1 by this file: a page whose script compiles a tiny WebAssembly
// module exporting cryptonight_hash, starts a worker that compiles another and spins for a few
// seconds, and talks the CoinHive protocol to a fake pool of ours; a Stratum-over-WebSocket variant;
// a page loading a CoinHive-style snippet; clean pages; and a page that reaches for another origin
// (a second server on 127.0.0.2), which --block-external must refuse before it is ever reached.
// The first check is also saved as a snapshot (--save-snapshot), which `report --snapshot` and
// `evidence --snapshot` turn into the §5 report and the evidence bundle without a browser.
// Nothing computes a hash, and no host outside loopback is contacted.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  judgePage,
  minerMessages,
  type PageObservation,
  type WebSocketSeen,
} from '../../src/detect/web-live.js';
import { renderWebText, type WebReport } from '../../src/report/render-web.js';
import { b64 as base64, obfuscateStrings } from '../../src/engine/web-normalise/test-helpers.js';
import type { BundleManifest } from '../../src/evidence/bundle.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { ensureBuilt, runCli, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

const HAVE_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].some((p) => existsSync(p));

/** A minimal WebAssembly module: one function `() -> i32` exported under `name` (no hashing in it). */
function wasmModule(name: string): Buffer {
  const n = Buffer.from(name);
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  return Buffer.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, n.length, ...n, 0x00, 0]),
    ...section(10, [1, 4, 0, 0x41, 0, 0x0b]),
  ]);
}
const PAGE_WASM = wasmModule('cryptonight_hash');
const WORKER_WASM = wasmModule('cn_slow_hash');
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/**
 * A CoinHive-style call hidden as sites get it appended to their main.js: base64 run through
 * window.Function and window.atob, every string in a hex-escaped, rotated string array. It does
 * nothing when run (no CoinHive library is ever loaded) and names no host.
 */
const HIDDEN_CALL =
  "if (window.CoinHive) { var m = new CoinHive.Anonymous('minehunter-test-key', { throttle: 0.3 }); m.start(); }";
const MAIN_JS =
  "document.documentElement.dataset.ready = 'yes';\n" +
  obfuscateStrings(`;(function(){var w=window;w['Function'](w['atob']('${base64(HIDDEN_CALL)}'))();})();`, {
    style: 'checksum',
    rotation: 3,
  }) +
  '\n';

// ---- A WebSocket server over node:http's upgrade, enough for a browser's small text frames ----

type Send = (text: string) => void;

function acceptWebSocket(
  req: http.IncomingMessage,
  socket: net.Socket,
  onText: (text: string, send: Send) => void,
) {
  const accept = createHash('sha1')
    .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const send: Send = (text) => {
    const p = Buffer.from(text);
    const head =
      p.length < 126
        ? Buffer.from([0x81, p.length])
        : Buffer.from([0x81, 126, p.length >> 8, p.length & 255]);
    socket.write(Buffer.concat([head, p]));
  };
  let buf = Buffer.alloc(0);
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2) {
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        len = buf.readUInt16BE(2);
        at = 4;
      }
      const mask = buf.subarray(at, at + 4);
      at += 4;
      if (buf.length < at + len) return;
      const payload = Buffer.from(buf.subarray(at, at + len)).map((b, i) => b ^ mask[i & 3]!);
      buf = buf.subarray(at + len);
      if (opcode === 8) return void socket.end();
      if (opcode === 1) onText(Buffer.from(payload).toString('utf8'), send);
    }
  });
}

/** The fake pool: CoinHive's auth/job/submit on /proxy, Stratum's login/job/submit on /stratum. */
function fakePool(received: string[]): http.Server {
  const blob = '0707'.repeat(38);
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) =>
    acceptWebSocket(req, socket, (text, send) => {
      received.push(text);
      const m = JSON.parse(text) as { id?: number; type?: string; method?: string };
      if (m.type === 'auth') {
        send(JSON.stringify({ type: 'authed', params: { token: '', hashes: 0 } }));
        send(JSON.stringify({ type: 'job', params: { job_id: 'c1', blob, target: 'b88d0600' } }));
      } else if (m.type === 'submit')
        send(JSON.stringify({ type: 'hash_accepted', params: { hashes: 256 } }));
      else if (m.method === 'login') {
        send(
          JSON.stringify({
            id: m.id,
            jsonrpc: '2.0',
            error: null,
            result: { id: 'test-session', job: { blob, job_id: 's1', target: 'b88d0600' }, status: 'OK' },
          }),
        );
        send(
          JSON.stringify({
            jsonrpc: '2.0',
            method: 'job',
            params: { blob, job_id: 's2', target: 'b88d0600' },
          }),
        );
      } else if (m.method === 'submit')
        send(JSON.stringify({ id: m.id, jsonrpc: '2.0', error: null, result: { status: 'OK' } }));
    }),
  );
  return server;
}

// ---- The look-alike site ----

const b64 = (b: Buffer) => b.toString('base64');

function sitePages(poolPort: number, other: string): Record<string, string> {
  const js = (...lines: string[]) => `${lines.join('\n')}\n`;
  return {
    '/infected.html':
      '<!doctype html><title>infected look-alike</title><script src="/js/main.js"></script>' +
      '<script src="/js/loader.js"></script>',
    '/js/main.js': MAIN_JS,
    '/js/loader.js': js(
      '// minehunter test look-alike: the shapes of a browser miner, computing nothing.',
      `const core = Uint8Array.from(atob('${b64(PAGE_WASM)}'), (c) => c.charCodeAt(0));`,
      'WebAssembly.instantiate(core);',
      "new Worker('/js/worker.js');",
      `const ws = new WebSocket('ws://127.0.0.1:${poolPort}/proxy');`,
      "ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', params: { site_key: 'minehunter-test-key', type: 'anonymous', user: null } }));",
      'ws.onmessage = (e) => {',
      '  const m = JSON.parse(e.data);',
      "  if (m.type === 'job') ws.send(JSON.stringify({ type: 'submit', params: { job_id: m.params.job_id, nonce: '00000000', result: '00'.repeat(32) } }));",
      '};',
    ),
    '/js/worker.js': js(
      '// minehunter test look-alike worker: compiles a stub module, then only spins.',
      `WebAssembly.compile(Uint8Array.from(atob('${b64(WORKER_WASM)}'), (c) => c.charCodeAt(0))).then(() => {`,
      '  const end = Date.now() + 8000;',
      '  while (Date.now() < end) {}',
      '});',
    ),
    '/stratum.html':
      '<!doctype html><title>stratum look-alike</title>' +
      '<script src="/js/stratum.js"></script><script src="/js/snippet.js"></script>',
    '/js/stratum.js': js(
      '// minehunter test look-alike: Stratum JSON-RPC over a WebSocket, computing nothing.',
      `const ws = new WebSocket('ws://127.0.0.1:${poolPort}/stratum');`,
      "ws.onopen = () => ws.send(JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'login', params: { login: 'minehunter-test-wallet', pass: 'x', agent: 'minehunter-test/1.0' } }));",
      'ws.onmessage = (e) => {',
      '  const m = JSON.parse(e.data);',
      "  if (m.method === 'job') ws.send(JSON.stringify({ id: 2, jsonrpc: '2.0', method: 'submit', params: { id: 'test-session', job_id: m.params.job_id, nonce: '00000000', result: '00'.repeat(32) } }));",
      '};',
    ),
    '/js/snippet.js': js(
      '// minehunter test look-alike: a CoinHive-style snippet whose library is never loaded.',
      "if (window.CoinHive) { const miner = new CoinHive.Anonymous('minehunter-test-key', { throttle: 0.3 }); miner.start(); }",
    ),
    '/clean.html':
      '<!doctype html><title>clean</title><p id="year"></p><a href="/about.html">about</a> ' +
      `<a href="${other}/offsite.html">elsewhere</a><script src="/js/app.js"></script>`,
    '/about.html': '<!doctype html><title>about</title><p>A static page.</p><a href="/clean.html">home</a>',
    '/js/app.js': "document.getElementById('year').textContent = String(new Date().getFullYear());\n",
    '/external.html':
      `<!doctype html><title>reaches out</title><img src="${other}/pixel.png">` +
      `<script>fetch('${other}/x').catch(() => {}); try { new WebSocket('${other.replace('http', 'ws')}/ws'); } catch (e) {}</script>`,
  };
}

function serve(server: http.Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

const poolReceived: string[] = [];
const otherConnections: string[] = [];
const pool = fakePool(poolReceived);
const site = http.createServer();
const other = http.createServer((req, res) => res.writeHead(204).end());
let base = '';
let otherBase = '';
let pages: Record<string, string> = {};
/** The first test's report, which the text test renders in Chinese. */
let lastReport: WebReport | undefined;
/** Where the first check saves its snapshot, and the report/evidence outputs go. */
let tmp = '';
let savedSnapshot = '';

beforeAll(async () => {
  await ensureBuilt();
  tmp = await makeTempDir('minehunter-web-live-');
  savedSnapshot = path.join(tmp, 'page.json');
  const poolPort = await serve(pool, '127.0.0.1');
  // Another origin on loopback: 127.0.0.2 where the kernel routes it, else another port.
  let otherHost = '127.0.0.2';
  const otherPort = await serve(other, otherHost).catch(() => serve(other, (otherHost = '127.0.0.1')));
  other.on('connection', (s: net.Socket) => otherConnections.push(`${s.remoteAddress}:${s.remotePort}`));
  other.on('upgrade', (_req, s: net.Socket) => s.destroy());
  otherBase = `http://${otherHost}:${otherPort}`;
  pages = sitePages(poolPort, otherBase);
  site.on('request', (req, res) => {
    const body = pages[(req.url ?? '').split('?')[0]!];
    if (body === undefined) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': req.url!.endsWith('.js') ? 'text/javascript' : 'text/html' })
      .end(body);
  });
  base = `http://127.0.0.1:${await serve(site, '127.0.0.1')}`;
}, 120_000);

afterAll(async () => {
  for (const s of [pool, site, other]) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

function parse(stdout: string, stderr: string): WebReport {
  try {
    return JSON.parse(stdout) as WebReport;
  } catch (cause) {
    throw new Error(`not a JSON report:\n${stdout.slice(0, 2000)}\nstderr:\n${stderr}`, { cause });
  }
}

describe.skipIf(!HAVE_CHROMIUM)('minehunter web (headless Chromium on look-alike pages)', () => {
  it('reports the miner WebSocket, its frames, the WebAssembly hashes and the CPU; clean pages are clean; --crawl stays on the origin', async () => {
    otherConnections.length = 0;
    const urls = ['infected.html', 'stratum.html', 'clean.html', 'external.html'];
    const r = await runCli([
      'web',
      ...urls.map((p) => `${base}/${p}`),
      '--crawl',
      '1',
      '--format',
      'json',
      '--cpu-window',
      '1500',
      '--timeout',
      '6000',
      '--save-snapshot',
      savedSnapshot,
    ]);
    const report = parse(r.stdout, r.stderr);
    expect(r.code, r.stderr).toBe(1);
    // Breadth first per URL given: clean.html's same-origin link is followed, its offsite one is not.
    expect(report.pages.map((p) => [p.url.replace(base, ''), p.observation.depth])).toEqual([
      ['/infected.html', 0],
      ['/stratum.html', 0],
      ['/clean.html', 0],
      ['/about.html', 1],
      ['/external.html', 0],
    ]);
    const [infected, stratum, clean, about, external] = report.pages;
    lastReport = report;

    expect(infected!.status).toBe('infected');
    const o = infected!.observation;
    expect(o.sockets.map((s) => s.url)).toContain(pages['/js/loader.js']!.match(/ws:\/\/[^']+/)![0]);
    const frames = infected!.minerFrames.map((f) => `${f.dir} ${f.protocol} ${f.message}`);
    expect(frames).toEqual(
      expect.arrayContaining(['sent coinhive auth', 'received coinhive job', 'sent coinhive submit']),
    );
    const wasm = new Map(o.wasm.map((m) => [m.sha256, m]));
    expect(wasm.get(sha256(PAGE_WASM))?.exports).toEqual([{ name: 'cryptonight_hash', kind: 'function' }]);
    expect(wasm.get(sha256(PAGE_WASM))?.matches.map((m) => m.rule)).toContain(
      'MH_Web_Wasm_CryptoNight_Module',
    );
    // The worker's module, compiled before the check could put a hook into it.
    expect(wasm.get(sha256(WORKER_WASM))?.scope).toBe('worker');
    expect(o.workers.map((w) => w.url)).toContain(`${base}/js/worker.js`);
    expect(o.cpu.windowMs).toBeGreaterThanOrEqual(1400);
    expect(o.cpu.cpuMs).toBeGreaterThan(o.cpu.windowMs * 0.25);
    expect(infected!.findings.map((f) => `${f.level} ${f.ruleId} ${f.kind}`)).toEqual(
      expect.arrayContaining([
        'critical web-live-miner-protocol web-script',
        'high web-live-wasm-miner web-script',
      ]),
    );
    // The loader hidden in main.js is matched as decoded, and the excerpt shows the call.
    const main = o.scripts.find((s) => s.url === `${base}/js/main.js`);
    expect(main?.sha256).toBe(sha256(MAIN_JS));
    expect(main?.matches.find((m) => m.rule === 'MH_Web_CoinHive')?.decodedExcerpt).toContain(
      "new CoinHive.Anonymous('minehunter-test-key'",
    );
    // The pool of ours really was talked to, shares and all.
    expect(poolReceived.some((m) => m.includes('"submit"'))).toBe(true);

    expect(stratum!.status).toBe('infected');
    expect(stratum!.minerFrames.map((f) => `${f.dir} ${f.protocol} ${f.message}`)).toEqual(
      expect.arrayContaining(['sent stratum login', 'received stratum job', 'sent stratum submit']),
    );

    // The same page loads a CoinHive-style snippet: the script, its hash and its rule are named.
    const snippet = stratum!.observation.scripts.find((s) => s.url === `${base}/js/snippet.js`);
    expect(snippet?.sha256).toBe(sha256(pages['/js/snippet.js']!));
    expect(snippet?.matches.map((m) => m.rule)).toContain('MH_Web_CoinHive');
    expect(stratum!.findings.map((f) => f.ruleId).sort()).toEqual([
      'web-live-miner-protocol',
      'web-live-script-rule',
    ]);

    for (const page of [clean!, about!, external!]) {
      expect(page.status, page.url).toBe('clean');
      expect(page.findings).toEqual([]);
      expect(page.observation.sockets.filter((s) => s.url.includes('127.0.0.1'))).toEqual([]);
    }
    const app = clean!.observation.scripts.find((s) => s.url === `${base}/js/app.js`);
    expect(app).toMatchObject({ sha256: sha256(pages['/js/app.js']!), matches: [] });
    // The control for --block-external below: allowed to, the page does reach the other origin.
    expect(otherConnections.length).toBeGreaterThan(0);

    // Nothing beyond the test's own servers: the browser's own services were refused at the gate.
    for (const p of report.pages) {
      expect(p.observation.blocked.filter((b) => b.by === 'origin')).toEqual([]);
      for (const s of [...p.observation.scripts, ...p.observation.sockets])
        expect(s.url).toMatch(/^(?:https?|wss?):\/\/127\.0\.0\.[12]:/);
    }
    console.log(
      `web live check: browser start ${report.browser.startMs} ms, ${report.summary.msPerPage} ms per page ` +
        `(1500 ms CPU window, ${report.pages.length} pages, Chromium ${report.browser.version})`,
    );
    expect(Math.max(...report.pages.map((p) => p.observation.durationMs))).toBeLessThan(6000 + 1000);
  }, 60_000);

  it('prints the endpoint, the frames, the module hash and the CPU as text, in English and Chinese', async () => {
    const en = await runCli(['web', `${base}/infected.html`, '--cpu-window', '1000', '--lang', 'en']);
    expect(en.code, en.stderr).toBe(1);
    expect(en.stdout).toContain('— INFECTED');
    expect(en.stdout).toMatch(/ws:\/\/127\.0\.0\.1:\d+\/proxy {2}HTTP 101/);
    expect(en.stdout).toMatch(/miner protocol: → auth \(coinhive\)/);
    expect(en.stdout).toContain(`sha256 ${sha256(PAGE_WASM)}`);
    expect(en.stdout).toMatch(/CPU: \d+ ms over \d+ ms/);
    expect(en.stdout).toContain('What to do, in order');
    // The Chinese text of the same renderer, over the report of the first test.
    expect(lastReport).toBeDefined();
    const zh = renderWebText(lastReport!, { lang: 'zh-CN', color: false });
    expect(zh).toContain('— 已感染');
    expect(zh).toContain('— 未发现威胁');
    expect(zh).toMatch(/挖矿协议：→ auth \(coinhive\)/);
    expect(zh).toMatch(/CPU：\d+ 毫秒内使用/);
  }, 60_000);

  it('the saved check gives the §5 report and the evidence bundle: page, socket, script, decoded excerpt, playbook', async () => {
    // No browser here: everything comes from the snapshot the first test saved.
    const snap = JSON.parse(await readFile(savedSnapshot, 'utf8')) as Snapshot;
    expect(snap.target).toMatchObject({ kind: 'web-page', root: `${base}/infected.html`, live: false });
    expect(snap.page?.pages.map((p) => p.url.replace(base, ''))).toEqual([
      '/infected.html',
      '/stratum.html',
      '/clean.html',
      '/about.html',
      '/external.html',
    ]);
    const socketUrl = pages['/js/loader.js']!.match(/ws:\/\/[^']+/)![0];

    const md = await runCli(['report', '--snapshot', savedSnapshot, '--no-prompt', '--lang', 'en']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain(`Scope: live web pages from ${base}/infected.html`);
    expect(md.stdout).toContain('**INFECTED**');
    expect(md.stdout).toContain('### Web pages checked live');
    for (const text of [
      `${base}/infected.html`,
      `${base}/stratum.html`,
      `WebSocket \` ${socketUrl} \``,
      'coinhive mining messages: → auth',
      `sha256 \` ${sha256(PAGE_WASM)} \``,
      `script \` ${base}/js/main.js \` sha256 \` ${sha256(MAIN_JS)} \``,
      `script \` ${base}/js/snippet.js \``,
      "new CoinHive.Anonymous('minehunter-test-key'",
      // The web-script playbook, from its first step.
      'What to do, in order: web-page script miner',
      'Take the page offline or put it in maintenance mode',
    ])
      expect(md.stdout, text).toContain(text);
    expect(md.stdout).toMatch(/decoded \(js-string-array[^)]*\): ` .*CoinHive\.Anonymous/);
    // The pool is one of the related addresses.
    expect(md.stdout).toMatch(/\*\*Related IP addresses\*\*: .*127\.0\.0\.1/);
    // Clean pages are not listed among the pages the findings name.
    expect(md.stdout).not.toContain(`${base}/clean.html`);

    const html = await runCli(['report', '--snapshot', savedSnapshot, '--no-prompt', '--format', 'html']);
    expect(html.code, html.stderr).toBe(0);
    expect(html.stdout).toContain(`WebSocket <code>${socketUrl}</code>`);

    const bundle = path.join(tmp, 'case');
    const ev = await runCli(['evidence', '--snapshot', savedSnapshot, '-o', bundle]);
    expect(ev.code, ev.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(bundle, 'manifest.json'), 'utf8')) as BundleManifest;
    // A page check read no host: no logs, histories or samples of the analyst's machine.
    expect(manifest.files.map((f) => f.name)).toEqual(['pages/hashes.txt', 'report.json', 'snapshot.json']);
    expect(manifest.samples).toBeUndefined();
    const hashes = await readFile(path.join(bundle, 'pages/hashes.txt'), 'utf8');
    expect(hashes).toContain(`${sha256(MAIN_JS)}  ${base}/js/main.js`);
    expect(hashes).toContain(sha256(PAGE_WASM));
    const bundled = JSON.parse(await readFile(path.join(bundle, 'report.json'), 'utf8')) as ReportJson;
    const live = bundled.findings.filter((f) => f.ruleId === 'web-live-page');
    expect(live.every((f) => f.kind === 'web-script')).toBe(true);
    expect(live.map((f) => `${f.messageId} ${String(f.data?.page).replace(base, '')}`)).toEqual(
      expect.arrayContaining([
        'protocol /infected.html',
        'wasm /infected.html',
        'script /infected.html',
        'protocol /stratum.html',
        'script /stratum.html',
      ]),
    );
    // Miner frames both ways are critical; the rule matches are at their rules' levels (high or above).
    for (const f of live) expect(['critical', 'high'], `${f.messageId} ${f.level}`).toContain(f.level);
    expect(live.filter((f) => f.messageId === 'protocol').map((f) => f.level)).toEqual([
      'critical',
      'critical',
    ]);
    const evidence = live.flatMap((f) => f.evidence.flatMap((e) => (e.type === 'match' ? [e.field] : [])));
    expect(evidence).toEqual(
      expect.arrayContaining(['page', 'websocket', 'script', 'sha256', 'wasm sha256']),
    );
    // The report of the bundle names the same page and socket.
    const fromBundle = await runCli(['report', '--evidence', bundle, '--no-prompt', '--lang', 'zh-CN']);
    expect(fromBundle.code, fromBundle.stderr).toBe(0);
    expect(fromBundle.stdout).toContain('### 实时检查的网页');
    expect(fromBundle.stdout).toContain(socketUrl);
    expect(fromBundle.stdout).toContain('pages/hashes.txt');

    // The clean pages alone (as `web clean.html --crawl 1 --save-snapshot` saves them): a clean report.
    const cleanSnap: Snapshot = {
      ...snap,
      target: { ...snap.target, root: `${base}/clean.html` },
      page: {
        ...snap.page!,
        urls: [`${base}/clean.html`],
        pages: snap.page!.pages.filter((p) => /\/(?:clean|about)\.html$/.test(p.url)),
      },
    };
    const cleanFile = path.join(tmp, 'clean.json');
    await writeFile(cleanFile, JSON.stringify(cleanSnap));
    const clean = await runCli(['report', '--snapshot', cleanFile, '--no-prompt', '--lang', 'en']);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('**CLEAN**');
    expect(clean.stdout).not.toContain('Web pages checked live');
    expect(clean.stdout).not.toContain('What to do, in order');
  }, 60_000);

  it('--block-external refuses and lists every request to another origin, which never sees one', async () => {
    otherConnections.length = 0;
    // A port nothing listens on: the page there cannot be checked, which is not "clean".
    const closed = http.createServer();
    const closedPort = await serve(closed, '127.0.0.1');
    await new Promise((r) => closed.close(r));
    const r = await runCli([
      'web',
      `${base}/external.html`,
      `http://127.0.0.1:${closedPort}/`,
      '--block-external',
      '--format',
      'json',
      '--cpu-window',
      '500',
    ]);
    const report = parse(r.stdout, r.stderr);
    expect(r.code, r.stderr).toBe(0);
    const page = report.pages[0]!;
    expect(report.options.blockExternal).toBe(true);
    expect(page.status).toBe('clean');
    const refused = page.observation.blocked.filter((b) => b.by === 'origin').map((b) => b.url);
    expect(refused).toEqual(expect.arrayContaining([`${otherBase}/x`, `${otherBase}/pixel.png`]));
    // The WebSocket goes out as a tunnel, refused before it is opened.
    expect(refused).toContain(otherBase.replace('http://', ''));
    expect(otherConnections).toEqual([]);
    expect(report.pages[1]).toMatchObject({ status: 'incomplete', findings: [] });
    expect(report.pages[1]!.observation.error).toContain('ECONNREFUSED');
  }, 60_000);

  it('says how to install Chromium when it is missing, and refuses a URL that is not http(s)', async () => {
    const [missing, ftp] = await Promise.all([
      runCli(['web', `${base}/clean.html`, '--browser', '/nonexistent/chromium']),
      runCli(['web', 'ftp://127.0.0.1/x']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('apt-get install chromium');
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain('only http and https');
  });
});

// The judgement itself is pure: these cases need no browser.
describe('judging a page observation', () => {
  const observation = (over: Partial<PageObservation> = {}): PageObservation => ({
    url: 'http://127.0.0.1:8080/',
    depth: 0,
    loaded: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1000,
    requests: 1,
    scripts: [],
    sockets: [],
    wasm: [],
    workers: [],
    cpu: { windowMs: 5000, mainThreadMs: 10, workerMs: 0, cpuMs: 10 },
    blocked: [],
    ...over,
  });
  const socket = (...texts: string[]): WebSocketSeen => ({
    url: 'wss://chat.example/ws',
    scope: 'page',
    sent: texts.length,
    received: 0,
    frames: texts.map((text) => ({ dir: 'sent' as const, opcode: 1, text, size: text.length, atMs: 1 })),
  });

  it('needs the fields a miner sends, not just a message type', () => {
    expect(minerMessages('{"type":"auth","params":{"token":"chat-session"}}')).toEqual([]);
    expect(minerMessages('{"type":"job","params":{"title":"Engineer"}}')).toEqual([]);
    expect(minerMessages('{"method":"login","params":{"user":"x"}}')).toEqual([]);
    expect(minerMessages('{"type":"auth","params":{"site_key":"k","type":"anonymous"}}')).toEqual([
      { protocol: 'coinhive', message: 'auth' },
    ]);
    // Stratum may put several messages in one frame, one per line.
    expect(
      minerMessages(
        '{"id":1,"method":"mining.subscribe","params":[]}\n{"id":2,"method":"mining.authorize","params":["w","x"]}',
      ),
    ).toEqual([
      { protocol: 'stratum', message: 'mining.subscribe' },
      { protocol: 'stratum', message: 'mining.authorize' },
    ]);
  });

  it('is clean for a chat socket, suspicious for busy workers beside an unknown module, incomplete when not loaded', () => {
    expect(
      judgePage(observation({ sockets: [socket('{"type":"auth","params":{"token":"t"}}')] })).status,
    ).toBe('clean');
    const busy = observation({
      workers: [{ url: 'blob:http://127.0.0.1:8080/1', type: 'worker' }],
      wasm: [
        {
          sha256: 'ab'.repeat(32),
          size: 10,
          via: 'compile',
          scope: 'worker',
          exports: [],
          imports: [],
          matches: [],
        },
      ],
      cpu: { windowMs: 5000, mainThreadMs: 10, workerMs: 4000, cpuMs: 4010 },
    });
    const verdict = judgePage(busy);
    expect(verdict.status).toBe('suspicious');
    expect(verdict.findings.map((f) => `${f.level} ${f.ruleId}`)).toEqual(['medium web-live-worker-cpu']);
    // The same load without a WebAssembly module is a busy page, not a miner.
    expect(judgePage({ ...busy, wasm: [] }).status).toBe('clean');
    expect(judgePage(observation({ loaded: false, error: 'net::ERR_CONNECTION_REFUSED' })).status).toBe(
      'incomplete',
    );
  });

  it('gives the same fingerprint for the same page and socket on another run', () => {
    const frames = socket('{"type":"auth","params":{"site_key":"k"}}');
    const a = judgePage(observation({ sockets: [frames], durationMs: 1 }));
    const b = judgePage(
      observation({ sockets: [frames], durationMs: 2, startedAt: '2027-01-01T00:00:00.000Z' }),
    );
    expect(a.status).toBe('infected');
    expect(a.findings.map((f) => f.fingerprint)).toEqual(b.findings.map((f) => f.fingerprint));
  });
});
