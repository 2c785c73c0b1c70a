// Imported by the entry (main.ts) right after the start guard, so that it runs before the program's
// modules load (an ES module's imports all load before it runs; the program's take ~0.1 s here): for
// a scan of this host it starts the process walk's worker thread, which then boots meanwhile (with
// 1,000 processes the main thread otherwise waited ~0.3 s for the walk, idle; bench:scale), and takes
// each process's CPU ticks, so that the CPU window runs meanwhile too.
import { listProc, takeStartupCpuBaseline } from '../collect/linux/cpu-baseline.js';
import { prestartProcWorker, processCount } from '../collect/linux/proc-worker-start.js';
import { scansThisHost } from './command-line.js';

if (scansThisHost(process.argv.slice(2))) {
  // /proc is listed once for both: the worker's count, then the baseline's PIDs.
  const names = listProc();
  prestartProcWorker(() => processCount(names));
  takeStartupCpuBaseline(names);
}
