// Starts the process walk's worker thread (proc-worker.ts), now or ahead of its walk: a worker takes
// ~0.1-0.2 s to boot Node and load its modules, and the walk it does is what the content scan and
// most collectors wait for, so a scan of this host starts one as its command line starts
// (cli/start-ahead.ts) and the walk then hands it its work.
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { isSea, seaWorkerSource } from '../../util/sea.js';
import { StandbyWorker } from '../../util/standby-worker.js';
import type { ProcWorkerInit } from './proc-worker.js';

/**
 * Fewer processes than this are read on the main thread even on a live host: a handful (the watch
 * mode's new processes) take a few milliseconds there, less than a worker thread's start-up costs.
 */
export const WORKER_MIN_PIDS = 64;

/**
 * The walk's worker. From dist/ it is plain JavaScript; from src/ (vitest, tsx) TypeScript, loaded
 * through tsx's API, since a worker does not inherit the parent's loader hooks; inside the single
 * executable there is no file to start, and the embedded bundle is evaluated (as engine/pool.ts does).
 * Without `workerData` it waits for a `{ init }` message (a worker started ahead).
 */
export function newProcWorker(workerData?: ProcWorkerInit): Worker {
  const options = workerData ? { workerData } : {};
  const embedded = isSea() ? seaWorkerSource('proc-worker.js') : undefined;
  if (embedded !== undefined) return new Worker(embedded, { eval: true, ...options });
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./proc-worker.js', import.meta.url), options);
  const url = new URL('./proc-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  return new Worker(boot, { eval: true, ...options });
}

/** The worker started ahead of its walk (prestartProcWorker), waiting for it. */
const standby = new StandbyWorker();

/** The number of processes /proc lists now (0 when it cannot be read). */
function processCount(): number {
  try {
    return readdirSync('/proc').filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).length;
  } catch {
    return 0;
  }
}

/**
 * Starts a worker ahead of its walk, when this host has enough processes for the walk to use one
 * (`count`: /proc's). A command that never walks just exits; the walk takes the worker if it is
 * still there, else starts its own.
 */
export function prestartProcWorker(count: () => number = processCount): void {
  if (count() >= WORKER_MIN_PIDS) standby.start(() => newProcWorker());
}

/** The worker started ahead, given its walk; undefined when there is none. */
export function adoptProcWorker(init: ProcWorkerInit): Worker | undefined {
  return standby.take({ init });
}

/** The worker started ahead and not yet given a walk, if any (for tests). */
export function standbyProcWorker(): Worker | undefined {
  return standby.waiting;
}
