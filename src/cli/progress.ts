// What a person watching a scan sees on standard error. On a terminal one line, redrawn a few times a
// second: the collector running now, then for the content scan a bar with the percent done, files,
// bytes, rate and the time left (util/eta.ts), estimated from the filesystems' used bytes and inodes
// (statfs) for --full and from a quick walk of the named tree for --path. Not on a terminal (a log,
// CI), one plain line per phase as it starts. Nothing with --quiet.
import { readFileSync } from 'node:fs';
import { lstat, opendir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { ContentProgress } from '../engine/content-scan.js';
import type { Lang } from '../model/finding.js';
import { progressText, t } from '../report/i18n.js';
import { cutEnd } from '../report/wrap.js';
import { EtaEstimator, formatDuration, type Estimate, type ExpectedTotals } from '../util/eta.js';

export type ProgressMode = 'tty' | 'lines' | 'off';

/** Redraws of the terminal line: a few a second is enough to read and costs nothing. */
const REDRAW_MS = 250;
const BAR = 20;

/**
 * Where progress goes: a redrawn line on a terminal, plain lines elsewhere, nothing when quiet.
 * MINEHUNTER_PROGRESS=tty|lines|off overrides the choice (not --quiet): `tty` gives the bar with its
 * estimate on a pipe too, for a wrapper that shows it, and for the tests that check the estimate.
 */
export function progressMode(
  quiet: boolean,
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): ProgressMode {
  if (quiet) return 'off';
  const forced = env.MINEHUNTER_PROGRESS;
  if (forced === 'tty' || forced === 'lines' || forced === 'off') return forced;
  return stream.isTTY ? 'tty' : 'lines';
}

const MiB = 1024 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 * MiB) return `${(n / 1024 / MiB).toFixed(1)} GiB`;
  return `${(n / MiB).toFixed(1)} MiB`;
}

