// A worker thread of the content scan: restores the compiled rules it is handed (no compiling per
// thread), then scans the batches of files and the process-memory jobs the scheduler sends it,
// synchronously, which is the fastest way to drive YARA-X on many small files (see yara.ts).
// A worker started before the rules exist (pool.ts, prestartScanWorker) loads its modules and the
// engine, then waits for them in an `init` message.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { ArchiveLimits } from './archives.js';
import {
  isEmptyResult,
  scanFileJob,
  scanMemoryJob,
  type FileResult,
  type FromWorker,
  type ToWorker,
} from './scan-job.js';
import { engineVersion, loadCompiledRules, type RuleFileSpec, type ScanOptions } from './yara.js';

export interface WorkerInit {
  blob: Uint8Array;
  hash: string;
  files: RuleFileSpec[];
  options: ScanOptions;
  limits: ArchiveLimits;
}

/** The rules for a worker started without them. */
export interface InitMessage {
  type: 'init';
  init: WorkerInit;
}

function serve(port: MessagePort, init: WorkerInit): void {
  const send = (msg: FromWorker): void => port.postMessage(msg);
  try {
    const scanner = loadCompiledRules(Buffer.from(init.blob), init.hash, init.files, init.options);
    port.on('message', (msg: ToWorker) => {
      if (msg.type === 'files') {
        // Only results that say something travel back: copying an empty result for every clean
        // file cost the main thread, which walks and feeds both workers, a tenth of its time.
        const results: { id: number; result: FileResult }[] = [];
        for (const job of msg.jobs) {
          const result = scanFileJob(scanner, job, init.limits);
          if (!isEmptyResult(result)) results.push({ id: job.id, result });
        }
        send({ type: 'files', results });
      } else {
        send({ type: 'memory', results: msg.jobs.map((job) => scanMemoryJob(scanner, job)) });
      }
    });
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  }
}

const port = parentPort;
if (port) {
  const given = workerData as WorkerInit | undefined;
  if (given) serve(port, given);
  else {
    // Started ahead of its rules: the engine loads now, while the main thread is busy elsewhere. A
    // missing engine is reported by loadCompiledRules once the rules come.
    try {
      engineVersion();
    } catch {
      // reported with the rules
    }
    port.once('message', (msg: InitMessage) => serve(port, msg.init));
  }
}
