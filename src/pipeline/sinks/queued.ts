// A sink that delivers through the on-disk queue: send() only enqueues; one worker delivers the
// oldest record, removes it once the receiver took it, and on failure waits (exponential backoff)
// and tries the same record again, so order holds and nothing is sent twice by us. A record the
// receiver rejects as malformed (HTTP 4xx) is dropped with a note rather than blocking the queue.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { DiskQueue } from './queue.js';
import type { QueueBounds } from './uri.js';
import {
  errorText,
  redact,
  type AlertEnvelope,
  type Sink,
  type SinkContext,
  type SinkHealth,
} from './types.js';

/** Thrown by a transport for a record the receiver will never take (it is dropped, not retried). */
export class RejectedError extends Error {}

export interface Transport {
  /** Resolves when the receiver took the record; rejects otherwise. */
  deliver(record: string): Promise<void>;
  close(): void;
}

/** The queue directory of one sink URI: the same URI finds its queue again after a restart. */
export function queueDirOf(ctx: SinkContext, uri: string): string {
  return path.join(ctx.queueDir, createHash('sha256').update(uri).digest('hex').slice(0, 16));
}

export class QueuedSink implements Sink {
  private readonly queue: DiskQueue;
  private sent = 0;
  private failed = 0;
  private error: string | undefined;
  private running: Promise<void> | undefined;
  private closing = false;
  private lastDropped = 0;

  readonly name: string;

  constructor(
    uri: string,
    private readonly ctx: SinkContext,
    private readonly bounds: QueueBounds,
    private readonly format: (a: AlertEnvelope) => string,
    private readonly transport: Transport,
  ) {
    this.name = redact(uri);
    const name = this.name;
    this.queue = new DiskQueue(queueDirOf(ctx, uri), {
      maxCount: bounds.maxCount,
      maxBytes: bounds.maxBytes,
    });
    // What a previous run queued and could not deliver goes first.
    if (this.queue.length > 0) {
      ctx.note(`${name}: ${this.queue.length} queued alerts from before, delivering`);
      this.kick();
    }
  }

  async send(alert: AlertEnvelope): Promise<void> {
    try {
      this.queue.push(this.format(alert));
    } catch (err) {
      this.failed++;
      this.error = `queue: ${errorText(err)}`;
      this.ctx.note(`${this.name}: cannot queue an alert: ${errorText(err)}`);
      return;
    }
    if (this.queue.dropped > this.lastDropped) {
      this.ctx.note(
        `${this.name}: queue full, ${this.queue.dropped - this.lastDropped} oldest alerts dropped`,
      );
      this.lastDropped = this.queue.dropped;
    }
    this.kick();
  }

  private kick(): void {
    this.running ??= this.work().finally(() => {
      this.running = undefined;
      // A record queued between the worker's last look and its end is not left waiting.
      if (this.queue.length > 0 && !this.closing && !this.error) this.kick();
    });
  }

  private async work(): Promise<void> {
    let backoff = this.bounds.backoffMs;
    for (let item = this.queue.peek(); item && !this.closing; item = this.queue.peek()) {
      try {
        await this.transport.deliver(item.record);
        this.queue.remove(item.name);
        this.sent++;
        if (this.error) this.ctx.note(`${this.name}: delivering again (${this.queue.length} queued)`);
        this.error = undefined;
        backoff = this.bounds.backoffMs;
      } catch (err) {
        this.failed++;
        const text = errorText(err);
        if (err instanceof RejectedError) {
          this.queue.remove(item.name);
          this.ctx.note(`${this.name}: an alert was rejected and dropped: ${text}`);
          continue;
        }
        if (text !== this.error)
          this.ctx.note(
            `${this.name}: ${text}; ${this.queue.length} queued, retrying in ${Math.round(backoff / 1000)} s`,
          );
        this.error = text;
        await this.pause(backoff);
        backoff = Math.min(backoff * 2, this.bounds.backoffMaxMs);
      }
    }
  }

  /** Waits out the backoff; a new alert does not cut it short (the receiver is still down). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.stopPause = done;
    });
  }

  private stopPause: (() => void) | undefined;

  health(): SinkHealth {
    return {
      name: this.name,
      sent: this.sent,
      failed: this.failed,
      queued: this.queue.length,
      dropped: this.queue.dropped,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  async close(ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.running && this.queue.length > 0 && !this.error && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    this.closing = true;
    this.stopPause?.();
    await this.running;
    this.transport.close();
  }
}
