// The watch mode's memory of what it has already said: each finding is raised once by fingerprint,
// later sightings are counted (and reported at most once an hour, never once acknowledged), a
// material change of its evidence raises it again, and a finding missing from two consecutive scans
// (or newly allowlisted) is resolved. Pure: the loop (pipeline/watch.ts) feeds it scans and acks.
import { createHash } from 'node:crypto';
import type { Finding, Localized } from '../model/finding.js';

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
  title?: Localized;
  /** Short hashes of the evidence facts already announced (see materialOf). */
  material?: string[];
  /** Acknowledged (`minehunter ack`): no repeat events until its evidence changes materially. */
  acked?: boolean;
  /** The time of the ack applied last, so an ack file read again does not re-apply an old ack. */
  ackAt?: string;
}

export interface WatchState {
  version: 1;
  findings: Record<string, WatchEntry>;
  /** Files (root-relative) whose content scan found something: read again after a restart. */
  contentFiles?: string[];
}

/** Where `minehunter ack` appends acknowledgements for the watcher using this state file. */
export function acksFileOf(stateFile: string): string {
  return `${stateFile}.acks.jsonl`;
}

export type WatchEvent =
  | {
      event: 'finding';
      first_seen: string;
      fingerprint: string;
      finding: Finding;
      /** Raised again: its evidence changed materially since it was announced (or acknowledged). */
      changed?: true;
    }
  | {
      event: 'repeat';
      fingerprint: string;
      ruleId: string;
      level?: Finding['level'];
      title?: Localized;
      count: number;
      first_seen: string;
      last_seen: string;
    }
  | {
      event: 'resolved';
      fingerprint: string;
      ruleId: string;
      level?: Finding['level'];
      title?: Localized;
      first_seen: string;
      last_seen: string;
      at: string;
      /** `allowed`: an allowlist entry now covers it; absent: gone from two scans in a row. */
      reason?: 'allowed';
    };

/** One acknowledgement, as `minehunter ack` appends it to the acks file. */
export interface Ack {
  fingerprint: string;
  at: string;
}

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
  const contentFiles = Array.isArray(r.contentFiles)
    ? r.contentFiles.filter((f): f is string => typeof f === 'string')
    : undefined;
  return { state: { version: 1, findings, ...(contentFiles?.length ? { contentFiles } : {}) } };
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
 * The facts of a finding whose change is news: programs (path and hash), command lines, files (path
 * and hash), remote endpoints and image files. Pids, CPU, ports of our own side and the matches
 * derived from these facts change by themselves and are left out; so is the level, which grows
 * with the signals a running miner accumulates.
 */
export function materialOf(f: Finding): string[] {
  const facts = new Set<string>();
  for (const e of f.evidence) {
    if (e.type === 'process') {
      facts.add(`exe ${e.exe ?? ''} ${e.exeSha256 ?? ''}`);
      facts.add(`argv ${e.argv.join('\0')}`);
    } else if (e.type === 'file') facts.add(`file ${e.path} ${e.sha256 ?? ''}`);
    else if (e.type === 'socket') facts.add(`remote ${e.protocol} ${e.remote}`);
    else if (e.type === 'image') facts.add(`image ${e.digest} ${e.path ?? e.createdBy ?? ''}`);
  }
  return [...facts].map((x) => createHash('sha256').update(x).digest('hex').slice(0, 12)).sort();
}

/** No more remembered facts per finding than this: a miner rotating through pools stays bounded. */
const MAX_MATERIAL = 256;

function newEntry(f: Finding, at: string): WatchEntry {
  return {
    ruleId: f.ruleId,
    level: f.level,
    title: f.title,
    firstSeen: at,
    lastSeen: at,
    count: 1,
    announcedCount: 1,
    announcedAt: at,
    misses: 0,
    material: materialOf(f),
  };
}

