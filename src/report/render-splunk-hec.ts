// Renders a scan report as Splunk HTTP Event Collector (HEC) events, one JSON object per line, ready
// to POST to /services/collector/event (HEC takes several events in one body) or to be read by a
// forwarder: `time` is the collection moment in epoch seconds, `host` the scanned host, `source`
// minehunter, and `event` the same self-contained object as the jsonl format's line, so a search
// written for one works on the other. Findings are sourcetype `minehunter:finding`; the last event,
// sourcetype `minehunter:summary`, carries the verdict, so a clean host still reports in.
import type { Report } from './model.js';
import { jsonlFindingLines, jsonlSummaryLine } from './render-jsonl.js';

export interface HecEvent {
  time: number;
  host?: string;
  source: 'minehunter';
  sourcetype: 'minehunter:finding' | 'minehunter:summary';
  event: object;
}

/** Epoch seconds with milliseconds, as HEC's `time` takes it. */
function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms / 1000;
}

export function hecEvents(report: Report): HecEvent[] {
  const base = {
    time: epochSeconds(report.collectedAt),
    ...(report.host.hostname ? { host: report.host.hostname } : {}),
    source: 'minehunter' as const,
  };
  return [
    ...jsonlFindingLines(report).map((event): HecEvent => ({
      ...base,
      sourcetype: 'minehunter:finding',
      event,
    })),
    { ...base, sourcetype: 'minehunter:summary', event: jsonlSummaryLine(report) },
  ];
}

export function renderSplunkHec(report: Report): string {
  return hecEvents(report)
    .map((e) => JSON.stringify(e))
    .join('\n')
    .concat('\n');
}
