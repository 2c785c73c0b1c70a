// The PID probe of the hidden-process check: every PID in the gaps of a /proc listing asked for
// directly (a kill(pid, 0) straight to the kernel by the native addon, else one existsSync each), and
// `ps`'s own list beside it. It runs where the process walk runs, in the walk's worker thread, once
// the walk's CPU window is sampled: that thread is already started and otherwise idle by then, so the
// probe no longer needs a worker of its own (~60 ms of a thread's start-up, issue 17). Without the
// walk's worker (a host with a handful of processes, a worker that failed) it runs on the calling
// thread. Synchronous code and plain data only: it runs the same in either thread.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/**
 * Probing every PID costs about 1.5 µs each here (32768 in ~50 ms). With pid_max 4194304 a full probe
 * would take seconds, so above FULL_PROBE_LIMIT the probe stops at the highest PID in use (the
 * larger of the highest listed PID and ns_last_pid, the kernel's last allocated one) plus a margin,
 * and at a time budget; the bound reached is recorded in the snapshot, never silently dropped.
 */
export const FULL_PROBE_LIMIT = 65_536;
export const PROBE_MARGIN = 32_768;
export const PROBE_BUDGET_MS = 400;

export function probeBound(pidMax: number, highestInUse: number): number {
  if (pidMax <= FULL_PROBE_LIMIT) return pidMax;
  return Math.min(pidMax, Math.max(FULL_PROBE_LIMIT, highestInUse + PROBE_MARGIN));
}

/** A status read that failed for a reason other than the process leaving. */
export interface ProbeError {
  pid: number;
  message: string;
  code?: string;
}

/** What one probe of the PID space found, with the listing it filled the gaps of. */
export interface PidProbe {
  /** The /proc listing the probe started from (its numeric entries). */
  listed: number[];
  pidMax: number;
  /** Thread-group leaders found in the gaps of the listing. */
  leaders: number[];
  errors: ProbeError[];
  /** The highest PID probed. */
  reached: number;
  /** The PIDs `ps -e` printed as the probe ran; null when ps is not installed or failed. */
  ps: number[] | null;
  /** How long the listing, the probe and ps took. */
  durationMs: number;
}

/** The numeric entries of `procDir`, listed on the spot (microseconds; libuv's scandir). */
export function listProcPids(procDir: string): Set<number> {
  return new Set(
    readdirSync(procDir)
      .filter((n) => /^[0-9]+$/.test(n))
      .map(Number),
  );
}

/** PIDs `ps -e` prints, or undefined when ps is not installed or fails. */
export function listPs(): Promise<Set<number> | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-e', '-o', 'pid='], { timeout: 5000, maxBuffer: 8 << 20 }, (err, stdout) => {
      if (err) {
        resolve(undefined);
        return;
      }
      const pids = stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
      resolve(new Set(pids));
    });
  });
}

const readOr = (file: string, fallback: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
};

type ProbePids = (procDir: string, listed: Int32Array, upTo: number, budgetMs: number) => [number[], number];

/** The addon's probePids, or undefined when it is not given or does not load. */
function nativeProbe(addon: string | undefined): ProbePids | undefined {
  if (addon === undefined) return undefined;
  try {
    const m = { exports: {} as { probePids?: ProbePids } };
    process.dlopen(m, addon);
    return m.exports.probePids;
  } catch {
    return undefined;
  }
}

/**
 * Each PID found in the gaps is a thread of a listed process, or a process the listing hid: its
 * status line, read synchronously (a procfs read takes microseconds; through the promise API a
 * thread-pool round trip, which on a host with tens of thousands of threads was seconds), tells them
 * apart, so only thread-group leaders come back.
 */
function leadersAmong(procDir: string, found: Iterable<number>, errors: ProbeError[]): number[] {
  const leaders: number[] = [];
  for (const pid of found) {
    try {
      const m = /^Tgid:\s+(\d+)/m.exec(readFileSync(`${procDir}/${pid}/status`, 'latin1'));
      if (m && Number(m[1]) === pid) leaders.push(pid);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code !== 'ENOENT' && e.code !== 'ESRCH')
        errors.push({ pid, message: String(e.message), ...(e.code ? { code: e.code } : {}) });
    }
  }
  return leaders;
}

/** The PIDs in the gaps of `listed` up to `upTo` that exist, and the highest PID probed. */
function probeGaps(
  procDir: string,
  listed: Set<number>,
  upTo: number,
  budgetMs: number,
  addon: string | undefined,
): [number[], number] {
  const probePids = nativeProbe(addon);
  if (probePids) {
    try {
      return probePids(procDir, Int32Array.from(listed), upTo, budgetMs);
    } catch {
      // The JavaScript probe below answers the same question.
    }
  }
  const found: number[] = [];
  const started = performance.now();
  let pid = 1;
  for (; pid <= upTo; pid++) {
    if (!listed.has(pid) && existsSync(`${procDir}/${pid}`)) found.push(pid);
    if ((pid & 4095) === 0 && performance.now() - started > budgetMs) {
      pid++;
      break;
    }
  }
  return [found, pid - 1];
}

/**
 * Lists `procDir`, probes the gaps of that listing up to the bound (every PID up to pid_max when it is
 * at most FULL_PROBE_LIMIT, whatever it costs; else probeBound's, within PROBE_BUDGET_MS), and lists
 * `ps` meanwhile. `addon` is the native addon's file, when it is built and not turned off.
 */
export async function probePidSpace(procDir: string, addon: string | undefined): Promise<PidProbe> {
  const started = performance.now();
  // ps runs while the probe does, so that both views are of the same moment.
  const psRun = listPs();
  const listed = listProcPids(procDir);
  const pidMax = Number(readOr(`${procDir}/sys/kernel/pid_max`, '32768').trim()) || 32768;
  const lastPid = Number(readOr(`${procDir}/sys/kernel/ns_last_pid`, '0').trim()) || 0;
  let highest = Math.max(0, lastPid);
  for (const pid of listed) if (pid > highest) highest = pid;
  const budgetMs = pidMax <= FULL_PROBE_LIMIT ? Number.MAX_SAFE_INTEGER : PROBE_BUDGET_MS;
  const [found, reached] = probeGaps(procDir, listed, probeBound(pidMax, highest), budgetMs, addon);
  const errors: ProbeError[] = [];
  const leaders = leadersAmong(procDir, found, errors);
  const ps = await psRun;
  const durationMs = performance.now() - started;
  return { listed: [...listed], pidMax, leaders, errors, reached, ps: ps ? [...ps] : null, durationMs };
}
