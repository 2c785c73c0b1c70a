// The reading half of the process walk: every /proc/PID file read synchronously (proc-read.ts: with
// Node, or many processes per call by the native addon) and parsed into plain data (structured-clone
// safe), and the two CPU samples. It runs in a worker thread on a live host
// (proc-worker.ts), so the other collectors' I/O callbacks are not held up by it, or inline on the
// main thread between turns of the event loop; collect/linux/processes.ts assembles the ProcessInfo.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isGone } from '../../util/errors.js';
import { fileTimes, type FileTimes } from '../file-times.js';
import { parseCgroup, type CgroupContainer } from './containers/cgroup.js';
import { epochNow, type CpuBaseline } from './cpu-baseline.js';
import { nodeProcReads, type ProcFiles, type ProcReads, type Settled } from './proc-read.js';

/** USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture user space sees. */
export const CLK_TCK = 100;

/** The kernel's flag for its own threads in /proc/PID/stat; user space cannot set it. */
export const PF_KTHREAD = 0x00200000;

export interface StatFields {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  flags: number;
  utime: number;
  stime: number;
  numThreads: number;
  starttime: number;
}

/**
 * Parses /proc/PID/stat. The name sits in parentheses and may itself hold spaces and `)`, so the
 * fields start after the LAST `)`.
 */
export function parseStat(text: string): StatFields | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // Single spaces on every kernel; a copy with other spacing still parses.
  const rest = text.slice(close + 1).trim();
  // Only the first 20 fields are used: the other 30-odd are not split off (two reads per process).
  let f = rest.split(' ', 20);
  if (f.includes('')) f = rest.split(/\s+/, 20);
  // After the name: state(3) ppid(4) … flags(9) … utime(14) stime(15) … num_threads(20) … starttime(22).
  const num = (i: number): number => Number(f[i]);
  const fields: StatFields = {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0] ?? '',
    ppid: num(1),
    flags: num(6),
    utime: num(11),
    stime: num(12),
    numThreads: num(17),
    starttime: num(19),
  };
  const numbers = [
    pid,
    fields.ppid,
    fields.flags,
    fields.utime,
    fields.stime,
    fields.numThreads,
    fields.starttime,
  ];
  return numbers.every((n) => Number.isInteger(n) && n >= 0) && fields.state !== '' ? fields : undefined;
}

export function parseStatus(text: string): {
  uid?: number;
  threads?: number;
  rssBytes?: number;
  nsPid?: number[];
} {
  const out: { uid?: number; threads?: number; rssBytes?: number; nsPid?: number[] } = {};
  // The effective uid is the one whose rights the process uses, and the one `ps` shows as USER.
  const uid = /^\s+\d+\s+(\d+)/.exec(statusLine(text, 'Uid:'));
  if (uid) out.uid = Number(uid[1]);
  const threads = /^\s+(\d+)/.exec(statusLine(text, 'Threads:'));
  if (threads) out.threads = Number(threads[1]);
  const rss = /^\s+(\d+)\s*kB/.exec(statusLine(text, 'VmRSS:'));
  if (rss) out.rssBytes = Number(rss[1]) * 1024;
  // The pid in each PID namespace the process belongs to, outermost first (Linux 4.1+).
  const nsPid = /^[ \t]*(\d+(?:[ \t]+\d+)*)[ \t]*$/.exec(statusLine(text, 'NSpid:'));
  if (nsPid) out.nsPid = (nsPid[1] as string).split(/[ \t]+/).map(Number);
  return out;
}

/**
 * The rest of the status line that starts with `key`, or '' when there is none: found with
 * indexOf, so the four fields cost four short regexes instead of four multiline ones over the
 * whole file (issue 20).
 */
function statusLine(text: string, key: string): string {
  const at = text.startsWith(key) ? 0 : text.indexOf(`\n${key}`) + 1;
  if (at === 0 && !text.startsWith(key)) return '';
  const from = at + key.length;
  const eol = text.indexOf('\n', from);
  return text.slice(from, eol < 0 ? text.length : eol);
}

/**
 * The init of a PID namespace other than the one it is seen from, i.e. a container's pid 1: its
 * `NSpid` line holds more than one pid and the innermost is 1. Killing it ends the whole container.
 */
export function isNamespaceInit(nsPid: number[] | undefined): boolean {
  return nsPid !== undefined && nsPid.length > 1 && nsPid[nsPid.length - 1] === 1;
}

const DELETED = ' (deleted)';

export function parseLinkTarget(target: string): { path: string; deleted: boolean } {
  return target.endsWith(DELETED)
    ? { path: target.slice(0, -DELETED.length), deleted: true }
    : { path: target, deleted: false };
}

/**
 * Distinct file-backed shared objects from /proc/PID/maps, in load order: files named like a shared
 * library, and any other file mapped executable (a library under a disguised name, a memfd payload).
 * The process's own executable is left out; `(deleted)` suffixes are kept as evidence.
 */
