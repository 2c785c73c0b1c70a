// The worker thread of the live process walk (issue 20): reads every /proc/PID here (through the
// native addon when it is built; two workers of a split walk claim batches of PIDs as they go), so
// the main thread stays free for the other collectors' I/O meanwhile, and hands back plain data;
// then hashes the executables; then takes the CPU window's second sample on its own clock, once the
// hashes are done and the window has lasted its minimum, without a round trip through the busy
// main thread. When asked, it also probes the PID space for the hidden-process check (pid-probe.ts),
// since this thread is started already and would otherwise only wait: while the window still runs
// when the walk is read (a host of a few hundred processes), else after the sample, its heap
// collected first (the walk's data would otherwise stay in memory while it probes).
// It is started with its walk (workerData), or ahead of it and then sent `{ init }` (proc-worker-start.ts).
// Its messages, in order: the WalkResult, the hashes (when asked), the CpuResult (when asked); the
// PidProbeMessage (when asked) is tagged and comes before or after the CpuResult.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { cpuRequest, ExeHashes, ProcWalker, type ExeHash, type WalkedProcess } from './proc-walk.js';
import type { CpuBaseline } from './cpu-baseline.js';
import { probePidSpace, type PidProbe } from './pid-probe.js';
import { loadReadProcs, NativeProcReads } from './proc-read.js';

/** What the main thread starts the walk with. */
export interface ProcWorkerInit {
  procDir: string;
  pids: number[];
  /** Hash the executables, up to this size each; undefined: not hashed. */
  hashMaxBytes?: number;
  /** The CPU window's minimum length; undefined: no second sample (a static copy, or none asked). */
  cpuWindowMs?: number;
  /** The window's first sample, taken as the command line started (cpu-baseline.ts). */
  cpuBaseline?: CpuBaseline;
  /**
   * A split walk's shared counter (one Int32: the index into `pids` of the next PID to claim):
   * `pids` is then every worker's list, and each reads the batches it claims. Only with a baseline.
   */
  claim?: SharedArrayBuffer;
  /** The native addon whose readProcs reads the files of /proc/PID; undefined: read with Node. */
  addon?: string;
  /** Probe the PID space last, with the native addon at `addon` when given; undefined: no probe. */
  pidProbe?: { addon?: string };
}

/** The probe's message, tagged (the main thread waits for it beside the others): its result or why not. */
export type PidProbeMessage = { pidProbe: PidProbe } | { pidProbeError: string };

/** The hashes message: each process with an executable, in walk order. */
export type HashesMessage = [pid: number, hash: ExeHash][];

/**
 * The walk, the hashes and the CPU window's second sample. Everything they hold (the walked
 * processes, the walker's samples) is reachable only from here, so it can be freed once the sample
 * is sent. `whileWaiting` runs when the window still has time to last once the hashes are done (the
 * thread would only wait); the promise says whether it ran.
 */
function walkAndSample(port: MessagePort, init: ProcWorkerInit, whileWaiting?: () => void): Promise<boolean> {
  const readProcs = loadReadProcs(init.addon);
  const reads = readProcs && new NativeProcReads(readProcs, init.procDir);
  const walker = new ProcWalker(init.procDir, init.cpuBaseline, reads);
  const processes: WalkedProcess[] = [];
  if (init.claim) {
    // The window started at the baseline's time (a claim comes with one): each batch is sampled
    // just before it is read, by whichever worker claimed it.
    walker.sampled();
    for (const batch of claimedBatches(init.pids, new Int32Array(init.claim))) {
      walker.sampleAll(batch);
      processes.push(...walker.readAll(batch));
    }
  } else {
    walker.sampleAll(init.pids);
    walker.sampled();
    processes.push(...walker.readAll(init.pids));
  }
  port.postMessage({ processes, errors: walker.errors.splice(0), vanished: walker.vanished });
  if (init.hashMaxBytes !== undefined) {
    const hashes = new ExeHashes(init.hashMaxBytes);
    const out: HashesMessage = [];
    for (const p of processes) if (p.exe) out.push([p.pid, hashes.of(`${init.procDir}/${p.pid}/exe`)]);
    port.postMessage(out);
  }
  if (init.cpuWindowMs === undefined) return Promise.resolve(false);
  const req = cpuRequest(processes, init.cpuWindowMs);
  const waitMs = walker.remainingMs(req.minWindowMs);
  const ran = waitMs > 0 && whileWaiting !== undefined;
  return new Promise<boolean>((resolve) => {
    // Armed first: work done meanwhile that outlasts the window delays the sample, and the window
    // is as long as it really was (cpuAll measures it).
    setTimeout(() => {
      port.postMessage(walker.cpuAll(req));
      resolve(ran);
    }, waitMs);
    if (ran) whileWaiting();
  });
}

/** PIDs a worker claims at a time from a split walk's shared counter. */
const CLAIM_BATCH = 64;

/**
 * The batches of `pids` this worker claims from `next` (the index of the first PID no worker has
 * claimed yet, shared by the workers of a split walk), until none is left: a worker slowed by the
 * others sharing its core reads fewer, instead of the walk waiting for its last one.
 */
function* claimedBatches(pids: readonly number[], next: Int32Array): Generator<number[]> {
  for (;;) {
    const from = Atomics.add(next, 0, CLAIM_BATCH);
    if (from >= pids.length) return;
    yield pids.slice(from, from + CLAIM_BATCH);
  }
}

/**
 * A full collection of this thread's heap, where V8 lets one be asked for. The probe keeps this
 * thread alive while the main thread's scan is at its peak: with 5,000 processes the walk's
 * garbage, left for V8 to collect when it likes, added ~25 MB to the scan's peak RSS (bench:scale).
 */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // not offered: the heap is collected when V8 decides
  }
}

/** The walk and the sample; when asked, the probe, in the window's wait or after the sample. */
function run(port: MessagePort, init: ProcWorkerInit): void {
  const probe = init.pidProbe;
  if (!probe) {
    void walkAndSample(port, init);
    return;
  }
  const probeAndPost = (): Promise<void> =>
    probePidSpace(init.procDir, probe.addon)
      .then(
        (pidProbe): PidProbeMessage => ({ pidProbe }),
        (err: unknown): PidProbeMessage => ({ pidProbeError: String(err) }),
      )
      .then((m) => port.postMessage(m));
  // Probed while the window runs, the hidden-process check ends with the walk's sample instead of
  // ~50-90 ms after it (32768 PIDs and `ps` here), and a default scan with it (issue 17).
  void walkAndSample(port, init, () => void probeAndPost()).then((probed) => {
    if (probed) return undefined;
    collectGarbage();
    return probeAndPost();
  });
}

const port = parentPort;
if (port) {
  // Started with its walk, or ahead of it (proc-worker-start.ts): then the walk comes as a message.
  if (workerData) run(port, workerData as ProcWorkerInit);
  else port.once('message', (m: { init: ProcWorkerInit }) => run(port, m.init));
}
