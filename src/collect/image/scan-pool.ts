// The image reader's content scanner on worker threads, one per core: the reader reads each file of
// a layer straight into the room this pool hands out in its current batch buffer, and goes on to
// the next entry while the workers scan (scan-worker.ts). A batch (up to BATCH_BYTES of files, or
// one larger file alone) is transferred to a free worker, never copied, and comes back with the
// answers for the next batch. At most a few batches are out at a time, so memory stays bounded
// whatever the image holds. Large layer blobs lying whole in a plain tarball are not read by the
// reader at all: readLayer hands each to a worker, which reads, parses, hashes and scans it from
// the file itself (one layer per worker at a time, the largest first), the reader leaping over
// their bytes. Without workers (they failed to start, or died) the batches are scanned on the main
// thread with the same rules, and the reader reads the layers meant for them itself.
import { Worker } from 'node:worker_threads';
import { embeddedWorker } from '../../util/paths.js';
import { WORKER_YOUNG_GENERATION_MB } from '../../util/worker-heap.js';
import type { ScanOptions, YaraScanner } from '../../engine/yara.js';
import type { ContentScanner, LayerJob, LayerScan, ScanOutcome, ScanWant } from '../../target/image/index.js';
import { scanWithDigest, webFlag } from './file-scan.js';
import {
  FILE_FIELDS,
  WANT_SHA256,
  type FromImageWorker,
  type ImageWorkerInit,
  type ToImageWorker,
} from './scan-worker.js';

const MiB = 1024 * 1024;
/** Bytes of files one batch holds: a file larger than this goes alone in a buffer of its own. */
const BATCH_BYTES = 2 * MiB;
/** Files one batch holds at most, so small files travel often enough to keep the workers busy. */
const BATCH_FILES = 1024;
/** Bytes scanned on the main thread before the workers start (a small image needs none). */
const WARM_UP_BYTES = 8 * MiB;
/**
 * Buffers of large files kept for the next ones: each of at most MAX_SPARE_BYTES, BIG_SPARE_BYTES
 * in all. A large file's buffer dropped is garbage that V8 collects only once some 64 MiB of such
 * memory piled up (its external-memory trigger): keeping a few back held the bench's peak lower.
 */
const BIG_SPARE_BYTES = 48 * MiB;
const MAX_SPARE_BYTES = 32 * MiB;
/**
 * A worker's heap, in MiB: the young generation as every scan worker's (util/worker-heap.ts); the
 * old one bounded too, since Node lets it grow far before its first full collection (both bounds
 * held the image bench's peak RSS lower at the same CPU time), with room for the largest web file
 * the normaliser decodes (32 MiB, a string of up to twice that).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, maxOldGenerationSizeMb: 256 };
/** Bytes out (sent, not answered) past which the reader waits. */
const MAX_OUT_BYTES = 8 * MiB;

interface Waiter {
  resolve: (o: ScanOutcome) => void;
  reject: (err: Error) => void;
}

interface Batch {
  id: number;
  buffer: ArrayBuffer;
  /** Bytes of the buffer taken by the files so far. */
  used: number;
  /** FILE_FIELDS numbers per file (scan-worker.ts); one waiter per file. */
  meta: number[];
  waiters: Waiter[];
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  busy?: Batch;
  /** Layer blobs the worker is reading. */
  layers: Map<number, LayerTask>;
}

/**
 * A large file's buffer, rounded up to a power of two so that later files of about its size fit in
 * it. Memory the file does not fill is never touched, so it costs no resident memory.
 */
function roundUp(size: number): number {
  return Math.max(2 * BATCH_BYTES, 2 ** Math.ceil(Math.log2(size)));
}

/**
 * Running from dist/ the worker is plain JavaScript. Running from src/ (vitest, tsx) it is
 * TypeScript, loaded through tsx's API from a small bootstrap, since a worker does not inherit the
 * parent's loader hooks (as engine/pool.ts does).
 */
