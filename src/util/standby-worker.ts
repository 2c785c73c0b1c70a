// A worker thread started ahead of its work (the content scan's worker, engine/pool.ts; the process
// walk's, collect/linux/proc-worker-start.ts): it boots Node and loads its modules while the caller
// does other work, and whoever needs one first takes it and sends it its work as a message. It is
// unreferenced while it waits, so an unused one never keeps the process alive; one that fails or exits
// while it waits is dropped, and the taker starts its own.
import type { Worker } from 'node:worker_threads';

export class StandbyWorker {
  private worker: Worker | undefined;

  /** Starts one with `start`, unless one waits already; a start that throws leaves none. */
  start(start: () => Worker): void {
    if (this.worker) return;
    let worker: Worker;
    try {
      worker = start();
    } catch {
      return; // the taker starts its own, and reports it if that fails too
    }
    worker.unref();
    const drop = (): void => {
      if (this.worker === worker) this.worker = undefined;
    };
    worker.once('error', drop);
    worker.once('exit', drop);
    this.worker = worker;
  }

  /** The waiting worker, referenced again and sent `message`; undefined when none waits. */
  take(message: unknown): Worker | undefined {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return undefined;
    worker.ref();
    worker.postMessage(message);
    return worker;
  }

  /** The worker waiting, if any (for tests). */
  get waiting(): Worker | undefined {
    return this.worker;
  }

  /** Stops the waiting worker, if any. */
  discard(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) void worker.terminate();
  }
}
