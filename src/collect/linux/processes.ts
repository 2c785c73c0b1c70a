// Processes read straight from <root>/proc: argv byte-exact, exe with its deleted/memfd flags, LD_*
// variables, mapped libraries, CPU sampled over a short window, and the socket inodes each one holds.
// The reading itself (proc-walk.ts) runs in a worker thread on a live host (proc-worker.ts); this
// module joins its plain data with the host's facts, hashes the executables and builds the socket join.
import { createHash } from 'node:crypto';
import { readdirSync, statSync, type Stats } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import type { CollectionRecord, ProcessInfo } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { fileTimes, type FileTimes } from '../file-times.js';
import { CollectorLog, errnoCode, errorMessage, isGone, parsePasswd } from '../support.js';
import { parseBootTime } from './host.js';
import {
  CLK_TCK,
  cpuRequest,
  type ExeHash,
  isKernelThread,
  isNamespaceInit,
  ProcWalker,
  round2,
  type CpuResult,
  type WalkedProcess,
  type WalkError,
  type WalkResult,
} from './proc-walk.js';
import type { HashesMessage, ProcWorkerInit } from './proc-worker.js';
import { adoptProcWorker, newProcWorker, walkShards, WORKER_MIN_PIDS } from './proc-worker-start.js';
import type { SocketJoin } from './sockets.js';

// The parsers moved to proc-walk.ts with the reading; their users still import them from here.
export {
  CLK_TCK,
  isNamespaceInit,
  parseLinkTarget,
  parseMaps,
  parseStat,
  parseStatus,
  PF_KTHREAD,
  type StatFields,
} from './proc-walk.js';
export { parseLdEnv, readProcText, splitNul } from './proc-read.js';
import type { CpuBaseline } from './cpu-baseline.js';
import type { PidProbe } from './pid-probe.js';

/**
 * Executables larger than this are not hashed (their size is still recorded): miners are a few MiB,
 * while hashing a 100 MiB runtime such as node or java on every scan costs the process scan a tenth
 * of its one-second budget. The content scan still reads such files up to its own size limit.
 */
export const MAX_HASH_BYTES = 64 * 1024 * 1024;
/**
 * Processes read per turn of the event loop. A procfs read is a copy out of kernel memory that
 * takes microseconds synchronously, while the same read through the promise API costs four thread
 * pool round trips (open, fstat, read, close) and ~0.1 ms of bookkeeping: with ten files per
 * process that was ~4 ms per process (issue 20). So each batch is read synchronously, and a walk on
 * the main thread (a static copy of /proc) yields between batches so the collectors running beside it
 * still get their I/O done; on a live host the walk has a worker thread to itself.
 */
export const BATCH = 64;
const HASH_CONCURRENCY = 2;
/** Re-exported: the walk uses its worker from this many processes on (proc-worker-start.ts). */
export { WORKER_MIN_PIDS };

export interface ProcessCollectOptions {
  cpuWindowMs: number;
  /**
   * The CPU window's first sample, taken as the command line started (cpu-baseline.ts): the window
   * then runs while the program loads. Used on a live host only.
   */
  cpuBaseline?: CpuBaseline;
  hashExecutables: boolean;
  /** Only these pids (the watch mode's new processes); default every pid. */
  pids?: readonly number[];
  /**
   * Read /proc in a worker thread; default on a live host with WORKER_MIN_PIDS processes or more (a
   * static copy of /proc, and a few pids, are read inline).
   */
  worker?: boolean;
  /** How many workers split the walk between them; default walkShards (two from 2,000 processes). */
  workers?: number;
  /**
   * Have the walk's worker probe the PID space for the hidden-process check once its CPU sample is
   * taken (pid-probe.ts), with the native addon at `addon` when given. Only a walk in a worker does;
   * onWalked's `pidProbe` says whether it will.
   */
  pidProbe?: { addon?: string };
  /** The native addon (dist/native/dirstat.node) the walk's worker reads /proc/PID with; else Node reads. */
  addon?: string;
  /**
   * Receives the processes and the socket join as soon as the walk is read, before the hashes and
   * the CPU window's second sample: the collectors that need neither go on meanwhile. The objects
   * are the ones returned later, with their hashes and CPU% filled in by then.
   */
  onWalked?: (walked: Walked) => void;
}

