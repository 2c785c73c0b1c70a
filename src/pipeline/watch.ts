// The watch loop: every interval (or sooner, when a persistence place changes) it probes the root,
// and when processes, sockets or persistence places changed, a finding awaits its second miss, or the
// periodic full scan is due, it runs a scan and folds the findings into the state (watch-state.ts),
// emitting each event as one JSON line and saving the state atomically after every scan.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../model/finding.js';
import {
  applyScan,
  emptyState,
  hasPendingMisses,
  parseState,
  type WatchEvent,
  type WatchState,
} from './watch-state.js';
import { changed, diffProbes, probeRoot, watchPlaces, type Probe, type ProbeDiff } from './watch-probe.js';

export interface WatchLoopOptions {
  root: string;
  intervalMs: number;
  fullEveryMs: number;
  once: boolean;
  stateFile: string;
  /** Collects and analyses the root; returns the findings (allowlist applied). */
  scan: () => Promise<Finding[]>;
  /** Writes one event line (stdout or the -o file). */
  emit: (line: string) => Promise<void>;
  /** A short progress/health note for stderr. */
  note: (text: string) => void;
  signal: AbortSignal;
  now?: () => Date;
}

/** Reads the state file; a missing one is a first run, a damaged one is noted and started afresh. */
export async function loadState(file: string, note: (t: string) => void): Promise<WatchState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') note(`state ${file}: ${(err as Error).message}`);
    return emptyState();
  }
  const { state, problem } = parseState(text);
  if (problem) note(`state ${file}: ${problem}; starting afresh`);
  return state;
}

/** Write then rename: a crash mid-write leaves the previous state, never half of one. */
export async function saveState(file: string, state: WatchState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

function describe(d: ProbeDiff): string {
  const parts: string[] = [];
  if (d.newProcesses || d.goneProcesses) parts.push(`processes +${d.newProcesses}/-${d.goneProcesses}`);
  if (d.newSockets || d.goneSockets) parts.push(`sockets +${d.newSockets}/-${d.goneSockets}`);
  if (d.changedPlaces.length > 0) parts.push(`changed ${d.changedPlaces.map((p) => `/${p}`).join(', ')}`);
  return parts.join('; ');
}

/**
 * Whether a probe difference can change the findings: anything new always can; a process or socket
 * that went away only can when some finding is known (it may be the one that is now gone), so the
 * short-lived processes of a busy host cost no scan while nothing is found.
 */
function matters(d: ProbeDiff, state: WatchState): boolean {
  if (d.newProcesses + d.newSockets + d.changedPlaces.length > 0) return true;
  return Object.keys(state.findings).length > 0 && changed(d);
}

/** Runs until the signal aborts (or one cycle with `once`); the state is saved after every scan. */
export async function runWatch(o: WatchLoopOptions): Promise<void> {
  const now = o.now ?? (() => new Date());
  let state = await loadState(o.stateFile, o.note);
  let wake: (() => void) | undefined;
  const watcher = o.once ? undefined : watchPlaces(o.root, () => wake?.());
  let previous: Probe | undefined;
  let lastFull = 0;
  try {
    while (!o.signal.aborted) {
      const probe = probeRoot(o.root);
      const diff = previous ? diffProbes(previous, probe) : undefined;
      const fullDue = Date.now() - lastFull >= o.fullEveryMs;
      const reason = !diff
        ? 'start'
        : matters(diff, state)
          ? describe(diff)
          : hasPendingMisses(state)
            ? 'confirming a missing finding'
            : fullDue
              ? 'periodic full scan'
              : undefined;
      previous = probe;
      if (reason) {
        const t0 = performance.now();
        const findings = await o.scan();
        const result = applyScan(state, findings, now());
        state = result.state;
        await emitAll(o, result.events);
        await saveState(o.stateFile, state);
        lastFull = Date.now();
        o.note(
          `scan (${reason}): ${findings.length} findings, ${result.events.length} events, ` +
            `${Math.round(performance.now() - t0)} ms`,
        );
      }
      if (o.once) break;
      await sleep(o.intervalMs, o.signal, (w) => (wake = w));
    }
  } finally {
    watcher?.close();
  }
}

async function emitAll(o: WatchLoopOptions, events: WatchEvent[]): Promise<void> {
  for (const e of events) await o.emit(JSON.stringify(e) + '\n');
}

/** Waits the interval, or less when woken by a watched place or stopped by the signal. */
function sleep(ms: number, signal: AbortSignal, setWake: (w: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let woken: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(woken);
      signal.removeEventListener('abort', done);
      setWake(() => {});
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    // A burst of events (an editor's write and rename) settles for a moment before the probe.
    setWake(() => {
      woken ??= setTimeout(done, 200);
    });
  });
}
