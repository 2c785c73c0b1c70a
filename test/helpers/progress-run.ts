// Runs the built CLI with the progress bar forced on (MINEHUNTER_PROGRESS=tty) on a pipe, hands each
// redrawn progress line to a callback with the moment it arrived, and lets the test signal the
// process: what the tests of Ctrl-C and of the time-left estimate share. It notes when the bar is
// cleared (the collection, so the scan, is over) and the CPU time the CLI had used by then, and can
// pin the CLI to some CPUs (`taskset`), which it then takes as all the cores it has.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI_PATH, REPO_ROOT, cliEnv } from './cli.js';

export interface ProgressReading {
  /** Milliseconds since the process was started, when the line arrived. */
  atMs: number;
  line: string;
  files?: number;
  percent?: number;
  /** The "about … left" of the line, in seconds. */
  secondsLeft?: number;
}

export interface ProgressRun {
  child: ChildProcess;
  done: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    atMs: number;
    /** When the bar was last cleared: the end of the collection, the scan's last moment on screen. */
    clearedAtMs?: number;
    /** user + system CPU seconds of the CLI (all its threads) when the bar was cleared; Linux only. */
    cpuSecondsAtClear?: number;
  }>;
  /** The CPUs the CLI was pinned to, when it was (`taskset` found). */
  pinnedTo?: string;
}

export interface ProgressRunOptions {
  /** A CPU list for `taskset -c` (e.g. "0"): the CLI runs on those CPUs only, as on a smaller machine. */
  cpus?: string;
}

/** Whether `taskset` (util-linux) can be run here. */
function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** user + system CPU seconds a live process has used, from /proc/PID/stat (clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name, which sits in parentheses and may hold spaces.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** "1 h 02 min", "3 min 05 s", "45 s" (util/eta.ts formatDuration, English) in seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /(?:(\d+) h )?(?:(\d+) min ?)?(?:(\d+) s)?$/.exec(text.trim());
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** One progress line read back: files, percent and time left when it shows them. */
export function readProgressLine(line: string, atMs: number): ProgressReading {
  const r: ProgressReading = { atMs, line };
  const files = /([\d,]+) (?:files,|个文件)/.exec(line);
  if (files) r.files = Number(files[1]!.replace(/,/g, ''));
  const pct = /\] (\d+)%/.exec(line);
  if (pct) r.percent = Number(pct[1]);
  const left = /about (.+) left/.exec(line);
  if (left) {
    const s = parseDuration(left[1]!);
    if (s !== undefined) r.secondsLeft = s;
  }
  return r;
}

/** Starts `minehunter args` (give `--lang en` for the English lines read here) with the progress bar on its stderr pipe; `onLine` sees each redraw. */
export async function runWithProgress(
  args: string[],
  onLine: (r: ProgressReading, child: ChildProcess) => void,
  options: ProgressRunOptions = {},
): Promise<ProgressRun> {
  const env = { ...(await cliEnv()), MINEHUNTER_PROGRESS: 'tty' };
  const pin = options.cpus !== undefined && hasTaskset() ? options.cpus : undefined;
  // taskset execs node in place: the child's pid is the CLI's own.
  const [command, argv] =
    pin !== undefined
      ? ['taskset', ['-c', pin, process.execPath, CLI_PATH, ...args]]
      : [process.execPath, [CLI_PATH, ...args]];
  const t0 = performance.now();
  const child = spawn(command, argv, {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  let clearedAtMs: number | undefined;
  let cpuSecondsAtClear: number | undefined;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    // Redraws are `\r\x1b[K<line>`: a line is complete once the next redraw (or a newline) starts.
    const pieces = (partial + text).split(/\r|\n/);
    partial = pieces.pop() ?? '';
    const at = performance.now() - t0;
    for (const p of pieces) {
      const line = p.split('\x1b[K').join('');
      if (line) onLine(readProgressLine(line, at), child);
    }
    // `\r\x1b[K` with nothing after it: the bar cleared at the end of the collection.
    if (partial === '\x1b[K' && text.endsWith('\r\x1b[K')) {
      clearedAtMs = at;
      cpuSecondsAtClear = cpuSecondsOf(child.pid);
    }
  });
  const done = new Promise<Awaited<ProgressRun['done']>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        atMs: performance.now() - t0,
        ...(clearedAtMs !== undefined ? { clearedAtMs } : {}),
        ...(cpuSecondsAtClear !== undefined ? { cpuSecondsAtClear } : {}),
      }),
    );
  });
  return { child, done, ...(pin !== undefined ? { pinnedTo: pin } : {}) };
}
