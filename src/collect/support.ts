// Shared plumbing for collectors: error bookkeeping for collection records and the /etc/passwd
// reader. Error codes and bounded concurrency are util/; they are re-exported here for the collectors.
// The target itself is read through its door, `ctx.fs` (target/fs.ts), never by path here.
import type { CollectionError, CollectionRecord, Section } from '../snapshot/schema.js';
import { errnoCode, errorMessage, isGone } from '../util/errors.js';

export { errnoCode, errorMessage, isGone };
export { mapLimit } from '../util/concurrency.js';
export { parsePasswd } from './passwd.js';

/** A hostile or broken tree can produce thousands of errors; the snapshot keeps the first few. */
export const MAX_RECORDED_ERRORS = 20;

/** Collects a collector's errors with a cap, then turns them into a `collection[]` record. */
export class CollectorLog {
  readonly errors: CollectionError[] = [];
  dropped = 0;
  private readonly started = performance.now();

  constructor(
    readonly collector: string,
    readonly sections: Section[],
  ) {}

  add(filePath: string | undefined, err: unknown): void {
    if (this.errors.length >= MAX_RECORDED_ERRORS) {
      this.dropped++;
      return;
    }
    const entry: CollectionError = { message: errorMessage(err) };
    if (filePath !== undefined) entry.path = filePath;
    const code = errnoCode(err);
    if (code !== undefined) entry.code = code;
    this.errors.push(entry);
  }

  get errorCount(): number {
    return this.errors.length + this.dropped;
  }

  record(status: CollectionRecord['status'], note?: string): CollectionRecord {
    const rec: CollectionRecord = {
      collector: this.collector,
      sections: this.sections,
      status,
      durationMs: Math.max(0, Math.round((performance.now() - this.started) * 10) / 10),
      errors: this.errors,
    };
    if (this.dropped > 0) rec.droppedErrors = this.dropped;
    if (note !== undefined && note !== '') rec.note = note;
    return rec;
  }
}
