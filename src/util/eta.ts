// How far a long content scan has got and how long it has left, from its running totals and what the
// scan is expected to cover (the filesystems' used bytes and inodes for --full, a quick walk of the
// tree for --path). Pure: time comes in with each point, so the estimate is tested on a synthetic
// series without a clock.

/** What the scan is expected to cover, when known before the walk ends. */
export interface ExpectedTotals {
  bytes?: number;
  files?: number;
}

/** One reading of the scan's running totals. */
export interface ProgressPoint {
  /** Milliseconds since any fixed moment; only differences are used. */
  atMs: number;
  /** Bytes and files scanned (or answered from the cache). */
  bytes: number;
  files: number;
  /** Bytes the walker has found so far: the exact total once the walk is over. */
  bytesSeen: number;
  walking: boolean;
}

export interface Estimate {
  /** 0..1: how much of the expected work is done. */
  fraction: number;
  /** Seconds left; undefined while there is too little progress to tell. */
  secondsLeft?: number;
}

/** Below this much progress since the first reading, a rate is mostly noise: no time is given. */
const MIN_FRACTION = 0.02;
const MIN_ELAPSED_MS = 1000;
/** The fraction never reaches 1 while the scan runs: the last files may be slower than the rest. */
const MAX_RUNNING_FRACTION = 0.99;

/**
 * The fraction done, or undefined when nothing tells the size of the whole: a walk still going with
 * no expected totals. While the walk goes on the expected totals are the denominator (never below
 * what the walker has already found); once it is over, the bytes it found are exact. With both bytes
 * and files expected, the two fractions are averaged: a tree of small files costs per file, one of
 * big files per byte.
 */
export function fractionDone(p: ProgressPoint, expected: ExpectedTotals = {}): number | undefined {
  let fraction: number;
  if (!p.walking) {
    fraction = p.bytesSeen > 0 ? p.bytes / p.bytesSeen : 1;
  } else {
    const bytesTotal = expected.bytes !== undefined ? Math.max(expected.bytes, p.bytesSeen) : undefined;
    const byBytes = bytesTotal ? p.bytes / bytesTotal : undefined;
    const byFiles = expected.files ? Math.min(1, p.files / expected.files) : undefined;
    if (byBytes === undefined && byFiles === undefined) return undefined;
    fraction =
      byBytes !== undefined && byFiles !== undefined ? (byBytes + byFiles) / 2 : (byBytes ?? byFiles)!;
  }
  return Math.min(MAX_RUNNING_FRACTION, Math.max(0, fraction));
}

/**
 * Keeps the last reading with a known fraction before any progress as its origin, so the time spent
 * before the scan proper (rules compiling, processes read, the first batch on its way) does not slow
 * the rate. The time left is the fraction still to do at the rate of the more recent half of the
 * time since the origin (never less than a second): a scan speeds up after its start (workers warm,
 * the page cache's writeback of a freshly written tree ends) and the average since the origin then
 * says too long (measured on one core: "5 s left" halfway with 2.7 s really left), while half the
 * scan so far is still long enough to smooth the bar's redraws (a window of a few seconds was not).
 */
export class EtaEstimator {
  private origin: { atMs: number; fraction: number } | undefined;
  /** Readings since the origin, oldest first; those before the window's start are dropped. */
  private recent: { atMs: number; fraction: number }[] = [];

  constructor(private expected: ExpectedTotals = {}) {}

  /**
   * Expected totals that arrive late (a walk of the tree that finished after the scan began). The
   * rate starts again from here: until now that walk shared the disk and the CPU with the scan, so
   * the scan's pace so far understates the pace it keeps from now on (measured: on one core the
   * estimate at halfway was up to 70% too long without this).
   */
  setExpected(expected: ExpectedTotals): void {
    this.expected = expected;
    this.origin = undefined;
    this.recent = [];
  }

  update(p: ProgressPoint): Estimate | undefined {
    const fraction = fractionDone(p, this.expected);
    if (fraction === undefined) return undefined;
    // No progress since the origin yet (or less, as expected totals arrive): the origin moves up.
    if (!this.origin || fraction <= this.origin.fraction) {
      this.origin = { atMs: p.atMs, fraction };
      this.recent = [];
    }
    this.recent.push({ atMs: p.atMs, fraction });
    const elapsed = p.atMs - this.origin.atMs;
    if (fraction - this.origin.fraction < MIN_FRACTION || elapsed < MIN_ELAPSED_MS) return { fraction };
    let from = this.windowStart(p.atMs - Math.max(MIN_ELAPSED_MS, elapsed / 2));
    // No progress in the window (one huge file counted when done): the rate since the origin, so a
    // time once shown does not turn back into "estimating".
    if (fraction <= from.fraction) from = this.origin;
    const secondsLeft = ((1 - fraction) * (p.atMs - from.atMs)) / (fraction - from.fraction) / 1000;
    return { fraction, secondsLeft };
  }

  /** The last reading at or before `atMs` (the origin at worst); older readings are dropped. */
  private windowStart(atMs: number): { atMs: number; fraction: number } {
    let i = 0;
    while (i + 1 < this.recent.length && this.recent[i + 1]!.atMs <= atMs) i++;
    if (i > 0) this.recent.splice(0, i);
    return this.recent[0] ?? this.origin!;
  }
}

/** "45 s", "3 min 05 s", "1 h 02 min": short enough for a progress line. */
export function formatDuration(seconds: number, lang: 'en' | 'zh-CN'): string {
  const s = Math.max(0, Math.round(seconds));
  const zh = lang === 'zh-CN';
  if (s < 60) return zh ? `${s} 秒` : `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) {
    const rest = String(s % 60).padStart(2, '0');
    return zh ? `${m} 分 ${rest} 秒` : `${m} min ${rest} s`;
  }
  const rest = String(m % 60).padStart(2, '0');
  return zh ? `${Math.floor(m / 60)} 小时 ${rest} 分` : `${Math.floor(m / 60)} h ${rest} min`;
}
