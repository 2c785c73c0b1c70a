// The live pages of a §5 incident report: a saved page check (the snapshot `web --save-snapshot`
// writes) run through the detectors gives a report whose "Web pages checked live" section names the
// page, the pool WebSocket with its frames, the script with its sha256 and decoded excerpt and the
// WebAssembly module, in Markdown and HTML, both languages, with the page's own text kept inert; the
// pool's host joins the related addresses, and a host incident has no such section.
import { describe, expect, it } from 'vitest';
import { pageSnapshot } from '../collect/web/snapshot.js';
import { runDetectors } from '../detect/run.js';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { buildReport } from '../report/model.js';
import type { PageObservation } from '../snapshot/page.js';
import { SnapshotSchema } from '../snapshot/schema.js';
import { fixtureIncident } from '../../test/helpers/incident-fixture.js';
import { emptyIntake } from './intake.js';
import { IncidentReportSchema, buildIncidentReport } from './model.js';
import { renderIncidentHtml } from './render-html.js';
import { renderIncidentMarkdown } from './render-md.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const PAGE = 'https://shop.example/';
const POOL = 'wss://pool.example:8443/proxy';
const LOADER = 'https://shop.example/js/main.js';
const frame = (dir: 'sent' | 'received', text: string) => ({
  dir,
  opcode: 1,
  text,
  size: text.length,
  atMs: 5,
});

const infected: PageObservation = {
  url: PAGE,
  depth: 0,
  loaded: true,
  status: 200,
  startedAt: '2026-12-01T10:00:00.000Z',
  durationMs: 6200,
  requests: 4,
  scripts: [
    {
      url: LOADER,
      type: 'script',
      scope: 'page',
      size: 900,
      sha256: 'b2'.repeat(32),
      matches: [
        {
          rule: 'MH_Web_CoinHive',
          namespace: 'web-miners',
          level: 'high',
          strings: [{ identifier: '$anon', excerpt: 'CoinHive.Anonymous' }],
          chain: ['js-string-array', 'atob'],
          // The page's text, as hostile as it likes: it must stay inert in both renderings.
          decodedExcerpt: "new CoinHive.Anonymous('k1'); `x` <img src=x onerror=alert(1)>",
        },
      ],
    },
  ],
  sockets: [
    {
      url: POOL,
      scope: 'worker',
      status: 101,
      sent: 2,
      received: 1,
      frames: [
        frame('sent', '{"type":"auth","params":{"site_key":"k1"}}'),
        frame('received', '{"type":"job","params":{"job_id":"1","blob":"07","target":"ff"}}'),
        frame('sent', '{"type":"submit","params":{"job_id":"1","nonce":"0","result":"0"}}'),
      ],
    },
  ],
  wasm: [
    {
      sha256: 'a1'.repeat(32),
      size: 4096,
      via: 'instantiate',
      scope: 'worker',
      exports: [{ name: 'cryptonight_hash', kind: 'function' }],
      imports: [],
      matches: [
        { rule: 'MH_Web_Wasm_CryptoNight_Module', namespace: 'web-wasm', level: 'high', strings: [] },
      ],
    },
  ],
  workers: [{ url: 'https://shop.example/js/worker.js', type: 'worker' }],
  cpu: { windowMs: 5000, mainThreadMs: 30, workerMs: 4900, cpuMs: 4930 },
  blocked: [],
};

function incident(pages: PageObservation[]) {
  const snapshot = SnapshotSchema.parse(
    pageSnapshot({
      urls: [PAGE],
      pages,
      browser: { executable: '/usr/bin/chromium', version: '131.0.0.0' },
      options: { cpuWindowMs: 5000, pageTimeoutMs: 10000, crawl: 0, maxPages: 20, blockExternal: false },
      notes: [],
      toolVersion: '0.1.0',
      collectedAt: new Date('2026-12-01T10:00:00.000Z'),
      durationMs: 9000,
    }),
  );
  const { findings, skipped } = runDetectors(snapshot, ruleset);
  const report = buildReport({
    snapshot,
    findings,
    skipped,
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date('2026-12-01T10:00:10.000Z'),
  });
  const r = buildIncidentReport({
    report,
    snapshot,
    intake: emptyIntake(),
    attachments: [],
    now: new Date('2026-12-01T11:00:00.000Z'),
  });
  return { r, report, target: snapshot.target };
}

