// Findings → verdict: is the host infected, with which of the seven kinds, and how sure we are.
// Allowed findings never count towards the verdict; missing collection makes a clean result
// "incomplete" rather than "clean".
import { z } from 'zod';
import {
  LevelSchema,
  LocalizedSchema,
  MinerKindSchema,
  levelRank,
  maxLevel,
  type Finding,
  type MinerKind,
} from '../model/finding.js';
import type { CollectionRecord } from '../snapshot/schema.js';
import { PLAYBOOKS } from './playbooks.js';

/** One link of a kind's evidence chain: a finding that points to it, strongest first. */
export const ChainLinkSchema = z.object({
  ruleId: z.string(),
  level: LevelSchema,
  category: z.string(),
  fingerprint: z.string(),
  message: LocalizedSchema,
});

export const VerdictSchema = z.object({
  status: z.enum(['infected', 'suspicious', 'clean', 'incomplete']),
  highest: LevelSchema.nullable(),
  kinds: z.array(
    z.object({
      kind: MinerKindSchema,
      confidence: z.enum(['high', 'medium', 'low']),
      findingCount: z.number().int(),
      /** The findings that make the case for this kind, strongest first. */
      chain: z.array(ChainLinkSchema),
      /** What to do, in order (source document §4), in both languages. */
      playbook: z.array(LocalizedSchema),
    }),
  ),
  /** Collectors that failed or were skipped: what the verdict could not see. */
  notCollected: z.array(z.string()),
});
export type Verdict = z.infer<typeof VerdictSchema>;

export function classify(findings: Finding[], collection: CollectionRecord[]): Verdict {
  const active = findings.filter((f) => !f.allowed);
  const highest = active.length ? maxLevel(active.map((f) => f.level)) : null;
  const byKind = new Map<MinerKind, Finding[]>();
  for (const f of active) {
    if (!f.kind) continue;
    byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  }
  const kinds = [...byKind.entries()]
    .map(([kind, list]) => {
      const top = maxLevel(list.map((f) => f.level));
      const confidence: Verdict['kinds'][number]['confidence'] =
        levelRank(top) >= levelRank('high') ? 'high' : top === 'medium' ? 'medium' : 'low';
      const chain = [...list]
        .sort((a, b) => levelRank(b.level) - levelRank(a.level) || a.fingerprint.localeCompare(b.fingerprint))
        .map((f) => ({
          ruleId: f.ruleId,
          level: f.level,
          category: f.category,
          fingerprint: f.fingerprint,
          message: f.message,
        }));
      return {
        kind,
        confidence,
        findingCount: list.length,
        chain,
        playbook: PLAYBOOKS[kind],
        rank: levelRank(top),
      };
    })
    .sort((a, b) => b.rank - a.rank || a.kind.localeCompare(b.kind))
    .map(({ rank: _rank, ...rest }) => rest);
  const notCollected = collection
    .filter((c) => c.status === 'failed' || c.status === 'skipped')
    .map((c) => c.collector);

  let status: Verdict['status'];
  if (highest && levelRank(highest) >= levelRank('high') && active.some((f) => f.category === 'miner')) {
    status = 'infected';
  } else if (highest && levelRank(highest) >= levelRank('medium')) {
    status = 'suspicious';
  } else if (notCollected.length > 0) {
    status = 'incomplete';
  } else {
    status = 'clean';
  }
  return { status, highest, kinds, notCollected };
}
