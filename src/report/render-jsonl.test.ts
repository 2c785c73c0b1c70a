// JSON lines for a log pipeline: one self-contained line per finding, in the report's order, then a
// summary line whose counts are the JSON report's; the same keys on every line whatever was found,
// null for what is unknown; hostile argv stays inside its JSON string.
import { describe, expect, it } from 'vitest';
import { fixtureInputs, HOSTILE_ARGV } from '../../test/helpers/incident-fixture.js';
import { COLLECTED_AT, makeContent, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import type { Finding } from '../model/finding.js';
import { buildReport, ReportSchema, type Report } from './model.js';
import { renderJsonl, type JsonlFindingLine, type JsonlSummaryLine } from './render-jsonl.js';

const HEAD_KEYS = ['@timestamp', 'event', 'host', 'target', 'tool', 'verdict'];
const FINDING_KEYS = [...HEAD_KEYS, 'finding'];
const SUMMARY_KEYS = [
  ...HEAD_KEYS,
  'summary',
  'findings',
  'highest',
  'kinds',
  'notCollected',
  'collectionProblems',
  'skipped',
  'notScanned',
];

function lines(report: Report): unknown[] {
  const out = renderJsonl(report);
  expect(out.endsWith('\n')).toBe(true);
  return out
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
}

const { report } = fixtureInputs();

describe('renderJsonl', () => {
  it('writes one line per finding and a summary line last', () => {
    const out = lines(report);
    expect(out).toHaveLength(report.findings.length + 1);
    expect(out.slice(0, -1).every((l) => (l as JsonlFindingLine).event === 'finding')).toBe(true);
    expect((out.at(-1) as JsonlSummaryLine).event).toBe('summary');
  });

  it('makes each finding line self-contained: when, host, target, tool, verdict and the finding', () => {
    const line = lines(report)[0] as JsonlFindingLine;
    expect(Object.keys(line)).toEqual(FINDING_KEYS);
    expect(line).toEqual({
      '@timestamp': report.collectedAt,
      event: 'finding',
      host: { hostname: 'web-01' },
      target: { kind: 'linux-live', root: '/' },
      tool: { name: 'minehunter', version: '0.1.0' },
      verdict: report.verdict.status,
      finding: report.findings[0],
    });
    expect(line.verdict).toBe('infected');
  });

  it('keeps the finding exactly as the JSON report has it, hostile argv included', () => {
    const line = lines(report)[0] as JsonlFindingLine;
    expect(line.finding).toEqual(JSON.parse(JSON.stringify(report.findings[0])));
    const argv = line.finding.evidence.find((e) => e.type === 'process')?.argv;
    expect(argv).toEqual(HOSTILE_ARGV);
  });

  it('escapes control characters, so no line breaks and no terminal escapes reach the output', () => {
    const text = renderJsonl(report);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
    expect(text).toContain('\\u001b[31mred');
    expect(text.split('\n')).toHaveLength(report.findings.length + 2);
  });

  it('ends with a summary whose counts are the JSON report summary', () => {
    const summary = lines(report).at(-1) as JsonlSummaryLine;
    expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
    expect(summary.summary).toEqual(report.summary);
    expect(summary).toMatchObject({
      findings: 1,
      highest: 'critical',
      kinds: ['open-source-miner'],
      verdict: 'infected',
      notCollected: [],
      collectionProblems: [],
      skipped: [],
      // No content scan behind this report.
      notScanned: null,
    });
  });

  it('counts what the content scan did not scan, and makes a scan with a gap incomplete', () => {
    const content = makeContent({
      skipped: [
        { path: '/srv/big.img', reason: 'too-large', detail: '10737418240 bytes > limit 67108864' },
        { path: '/srv/pipe', reason: 'special-file', detail: 'fifo' },
      ],
    });
    content.stats.skipped = 5;
    content.stats.skippedByReason = { 'too-large': 1, 'special-file': 4 };
    const r = buildReport({
      snapshot: makeSnapshot({ content }),
      findings: [],
      skipped: [],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date(COLLECTED_AT),
    });
    const summary = lines(r).at(-1) as JsonlSummaryLine;
    expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
    expect(summary.verdict).toBe('incomplete');
    expect(summary.notScanned).toEqual({
      total: 5,
      gaps: 1,
      byReason: { 'too-large': 1, 'special-file': 4 },
    });
  });

  it('lists the collectors that could not read everything, and counts allowed findings apart', () => {
    const snapshot = makeSnapshot({
      collection: [
        { collector: 'host', sections: ['host'], status: 'ok', durationMs: 1, errors: [] },
        {
          collector: 'processes',
          sections: ['processes'],
          status: 'partial',
          durationMs: 3,
          errors: [{ path: '/proc/7/environ', code: 'EACCES', message: 'permission denied' }],
          droppedErrors: 4,
        },
        {
          collector: 'modules',
          sections: ['modules'],
          status: 'failed',
          durationMs: 1,
          errors: [],
          note: 'no /proc',
        },
        { collector: 'audit', sections: ['audit'], status: 'not-applicable', durationMs: 0, errors: [] },
      ],
    });
    const allowed: Finding = {
      ...report.findings[0]!,
      level: 'medium',
      allowed: { by: 'fingerprint', value: 'x', source: '/etc/minehunter/allow.yml' },
    };
    const r = buildReport({
      snapshot,
      findings: [allowed],
      skipped: [{ ruleId: 'kernel-module', missing: ['modules'] }],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date(COLLECTED_AT),
    });
    const out = lines(r);
    const summary = out.at(-1) as JsonlSummaryLine;
    expect(summary.summary).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0, allowed: 1 });
    expect(summary.findings).toBe(1);
    expect(summary.collectionProblems).toEqual([
      { collector: 'processes', status: 'partial', sections: ['processes'], errors: 5, note: null },
      { collector: 'modules', status: 'failed', sections: ['modules'], errors: 0, note: 'no /proc' },
    ]);
    expect(summary.notCollected).toEqual(r.verdict.notCollected);
    expect(summary.skipped).toEqual(['kernel-module']);
    expect((out[0] as JsonlFindingLine).finding.allowed?.by).toBe('fingerprint');
  });

  it('writes only the summary line for a clean scan, with the same keys and null for the unknown', () => {
    const snapshot = makeSnapshot({ target: { root: '/host', live: false } });
    delete snapshot.host.hostname;
    const r = ReportSchema.parse(
      buildReport({
        snapshot,
        findings: [],
        skipped: [],
        rulesetHash: 'h',
        toolVersion: '0.1.0',
        now: new Date(0),
      }),
    );
    const out = lines(r);
    expect(out).toHaveLength(1);
    const summary = out[0] as JsonlSummaryLine;
    expect(Object.keys(summary)).toEqual(SUMMARY_KEYS);
    expect(summary).toMatchObject({
      '@timestamp': COLLECTED_AT,
      host: { hostname: null },
      // A report of an older version names no target kind: a root that is not / is read offline.
      target: { kind: 'linux-root', root: '/host' },
      verdict: 'clean',
      highest: null,
      findings: 0,
      kinds: [],
    });
  });
});
