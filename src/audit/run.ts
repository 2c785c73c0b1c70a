// Runs every audit check over a snapshot and builds the audit report: one result per check (pass,
// fail or unknown, with evidence and the fix command), ordered by priority, a weighted score, and the
// failures as Findings of category `exposure` for tools that consume findings. Pure.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  EvidenceSchema,
  FindingSchema,
  LevelSchema,
  LocalizedSchema,
  levelRank,
  type Finding,
  type Level,
} from '../model/finding.js';
import { CollectionRecordSchema, HostSchema, TargetSchema, type Snapshot } from '../snapshot/schema.js';
import { auditChecks } from './index.js';
import { AREAS, CHECK_STATUSES, type AuditCheck, type CheckOutcome, type CheckStatus } from './types.js';
import { t } from './util.js';

export const AUDIT_REPORT_SCHEMA_VERSION = 1;

export const CheckResultSchema = z.object({
  id: z.string(),
  area: z.enum(AREAS),
  level: LevelSchema,
  status: z.enum(CHECK_STATUSES),
  /** False for a pass because the checked thing is absent (no Redis…): not counted in the score. */
  applicable: z.boolean(),
  title: LocalizedSchema,
  message: LocalizedSchema,
  evidence: z.array(EvidenceSchema),
  fix: z.object({ command: z.string(), text: LocalizedSchema }),
  /** The anchor of the check's entry in docs/audit.md. */
  doc: z.string(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const AuditReportSchema = z.object({
  schemaVersion: z.literal(AUDIT_REPORT_SCHEMA_VERSION),
  kind: z.literal('audit'),
  tool: z.object({ name: z.literal('minehunter'), version: z.string() }),
  generatedAt: z.string(),
  collectedAt: z.string(),
  // The kind tells a Windows volume's report from a Linux host's (which checks apply to it).
  target: TargetSchema.pick({ kind: true, root: true, live: true }),
  host: HostSchema,
  /**
   * 100 × weight of passed checks / weight of decided checks; unknown checks and passes for things
   * that are absent (no Redis to protect) do not count. `value` is 100 when nothing applicable was decided.
   */
  score: z.object({
    value: z.number().int().min(0).max(100),
    pass: z.number().int(),
    fail: z.number().int(),
    unknown: z.number().int(),
  }),
  /** `on`, `off` (--no-login-tests), or `not-run` (an offline root, or no credential check asked for). */
  loginTests: z.enum(['on', 'off', 'not-run']),
  checks: z.array(CheckResultSchema),
  /** One finding per failed check, category `exposure`, for consumers of the scan's finding shape. */
  findings: z.array(FindingSchema),
  collection: z.array(CollectionRecordSchema),
});
export type AuditReport = z.infer<typeof AuditReportSchema>;

/** Weights of a check in the score, by level. */
const WEIGHT: Record<Level, number> = { critical: 10, high: 6, medium: 3, low: 1, info: 0 };

function missingNeeds(check: AuditCheck, snapshot: Snapshot): string[] {
  return check.needs.filter((n) => {
    if (n === 'sockets') return snapshot.sockets === undefined;
    if (n === 'processes') return snapshot.processes === undefined;
    return snapshot.audit?.[n] === undefined;
  });
}

export function runCheck(check: AuditCheck, snapshot: Snapshot): CheckOutcome {
  // Windows checks (those reading `audit.windows`) apply to a Windows volume only, the others never there.
  const windowsCheck = check.needs.includes('windows');
  if (windowsCheck !== (snapshot.target.kind === 'windows-volume')) {
    const [en, zh] = windowsCheck ? ['a Windows volume', 'Windows 卷'] : ['a Linux system', 'Linux 系统'];
    return {
      status: 'pass',
      notApplicable: true,
      evidence: [],
      message: t(`Applies to ${en} only.`, `仅适用于${zh}。`),
    };
  }
  const missing = missingNeeds(check, snapshot);
  if (missing.length > 0) {
    const list = missing.join(', ');
    return {
      status: 'unknown',
      message: t(`Not collected: ${list}.`, `未采集：${list}。`),
      evidence: [],
    };
  }
  try {
    return check.run(snapshot);
  } catch (err) {
    // One broken check must not hide the others' results.
    const msg = err instanceof Error ? err.message : String(err);
    return { status: 'unknown', message: t(`The check failed: ${msg}`, `检查出错：${msg}`), evidence: [] };
  }
}

const STATUS_ORDER: Record<CheckStatus, number> = { fail: 0, unknown: 1, pass: 2 };

export function compareResults(a: CheckResult, b: CheckResult): number {
  return (
    STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
    levelRank(b.level) - levelRank(a.level) ||
    a.id.localeCompare(b.id)
  );
}

export function score(results: CheckResult[]): AuditReport['score'] {
  let got = 0;
  let total = 0;
  const counts = { pass: 0, fail: 0, unknown: 0 };
  for (const r of results) {
    counts[r.status]++;
    if (r.status === 'unknown' || !r.applicable) continue;
    total += WEIGHT[r.level];
    if (r.status === 'pass') got += WEIGHT[r.level];
  }
  return { value: total === 0 ? 100 : Math.round((100 * got) / total), ...counts };
}

function toFinding(r: CheckResult): Finding {
  const fp = createHash('sha256')
    .update(['audit', r.id, ...r.evidence.map((e) => JSON.stringify(e))].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
  return {
    ruleId: r.id,
    category: 'exposure',
    level: r.level,
    title: r.title,
    message: r.message,
    evidence: r.evidence,
    tags: ['minehunter.audit'],
    verify: r.fix.text,
    remediate: [],
    fingerprint: fp,
    signals: [],
  };
}

export interface AuditRunOptions {
  toolVersion: string;
  now: Date;
  checks?: AuditCheck[];
}

export function runAudit(snapshot: Snapshot, opts: AuditRunOptions): AuditReport {
  const checks = opts.checks ?? auditChecks;
  const results: CheckResult[] = checks.map((check) => {
    const o = runCheck(check, snapshot);
    return {
      id: check.id,
      area: check.area,
      level: check.level,
      status: o.status,
      applicable: !o.notApplicable,
      title: check.title,
      message: o.message,
      evidence: o.evidence,
      fix: { command: o.fixCommand ?? check.fix.command, text: check.fix.text },
      doc: `docs/audit.md#${check.id}`,
    };
  });
  results.sort(compareResults);
  return {
    schemaVersion: AUDIT_REPORT_SCHEMA_VERSION,
    kind: 'audit',
    tool: { name: 'minehunter', version: opts.toolVersion },
    generatedAt: opts.now.toISOString(),
    collectedAt: snapshot.collectedAt,
    target: snapshot.target,
    host: snapshot.host,
    score: score(results),
    loginTests: snapshot.audit?.logins ? (snapshot.audit.logins.enabled ? 'on' : 'off') : 'not-run',
    checks: results,
    findings: results.filter((r) => r.status === 'fail').map(toFinding),
    collection: snapshot.collection,
  };
}

/** True when a failed check reaches `threshold`; the CLI maps that to exit code 1. */
export function auditFailsAt(report: AuditReport, threshold: Level | 'none'): boolean {
  if (threshold === 'none') return false;
  return report.checks.some((c) => c.status === 'fail' && levelRank(c.level) >= levelRank(threshold));
}