/** The walk as onWalked receives it. */
export interface Walked {
  processes: ProcessInfo[];
  join: SocketJoin;
  /** The PID probe asked of the walk's worker, when it runs one; undefined in it when it failed. */
  pidProbe?: Promise<PidProbe | undefined>;
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

/** Runs `fn` over `items` synchronously, BATCH at a time, yielding to the event loop between batches. */
export async function inBatches<T>(items: readonly T[], fn: (batch: readonly T[]) => void): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    if (i > 0) await yieldToLoop();
    fn(items.slice(i, i + BATCH));
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

/** The numeric entries of procDir, ascending. */
function listPids(procDir: string): number[] {
  // Synchronous: a procfs listing takes microseconds, while through the thread pool it waited behind
  // every other collector's first reads (~0.1 s on a busy scan) before the walk could start.
  return readdirSync(procDir)
    .filter((name) => /^[0-9]+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/** The ProcessInfo of one walked process, with the host's account names and clocks (no hash, no CPU% yet). */
function assemble(w: WalkedProcess, host: HostFacts): ProcessInfo {
  const { users, btime, uptime, nowMs } = host;
  const { pid, stat: st, exe, status: s } = w;
  const kernelThread = isKernelThread(w);
  const info: ProcessInfo = {
    pid,
    ppid: st.ppid,
    comm: st.comm,
    argv: w.argv,
    exeDeleted: exe?.deleted ?? false,
    exeMemfd: exe?.path.startsWith('/memfd:') ?? false,
    cpuTimeSec: (st.utime + st.stime) / CLK_TCK,
    state: st.state,
    kernelThread,
    env: w.env,
    maps: w.maps,
  };
  // Only when true, so snapshots of hosts without containers stay as they were.
  if (isNamespaceInit(s.nsPid)) info.containerInit = true;
  // Runtime and id from the cgroup path; linux.containers adds the name, image and pod.
  if (w.container) info.container = { ...w.container };
  if (s.uid !== undefined) {
    info.uid = s.uid;
    const user = users.get(s.uid);
    if (user !== undefined) info.user = user;
  }
  if (exe) info.exe = exe.path;
  if (w.cwd) {
    info.cwd = w.cwd.path;
    info.cwdDeleted = w.cwd.deleted;
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
  if (w.readErrors) info.readErrors = w.readErrors;
  return info;
}

/** A walk of procDir under way: what it read, and the CPU window's second sample still to take. */
interface Walk {
  result: WalkResult;
  /** The executables' hashes, when the walk's worker took them (a live host). */
  hashes?: () => Promise<HashesMessage>;
  /**
   * The second sample, after whatever is left of `minWindowMs` since the first (the worker was told
   * its window at start, and samples once its hashes are done).
   */
  cpu(minWindowMs: number): Promise<CpuResult>;
  /** The PID probe the worker ran (in its CPU window or after it), when asked; undefined when it failed. */
  pidProbe?: Promise<PidProbe | undefined>;
  end(): void;
}

/** The walk on this thread, BATCH processes per turn of the event loop (a static copy of /proc). */
async function walkInline(procDir: string, pids: number[], baseline?: CpuBaseline): Promise<Walk> {
  const walker = new ProcWalker(procDir, baseline);
  // First CPU sample of every process, taken before anything else so the window covers the whole walk.
  await inBatches(pids, (batch) => walker.sampleAll(batch));
  walker.sampled();
  const processes: WalkedProcess[] = [];
  await inBatches(pids, (batch) => processes.push(...walker.readAll(batch)));
  return {
    result: { processes, errors: walker.errors.splice(0), vanished: walker.vanished },
    cpu: async (minWindowMs) => {
      const req = cpuRequest(processes, minWindowMs);
      const wait = walker.remainingMs(req.minWindowMs);
      if (wait > 0) await sleep(wait);
      const out: CpuResult = { cpu: [], gone: [], errors: [], windowMs: 0 };
      const droppable = new Set(req.droppable);
      await inBatches(req.pids, (batch) => walker.cpuInto(batch, droppable, out));
      out.windowMs = walker.windowMs();
      return out;
    },
    end: () => undefined,
  };
}

/**
 * The walk in a worker thread: a live /proc read synchronously there leaves the main thread to the
 * collectors running beside it (issue 20: the walk on the main thread delayed all their callbacks).
 */
function walkInWorker(procDir: string, pids: number[], asked: WorkerAsk, shard = 0): Promise<Walk> {
  const { addon, claim, hashMaxBytes, cpuWindowMs, cpuBaseline, pidProbe } = asked;
  const init: ProcWorkerInit = {
    procDir,
    pids,
    ...(addon !== undefined ? { addon } : {}),
    ...(claim !== undefined ? { claim } : {}),
    ...(hashMaxBytes !== undefined ? { hashMaxBytes } : {}),
    ...(cpuWindowMs !== undefined ? { cpuWindowMs } : {}),
    ...(cpuBaseline !== undefined ? { cpuBaseline } : {}),
    ...(pidProbe !== undefined ? { pidProbe } : {}),
  };
  // The worker started as the command line started, if there is one (proc-worker-start.ts).
  const worker = adoptProcWorker(init, shard) ?? newProcWorker(init);
  // The worker's messages in the order they come, and who waits for the next one; the PID probe's
  // tagged message goes to its own waiter, and the worker is ended once it came (or never will).
  const inbox: unknown[] = [];
  const waiting: { resolve: (m: unknown) => void; reject: (err: Error) => void }[] = [];
  let probed: (p: PidProbe | undefined) => void = () => undefined;
  const probe = new Promise<PidProbe | undefined>((resolve) => (probed = resolve));
  if (!pidProbe) probed(undefined);
  let dead: Error | undefined;
  const fail = (err: Error): void => {
    dead ??= err;
    for (const w of waiting.splice(0)) w.reject(err);
    probed(undefined);
    void worker.terminate();
  };
  worker.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && ('pidProbe' in m || 'pidProbeError' in m)) {
      probed('pidProbe' in m ? (m as { pidProbe: PidProbe }).pidProbe : undefined);
      return;
    }
    const w = waiting.shift();
    if (w) w.resolve(m);
    else inbox.push(m);
  });
  worker.once('error', fail);
  worker.once('exit', (code) => fail(new Error(`process walk worker exited with code ${code}`)));
  const next = <T>(): Promise<T> => {
    if (inbox.length > 0) return Promise.resolve(inbox.shift() as T);
    if (dead) return Promise.reject(dead);
    return new Promise<T>((resolve, reject) =>
      waiting.push({ resolve: resolve as (m: unknown) => void, reject }),
    );
  };
  return next<WalkResult>().then((result) => ({
    result,
    ...(hashMaxBytes !== undefined ? { hashes: () => next<HashesMessage>() } : {}),
    cpu: () => next<CpuResult>(),
    ...(pidProbe !== undefined ? { pidProbe: probe } : {}),
    end: () => {
      void probe.then(() => {
        worker.removeAllListeners();
        void worker.terminate();
      });
    },
  }));
}

/**
 * The walk split between `shards` workers, each hashing its processes' executables and taking their
 * second CPU sample; the first probes the PID space too. With the start-up baseline the workers
 * claim batches of the PIDs from a shared counter as they go (one slowed by the main thread's work
 * on its core reads fewer: with a run each, one finished 0.4 s after the other at 5,000
 * processes); without it each reads a run, sampled whole before it is read, so every process's CPU
 * window is as long. One Walk to the caller, in PID order: a worker that fails fails it, as one would.
 */
async function walkInShards(
  procDir: string,
  pids: number[],
  asked: WorkerAsk,
  shards: number,
): Promise<Walk> {
  const size = Math.ceil(pids.length / shards);
  const claim = asked.cpuBaseline ? new SharedArrayBuffer(4) : undefined;
  const started = Array.from({ length: shards }, (_, i) => {
    const part = claim ? pids : pids.slice(i * size, (i + 1) * size);
    // The PID probe is asked of the first worker only. A baseline comes with a claim: each worker
    // may read any PID, so each gets the whole of it.
    const ask: WorkerAsk = { ...asked, ...(claim ? { claim } : {}) };
    if (i > 0) delete ask.pidProbe;
    return walkInWorker(procDir, part, ask, i);
  });
  const settled = await Promise.allSettled(started);
  const walks = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    for (const w of walks) w.end();
    throw failed.reason;
  }
  const [first] = walks as [Walk, ...Walk[]];
  return {
    result: {
      processes: walks.flatMap((w) => w.result.processes).sort((a, b) => a.pid - b.pid),
      errors: walks.flatMap((w) => w.result.errors),
      vanished: walks.reduce((n, w) => n + w.result.vanished, 0),
    },
    ...(first.hashes
      ? { hashes: async () => (await Promise.all(walks.map((w) => w.hashes?.() ?? []))).flat() }
      : {}),
    cpu: async (minWindowMs) => {
      const parts = await Promise.all(walks.map((w) => w.cpu(minWindowMs)));
      // Each worker closes its own window once its part is read and hashed: the note gives the range.
      const windowMs = Math.min(...parts.map((p) => p.windowMs));
      const windowMaxMs = Math.max(...parts.map((p) => p.windowMs));
      return {
        cpu: parts.flatMap((p) => p.cpu),
        gone: parts.flatMap((p) => p.gone),
        errors: parts.flatMap((p) => p.errors),
        windowMs,
        ...(windowMaxMs > windowMs ? { windowMaxMs } : {}),
      };
    },
    ...(first.pidProbe ? { pidProbe: first.pidProbe } : {}),
    end: () => {
      for (const w of walks) w.end();
    },
  };
}

