// What summarize makes of each file it is given: a report, the array `image` writes, a snapshot to
// analyse, or a file it skips with a sentence in both languages that says what the file is (not
// JSON, JSON lines, an audit report, another schema version, an invalid report, any other JSON).
import { describe, expect, it } from 'vitest';
import { exportReport } from '../../../test/helpers/export-fixture.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { readFleetInput } from './input.js';

const report = exportReport();

function skipReason(text: string): { en: string; 'zh-CN': string } {
  const r = readFleetInput(text);
  if (r.type !== 'skip') throw new Error(`expected a skip, got ${r.type}`);
  return r.reason;
}

describe('readFleetInput', () => {
  it('reads a JSON report and the array of reports image --format json writes', () => {
    const one = readFleetInput(JSON.stringify(report));
    expect(one.type).toBe('reports');
    if (one.type === 'reports') expect(one.reports[0]!.findings).toHaveLength(report.findings.length);
    const many = readFleetInput(JSON.stringify([report, report]));
    expect(many.type === 'reports' && many.reports.length).toBe(2);
  });

  it('hands a snapshot of collect over for analysis', () => {
    expect(readFleetInput(JSON.stringify(makeSnapshot())).type).toBe('snapshot');
  });

  it('skips what is not a report, saying what it is', () => {
    expect(skipReason('{"schemaVersion": 1,').en).toMatch(/^is not JSON \(/);
    expect(skipReason('').en).toMatch(/^is not JSON/);
    const jsonl = `${JSON.stringify({ type: 'finding' })}\n${JSON.stringify({ type: 'summary' })}\n`;
    expect(skipReason(jsonl).en).toContain('scan --format json');
    expect(skipReason(JSON.stringify({ ...report, kind: 'audit' })).en).toContain('audit report');
    expect(skipReason(JSON.stringify({ ...report, schemaVersion: 9 }))).toEqual({
      en: 'has report schema version 9; this minehunter reads version 1',
      'zh-CN': '的报告格式版本为 9，本版本 minehunter 只能读取版本 1',
    });
    expect(skipReason(JSON.stringify({ name: 'package.json' })).en).toContain('not a minehunter JSON report');
    expect(skipReason('42').en).toBe('is not a JSON object');
    expect(skipReason('[]').en).toBe('is an empty JSON array');
  });

  it('names the broken field of an invalid report, and the element of an array', () => {
    const broken = { ...report, findings: [{ ...report.findings[0], level: 'severe' }] };
    expect(skipReason(JSON.stringify(broken)).en).toMatch(
      /^is not a valid minehunter report \(findings\.0\.level: /,
    );
    expect(skipReason(JSON.stringify([report, 'x'])).en).toBe('[1] is not a JSON object');
    expect(skipReason(JSON.stringify([report, 'x']))['zh-CN']).toBe('[1] 不是 JSON 对象');
  });
});
