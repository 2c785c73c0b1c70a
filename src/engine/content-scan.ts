// The content scan: compiles our rules and the user's, walks the scan roots, answers unchanged
// files from the cache, sends the rest in batches to the worker pool, scans the memory of running
// processes, and returns the facts for the snapshot's `content` section. The scheduler keeps at
// most a few batches in flight, so memory is bounded however large the tree is; a file over the
// size limit is scanned by its parts (file-parts.ts) within the same bound.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Content, ContentMemory } from '../snapshot/schema.js';
import { cpuBudget } from '../util/cpu-budget.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archives.js';
import { ScanCache } from './cache.js';
import { PathSet } from './path-set.js';
import { ScanPool, discardStandbyWorker } from './pool.js';
import { ShortPaths } from './short-paths.js';
import { partsText } from './file-parts.js';
import type { FileJob, FileResult, MemoryJob, MemoryResult } from './scan-job.js';
import { ContentTally, toContentMatches } from './scan-tally.js';
import {
  fileOf,
  shownPath,
  walk,
  type Prune,
  type WalkEvent,
  type WalkFile,
  type WalkSkip,
} from './walker.js';
import { compileRulesCached } from './compiled-cache.js';
import { bundledRulesDir, listRuleFiles, type RuleProblem, type YaraScanner } from './yara.js';

export interface ExtraFile {
  /** The path the snapshot shows (a process's exe). */
  path: string;
  /** What to open, e.g. /proc/PID/exe for a deleted executable. */
  io: string;
  size: number;
  /**
   * What makes this file a duplicate of another (default: its path). A deleted running image keys
   * apart from its path: the file now at that path is another file and is scanned too.
   */
  seenKey?: string;
}

/** A system's root walked beside the host's (see ContentScanOptions.labelledRoots). */
export interface LabelledRoot {
  /** Shown before each path: `web-1` gives `web-1:/tmp/x`. */
  label: string;
  /** The host directory that is `/` for these paths, e.g. /proc/4242/root. */
  root: string;
  /** Host paths of the directories under `root` to walk. */
  dirs: string[];
}

export interface MemoryTarget {
  pid: number;
  exe?: string;
}

/**
 * What a scan learns only once the process walk is done (the running executables, the containers'
 * roots, the memory to read, the web roots the configurations name): the walk of `roots` does not
 * wait for it, and the memory scan starts as soon as it is known, on the workers the warm walk
 * leaves idle (issue 20: the file walk used to wait for the whole process list).
 */
export interface DeferredInputs {
  extraFiles?: ExtraFile[];
  /** More roots, walked after `roots` and shown as they are. */
  roots?: string[];
  labelledRoots?: LabelledRoot[];
  memory?: ContentScanOptions['memory'];
}

export interface ContentScanOptions {
  scope: Content['scope'];
  roots: string[];
  /** Files scanned besides the roots (running processes' executables). */
  extraFiles?: ExtraFile[];
  oneFileSystem: boolean;
  /** Files up to this size are read whole; larger ones are scanned by their parts within it. */
  maxFileSize: number;
  exclude: string[];
  /** Directories to leave out with a reported skip (the default scope's package stores). */
  prune?: Prune;
  /** The default scope's shortcuts: archives by name left out, other minehunter trees left out. */
  skipArchiveNames?: boolean;
  skipOwnInstalls?: boolean;
  /** An offline system's root (--root): paths are shown as that system sees them. */
  displayRoot?: string;
  /**
   * Other systems' roots walked besides `roots` (running containers' /proc/PID/root): each one as an
   * offline root is (its links resolve inside it), its files shown as `label:/path`.
   */
  labelledRoots?: LabelledRoot[];
  /** The user's rule directories, loaded beside rules/. */
  userRuleDirs?: string[];
  /** SQLite file, or undefined for no cache. */
  cachePath?: string;
  memory?: { targets: MemoryTarget[]; perProcessBytes: number; totalBytes: number; procDir?: string };
  /** Inputs that arrive during the scan (see DeferredInputs); merged with the ones above. */
  deferred?: Promise<DeferredInputs>;
  archiveLimits?: ArchiveLimits;
  workers?: number;
  /** Called about ten times a second with the running totals. */
  onProgress?: (p: ContentProgress) => void;
  /** Per-file scan timeout. */
  timeoutMs?: number;
  /**
   * Stops the scan (Ctrl-C): the walk ends, files not yet sent to the pool are left out, batches
   * already sent land, the memory scan does not start, and what was scanned so far is returned.
   */
  signal?: AbortSignal;
}

