// Processes read straight from <root>/proc: argv byte-exact, exe with its deleted/memfd flags, LD_*
// variables, mapped libraries, CPU sampled over a short window, and the socket inodes each one holds.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readlinkSync, readSync, statSync, type Stats } from 'node:fs';
import { fileTimes, type FileTimes } from '../file-times.js';
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { CollectionRecord, ProcessInfo } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, errnoCode, errorMessage, isGone, parsePasswd } from '../support.js';
import { parseBootTime } from './host.js';
import type { SocketJoin } from './sockets.js';
import { parseCgroup, type CgroupContainer } from './containers/cgroup.js';

/** USER_HZ: the unit of /proc/PID/stat times; 100 on every Linux architecture user space sees. */
export const CLK_TCK = 100;
/**
 * Executables larger than this are not hashed (their size is still recorded): miners are a few MiB,
 * while hashing a 100 MiB runtime such as node or java on every scan costs the process scan a tenth
 * of its one-second budget. The content scan still reads such files up to its own size limit.
 */
export const MAX_HASH_BYTES = 64 * 1024 * 1024;
/** The kernel's flag for its own threads in /proc/PID/stat; user space cannot set it. */
export const PF_KTHREAD = 0x00200000;
/**
 * Processes read per turn of the event loop. A procfs read is a copy out of kernel memory that
 * takes microseconds synchronously, while the same read through the promise API costs four thread
 * pool round trips (open, fstat, read, close) and ~0.1 ms of bookkeeping: with ten files per
 * process that was ~4 ms per process (issue 20). So each batch is read synchronously, and the walk
 * yields between batches so the collectors running beside it still get their I/O done.
 */
export const BATCH = 64;
const HASH_CONCURRENCY = 2;

/** The buffer every procfs read of the walk goes through (grown when a file is larger): one walk at a time uses it. */
let readBuf = Buffer.allocUnsafe(64 * 1024);

/**
 * A procfs file's bytes, read synchronously into the shared buffer: procfs reports size 0, so
 * readFileSync's option parsing, fstat and fresh buffer per call bought nothing and cost a fifth
 * of the walk (issue 20). The returned view is valid until the next read.
 */
function readProcBytes(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    let buf = readBuf;
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
        // Kept for the next reads up to 1 MiB; a larger one (a huge maps file) is let go after use.
        if (buf.length <= 1024 * 1024) readBuf = buf;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) return buf.subarray(0, n);
      n += got;
    }
  } finally {
    closeSync(fd);
  }
}

/** A procfs file as text (see readProcBytes). */
export function readProcText(file: string): string {
  return readProcBytes(file).toString('utf8');
}

export interface ProcessCollectOptions {
  cpuWindowMs: number;
  hashExecutables: boolean;
  /** Only these pids (the watch mode's new processes); default every pid. */
  pids?: readonly number[];
}

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

/** Splits NUL-separated argv: empty arguments stay, the terminating NUL does not add one. */
export function splitNul(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const end = buf[buf.length - 1] === 0 ? buf.length - 1 : buf.length;
  return buf.toString('utf8', 0, end).split('\0');
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

/** Only the dynamic loader's variables: the rest of an environment may hold secrets. */
export function parseLdEnv(buf: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  // Most environments hold no LD_ variable: not decoding and splitting them saves most of the work.
  if (buf.indexOf('LD_') < 0) return env;
  for (const entry of splitNul(buf)) {
    if (!entry.startsWith('LD_')) continue;
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
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

interface Sample {
  ticks: number;
  starttime: number;
  at: number;
}

interface HashResult {
  sha256?: string;
  size?: number;
  error?: unknown;
}

/** A tiny semaphore: hashing is CPU-bound, so more than one per core only adds memory. */
function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

async function hashFile(file: string): Promise<HashResult> {
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.size > MAX_HASH_BYTES) return { size: st.size };
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}

export interface ProcessCollection {
  processes?: ProcessInfo[];
  record: CollectionRecord;
  join?: SocketJoin;
}

interface Settled<T> {
  ok: boolean;
  value?: T;
  err?: unknown;
}

/** One synchronous read, its error kept instead of thrown. */
function settle<T>(read: () => T): Settled<T> {
  try {
    return { ok: true, value: read() };
  } catch (err) {
    return { ok: false, err };
  }
}

/** Runs `fn` over `items` synchronously, BATCH at a time, yielding to the event loop between batches. */
export async function inBatches<T>(items: readonly T[], fn: (item: T) => void): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    if (i > 0) await yieldToLoop();
    const end = Math.min(items.length, i + BATCH);
    for (let j = i; j < end; j++) fn(items[j] as T);
  }
}

