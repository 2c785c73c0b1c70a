// What the content scan's scheduler and its worker threads say to each other, and the scan of one
// file or one process's memory as plain functions, so the worker is a thin message loop and the
// same code can run on the main thread in tests.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { archiveType, expandArchive, type ArchiveLimits } from './archives.js';
import { fileForm, type FileForm } from './file-form.js';
import { reasonOf, type WalkSkip } from './skips.js';
import type { RuleMatch, YaraScanner } from './yara.js';

export interface FileJob {
  id: number;
  path: string;
  io: string | Uint8Array;
  /** The walker saw an exec bit: hash it even without a match, for the hash IOCs. */
  execBit: boolean;
  /**
   * The size the walk saw, which passed the size limit: a file that grew since is read up to it,
   * so a log or a hostile file growing under the scan cannot make a worker allocate without bound.
   */
  size: number;
}

/**
 * Every file is read whole into memory and scanned as a buffer. YARA-X's own scanFile reads the
 * file onto its heap too (measured: a 63 MB file left the worker 62 MB larger after the call, and
 * the prefilter and the full rules each made a copy), so reading it ourselves costs no more CPU,
 * halves the peak for a large file, and lets the hash of an executable come from the same bytes.
 * Files up to REUSE_MAX share one buffer per worker thread; larger ones get their own, freed after.
 */
const REUSE_MAX = 16 * 1024 * 1024;
let scratch = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * The file's bytes, at most `size` of them (fewer if it shrank); the view is valid until the next
 * read. No fstat: the walk's size is the bound, and reading stops at the end of the file.
 */