export function parseMaps(text: string, exe?: string): string[] {
  const seen = new Set<string>();
  let start = 0;
  // The next ` /` in the text, searched again only once the walk has passed it (runs of anonymous
  // mappings would otherwise be searched over once per line).
  let slash = -1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    // `start-end perms offset dev inode   /path`: the first ` /` starts the path (no field before it
    // holds a slash). Anonymous and pseudo mappings name no file and are skipped here.
    if (slash < start) slash = text.indexOf(' /', start);
    if (slash < 0) break;
    if (slash < end) {
      // The permissions follow the address range's single space.
      const space = text.indexOf(' ', start);
      const file = text.slice(slash + 1, end);
      if (space > start && space + 5 <= slash && !seen.has(file)) {
        const target = parseLinkTarget(file).path;
        if (target !== exe && (text.charCodeAt(space + 3) === 120 /* x */ || isSharedObject(target)))
          seen.add(file);
      }
    }
    start = end + 1;
  }
  return [...seen];
}

/** A file named like a shared library: `*.so`, `*.so.6`, `*.so-…`. */
function isSharedObject(file: string): boolean {
  const at = file.indexOf('.so', file.lastIndexOf('/'));
  return at >= 0 && /\.so(\.|-|$)/.test(path.posix.basename(file));
}

/** A stat line as read, or its read's error thrown. */
function statLine(line: Settled<string>): string {
  if (!line.ok) throw line.err;
  return line.value as string;
}

/** Kernel threads have no exe, environment, maps or files; the kernel's flag cannot be faked. */
function isKthreadStat(st: StatFields | undefined): boolean {
  return st !== undefined && (st.flags & PF_KTHREAD) !== 0;
}

/** Rounds to two decimals, as CPU percentages are shown. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** A read error as the walk hands it back (an Error does not survive structured cloning whole). */
export interface WalkError {
  path: string;
  message: string;
  code?: string;
}

/** One process as read from its /proc/PID: parsed, but not yet joined with the host's facts. */
export interface WalkedProcess {
  pid: number;
  /** The first sample's stat line. */
  stat: StatFields;
  /** The kernel's own flag for its threads: no exe, environment, maps or files were asked for. */
  kthreadFlag: boolean;
  status: ReturnType<typeof parseStatus>;
  argv: string[];
  exe?: { path: string; deleted: boolean };
  cwd?: { path: string; deleted: boolean };
  env: Record<string, string>;
  maps: string[];
  container?: CgroupContainer;
  /** Socket inodes held (the socket join's input) and the `net:[N]` namespace link. */
  inodes?: number[];
  netns?: string;
  /** The reads that failed for a reason other than the process leaving. */
  readErrors?: string[];
}

export interface WalkResult {
  processes: WalkedProcess[];
  /** First-sample and read errors, in walk order. */
  errors: WalkError[];
  /** Processes that exited while being read: normal on a running system. */
  vanished: number;
}

/** The second sample's request: the pids still listed, those dropped if gone, the minimum window. */
export interface CpuRequest {
  pids: number[];
  droppable: number[];
  minWindowMs: number;
}

/** A kernel thread: the kernel's flag, or (without it) a child of kthreadd with no exe and no argv. */
export function isKernelThread(w: WalkedProcess): boolean {
  const { pid, stat } = w;
  return w.kthreadFlag || ((pid === 2 || stat.ppid === 2) && w.exe === undefined && w.argv.length === 0);
}

/**
 * The second sample of every walked process. One gone by then before its executable was read is
 * dropped: we cannot tell a zombie from a race.
 */
export function cpuRequest(processes: WalkedProcess[], minWindowMs: number): CpuRequest {
  return {
    pids: processes.map((p) => p.pid),
    droppable: processes.filter((p) => p.exe === undefined && !isKernelThread(p)).map((p) => p.pid),
    minWindowMs,
  };
}

/** The second CPU sample: CPU% by pid, the pids to drop, errors, and the real window length. */
export interface CpuResult {
  cpu: [pid: number, percent: number][];
  gone: number[];
  errors: WalkError[];
  windowMs: number;
  /** The longest window, when the walk's workers each sampled over their own (windowMs: the shortest). */
  windowMaxMs?: number;
}

/** The message a thrown read error leaves, with its errno code. */
function walkError(file: string, err: unknown): WalkError {
  const e: WalkError = { path: file, message: err instanceof Error ? err.message : String(err) };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') e.code = code;
  return e;
}

interface FirstSample {
  stat: StatFields;
  /** Where the process's CPU window starts: ms since 1970, and its utime + stime then. */
  at: number;
  ticks: number;
}

/**
 * The walk over one procDir: the first CPU sample of every pid, then each process's files, then
 * the second sample. All times are this thread's clock, so the window is measured where it is taken.
 */