/** Processes that exited while being read: normal on a running system, counted for the record's note. */
interface Vanished {
  count: number;
}

/**
 * The CPU window: a first stat sample of every process before anything else is read, and, on a
 * live system, a second one `cpuWindowMs` later, so CPU% is measured over the whole walk.
 */
class CpuWindow {
  private readonly first = new Map<number, { stat: StatFields; sample: Sample }>();
  private start = 0;

  // Where the stat files are, and where read errors go.
  constructor(
    private readonly procDir: string,
    private readonly log: CollectorLog,
    private readonly vanished: Vanished,
  ) {}

  // Takes the first sample of every pid; the window starts when the last one is read.
  async open(pids: number[]): Promise<void> {
    await inBatches(pids, (pid) => {
      const file = `${this.procDir}/${pid}/stat`;
      try {
        const text = readProcText(file);
        const at = performance.now();
        const st = parseStat(text);
        if (!st) {
          this.log.add(file, new Error('unparseable stat line'));
          return;
        }
        this.first.set(pid, {
          stat: st,
          sample: { ticks: st.utime + st.stime, starttime: st.starttime, at },
        });
      } catch (err) {
        if (isGone(err)) this.vanished.count++;
        else this.log.add(file, err);
      }
    });
    this.start = performance.now();
  }

  // The parsed first stat line of a pid, if it was readable.
  stat(pid: number): StatFields | undefined {
    return this.first.get(pid)?.stat;
  }

  /**
   * Waits out the rest of the window, samples again and sets each process's cpuPercent. Returns
   * the processes still there (one gone before its executable was read is dropped) and the window.
   */
  async close(
    processes: ProcessInfo[],
    cpuWindowMs: number,
  ): Promise<{ processes: ProcessInfo[]; windowMs: number }> {
    const wait = cpuWindowMs - (performance.now() - this.start);
    if (wait > 0) await sleep(wait);
    const gone = new Set<number>();
    await inBatches(processes, (p) => {
      const before = this.first.get(p.pid)?.sample;
      try {
        const text = readProcText(`${this.procDir}/${p.pid}/stat`);
        const at = performance.now();
        const st = parseStat(text);
        // A different starttime means the pid was reused by a new process during the window.
        if (!st || !before || st.starttime !== before.starttime) return;
        const elapsedSec = (at - before.at) / 1000;
        const ticks = st.utime + st.stime - before.ticks;
        if (elapsedSec > 0 && ticks >= 0) p.cpuPercent = round2(((ticks / CLK_TCK) * 100) / elapsedSec);
      } catch (err) {
        // Gone before we could read its executable: we cannot tell a zombie from a race, so drop it.
        if (isGone(err) && p.exe === undefined && !p.kernelThread) gone.add(p.pid);
        else if (!isGone(err)) this.log.add(path.join(this.procDir, String(p.pid), 'stat'), err);
      }
    });
    if (gone.size > 0) {
      this.vanished.count += gone.size;
      processes = processes.filter((p) => !gone.has(p.pid));
    }
    return { processes, windowMs: Math.round(performance.now() - this.start) };
  }
}

