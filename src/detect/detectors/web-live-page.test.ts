// Tests for web-live-page: a saved live page check whose page talks CoinHive to a pool, compiles a
// WebAssembly module and loads an obfuscated loader gives web-script findings naming the page, the
// WebSocket and its frames, the module's hash and the script with its sha256 and decoded excerpt,
// with the same fingerprints the `web` command prints; a clean page and a chat socket give nothing;
// a page check whose pages all failed is skipped, and a host snapshot (no page check) is not.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, type Evidence } from '../../model/finding.js';
import type { Page, PageObservation } from '../../snapshot/page.js';
import type { CollectionRecord, Snapshot } from '../../snapshot/schema.js';
import { runDetectors } from '../run.js';
import { judgePage } from '../web-live.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { webLivePage } from './web-live-page.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const PAGE = 'http://shop.example/index.html';
const POOL = 'wss://pool.example/proxy';
const WASM = 'a1'.repeat(32);
const LOADER = 'http://shop.example/js/main.js';
const LOADER_SHA = 'b2'.repeat(32);

function observation(over: Partial<PageObservation> = {}): PageObservation {
  return {
    url: PAGE,
    depth: 0,
    loaded: true,
    status: 200,
    startedAt: '2026-12-01T10:00:00.000Z',
    durationMs: 6000,
    requests: 3,
    scripts: [
      { url: PAGE, type: 'document', scope: 'page', size: 120, sha256: 'c3'.repeat(32), matches: [] },
    ],
    sockets: [],
    wasm: [],
    workers: [],
    cpu: { windowMs: 5000, mainThreadMs: 20, workerMs: 0, cpuMs: 20 },
    blocked: [],
    ...over,
  };
}

const frame = (dir: 'sent' | 'received', text: string) => ({
  dir,
  opcode: 1,
  text,
  size: text.length,
  atMs: 10,
});

/** The infected page: CoinHive both ways, a cryptonight module, an obfuscated loader. */
function infected(): PageObservation {
  return observation({
    sockets: [
      {
        url: POOL,
        scope: 'page',
        status: 101,
        sent: 2,
        received: 1,
        frames: [
          frame('sent', '{"type":"auth","params":{"site_key":"k1","type":"anonymous"}}'),
          frame('received', '{"type":"job","params":{"job_id":"j1","blob":"0707","target":"b88d0600"}}'),
          frame('sent', '{"type":"submit","params":{"job_id":"j1","nonce":"00","result":"00"}}'),
        ],
      },
    ],
    wasm: [
      {
        sha256: WASM,
        size: 2048,
        via: 'instantiate',
        scope: 'worker',
        exports: [{ name: 'cryptonight_hash', kind: 'function' }],
        imports: [],
        matches: [
          {
            rule: 'MH_Web_Wasm_CryptoNight_Module',
            namespace: 'web-wasm',
            level: 'high',
            strings: [{ identifier: '$cn', excerpt: 'cryptonight_hash' }],
          },
        ],
      },
    ],
    scripts: [
      {
        url: LOADER,
        type: 'script',
        scope: 'page',
        size: 4096,
        sha256: LOADER_SHA,
        matches: [
          {
            rule: 'MH_Web_CoinHive',
            namespace: 'web-miners',
            level: 'high',
            strings: [{ identifier: '$anon', excerpt: 'CoinHive.Anonymous' }],
            chain: ['hex-escape', 'base64'],
            decodedExcerpt: "var m = new CoinHive.Anonymous('k1', {throttle: 0.3}); m.start();",
          },
        ],
      },
    ],
    workers: [{ url: 'http://shop.example/js/worker.js', type: 'worker' }],
    cpu: { windowMs: 5000, mainThreadMs: 20, workerMs: 4800, cpuMs: 4820 },
  });
}

function pageSection(pages: PageObservation[]): Page {
  return {
    browser: { executable: '/usr/bin/chromium', version: '131.0.0.0' },
    options: { cpuWindowMs: 5000, pageTimeoutMs: 10000, crawl: 0, maxPages: 20, blockExternal: false },
    urls: [PAGE],
    notes: [],
    pages,
  };
}

function pageSnapshot(pages: PageObservation[], status: CollectionRecord['status'] = 'ok'): Snapshot {
  return makeSnapshot({
    target: { kind: 'web-page', root: PAGE, live: false },
    page: pageSection(pages),
    collection: [{ collector: 'web.live', sections: ['page'], status, durationMs: 1, errors: [] }],
  });
}