export interface ContentProgress {
  phase: 'files' | 'memory';
  files: number;
  bytes: number;
  /** Bytes the walker has seen so far (the ETA's denominator grows as the walk goes on). */
  bytesSeen: number;
  walking: boolean;
}

export interface ContentScanResult {
  content: Content;
  /** Broken or noisy rule files: the CLI prints these, the collection record lists them. */
  ruleProblems: RuleProblem[];
  /** What the memory scan left out, for the collection record's note (when memory was scanned). */
  memoryCoverage?: MemoryCoverage;
}

/** What the memory scan did not hand to the rules, and why. */
export interface MemoryCoverage {
  /** Bytes read that were whole zero pages at the edges of a region (scan-job.ts nonZeroSpan). */
  zeroBytes: number;
  /** Bytes of anonymous pages never touched (in neither memory nor swap), not read: zeros. */
  absentBytes?: number;
  /** Processes whose memory was not read because the total budget was spent before their turn. */
  overBudget: number;
}

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
const BATCH_FILES = 256;
const BATCH_BYTES = 32 * 1024 * 1024;
/** Files from this size on are scanned one at a time (see enqueue). */
const BIG_FILE = 16 * 1024 * 1024;

/** Our rules and the user's, compiled, or restored from the cache at `cachePath` when unchanged. */
export function compileAllRules(
  userRuleDirs: readonly string[] = [],
  cachePath?: string,
): {
  scanner: YaraScanner;
  problems: RuleProblem[];
} {
  const files = [
    ...listRuleFiles(bundledRulesDir()).map((p) => ({ path: p })),
    // The user's namespaces are prefixed so a user file named like ours cannot clash with it.
    ...userRuleDirs.flatMap((d) =>
      listRuleFiles(d).map((p) => ({
        path: p,
        namespace: `user.${path.basename(p).replace(/\.yara?$/i, '')}`,
      })),
    ),
  ];
  return compileRulesCached(files, { timeoutMs: 10_000 }, cachePath);
}

/** Started on the first file the cache cannot answer: a warm rescan never pays for the threads. */
class LazyPool {
  private started: Promise<ScanPool> | undefined;

  // Keeps what the pool needs; starts nothing.
  constructor(
    private readonly scanner: YaraScanner,
    private readonly options: Parameters<typeof ScanPool.start>[1],
  ) {}

  // The pool, started on first use.
  get(): Promise<ScanPool> {
    return (this.started ??= ScanPool.start(this.scanner, this.options));
  }

  // Closes the pool if it was ever started; a pool that failed to start needs no closing. A worker
  // started ahead (prestartScanWorker) that no pool took is stopped.
  async close(): Promise<void> {
    if (!this.started) discardStandbyWorker();
    else
      await this.started.then(
        (p) => p.close(),
        () => undefined,
      );
  }
}

/** The progress callback, throttled to about ten calls a second. */
class ProgressThrottle {
  walking = true;
  private last = 0;

  // Reports from `stats`, which the tally keeps current.
  constructor(
    private readonly onProgress: ContentScanOptions['onProgress'],
    private readonly stats: ContentTally['stats'],
  ) {}

  // Reports the running totals unless the last report was under 100 ms ago.
  tick(phase: ContentProgress['phase']): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const stats = this.stats;
    this.onProgress({
      phase,
      files: stats.files,
      bytes: stats.bytes,
      bytesSeen: stats.bytesSeen,
      walking: this.walking,
    });
  }
}

/** A file on its way to the pool: its job, its cache key (when cacheable) and what the tally records. */
interface QueueItem {
  job: FileJob;
  file: WalkFile | undefined;
  display: { path: string; size: number };
}

/**
 * The scheduler: files go to the pool in batches (BATCH_FILES or BATCH_BYTES), at most
 * `maxInFlight` batches at a time so memory stays bounded, and big files one after another beside
 * them. Each result is handed to `land`; `landed` runs after each batch.
 */
