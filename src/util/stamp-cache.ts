// A small cache of facts derived from files, keyed by each file's stamp (device, inode, size, mtime,
// ctime), kept in the derived-cache directory (util/derived-cache.ts). The content scan's cache
// trusts the same stamp: any write to a file moves its ctime, which user space cannot set back.
// Used for what a scan would otherwise recompute from unchanged files every time (the sha256 and
// libc overrides of unpackaged mapped libraries, collect/linux/preload.ts). Entries not looked up
// in a scan are dropped when it saves, so the file holds what the host uses now. Deflated, as the
// parsed indicator cache is (iocs/load.ts): the paths it holds (a cron file named after a miner)
// never lie in clear where a content scan would match them, for a fraction of a millisecond (the
// XOR mask of util/mask.ts cost ~20 ms here in a fresh process, building its key stream).
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { derivedCacheDir } from './derived-cache.js';

/** The stamp a cached fact is keyed by; two files, or one file before and after a write, differ. */
export function fileStamp(st: Pick<Stats, 'dev' | 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

export class StampCache<T> {
  private readonly old: Map<string, T>;
  private readonly now = new Map<string, T>();
  private changed = false;

  private constructor(
    private readonly file: string,
    private readonly format: number,
    valid: (v: unknown) => v is T,
  ) {
    this.old = readCache(file, format, valid);
  }

  /**
   * The cache `name` of target `root`, in the format `format` (a saved file of another is ignored);
   * undefined when no derived cache is kept (--no-cache, tests).
   */
  static open<T>(
    name: string,
    root: string,
    format: number,
    valid: (v: unknown) => v is T,
  ): StampCache<T> | undefined {
    const dir = derivedCacheDir();
    if (dir === undefined) return undefined;
    const key = createHash('sha256').update(root).digest('hex').slice(0, 16);
    return new StampCache<T>(path.join(dir, `${name}-${key}.bin`), format, valid);
  }

  /** The fact saved under `path` at `stamp`, kept for the next scan. */
  get(file: string, stamp: string): T | undefined {
    const key = `${stamp}\0${file}`;
    const v = this.now.get(key) ?? this.old.get(key);
    if (v !== undefined) this.now.set(key, v);
    return v;
  }

  set(file: string, stamp: string, value: T): void {
    this.now.set(`${stamp}\0${file}`, value);
    this.changed = true;
  }

  /** Writes the cache when this scan changed it; a cache that cannot be written is no error. */
  save(): void {
    if (!this.changed && this.now.size === this.old.size) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(tmp, deflateRawSync(serialize({ format: this.format, entries: [...this.now] })), {
        mode: 0o600,
      });
      renameSync(tmp, this.file);
    } catch {
      rmSync(tmp, { force: true });
    }
  }
}

function readCache<T>(file: string, format: number, valid: (v: unknown) => v is T): Map<string, T> {
  const out = new Map<string, T>();
  let data: { format?: unknown; entries?: unknown };
  try {
    data = deserialize(inflateRawSync(readFileSync(file))) as typeof data;
  } catch {
    return out;
  }
  if (data?.format !== format || !Array.isArray(data.entries)) return out;
  for (const e of data.entries as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !valid(e[1])) return new Map();
    out.set(e[0], e[1]);
  }
  return out;
}
