// The watch mode's memory of what it has already said: each finding is raised once by fingerprint,
// later sightings are counted (and reported at most once an hour), and a finding missing from two
// consecutive scans is resolved. Pure: the loop (pipeline/watch.ts) feeds it scans and prints events.
import type { Finding } from '../model/finding.js';

/** How often a still-present finding's repeat count is re-announced, at most. */
export const REPEAT_EVERY_MS = 60 * 60 * 1000;
/** A finding is resolved after this many consecutive scans without it (one miss may be a blip). */
export const MISSES_TO_RESOLVE = 2;

export interface WatchEntry {
  ruleId: string;
  level: Finding['level'];
  firstSeen: string;
  lastSeen: string;
  /** Scans that saw it, the first included. */
  count: number;
  /** The count last announced (by the finding or a repeat event) and when. */
  announcedCount: number;
  announcedAt: string;
  /** Consecutive scans that did not see it. */
  misses: number;
}

export interface WatchState {
  version: 1;
  findings: Record<string, WatchEntry>;
}

export type WatchEvent =
  | { event: 'finding'; first_seen: string; fingerprint: string; finding: Finding }
  | {
      event: 'repeat';
      fingerprint: string;
      ruleId: string;
      count: number;
      first_seen: string;
      last_seen: string;
    }
  | {
      event: 'resolved';
      fingerprint: string;
      ruleId: string;
      first_seen: string;
      last_seen: string;
      at: string;
    };

export function emptyState(): WatchState {
  return { version: 1, findings: {} };
}

/**
 * A state read back from disk, or an empty one when the text is not a state of ours: a damaged file
 * costs at most one round of repeated alerts, never the watcher.
 */
export function parseState(text: string): { state: WatchState; problem?: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { state: emptyState(), problem: `not JSON (${(err as Error).message})` };
  }
  const r = raw as Partial<WatchState> | null;
  if (!r || r.version !== 1 || typeof r.findings !== 'object' || r.findings === null)
    return { state: emptyState(), problem: 'not a watch state (version 1)' };
  const findings: Record<string, WatchEntry> = {};
  for (const [fp, e] of Object.entries(r.findings)) {
    if (isEntry(e)) findings[fp] = e;
  }
  return { state: { version: 1, findings } };
}

function isEntry(e: unknown): e is WatchEntry {
  const x = e as Partial<WatchEntry> | null;
  return (
    !!x &&
    typeof x.ruleId === 'string' &&
    typeof x.firstSeen === 'string' &&
    typeof x.lastSeen === 'string' &&
    typeof x.count === 'number' &&
    typeof x.announcedCount === 'number' &&
    typeof x.announcedAt === 'string' &&
    typeof x.misses === 'number'
  );
}

/**
 * One scan's findings folded into the state: returns the new state and the events to emit. Allowed
 * findings are the user's decision and raise nothing; a finding that comes back before it was
 * resolved is the same finding, not a new one.
 */
export function applyScan(
  state: WatchState,
  findings: readonly Finding[],
  now: Date,
): { state: WatchState; events: WatchEvent[] } {
  const at = now.toISOString();
  const events: WatchEvent[] = [];
  const next: Record<string, WatchEntry> = {};
  const seen = new Set<string>();
  for (const f of findings) {
    if (f.allowed || seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const old = state.findings[f.fingerprint];
    if (!old) {
      next[f.fingerprint] = {
        ruleId: f.ruleId,
        level: f.level,
        firstSeen: at,
        lastSeen: at,
        count: 1,
        announcedCount: 1,
        announcedAt: at,
        misses: 0,
      };
      events.push({ event: 'finding', first_seen: at, fingerprint: f.fingerprint, finding: f });
      continue;
    }
    const entry: WatchEntry = { ...old, level: f.level, lastSeen: at, count: old.count + 1, misses: 0 };
    if (now.getTime() - Date.parse(old.announcedAt) >= REPEAT_EVERY_MS && entry.count > old.announcedCount) {
      entry.announcedCount = entry.count;
      entry.announcedAt = at;
      events.push({
        event: 'repeat',
        fingerprint: f.fingerprint,
        ruleId: entry.ruleId,
        count: entry.count,
        first_seen: entry.firstSeen,
        last_seen: at,
      });
    }
    next[f.fingerprint] = entry;
  }
  for (const [fp, old] of Object.entries(state.findings)) {
    if (seen.has(fp)) continue;
    const misses = old.misses + 1;
    if (misses >= MISSES_TO_RESOLVE) {
      events.push({
        event: 'resolved',
        fingerprint: fp,
        ruleId: old.ruleId,
        first_seen: old.firstSeen,
        last_seen: old.lastSeen,
        at,
      });
    } else {
      next[fp] = { ...old, misses };
    }
  }
  return { state: { version: 1, findings: next }, events };
}

/** Whether some finding is missing once and needs another scan to be resolved or kept. */
export function hasPendingMisses(state: WatchState): boolean {
  return Object.values(state.findings).some((e) => e.misses > 0);
}
