// Phase timings of one CLI run, printed to stderr when MINEHUNTER_TIMINGS=1: where the wall time and
// the CPU time (user + system, every thread of the process) of a scan go — start-up (Node and the
// modules), collection (with each collector's own duration, also of those that make no record;
// they run concurrently), analysis and the report — and the peak RSS. `npm run bench` reads these
// lines; a person profiling a slow host reads them too. Off by default, and then every call here
// costs a property read.
import { peakRssKb } from './peak-rss.js';

/** The environment variable that turns the timings on (`1`). */
export const TIMINGS_ENV = 'MINEHUNTER_TIMINGS';

/** The prefix of every timings line, so a reader can pick them out of the progress messages. */
export const TIMINGS_PREFIX = 'minehunter timings:';

interface Mark {
  phase: string;
  /** Milliseconds since the process started (performance.timeOrigin). */
  at: number;
  /** CPU milliseconds (user + system, all threads) the process has used so far. */
  cpu: number;
}

const marks: Mark[] = [];
/** Each collector's wall time from its start to its end, as the runner saw it (collect/runner.ts). */
const collectorWalls = new Map<string, number>();

function enabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TIMINGS_ENV] === '1';
}

function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** Ends the phase `phase` now (the first one starts when the process did). */
export function markPhase(phase: string): void {
  if (!enabled()) return;
  marks.push({ phase, at: performance.now(), cpu: cpuNow() });
}

/**
 * Notes how long collector `id` ran, start to end. Its record's durationMs says the same for a
 * collector that makes one; this also catches the ones that make none (the web collector on a
 * host without sites, or on a `--path` that is not one), whose time was otherwise nowhere.
 */
export function markCollector(id: string, wallMs: number): void {
  if (!enabled()) return;
  collectorWalls.set(id, wallMs);
}

/** One collector's record, as the snapshot's `collection` array holds it. */
export interface CollectorTiming {
  collector: string;
  durationMs?: number;
}

/**
 * The timings lines: each phase's wall and CPU time, then each collector's duration (they overlap,
 * so these do not add up to the collect phase), then the peak RSS. Empty when timings are off.
 */
export function timingsLines(collection: readonly CollectorTiming[] = []): string[] {
  if (marks.length === 0) return [];
  const lines: string[] = [];
  let prev = { at: 0, cpu: 0 };
  for (const m of marks) {
    lines.push(
      `${TIMINGS_PREFIX} phase ${m.phase} ${(m.at - prev.at).toFixed(0)} ms wall, ${(m.cpu - prev.cpu).toFixed(0)} ms cpu`,
    );
    prev = m;
  }
  for (const c of collection) {
    if (c.durationMs !== undefined)
      lines.push(`${TIMINGS_PREFIX} collector ${c.collector} ${c.durationMs.toFixed(0)} ms wall`);
  }
  const recorded = new Set(collection.map((c) => c.collector));
  for (const [id, ms] of collectorWalls) {
    if (!recorded.has(id))
      lines.push(`${TIMINGS_PREFIX} collector ${id} ${ms.toFixed(0)} ms wall (no record)`);
  }
  const last = marks[marks.length - 1]!;
  lines.push(
    `${TIMINGS_PREFIX} total ${last.at.toFixed(0)} ms wall, ${last.cpu.toFixed(0)} ms cpu, ` +
      `peak RSS ${(peakRssKb() / 1024).toFixed(1)} MB`,
  );
  return lines;
}

/** Forgets the marks made so far. */
export function resetTimings(): void {
  marks.length = 0;
  collectorWalls.clear();
}

/** Prints the timings to stderr when MINEHUNTER_TIMINGS=1, once: the marks are used up. */
export function printTimings(collection?: readonly CollectorTiming[]): void {
  const lines = timingsLines(collection);
  resetTimings();
  if (lines.length > 0) process.stderr.write(lines.join('\n') + '\n');
}
