// Keeps a watcher's V8 young generation small for good. V8 grows it (up to 2 × 16 MB here) under the
// burst of short-lived objects a full scan makes, and never gives it back while the process lives,
// so a watcher that stays on for months kept those pages for one scan an hour; it was the largest
// single part of watch's peak RSS (issue 16: ≤ 120 MB). Held from the process's first line
// (util/young-generation.ts), it stays at its starting size (1 MB per semi-space). The cost is more
// frequent, smaller scavenges (measured: no more CPU within the noise of a loaded 2-core machine).
import { holdYoungGeneration } from '../util/young-generation.js';

/** Whether this command line runs `watch`. */
export function runsWatch(argv: readonly string[] = process.argv): boolean {
  return argv.slice(2).includes('watch');
}

// Imported first by the command line's entry (before the modules whose loading grows the young
// generation), this holds it for `watch`; other commands hold it for their first second only
// (cli/first-second.ts).
if (runsWatch()) holdYoungGeneration();