class ScanQueue {
  private batch: QueueItem[] = [];
  private batchBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  // Large files go one after another, beside the batches: the engine maps a file whole while it
  // scans it, and two 60 MiB binaries mapped at once put 120 MiB on the peak memory.
  private bigFiles: Promise<void> = Promise.resolve();
  private nextId = 0;

  // Wires the queue to the pool and to where results go.
  constructor(
    private readonly pool: LazyPool,
    private readonly maxInFlight: number,
    private readonly land: (item: QueueItem, r: FileResult) => void,
    private readonly landed: () => void,
    private readonly signal?: AbortSignal,
  ) {}

  // A fresh job id.
  takeId(): number {
    return this.nextId++;
  }

  // Adds a file; when a batch fills it is sent, and this waits while too many batches are in flight.
  async enqueue(
    job: FileJob,
    file: WalkFile | undefined,
    display: { path: string; size: number },
  ): Promise<void> {
    if (display.size >= BIG_FILE) {
      this.bigFiles = this.bigFiles.then(() => this.run([{ job, file, display }]));
      return;
    }
    this.batch.push({ job, file, display });
    this.batchBytes += display.size;
    if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) {
      this.dispatch();
      while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
    }
  }

  // Sends what is batched and waits for every file queued so far.
  async drain(): Promise<void> {
    this.dispatch();
    while (this.inFlight.size > 0) await Promise.race(this.inFlight);
    await this.bigFiles;
  }

  // Sends the current batch and tracks it until it lands.
  private dispatch(): void {
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    const tracked = this.run(items).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  // Scans items on the pool and lands each result (an item the pool did not answer counts as clean).
  private run(items: QueueItem[]): Promise<void> {
    // Stopped: big files still waiting their turn and the last unsent batch are not scanned.
    if (this.signal?.aborted) return Promise.resolve();
    return this.pool
      .get()
      .then((pool) => pool.scanFiles(items.map((i) => i.job)))
      .then((results) => {
        const byId = new Map(results.map((r) => [r.id, r.result]));
        for (const item of items) this.land(item, byId.get(item.job.id) ?? { matches: [] });
        this.landed();
      });
  }
}

/** Every this many files answered without the pool, progress moves and finished batches may land. */
const YIELD_EVERY = 2000;

/** Counts files answered without the pool and says when it is time to yield to the event loop. */
class YieldPacer {
  private since = 0;

  // True (and reset) once `n` more files bring the count to YIELD_EVERY.
  due(n: number): boolean {
    this.since += n;
    if (this.since < YIELD_EVERY) return false;
    this.since = 0;
    return true;
  }
}

/** One turn of the event loop, so finished batches land and the progress line moves. */
function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** What the two file sources (extra files, the walk) share while queueing. */
interface ScanState {
  cache: ScanCache | undefined;
  tally: ContentTally;
  queue: ScanQueue;
  progress: ProgressThrottle;
  /** Files the walk reaches twice (a process exe inside a scanned root) are scanned once. */
  seen: PathSet;
  /** The size limit, handed to each job (see FileJob.limit). */
  limit: number;
  parts: PartsTally;
  /** Directories held open to name what lies past PATH_MAX; closed once every file is read. */
  shortPaths: ShortPaths;
  signal?: AbortSignal;
}

/** Totals of the files scanned by their parts, for the stats. */
interface PartsTally {
  files: number;
  bytesSkipped: number;
  hashMs: number;
}

/**
 * Records one file's result (fresh from the pool, or from the cache) in the tally, with what the
 * tally does not know of: the padding and the parts of a file over the size limit go on its entry,
 * a file whose parts could not all be read is listed as `partly-scanned` (it was scanned, so its
 * matches stand), and the parts' totals are counted. Hashing time counts only when it was spent.
 */
function recordResult(
  tally: ContentTally,
  parts: PartsTally,
  file: { path: string; size: number },
  r: FileResult,
  fresh: boolean,
): void {
  const listed = tally.files.length;
  tally.record(file, r);
  const entry = tally.files[listed];
  if (entry?.path === file.path) {
    if (r.padding) entry.padding = r.padding;
    if (r.parts) entry.parts = r.parts;
  }
  if (fresh && r.hashMs) parts.hashMs += r.hashMs;
  if (!r.parts) return;
  parts.files++;
  parts.bytesSkipped += r.parts.bytesSkipped;
  if (r.parts.unscanned)
    tally.skip({ path: file.path, reason: 'partly-scanned', detail: partsText(r.parts, file.size) });
}