/** A finding seen again: counted, re-raised when its facts changed, its count announced hourly. */
function seenAgain(old: WatchEntry, f: Finding, now: Date, events: WatchEvent[]): WatchEntry {
  const at = now.toISOString();
  const entry: WatchEntry = {
    ...old,
    level: f.level,
    title: f.title,
    lastSeen: at,
    count: old.count + 1,
    misses: 0,
  };
  const facts = materialOf(f);
  // A state written before facts were kept learns them silently.
  const known = new Set(old.material ?? facts);
  if (facts.some((x) => !known.has(x))) {
    entry.material = [...new Set([...(old.material ?? []), ...facts])].slice(-MAX_MATERIAL);
    entry.acked = undefined;
    entry.announcedCount = entry.count;
    entry.announcedAt = at;
    events.push({
      event: 'finding',
      first_seen: entry.firstSeen,
      fingerprint: f.fingerprint,
      finding: f,
      changed: true,
    });
    return entry;
  }
  entry.material = old.material ?? facts;
  if (
    !old.acked &&
    now.getTime() - Date.parse(old.announcedAt) >= REPEAT_EVERY_MS &&
    entry.count > old.announcedCount
  ) {
    entry.announcedCount = entry.count;
    entry.announcedAt = at;
    events.push({
      event: 'repeat',
      fingerprint: f.fingerprint,
      ruleId: entry.ruleId,
      level: entry.level,
      ...(entry.title ? { title: entry.title } : {}),
      count: entry.count,
      first_seen: entry.firstSeen,
      last_seen: at,
    });
  }
  return entry;
}

function resolvedEvent(fp: string, old: WatchEntry, at: string, reason?: 'allowed'): WatchEvent {
  return {
    event: 'resolved',
    fingerprint: fp,
    ruleId: old.ruleId,
    level: old.level,
    ...(old.title ? { title: old.title } : {}),
    first_seen: old.firstSeen,
    last_seen: old.lastSeen,
    at,
    ...(reason ? { reason } : {}),
  };
}

/**
 * One scan's findings folded into the state: returns the new state and the events to emit. Allowed
 * findings are the user's decision: they raise nothing, and one raised before the allowlist covered
 * it is resolved at once. A finding that comes back before it was resolved is the same finding.
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
  const allowed = new Set<string>();
  for (const f of findings) {
    if (f.allowed) allowed.add(f.fingerprint);
    if (f.allowed || seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const old = state.findings[f.fingerprint];
    if (!old) {
      next[f.fingerprint] = newEntry(f, at);
      events.push({ event: 'finding', first_seen: at, fingerprint: f.fingerprint, finding: f });
    } else next[f.fingerprint] = seenAgain(old, f, now, events);
  }
  for (const [fp, old] of Object.entries(state.findings)) {
    if (seen.has(fp)) continue;
    if (allowed.has(fp)) {
      events.push(resolvedEvent(fp, old, at, 'allowed'));
      continue;
    }
    const misses = old.misses + 1;
    if (misses >= MISSES_TO_RESOLVE) events.push(resolvedEvent(fp, old, at));
    else next[fp] = { ...old, misses };
  }
  return { state: { version: 1, findings: next }, events };
}

/**
 * Acknowledgements applied to the known findings: returns the new state and the fingerprints newly
 * acknowledged. An ack older than the last one applied to a finding (the acks file read again after
 * a restart) changes nothing; one for an unknown fingerprint waits in the file for nothing.
 */
export function applyAcks(state: WatchState, acks: readonly Ack[]): { state: WatchState; acked: string[] } {
  const findings = { ...state.findings };
  const acked: string[] = [];
  for (const a of acks) {
    const e = findings[a.fingerprint];
    if (!e || (e.ackAt !== undefined && a.at <= e.ackAt)) continue;
    findings[a.fingerprint] = { ...e, acked: true, ackAt: a.at };
    acked.push(a.fingerprint);
  }
  return { state: { ...state, findings }, acked };
}

/** The acks file's lines; a damaged line is skipped, never fatal. */
export function parseAcks(text: string): Ack[] {
  const out: Ack[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const a = JSON.parse(line) as Partial<Ack>;
      if (typeof a.fingerprint === 'string' && typeof a.at === 'string')
        out.push({ fingerprint: a.fingerprint, at: a.at });
    } catch {
      // a half-written line from a crash: the next ack appends a whole one
    }
  }
  return out;
}

/** Whether some finding is missing once and needs another scan to be resolved or kept. */
export function hasPendingMisses(state: WatchState): boolean {
  return Object.values(state.findings).some((e) => e.misses > 0);
}
