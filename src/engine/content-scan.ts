// The content scan: compiles our rules and the user's, walks the scan roots, answers unchanged
// files from the cache, sends the rest in batches to the worker pool, scans the memory of running
// processes, and returns the facts for the snapshot's `content` section. The scheduler keeps at
// most a few batches in flight, so memory is bounded however large the tree is.
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Content, ContentFile, ContentMemory } from '../snapshot/schema.js';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archives.js';
import { ScanCache } from './cache.js';
import { ScanPool } from './pool.js';
import type { FileJob, FileResult, MemoryJob } from './scan-job.js';
import { shownPath, walk, type WalkFile, type WalkSkip } from './walker.js';
import { compileRulesCached } from './compiled-cache.js';
import {
  bundledRulesDir,
  listRuleFiles,
  type RuleMatch,
  type RuleProblem,
  type YaraScanner,
} from './yara.js';

export interface ExtraFile {
  /** The path the snapshot shows (a process's exe). */
  path: string;
  /** What to open, e.g. /proc/PID/exe for a deleted executable. */
  io: string;
  size: number;
}

export interface MemoryTarget {
  pid: number;
  exe?: string;
}

export interface ContentScanOptions {
  scope: Content['scope'];
  roots: string[];
  /** Files scanned besides the roots (running processes' executables). */
  extraFiles?: ExtraFile[];
  oneFileSystem: boolean;
  maxFileSize: number;
  exclude: string[];
  /** Directories to leave out with a reported skip (the default scope's package stores). */
  prune?: RegExp;
  /** The default scope's shortcuts: archives by name left out, other minehunter trees left out. */
  skipArchiveNames?: boolean;
  skipOwnInstalls?: boolean;
  /** An offline system's root (--root): paths are shown as that system sees them. */
  displayRoot?: string;
  /** The user's rule directories, loaded beside rules/. */
  userRuleDirs?: string[];
  /** SQLite file, or undefined for no cache. */
  cachePath?: string;
  memory?: { targets: MemoryTarget[]; perProcessBytes: number; totalBytes: number; procDir?: string };
  archiveLimits?: ArchiveLimits;
  workers?: number;
  /** Called about ten times a second with the running totals. */
  onProgress?: (p: ContentProgress) => void;
  /** Per-file scan timeout. */
  timeoutMs?: number;
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
}

export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;
/** Skips listed in the snapshot; beyond this only counted per reason. */
const MAX_LISTED_SKIPS = 200;
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

function toContentMatches(matches: RuleMatch[]): ContentFile['matches'] {
  return matches.map((m) => ({
    rule: m.rule,
    namespace: m.namespace,
    meta: m.meta,
    strings: m.strings.map((s) => ({ identifier: s.identifier, offset: s.offset, excerpt: s.excerpt })),
    stringCount: m.stringCount,
  }));
}