export async function scanContent(
  opts: ContentScanOptions,
  compiled = compileAllRules(opts.userRuleDirs, opts.cachePath),
): Promise<ContentScanResult> {
  const started = performance.now();
  const { scanner, problems } = compiled;
  const limits = opts.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;
  const cache = opts.cachePath ? new ScanCache(opts.cachePath, scanner.ruleSetHash) : undefined;
  const poolSize = Math.max(1, opts.workers ?? cpuBudget());
  const pool = new LazyPool(scanner, {
    size: poolSize,
    scan: { timeoutMs: opts.timeoutMs ?? 10_000 },
    limits,
  });
  const tally = new ContentTally();
  const parts: PartsTally = { files: 0, bytesSkipped: 0, hashMs: 0 };
  const progress = new ProgressThrottle(opts.onProgress, tally.stats);
  const queue = new ScanQueue(
    pool,
    poolSize * 2,
    (item, r) => {
      if (item.file && cache) cache.put(item.file, r);
      recordResult(tally, parts, item.display, r, true);
    },
    () => progress.tick('files'),
    opts.signal,
  );
  const state: ScanState = {
    cache,
    tally,
    parts,
    queue,
    progress,
    seen: new PathSet(),
    limit: opts.maxFileSize,
    shortPaths: new ShortPaths(),
    signal: opts.signal,
  };
  const memory = new MemoryRun(pool, tally, progress, opts.signal);
  memory.start(opts.memory);
  // Deferred inputs start their memory scan the moment they arrive, while the walk goes on.
  const deferred = (opts.deferred ?? Promise.resolve<DeferredInputs>({})).then((d) => {
    memory.start(d.memory);
    return d;
  });
  // Awaited after the first walk; a rejection before then is not an unhandled one.
  deferred.catch(() => undefined);
  try {
    await queueExtraFiles(opts.extraFiles ?? [], state);
    await queueWalk(opts, state, [{ roots: opts.roots, displayRoot: opts.displayRoot }]);
    const d = await deferred;
    await queueExtraFiles(d.extraFiles ?? [], state);
    const labelledRoots = [...(opts.labelledRoots ?? []), ...(d.labelledRoots ?? [])];
    const more: WalkPart[] = [
      ...(d.roots?.length ? [{ roots: d.roots, displayRoot: opts.displayRoot }] : []),
      ...labelledRoots.map((r) => ({ roots: r.dirs, displayRoot: r.root, label: r.label })),
    ];
    await queueWalk(opts, state, more);
    // The roots as the content section lists them: the host's (the deferred ones with them), then the labelled ones.
    const shown: WalkPart[] = [
      { roots: [...opts.roots, ...(d.roots ?? [])], displayRoot: opts.displayRoot },
      ...more.filter((w) => w.label !== undefined),
    ];
    progress.walking = false;
    await queue.drain();
    // Every file is answered: the cache is written now, while the workers may still read memory
    // (its ~50 ms were the very end of a warm default scan).
    cache?.close();
    // Stopped during the file scan: as before, no memory scan is reported.
    const mem = await memory.finish(opts.signal?.aborted === true);
    return {
      content: assembleContent(opts, shown, scanner, tally, parts, mem?.entries, started),
      ruleProblems: problems,
      ...(mem ? { memoryCoverage: mem.coverage } : {}),
    };
  } finally {
    await memory.settled();
    await pool.close();
    state.shortPaths.close();
    cache?.close();
  }
}

/** The memory scan of a content scan: started once its targets are known, reported after the files. */
class MemoryRun {
  private run: Promise<ContentMemory[]> | undefined;
  private readonly skips: WalkSkip[] = [];
  private readonly coverage: MemoryCoverage = { zeroBytes: 0, overBudget: 0 };

  // Where the jobs go, where skips land, and the progress line (the memory phase once files are done).
  constructor(
    private readonly pool: LazyPool,
    private readonly tally: ContentTally,
    private readonly progress: ProgressThrottle,
    private readonly signal?: AbortSignal,
  ) {}

