// What the content scan did not scan, as the report carries it: every skip counted by reason (the
// snapshot's stats count them all, its list holds only the first ones), a capped list with path and
// detail, and how many skips are gaps in what was asked for rather than policy (POLICY_SKIP_REASONS).
// The JSON report, the terminal text and the §5 report all read it through notScannedGroups, so
// they group and order the reasons the same way: gaps first, most first.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { ContentSkipSchema, type Content } from '../snapshot/schema.js';
import { isPolicySkip } from '../classify/verdict.js';

/** Skips listed in the report; the counts by reason cover the rest. */
export const MAX_NOT_SCANNED_ENTRIES = 50;

export const NotScannedSchema = builtOnFirstUse(() =>
  z.object({
    /** Every content skip (files, directories, archive entries, process memory), policy ones included. */
    total: z.number().int().nonnegative(),
    /** Of those, the ones that leave part of the scope unread: they make the verdict "incomplete". */
    gaps: z.number().int().nonnegative(),
    /** All skips, counted by reason. */
    byReason: z.record(z.string(), z.number().int().nonnegative()),
    /** At most MAX_NOT_SCANNED_ENTRIES skips, gaps first, every reason the snapshot lists represented. */
    entries: z.array(ContentSkipSchema),
  }),
);
export type NotScanned = z.infer<typeof NotScannedSchema>;
type Skip = NotScanned['entries'][number];

/** One reason's share of the skips, as every renderer shows it. */
export interface NotScannedGroup {
  reason: string;
  count: number;
  /** True for a reason that is policy: listed, but no gap (see POLICY_SKIP_REASONS). */
  policy: boolean;
  /** The listed skips of this reason, by path; `count` may be larger. */
  entries: Skip[];
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Reasons in the order the report shows them: gaps before policy, then most first, then by name. */
function orderReasons(counts: Map<string, number>): string[] {
  return [...counts.keys()].sort(
    (a, b) =>
      Number(isPolicySkip(a)) - Number(isPolicySkip(b)) ||
      (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
      byText(a, b),
  );
}

/**
 * Takes up to `room` skips from the lists, one of each in turn, so a reason with thousands of skips
 * cannot crowd out the one zip bomb; returns how many each list gives.
 */
function roundRobin(lists: Skip[][], room: number): number[] {
  const taken = lists.map(() => 0);
  let left = room;
  for (let progress = true; progress && left > 0;) {
    progress = false;
    for (let i = 0; i < lists.length && left > 0; i++) {
      if ((taken[i] ?? 0) < (lists[i]?.length ?? 0)) {
        taken[i] = (taken[i] ?? 0) + 1;
        left--;
        progress = true;
      }
    }
  }
  return taken;
}

/** The report's view of a content section's skips. */
export function notScannedOf(content: Content, cap = MAX_NOT_SCANNED_ENTRIES): NotScanned {
  const counts = new Map(Object.entries(content.stats.skippedByReason).filter(([, n]) => n > 0));
  // A listed skip is counted too: a snapshot written by hand might forget to, the report does not.
  const listed = new Map<string, number>();
  for (const s of content.skipped) listed.set(s.reason, (listed.get(s.reason) ?? 0) + 1);
  for (const [reason, n] of listed) if ((counts.get(reason) ?? 0) < n) counts.set(reason, n);
  const reasons = orderReasons(counts);
  const lists = reasons.map((r) =>
    content.skipped.filter((s) => s.reason === r).sort((a, b) => byText(a.path, b.path)),
  );
  // Gaps take the room first; policy skips get what is left.
  const gapCount = reasons.filter((r) => !isPolicySkip(r)).length;
  const gapTaken = roundRobin(lists.slice(0, gapCount), cap);
  const used = gapTaken.reduce((a, b) => a + b, 0);
  const taken = [...gapTaken, ...roundRobin(lists.slice(gapCount), cap - used)];
  const entries = lists.flatMap((list, i) => list.slice(0, taken[i] ?? 0));
  let total = 0;
  let gaps = 0;
  for (const [reason, n] of counts) {
    total += n;
    if (!isPolicySkip(reason)) gaps += n;
  }
  return { total, gaps, byReason: Object.fromEntries(reasons.map((r) => [r, counts.get(r) ?? 0])), entries };
}

/** The skips grouped by reason, in the report's order (gaps first, most first). */
export function notScannedGroups(ns: NotScanned): NotScannedGroup[] {
  const counts = new Map(Object.entries(ns.byReason).filter(([, n]) => n > 0));
  for (const e of ns.entries) if (!counts.has(e.reason)) counts.set(e.reason, 0);
  return orderReasons(counts).map((reason) => {
    const entries = ns.entries.filter((e) => e.reason === reason);
    return {
      reason,
      count: Math.max(counts.get(reason) ?? 0, entries.length),
      policy: isPolicySkip(reason),
      entries,
    };
  });
}