export class ProcWalker {
  private readonly first = new Map<number, FirstSample>();
  private readonly cgroups = new Map<string, CgroupContainer | undefined>();
  readonly errors: WalkError[] = [];
  vanished = 0;
  private start = 0;

  /**
   * The proc directory read (/proc, or a copy inside an offline root), the CPU window's first
   * sample when one was taken earlier (cpu-baseline.ts: a process it holds, with the same start
   * time, is measured from there), and how its files are read (proc-read.ts: the native addon's
   * reader when there is one, many processes per call; else Node's).
   */
  constructor(
    private readonly procDir: string,
    private readonly baseline?: CpuBaseline,
    private readonly reads: ProcReads = nodeProcReads(procDir),
  ) {}

  // The first stat sample of each pid: taken for every pid before anything else is read.
  sampleAll(pids: readonly number[]): void {
    let i = 0;
    for (const line of this.reads.stats(pids)) this.sample(pids[i++] as number, line);
  }

  // The first stat sample of one pid, from its stat line as read.
  private sample(pid: number, line: Settled<string>): void {
    const file = `${this.procDir}/${pid}/stat`;
    try {
      const text = statLine(line);
      const at = epochNow();
      const stat = parseStat(text);
      if (!stat) {
        this.errors.push(walkError(file, new Error('unparseable stat line')));
        return;
      }
      const early = this.baseline?.ticks.get(pid);
      if (early && early[0] === stat.starttime && this.baseline)
        this.first.set(pid, { stat, at: this.baseline.at, ticks: early[1] });
      else this.first.set(pid, { stat, at, ticks: stat.utime + stat.stime });
    } catch (err) {
      if (isGone(err)) this.vanished++;
      else this.errors.push(walkError(file, err));
    }
  }

  // Marks the end of the first sample: the window's length is counted from here, or from the
  // earlier baseline when there is one.
  sampled(): void {
    this.start = this.baseline?.at ?? epochNow();
  }

  /** Every process of `pids` that had a first sample and is still there, in order. */
  readAll(pids: readonly number[]): WalkedProcess[] {
    const sampled = pids.filter((pid) => this.first.has(pid));
    const kthread = sampled.map((pid) => isKthreadStat(this.first.get(pid)?.stat));
    const out: WalkedProcess[] = [];
    let i = 0;
    for (const files of this.reads.read(sampled, kthread)) {
      const p = this.read(sampled[i++] as number, files);
      if (p) out.push(p);
    }
    return out;
  }

  // One process from its files as read, or undefined when it left meanwhile.
  private read(pid: number, r: ProcFiles): WalkedProcess | undefined {
    const st = this.first.get(pid)?.stat;
    if (!st) return undefined;
    const dir = `${this.procDir}/${pid}`;
    const kthreadFlag = isKthreadStat(st);
    // The process left between the first sample and now: normal, not an error.
    if ([r.status, r.cmdline].some((x) => !x.ok && isGone(x.err))) {
      this.vanished++;
      return undefined;
    }
    const readErrors = this.readErrors(dir, r);
    const exe = typeof r.exeLink.value === 'string' ? parseLinkTarget(r.exeLink.value) : undefined;
    const walked: WalkedProcess = {
      pid,
      stat: st,
      kthreadFlag,
      status: r.status.value !== undefined ? parseStatus(r.status.value) : {},
      argv: r.cmdline.value ?? [],
      env: r.environ.value ?? {},
      maps: typeof r.maps.value === 'string' ? parseMaps(r.maps.value, exe?.path) : [],
    };
    if (exe) walked.exe = exe;
    if (typeof r.cwdLink.value === 'string') walked.cwd = parseLinkTarget(r.cwdLink.value);
    const container = typeof r.cgroup.value === 'string' ? this.container(r.cgroup.value) : undefined;
    if (container) walked.container = container;
    if (r.fds.value !== undefined) walked.inodes = r.fds.value;
    if (typeof r.netns.value === 'string') walked.netns = r.netns.value;
    if (readErrors.length > 0) walked.readErrors = readErrors;
    return walked;
  }

  // The container a cgroup file names, parsed once per distinct file (most processes share a few).
  private container(text: string): CgroupContainer | undefined {
    if (this.cgroups.has(text)) return this.cgroups.get(text);
    const found = parseCgroup(text);
    this.cgroups.set(text, found);
    return found;
  }

