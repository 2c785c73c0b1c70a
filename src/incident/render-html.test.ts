// The HTML incident report is self-contained and inert: hostile argv is escaped, no script or external
// resource can load, the §5 headings are there in the chosen language, and it opens with the scope,
// the verdict and the running miner with its pool, and says what the scan did not scan.
import { describe, expect, it } from 'vitest';
import { FIXED_NOW, fixtureIncident, fixtureInputs } from '../../test/helpers/incident-fixture.js';
import { COLLECTED_AT, makeContent, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { buildReport } from '../report/model.js';
import { emptyIntake } from './intake.js';
import { buildIncidentReport } from './model.js';
import { esc, renderIncidentHtml } from './render-html.js';

describe('renderIncidentHtml', () => {
  const html = renderIncidentHtml(fixtureIncident(), 'zh-CN');
  it('escapes <script> and ANSI escapes from argv', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('\\x1b[31mred');
  });
  it('loads nothing from outside and allows no script', () => {
    expect(html).toContain(`default-src 'none'`);
    expect(html).not.toMatch(/\b(?:src|href)=/i);
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
