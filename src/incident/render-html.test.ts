// The HTML incident report is self-contained and inert: hostile argv is escaped, no external resource
// can load and no script runs but the page's own (pinned by its hash in the CSP), the §5 headings are
// there in the chosen language, it opens with the scope, the summary card, the findings table (plain
// HTML, evidence folded) and the charts, then the verdict and the running miner with its pool, and
// says what the scan did not scan. The browser side is test/e2e/report-html-browser.test.ts.
import { describe, expect, it } from 'vitest';
import { FIXED_NOW, fixtureIncident, fixtureInputs } from '../../test/helpers/incident-fixture.js';
import { COLLECTED_AT, makeContent, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { buildReport } from '../report/model.js';
import { emptyIntake } from './intake.js';
import { buildIncidentReport } from './model.js';
import { createHash } from 'node:crypto';
import { SCRIPT, esc, renderIncidentHtml } from './render-html.js';

describe('renderIncidentHtml', () => {
  const html = renderIncidentHtml(fixtureIncident(), 'zh-CN');
  it('escapes <script> and ANSI escapes from argv', () => {
    expect(html.replace(`<script>${SCRIPT}</script>`, '')).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('\\x1b[31mred');
  });
  it('loads nothing from outside and allows only its own script, by hash', () => {
    const hash = createHash('sha256').update(SCRIPT).digest('base64');
    expect(html).toContain(`default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/\b(?:src|href)=/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg")/);
  });
  it('carries the Chinese §5 headings', () => {
    for (const h of ['挖矿木马安全事件报告', '一、报告单位信息', '六、恶意样本']) expect(html).toContain(h);
  });
  it('escapes quotes and ampersands', () => {
    expect(esc(`"a" & 'b'`)).toBe('&quot;a&quot; &amp; &#39;b&#39;');
  });
  it('opens with the scope, then the verdict, the running miner with its pool, then the playbook', () => {
    const { target } = fixtureInputs().report;
    const en = renderIncidentHtml(fixtureIncident(), 'en', { target });
    const order = [
      '<p class="scope">Scope: this host (live)</p>',
      '<p class="status">INFECTED</p>',
      '<h3>What is running now</h3>',
      '<li>PID 4242 · user root · CPU 180% · /tmp/.x/kworker<br><span class="meta">pool stratum+tcp://203.0.113.7:3333</span></li>',
      '<h3>What to do, in order: open-source miner</h3>',
      '1. Reporting organisation',
    ].map((text) => {
      const i = en.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const zh = renderIncidentHtml(fixtureIncident(), 'zh-CN', { target });
    expect(zh).toContain('<p class="scope">范围：本机（正在运行的系统）</p>');
    expect(zh).toContain('<h3>正在运行</h3>');
  });
  it('escapes the paths of a path scan in its scope line', () => {
    const html = renderIncidentHtml(fixtureIncident(), 'en', {
      target: { root: '/', live: true, scope: 'paths', paths: ['/srv/<b>www'] },
    });
    expect(html).toContain(
      '<p class="scope">Scope: paths /srv/&lt;b&gt;www (this host&#39;s processes were not scanned; add --host to include them)</p>',
    );
    expect(html).not.toContain('<b>');
  });
});

describe('renderIncidentHtml: what was not scanned', () => {
  const content = makeContent({
    skipped: [
      { path: '/srv/<b>bomb.zip', reason: 'archive-bomb', detail: 'compression ratio 1024:1' },
      { path: '/srv/pipe', reason: 'special-file', detail: 'fifo' },
    ],
  });
  content.stats.skippedByReason = { 'archive-bomb': 1, 'special-file': 1 };
  const report = buildReport({
    snapshot: makeSnapshot({ content }),
    findings: [],
    skipped: [],
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date(COLLECTED_AT),
  });
  const incident = buildIncidentReport({ report, intake: emptyIntake(), attachments: [], now: FIXED_NOW });

  it('says under the verdict how to cover the gap, then lists the skips by reason, escaped', () => {
    const html = renderIncidentHtml(incident, 'en');
    const order = [
      '<p class="status">NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE</p>',
      '<li>1 not scanned (archive-bomb): unpack it by hand',
      '<h3>Not scanned (2)</h3>',
      '<li><b>archive-bomb (1): an archive that expands past the safety limits',
      '<li><code>/srv/&lt;b&gt;bomb.zip</code> <span class="meta">compression ratio 1024:1</span></li>',
      '<li>To cover it: unpack it by hand',
      '<li>special-file (1, by design): a device, FIFO or socket: no file content<ul><li><code>/srv/pipe</code>',
      '1. Reporting organisation',
    ].map((text) => {
      const i = html.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(html).not.toContain('<b>bomb');
    const zh = renderIncidentHtml(incident, 'zh-CN');
    expect(zh).toContain('<h3>未扫描（2）</h3>');
    expect(zh).toContain('<p class="status">未发现威胁，但扫描不完整</p>');
  });

  it('has no such section in a report without a content scan', () => {
    expect(renderIncidentHtml(fixtureIncident(), 'en')).not.toContain('Not scanned');
  });
});

describe('renderIncidentHtml: summary card, findings table, charts', () => {
  const { report, snapshot } = fixtureInputs();
  const incident = fixtureIncident();
  const page = (lang: 'en' | 'zh-CN') =>
    renderIncidentHtml(incident, lang, {
      target: report.target,
      findings: report.findings,
      marks: [{ time: '2026-11-25T08:00:00.000Z', kind: 'file', label: 'file /tmp/.x/kworker <b>' }],
    });
  const en = page('en');

  it('opens with the summary card: host, window, verdict, what runs with its pool, loss', () => {
    const card = en.slice(en.indexOf('<section class="card" id="summary">'), en.indexOf('</section>'));
    expect(en.indexOf('id="summary"')).toBeLessThan(en.indexOf('<h2>Verdict</h2>'));
    expect(card).toContain(
      '<dt>Time window</dt><dd>2026-11-26T09:00:00.000Z → 2026-11-26T12:00:00.000Z (scan)',
    );
    expect(card).toContain(
      '<span class="v-infected" id="summary-verdict">INFECTED</span> — open-source miner',
    );
    expect(card).toContain('PID 4242 · user root · CPU 180% · /tmp/.x/kworker');
    expect(card).toContain('pool stratum+tcp://203.0.113.7:3333');
    expect(card).toMatch(/<dt>Loss estimate<\/dt><dd>[\d.]+ CNY \([\d.]+ CPU core-hours\)<\/dd>/);
    expect(snapshot.processes).toHaveLength(1);
  });

  it('lists each finding as a plain table row with its level, kind, target and folded evidence', () => {
    expect(en).toContain(
      '<tr data-level="critical" data-rank="5" data-kind="open-source miner" data-target="PID 4242 /tmp/.x/kworker"',
    );
    expect(en).toMatch(/<details><summary>Evidence \(2\)<\/summary><pre>process PID 4242/);
    // One line per piece of evidence; the argv line keeps its hostile text inert.
    expect(en).toContain('\n  argv: /tmp/.x/kworker &lt;script&gt;alert(1)&lt;/script&gt; \\x1b[31mred');
    expect(en).toContain('\nsocket tcp 10.0.0.2:45678 → 203.0.113.7:3333 ESTABLISHED pids 4242</pre>');
    expect(en).not.toMatch(/<details open/);
    // The controls do nothing without the script, so they start hidden and the script shows them.
    expect(en).toContain('<div class="controls" hidden>');
    const zh = page('zh-CN');
    expect(zh).toContain('<h2>检测发现</h2>');
    expect(zh).toContain('data-template="显示 {shown} / {total} 项"');
    expect(zh).toContain('<summary>证据（2 项）</summary>');
  });

  it('falls back to the verdict chains when the findings are not given', () => {
    const bare = renderIncidentHtml(incident, 'en');
    expect(bare).toContain('data-rank="5" data-kind="open-source miner" data-target=""');
  });

  it('draws the timeline (with the given file times) and the CPU against the cores, escaped', () => {
    const charts = en.slice(en.indexOf('<section id="charts">'));
    expect(charts).toMatch(/<figure id="timeline-chart">.*<svg [^>]*class="chart timeline"/);
    expect(charts).toContain('<title>2026-11-25T08:00:00.000Z — file /tmp/.x/kworker &lt;b&gt;</title>');
    expect(charts).toContain('>file times</text>');
    expect(charts).toContain('>process starts</text>');
    expect(charts).toMatch(/<figure id="cpu-chart">.*>180%<\/text>/);
    // The §5 timeline table lists the file time too, before the process start.
    const table = en.slice(en.indexOf('<h3>Timeline</h3>'));
    expect(table.indexOf('file /tmp/.x/kworker &lt;b&gt;')).toBeGreaterThan(0);
    expect(table.indexOf('file /tmp/.x/kworker &lt;b&gt;')).toBeLessThan(table.indexOf('process 4242'));
  });
});