  // Starts reading the targets' memory on the pool (once; nothing when stopped already).
  start(opts: ContentScanOptions['memory']): void {
    if (!opts || this.run || this.signal?.aborted) return;
    const tick = (): void => {
      if (!this.progress.walking) this.progress.tick('memory');
    };
    // Each process's regions are listed (its maps read) as a lane of the pool takes it, so the
    // first processes are read while the later ones are still being listed.
    const jobs = new MemoryJobs(opts, this.skips, this.coverage);
    this.run = this.pool.get().then((p) => scanMemory(p, jobs, tick, this.coverage, this.signal));
  }

  // The memory entries and coverage, or undefined when none was scanned or the scan was stopped.
  async finish(
    stopped: boolean,
  ): Promise<{ entries: ContentMemory[]; coverage: MemoryCoverage } | undefined> {
    if (!this.run) return undefined;
    const entries = await this.run;
    if (stopped) return undefined;
    this.skips.forEach((s) => this.tally.skip(s));
    return { entries, coverage: this.coverage };
  }

  // Waits for the jobs still on the pool (after an error elsewhere), so the pool closes idle.
  async settled(): Promise<void> {
    await this.run?.catch(() => undefined);
  }
}

/** Queues the files named besides the roots (process executables), answering from the cache first. */
async function queueExtraFiles(extraFiles: ExtraFile[], s: ScanState): Promise<void> {
  for (const extra of extraFiles) {
    if (s.signal?.aborted) return;
    const seenKey = extra.seenKey ?? extra.path;
    if (!s.seen.add(seenKey)) continue;
    // stat follows /proc/PID/exe to the running image: its identity keys the cache like any file.
    let st;
    try {
      st = statSync(extra.io);
    } catch {
      continue; // the process has exited
    }
    const key = fileOf(extra.io, extra.path, st);
    const hit = s.cache?.get(key);
    if (hit) {
      s.tally.stats.cached++;
      recordResult(s.tally, s.parts, { path: extra.path, size: st.size }, hit, false);
      continue;
    }
    await s.queue.enqueue(
      {
        id: s.queue.takeId(),
        path: extra.path,
        io: extra.io,
        execBit: true,
        size: st.size,
        limit: s.limit,
        // /proc/PID/exe is a link to the running image.
        follow: true,
      },
      key,
      { path: extra.path, size: st.size },
    );
  }
}

/** One walk of queueWalk: roots shown under `displayRoot`, and under `label:` when they are another system's. */
interface WalkPart {
  roots: readonly string[];
  displayRoot?: string;
  label?: string;
}

/** A walk event with its path shown under `label:`. */
function labelled(ev: WalkEvent, label: string): WalkEvent {
  if (ev.type === 'file') return { type: 'file', file: { ...ev.file, path: `${label}:${ev.file.path}` } };
  if (ev.type === 'skip') return { type: 'skip', skip: { ...ev.skip, path: `${label}:${ev.skip.path}` } };
  return ev;
}

/** Walks the roots: tallies skips and unchanged files, answers from the cache, queues the rest. */
async function queueWalk(opts: ContentScanOptions, s: ScanState, walkParts: WalkPart[]): Promise<void> {
  const pacer = new YieldPacer();
  const cache = s.cache;
  for (const part of walkParts) {
    const events = walk({
      roots: part.roots,
      oneFileSystem: opts.oneFileSystem,
      exclude: opts.exclude,
      prune: opts.prune,
      skipArchiveNames: opts.skipArchiveNames,
      skipOwnInstalls: opts.skipOwnInstalls,
      displayRoot: part.displayRoot,
      unchanged: cache && (() => cache.indexArrays()),
      shortPaths: s.shortPaths,
    });
    for (const ev of events) {
      // Stopped (Ctrl-C): the walk ends here; what was queued before lands.
      if (opts.signal?.aborted) return;
      // Most files are tallied without waiting: only a queued file or a due yield is awaited.
      const pending = queueEvent(part.label ? labelled(ev, part.label) : ev, s, pacer);
      if (pending) await pending;
    }
  }
}

