// The Markdown and JSON incident reports of a fixed incident match their goldens (regenerate with
// UPDATE_GOLDENS=1), open with the scope and the running miner, carry the six §5 sections in both
// languages, keep hostile argv inert, and say what the scan did not scan and how to cover it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXED_NOW, fixtureIncident, fixtureInputs } from '../../test/helpers/incident-fixture.js';
import { COLLECTED_AT, makeContent, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { buildReport } from '../report/model.js';
import type { Content } from '../snapshot/schema.js';
import { emptyIntake } from './intake.js';
import { IncidentReportSchema, buildIncidentReport } from './model.js';
import { renderIncidentMarkdown } from './render-md.js';

const GOLDENS = fileURLToPath(new URL('../../test/goldens/', import.meta.url));

function golden(name: string, actual: string): void {
  const file = path.join(GOLDENS, name);
  if (process.env.UPDATE_GOLDENS === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDENS !== '1') throw new Error(`${file} is missing: run with UPDATE_GOLDENS=1`);
    writeFileSync(file, actual);
  }
  expect(actual, `${name} differs from its golden; if the change is wanted, run with UPDATE_GOLDENS=1`).toBe(
    readFileSync(file, 'utf8'),
  );
}

const { target } = fixtureInputs().report;

describe('incident report goldens', () => {
  it('Markdown, English', () =>
    golden('incident-report.en.md', renderIncidentMarkdown(fixtureIncident(), 'en', { target })));
  it('Markdown, Chinese', () =>
    golden('incident-report.zh-CN.md', renderIncidentMarkdown(fixtureIncident(), 'zh-CN', { target })));
  it('JSON', () => golden('incident-report.json.golden', JSON.stringify(fixtureIncident(), null, 2) + '\n'));
});

