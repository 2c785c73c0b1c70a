// A small pool of worker threads for the content scan, up to one per core: each restores the
// serialised rules once, then takes batches of files or of processes' memory. Tasks wait in the
// pool's queue and go to whichever worker is free, each holding the next one too (SLOT_DEPTH), so
// both cores stay busy while the main thread walks and consults the cache. One worker starts at
// once, the others only when work keeps waiting: a warm rescan has little to read, and each worker
// costs ~100-200 ms of CPU to start. The first may be started earlier still (prestartScanWorker),
// so that its start-up overlaps the host collectors.
import { Worker } from 'node:worker_threads';
import { cpuBudget } from '../util/cpu-budget.js';
import { embeddedWorker } from '../util/paths.js';
import { StandbyWorker } from '../util/standby-worker.js';
import { WORKER_RESOURCE_LIMITS } from '../util/worker-heap.js';
import type { ArchiveLimits } from './archives.js';
import type { FileJob, FileResult, FromWorker, MemoryJob, MemoryResult, ToWorker } from './scan-job.js';
import type { InitMessage, WorkerInit } from './scan-worker.js';
import type { ScanOptions, YaraScanner } from './yara.js';

interface Task {
  msg: ToWorker;
  resolve: (value: FromWorker) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Tasks sent to the worker and not yet answered, oldest first (it answers in order). */
  inFlight: { task: Task; sentAt: number }[];
  /** When it last answered (performance.now()). */
  doneAt?: number;
}

/**
 * Tasks a worker holds at a time: the one it runs and the next, so that it starts the next at once
 * instead of waiting for the main thread, busy walking the files, to take its answer and send
 * another (a warm default scan's memory batches waited up to ~50 ms each for that).
 */
const SLOT_DEPTH = 2;

/**
 * Running from dist/ the worker is plain JavaScript. Running from src/ (vitest, tsx) it is
 * TypeScript, loaded through tsx's API from a small bootstrap, since a worker does not inherit the
 * parent's loader hooks.
 */
function newWorker(workerData?: WorkerInit): Worker {
  // Inside the single executable there is no file to start: the embedded bundle is evaluated.
  const embedded = embeddedWorker('scan-worker');
  const resourceLimits = WORKER_RESOURCE_LIMITS;
  if (embedded !== undefined) return new Worker(embedded, { eval: true, workerData, resourceLimits });
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./scan-worker.js', import.meta.url), { workerData, resourceLimits });
  const url = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}

/**
 * A worker started before any pool (prestartScanWorker), waiting for its rules; the next worker a
 * pool starts is this one.
 */
const standby = new StandbyWorker();

/**
 * Starts a scan worker now, without its rules: it loads its modules and the engine while the caller
 * does other work, and the next pool to start a worker takes it. The default scan calls this as its
 * content scan begins, while the process walk still waits out its CPU window (issue 17).
 */
export function prestartScanWorker(): void {
  standby.start(() => newWorker());
}

/** The prestarted worker waiting for a pool, if any (for tests). */
export function standbyWorker(): Worker | undefined {
  return standby.waiting;
}

/** Stops the prestarted worker if no pool took it. */
export function discardStandbyWorker(): void {
  standby.discard();
}

/**
 * How long work must wait for a free worker before the pool starts another. A worker costs ~100-150
 * ms of CPU to start and restore its rules, so one is worth it only for work that has already kept
 * the others busy that long: a cold scan's files, not a warm scan's memory jobs, which are done in
 * about that time on one worker (at 25 ms a warm default scan started a second worker near its end,
 * which cost CPU and ~10 MB of RSS and finished nothing).
 */
const GROW_AFTER_MS = 150;

/**
 * And the queued tasks must hold at least this much work, by the time tasks have taken so far: a
 * steady stream of short tasks (the memory scan of a thousand processes, fed three at a time)
 * keeps the queue from ever emptying, yet holds a few milliseconds of work, and a worker started for
 * it came up as the stream ended (~120 ms of CPU while the main thread finished the scan).
 */
const GROW_MIN_QUEUED_MS = 25;