/** `[██████░░░░] 45% · 12,345 files, 1.2 GiB, 310.5 MiB/s · about 1 min 05 s left` */
export function contentLine(
  lang: Lang,
  p: ContentProgress,
  elapsedMs: number,
  e: Estimate | undefined,
): string {
  if (p.phase === 'memory') return t(lang, 'progress.memory');
  // A rate over less than a second is the first batch landing, not a speed.
  const rate = elapsedMs >= 1000 ? formatBytes(p.bytes / (elapsedMs / 1000)) : '…';
  const counts = t(lang, 'progress.counts', {
    files: p.files.toLocaleString('en'),
    bytes: formatBytes(p.bytes),
    rate,
  });
  if (!e) return `${t(lang, 'progress.files')}: ${counts} · ${t(lang, 'progress.estimating')}`;
  const filled = Math.round(e.fraction * BAR);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(BAR - filled)}] ${Math.floor(e.fraction * 100)}%`;
  const left =
    e.secondsLeft === undefined
      ? t(lang, 'progress.estimating')
      : t(lang, 'progress.left', { time: formatDuration(e.secondsLeft, lang) });
  return `${bar} · ${counts} · ${left}`;
}

interface Out {
  write(s: string): unknown;
  columns?: number;
}

/** The progress of one scan: collectors' phases as they start, then the content scan's line. */
export class ScanProgress {
  private readonly eta = new EtaEstimator();
  private said = new Set<string>();
  private lastDraw = -Infinity;
  private contentStart: number | undefined;
  private drawn = false;
  private readonly abort = { aborted: false };

  constructor(
    private readonly lang: Lang,
    readonly mode: ProgressMode,
    private readonly out: Out = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Expected totals, computed beside the scan; the estimate uses them once they arrive. */
  expect(compute: (abort: { aborted: boolean }) => Promise<ExpectedTotals | undefined>): void {
    if (this.mode !== 'tty') return;
    compute(this.abort).then(
      (totals) => {
        if (totals && !this.abort.aborted) this.eta.setExpected(totals);
      },
      () => undefined,
    );
  }

  /** A collector started. */
  phase(id: string): void {
    if (this.abort.aborted) return;
    this.say(id, progressText(this.lang, id));
  }

  /** The content scan's running totals (about ten a second). */
  content(p: ContentProgress): void {
    // Ended (or stopped by Ctrl-C): the last batches landing would show a percent of nothing.
    if (this.mode === 'off' || this.abort.aborted) return;
    if (this.mode === 'lines') {
      // The file scan was said when its collector started; the memory scan is a phase of its own.
      if (p.phase === 'memory') this.say('content.memory', t(this.lang, 'progress.memory'));
      return;
    }
    const now = this.now();
    this.contentStart ??= now;
    const estimate =
      p.phase === 'files'
        ? this.eta.update({
            atMs: now,
            bytes: p.bytes,
            files: p.files,
            bytesSeen: p.bytesSeen,
            walking: p.walking,
          })
        : undefined;
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.draw(contentLine(this.lang, p, now - this.contentStart, estimate));
  }

  /** The scan is over (or stopped): the line is cleared, nothing more is drawn, any walk measuring the tree stops. */
  end(): void {
    this.abort.aborted = true;
    if (this.mode === 'tty' && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private say(key: string, text: string): void {
    if (this.mode === 'off') return;
    if (this.mode === 'tty') {
      this.draw(text);
      return;
    }
    if (this.said.has(key)) return;
    this.said.add(key);
    this.out.write(`minehunter: ${text}\n`);
  }

  private draw(text: string): void {
    const width = (this.out.columns ?? 100) - 1;
    this.out.write(`\r\x1b[K${cutEnd(text, width)}`);
    this.drawn = true;
  }
}

/**
 * What --full will read: the used bytes and inodes of the local filesystems it walks, by statfs (a
 * filesystem mounted twice counts once). More than the walk finds (directories, metadata, what it
 * leaves out), which the estimate tolerates, and known at once.
 */
export async function filesystemTotals(roots: string[]): Promise<ExpectedTotals | undefined> {
  const seen = new Set<number>();
  let bytes = 0;
  let files = 0;
  for (const root of roots) {
    // A bind mount shows the same device: counted once.
    const dev = await stat(root).then(
      (st) => st.dev,
      () => undefined,
    );
    const s = dev === undefined || seen.has(dev) ? undefined : await statfs(root).catch(() => undefined);
    if (!s) continue;
    seen.add(dev!);
    bytes += (s.blocks - s.bfree) * s.bsize;
    files += Math.max(0, s.files - s.ffree);
  }
  return bytes > 0 ? { bytes, ...(files > 0 ? { files } : {}) } : undefined;
}

/**
 * What --full will read: statfs of the filesystems it walks, except for an offline root that is a
 * directory of a larger filesystem (a copied tree, not a mounted disk), whose statfs would count the
 * whole disk it sits on: that tree is walked and counted instead.
 */
export async function fullScanTotals(
  root: string,
  abort: { aborted: boolean } = { aborted: false },
): Promise<ExpectedTotals | undefined> {
  if (root !== '/') {
    const [own, parent] = await Promise.all([stat(root), stat(path.dirname(root))]).catch(() => []);
    if (own && parent && own.dev === parent.dev) return treeTotals([root], false, abort);
  }
  return filesystemTotals(await fullScanRoots(root));
}

/**
 * The roots --full walks: every local filesystem on the live host, the root itself offline. The
 * content scan's modules load here, when asked, not with the command line (issue 17: start-up).
 */
export async function fullScanRoots(root: string): Promise<string[]> {
  if (root !== '/') return [root];
  const { localMountPoints } = await import('../collect/content/index.js');
  try {
    return localMountPoints(readFileSync('/proc/self/mounts', 'utf8'));
  } catch {
    return ['/'];
  }
}

/**
 * The regular files and bytes under `paths`, as a --path scan walks them: symbolic links not
 * followed, pseudo filesystems left out, other filesystems only with `crossFs`. Stops when aborted
 * (the scan ended first); unreadable directories are passed over.
 */
export async function treeTotals(
  paths: string[],
  crossFs: boolean,
  abort: { aborted: boolean } = { aborted: false },
): Promise<ExpectedTotals | undefined> {
  const { isPseudoPath } = await import('../engine/walker.js');
  let bytes = 0;
  let files = 0;
  const visit = async (dir: string, dev: number): Promise<void> => {
    if (abort.aborted || isPseudoPath(dir)) return;
    const handle = await opendir(dir).catch(() => undefined);
    if (!handle) return;
    for await (const entry of handle) {
      if (abort.aborted) return;
      const full = path.join(dir, entry.name);
      if (entry.isFile()) {
        const s = await lstat(full).catch(() => undefined);
        if (s) [bytes, files] = [bytes + s.size, files + 1];
      } else if (entry.isDirectory()) {
        const s = await lstat(full).catch(() => undefined);
        if (s && (crossFs || s.dev === dev)) await visit(full, dev);
      }
    }
  };
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) continue;
    if (s.isFile()) [bytes, files] = [bytes + s.size, files + 1];
    else if (s.isDirectory()) await visit(p, s.dev);
  }
  return abort.aborted ? undefined : { bytes, files };
}