  // The reads that failed for a reason other than the process leaving, logged and listed for the process.
  private readErrors(dir: string, r: ProcFiles): string[] {
    const readErrors: string[] = [];
    const failed = (part: string, x: Settled<unknown>): void => {
      if (x.ok || isGone(x.err)) return;
      const code = (x.err as { code?: unknown } | null)?.code;
      readErrors.push(`${part}: ${typeof code === 'string' ? code : String(x.err)}`);
      this.errors.push(walkError(path.join(dir, part), x.err));
    };
    failed('status', r.status);
    failed('cmdline', r.cmdline);
    failed('exe', r.exeLink);
    failed('cwd', r.cwdLink);
    failed('environ', r.environ);
    failed('maps', r.maps);
    failed('fd', r.fds);
    failed('cgroup', r.cgroup);
    return readErrors;
  }

  // How long the second sample should still wait for the window to last `minWindowMs`.
  remainingMs(minWindowMs: number): number {
    return Math.max(0, minWindowMs - (epochNow() - this.start));
  }

  /**
   * The second sample of each pid and its CPU% over the window. A pid in `droppable` that is gone
   * left before its executable was read: we cannot tell a zombie from a race, so it is dropped.
   */
  private cpu(pid: number, droppable: boolean, out: CpuResult, line: Settled<string>): void {
    const before = this.first.get(pid);
    const file = `${this.procDir}/${pid}/stat`;
    try {
      const text = statLine(line);
      const at = epochNow();
      const st = parseStat(text);
      // A different starttime means the pid was reused by a new process during the window.
      if (!st || !before || st.starttime !== before.stat.starttime) return;
      const elapsedSec = (at - before.at) / 1000;
      const ticks = st.utime + st.stime - before.ticks;
      if (elapsedSec > 0 && ticks >= 0) out.cpu.push([pid, round2(((ticks / CLK_TCK) * 100) / elapsedSec)]);
    } catch (err) {
      if (isGone(err) && droppable) out.gone.push(pid);
      else if (!isGone(err)) out.errors.push(walkError(file, err));
    }
  }

  // The second sample of each of `pids` (see cpu), added to `out`.
  cpuInto(pids: readonly number[], droppable: ReadonlySet<number>, out: CpuResult): void {
    let i = 0;
    for (const line of this.reads.stats(pids)) {
      const pid = pids[i++] as number;
      this.cpu(pid, droppable.has(pid), out, line);
    }
  }

  // The second sample of every pid of `req`, as a CpuResult with the window's length.
  cpuAll(req: CpuRequest): CpuResult {
    const out: CpuResult = { cpu: [], gone: [], errors: [], windowMs: 0 };
    this.cpuInto(req.pids, new Set(req.droppable), out);
    out.windowMs = this.windowMs();
    return out;
  }

  // The window's real length, from the end of the first sample to now.
  windowMs(): number {
    return Math.round(epochNow() - this.start);
  }
}

/** One executable's hash, size, times (from the stat its identity is keyed on), or read error. */
export interface ExeHash {
  sha256?: string;
  size?: number;
  times?: FileTimes;
  error?: WalkError;
}

/**
 * The live walk's executable hasher, on the walk's own thread: each running executable is read
 * through the kernel's /proc/PID/exe link (so deleted and memfd ones hash too) and hashed once per
 * file (device, inode, size, mtime), synchronously, so that no hash waits in the thread pool behind
 * the other collectors' reads (issue 17).
 */
export class ExeHashes {
  private readonly byKey = new Map<string, ExeHash>();
  private buf: Buffer | undefined;

  // Files larger than maxBytes get their size only (processes.ts's MAX_HASH_BYTES).
  constructor(private readonly maxBytes: number) {}

  // The executable of one process, through its exe link in procDir.
  of(exeLink: string): ExeHash {
    let st: Stats;
    try {
      st = statSync(exeLink);
    } catch (err) {
      return isGone(err) ? {} : { error: walkError(exeLink, err) };
    }
    // Same device, inode, size and mtime: the same bytes, hashed once however many run it. A file
    // replaced on disk is a new inode (or a new mtime when rewritten in place), so it is hashed again.
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    let shared = this.byKey.get(key);
    if (!shared) {
      shared = this.hash(exeLink);
      // The timeline's times of the program come from this stat too: no second stat per process.
      if (st.isFile()) shared.times = fileTimes(st);
      this.byKey.set(key, shared);
    }
    return shared;
  }

  // Reads and hashes one file; one too large is only sized.
  private hash(file: string): ExeHash {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      return isGone(err) ? {} : { error: walkError(file, err) };
    }
    try {
      const total = fstatSync(fd).size;
      if (total > this.maxBytes) return { size: total };
      const hash = createHash('sha256');
      const buf = (this.buf ??= Buffer.allocUnsafe(1024 * 1024));
      let size = 0;
      for (;;) {
        const got = readSync(fd, buf, 0, buf.length, null);
        if (got === 0) break;
        hash.update(buf.subarray(0, got));
        size += got;
      }
      return { sha256: hash.digest('hex'), size };
    } catch (err) {
      return isGone(err) ? {} : { error: walkError(file, err) };
    } finally {
      closeSync(fd);
    }
  }
}