export class ScanPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private failed: Error | undefined;
  /** Workers being started (not yet in `slots`): stopped at once when the pool closes. */
  private readonly starting = new Set<Worker>();
  private growTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** The mean time a task took on a worker, over those done so far (undefined before the first). */
  private meanTaskMs: number | undefined;
  private tasksDone = 0;

  private constructor(
    private readonly init: WorkerInit,
    /** The most workers this pool runs. */
    readonly capacity: number,
  ) {}

  /**
   * Starts one worker and waits until it has its rules; up to `size` (default: the cores available)
   * run once tasks wait for a free one (see grow).
   */
  static async start(
    scanner: YaraScanner,
    options: { size?: number; scan: ScanOptions; limits: ArchiveLimits },
  ): Promise<ScanPool> {
    const blob = scanner.serialize();
    const init: WorkerInit = {
      blob: new Uint8Array(blob),
      hash: scanner.ruleSetHash,
      files: [...scanner.files],
      options: options.scan,
      limits: options.limits,
    };
    const pool = new ScanPool(init, Math.max(1, options.size ?? cpuBudget()));
    pool.add(await pool.startWorker());
    return pool;
  }

  /** Workers running now. */
  get size(): number {
    return this.slots.length;
  }

  private add(worker: Worker): void {
    const slot: Slot = { worker, inFlight: [] };
    this.slots.push(slot);
    worker.on('message', (m: FromWorker) => this.done(slot, m));
    worker.on('error', (err) => this.fail(slot, err));
    worker.on('exit', (code) => {
      if (code !== 0 && !this.closed) this.fail(slot, new Error(`scan worker exited with code ${code}`));
    });
    this.pump();
  }

  /**
   * Another worker, when tasks still wait GROW_AFTER_MS after one was queued and the pool is below
   * capacity. One that fails to start leaves the pool as it was: the running ones go on.
   */
  private grow(): void {
    if (this.growTimer || this.closed || this.slots.length + this.starting.size >= this.capacity) return;
    this.growTimer = setTimeout(() => {
      this.growTimer = undefined;
      if (this.queue.length === 0 || this.closed || this.failed) return;
      if (this.meanTaskMs !== undefined && this.queue.length * this.meanTaskMs < GROW_MIN_QUEUED_MS) {
        this.grow(); // look again later: the stream may yet slow down into a backlog
        return;
      }
      this.startWorker().then(
        (worker) => {
          if (this.closed) void worker.terminate();
          else this.add(worker);
          this.grow();
        },
        () => undefined,
      );
    }, GROW_AFTER_MS);
    this.growTimer.unref();
  }

  /** Tasks queued or running: the scheduler keeps this small so memory stays bounded. */
  get pending(): number {
    return this.queue.length + this.slots.reduce((n, s) => n + s.inFlight.length, 0);
  }

  private run(msg: ToWorker): Promise<FromWorker> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ msg, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    // Idle workers first, then each up to its depth: a second worker gets work before the first
    // holds two tasks.
    for (let depth = 1; depth <= SLOT_DEPTH; depth++) {
      for (const slot of this.slots) {
        if (slot.inFlight.length >= depth) continue;
        const task = this.queue.shift();
        if (!task) return;
        slot.inFlight.push({ task, sentAt: performance.now() });
        slot.worker.postMessage(task.msg);
      }
    }
    if (this.queue.length > 0) this.grow();
  }

  private done(slot: Slot, m: FromWorker): void {
    const sent = slot.inFlight.shift();
    const now = performance.now();
    if (sent) {
      // Its own time: from when it was sent, or from the answer before it if it waited behind that one.
      const took = now - Math.max(sent.sentAt, slot.doneAt ?? 0);
      this.tasksDone++;
      this.meanTaskMs = (this.meanTaskMs ?? 0) + (took - (this.meanTaskMs ?? 0)) / this.tasksDone;
      if (m.type === 'fatal') sent.task.reject(new Error(m.message));
      else sent.task.resolve(m);
    }
    slot.doneAt = now;
    this.pump();
  }

  private fail(slot: Slot, err: Error): void {
    this.failed ??= err;
    for (const { task } of slot.inFlight.splice(0)) task.reject(err);
    for (const t of this.queue.splice(0)) t.reject(err);
  }

  async scanFiles(jobs: FileJob[]): Promise<{ id: number; result: FileResult }[]> {
    const m = await this.run({ type: 'files', jobs });
    if (m.type !== 'files') throw new Error('scan worker answered a file batch with ' + m.type);
    return m.results;
  }

  /** The memory of a few processes, one result per job, in their order. */
  async scanMemory(jobs: MemoryJob[]): Promise<MemoryResult[]> {
    const m = await this.run({ type: 'memory', jobs });
    if (m.type !== 'memory') throw new Error('scan worker answered a memory batch with ' + m.type);
    return m.results;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.growTimer);
    // A worker still starting (its Node bootstrap, its rules) has nothing to finish: the process
    // need not wait ~100 ms for it to be ready only to stop it then.
    for (const worker of this.starting) {
      worker.unref();
      void worker.terminate();
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /**
   * A new scan worker (the prestarted one if there is one), once it has restored the rules. A
   * prestarted one that failed (it died while it waited) is replaced by a new one, so it never costs
   * the scan more than the start-up it was meant to save.
   */
  private async startWorker(): Promise<Worker> {
    const adopted = adoptStandby(this.init);
    if (adopted) {
      try {
        return await this.ready(adopted);
      } catch {
        if (this.closed) throw new Error('scan pool closed');
      }
    }
    return this.ready(newWorker(this.init));
  }

  /** `worker` once it has restored the rules; stopped when it cannot. */
  private async ready(worker: Worker): Promise<Worker> {
    this.starting.add(worker);
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', (m: FromWorker) =>
          m.type === 'ready'
            ? resolve()
            : reject(new Error(m.type === 'fatal' ? m.message : 'worker did not start')),
        );
        worker.once('error', reject);
        worker.once('exit', (code) =>
          reject(new Error(`scan worker exited with code ${code} as it started`)),
        );
      });
    } catch (err) {
      void worker.terminate();
      throw err;
    } finally {
      this.starting.delete(worker);
    }
    return worker;
  }
}

/** The prestarted worker, handed its rules and referenced again; undefined when there is none. */
function adoptStandby(init: WorkerInit): Worker | undefined {
  const message: InitMessage = { type: 'init', init };
  return standby.take(message);
}
