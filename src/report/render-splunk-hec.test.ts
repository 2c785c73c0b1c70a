// Splunk HEC export: one HEC event object per line, as /services/collector/event takes them: time in
// epoch seconds, the host, source minehunter, sourcetype minehunter:finding for each finding (its
// event the jsonl line, finding as in the JSON report) and minehunter:summary last.
import { describe, expect, it } from 'vitest';
import { exportReport } from '../../test/helpers/export-fixture.js';
import { HOSTILE_ARGV } from '../../test/helpers/incident-fixture.js';
import type { JsonlFindingLine, JsonlSummaryLine } from './render-jsonl.js';
import { renderSplunkHec, type HecEvent } from './render-splunk-hec.js';

const report = exportReport();
const out = renderSplunkHec(report);
const events = out
  .trimEnd()
  .split('\n')
  .map((l) => JSON.parse(l) as HecEvent);

describe('renderSplunkHec', () => {
  it('writes one HEC event per finding, then the summary, each with only the HEC envelope keys', () => {
    expect(out.endsWith('\n')).toBe(true);
    expect(events).toHaveLength(report.findings.length + 1);
    for (const e of events) expect(Object.keys(e)).toEqual(['time', 'host', 'source', 'sourcetype', 'event']);
    expect(events.map((e) => e.sourcetype)).toEqual([
      ...report.findings.map(() => 'minehunter:finding'),
      'minehunter:summary',
    ]);
  });

  it('stamps each event with the collection time in epoch seconds, the host and the source', () => {
    for (const e of events) {
      expect(e.time).toBe(Date.parse(report.collectedAt) / 1000);
      expect(e.host).toBe('web-01');
      expect(e.source).toBe('minehunter');
    }
  });

  it('carries each finding as the JSON report has it, hostile argv intact, and the verdict last', () => {
    const first = events[0]!.event as JsonlFindingLine;
    expect(first.finding).toEqual(JSON.parse(JSON.stringify(report.findings[0])));
    expect(first.finding.evidence.find((e) => e.type === 'process')?.argv).toEqual(HOSTILE_ARGV);
    const summary = events.at(-1)!.event as JsonlSummaryLine;
    expect(summary).toMatchObject({ verdict: 'infected', findings: 4, summary: report.summary });
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it('leaves the host out when the report has no host name (HEC then uses its own default)', () => {
    const r = exportReport();
    delete r.host.hostname;
    const e = JSON.parse(renderSplunkHec(r).split('\n')[0]!) as HecEvent;
    expect('host' in e).toBe(false);
  });
});
