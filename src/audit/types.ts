// The contract of one audit check: metadata (bilingual title, why it matters, the fix command) next to
// a pure function from a snapshot to pass / fail / unknown with evidence.
import type { Evidence, Level, Localized } from '../model/finding.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { AuditFacts } from '../snapshot/audit.js';

export const CHECK_STATUSES = ['fail', 'unknown', 'pass'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const AREAS = [
  'firewall',
  'services',
  'credentials',
  'patches',
  'antivirus',
  'scheduled-tasks',
  'ssh',
] as const;
export type Area = (typeof AREAS)[number];

/** What a check reads: a part of the audit facts, or a section of the base snapshot. */
export type Need = keyof AuditFacts | 'sockets' | 'processes';

export interface CheckOutcome {
  status: CheckStatus;
  message: Localized;
  evidence: Evidence[];
  /** A fix command for exactly this host (e.g. the cron line to delete), instead of the generic one. */
  fixCommand?: string;
  /** A pass because the thing checked is absent (no Redis, no sshd): left out of the score. */
  notApplicable?: boolean;
}

export interface AuditCheck {
  /** kebab-case; the anchor of its entry in docs/audit.md. */
  id: string;
  area: Area;
  /** How bad a failure is; also the check's weight in the score and its place in the order. */
  level: Level;
  title: Localized;
  /** What is checked and why mining campaigns care. */
  description: Localized;
  fix: {
    /** A shell command that fixes the usual case (review before running). */
    command: string;
    /** What the command does and what to watch out for. */
    text: Localized;
  };
  tags: string[];
  needs: Need[];
  run(snapshot: Snapshot): CheckOutcome;
}