/**
 * What the walk's worker does besides reading: hash the executables, take the second CPU sample,
 * probe the PID space.
 */
interface WorkerAsk {
  addon?: string;
  claim?: SharedArrayBuffer;
  hashMaxBytes?: number;
  cpuWindowMs?: number;
  cpuBaseline?: CpuBaseline;
  pidProbe?: { addon?: string };
}

/** The walk, in a worker when asked; a worker that cannot start leaves it to this thread, noted. */
async function startWalk(
  procDir: string,
  pids: number[],
  worker: WorkerAsk | undefined,
  notes: string[],
  baseline?: CpuBaseline,
  shards = 1,
): Promise<Walk> {
  if (!worker) return walkInline(procDir, pids, baseline);
  const asked = baseline ? { ...worker, cpuBaseline: baseline } : worker;
  try {
    return shards > 1
      ? await walkInShards(procDir, pids, asked, shards)
      : await walkInWorker(procDir, pids, asked);
  } catch (err) {
    notes.push(`process walk on the main thread: its worker failed (${errorMessage(err)})`);
    return walkInline(procDir, pids, baseline);
  }
}

/** The worker's hashes on their processes, as ExeHasher.add sets them; read errors logged in walk order. */
function applyHashes(processes: ProcessInfo[], hashes: HashesMessage, log: CollectorLog): void {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  for (const [pid, h] of hashes as [number, ExeHash][]) {
    const info = byPid.get(pid) as ProcessInfo;
    if (h.times !== undefined) info.exeTimes = h.times;
    if (h.sha256 !== undefined) info.exeSha256 = h.sha256;
    if (h.size !== undefined) info.exeSize = h.size;
    if (h.error !== undefined) {
      (info.readErrors ??= []).push(`exe-hash: ${h.error.code ?? h.error.message}`);
      logWalkErrors(log, [h.error]);
    }
  }
}

