// The content scan's tally: the running stats, the skips (listed up to a cap, counted per reason
// beyond it) and the files worth recording in the snapshot (matches, executables, hashes, archive
// entries). The scheduler feeds it walk events and scan results; it does no I/O.
import type { ContentFile } from '../snapshot/schema.js';
import type { FileResult, ScannedMatch, WebFacts } from './scan-job.js';
import type { WalkSkip } from './walker.js';
import { isPolicySkip } from '../model/skip-policy.js';

/** Skips listed in the snapshot; beyond this only counted per reason. */
export const MAX_LISTED_SKIPS = 200;
/** Policy skips listed at most: the rest of MAX_LISTED_SKIPS is kept for gaps. */
export const MAX_LISTED_POLICY_SKIPS = 150;
/**
 * Archive bombs listed beyond MAX_LISTED_SKIPS: archive-bomb-hideout reads them from the list, so a
 * tree of thousands of ordinary skips cannot push a bomb in /tmp out of it.
 */
export const MAX_EXTRA_BOMBS = 100;

/**
 * Rule matches as the snapshot records them (string excerpts, no engine internals); a match the
 * web normaliser found in a decoded layer keeps its chain and decoded excerpt.
 */
export function toContentMatches(matches: ScannedMatch[]): ContentFile['matches'] {
  return matches.map((m) => ({
    rule: m.rule,
    namespace: m.namespace,
    meta: m.meta,
    strings: m.strings.map((s) => ({ identifier: s.identifier, offset: s.offset, excerpt: s.excerpt })),
    stringCount: m.stringCount,
    ...(m.decoded ? { decoded: { chain: [...m.decoded.chain], excerpt: m.decoded.excerpt } } : {}),
  }));
}

/** The web normaliser's facts as the snapshot records them: only what there is. */
function webFacts(web: WebFacts): NonNullable<ContentFile['web']> {
  return {
    ...(web.bombs?.length ? { bombs: [...web.bombs] } : {}),
    ...(web.stopped ? { stopped: web.stopped } : {}),
  };
}

/** Orders by path, byte-wise as JavaScript compares strings (not by locale). */
export function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Running totals and recorded files of one content scan. */
export class ContentTally {
  readonly files: ContentFile[] = [];
  readonly skipped: WalkSkip[] = [];
  readonly skippedByReason: Record<string, number> = {};
  readonly stats = { files: 0, bytes: 0, cached: 0, archiveEntries: 0, bytesSeen: 0 };
  private extraBombs = 0;
  private policyListed = 0;

  // Counts a skip by reason and lists it while under the cap. Policy skips (a tree of package stores,
  // thousands of FIFOs) may fill only part of the list, so the gaps a verdict of "incomplete" is
  // about are always listed; archive bombs get room of their own beyond the cap.
  skip(s: WalkSkip): void {
    this.skippedByReason[s.reason] = (this.skippedByReason[s.reason] ?? 0) + 1;
    if (isPolicySkip(s.reason)) {
      if (this.policyListed < MAX_LISTED_POLICY_SKIPS && this.skipped.length < MAX_LISTED_SKIPS) {
        this.policyListed++;
        this.skipped.push(s);
      }
    } else if (this.skipped.length < MAX_LISTED_SKIPS + this.extraBombs) this.skipped.push(s);
    else if (s.reason === 'archive-bomb' && this.extraBombs < MAX_EXTRA_BOMBS) {
      this.extraBombs++;
      this.skipped.push(s);
    }
  }

  // Adds one file's scan result (fresh or from the cache): its skips, its counts, and its entry if worth listing.
  record(file: { path: string; size: number }, r: FileResult): void {
    for (const s of r.skips ?? []) this.skip(s);
    // Entries found before an archive turned out damaged are kept: junk appended after a miner's
    // entry must not hide it.
    for (const e of r.entries ?? [])
      this.files.push({
        path: e.path,
        size: e.size,
        sha256: e.sha256,
        matches: toContentMatches(e.matches),
        ...(e.form ? { form: e.form } : {}),
        ...(e.web ? { web: webFacts(e.web) } : {}),
      });
    if (r.skips?.some((s) => s.path === file.path)) return;
    this.stats.files++;
    this.stats.bytes += file.size;
    this.stats.archiveEntries += r.archiveEntries ?? 0;
    // A web file whose decoding met a bomb is listed without a match: the bomb is reported.
    if (r.matches.length > 0 || r.executable || r.sha256 || r.web) {
      const entry: ContentFile = { path: file.path, size: file.size, matches: toContentMatches(r.matches) };
      if (r.sha256) entry.sha256 = r.sha256;
      if (r.executable) entry.executable = true;
      if (r.form) entry.form = r.form;
      if (r.web) entry.web = webFacts(r.web);
      this.files.push(entry);
    }
  }

  // Counts files the cache vouched for without listing them (the walker's `unchanged` event).
  unchanged(files: number, bytes: number): void {
    this.stats.files += files;
    this.stats.cached += files;
    this.stats.bytes += bytes;
    this.stats.bytesSeen += bytes;
  }

  // Sorts the recorded files and listed skips by path, for a snapshot that does not depend on timing.
  sort(): void {
    this.files.sort(byPath);
    this.skipped.sort(byPath);
  }

  // All skips, listed or not.
  skippedTotal(): number {
    return Object.values(this.skippedByReason).reduce((a, b) => a + b, 0);
  }
}
