// Renders a scan report as JSON lines for a log pipeline (Fluent Bit, Vector, Loki, Elasticsearch):
// one object per finding, each self-contained (when, which host and target, which tool, the verdict
// of the whole scan, and the finding exactly as the JSON report holds it), then one summary line.
// Every line carries the same keys in the same order whatever the scan found; a value that is unknown
// is null, never a missing key. No colour and nothing but these lines: a pipeline parses each line on
// its own. JSON.stringify escapes newlines and control characters in attacker-controlled strings, so
// a hostile argv can neither break a line in two nor reach a terminal as an escape sequence.
import type { Finding, Level } from '../model/finding.js';
import type { CollectionRecord, Section, TargetKind } from '../snapshot/schema.js';
import type { Report } from './model.js';

/** The fields every line starts with. */
interface JsonlHead {
  /** When the facts were collected (the report's collectedAt): the moment the lines describe. */
  '@timestamp': string;
  event: 'finding' | 'summary';
  host: { hostname: string | null };
  target: { kind: TargetKind; root: string };
  tool: { name: 'minehunter'; version: string };
  /** The verdict of the whole scan, the same on every line of one run. */
  verdict: Report['verdict']['status'];
}

export interface JsonlFindingLine extends JsonlHead {
  event: 'finding';
  finding: Finding;
}

/** A collector that could not read all it was meant to: what a clean verdict did not see. */
export interface JsonlCollectionProblem {
  collector: string;
  status: 'partial' | 'failed' | 'skipped';
  sections: Section[];
  /** How many read errors the collector met (listed and counted-only ones). */
  errors: number;
  note: string | null;
}

export interface JsonlSummaryLine extends JsonlHead {
  event: 'summary';
  /** Findings that are not allowed, by level, plus the allowed ones: the JSON report's summary. */
  summary: Report['summary'];
  /** All findings, allowed ones included: the number of finding lines before this one. */
  findings: number;
  highest: Level | null;
  /** The miner kinds of the verdict, strongest case first. */
  kinds: string[];
  /** Collectors that failed or were skipped (the verdict's notCollected). */
  notCollected: string[];
  collectionProblems: JsonlCollectionProblem[];
  /** Detectors that did not run because a section they need was not collected. */
  skipped: string[];
  /**
   * What the content scan did not scan: all skips, those that are gaps in what was asked for (they
   * make the verdict incomplete), and the counts by reason. Null when no content was scanned. The
   * paths are in the JSON report (`notScanned.entries`).
   */
  notScanned: { total: number; gaps: number; byReason: Record<string, number> } | null;
}

const PROBLEM_STATUSES = new Set<CollectionRecord['status']>(['partial', 'failed', 'skipped']);

function head(report: Report, event: JsonlHead['event']): JsonlHead {
  const { target } = report;
  return {
    '@timestamp': report.collectedAt,
    event,
    host: { hostname: report.host.hostname ?? null },
    // Reports of older versions name no kind; they were all one of these two.
    target: { kind: target.kind ?? (target.live ? 'linux-live' : 'linux-root'), root: target.root },
    tool: { name: report.tool.name, version: report.tool.version },
    verdict: report.verdict.status,
  };
}

export function jsonlFindingLines(report: Report): JsonlFindingLine[] {
  return report.findings.map((finding) => ({ ...head(report, 'finding'), event: 'finding', finding }));
}

export function jsonlSummaryLine(report: Report): JsonlSummaryLine {
  const collectionProblems = report.collection
    .filter((r) => PROBLEM_STATUSES.has(r.status))
    .map((r): JsonlCollectionProblem => ({
      collector: r.collector,
      status: r.status as JsonlCollectionProblem['status'],
      sections: r.sections,
      errors: r.errors.length + (r.droppedErrors ?? 0),
      note: r.note ?? null,
    }));
  return {
    ...head(report, 'summary'),
    event: 'summary',
    summary: report.summary,
    findings: report.findings.length,
    highest: report.verdict.highest,
    kinds: report.verdict.kinds.map((k) => k.kind),
    notCollected: report.verdict.notCollected,
    collectionProblems,
    skipped: report.skipped.map((s) => s.ruleId),
    notScanned: report.notScanned
      ? { total: report.notScanned.total, gaps: report.notScanned.gaps, byReason: report.notScanned.byReason }
      : null,
  };
}

/** The whole output: one line per finding, in the report's order, then the summary line. */
export function renderJsonl(report: Report): string {
  const lines: object[] = [...jsonlFindingLines(report), jsonlSummaryLine(report)];
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}