export async function scanContent(
  opts: ContentScanOptions,
  compiled = compileAllRules(opts.userRuleDirs, opts.cachePath),
): Promise<ContentScanResult> {
  const started = performance.now();
  const { scanner, problems } = compiled;
  const limits = opts.archiveLimits ?? DEFAULT_ARCHIVE_LIMITS;
  const cache = opts.cachePath ? new ScanCache(opts.cachePath, scanner.ruleSetHash) : undefined;
  // Started on the first file the cache cannot answer: a warm rescan never pays for the threads.
  let poolStart: Promise<ScanPool> | undefined;
  const getPool = (): Promise<ScanPool> =>
    (poolStart ??= ScanPool.start(scanner, {
      size: poolSize,
      scan: { timeoutMs: opts.timeoutMs ?? 10_000 },
      limits,
    }));
  const poolSize = Math.max(1, opts.workers ?? os.availableParallelism());

  const files: ContentFile[] = [];
  const skipped: WalkSkip[] = [];
  const skippedByReason: Record<string, number> = {};
  const stats = { files: 0, bytes: 0, cached: 0, archiveEntries: 0, bytesSeen: 0 };
  const skip = (s: WalkSkip): void => {
    skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;
    if (skipped.length < MAX_LISTED_SKIPS) skipped.push(s);
  };
  const record = (file: { path: string; size: number }, r: FileResult): void => {
    for (const s of r.skips ?? []) skip(s);
    if (r.skips?.some((s) => s.path === file.path)) return;
    stats.files++;
    stats.bytes += file.size;
    stats.archiveEntries += r.archiveEntries ?? 0;
    if (r.matches.length > 0 || r.executable || r.sha256) {
      const entry: ContentFile = { path: file.path, size: file.size, matches: toContentMatches(r.matches) };
      if (r.sha256) entry.sha256 = r.sha256;
      if (r.executable) entry.executable = true;
      if (r.form) entry.form = r.form;
      files.push(entry);
    }
    for (const e of r.entries ?? [])
      files.push({
        path: e.path,
        size: e.size,
        sha256: e.sha256,
        matches: toContentMatches(e.matches),
        ...(e.form ? { form: e.form } : {}),
      });
  };

  let lastProgress = 0;
  let walking = true;
  const progress = (phase: ContentProgress['phase']): void => {
    if (!opts.onProgress) return;
    const now = performance.now();
    if (now - lastProgress < 100) return;
    lastProgress = now;
    opts.onProgress({ phase, files: stats.files, bytes: stats.bytes, bytesSeen: stats.bytesSeen, walking });
  };

  // Files the walk reaches twice (a process exe inside a scanned root) are scanned once.
  const seen = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = poolSize * 2;
  let nextId = 0;
  type Item = { job: FileJob; file: WalkFile | undefined; display: { path: string; size: number } };
  let batch: Item[] = [];
  let batchBytes = 0;
  // Large files go one after another, beside the batches: the engine maps a file whole while it
  // scans it, and two 60 MiB binaries mapped at once put 120 MiB on the peak memory.
  let bigFiles: Promise<void> = Promise.resolve();

  const run = (items: Item[]): Promise<void> =>
    getPool()
      .then((pool) => pool.scanFiles(items.map((i) => i.job)))
      .then((results) => {
        const byId = new Map(results.map((r) => [r.id, r.result]));
        for (const item of items) {
          const r = byId.get(item.job.id) ?? { matches: [] };
          if (item.file && cache) cache.put(item.file, r);
          record(item.display, r);
        }
        progress('files');
      });

  const dispatch = (): void => {
    if (batch.length === 0) return;
    const items = batch;
    batch = [];
    batchBytes = 0;
    const tracked = run(items).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const enqueue = async (
    job: FileJob,
    file: WalkFile | undefined,
    display: { path: string; size: number },
  ): Promise<void> => {
    if (display.size >= BIG_FILE) {
      bigFiles = bigFiles.then(() => run([{ job, file, display }]));
      return;
    }
    batch.push({ job, file, display });
    batchBytes += display.size;
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) {
      dispatch();
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
  };

  try {
    for (const extra of opts.extraFiles ?? []) {
      if (seen.has(extra.path)) continue;
      seen.add(extra.path);
      // stat follows /proc/PID/exe to the running image: its identity keys the cache like any file.
      let st;
      try {
        st = statSync(extra.io);
      } catch {
        continue; // the process has exited
      }
      const key: WalkFile = {
        path: extra.path,
        io: extra.io,
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
        mode: st.mode,
      };
      const hit = cache?.get(key);
      if (hit) {
        stats.cached++;
        record({ path: extra.path, size: st.size }, hit);
        continue;
      }
      await enqueue({ id: nextId++, path: extra.path, io: extra.io, execBit: true, size: st.size }, key, {
        path: extra.path,
        size: st.size,
      });
    }
    let sinceYield = 0;
    for (const ev of walk({
      roots: opts.roots,
      oneFileSystem: opts.oneFileSystem,
      maxFileSize: opts.maxFileSize,
      exclude: opts.exclude,
      prune: opts.prune,
      skipArchiveNames: opts.skipArchiveNames,
      skipOwnInstalls: opts.skipOwnInstalls,
      displayRoot: opts.displayRoot,
      unchanged: cache && (() => cache.indexArrays()),
    })) {
      if (ev.type === 'skip') {
        skip(ev.skip);
        continue;
      }
      if (ev.type === 'unchanged') {
        stats.files += ev.files;
        stats.cached += ev.files;
        stats.bytes += ev.bytes;
        stats.bytesSeen += ev.bytes;
        sinceYield += ev.files;
        if (sinceYield >= 2000) {
          sinceYield = 0;
          progress('files');
          await new Promise((r) => setImmediate(r));
        }
        continue;
      }
      const f = ev.file;
      if (seen.has(f.path)) continue;
      if (seen.size < 1_000_000) seen.add(f.path);
      stats.bytesSeen += f.size;
      const cached = cache?.get(f);
      if (cached) {
        stats.cached++;
        record(f, cached);
        // Let finished batches land and the progress line move on a fully cached tree too.
        if (++sinceYield >= 2000) {
          sinceYield = 0;
          progress('files');
          await new Promise((r) => setImmediate(r));
        }
        continue;
      }
      await enqueue(
        { id: nextId++, path: f.path, io: f.io, execBit: (f.mode & 0o111) !== 0, size: f.size },
        f,
        {
          path: f.path,
          size: f.size,
        },
      );
    }
    walking = false;
    dispatch();
    while (inFlight.size > 0) await Promise.race(inFlight);
    await bigFiles;

    let memory: ContentMemory[] | undefined;
    if (opts.memory) {
      const memSkips: WalkSkip[] = [];
      memory = await scanMemory(await getPool(), opts.memory, () => progress('memory'), memSkips);
      memSkips.forEach(skip);
    }

    files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const content: Content = {
      scope: opts.scope,
      roots: opts.roots.map((r) => shownPath(r, opts.displayRoot)),
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
        skipped: Object.values(skippedByReason).reduce((a, b) => a + b, 0),
        skippedByReason,
        memoryProcesses: memory?.length ?? 0,
        memoryBytes: memory?.reduce((s, m) => s + m.bytes, 0) ?? 0,
        durationMs: Math.round(performance.now() - started),
      },
    };
    if (memory) content.memory = memory;
    return { content, ruleProblems: problems };
  } finally {
    if (poolStart)
      await poolStart.then(
        (p) => p.close(),
        () => undefined,
      );
    cache?.close();
  }
}

