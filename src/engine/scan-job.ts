// What the content scan's scheduler and its worker threads say to each other, and the scan of one
// file or one process's memory as plain functions, so the worker is a thin message loop and the
// same code can run on the main thread in tests. A file up to the size limit is read whole; a
// larger one is scanned by its parts (file-parts.ts), so padding a miner past the limit does not
// hide it. A web file read whole (a script, page or PHP file, by its name) is also scanned as the
// web normaliser decodes it (web-normalise/), so an obfuscated loader is found by what it runs.
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, statfsSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { errnoCode } from '../util/errors.js';
import { nativeFunction } from '../util/paths.js';
import { archiveType, expandArchive, type ArchiveLimits } from './archives.js';
import { fileForm, type FileForm } from './file-form.js';
import {
  paddingOf,
  programLayout,
  scanProgramParts,
  scanWindows,
  trustsAllocation,
  type FileParts,
  type Padding,
  type PartsSource,
  type ViewMap,
} from './file-parts.js';
import { reasonOf, type WalkSkip } from './skips.js';
import {
  scanWebContent,
  WEB_NORMALISE_ENABLED,
  webHint,
  type WebMatch,
  type WebScanResult,
} from './web-normalise/index.js';
import type { RuleMatch, YaraScanner } from './yara.js';

