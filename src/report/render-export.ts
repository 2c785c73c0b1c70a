// The export formats of scan and analyze, for what users already run: ECS events for Elastic,
// Splunk HEC events, and a STIX 2.1 bundle for threat-intelligence platforms. One dispatch, so the
// CLI names the formats once and each renderer stays its own module. An audit exports its failed
// checks, which it already holds as findings (category exposure), through the same renderers.
import type { AuditReport } from '../audit/run.js';
import { classify } from '../classify/verdict.js';
import { REPORT_SCHEMA_VERSION, type Report } from './model.js';
import { renderEcs } from './render-ecs.js';
import { renderSplunkHec } from './render-splunk-hec.js';
import { renderStix } from './render-stix.js';
import type { ExportFormat } from './export-formats.js';

export { EXPORT_FORMATS, type ExportFormat } from './export-formats.js';

export function renderExport(report: Report, format: ExportFormat): string {
  switch (format) {
    case 'ecs':
      return renderEcs(report);
    case 'splunk-hec':
      return renderSplunkHec(report);
    case 'stix':
      return renderStix(report);
  }
}

/** An audit as the scan report the renderers take: its findings, verdict and counts. */
export function reportOfAudit(audit: AuditReport): Report {
  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0, allowed: 0 };
  for (const f of audit.findings) summary[f.level]++;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: audit.tool.version, rulesetHash: '' },
    generatedAt: audit.generatedAt,
    collectedAt: audit.collectedAt,
    target: audit.target,
    host: audit.host,
    verdict: classify(audit.findings, audit.collection, {}, audit.target.kind),
    summary,
    findings: audit.findings,
    skipped: [],
    collection: audit.collection,
  };
}