describe('live pages in the incident report', () => {
  it('lists the page with its pool socket, frames, script, decoded excerpt and module', () => {
    const { r, report } = incident([infected]);
    expect(IncidentReportSchema.safeParse(r).success).toBe(true);
    // Nothing of this machine was read, and that is not a gap in the verdict.
    expect(report.skipped).toEqual([]);
    expect(r.verdict.status).toBe('infected');
    expect(r.verdict.kinds.map((k) => k.kind)).toEqual(['web-script']);
    expect(r.incident.hostname).toBe('shop.example');
    expect(r.incident.relatedIps).toEqual(['pool.example']);
    expect(r.pages).toEqual([
      {
        url: PAGE,
        level: 'critical',
        websockets: [
          {
            url: POOL,
            protocol: 'coinhive',
            messages: '→ auth, ← job, → submit',
            frames: [
              { dir: 'sent', text: '{"type":"auth","params":{"site_key":"k1"}}' },
              { dir: 'received', text: '{"type":"job","params":{"job_id":"1","blob":"07","target":"ff"}}' },
              { dir: 'sent', text: '{"type":"submit","params":{"job_id":"1","nonce":"0","result":"0"}}' },
            ],
          },
        ],
        scripts: [
          {
            url: LOADER,
            sha256: 'b2'.repeat(32),
            rules: 'web-miners.MH_Web_CoinHive',
            decoded: [
              { how: 'js-string-array → atob', text: infected.scripts[0]!.matches[0]!.decodedExcerpt },
            ],
          },
        ],
        wasm: [
          {
            sha256: 'a1'.repeat(32),
            size: 4096,
            rules: 'web-wasm.MH_Web_Wasm_CryptoNight_Module',
            exports: 'cryptonight_hash',
          },
        ],
        cpu: [],
      },
    ]);
  });

  it('renders the section in Markdown and HTML, both languages, the page text inert', () => {
    const { r, target } = incident([infected]);
    const en = renderIncidentMarkdown(r, 'en', { target });
    expect(en).toContain(
      `**Scope: live web pages from ${PAGE} (opened in a headless browser; no host was read)**`,
    );
    expect(en).toContain('### Web pages checked live');
    expect(en).toContain(`- \` ${PAGE} \` — CRITICAL`);
    expect(en).toContain(`  - WebSocket \` ${POOL} \` — coinhive mining messages: → auth, ← job, → submit`);
    expect(en).toContain(
      `  - script \` ${LOADER} \` sha256 \` ${'b2'.repeat(32)} \` — matches web-miners.MH\\_Web\\_CoinHive`,
    );
    // A backtick in the excerpt cannot close its code span: the fence is longer.
    expect(en).toContain("    - decoded (js-string-array → atob): `` new CoinHive.Anonymous('k1'); `x` <img");
    expect(en).toContain('What to do, in order: web-page script miner');
    const zh = renderIncidentMarkdown(r, 'zh-CN', { target });
    expect(zh).toContain('### 实时检查的网页');
    expect(zh).toContain('coinhive 挖矿协议消息：→ auth, ← job, → submit');
    expect(zh).toContain('解码后（js-string-array → atob）');
    const html = renderIncidentHtml(r, 'en', { target });
    expect(html).toContain(`WebSocket <code>${POOL}</code>`);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img src=x');
  });

  it('has no pages section for a clean page check or a host incident', () => {
    const clean = { ...infected, scripts: [], sockets: [], wasm: [], workers: [], cpu: { windowMs: 5000 } };
    const { r, target } = incident([clean]);
    expect(r.verdict.status).toBe('clean');
    expect(r.pages).toBeUndefined();
    expect(renderIncidentMarkdown(r, 'en', { target })).not.toContain('Web pages checked live');
    expect(fixtureIncident().pages).toBeUndefined();
  });
});