/**
 * The executable hasher: hashes each running executable once per file (by device and inode), at
 * most HASH_CONCURRENCY at a time, in the background while the walk and the CPU window go on.
 */
class ExeHasher {
  private readonly runHash = limiter(HASH_CONCURRENCY);
  private readonly hashes = new Map<string, Shared>();
  private readonly jobs: Promise<void>[] = [];

  // Live systems hash through /proc/PID/exe; offline roots through the path inside the root.
  constructor(
    private readonly ctx: CollectContext,
    private readonly live: boolean,
    private readonly log: CollectorLog,
  ) {}

  // Starts hashing a process's executable; the result lands on `info` (hash, size or a read error).
  add(info: ProcessInfo, exe: { path: string; deleted: boolean }, dir: string): void {
    const shared = this.share(info.pid, exe.path, exe.deleted, info.exeMemfd);
    if (shared.times !== undefined) info.exeTimes = shared.times;
    this.jobs.push(
      shared.result.then((h) => {
        if (h.sha256 !== undefined) info.exeSha256 = h.sha256;
        if (h.size !== undefined) info.exeSize = h.size;
        if (h.error !== undefined) {
          (info.readErrors ??= []).push(`exe-hash: ${errnoCode(h.error) ?? errorMessage(h.error)}`);
          this.log.add(path.join(dir, 'exe'), h.error);
        }
      }),
    );
  }

  // Waits for every hash started.
  async done(): Promise<void> {
    await Promise.all(this.jobs);
  }

  /**
   * The hash of one executable, shared by every process running the same file, and on a live host
   * its times. Live, the stat is synchronous and the times are made once per file: a thousand
   * copies of one daemon cost a thousand stats, not a thousand async calls and dates (issue 20).
   */
  private share(pid: number, exe: string, deleted: boolean, memfd: boolean): Shared {
    // Through the kernel's link on a live host, so deleted and memfd executables hash too.
    if (this.live) return this.shareFile(`${this.ctx.procDir}/${pid}/exe`);
    if (deleted || memfd) return { result: Promise.resolve({}) };
    return {
      result: this.ctx.fs.hostPath(exe).then((file) => this.shareFile(file).result),
    };
  }

  // The shared hash of one host path, keyed by the file's identity.
  private shareFile(file: string): Shared {
    let st: Stats;
    try {
      st = statSync(file);
    } catch (err) {
      return { result: Promise.resolve(isGone(err) ? {} : { error: err }) };
    }
    // Same device, inode, size and mtime: the same bytes, hashed once however many run it. A file
    // replaced on disk is a new inode (or a new mtime when rewritten in place), so it is hashed again.
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
    let shared = this.hashes.get(key);
    if (!shared) {
      shared = {
        result: this.runHash(() => hashFile(file)).catch((err: unknown) =>
          isGone(err) ? {} : { error: err },
        ),
      };
      // On a live host the timeline's times of the program come from this stat too: no second stat
      // per process (collect/file-times.ts stamps the rest, and offline roots, itself).
      if (this.live && st.isFile()) shared.times = fileTimes(st);
      this.hashes.set(key, shared);
    }
    return shared;
  }
}

/** One executable's hash (settled, never rejected) and, on a live host, its times. */
interface Shared {
  result: Promise<HashResult>;
  times?: FileTimes;
}

/** The socket join's input, gathered per process: which pids hold each socket inode, and each net namespace's pids. */
class SocketJoinBuilder {
  private readonly inodePids = new Map<number, Set<number>>();
  private readonly namespaces = new Map<string, number[]>();
  private lastLink: string | undefined;
  private lastId: string | undefined;