/** One walk event: a skip or unchanged batch tallied, a file answered from the cache or queued. */
function queueEvent(ev: WalkEvent, s: ScanState, pacer: YieldPacer): Promise<void> | undefined {
  const { cache, tally, queue, progress, seen, parts } = s;
  if (ev.type === 'skip') {
    tally.skip(ev.skip);
    return undefined;
  }
  if (ev.type === 'unchanged') {
    tally.unchanged(ev.files, ev.bytes);
    if (!pacer.due(ev.files)) return undefined;
    progress.tick('files');
    return nextTurn();
  }
  const f = ev.file;
  if (!seen.add(f.path)) return undefined;
  tally.stats.bytesSeen += f.size;
  const cached = cache?.get(f);
  if (cached) {
    tally.stats.cached++;
    recordResult(tally, parts, f, cached, false);
    // Let finished batches land and the progress line move on a fully cached tree too.
    if (!pacer.due(1)) return undefined;
    progress.tick('files');
    return nextTurn();
  }
  const job: FileJob = {
    id: queue.takeId(),
    path: f.path,
    io: f.io,
    execBit: (f.mode & 0o111) !== 0,
    size: f.size,
    limit: s.limit,
  };
  if (f.follow) job.follow = true;
  return queue.enqueue(job, f, { path: f.path, size: f.size });
}

/** The snapshot's `content` section from the tally (sorted here) and the memory scan. */
function assembleContent(
  opts: ContentScanOptions,
  walkParts: WalkPart[],
  scanner: YaraScanner,
  tally: ContentTally,
  parts: PartsTally,
  memory: ContentMemory[] | undefined,
  started: number,
): Content {
  tally.sort();
  const { stats, files, skipped, skippedByReason } = tally;
  const content: Content = {
    scope: opts.scope,
    roots: walkParts.flatMap((w) =>
      w.roots.map((r) => (w.label ? `${w.label}:` : '') + shownPath(r, w.displayRoot)),
    ),
    engine: scanner.engine,
    ruleSetHash: scanner.ruleSetHash,
    ruleFiles: scanner.files.map((f) => f.path),
    files,
    skipped,
    stats: {
      files: stats.files,
      bytes: stats.bytes,
      cached: stats.cached,
      archiveEntries: stats.archiveEntries,
      skipped: tally.skippedTotal(),
      skippedByReason,
      memoryProcesses: memory?.length ?? 0,
      memoryBytes: memory?.reduce((s, m) => s + m.bytes, 0) ?? 0,
      durationMs: Math.round(performance.now() - started),
      // Only when there were any: snapshots of scans without large files stay as they were.
      ...(parts.files > 0
        ? { partsFiles: parts.files, bytesSkippedByParts: parts.bytesSkipped, largeHashMs: parts.hashMs }
        : {}),
    },
  };
  if (memory) content.memory = memory;
  return content;
}

// ---- Process memory ----

interface Region {
  start: number;
  length: number;
  /**
   * Private and backed by no file (heap, stack, anonymous maps): a page the process never touched
   * is in neither memory nor swap and reads as zeros, so it need not be read (scan-job.ts).
   */
  anonymous: boolean;
}

/** The names the kernel gives private anonymous memory in maps: none, heap, stacks, named (prctl). */
const ANONYMOUS_NAME = /^(?:|\[heap\]|\[stack(?::\d+)?\]|\[anon:[^\]\n]*\])$/;

/**
 * The regions worth scanning: writable ones (heap, stack, anonymous maps, a program's .data/.bss,
 * where unpacked or decoded code and strings end up) and anything mapped from a deleted file or a
 * memfd. Read-only mappings of files still on disk are left to the file scan.
 */
