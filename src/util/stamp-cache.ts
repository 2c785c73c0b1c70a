// A small cache of facts derived from files, keyed by each file's stamp (device, inode, size, mtime,
// ctime), kept in the derived-cache directory (util/derived-cache.ts). The content scan's cache
// trusts the same stamp: any write to a file moves its ctime, which user space cannot set back.
// Used for what a scan would otherwise recompute from unchanged files every time (the sha256 and
// libc overrides of unpackaged mapped libraries, collect/linux/preload.ts). An entry not looked up
// for a day, or whose file now has another stamp, is dropped when a scan saves: dropping every entry
// one scan did not look up made the facts of a library mapped only now and then (a test runner's
// 20 MB addon, a cron job's Python extension) be read and hashed again each time it came back, over
// 100 ms of a scan's CPU (issue 17). Deflated, as the
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

/** An entry unused for this long is dropped; one used is saved again before half of it has passed. */
const KEEP_UNUSED_MS = 24 * 60 * 60 * 1000;
/** At most this many entries are kept, the most recently used first. */
const MAX_ENTRIES = 20_000;

interface Saved<T> {
  value: T;
  /** When a scan last looked it up (ms since the epoch). */
  used: number;
}

/** The file part of an entry's key (`stamp\0file`). */
const fileOf = (key: string): string => key.slice(key.indexOf('\0') + 1);

export class StampCache<T> {
  private readonly old: Map<string, Saved<T>>;
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
    const v = this.now.get(key) ?? this.old.get(key)?.value;
    if (v !== undefined) this.now.set(key, v);
    return v;
  }

  set(file: string, stamp: string, value: T): void {
    this.now.set(`${stamp}\0${file}`, value);
    this.changed = true;
  }

  /**
   * Writes the cache when this scan changed it, or some entry is to be dropped (unused for a day, or
   * its file has another stamp now) or marked used again; a cache that cannot be written is no error.
   */
  save(): void {
    const at = Date.now();
    const entries = this.entriesToKeep(at);
    if (!this.changed && !this.stale(at, entries.length)) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileSync(tmp, deflateRawSync(serialize({ format: this.format, entries })), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  /** This scan's entries, then the saved ones still kept, as [key, value, used] rows. */
  private entriesToKeep(at: number): [string, T, number][] {
    const rows: [string, T, number][] = [...this.now].map(([k, v]) => [k, v, at]);
    const files = new Set([...this.now.keys()].map(fileOf));
    const kept = [...this.old]
      .filter(([k, e]) => !this.now.has(k) && !files.has(fileOf(k)) && at - e.used < KEEP_UNUSED_MS)
      .sort((a, b) => b[1].used - a[1].used);
    for (const [k, e] of kept) rows.push([k, e.value, e.used]);
    return rows.slice(0, MAX_ENTRIES);
  }

  /** Whether the saved file holds entries to drop, or entries this scan used that are half-way to expiry. */
  private stale(at: number, keeping: number): boolean {
    if (keeping !== this.old.size) return true;
    for (const k of this.now.keys()) {
      const e = this.old.get(k);
      if (!e || at - e.used > KEEP_UNUSED_MS / 2) return true;
    }
    return false;
  }
}

function readCache<T>(file: string, format: number, valid: (v: unknown) => v is T): Map<string, Saved<T>> {
  const out = new Map<string, Saved<T>>();
  let data: { format?: unknown; entries?: unknown };
  try {
    data = deserialize(inflateRawSync(readFileSync(file))) as typeof data;
  } catch {
    return out;
  }
  if (data?.format !== format || !Array.isArray(data.entries)) return out;
  const at = Date.now();
  for (const e of data.entries as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !valid(e[1])) return new Map();
    // A file written before entries had a time of use: as if used now.
    out.set(e[0], { value: e[1], used: typeof e[2] === 'number' && Number.isFinite(e[2]) ? e[2] : at });
  }
  return out;
}