  // Records a process's socket inodes and its `net:[N]` namespace link.
  add(pid: number, inodes: number[] | undefined, netns: string | undefined): void {
    for (const inode of inodes ?? []) {
      let holders = this.inodePids.get(inode);
      if (!holders) this.inodePids.set(inode, (holders = new Set()));
      holders.add(pid);
    }
    const ns = typeof netns === 'string' ? this.namespaceId(netns) : undefined;
    if (ns !== undefined) {
      const members = this.namespaces.get(ns);
      if (members) members.push(pid);
      else this.namespaces.set(ns, [pid]);
    }
  }

  // The namespace number of a `net:[N]` link; most processes share one, so it is parsed once.
  private namespaceId(link: string): string | undefined {
    if (link === this.lastLink) return this.lastId;
    this.lastLink = link;
    this.lastId = /^net:\[(\d+)\]$/.exec(link)?.[1];
    return this.lastId;
  }

  // The join with pids sorted, as the sockets collector consumes it.
  build(): SocketJoin {
    return {
      inodePids: new Map([...this.inodePids].map(([inode, set]) => [inode, [...set].sort((a, b) => a - b)])),
      namespaces: new Map([...this.namespaces].map(([ns, members]) => [ns, members.sort((a, b) => a - b)])),
    };
  }
}

/** What is read once per host and used for every process: account names and the clocks. */
interface HostFacts {
  users: Map<number, string>;
  btime: number | undefined;
  uptime: number;
  nowMs: number;
}

/** Reads /etc/passwd (under the root), and the boot time and uptime from procDir. */
async function readHostFacts(ctx: CollectContext, log: CollectorLog): Promise<HostFacts> {
  const [users, procStat, uptimeText] = await Promise.all([
    ctx.fs.text('etc/passwd').then(parsePasswd, (err: unknown) => {
      if (!isGone(err)) log.add(path.join(ctx.root, 'etc/passwd'), err);
      return new Map<number, string>();
    }),
    readFile(path.join(ctx.procDir, 'stat'), 'utf8').catch(() => undefined),
    readFile(path.join(ctx.procDir, 'uptime'), 'utf8').catch(() => undefined),
  ]);
  return {
    users,
    btime: procStat !== undefined ? parseBootTime(procStat) : undefined,
    uptime: uptimeText !== undefined ? Number(uptimeText.trim().split(/\s+/)[0]) : NaN,
    nowMs: ctx.now().getTime(),
  };
}

/**
 * The files of one /proc/PID (see BATCH); a kernel thread's exe, cwd, environ, maps and fds are not
 * asked for. The name comes from the stat line, which prints the same task name /proc/PID/comm does.
 * Binary files are parsed as read: they pass through the walk's one shared buffer.
 */
function readProcFiles(dir: string, kthreadFlag: boolean) {
  const none = (): undefined => undefined;
  const user = <T>(read: () => T): (() => T | undefined) => (kthreadFlag ? none : read);
  const status = settle(() => readProcText(`${dir}/status`));
  const cmdline = settle(() => splitNul(readProcBytes(`${dir}/cmdline`)));
  const exeLink = settle(user(() => readlinkSync(`${dir}/exe`)));
  const cwdLink = settle(user(() => readlinkSync(`${dir}/cwd`)));
  const environ = settle(user(() => parseLdEnv(readProcBytes(`${dir}/environ`))));
  const maps = settle(user(() => readProcText(`${dir}/maps`)));
  const fds = settle(user(() => readSocketInodes(`${dir}/fd`)));
  const netns = settle(() => readlinkSync(`${dir}/ns/net`));
  // The container it runs in: kernel threads never run in one.
  const cgroup = settle(user(() => readProcText(`${dir}/cgroup`)));
  return { status, cmdline, exeLink, cwdLink, environ, maps, fds, netns, cgroup };
}

type ProcFiles = ReturnType<typeof readProcFiles>;

/** The per-process reader: reads one /proc/PID, assembles its ProcessInfo, and feeds the hasher and the join. */
class ProcessReader {
  private readonly cgroups = new Map<string, CgroupContainer | undefined>();