function newWorker(): Worker {
  const resourceLimits = WORKER_LIMITS;
  // Inside the single executable there is no file to start: the embedded bundle is evaluated.
  const embedded = embeddedWorker('image-scan-worker');
  if (embedded !== undefined) return new Worker(embedded, { eval: true, resourceLimits });
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./scan-worker.js', import.meta.url), { resourceLimits });
  const url = new URL('./scan-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)}))`;
  return new Worker(boot, { eval: true, resourceLimits });
}

/**
 * Workers started before the rules are compiled, for an image known to be large: a worker's start
 * (Node's own, then loading its modules) takes a few hundred milliseconds, spent beside the
 * compilation instead of after it. They wait for their rules (a `rules` message); the pool adopts
 * them, or `close` stops them when there will be no pool.
 */
export class EarlyWorkers {
  private readonly workers: { worker: Worker; dead: boolean }[] = [];

  // Starts `size` workers (fewer when a thread cannot be had).
  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      try {
        const w = { worker: newWorker(), dead: false };
        // Until the pool adopts it, a worker that fails is only marked (and then replaced).
        const died = (): void => void (w.dead = true);
        w.worker.once('error', died).once('exit', died);
        this.workers.push(w);
      } catch {
        // the pool starts its own
      }
    }
  }

  /** A started worker that has not failed, or undefined. */
  take(): Worker | undefined {
    for (let w = this.workers.shift(); w; w = this.workers.shift()) {
      if (!w.dead) return w.worker;
      void w.worker.terminate().catch(() => undefined);
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate().catch(() => undefined)));
  }
}

/** One file's outcome on the main thread: the fallback when no worker can take the batch. */
const scanHere = scanWithDigest;

/** A layer blob a worker reads whole (readLayer). */
interface LayerTask {
  id: number;
  job: LayerJob;
  resolve: (scan: LayerScan) => void;
  reject: (err: Error) => void;
}

export class ImageScanPool implements ContentScanner {
  private readonly slots: Slot[] = [];
  /** Batches sent, waiting for a worker. */
  private readonly queue: Batch[] = [];
  /** Batch buffers back from the workers, for the next batches. */
  private readonly spare: ArrayBuffer[] = [];
  /** Buffers of files larger than a batch, back from the workers, for the next large files. */
  private readonly bigSpare: ArrayBuffer[] = [];
  /** Rooms for large files handed out: the file travels in its room, not copied. */
  private readonly lent = new WeakSet<ArrayBufferLike>();
  private current: Batch | undefined;
  private nextId = 0;
  /** Batches and bytes sent and not yet answered. */
  private out = 0;
  private outBytes = 0;
  /** Readers waiting in `ready`. */
  private wake: (() => void)[] = [];
  private closed = false;
  /** Bytes sent so far: the workers start once an image turns out to be worth them. */
  private sentBytes = 0;
  private started = false;
  /**
   * The image is known to need the workers (start, readLayer): batches wait for them while they
   * start, as the main thread scanning meanwhile would build the scan's per-thread tables (the web
   * normaliser's word rules, the engine's first scans) a third time for a few megabytes.
   */
  private waitForWorkers = false;
  /** Layer blobs waiting for a worker. */
  private readonly layerQueue: LayerTask[] = [];

  /**
   * `size` workers with `scanner`'s rules, started once WARM_UP_BYTES were sent: a small image is
   * scanned on the main thread, as are the batches sent while the workers start.
   */
  constructor(
    private readonly scanner: YaraScanner,
    private readonly size: number,
    private readonly options: ScanOptions,
    /** Workers started already (they get their rules from the pool). */
    private readonly early?: EarlyWorkers,
  ) {}

  /** Starts the workers now: the image is known to be large. */
  start(): void {
    this.waitForWorkers = true;
    this.launch();
  }

