// The CPU window's first sample, taken as the command line starts: each process's CPU ticks from
// /proc/PID/stat and the time they were read. The process walk counts a process's CPU% from here to
// its second sample, so the window (300 ms by default) runs while Node loads the collectors instead
// of after the walk: the process collection, and everything that waits for it, ends ~0.3 s sooner
// (issue 17). A process started since, or a pid reused meanwhile, is measured from the walk's own
// first sample as before. Only a tiny parser here: this module loads before everything else.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { builtNativeAddon } from '../../util/paths.js';
import { loadReadProcs, NativeProcReads } from './proc-read.js';

/** Each process's state at the baseline: the process's start (to tell a reused pid) and its CPU ticks. */
export interface CpuBaseline {
  /** When the samples were read, in ms since 1970 (a clock every thread shares). */
  at: number;
  /** pid -> [starttime, utime + stime], in clock ticks. */
  ticks: Map<number, [number, number]>;
}

/** Now, in ms since 1970 with performance.now()'s precision: comparable across worker threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** starttime and utime + stime from a stat line, or undefined when it does not parse. */
export function statTicks(text: string): [number, number] | undefined {
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text
    .slice(close + 1)
    .trim()
    .split(' ', 20);
  // After the name: state is field 3, utime 14, stime 15, starttime 22 (1-based, man 5 proc).
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const starttime = Number(f[19]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(starttime)) return undefined;
  return [starttime, utime + stime];
}

/** The names in procDir (its PIDs among them); undefined when it cannot be listed. */
export function listProc(procDir = '/proc'): string[] | undefined {
  try {
    return readdirSync(procDir);
  } catch {
    return undefined;
  }
}

/**
 * Reads the CPU ticks of every process in procDir, from `names` when it was listed already;
 * undefined when procDir cannot be listed. With the native addon's reader, many stat lines per
 * call (proc-read.ts): at 5,000 processes ~60 ms instead of ~140 ms, on the main thread as the
 * command starts.
 */
export function takeCpuBaseline(
  procDir = '/proc',
  names: string[] | undefined = listProc(procDir),
  native?: NativeProcReads,
): CpuBaseline | undefined {
  if (!names) return undefined;
  const ticks = new Map<number, [number, number]>();
  const at = epochNow();
  const pids = names.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0);
  if (native) {
    let i = 0;
    for (const line of native.stats(pids)) {
      const pid = pids[i++] as number;
      const t = line.ok ? statTicks(line.value as string) : undefined;
      if (t) ticks.set(pid, t);
    }
    return { at, ticks };
  }
  // One buffer for every read, and no fstat per file: a third of readFileSync's cost (16 against
  // 40-90 ms for 1,000 processes here), paid before anything else runs.
  const buf = Buffer.allocUnsafe(4096);
  for (const pid of pids) {
    let fd: number | undefined;
    try {
      fd = openSync(`${procDir}/${pid}/stat`, 'r');
      const t = statTicks(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)));
      if (t) ticks.set(pid, t);
    } catch {
      // gone already, or unreadable: the walk samples it itself
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return { at, ticks };
}

let early: CpuBaseline | undefined;

/**
 * Takes the baseline of a scan of this host, as its command line starts (cli/start-ahead.ts), from
 * /proc's names when the caller listed them already.
 */
export function takeStartupCpuBaseline(names?: string[]): void {
  const readProcs = loadReadProcs(builtNativeAddon());
  early = takeCpuBaseline('/proc', names ?? listProc(), readProcs && new NativeProcReads(readProcs, '/proc'));
}

/** The baseline taken at start-up, for a scan of this host; undefined for other commands. */
export function startupCpuBaseline(): CpuBaseline | undefined {
  return early;
}