export function memoryRegions(maps: string): Region[] {
  const out: (Region & { rank: number })[] = [];
  // Field by field with indexOf: a regex per line was a tenth of the memory scan's main-thread
  // time on a host of a thousand processes (issue 20).
  // Where the next `(deleted)` and `/memfd:` are (-1: none left), searched again only once passed.
  let nextDeleted = maps.indexOf('(deleted)');
  let nextMemfd = maps.indexOf('/memfd:');
  for (let at = 0; at < maps.length;) {
    let eol = maps.indexOf('\n', at);
    if (eol < 0) eol = maps.length;
    const from = at;
    at = eol + 1;
    if (nextDeleted >= 0 && nextDeleted < from) nextDeleted = maps.indexOf('(deleted)', from);
    if (nextMemfd >= 0 && nextMemfd < from) nextMemfd = maps.indexOf('/memfd:', from);
    const odd = (nextDeleted >= from && nextDeleted < eol) || (nextMemfd >= from && nextMemfd < eol);
    // A line as the kernel writes it (`start-end r-xp …`) that is neither writable nor a deleted
    // file or memfd is passed over without being cut up: most lines of most processes.
    const sp = maps.indexOf(' ', from);
    if (
      !odd &&
      sp > from &&
      sp + 5 < eol &&
      maps.charCodeAt(sp + 5) === 32 &&
      maps.charCodeAt(sp + 2) !== 119
    )
      continue;
    const f = mapsLine(maps.slice(from, eol));
    if (!f || f.perms.charCodeAt(0) !== 114 /* r */) continue;
    const name = f.name;
    if (name === '[vvar]' || name === '[vsyscall]' || name === '[vdso]' || name.startsWith('[vvar')) continue;
    const deleted = name.endsWith('(deleted)') || name.startsWith('/memfd:');
    if (f.perms.charCodeAt(1) !== 119 /* w */ && !deleted) continue;
    // Within the per-process bound the likeliest places come first: the program's own data and
    // deleted/memfd images, then heap and stack, then anonymous maps (where big allocations sit).
    const rank = name.startsWith('/') ? 0 : name === '[heap]' ? 1 : name.startsWith('[stack') ? 2 : 3;
    // Only private maps of no file or device: a shared anonymous map is shmem, whose pages may be in
    // memory without being mapped here, and a driver's map (anon_inode:…) makes its pages on demand.
    const anonymous = f.perms.charCodeAt(3) === 112 /* p */ && ANONYMOUS_NAME.test(name);
    if (f.end > f.start) out.push({ start: f.start, length: f.end - f.start, anonymous, rank });
  }
  return out
    .sort((a, b) => a.rank - b.rank || a.start - b.start)
    .map(({ start, length, anonymous }) => ({ start, length, anonymous }));
}

const HEX = /^[0-9a-f]+$/;
const isSpace = (c: number): boolean => c === 32 || c === 9;

/**
 * One /proc/PID/maps line, `start-end perms offset dev inode [name]`, or undefined when it is not
 * one (what `^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\d+\s*(.*)$` accepted, without a regex per line).
 */
function mapsLine(line: string): { start: number; end: number; perms: string; name: string } | undefined {
  const dash = line.indexOf('-');
  if (dash <= 0) return undefined;
  let i = dash + 1;
  while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
  const from = line.slice(0, dash);
  const to = line.slice(dash + 1, i);
  if (!HEX.test(from) || !HEX.test(to)) return undefined;
  // perms, offset, dev, inode: each a run of non-blanks after blanks.
  const fields: string[] = [];
  while (fields.length < 4) {
    const blanks = i;
    while (i < line.length && isSpace(line.charCodeAt(i))) i++;
    if (i === blanks || i >= line.length) return undefined;
    const begin = i;
    while (i < line.length && !isSpace(line.charCodeAt(i))) i++;
    fields.push(line.slice(begin, i));
  }
  const [perms = '', , , inode = ''] = fields;
  if (perms.length !== 4 || !/^\d+$/.test(inode)) return undefined;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return { start: parseInt(from, 16), end: parseInt(to, 16), perms, name: line.slice(i) };
}

/** Processes that load a YARA engine hold every rule's patterns in memory: other minehunters, yara. */
export function runsRuleEngine(maps: string): boolean {
  // Nearly no process maps one: the regex runs only on the few maps that name the engine at all.
  return maps.includes('yara') && /yara-x[^/\n]*\.node|\/libyara[^/\n]*\.so/.test(maps);
}

async function scanMemory(
  pool: ScanPool,
  jobs: MemoryJobs,
  progress: () => void,
  coverage: MemoryCoverage,
  signal?: AbortSignal,
): Promise<ContentMemory[]> {
  const results: ContentMemory[] = [];
  // A few batches on the pool at a time: file batches queued meanwhile (the walk runs beside this)
  // wait behind a few dozen processes, not hundreds, and a stopped scan leaves the rest unlisted.
  const lane = async (): Promise<void> => {
    for (let batch = memoryBatch(jobs); batch.length > 0 && !signal?.aborted; batch = memoryBatch(jobs)) {
      const answers = await pool.scanMemory(batch.map((item) => item.job));
      batch.forEach((item, i) => {
        const r = answers[i];
        if (r) results.push(memoryEntry(item, r, coverage));
        progress();
      });
    }
  };
  await Promise.all(Array.from({ length: pool.capacity + 1 }, lane));
  return results.sort((a, b) => a.pid - b.pid);
}

