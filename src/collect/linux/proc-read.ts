// The reading half of the process walk's I/O: the files of each /proc/PID, read with Node one file
// at a time, or many processes per call by the native addon's readProcs (native/procread.c), which
// makes the same system calls for less than half the time: through Node each file costs four calls
// into the binding and a failed one an exception (issue 20: 5,000 processes took ~1.2 s of reads).
// Both give the same ProcFiles; proc-walk.ts parses them.
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { isGone } from '../../util/errors.js';

/** What one process's files gave: each value, or the error its read ended with. */
export interface ProcFiles {
  status: Settled<string>;
  cmdline: Settled<string[]>;
  exeLink: Settled<string | undefined>;
  cwdLink: Settled<string | undefined>;
  environ: Settled<Record<string, string> | undefined>;
  maps: Settled<string | undefined>;
  fds: Settled<number[] | undefined>;
  netns: Settled<string>;
  cgroup: Settled<string | undefined>;
}

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

/** Splits NUL-separated argv: empty arguments stay, the terminating NUL does not add one. */
export function splitNul(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const end = buf[buf.length - 1] === 0 ? buf.length - 1 : buf.length;
  return buf.toString('utf8', 0, end).split('\0');
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

export interface Settled<T> {
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

/**
 * The files of one /proc/PID, read with Node; a kernel thread's exe, cwd, environ, maps and fds are
 * not asked for. The name comes from the stat line, which prints the same task name /proc/PID/comm
 * does. Binary files are parsed as read: they pass through the walk's one shared buffer.
 */
export function readProcFiles(dir: string, kthreadFlag: boolean): ProcFiles {
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

/** Socket inodes from the `socket:[INODE]` links in /proc/PID/fd, in numeric order; fds closing meanwhile are skipped. */
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
  return inodes.sort((a, b) => a - b);
}

/** How the walk reads processes: many at a time, each answered in the order asked. */
export interface ProcReads {
  /** The files of each pid; kthread[i] says whether pids[i] is a kernel thread. */
  read(pids: readonly number[], kthread: readonly boolean[]): Iterable<ProcFiles>;
  /** The stat line of each pid (a CPU sample). */
  stats(pids: readonly number[]): Iterable<Settled<string>>;
}

/** Node's reads, one file at a time: the walk where the addon is not built, and a static copy of /proc. */
export function nodeProcReads(procDir: string): ProcReads {
  return {
    *read(pids, kthread) {
      for (const [i, pid] of pids.entries()) yield readProcFiles(`${procDir}/${pid}`, kthread[i] === true);
    },
    *stats(pids) {
      for (const pid of pids) yield settle(() => readProcText(`${procDir}/${pid}/stat`));
    },
  };
}

/** The addon's readProcs (native/procread.c): how many of `pids` it read into `out` and `spans`. */
type ReadProcs = (
  procDir: string,
  pids: Int32Array,
  masks: Uint16Array,
  out: Uint8Array,
  spans: Int32Array,
) => number;

/** The parts of a process readProcs reads, in its order (PART_* in native/procread.c). */
const PARTS = [
  'status',
  'cmdline',
  'exe',
  'cwd',
  'environ',
  'maps',
  'fd',
  'ns/net',
  'cgroup',
  'stat',
] as const;
const FD_PART = PARTS.indexOf('fd');
const STAT_PART = PARTS.indexOf('stat');
/** A CPU sample: the stat line alone. */
const STAT_MASK = 1 << STAT_PART;
/** The parts a kernel thread has: no exe, cwd, environment, maps, files or cgroup are asked for. */
const KTHREAD_MASK =
  (1 << PARTS.indexOf('status')) | (1 << PARTS.indexOf('cmdline')) | (1 << PARTS.indexOf('ns/net'));
/** Everything the walk reads of a process; its stat line is sampled apart. */
const ALL_MASK = ((1 << PARTS.length) - 1) & ~STAT_MASK;
/** The system call readProcs names for a failure (SYS_* in native/procread.c), as Node names it. */
const SYSCALLS = ['', 'open', 'read', 'readlink', 'scandir'] as const;
/** Processes per call. */
const BATCH = 64;
/** The bytes a call starts with (~20 processes of this host's ~6 KB each would fit in a tenth). */
const FIRST_ROOM = 256 * 1024;
/** Past this, one process's files are read with Node instead (a maps file of a huge process). */
const MAX_ROOM = 64 * 1024 * 1024;

let systemErrors: Map<number, [string, string]> | undefined;

/** An error as Node's fs would have thrown it for the same failure: code, errno, message, path. */
function fsError(errno: number, syscall: string, file: string | undefined): Error {
  // Built once: Node makes a new map of every errno per call, and a scan by a user other than root
  // meets a failed read in most processes.
  systemErrors ??= getSystemErrorMap();
  const [code, description] = systemErrors.get(-errno) ?? [`E${errno}`, 'unknown error'];
  const err = new Error(`${code}: ${description}, ${syscall}${file === undefined ? '' : ` '${file}'`}`);
  return Object.assign(err, { errno: -errno, code, syscall, ...(file === undefined ? {} : { path: file }) });
}

/** The addon's readProcs when it loads from `addon`, else undefined (the walk then reads with Node). */
export function loadReadProcs(addon: string | undefined): ReadProcs | undefined {
  if (addon === undefined) return undefined;
  try {
    const m = { exports: {} as { readProcs?: ReadProcs } };
    process.dlopen(m, addon);
    return typeof m.exports.readProcs === 'function' ? m.exports.readProcs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The files of many processes by the addon, BATCH at a time into one reused buffer: what
 * readProcFiles gives for each, the values decoded (nothing keeps a view of the buffer) and the
 * failures made into the errors Node would have thrown.
 */
export class NativeProcReads implements ProcReads {
  private out: Buffer;
  private readonly spans = new Int32Array(BATCH * PARTS.length * 4);
  private readonly maxRoom: number;

  // `rooms`: the buffer's first and largest size (the defaults but in tests).
  constructor(
    private readonly readProcs: ReadProcs,
    private readonly procDir: string,
    rooms = { first: FIRST_ROOM, max: MAX_ROOM },
  ) {
    this.out = Buffer.allocUnsafe(rooms.first);
    this.maxRoom = rooms.max;
  }

  // The files of each pid, in order; kthread[i] says whether pids[i] is a kernel thread.
  read(pids: readonly number[], kthread: readonly boolean[]): Generator<ProcFiles> {
    const masks = Uint16Array.from(kthread, (k) => (k ? KTHREAD_MASK : ALL_MASK));
    return this.each(
      pids,
      masks,
      (pid, mask, i) => this.files(pid, mask, i),
      (pid, k) => readProcFiles(`${this.procDir}/${pid}`, kthread[k] === true),
    );
  }

  // The stat line of each pid, in order (a CPU sample).
  stats(pids: readonly number[]): Generator<Settled<string>> {
    const masks = new Uint16Array(pids.length).fill(STAT_MASK);
    return this.each(
      pids,
      masks,
      (pid, _, i) => this.part(pid, STAT_PART, i, (b) => b.toString('utf8')),
      (pid) => settle(() => readProcText(`${this.procDir}/${pid}/stat`)),
    );
  }

  // Each pid's parts (masks), BATCH per call, decoded in turn; one that alone does not fit the
  // buffer gets more room, or past the most, is read by `byNode`.
  private *each<T>(
    pids: readonly number[],
    masks: Uint16Array,
    decode: (pid: number, mask: number, i: number) => T,
    byNode: (pid: number, k: number) => T,
  ): Generator<T> {
    const all = Int32Array.from(pids);
    let from = 0;
    while (from < all.length) {
      const to = Math.min(all.length, from + BATCH);
      const done = this.readProcs(
        this.procDir,
        all.subarray(from, to),
        masks.subarray(from, to),
        this.out,
        this.spans,
      );
      for (let i = 0; i < done; i++) yield decode(all[from + i] as number, masks[from + i] as number, i);
      from += done;
      if (done > 0) continue;
      if (this.out.length < this.maxRoom)
        this.out = Buffer.allocUnsafe(Math.min(this.maxRoom, this.out.length * 2));
      else {
        yield byNode(all[from] as number, from);
        from++;
      }
    }
  }

  // One process's ProcFiles from its spans.
  private files(pid: number, mask: number, i: number): ProcFiles {
    const part = <T>(p: number, decode: (bytes: Buffer) => T): Settled<T | undefined> =>
      (mask & (1 << p)) === 0 ? { ok: true, value: undefined } : this.part(pid, p, i, decode);
    const text = (b: Buffer): string => b.toString('utf8');
    return {
      status: part(0, text) as Settled<string>,
      cmdline: part(1, splitNul) as Settled<string[]>,
      exeLink: part(2, text),
      cwdLink: part(3, text),
      environ: part(4, parseLdEnv),
      maps: part(5, text),
      fds: part(FD_PART, socketInodes),
      netns: part(7, text) as Settled<string>,
      cgroup: part(8, text),
    };
  }

  // Part p of the i-th process of the last call, from its span [offset, length, errno, syscall]:
  // its decoded bytes, or the error Node would have thrown.
  private part<T>(pid: number, p: number, i: number, decode: (bytes: Buffer) => T): Settled<T> {
    const { out, spans } = this;
    const at = (i * PARTS.length + p) * 4;
    const bytes = out.subarray(spans[at] as number, (spans[at] as number) + (spans[at + 1] as number));
    const errno = spans[at + 2] as number;
    if (errno === 0) return { ok: true, value: decode(bytes) };
    const dir = `${this.procDir}/${pid}`;
    const syscall = SYSCALLS[spans[at + 3] as number] ?? 'read';
    // A failed fd link holds the fd's name; a failed read, as Node's, names no file.
    const file =
      syscall === 'read'
        ? undefined
        : p === FD_PART && syscall === 'readlink'
          ? `${dir}/fd/${bytes.toString()}`
          : `${dir}/${PARTS[p]}`;
    return { ok: false, err: fsError(errno, syscall, file) };
  }
}

/** The socket inodes of the fd part's NUL-ended `socket:[INODE]` targets, in numeric order as readSocketInodes gives them. */
function socketInodes(bytes: Buffer): number[] {
  const inodes: number[] = [];
  for (const target of bytes.toString('latin1').split('\0')) {
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.push(Number(m[1]));
  }
  return inodes.sort((a, b) => a - b);
}