// ---- Process memory ----

interface Region {
  start: number;
  length: number;
}

/**
 * The regions worth scanning: writable ones (heap, stack, anonymous maps, a program's .data/.bss,
 * where unpacked or decoded code and strings end up) and anything mapped from a deleted file or a
 * memfd. Read-only mappings of files still on disk are left to the file scan.
 */
export function memoryRegions(maps: string): Region[] {
  const out: (Region & { rank: number })[] = [];
  for (const line of maps.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, from, to, perms = '', name = ''] = m;
    if (perms[0] !== 'r') continue;
    if (name === '[vvar]' || name === '[vsyscall]' || name === '[vdso]' || name.startsWith('[vvar')) continue;
    const deleted = name.endsWith('(deleted)') || name.startsWith('/memfd:');
    if (perms[1] !== 'w' && !deleted) continue;
    const start = parseInt(from as string, 16);
    const end = parseInt(to as string, 16);
    // Within the per-process bound the likeliest places come first: the program's own data and
    // deleted/memfd images, then heap and stack, then anonymous maps (where big allocations sit).
    const rank = name.startsWith('/') ? 0 : name === '[heap]' ? 1 : name.startsWith('[stack') ? 2 : 3;
    if (end > start) out.push({ start, length: end - start, rank });
  }
  return out
    .sort((a, b) => a.rank - b.rank || a.start - b.start)
    .map(({ start, length }) => ({ start, length }));
}

/** Processes that load a YARA engine hold every rule's patterns in memory: other minehunters, yara. */
export function runsRuleEngine(maps: string): boolean {
  return /yara-x[^/\n]*\.node|\/libyara[^/\n]*\.so/.test(maps);
}

async function scanMemory(
  pool: ScanPool,
  opts: NonNullable<ContentScanOptions['memory']>,
  progress: () => void,
  skipped: WalkSkip[],
): Promise<ContentMemory[]> {
  const { readFile } = await import('node:fs/promises');
  const procDir = opts.procDir ?? '/proc';
  let budget = opts.totalBytes;
  const jobs: { job: MemoryJob; target: MemoryTarget; truncated: boolean }[] = [];
  for (const target of opts.targets) {
    if (budget <= 0) break;
    let maps: string;
    try {
      maps = await readFile(`${procDir}/${target.pid}/maps`, 'utf8');
    } catch {
      continue;
    }
    if (runsRuleEngine(maps)) {
      skipped.push({ path: `/proc/${target.pid}`, reason: 'rule-engine-process', detail: target.exe ?? '' });
      continue;
    }
    let room = Math.min(opts.perProcessBytes, budget);
    const regions: [number, number][] = [];
    let truncated = false;
    for (const r of memoryRegions(maps)) {
      if (room <= 0) {
        truncated = true;
        break;
      }
      const len = Math.min(r.length, room);
      if (len < r.length) truncated = true;
      regions.push([r.start, len]);
      room -= len;
    }
    const used = regions.reduce((s, [, l]) => s + l, 0);
    budget -= used;
    if (regions.length > 0) jobs.push({ job: { pid: target.pid, regions }, target, truncated });
  }
  const results = await Promise.all(
    jobs.map(async ({ job, target, truncated }) => {
      const r = await pool.scanMemory(job);
      progress();
      const entry: ContentMemory = {
        pid: r.pid,
        regions: r.regions,
        bytes: r.bytes,
        matches: toContentMatches(r.matches),
      };
      if (target.exe) entry.exe = target.exe;
      if (truncated) entry.truncated = true;
      return entry;
    }),
  );
  return results.sort((a, b) => a.pid - b.pid);
}