  /** Starts the workers (once). */
  private launch(): void {
    if (this.started) return;
    this.started = true;
    const scanner = this.scanner;
    const init: ImageWorkerInit = {
      blob: new Uint8Array(scanner.serialize()),
      hash: scanner.ruleSetHash,
      files: [...scanner.files],
      options: this.options,
    };
    for (let i = 0; i < this.size; i++) {
      let slot: Slot;
      try {
        slot = { worker: this.early?.take() ?? newWorker(), ready: false, dead: false, layers: new Map() };
      } catch {
        continue;
      }
      this.slots.push(slot);
      const rules: ToImageWorker = { type: 'rules', init };
      slot.worker.postMessage(rules);
      slot.worker.on('message', (m: FromImageWorker) => this.onMessage(slot, m));
      slot.worker.on('error', (err) => this.onDeath(slot, err));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.onDeath(slot, new Error(`image scan worker exited with code ${code}`));
      });
    }
  }

  /** Resolves once every worker started is ready (or dead): how many are ready. */
  async workersReady(): Promise<number> {
    while (this.slots.some((s) => !s.ready && !s.dead))
      await new Promise<void>((resolve) => this.wake.push(resolve));
    return this.slots.filter((s) => s.ready && !s.dead).length;
  }

  room(size: number): Buffer {
    if (size > BATCH_BYTES) {
      // The spares are kept smallest first: the first that fits wastes least.
      const at = this.bigSpare.findIndex((b) => b.byteLength >= size);
      const buffer =
        at >= 0 ? (this.bigSpare.splice(at, 1)[0] as ArrayBuffer) : new ArrayBuffer(roundUp(size));
      this.lent.add(buffer);
      return Buffer.from(buffer, 0, size);
    }
    const c = this.current;
    if (c && c.used + size <= c.buffer.byteLength && c.waiters.length < BATCH_FILES)
      return Buffer.from(c.buffer, c.used, size);
    this.flush();
    const batch = this.newBatch(this.spare.pop() ?? new ArrayBuffer(BATCH_BYTES));
    this.current = batch;
    return Buffer.from(batch.buffer, 0, size);
  }

  scan(data: Buffer, path: string, want?: ScanWant): Promise<ScanOutcome> {
    const sha256 = want?.sha256 === true;
    const c = this.current;
    let batch: Batch;
    if (c && data.buffer === c.buffer && data.byteOffset === c.used) batch = c;
    else if (data.length > BATCH_BYTES) {
      // A file of its own: its room is its buffer (or a copy, for bytes from elsewhere).
      if (data.byteOffset === 0 && data.buffer instanceof ArrayBuffer && this.lent.has(data.buffer)) {
        this.lent.delete(data.buffer);
        batch = this.newBatch(data.buffer);
      } else {
        const room = this.room(data.length);
        data.copy(room);
        this.lent.delete(room.buffer);
        batch = this.newBatch(room.buffer as ArrayBuffer);
      }
    } else {
      // Bytes that were not read into the room: copied into it.
      const room = this.room(data.length);
      data.copy(room);
      batch = this.current as Batch;
    }
    const promise = new Promise<ScanOutcome>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    batch.meta.push(batch.used, data.length, (sha256 ? WANT_SHA256 : 0) | webFlag(path));
    batch.used += data.length;
    if (batch !== this.current) this.send(batch);
    else if (batch.used >= batch.buffer.byteLength || batch.waiters.length >= BATCH_FILES) this.flush();
    return promise;
  }

  /**
   * A whole layer blob read by a worker (the reader leaps over it): rejected when no worker can
   * take it, and the reader reads it itself.
   */
  readLayer(job: LayerJob): Promise<LayerScan> {
    this.start();
    if (this.slots.every((s) => s.dead)) return Promise.reject(new Error('no image scan worker is running'));
    return new Promise<LayerScan>((resolve, reject) => {
      this.layerQueue.push({ id: this.nextId++, job, resolve, reject });
      this.pump();
    });
  }

  ready(): Promise<void> | undefined {
    if (!this.full()) return undefined;
    return (async () => {
      while (this.full()) await new Promise<void>((resolve) => this.wake.push(resolve));
    })();
  }

  flush(): void {
    const c = this.current;
    this.current = undefined;
    if (c && c.waiters.length > 0) this.send(c);
    else if (c) this.recycle(c.buffer);
  }

  /** Stops the workers; every file sent has been answered by then (the reader flushes and waits). */
  async close(): Promise<void> {
    this.closed = true;
    this.started = true;
    await this.early?.close();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private newBatch(buffer: ArrayBuffer): Batch {
    return { id: this.nextId++, buffer, used: 0, meta: [], waiters: [] };
  }

  /** Too much out: the reader waits (one batch may always be out, however large). */
  private full(): boolean {
    const workers = Math.max(1, this.slots.filter((s) => !s.dead).length);
    return this.out > 0 && (this.out >= 2 * workers || this.outBytes >= MAX_OUT_BYTES);
  }

  private send(batch: Batch): void {
    this.out++;
    this.outBytes += batch.used;
    this.sentBytes += batch.used;
    this.queue.push(batch);
    // A small image turned out larger: the main thread goes on scanning until the workers are up.
    if (!this.started && this.sentBytes >= WARM_UP_BYTES) this.launch();
    this.pump();
  }

  private pump(): void {
    const live = this.slots.filter((s) => !s.dead);
    if (live.length === 0)
      for (const t of this.layerQueue.splice(0)) t.reject(new Error('no image scan worker is running'));
    this.pumpLayers(live.filter((s) => s.ready));
    if (!live.some((s) => s.ready)) {
      // Workers starting for a large image: the batches wait (the reader too, see full()).
      if (live.length > 0 && this.waitForWorkers) return;
      // No worker yet (or none left): the main thread scans what waits.
      for (let b = this.queue.shift(); b; b = this.queue.shift()) this.scanHere(b);
      return;
    }
    for (const slot of live) {
      if (!slot.ready || slot.busy) continue;
      const batch = this.queue.shift();
      if (!batch) return;
      slot.busy = batch;
      const msg: ToImageWorker = {
        type: 'batch',
        id: batch.id,
        buffer: batch.buffer,
        files: Uint32Array.from(batch.meta),
      };
      slot.worker.postMessage(msg, [batch.buffer]);
    }
  }

  /**
   * Layer blobs to the ready workers, one each at a time, the largest waiting first (the workers
   * then end closer together); the others wait their turn.
   */
  private pumpLayers(ready: Slot[]): void {
    for (;;) {
      const slot = ready.find((s) => s.layers.size === 0);
      if (!slot || this.layerQueue.length === 0) return;
      let at = 0;
      this.layerQueue.forEach((t, i) => {
        if (t.job.size > (this.layerQueue[at] as LayerTask).job.size) at = i;
      });
      const task = this.layerQueue.splice(at, 1)[0] as LayerTask;
      slot.layers.set(task.id, task);
      const msg: ToImageWorker = { type: 'layer', id: task.id, job: task.job };
      slot.worker.postMessage(msg);
    }
  }

  private scanHere(batch: Batch): void {
    const m = batch.meta;
    batch.waiters.forEach((w, i) => {
      const at = i * FILE_FIELDS;
      const data = Buffer.from(batch.buffer, m[at], m[at + 1]);
      w.resolve(scanHere(this.scanner, data, m[at + 2] as number));
    });
    this.settled(batch);
    this.recycle(batch.buffer);
  }

  private onMessage(slot: Slot, m: FromImageWorker): void {
    if (m.type === 'ready') {
      slot.ready = true;
      this.pump();
      for (const wake of this.wake.splice(0)) wake();
      return;
    }
    if (m.type === 'fatal') {
      this.onDeath(slot, new Error(m.message));
      return;
    }
    if (m.type === 'layer') {
      const task = slot.layers.get(m.id);
      slot.layers.delete(m.id);
      if (task && m.scan) task.resolve(m.scan);
      else task?.reject(new Error(m.error ?? 'the layer was not read'));
      this.pump();
      return;
    }
    const batch = slot.busy;
    slot.busy = undefined;
    if (batch && batch.id === m.id) {
      this.answer(batch, m);
      this.recycle(m.buffer);
    }
    this.pump();
  }

  /** Settles a batch's promises: a file neither hashed nor listed found nothing worth saying. */
  private answer(batch: Batch, m: Extract<FromImageWorker, { type: 'batch' }>): void {
    const outcomes = new Map(m.outcomes);
    const digests = Buffer.from(m.digests.buffer, m.digests.byteOffset, m.digests.byteLength);
    let k = 0;
    batch.waiters.forEach((w, i) => {
      let sha256: string | undefined;
      if (m.hashed[k] === i) sha256 = digests.toString('hex', 32 * k, 32 * ++k);
      const o = outcomes.get(i) ?? { matches: [] };
      w.resolve(sha256 === undefined ? o : { ...o, sha256 });
    });
    this.settled(batch);
  }

  private settled(batch: Batch): void {
    this.out--;
    this.outBytes -= batch.used;
    for (const wake of this.wake.splice(0)) wake();
  }

  /**
   * Keeps a buffer back for the next batch (as many as can be out at once, so the batch buffers
   * are allocated once), or for the next large files: a buffer allocated per batch or per large
   * file is garbage the collector finds late, which showed in the peak RSS.
   */
  private recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === BATCH_BYTES) {
      if (this.spare.length < 2 * this.size + 2) this.spare.push(buffer);
      return;
    }
    // One of the largest files (up to the 64 MiB scan limit) is not kept: it would stay resident.
    if (buffer.byteLength > MAX_SPARE_BYTES) return;
    this.bigSpare.push(buffer);
    this.bigSpare.sort((a, b) => a.byteLength - b.byteLength);
    let kept = this.bigSpare.reduce((n, b) => n + b.byteLength, 0);
    // Past the budget the smallest go first: a large buffer serves small files too.
    while (kept > BIG_SPARE_BYTES) kept -= (this.bigSpare.shift() as ArrayBuffer).byteLength;
  }

  /** A worker that failed: the batch it held is lost (its files get a scan-error), the rest go on. */
  private onDeath(slot: Slot, err: Error): void {
    if (slot.dead) return;
    slot.dead = true;
    const batch = slot.busy;
    slot.busy = undefined;
    if (batch) {
      for (const w of batch.waiters) w.reject(err);
      this.settled(batch);
    }
    // The reader reads these layers itself.
    for (const t of slot.layers.values()) t.reject(err);
    slot.layers.clear();
    void slot.worker.terminate().catch(() => undefined);
    this.pump();
    for (const wake of this.wake.splice(0)) wake();
  }
}