  // Everything a process's reading shares with the others.
  constructor(
    private readonly procDir: string,
    private readonly host: HostFacts,
    private readonly cpu: CpuWindow,
    private readonly hasher: ExeHasher | undefined,
    private readonly join: SocketJoinBuilder,
    private readonly log: CollectorLog,
    private readonly vanished: Vanished,
  ) {}

  // The container a cgroup file names, parsed once per distinct file (most processes share a few).
  private container(text: string): CgroupContainer | undefined {
    if (this.cgroups.has(text)) return this.cgroups.get(text);
    const found = parseCgroup(text);
    this.cgroups.set(text, found);
    return found;
  }

  // One process, or undefined when it had no readable first sample or left meanwhile.
  read(pid: number): ProcessInfo | undefined {
    const st = this.cpu.stat(pid);
    if (!st) return undefined;
    const dir = `${this.procDir}/${pid}`;
    // Kernel threads have no exe, environment, maps or files; the kernel's flag cannot be faked.
    const kthreadFlag = (st.flags & PF_KTHREAD) !== 0;
    const r = readProcFiles(dir, kthreadFlag);
    // The process left between the first sample and now: normal, not an error.
    if ([r.status, r.cmdline].some((x) => !x.ok && isGone(x.err))) {
      this.vanished.count++;
      return undefined;
    }
    const readErrors = this.readErrors(dir, r);
    const exe = typeof r.exeLink.value === 'string' ? parseLinkTarget(r.exeLink.value) : undefined;
    const info = this.assemble(pid, st, kthreadFlag, exe, r);
    if (readErrors.length > 0) info.readErrors = readErrors;
    // Not awaited here: hashing overlaps the rest of the walk and the CPU window.
    if (this.hasher && exe) this.hasher.add(info, exe, dir);
    this.join.add(pid, r.fds.value, r.netns.value);
    return info;
  }