const run = (s: Snapshot) => runDetectors(s, ruleset, [webLivePage]);
const fields = (evidence: Evidence[]) =>
  evidence.flatMap((e) => (e.type === 'match' ? [`${e.field}: ${e.value}`] : []));

describe('web-live-page', () => {
  it('findings: the pool socket, the module and the decoded loader, each naming the page', () => {
    const { findings, skipped } = run(pageSnapshot([infected()]));
    expect(skipped).toEqual([]);
    for (const f of findings) expect(FindingSchema.safeParse(f).success).toBe(true);
    expect(findings.map((f) => `${f.level} ${f.ruleId} ${f.messageId} ${f.kind} ${f.basis}`)).toEqual([
      'critical web-live-page protocol web-script running',
      'high web-live-page script web-script running',
      'high web-live-page wasm web-script running',
    ]);
    const [protocol, script, wasm] = findings;
    expect(protocol!.data).toMatchObject({ page: PAGE, socket: POOL, protocol: 'coinhive' });
    expect(protocol!.message.en).toContain(`opened ${POOL}`);
    expect(fields(protocol!.evidence)).toEqual(
      expect.arrayContaining([
        `page: ${PAGE}`,
        `websocket: ${POOL}`,
        expect.stringMatching(/^frame sent: .*site_key/),
      ]),
    );
    expect(fields(script!.evidence)).toEqual(
      expect.arrayContaining([
        `script: ${LOADER}`,
        `sha256: ${LOADER_SHA}`,
        "MH_Web_CoinHive decoded (hex-escape → base64): var m = new CoinHive.Anonymous('k1', {throttle: 0.3}); m.start();",
      ]),
    );
    expect(wasm!.data).toMatchObject({ sha256: WASM, size: 2048 });
    expect(fields(wasm!.evidence)).toContain('wasm exports: cryptonight_hash');
    // Nothing to change on this machine: the page is someone's server.
    expect(findings.flatMap((f) => f.remediate)).toEqual([]);
  });

  it('findings: the same fingerprints and levels as the `web` command prints for the page', () => {
    const viaRunner = run(pageSnapshot([infected()])).findings;
    const viaWeb = judgePage(infected()).findings;
    expect(viaRunner.map((f) => `${f.level} ${f.fingerprint}`).sort()).toEqual(
      viaWeb.map((f) => `${f.level} ${f.fingerprint}`).sort(),
    );
  });

  it('findings: busy workers beside an unknown module are medium when nothing else explains them', () => {
    const busy = observation({
      workers: [{ url: 'blob:http://shop.example/1', type: 'worker' }],
      wasm: [
        { sha256: WASM, size: 10, via: 'compile', scope: 'worker', exports: [], imports: [], matches: [] },
      ],
      cpu: { windowMs: 5000, mainThreadMs: 10, workerMs: 4000, cpuMs: 4010 },
    });
    const { findings } = run(pageSnapshot([busy]));
    expect(findings.map((f) => `${f.level} ${f.messageId}`)).toEqual(['medium cpu']);
    expect(findings[0]!.data).toMatchObject({ percent: 80, workers: 1, modules: 1 });
  });

  it('clean: a plain page and a chat socket that says "auth" give nothing', () => {
    const chat = observation({
      sockets: [
        {
          url: 'wss://chat.example/ws',
          scope: 'page',
          sent: 1,
          received: 0,
          frames: [frame('sent', '{"type":"auth","params":{"token":"session"}}')],
        },
      ],
    });
    expect(run(pageSnapshot([observation(), chat]))).toEqual({ findings: [], skipped: [] });
  });

  it('clean: a host snapshot without a page check does not list the detector as skipped', () => {
    expect(run(makeSnapshot({ processes: [] }))).toEqual({ findings: [], skipped: [] });
  });

  it('skipped: a check whose pages could not be opened is skipped, never clean', () => {
    const failed = observation({ loaded: false, error: 'net::ERR_CONNECTION_REFUSED', scripts: [] });
    const { findings, skipped } = run(pageSnapshot([failed], 'failed'));
    expect(findings).toEqual([]);
    expect(skipped).toEqual([{ ruleId: 'web-live-page', missing: ['page'] }]);
  });
});
