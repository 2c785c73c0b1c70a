// Starts the process walk's worker thread (proc-worker.ts), now or ahead of its walk: a worker takes
// ~0.1-0.2 s to boot Node and load its modules, and the walk it does is what the content scan and
// most collectors wait for, so a scan of this host starts one as its command line starts
// (cli/start-ahead.ts) and the walk then hands it its work.
import { Worker } from 'node:worker_threads';
import { cpuBudget } from '../../util/cpu-budget.js';
import { isSea, seaWorkerSource } from '../../util/sea.js';
import { StandbyWorker } from '../../util/standby-worker.js';
import { WORKER_RESOURCE_LIMITS } from '../../util/worker-heap.js';
import { listProc } from './cpu-baseline.js';
import type { ProcWorkerInit } from './proc-worker.js';

/**
 * Fewer processes than this are read on the main thread even on a live host: a handful (the watch
 * mode's new processes) take a few milliseconds there, less than a worker thread's start-up costs.
 */
export const WORKER_MIN_PIDS = 64;

/**
 * From this many processes on, on a host with two cores or more, the walk is split between two
 * workers, each reading half of the PIDs: the walk is ~0.5 ms of system calls per process, and the
 * scan waits for it. A second worker costs ~0.1 s of CPU to start and competes for the cores with
 * the program loading meanwhile, so it pays only on larger hosts. Measured in alternating blocks
 * (issue 20): 5,091 processes 3.38 → 3.10 s (182 → 175 MB: each holds half), 2,077 processes
 * 2.32 → 2.23 s, 1,043 processes 1.63 → 1.67 s (no gain there).
 */
export const WORKER_SPLIT_PIDS = 2000;

/** How many workers walk `pidCount` processes (when the walk uses workers at all). */
export function walkShards(pidCount: number, cores: () => number = cpuBudget): number {
  return pidCount >= WORKER_SPLIT_PIDS && cores() >= 2 ? 2 : 1;
}

/**
 * The walk's worker. From dist/ it is plain JavaScript; from src/ (vitest, tsx) TypeScript, loaded
 * through tsx's API, since a worker does not inherit the parent's loader hooks; inside the single
 * executable there is no file to start, and the embedded bundle is evaluated (as engine/pool.ts does).
 * Without `workerData` it waits for a `{ init }` message (a worker started ahead).
 */
export function newProcWorker(workerData?: ProcWorkerInit): Worker {
  const options = { resourceLimits: WORKER_RESOURCE_LIMITS, ...(workerData ? { workerData } : {}) };
  const embedded = isSea() ? seaWorkerSource('proc-worker.js') : undefined;
  if (embedded !== undefined) return new Worker(embedded, { eval: true, ...options });
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./proc-worker.js', import.meta.url), options);
  const url = new URL('./proc-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  return new Worker(boot, { eval: true, ...options });
}

/** The workers started ahead of their walk (prestartProcWorker), waiting for it: one per shard. */
const standbys = [new StandbyWorker(), new StandbyWorker()];

/** The number of processes among /proc's names (listed now unless given; 0 when it cannot be read). */
export function processCount(names: string[] | undefined = listProc()): number {
  return (names ?? []).filter((n) => n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57).length;
}

/**
 * Starts a worker ahead of its walk, when this host has enough processes for the walk to use one
 * (`count`: /proc's). A command that never walks just exits; the walk takes the worker if it is
 * still there, else starts its own.
 */
export function prestartProcWorker(count: () => number = () => processCount(), cores?: () => number): void {
  const n = count();
  if (n < WORKER_MIN_PIDS) return;
  const shards = walkShards(n, cores);
  for (const standby of standbys.slice(0, shards)) standby.start(() => newProcWorker());
}

/** The worker started ahead for shard `shard` of the walk, given its part; undefined when there is none. */
export function adoptProcWorker(init: ProcWorkerInit, shard = 0): Worker | undefined {
  return standbys[shard]?.take({ init });
}

/** The worker started ahead for `shard` and not yet given a walk, if any (for tests). */
export function standbyProcWorker(shard = 0): Worker | undefined {
  return standbys[shard]?.waiting;
}