  // The reads that failed for a reason other than the process leaving, logged and listed for the process.
  private readErrors(dir: string, r: ProcFiles): string[] {
    const readErrors: string[] = [];
    const failed = (part: string, x: Settled<unknown>): void => {
      if (x.ok || isGone(x.err)) return;
      readErrors.push(`${part}: ${errnoCode(x.err) ?? String(x.err)}`);
      this.log.add(path.join(dir, part), x.err);
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

  // The ProcessInfo from the stat line and the files read (no hash, no CPU% yet).
  private assemble(
    pid: number,
    st: StatFields,
    kthreadFlag: boolean,
    exe: { path: string; deleted: boolean } | undefined,
    r: ProcFiles,
  ): ProcessInfo {
    const { users, btime, uptime, nowMs } = this.host;
    const argv = r.cmdline.value ?? [];
    const kernelThread =
      kthreadFlag || ((pid === 2 || st.ppid === 2) && exe === undefined && argv.length === 0);
    const info: ProcessInfo = {
      pid,
      ppid: st.ppid,
      comm: st.comm,
      argv,
      exeDeleted: exe?.deleted ?? false,
      exeMemfd: exe?.path.startsWith('/memfd:') ?? false,
      cpuTimeSec: (st.utime + st.stime) / CLK_TCK,
      state: st.state,
      kernelThread,
      env: r.environ.value ?? {},
      maps: typeof r.maps.value === 'string' ? parseMaps(r.maps.value, exe?.path) : [],
    };
    const s = r.status.value !== undefined ? parseStatus(r.status.value) : {};
    // Only when true, so snapshots of hosts without containers stay as they were.
    if (isNamespaceInit(s.nsPid)) info.containerInit = true;
    // Runtime and id from the cgroup path; linux.containers adds the name, image and pod.
    const container = typeof r.cgroup.value === 'string' ? this.container(r.cgroup.value) : undefined;
    if (container) info.container = { ...container };
    if (s.uid !== undefined) {
      info.uid = s.uid;
      const user = users.get(s.uid);
      if (user !== undefined) info.user = user;
    }
    if (exe) info.exe = exe.path;
    if (typeof r.cwdLink.value === 'string') {
      const cwd = parseLinkTarget(r.cwdLink.value);
      info.cwd = cwd.path;
      info.cwdDeleted = cwd.deleted;
    }
    if (btime !== undefined) {
      info.startTime = new Date(btime * 1000 + (st.starttime * 1000) / CLK_TCK).toISOString();
    }
    const age = Number.isFinite(uptime)
      ? uptime - st.starttime / CLK_TCK
      : btime !== undefined
        ? nowMs / 1000 - btime - st.starttime / CLK_TCK
        : NaN;
    if (age > 0) info.cpuPercentLifetime = round2((info.cpuTimeSec / age) * 100);
    info.threads = s.threads ?? st.numThreads;
    if (s.rssBytes !== undefined) info.rssBytes = s.rssBytes;
    return info;
  }
}

/** The numeric entries of procDir, ascending. */
async function listPids(procDir: string): Promise<number[]> {
  return (await readdir(procDir))
    .filter((name) => /^[0-9]+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

export async function collectProcesses(
  ctx: CollectContext,
  opts: ProcessCollectOptions,
): Promise<ProcessCollection> {
  const log = new CollectorLog('linux.processes', ['processes']);
  if (ctx.proc === 'absent') {
    return {
      record: log.record('skipped', 'offline root without proc/: processes exist only on a running system'),
    };
  }
  const live = ctx.proc === 'live';
  const procDir = ctx.procDir;

  let pids: number[];
  try {
    pids = await listPids(procDir);
    const only = opts.pids;
    if (only) pids = pids.filter((p) => only.includes(p));
  } catch (err) {
    log.add(procDir, err);
    return { record: log.record('failed') };
  }

  const host = await readHostFacts(ctx, log);
  const vanished: Vanished = { count: 0 };
  // First CPU sample of every process, taken before anything else so the window covers the whole walk.
  const cpu = new CpuWindow(procDir, log, vanished);
  await cpu.open(pids);
  const hasher = opts.hashExecutables ? new ExeHasher(ctx, live, log) : undefined;
  const join = new SocketJoinBuilder();
  const reader = new ProcessReader(procDir, host, cpu, hasher, join, log, vanished);

  let processes: ProcessInfo[] = [];
  await inBatches(pids, (pid) => {
    const info = reader.read(pid);
    if (info) processes.push(info);
  });

  let windowMs: number | undefined;
  if (live && opts.cpuWindowMs > 0) ({ processes, windowMs } = await cpu.close(processes, opts.cpuWindowMs));

  await hasher?.done();
  const partlyUnreadable = processes.filter((p) => p.readErrors !== undefined).length;

  const notes = [`${processes.length} processes`];
  if (vanished.count > 0) notes.push(`${vanished.count} exited while being read`);
  if (windowMs !== undefined) notes.push(`CPU% sampled over ${windowMs} ms`);
  else if (!live) notes.push('static copy of /proc: no CPU% sample');
  if (partlyUnreadable > 0) notes.push(`${partlyUnreadable} partly unreadable`);
  if (!opts.hashExecutables) notes.push('executables not hashed');
  return {
    processes,
    join: join.build(),
    record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')),
  };
}

/** Rounds to two decimals, as CPU percentages are shown. */
function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Socket inodes from the `socket:[INODE]` links in /proc/PID/fd; fds closing meanwhile are skipped. */
function readSocketInodes(fdDir: string): number[] {
  const inodes: number[] = [];
  for (const name of readdirSync(fdDir)) {
    try {
      // Most fds are files and pipes: a prefix test, no regex and no path.join per fd (issue 20).
      const target = readlinkSync(`${fdDir}/${name}`);
      if (!target.startsWith('socket:[')) continue;
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.push(Number(m[1]));
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
  return inodes;
}