function readWhole(io: string | Buffer, size: number): Buffer {
  const fd = openSync(io, 'r');
  try {
    let buf: Buffer;
    if (size <= REUSE_MAX) {
      if (scratch.length < size)
        scratch = Buffer.allocUnsafeSlow(Math.min(REUSE_MAX, Math.max(size, scratch.length * 2)));
      buf = scratch;
    } else buf = Buffer.allocUnsafeSlow(size);
    let n = 0;
    while (n < size) {
      const got = readSync(fd, buf, n, size - n, n);
      if (got <= 0) break;
      n += got;
    }
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export interface EntryResult {
  path: string;
  size: number;
  sha256: string;
  matches: RuleMatch[];
  form?: FileForm;
}

/** The outcome for one file: cached as is, so a warm scan rebuilds exactly what a cold one found. */
export interface FileResult {
  matches: RuleMatch[];
  sha256?: string;
  executable?: boolean;
  /** What kind of object the file is (program, text, rule file…), for a file with a match. */
  form?: FileForm;
  /** Archive entries that matched. */
  entries?: EntryResult[];
  archiveEntries?: number;
  /** The file itself could not be scanned (reason), or parts of its archive were left out. */
  skips?: WalkSkip[];
}

/** Nothing found, nothing to record: the answer for a file a batch does not mention. */
export function isEmptyResult(r: FileResult): boolean {
  return (
    r.matches.length === 0 &&
    r.sha256 === undefined &&
    r.executable === undefined &&
    r.entries === undefined &&
    r.archiveEntries === undefined &&
    r.skips === undefined
  );
}

export interface MemoryJob {
  pid: number;
  /** [start address, length] of each region to read, already bounded by the scheduler. */
  regions: [number, number][];
}

export interface MemoryResult {
  pid: number;
  bytes: number;
  regions: number;
  matches: RuleMatch[];
  error?: string;
}

export type ToWorker = { type: 'files'; jobs: FileJob[] } | { type: 'memory'; job: MemoryJob };
export type FromWorker =
  | { type: 'ready' }
  /** Results of a file batch; a job not listed found nothing (see isEmptyResult). */
  | { type: 'files'; results: { id: number; result: FileResult }[] }
  | { type: 'memory'; result: MemoryResult }
  | { type: 'fatal'; message: string };

const ELF_MAGIC = 0x464c457f;

function isElf(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === ELF_MAGIC;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function scanFileJob(scanner: YaraScanner, job: FileJob, limits: ArchiveLimits): FileResult {
  let data: Buffer;
  try {
    data = readWhole(typeof job.io === 'string' ? job.io : Buffer.from(job.io), job.size);
  } catch (err) {
    return {
      matches: [],
      skips: [{ path: job.path, reason: reasonOf(err), detail: (err as Error).message }],
    };
  }
  let matches: RuleMatch[];
  try {
    matches = scanner.scanBuffer(data);
  } catch (err) {
    return engineFailure(job.path, err);
  }
  const result: FileResult = { matches };
  const executable = job.execBit || isElf(data);
  if (executable) result.executable = true;
  if (executable || matches.length > 0) result.sha256 = sha256(data);
  if (matches.length > 0) result.form = fileForm(data);
  const type = archiveType(data);
  if (type) {
    const entries: EntryResult[] = [];
    const skips: WalkSkip[] = [];
    let count = 0;
    for (const ev of expandArchive(data, type, limits)) {
      const where = ev.name === '' ? job.path : `${job.path}!${ev.name}`;
      if (ev.type === 'skip') {
        skips.push({ path: where, reason: ev.reason, ...(ev.detail ? { detail: ev.detail } : {}) });
        continue;
      }
      count++;
      try {
        const found = scanner.scanBuffer(ev.data);
        if (found.length > 0)
          entries.push({
            path: where,
            size: ev.data.length,
            sha256: sha256(ev.data),
            matches: found,
            form: fileForm(ev.data),
          });
      } catch (err) {
        skips.push({ path: where, reason: 'scan-error', detail: (err as Error).message });
      }
    }
    result.archiveEntries = count;
    if (entries.length > 0) {
      result.entries = entries;
      // The archive itself is hashed too: a miner's release archive, dropped as downloaded, is on
      // the hash lists by the checksums its publisher printed.
      result.sha256 ??= sha256(data);
    }
    if (skips.length > 0) result.skips = skips;
  }
  return result;
}

/** Largest single read of process memory: regions are scanned in pieces of this size. */
const MEMORY_CHUNK = 4 * 1024 * 1024;

/** Reads the given regions of /proc/PID/mem and scans each; matches are merged per rule. */
export function scanMemoryJob(scanner: YaraScanner, job: MemoryJob, procDir = '/proc'): MemoryResult {
  const out: MemoryResult = { pid: job.pid, bytes: 0, regions: 0, matches: [] };
  let fd: number;
  try {
    fd = openSync(`${procDir}/${job.pid}/mem`, 'r');
  } catch (err) {
    out.error = (err as Error).message;
    return out;
  }
  const byRule = new Map<string, RuleMatch>();
  // One buffer per job, reused for every piece: the scan is synchronous, so nothing outlives a read.
  const buf = Buffer.allocUnsafe(MEMORY_CHUNK);
  try {
    for (const [start, length] of job.regions) {
      let done = 0;
      let readAny = false;
      while (done < length) {
        const want = Math.min(MEMORY_CHUNK, length - done);
        let n: number;
        try {
          n = readSync(fd, buf, 0, want, start + done);
        } catch {
          break; // an unmapped or guard page: the rest of this region is unreadable
        }
        if (n <= 0) break;
        readAny = true;
        done += n;
        out.bytes += n;
        let found: RuleMatch[];
        try {
          found = scanner.scanBuffer(buf.subarray(0, n));
        } catch {
          continue;
        }
        for (const m of found) {
          const key = `${m.namespace}:${m.rule}`;
          const prev = byRule.get(key);
          // Offsets become addresses, which is what a person checks with gdb or /proc/PID/mem.
          const strings = m.strings.map((s) => ({ ...s, offset: s.offset + start + done - n }));
          if (!prev) byRule.set(key, { ...m, strings });
          else {
            prev.stringCount += m.stringCount;
            prev.strings.push(...strings.slice(0, Math.max(0, 16 - prev.strings.length)));
          }
        }
      }
      if (readAny) out.regions++;
    }
  } finally {
    closeSync(fd);
  }
  out.matches = [...byRule.values()];
  return out;
}

/** The engine gave up on a file (its time limit or an internal error): a reported skip, not a crash. */
function engineFailure(file: string, err: unknown): FileResult {
  const detail = (err as Error).message;
  return {
    matches: [],
    skips: [{ path: file, reason: /timeout/i.test(detail) ? 'timeout' : 'scan-error', detail }],
  };
}