describe('incident report content', () => {
  const r = fixtureIncident();
  it('is schema-valid and fills in what the tool knows', () => {
    expect(() => IncidentReportSchema.parse(r)).not.toThrow();
    expect(r.incident.firstSeen).toBe('2026-11-26T09:00:00.000Z');
    expect(r.incident.relatedIps).toEqual(['198.51.100.20', '203.0.113.7']);
    expect(r.incident.hostAddresses).toEqual(['10.0.0.2']);
  });
  it('estimates the loss with its formula: 5 core-hours × 15 W × 0.8 + 500', () => {
    expect(r.loss.cpuCoreHours).toBe(5);
    expect(r.loss.energyKwh).toBe(0.075);
    expect(r.loss.energyCost).toBe(0.06);
    expect(r.loss.total).toBe(500.06);
    expect(r.loss.defaults).toEqual(['wattsPerCore', 'pricePerKwh', 'currency']);
    expect(r.loss.formula).toBe('5 core-h × 15 W ÷ 1000 × 0.8 CNY/kWh + 500 = 500.06 CNY');
  });
  it('has the six §5 sections in Chinese', () => {
    const md = renderIncidentMarkdown(r, 'zh-CN');
    for (const h of [
      '一、报告单位信息',
      '二、事件时间、地点及相关 IP 地址',
      '三、事件现象描述',
      '四、涉及的系统和资产及损失估算',
      '五、附件：截图与日志',
      '六、恶意样本',
    ])
      expect(md).toContain(`## ${h}`);
  });
  it('keeps hostile argv inert: no raw tag, no escape character', () => {
    const md = renderIncidentMarkdown(r, 'en');
    expect(md).not.toContain('\u001b');
    expect(md).toContain('\\x1b[31mred');
    // Inside a code span the tag is shown literally, never as HTML outside one.
    const outsideCode = md.replace(/`+ [^`]* `+/g, '');
    expect(outsideCode).not.toMatch(/<script>/);
  });
  it('opens with the scope, then the verdict, the running miner and its pool, then the playbook', () => {
    const md = renderIncidentMarkdown(r, 'en', { target });
    const at = (text: string) => {
      const i = md.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      '**Scope: this host (live)**',
      '## Verdict',
      '### open-source miner (confidence high)',
      '### What is running now',
      '- PID 4242 · user root · CPU 180% · /tmp/.x/kworker',
      '  - pool stratum+tcp://203.0.113.7:3333',
      '### What to do, in order: open-source miner',
      '## 1. Reporting organisation',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const zh = renderIncidentMarkdown(r, 'zh-CN', { target });
    expect(zh).toContain('**范围：本机（正在运行的系统）**');
    expect(zh).toContain('### 正在运行');
    expect(zh).toContain('- 进程 4242 · 用户 root · CPU 180% · /tmp/.x/kworker');
    expect(zh).toContain('  - 矿池 stratum+tcp://203.0.113.7:3333');
  });
  it('states a path scan as such, with escaped paths, and has no scope line without a target', () => {
    const md = renderIncidentMarkdown(r, 'en', {
      target: { root: '/', live: true, scope: 'paths', paths: ['/srv/www', '/tmp/x_*'] },
    });
    expect(md).toContain(
      "**Scope: paths /srv/www, /tmp/x\\_\\* (this host's processes were not scanned; add --host to include them)**",
    );
    expect(renderIncidentMarkdown(r, 'en')).not.toContain('Scope:');
  });
});

describe('incident report: what was not scanned', () => {
  const incident = (skipped: Content['skipped'], byReason: Record<string, number>) => {
    const content = makeContent({ skipped });
    content.stats.skippedByReason = byReason;
    const report = buildReport({
      snapshot: makeSnapshot({ content }),
      findings: [],
      skipped: [],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date(COLLECTED_AT),
    });
    return buildIncidentReport({ report, intake: emptyIntake(), attachments: [], now: FIXED_NOW });
  };
  const r = incident(
    [
      { path: '/srv/big_*.img', reason: 'too-large', detail: '10737418240 bytes > limit 67108864' },
      ...Array.from({ length: 12 }, (_, i) => ({ path: `/srv/p${i}`, reason: 'special-file' })),
    ],
    { 'too-large': 1, 'special-file': 12, empty: 3 },
  );

  it('carries the counts and the list in its JSON', () => {
    expect(() => IncidentReportSchema.parse(r)).not.toThrow();
    expect(r.notScanned).toMatchObject({ total: 16, gaps: 1 });
    expect(r.verdict.status).toBe('incomplete');
    expect(r.verdict.scanGaps).toEqual([{ reason: 'too-large', count: 1 }]);
  });

  it('says under the verdict how to cover the gap, then lists what was not scanned, capped', () => {
    const md = renderIncidentMarkdown(r, 'en');
    const order = [
      '**NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE**',
      '- 1 not scanned (too-large): raise --max-file-size (in MiB) above its size, or run scan --path on the file',
      '### Not scanned (16)',
      '- **too-large (1): larger than the size limit**',
      '  - ` /srv/big_*.img ` — 10737418240 bytes \\> limit 67108864',
      '  - To cover it: raise --max-file-size',
      '- special-file (12, by design)',
      // Listed by path, as strings compare: p0, p1, p10, p11, p2 … p7.
      '  - ` /srv/p7 `\n  - … and 2 more',
      '- empty (3, by design): an empty file\n  - 3 not listed',
      '## 1. Reporting organisation',
    ].map((text) => {
      const i = md.indexOf(text);
      expect(i, text).toBeGreaterThanOrEqual(0);
      return i;
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const zh = renderIncidentMarkdown(r, 'zh-CN');
    expect(zh).toContain('### 未扫描（16）');
    expect(zh).toContain('- 1 项未扫描（too-large）：将 --max-file-size（单位 MiB）调到大于该文件');
  });

  it('has no such section without a content scan or without skips', () => {
    expect(renderIncidentMarkdown(fixtureIncident(), 'en')).not.toContain('Not scanned');
    expect(renderIncidentMarkdown(incident([], {}), 'en')).not.toContain('Not scanned');
  });
});
