// The versioned JSON report: what `scan --format json` and `analyze --format json` print. One zod
// schema is the source of the TypeScript type, the validation in tests and docs/report-schema.json.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { FindingSchema, LEVELS, LevelSchema, levelRank, type Finding, type Level } from '../model/finding.js';
import {
  CollectionRecordSchema,
  HostSchema,
  IncompleteSchema,
  SectionSchema,
  TargetSchema,
  type Snapshot,
} from '../snapshot/schema.js';
import { VerdictSchema, classify } from '../classify/verdict.js';
import { NotScannedSchema, notScannedOf } from './not-scanned.js';
import { VOLUME_LIMITS } from '../snapshot/windows.js';

/** Bump on any incompatible change; additions of optional fields keep the version. */
export const REPORT_SCHEMA_VERSION = 1;

export const SkippedDetectorSchema = builtOnFirstUse(() =>
  z.object({ ruleId: z.string(), missing: z.array(SectionSchema) }),
);
export type SkippedDetector = z.infer<typeof SkippedDetectorSchema>;

export const ReportSchema = builtOnFirstUse(() =>
  z.object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    tool: z.object({
      name: z.literal('minehunter'),
      version: z.string(),
      /** sha256 of the IOC data the findings were matched against. */
      rulesetHash: z.string(),
    }),
    generatedAt: z.string(),
    /** When the snapshot was collected (equal to generatedAt's moment for `scan`). */
    collectedAt: z.string(),
    target: TargetSchema,
    host: HostSchema,
    verdict: VerdictSchema,
    /** Counts of findings that are not allowed, by level, plus the allowed ones. */
    summary: z
      .object(Object.fromEntries(LEVELS.map((l) => [l, z.number().int()])) as Record<Level, z.ZodNumber>)
      .extend({
        allowed: z.number().int(),
      }),
    findings: z.array(FindingSchema),
    skipped: z.array(SkippedDetectorSchema),
    /**
     * What the content scan did not scan, and why: present whenever content was scanned (absent with
     * --no-content, and in reports of older versions).
     */
    notScanned: NotScannedSchema.optional(),
    collection: z.array(CollectionRecordSchema),
    /** What the target, read offline, cannot show (a Windows volume: no DOS attributes, no running state). */
    limits: z.array(z.enum(VOLUME_LIMITS)).optional(),
    /** The collection was cut short (Ctrl-C): the findings are those of what was collected so far. */
    incomplete: IncompleteSchema.optional(),
  }),
);
export type Report = z.infer<typeof ReportSchema>;

export interface BuildReportInput {
  snapshot: Snapshot;
  findings: Finding[];
  skipped: SkippedDetector[];
  rulesetHash: string;
  toolVersion: string;
  now: Date;
}

export function buildReport(input: BuildReportInput): Report {
  const { snapshot, findings } = input;
  const summary = { critical: 0, high: 0, medium: 0, low: 0, info: 0, allowed: 0 };
  for (const f of findings) {
    if (f.allowed) summary.allowed++;
    else summary[f.level]++;
  }
  const notScanned = snapshot.content ? notScannedOf(snapshot.content) : undefined;
  const verdict = classify(findings, snapshot.collection, notScanned?.byReason, snapshot.target.kind);
  // A scan cut short found nothing in what it read: never "clean".
  if (snapshot.incomplete && verdict.status === 'clean') verdict.status = 'incomplete';
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: input.toolVersion, rulesetHash: input.rulesetHash },
    generatedAt: input.now.toISOString(),
    collectedAt: snapshot.collectedAt,
    target: snapshot.target,
    host: snapshot.host,
    verdict,
    summary,
    findings,
    skipped: input.skipped,
    ...(notScanned ? { notScanned } : {}),
    collection: snapshot.collection,
    ...(snapshot.windows?.limits?.length ? { limits: snapshot.windows.limits } : {}),
    ...(snapshot.incomplete ? { incomplete: snapshot.incomplete } : {}),
  };
}

/** True when a finding that is not allowed reaches `threshold`; the CLI maps that to exit code 1. */
export function failsAt(report: Report, threshold: Level | 'none'): boolean {
  if (threshold === 'none') return false;
  return report.findings.some((f) => !f.allowed && levelRank(f.level) >= levelRank(threshold));
}

export { LevelSchema };
