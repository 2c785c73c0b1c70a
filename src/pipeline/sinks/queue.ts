// A bounded on-disk queue of alert records, one file each, so alerts outlive a receiver that is down
// and a watcher that is killed: a record is written (temp file, then rename) before the send is
// tried and removed only after the receiver took it. Beyond its bounds the oldest records go first,
// counted. Synchronous on purpose: alerts are rare and small, and order is then simply file order.
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

export interface QueueLimits {
  maxCount: number;
  maxBytes: number;
}

const NAME = /^(\d{16})\.rec$/;

export class DiskQueue {
  private readonly names: string[] = [];
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  private next = 0;
  /** Records dropped by the bounds since this process started. */
  dropped = 0;

  constructor(
    readonly dir: string,
    private readonly limits: QueueLimits,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir).sort()) {
      const m = NAME.exec(name);
      if (!m) continue;
      let size = 0;
      try {
        size = statSync(path.join(dir, name)).size;
      } catch {
        continue;
      }
      this.names.push(name);
      this.sizes.set(name, size);
      this.bytes += size;
      this.next = Math.max(this.next, Number(m[1]) + 1);
    }
  }

  get length(): number {
    return this.names.length;
  }

  push(record: string): void {
    const name = `${String(this.next++).padStart(16, '0')}.rec`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    writeFileSync(tmp, record, { mode: 0o600 });
    renameSync(tmp, path.join(this.dir, name));
    const size = Buffer.byteLength(record);
    this.names.push(name);
    this.sizes.set(name, size);
    this.bytes += size;
    // The newest record always stays: it is the one the user has not seen anywhere yet.
    while (
      this.names.length > 1 &&
      (this.names.length > this.limits.maxCount || this.bytes > this.limits.maxBytes)
    ) {
      this.remove(this.names[0]!);
      this.dropped++;
    }
  }

  /** The oldest record, or undefined when empty; a record that cannot be read is dropped. */
  peek(): { name: string; record: string } | undefined {
    while (this.names.length > 0) {
      const name = this.names[0]!;
      try {
        return { name, record: readFileSync(path.join(this.dir, name), 'utf8') };
      } catch {
        this.remove(name);
        this.dropped++;
      }
    }
    return undefined;
  }

  remove(name: string): void {
    const i = this.names.indexOf(name);
    if (i < 0) return;
    this.names.splice(i, 1);
    this.bytes -= this.sizes.get(name) ?? 0;
    this.sizes.delete(name);
    try {
      unlinkSync(path.join(this.dir, name));
    } catch {
      // already gone: the same outcome
    }
  }
}
