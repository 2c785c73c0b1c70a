// Holds V8's optimizing compiler (TurboFan) back for the first moments of a run. A short command
// (the default scan of a host: ~0.9 s here) ends before most of TurboFan's work pays off: functions
// turn hot within tens of milliseconds, are compiled again on V8's background threads, which on a
// 2-core host compete with the scan's own workers, and then run a few more times. Measured in
// alternating blocks (issue 17): the default scan 1.00 → 0.91 s wall, 1.52 → 1.39 s CPU, 115 →
// 109 MB; with 1,072 processes 1.77 → 1.67 s. A long run must not go without it (a `scan --path` of
// 100k files took 30% longer with TurboFan off throughout), so it is held for a fixed time only:
// that run lost nothing measurable (2.78 / 2.61 s cold, 1.18 / 1.16 s warm).
// The flag is process-wide (every worker thread's isolate reads it) and is read when V8 decides to
// optimize a function, so setting it back at run time takes effect at the next hot call.
import v8 from 'node:v8';
import { releaseAfter } from './timed-release.js';

/**
 * Turns TurboFan off now and back on after `ms` (by an unreferenced timer, which never keeps the
 * process alive); returns a function that turns it back on at once. A V8 that refuses the flag runs
 * as before.
 */
export function holdOptimizingCompiler(ms: number): () => void {
  try {
    v8.setFlagsFromString('--no-opt');
  } catch {
    return () => undefined;
  }
  return releaseAfter(ms, () => v8.setFlagsFromString('--opt'));
}