export interface FileJob {
  id: number;
  path: string;
  io: string | Uint8Array;
  /** The walker saw an exec bit: hash it even without a match, for the hash IOCs. */
  execBit: boolean;
  /**
   * The size the walk saw: a file that grew since is read up to it, so a log or a hostile file
   * growing under the scan cannot make a worker allocate without bound.
   */
  size: number;
  /**
   * The size limit: a larger file is scanned by its parts (file-parts.ts), each engine call holding
   * at most this many bytes. Without it the file is read whole, whatever its size.
   */
  limit?: number;
  /**
   * Open through a symbolic link: a process's /proc/PID/exe, a file root named on the command line.
   * A walked entry, which the walk lstat-ed as a regular file, is opened with O_NOFOLLOW.
   */
  follow?: boolean;
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
function readWhole(fd: number, size: number): Buffer {
  let buf: Buffer;
  if (size <= REUSE_MAX) {
    if (scratch.length < size)
      scratch = Buffer.allocUnsafeSlow(Math.min(REUSE_MAX, Math.max(size, scratch.length * 2)));
    buf = scratch;
  } else buf = Buffer.allocUnsafeSlow(size);
  return buf.subarray(0, readInto(fd, buf, size, 0));
}

/** Reads up to `length` bytes at `position` into the start of `buf`; fewer at the end of the file. */
function readInto(fd: number, buf: Buffer, length: number, position: number): number {
  let n = 0;
  while (n < length) {
    const got = readSync(fd, buf, n, length - n, position + n);
    if (got <= 0) break;
    n += got;
  }
  return n;
}

/**
 * Non-blocking, so a FIFO or a terminal that replaced a walked file after its lstat reads as empty
 * instead of hanging the worker; no following of a last-component link for walked entries.
 */
function openFile(io: string | Buffer, follow: boolean): number {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  return openSync(io, follow ? flags : flags | constants.O_NOFOLLOW);
}

/** A rule matched in a layer the web normaliser decoded, not in the file's bytes as they are. */
export interface DecodedMatch {
  /** Techniques undone to reach the layer, outermost first; never empty. */
  chain: string[];
  /** The decoded text around the match, sanitised for display. */
  excerpt: string;
}

/** A rule match; string offsets count in the decoded layer when `decoded` is present. */
export interface ScannedMatch extends RuleMatch {
  decoded?: DecodedMatch;
}

/**
 * What the web normaliser could not finish in a file: decodings refused as bombs, or why it stopped
 * short. Only these facts are kept; the decoded text stays in the worker.
 */
export interface WebFacts {
  bombs?: string[];
  stopped?: string;
}

export interface EntryResult {
  path: string;
  size: number;
  sha256: string;
  matches: ScannedMatch[];
  form?: FileForm;
  web?: WebFacts;
}

/** The outcome for one file: cached as is, so a warm scan rebuilds exactly what a cold one found. */
export interface FileResult {
  matches: ScannedMatch[];
  sha256?: string;
  executable?: boolean;
  /** What kind of object the file is (program, text, rule file…), for a file with a match. */
  form?: FileForm;
  /** Archive entries that matched. */
  entries?: EntryResult[];
  archiveEntries?: number;
  /** The file itself could not be scanned (reason), or parts of its archive were left out. */
  skips?: WalkSkip[];
  /** A run of one byte value appended to a program (T1027.001), with the hash of what precedes it. */
  padding?: Padding;
  /** How a file over the size limit was scanned (absent for a file read whole). */
  parts?: FileParts;
  /** Milliseconds spent hashing a file over the size limit, whose sha256 a match or padding needed. */
  hashMs?: number;
  /** A web file whose decoding met a bomb or stopped short (see WebFacts). */
  web?: WebFacts;
}

/** Nothing found, nothing to record: the answer for a file a batch does not mention. */
export function isEmptyResult(r: FileResult): boolean {
  return (
    r.matches.length === 0 &&
    r.sha256 === undefined &&
    r.executable === undefined &&
    r.entries === undefined &&
    r.archiveEntries === undefined &&
    r.skips === undefined &&
    r.padding === undefined &&
    r.parts === undefined &&
    r.web === undefined
  );
}

export interface MemoryJob {
  pid: number;
  /**
   * [start address, length] of each region to read, already bounded by the scheduler; `true` third
   * for a private anonymous one, whose untouched pages are left unread (see residentRuns).
   */
  regions: [start: number, length: number, anonymous?: true][];
}

export interface MemoryResult {
  pid: number;
  bytes: number;
  regions: number;
  matches: RuleMatch[];
  error?: string;
  /** Bytes read that were whole zero pages at the edges of a piece, not handed to the rules (see nonZeroSpan). */
  zeroBytes?: number;
  /** Bytes of anonymous pages in neither memory nor swap, left unread (see residentRuns). */
  absentBytes?: number;
}

/** A batch of files, or of processes' memory (results in the jobs' order). */
export type ToWorker = { type: 'files'; jobs: FileJob[] } | { type: 'memory'; jobs: MemoryJob[] };
export type FromWorker =
  | { type: 'ready' }
  /** Results of a file batch; a job not listed found nothing (see isEmptyResult). */
  | { type: 'files'; results: { id: number; result: FileResult }[] }
  | { type: 'memory'; results: MemoryResult[] }
  | { type: 'fatal'; message: string };

const ELF_MAGIC = 0x464c457f;

function isElf(data: Buffer): boolean {
  return data.length >= 4 && data.readUInt32LE(0) === ELF_MAGIC;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function scanFileJob(scanner: YaraScanner, job: FileJob, limits: ArchiveLimits): FileResult {
  const io = typeof job.io === 'string' ? job.io : Buffer.from(job.io);
  let fd: number;
  try {
    fd = openFile(io, job.follow === true);
  } catch (err) {
    return readFailure(job, err);
  }
  try {
    if (job.limit !== undefined && job.size > job.limit) return scanLargeFile(scanner, job, fd, io);
    let data: Buffer;
    try {
      data = readWhole(fd, job.size);
    } catch (err) {
      return readFailure(job, err);
    }
    return scanWholeFile(scanner, job, data, limits);
  } finally {
    closeSync(fd);
  }
}

/** The file could not be opened or read: a reported skip. */
function readFailure(job: FileJob, err: unknown): FileResult {
  // O_NOFOLLOW met a link where the walk saw a regular file: it was replaced under the scan.
  if (errnoCode(err) === 'ELOOP' && !job.follow)
    return {
      matches: [],
      skips: [{ path: job.path, reason: 'special-file', detail: 'replaced by a symbolic link' }],
    };
  return { matches: [], skips: [{ path: job.path, reason: reasonOf(err), detail: (err as Error).message }] };
}

/** `/srv/site.zip!js/main.js` is named `main.js`: the name that tells what the bytes are. */
function innermostName(p: string): string {
  const inner = p.slice(p.lastIndexOf('!') + 1);
  return inner.slice(inner.lastIndexOf('/') + 1);
}

/** A normaliser match as the result records it: the chain and excerpt only when it was decoded. */
function toScanned(m: WebMatch): ScannedMatch {
  const { chain, decodedExcerpt, ...match } = m;
  return chain.length > 0 ? { ...match, decoded: { chain, excerpt: decodedExcerpt ?? '' } } : match;
}

/**
 * The rules over a file's bytes and, for a web file, over what the normaliser decodes from them.
 * The engine failing on the bytes themselves throws (the caller reports the skip); the normaliser
 * failing costs only the decoded layers, and is recorded as why decoding stopped.
 */
export function scanBytes(
  scanner: Pick<YaraScanner, 'scanBuffer'>,
  data: Buffer,
  name: string,
): { matches: ScannedMatch[]; web?: WebFacts } {
  const matches: RuleMatch[] = scanner.scanBuffer(data);
  const hint = WEB_NORMALISE_ENABLED ? webHint(innermostName(name)) : undefined;
  if (!hint) return { matches };
  let web: WebScanResult;
  try {
    web = scanWebContent(scanner, data, hint, { original: matches });
  } catch (err) {
    return { matches, web: { stopped: `web normaliser failed: ${(err as Error).message}` } };
  }
  const facts: WebFacts = {};
  if (web.bombs.length > 0) facts.bombs = web.bombs;
  if (web.stopped) facts.stopped = web.stopped;
  const out = { matches: web.matches.map(toScanned) };
  return facts.bombs || facts.stopped ? { ...out, web: facts } : out;
}

/** A file read whole: scanned as one buffer, hashed, its padding measured, an archive expanded. */
function scanWholeFile(scanner: YaraScanner, job: FileJob, data: Buffer, limits: ArchiveLimits): FileResult {
  let scanned: { matches: ScannedMatch[]; web?: WebFacts };
  try {
    scanned = scanBytes(scanner, data, job.path);
  } catch (err) {
    return engineFailure(job.path, err);
  }
  const { matches, web } = scanned;
  const result: FileResult = { matches };
  if (web) result.web = web;
  const executable = job.execBit || isElf(data);
  if (executable) result.executable = true;
  const padding = paddingOf(data);
  if (padding) result.padding = { ...padding, sha256Before: sha256(data.subarray(0, padding.offset)) };
  // A web file's decoding bomb is reported on its own: its hash is evidence too.
  if (executable || matches.length > 0 || padding || web) result.sha256 = sha256(data);
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
        const { matches: found, web: entryWeb } = scanBytes(scanner, ev.data, ev.name);
        if (found.length > 0 || entryWeb)
          entries.push({
            path: where,
            size: ev.data.length,
            sha256: sha256(ev.data),
            matches: found,
            form: fileForm(ev.data),
            ...(entryWeb ? { web: entryWeb } : {}),
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

// ---- Files over the size limit ----

/** How much of a program's loaded parts is scanned, in size limits (several engine calls). */
const PROGRAM_BUDGET_VIEWS = 16;
/** The head read to tell a program from data and find its headers. */
const HEAD_BYTES = 64 * 1024;
/**
 * Files over the limit are hashed when the evidence needs it (a match, padding) up to this size:
 * hashing costs ~1.5 s per GiB here, and a file this large is on no published hash list. The bytes
 * before a padding (the file as published, what a hash list would know) are hashed up to it too.
 */
export const LARGE_HASH_MAX = 256 * 1024 * 1024;
/** Strings kept per rule when the matches of several views are merged (the engine's own default). */
const MAX_STRINGS = 16;

/** The holes accounting's facts (see PartsSource.allocated): only for filesystems that count honestly. */
function allocationOf(io: string | Buffer, st: Stats): Pick<PartsSource, 'allocated' | 'blockSize'> {
  try {
    const fs = statfsSync(io);
    if (trustsAllocation(fs.type)) return { allocated: st.blocks * 512, blockSize: fs.bsize };
  } catch {
    // No accounting: holes are read, as zeros, and left out like any run of one value.
  }
  return {};
}

/** A view's matches merged into `byRule`, their offsets turned into file offsets. */
function mergeMatches(byRule: Map<string, RuleMatch>, found: RuleMatch[], map: ViewMap): void {
  for (const m of found) {
    const key = `${m.namespace}:${m.rule}`;
    const strings = m.strings.map((s) => ({ ...s, offset: map.fileOffset(s.offset) }));
    const prev = byRule.get(key);
    if (!prev) {
      byRule.set(key, { ...m, strings });
      continue;
    }
    // A view's first bytes repeat the previous view's last ones: the same string is counted once.
    let repeated = 0;
    for (const s of strings) {
      if (prev.strings.some((p) => p.identifier === s.identifier && p.offset === s.offset)) repeated++;
      else if (prev.strings.length < MAX_STRINGS) prev.strings.push(s);
    }
    prev.stringCount += m.stringCount - repeated;
  }
}

/** sha256 of the file's first `end` bytes, read in pieces. */
function sha256Prefix(fd: number, end: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(end, 1024 * 1024));
  for (let pos = 0; pos < end;) {
    const n = readInto(fd, buf, Math.min(buf.length, end - pos), pos);
    if (n <= 0) break;
    hash.update(buf.subarray(0, n));
    pos += n;
  }
  return hash.digest('hex');
}

/** The hashes a large file's evidence needs, and the time they took; a read error leaves them out. */
function hashLargeFile(fd: number, result: FileResult, padding: Padding | undefined, size: number): void {
  const t0 = performance.now();
  if (padding) result.padding = padding;
  try {
    if (padding && padding.offset <= LARGE_HASH_MAX)
      result.padding = { ...padding, sha256Before: sha256Prefix(fd, padding.offset) };
    if ((result.matches.length > 0 || padding) && size <= LARGE_HASH_MAX)
      result.sha256 = sha256Prefix(fd, size);
  } catch {
    // The file went away or turned unreadable after its scan: its findings stand without a hash.
  }
  if (padding || result.sha256) result.hashMs = Math.round(performance.now() - t0);
}

/**
 * A file over the size limit: a program by its parts, anything else by windows (file-parts.ts);
 * each view is scanned and the matches merged. Not expanded as an archive (that needs it whole).
 */
function scanLargeFile(scanner: YaraScanner, job: FileJob, fd: number, io: string | Buffer): FileResult {
  const limit = job.limit as number;
  let st: Stats;
  try {
    st = fstatSync(fd);
  } catch (err) {
    return readFailure(job, err);
  }
  if (!st.isFile()) return { matches: [], skips: [{ path: job.path, reason: 'special-file' }] };
  const size = Math.min(job.size, st.size);
  const src: PartsSource = {
    size,
    read: (buf, offset, length, position) => readSync(fd, buf, offset, length, position),
    ...allocationOf(io, st),
  };
  const byRule = new Map<string, RuleMatch>();
  let head: Buffer;
  let outcome;
  try {
    head = Buffer.allocUnsafe(Math.min(HEAD_BYTES, size));
    head = head.subarray(0, readInto(fd, head, head.length, 0));
    const layout = programLayout(head, size, (at, length) => {
      const b = Buffer.allocUnsafe(length);
      return b.subarray(0, readInto(fd, b, length, at));
    });
    const budget = { view: limit, total: layout ? PROGRAM_BUDGET_VIEWS * limit : limit };
    const sink = (view: Buffer, map: ViewMap): void => mergeMatches(byRule, scanner.scanBuffer(view), map);
    outcome = layout ? scanProgramParts(src, layout, budget, sink) : scanWindows(src, budget, sink);
  } catch (err) {
    return errnoCode(err) ? readFailure(job, err) : engineFailure(job.path, err);
  }
  const matches = [...byRule.values()];
  const result: FileResult = { matches, parts: outcome.parts };
  if (job.execBit || isElf(head)) result.executable = true;
  if (matches.length > 0) result.form = fileForm(head);
  hashLargeFile(fd, result, outcome.padding, size);
  return result;
}

/** Largest single read of process memory: regions are scanned in pieces of this size. */
const MEMORY_CHUNK = 4 * 1024 * 1024;
let memoryBuffer: Buffer | undefined;

/** The unit of the zero test: memory a process never touched reads as whole pages of zeros. */
const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);
/**
 * Zero bytes kept beside the non-zero part of a piece: a pattern that ends or starts in zeros (a
 * UTF-16 string's last NUL) still matches, and the piece still starts with a zero byte where it did,
 * so no rule anchored at offset 0 (an ELF or WebAssembly magic) matches where it did not before.
 */
export const ZERO_MARGIN = 256;

function zeroPage(buf: Buffer, at: number, end: number): boolean {
  const to = Math.min(end, at + PAGE);
  return buf.compare(ZERO_PAGE, 0, to - at, at, to) === 0;
}

/**
 * The part of a piece of process memory worth handing to the rules: the whole zero pages at either
 * end are left out, but for ZERO_MARGIN bytes each side; undefined when every byte is zero. Most of
 * an idle process's heap, stack and anonymous maps were never touched: with a thousand copies of
 * one daemon, scanning those zeros was three quarters of the memory scan's time (issue 20). Zeros
 * inside the non-zero part stay, so strings of one piece stay together as the rules see them.
 */
export function nonZeroSpan(buf: Buffer): [number, number] | undefined {
  const n = buf.length;
  let from = 0;
  while (from < n && zeroPage(buf, from, n)) from += PAGE;
  if (from >= n) return undefined;
  let to = n;
  let last = from + Math.floor((n - 1 - from) / PAGE) * PAGE;
  while (last > from && zeroPage(buf, last, n)) {
    to = last;
    last -= PAGE;
  }
  return [from > 0 ? from - ZERO_MARGIN : 0, to < n ? to + ZERO_MARGIN : n];
}

/**
 * /proc/PID/pagemap: one 64-bit little-endian entry per page; bit 63 the page is in memory, bit 62
 * in swap, read here as bits 31 and 30 of the entry's upper half.
 */
const PAGEMAP_ENTRY = 8;
const IN_MEMORY_OR_SWAP = 0xc0000000;
let pagemapBuffer: Buffer | undefined;

/** A run of pages to read, and whether untouched pages lie just before and after it. */
export interface MemoryRun {
  start: number;
  length: number;
  absentBefore: boolean;
  absentAfter: boolean;
}

/**
 * The runs of pages of a private anonymous region that are in memory or in swap; undefined when
 * pagemap cannot be read (then the region is read whole, as before). A page the process never
 * touched is in neither and reads as zeros, but reading it through /proc/PID/mem makes the kernel
 * give the process a page of real memory: a scan of 722 idle processes left each with its whole
 * heap, stack and anonymous maps resident (a sleeper: 20 of 89 pages before, 89 after; ~250 MB
 * more in use on the host), and read 3-4 times the bytes it needed to (issue 20). So those pages
 * are never read.
 */
export function residentRuns(pagemap: number, start: number, length: number): MemoryRun[] | undefined {
  const first = Math.floor(start / PAGE);
  const pages = Math.ceil((start + length) / PAGE) - first;
  const bytes = pages * PAGEMAP_ENTRY;
  if (!pagemapBuffer || pagemapBuffer.length < bytes)
    pagemapBuffer = Buffer.allocUnsafe(Math.max(bytes, 64 * 1024));
  const entries = pagemapBuffer;
  try {
    if (readSync(pagemap, entries, 0, bytes, first * PAGEMAP_ENTRY) !== bytes) return undefined;
  } catch {
    return undefined;
  }
  const end = start + length;
  const runs: MemoryRun[] = [];
  let runStart = -1;
  for (let i = 0; i <= pages; i++) {
    const used = i < pages && (entries.readUInt32LE(i * PAGEMAP_ENTRY + 4) & IN_MEMORY_OR_SWAP) !== 0;
    if (used && runStart < 0) runStart = i;
    if (used || runStart < 0) continue;
    const from = Math.max(start, (first + runStart) * PAGE);
    const to = Math.min(end, (first + i) * PAGE);
    runs.push({ start: from, length: to - from, absentBefore: runStart > 0, absentAfter: i < pages });
    runStart = -1;
  }
  return runs;
}

/** Opens /proc/PID/pagemap; undefined when it cannot be (then regions are read whole). */
function openPagemap(procDir: string, pid: number): number | undefined {
  try {
    return openSync(`${procDir}/${pid}/pagemap`, 'r');
  } catch {
    return undefined;
  }
}

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
  const read = memoryReads(job.pid, fd, procDir);
  const pagemap = job.regions.some((r) => r[2]) ? openPagemap(procDir, job.pid) : undefined;
  try {
    for (const [start, length, anonymous] of job.regions) {
      const runs = anonymous && pagemap !== undefined ? residentRuns(pagemap, start, length) : undefined;
      let readAny = false;
      let runBytes = 0;
      for (const run of runs ?? [{ start, length, absentBefore: false, absentAfter: false }]) {
        if (scanMemoryRun(scanner, read, run, out, byRule)) readAny = true;
        runBytes += run.length;
      }
      if (runs && runBytes < length) out.absentBytes = (out.absentBytes ?? 0) + length - runBytes;
      if (readAny) out.regions++;
    }
  } finally {
    closeSync(fd);
    if (pagemap !== undefined) closeSync(pagemap);
  }
  out.matches = [...byRule.values()];
  return out;
}

/** Reads `length` bytes of a process at `address` into buf[offset..]: how many (a prefix), or throws. */
type MemoryRead = (buf: Buffer, offset: number, length: number, address: number) => number;

type ReadMemory = (pid: number, address: number, buf: Uint8Array, offset: number, length: number) => number;

/** The addon's process_vm_readv (native/procmem.c), loaded once per thread; null without it. */
let nativeReadMemory: ReadMemory | null | undefined;

function loadReadMemory(): ReadMemory | null {
  // Without it: read through /proc/PID/mem.
  if (nativeReadMemory === undefined) nativeReadMemory = nativeFunction<ReadMemory>('readMemory') ?? null;
  return nativeReadMemory;
}

/**
 * The reads of one process's memory: process_vm_readv through the addon (a third of the time of a
 * pread of /proc/PID/mem, which copies a page at a time), else a pread of `fd`, its /proc/PID/mem.
 * What the addon cannot read is asked of /proc/PID/mem too, which answers as before; a call the
 * system refuses outright (a seccomp filter: EPERM, ENOSYS) is not made again by this thread. Only
 * on a live /proc: another procDir's PIDs are not this system's.
 */
function memoryReads(pid: number, fd: number, procDir: string): MemoryRead {
  const viaFd: MemoryRead = (buf, offset, length, address) => readSync(fd, buf, offset, length, address);
  if (procDir !== '/proc' || !loadReadMemory()) return viaFd;
  return (buf, offset, length, address) => {
    const native = nativeReadMemory;
    const n = native ? native(pid, address, buf, offset, length) : -1;
    if (n >= 0) return n;
    if (native && (n === -EPERM || n === -ENOSYS)) nativeReadMemory = null;
    return viaFd(buf, offset, length, address);
  };
}

const { EPERM, ENOSYS } = osConstants.errno;

/**
 * Reads a run of process memory in pieces and scans each, merging matches per rule into `byRule`;
 * whether anything could be read. Beside untouched pages, ZERO_MARGIN zero bytes are put in front of
 * the first piece and after the last, as reading those pages would have given: a pattern that ends
 * or starts in zeros still matches, and no piece starts with a run's first byte (see nonZeroSpan).
 */
function scanMemoryRun(
  scanner: YaraScanner,
  read: MemoryRead,
  run: MemoryRun,
  out: MemoryResult,
  byRule: Map<string, RuleMatch>,
): boolean {
  // One buffer per thread, reused for every piece of every job: the scan is synchronous, so nothing
  // outlives a read, and a scan of hundreds of processes does not leave hundreds of 4 MiB buffers to
  // the garbage collector.
  const buf = (memoryBuffer ??= Buffer.allocUnsafe(MEMORY_CHUNK + 2 * ZERO_MARGIN));
  let done = 0;
  let readAny = false;
  while (done < run.length) {
    const lead = done === 0 && run.absentBefore ? ZERO_MARGIN : 0;
    let n: number;
    try {
      n = read(buf, lead, Math.min(MEMORY_CHUNK, run.length - done), run.start + done);
    } catch {
      break; // an unmapped or guard page: the rest of this run is unreadable
    }
    if (n <= 0) break;
    const pieceAt = run.start + done - lead;
    readAny = true;
    done += n;
    out.bytes += n;
    const trail = done === run.length && run.absentAfter ? ZERO_MARGIN : 0;
    buf.fill(0, 0, lead);
    buf.fill(0, lead + n, lead + n + trail);
    const piece = buf.subarray(0, lead + n + trail);
    const span = nonZeroSpan(piece);
    const kept = span ? span[1] - span[0] : 0;
    // The margins are not read bytes: only what was read counts as zeros left out.
    const zeros = Math.max(0, piece.length - kept - lead - trail);
    if (zeros > 0) out.zeroBytes = (out.zeroBytes ?? 0) + zeros;
    if (!span) continue;
    let found: RuleMatch[];
    try {
      found = scanner.scanBuffer(piece.subarray(span[0], span[1]));
    } catch {
      continue;
    }
    for (const m of found) {
      const key = `${m.namespace}:${m.rule}`;
      const prev = byRule.get(key);
      // Offsets become addresses, which is what a person checks with gdb or /proc/PID/mem.
      const strings = m.strings.map((s) => ({ ...s, offset: s.offset + pieceAt + span[0] }));
      if (!prev) byRule.set(key, { ...m, strings });
      else {
        prev.stringCount += m.stringCount;
        prev.strings.push(...strings.slice(0, Math.max(0, 16 - prev.strings.length)));
      }
    }
  }
  return readAny;
}

/** The engine gave up on a file (its time limit or an internal error): a reported skip, not a crash. */
function engineFailure(file: string, err: unknown): FileResult {
  const detail = (err as Error).message;
  return {
    matches: [],
    skips: [{ path: file, reason: /timeout/i.test(detail) ? 'timeout' : 'scan-error', detail }],
  };
}
