// The sha256 of large layer blobs, computed on a thread of its own: hashing a gigabyte costs the
// main thread, which reads and parses the layers and feeds the scan workers, the better part of a
// second. The blob's bytes are copied into shared buffers of STAGE_BYTES (a copy costs a tenth of
// the hash) and handed over in order; the thread answers each stage, so at most MAX_OUT_BYTES wait.
// Small blobs, and any blob when the thread cannot be had, are hashed where they are read.
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** A blob at least this large is hashed off the main thread (when its size is known up front). */
export const OFF_THREAD_BYTES = 8 * 1024 * 1024;
const STAGE_BYTES = 1024 * 1024;
const MAX_OUT_BYTES = 4 * 1024 * 1024;

/**
 * The thread's heap: it holds a hash per blob and one message at a time, so Node's default young
 * generation (sized for a server, tens of MiB) would only be resident memory nobody uses.
 */
const HASH_THREAD_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };

/** The thread's code: plain JavaScript, so it runs the same from dist/ and from the sources. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  let h = hashes.get(m.id);
  if (!h) hashes.set(m.id, (h = createHash('sha256')));
  if (m.len > 0) h.update(new Uint8Array(m.sab, 0, m.len));
  if (m.end) {
    hashes.delete(m.id);
    parentPort.postMessage({ id: m.id, len: m.len, sab: m.sab, hex: h.digest('hex') });
  } else parentPort.postMessage({ id: m.id, len: m.len, sab: m.sab });
});
`;

/** The running sha256 of one blob. */
export interface BlobHash {
  /** Adds the next bytes; a promise when the reader should wait before giving more. */
  update(chunk: Buffer): Promise<void> | undefined;
  /** `sha256:<hex>` of everything given. */
  digest(): Promise<string>;
}

class LocalHash implements BlobHash {
  private readonly hash: Hash = createHash('sha256');

  update(chunk: Buffer): undefined {
    this.hash.update(chunk);
    return undefined;
  }

  digest(): Promise<string> {
    return Promise.resolve(`sha256:${this.hash.digest('hex')}`);
  }
}

interface Answer {
  id: number;
  len: number;
  /** The stage, hashed: free for the next bytes. */
  sab: SharedArrayBuffer;
  hex?: string;
}

/** A hash of a blob's bytes on the thread that reads them. */
export function localHash(): BlobHash {
  return new LocalHash();
}

/** The hashing thread of one read of an image, started on the first large blob. */
export class HashThread {
  private worker: Worker | undefined;
  private failed: Error | undefined;
  private nextId = 0;
  private outBytes = 0;
  private readonly digests = new Map<
    number,
    { resolve: (hex: string) => void; reject: (e: Error) => void }
  >();
  private waiters: (() => void)[] = [];
  /** Stages the thread is done with (shared memory is freed only once both threads collect it). */
  private readonly spare: SharedArrayBuffer[] = [];

  /** A hash for a blob of `size` bytes (when known): off the thread when it is large. */
  open(size: number | undefined): BlobHash {
    if (size === undefined || size < OFF_THREAD_BYTES) return new LocalHash();
    const worker = this.start();
    return worker ? new ThreadHash(this, this.nextId++) : new LocalHash();
  }

  /** Stops the thread; every digest asked for has been answered by then. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker | undefined {
    if (this.failed) return undefined;
    if (this.worker) return this.worker;
    try {
      const w = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: HASH_THREAD_LIMITS });
      w.on('message', (m: Answer) => this.answered(m));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (this.worker === w) this.fail(new Error(`hash thread exited with code ${code}`));
      });
      this.worker = w;
      return w;
    } catch (err) {
      this.failed = err instanceof Error ? err : new Error(String(err));
      return undefined;
    }
  }

  /** A stage to fill. */
  stage(): SharedArrayBuffer {
    return this.spare.pop() ?? new SharedArrayBuffer(STAGE_BYTES);
  }

  /** Hands a stage over; a promise while too much waits to be hashed. */
  post(id: number, sab: SharedArrayBuffer, len: number, end: boolean): Promise<void> | undefined {
    if (this.failed || !this.worker) return undefined;
    this.outBytes += len;
    this.worker.postMessage({ id, sab, len, end });
    if (this.outBytes < MAX_OUT_BYTES) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The digest of blob `id`, once its last stage is posted. */
  digestOf(id: number): Promise<string> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.digests.set(id, { resolve, reject }));
  }

  private answered(m: Answer): void {
    this.outBytes -= m.len;
    if (this.spare.length < MAX_OUT_BYTES / STAGE_BYTES + 1) this.spare.push(m.sab);
    if (m.hex !== undefined) {
      this.digests.get(m.id)?.resolve(`sha256:${m.hex}`);
      this.digests.delete(m.id);
    }
    if (this.outBytes < MAX_OUT_BYTES) for (const wake of this.waiters.splice(0)) wake();
  }

  private fail(err: Error): void {
    this.failed ??= err;
    this.worker = undefined;
    for (const d of this.digests.values()) d.reject(err);
    this.digests.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** One blob's bytes, staged in shared buffers for the hashing thread. */
class ThreadHash implements BlobHash {
  private stage: SharedArrayBuffer;
  private view: Buffer;
  private used = 0;

  // Posts to `thread` under blob id `id`.
  constructor(
    private readonly thread: HashThread,
    private readonly id: number,
  ) {
    this.stage = thread.stage();
    this.view = Buffer.from(this.stage);
  }

  update(chunk: Buffer): Promise<void> | undefined {
    let wait: Promise<void> | undefined;
    for (let at = 0; at < chunk.length;) {
      const n = Math.min(chunk.length - at, STAGE_BYTES - this.used);
      chunk.copy(this.view, this.used, at, at + n);
      this.used += n;
      at += n;
      if (this.used === STAGE_BYTES) {
        wait = this.thread.post(this.id, this.stage, this.used, false) ?? wait;
        this.stage = this.thread.stage();
        this.view = Buffer.from(this.stage);
        this.used = 0;
      }
    }
    return wait;
  }

  digest(): Promise<string> {
    const digest = this.thread.digestOf(this.id);
    void this.thread.post(this.id, this.stage, this.used, true);
    return digest;
  }
}