/**
 * Processes per memory batch, and the most bytes one holds. Each batch is a round trip through the
 * main thread, which walks the files meanwhile: with one process per round trip (~0.6 ms of reading
 * and scanning each on a warm host) the worker waited for its next job most of the time (96 of 154
 * ms in a warm default scan of 91 processes).
 */
const MEMORY_BATCH_JOBS = 8;
const MEMORY_BATCH_BYTES = 16 << 20;

/** The next jobs, in order, up to a batch's count and bytes (at least one when any is left). */
function memoryBatch(jobs: MemoryJobs): MemoryJobItem[] {
  const batch: MemoryJobItem[] = [];
  let bytes = 0;
  while (batch.length < MEMORY_BATCH_JOBS && bytes < MEMORY_BATCH_BYTES) {
    const item = jobs.next();
    if (!item) break;
    batch.push(item);
    for (const [, length] of item.job.regions) bytes += length;
  }
  return batch;
}

/** One process's memory as the content section lists it; its coverage counted. */
function memoryEntry(item: MemoryJobItem, r: MemoryResult, coverage: MemoryCoverage): ContentMemory {
  const { target, truncated } = item;
  coverage.zeroBytes += r.zeroBytes ?? 0;
  if (r.absentBytes) coverage.absentBytes = (coverage.absentBytes ?? 0) + r.absentBytes;
  const entry: ContentMemory = {
    pid: r.pid,
    regions: r.regions,
    bytes: r.bytes,
    matches: toContentMatches(r.matches),
  };
  if (target.exe) entry.exe = target.exe;
  if (truncated) entry.truncated = true;
  return entry;
}

/** One process's memory job, with the target it reads and whether the per-process budget cut it. */
interface MemoryJobItem {
  job: MemoryJob;
  target: MemoryTarget;
  truncated: boolean;
}

/**
 * The memory jobs within the budgets, in the targets' order, each listed when asked for: the regions
 * of the target's maps worth reading. A procfs read is a copy out of kernel memory: synchronous it
 * costs microseconds, through the promise API a thread-pool round trip per step (issue 20).
 */
class MemoryJobs {
  private index = 0;
  private budget: number;
  private readonly procDir: string;

  // The targets and budgets, and where a rule engine's process (not read) and the budget's end are told.
  constructor(
    private readonly opts: NonNullable<ContentScanOptions['memory']>,
    private readonly skipped: WalkSkip[],
    private readonly coverage: MemoryCoverage,
  ) {
    this.budget = opts.totalBytes;
    this.procDir = opts.procDir ?? '/proc';
  }

  // The next target's job, or undefined when the targets or the total budget are spent.
  next(): MemoryJobItem | undefined {
    const { targets, perProcessBytes } = this.opts;
    while (this.index < targets.length) {
      if (this.budget <= 0) {
        // Said in the record's note: a host of thousands of processes spends the budget before the last.
        this.coverage.overBudget = targets.length - this.index;
        this.index = targets.length;
        return undefined;
      }
      const target = targets[this.index++] as MemoryTarget;
      let maps: string;
      try {
        maps = readFileSync(`${this.procDir}/${target.pid}/maps`, 'utf8');
      } catch {
        continue;
      }
      if (runsRuleEngine(maps)) {
        this.skipped.push({
          path: `/proc/${target.pid}`,
          reason: 'rule-engine-process',
          detail: target.exe ?? '',
        });
        continue;
      }
      let room = Math.min(perProcessBytes, this.budget);
      const regions: MemoryJob['regions'] = [];
      let truncated = false;
      for (const r of memoryRegions(maps)) {
        if (room <= 0) {
          truncated = true;
          break;
        }
        const len = Math.min(r.length, room);
        if (len < r.length) truncated = true;
        regions.push(r.anonymous ? [r.start, len, true] : [r.start, len]);
        room -= len;
      }
      this.budget -= regions.reduce((sum, [, l]) => sum + l, 0);
      if (regions.length > 0) return { job: { pid: target.pid, regions }, target, truncated };
    }
    return undefined;
  }
}