/** Logs the walk's errors as thrown errors with their errno code, as CollectorLog records them. */
function logWalkErrors(log: CollectorLog, errors: WalkError[]): void {
  for (const e of errors) {
    log.add(e.path, Object.assign(new Error(e.message), e.code !== undefined ? { code: e.code } : {}));
  }
}

/**
 * The CPU window's second sample, as late as the collection allows: once the walk and the hashes
 * are done, waiting only for what is left of `minWindowMs`. Sets cpuPercent, drops the processes
 * that left before their executable was read, and returns the list and the real window.
 */
async function closeWindow(
  walk: Walk,
  processes: ProcessInfo[],
  minWindowMs: number,
  log: CollectorLog,
): Promise<{ processes: ProcessInfo[]; window: string | undefined; gone: number }> {
  let res: CpuResult;
  try {
    res = await walk.cpu(minWindowMs);
  } catch (err) {
    // The walk's worker died after the walk: the list stands, without CPU%.
    log.add(undefined, err);
    return { processes, window: undefined, gone: 0 };
  }
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  for (const [pid, percent] of res.cpu) (byPid.get(pid) as ProcessInfo).cpuPercent = percent;
  logWalkErrors(log, res.errors);
  const gone = new Set(res.gone);
  if (gone.size > 0) processes = processes.filter((p) => !gone.has(p.pid));
  const window = res.windowMaxMs ? `${res.windowMs}–${res.windowMaxMs} ms` : `${res.windowMs} ms`;
  return { processes, window, gone: gone.size };
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
    pids = listPids(procDir);
    const only = opts.pids;
    if (only) pids = pids.filter((p) => only.includes(p));
  } catch (err) {
    log.add(procDir, err);
    return { record: log.record('failed') };
  }

  const hostRun = readHostFacts(ctx, log);
  const walkNotes: string[] = [];
  // The worker hashes the executables too, on a live host (through /proc/PID/exe).
  const inWorker = opts.worker ?? (live && pids.length >= WORKER_MIN_PIDS);
  const hashInWorker = inWorker && live && opts.hashExecutables;
  const sampleCpu = live && opts.cpuWindowMs > 0;
  const worker: WorkerAsk | undefined = inWorker
    ? {
        ...(live && opts.addon !== undefined ? { addon: opts.addon } : {}),
        ...(hashInWorker ? { hashMaxBytes: MAX_HASH_BYTES } : {}),
        ...(sampleCpu ? { cpuWindowMs: opts.cpuWindowMs } : {}),
        ...(live && opts.pidProbe ? { pidProbe: opts.pidProbe } : {}),
      }
    : undefined;
  const baseline = sampleCpu ? opts.cpuBaseline : undefined;
  const shards = opts.workers ?? walkShards(pids.length);
  const walk = await startWalk(procDir, pids, worker, walkNotes, baseline, shards);
  try {
    const host = await hostRun;
    logWalkErrors(log, walk.result.errors);
    let vanished = walk.result.vanished;
    const hasher = opts.hashExecutables && !walk.hashes ? new ExeHasher(ctx, live, log) : undefined;
    const joinBuilder = new SocketJoinBuilder();
    let processes = walk.result.processes.map((w) => {
      const info = assemble(w, host);
      // Not awaited here: hashing overlaps the dependents' work and the CPU window.
      if (hasher && w.exe) hasher.add(info, w.exe, `${procDir}/${w.pid}`);
      joinBuilder.add(w.pid, w.inodes, w.netns);
      return info;
    });
    const join = joinBuilder.build();
    opts.onWalked?.({ processes, join, ...(walk.pidProbe ? { pidProbe: walk.pidProbe } : {}) });
    await hasher?.done();
    // A worker that died meanwhile leaves the executables unhashed, and says why.
    const hashed = processes;
    if (walk.hashes)
      await walk.hashes().then(
        (h) => applyHashes(hashed, h, log),
        (err: unknown) => log.add(undefined, err),
      );

    let window: string | undefined;
    if (sampleCpu) {
      let gone: number;
      ({ processes, window, gone } = await closeWindow(walk, processes, opts.cpuWindowMs, log));
      vanished += gone;
    }
    const partlyUnreadable = processes.filter((p) => p.readErrors !== undefined).length;

    const notes = [`${processes.length} processes`];
    if (vanished > 0) notes.push(`${vanished} exited while being read`);
    if (window !== undefined) notes.push(`CPU% sampled over ${window}`);
    else if (!live) notes.push('static copy of /proc: no CPU% sample');
    if (partlyUnreadable > 0) notes.push(`${partlyUnreadable} partly unreadable`);
    if (!opts.hashExecutables) notes.push('executables not hashed');
    notes.push(...walkNotes);
    return { processes, join, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')) };
  } finally {
    walk.end();
  }
}
