// The scan cache's in-memory index: for each scanned file (device, inode) its size, mtime and ctime
// when scanned and the encoded result (see cache.ts: empty for "nothing found", the common case).
// Columns of numbers, an open-addressing hash table and the few non-empty results, stored whole as
// one blob: a warm rescan reads 22,000 entries in a millisecond, where reading them as SQLite rows
// and building maps took 50-80 ms, as long as the walk itself.
/** What identifies a file's state in the scan cache: a change to any of these is a new file. */
export interface CacheKey {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const MAGIC = 0x5849484d; // "MHIX"
/** The first four bytes of the cache's index file (cache.ts), which holds this index; the walker knows caches by it. */
export const INDEX_FILE_MAGIC = 0x4649484d; // "MHIF"
const VERSION = 5;
const HEADER = 16;
const EMPTY = Buffer.alloc(0);

/**
 * The index's arrays, read in place by the walker's shortcut (native/dirstat.c probes the same
 * table with the same hash). A view stays true to the files it was taken for even after set():
 * every entry carries the file state it was recorded for.
 */
export interface IndexArrays {
  /** Slot + 1 of the entry hashed there, 0 when free; a power of two long. */
  readonly table: Int32Array;
  readonly dev: Float64Array;
  readonly ino: Float64Array;
  readonly size: Float64Array;
  readonly mtime: Float64Array;
  readonly ctime: Float64Array;
  /** 1 when the result is not empty, 0 for "nothing found". */
  readonly found: Uint8Array;
  /**
   * Set to 1 for each entry this scan met (looked up in its state, vouched for, or stored): the
   * walker's shortcut and native/dirstat.c mark it in place. Not stored; `day` is.
   */
  readonly used: Uint8Array;
  /** The day (since 1970, UTC) a scan last met the entry; entries unmet for long are dropped. */
  readonly day: Uint16Array;
  /** Entries in use (the columns may be longer). */
  readonly count: number;
}

type Arrays = { -readonly [K in keyof IndexArrays]: IndexArrays[K] };

/** The slot of (dev, ino) in `a`, or -1. */
export function findIn(a: IndexArrays, dev: number, ino: number): number {
  const mask = a.table.length - 1;
  // Bounded, so a damaged stored table cannot hang a scan; a wrong slot cannot give a wrong
  // answer either: the slot's own device and inode must match.
  for (let probes = 0, h = indexHash(dev, ino) & mask; probes <= mask; probes++, h = (h + 1) & mask) {
    const s = a.table[h] as number;
    if (s === 0) return -1;
    if (s <= a.count && a.ino[s - 1] === ino && a.dev[s - 1] === dev) return s - 1;
  }
  return -1;
}

/** True when (dev, ino) is in `a` in exactly this state and nothing was found; the entry is then marked used. */
export function cleanAndUnchangedIn(
  a: IndexArrays,
  dev: number,
  ino: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
): boolean {
  const i = findIn(a, dev, ino);
  if (i < 0 || a.found[i] !== 0 || !sameStateIn(a, i, size, mtimeMs, ctimeMs)) return false;
  a.used[i] = 1;
  return true;
}

/** Days since 1970 (UTC) at `ms`: the unit of an entry's last use. */
export function dayOf(ms: number): number {
  return Math.floor(ms / 86_400_000);
}

function sameStateIn(a: IndexArrays, i: number, size: number, mtimeMs: number, ctimeMs: number): boolean {
  return a.size[i] === size && a.mtime[i] === mtimeMs && a.ctime[i] === ctimeMs;
}

export class FileIndex {
  // Full columns: set() grows them when count reaches their length.
  private a: Arrays;
  private readonly results = new Map<number, Buffer>();

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.a = {
      dev: new Float64Array(n),
      ino: new Float64Array(n),
      size: new Float64Array(n),
      mtime: new Float64Array(n),
      ctime: new Float64Array(n),
      found: new Uint8Array(n),
      used: new Uint8Array(n),
      day: new Uint16Array(n),
      table: new Int32Array(tableSizeFor(n)),
      count: 0,
    };
  }

  get count(): number {
    return this.a.count;
  }

  /** The arrays as they are now, for lookups in place (see IndexArrays). */
  arrays(): IndexArrays {
    return this.a;
  }

  /** The entry's slot, or -1. */
  find(dev: number, ino: number): number {
    return findIn(this.a, dev, ino);
  }

  /** True when slot `i` was recorded for exactly this state of the file; it is then marked used. */
  sameState(i: number, size: number, mtimeMs: number, ctimeMs: number): boolean {
    if (!sameStateIn(this.a, i, size, mtimeMs, ctimeMs)) return false;
    this.a.used[i] = 1;
    return true;
  }

  /**
   * Records `today` as the last use of every entry this scan met. Says whether any stored day
   * changed (the index is then worth writing again, though no file changed: at most once a day)
   * and how many entries no scan has met for more than `keepDays` days (expire drops them). One
   * pass with the columns in locals: a pass for each, through properties, took ~3 ms of a warm
   * rescan of 22,500 entries (a fresh process runs them in the interpreter).
   */
  noteUse(today: number, keepDays: number): { changed: boolean; stale: number } {
    const { used, day } = this.a;
    const count = this.count;
    let changed = false;
    let stale = 0;
    for (let i = 0; i < count; i++) {
      if (used[i] === 1) {
        if (day[i] !== today) {
          day[i] = today;
          changed = true;
        }
      } else if (today - (day[i] as number) > keepDays) stale++;
    }
    return { changed, stale };
  }

  /**
   * Drops the entries no scan has met for more than `keepDays` days (files deleted since, or a tree
   * no longer scanned), so the index does not grow with every file that ever passed through /tmp;
   * returns their keys, for the database's rows. Run after noteUse(), when it counted any.
   */
  expire(today: number, keepDays: number): { dev: number; ino: number }[] {
    const stale = (i: number): boolean =>
      this.a.used[i] === 0 && today - (this.a.day[i] as number) > keepDays;
    let kept = 0;
    for (let i = 0; i < this.count; i++) if (!stale(i)) kept++;
    if (kept === this.count) return [];
    const old = this.a;
    const results = this.results;
    const dropped: { dev: number; ino: number }[] = [];
    const fresh = new FileIndex(Math.ceil(kept * 1.25));
    for (let i = 0; i < old.count; i++) {
      if (stale(i)) {
        dropped.push({ dev: old.dev[i] as number, ino: old.ino[i] as number });
        continue;
      }
      const key = { dev: old.dev[i] as number, ino: old.ino[i] as number };
      const state = {
        size: old.size[i] as number,
        mtimeMs: old.mtime[i] as number,
        ctimeMs: old.ctime[i] as number,
      };
      fresh.set({ ...key, ...state }, old.found[i] === 1 ? (results.get(i) ?? EMPTY) : EMPTY);
      const j = fresh.count - 1;
      fresh.a.used[j] = old.used[i] as number;
      fresh.a.day[j] = old.day[i] as number;
      // A flagged entry whose result went missing stays a miss, as before.
      if (old.found[i] === 1 && !results.has(i)) fresh.a.found[j] = 1;
    }
    this.a = fresh.a;
    results.clear();
    for (const [slot, r] of fresh.results) results.set(slot, r);
    return dropped;
  }

  /**
   * The encoded result of slot `i` (empty for "nothing found"), or undefined when the slot is
   * flagged as found but its result is missing (a damaged blob): a miss, so the file is scanned.
   */
  result(i: number): Buffer | undefined {
    return this.a.found[i] === 1 ? this.results.get(i) : EMPTY;
  }

  set(key: CacheKey, result: Buffer): void {
    let i = this.find(key.dev, key.ino);
    if (i < 0) {
      // Columns and table grow apart: an index read back from its blob has columns exactly as long
      // as its entries but a table with room, so a scan that meets a few new files widens the
      // columns without hashing every entry again (for 5,000 files a few ms of a warm default scan;
      // for a million, ~0.2 s and a second table).
      if (this.count === this.a.dev.length) this.growColumns();
      if ((this.count + 1) * 2 > this.a.table.length) this.rebuildTable();
      i = this.a.count++;
      this.a.dev[i] = key.dev;
      this.a.ino[i] = key.ino;
      this.insert(i);
    }
    this.a.size[i] = key.size;
    this.a.mtime[i] = key.mtimeMs;
    this.a.ctime[i] = key.ctimeMs;
    this.a.found[i] = result.length > 0 ? 1 : 0;
    this.a.used[i] = 1;
    if (result.length > 0) this.results.set(i, result);
    else this.results.delete(i);
  }

  /**
   * Header (magic, version, count, hash table size), five Float64 columns, the hash table (Int32),
   * the days of last use (Uint16), the flags, then each result (u32 slot, u32 length, bytes). The
   * table is stored so loading is only copies.
   */
  toBlob(): Buffer {
    return Buffer.concat(this.toParts());
  }

  /**
   * The blob of toBlob() as consecutive pieces, the columns and the table as views of the index's
   * own arrays (no copy): written one after another they make the same bytes. An index of a
   * million files is ~55 MB; a copy of it at the end of a scan was that much more peak memory.
   */
  toParts(): Buffer[] {
    const n = this.count;
    const header = Buffer.alloc(HEADER);
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    header.writeUInt32LE(n, 8);
    header.writeUInt32LE(this.a.table.length, 12);
    const columns = [this.a.dev, this.a.ino, this.a.size, this.a.mtime, this.a.ctime].map((col) =>
      bytesOf(col, n * 8),
    );
    // The few non-empty results, packed (each written alone would be a system call apiece).
    const slots = [...this.results.keys()].sort((a, b) => a - b);
    const results = Buffer.alloc(
      slots.reduce((sum, i) => sum + 8 + (this.results.get(i) as Buffer).length, 0),
    );
    let o = 0;
    for (const i of slots) {
      const r = this.results.get(i) as Buffer;
      results.writeUInt32LE(i, o);
      results.writeUInt32LE(r.length, o + 4);
      r.copy(results, o + 8);
      o += 8 + r.length;
    }
    return [
      header,
      ...columns,
      bytesOf(this.a.table, this.a.table.byteLength),
      bytesOf(this.a.day, n * 2),
      bytesOf(this.a.found, n),
      results,
    ];
  }

  /** How many entries a stored index holds, read from its header; undefined when it is not one. */
  static countOf(blob: Buffer): number | undefined {
    if (blob.length < HEADER || blob.readUInt32LE(0) !== MAGIC || blob.readUInt32LE(4) !== VERSION)
      return undefined;
    return blob.readUInt32LE(8);
  }

  /** The index a blob holds, or undefined when it is not one this version wrote. */
  static fromBlob(blob: Buffer): FileIndex | undefined {
    if (blob.length < HEADER || blob.readUInt32LE(0) !== MAGIC || blob.readUInt32LE(4) !== VERSION)
      return undefined;
    const n = blob.readUInt32LE(8);
    const tableSize = blob.readUInt32LE(12);
    // A table that is not a power of two above the count would break the probing arithmetic.
    if (tableSize < n + 1 || (tableSize & (tableSize - 1)) !== 0) return undefined;
    const daysAt = HEADER + n * 40 + tableSize * 4;
    const flagsAt = daysAt + n * 2;
    if (blob.length < flagsAt + n) return undefined;
    const index = new FileIndex(0);
    // Views of the blob itself when it is aligned (a Buffer of its own, as SQLite hands it over),
    // else copies; either way the index owns them.
    const aligned = blob.byteOffset % 8 === 0;
    const bytes = (from: number, length: number): ArrayBuffer | SharedArrayBuffer =>
      aligned ? blob.buffer : new Uint8Array(blob.subarray(from, from + length)).buffer;
    const at = (from: number): number => (aligned ? blob.byteOffset + from : 0);
    const column = (k: number): Float64Array =>
      new Float64Array(bytes(HEADER + n * 8 * k, n * 8), at(HEADER + n * 8 * k), n);
    const found = new Uint8Array(bytes(flagsAt, n), at(flagsAt), n);
    index.a = {
      dev: column(0),
      ino: column(1),
      size: column(2),
      mtime: column(3),
      ctime: column(4),
      table: new Int32Array(bytes(HEADER + n * 40, tableSize * 4), at(HEADER + n * 40), tableSize),
      found,
      used: new Uint8Array(n),
      day: new Uint16Array(bytes(daysAt, n * 2), at(daysAt), n),
      count: n,
    };
    // The table is not checked cell by cell: find() and insert() are bounded and verify slots. A
    // flagged slot whose result is missing reads as a miss (see result()).
    let o = flagsAt + n;
    while (o < blob.length) {
      if (o + 8 > blob.length) return undefined;
      const slot = blob.readUInt32LE(o);
      const length = blob.readUInt32LE(o + 4);
      if (slot >= n || found[slot] !== 1 || o + 8 + length > blob.length) return undefined;
      index.results.set(slot, blob.subarray(o + 8, o + 8 + length));
      o += 8 + length;
    }
    return index;
  }

  private insert(i: number): void {
    const mask = this.a.table.length - 1;
    let h = indexHash(this.a.dev[i] as number, this.a.ino[i] as number) & mask;
    for (let probes = 0; this.a.table[h] !== 0; probes++, h = (h + 1) & mask)
      if (probes > mask) return this.rebuildTable(); // a damaged stored table left no free cell
    this.a.table[h] = i + 1;
  }

  /** A fresh table from the columns, which are the truth. */
  private rebuildTable(): void {
    this.a.table = new Int32Array(tableSizeFor(this.a.dev.length));
    for (let i = 0; i < this.count; i++) this.insert(i);
  }

  /**
   * New, longer columns in a new object (half as long again): views taken before keep the old
   * ones, still true. The table is shared until it is rebuilt: a view finds only its own entries in
   * it (a slot past its count is passed over), and a cell filled since only makes its probes longer.
   */
  private growColumns(): void {
    const n = Math.max(16, Math.ceil(this.a.dev.length * 1.5));
    const widen = <T extends Float64Array | Uint16Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    const old = this.a;
    this.a = {
      dev: widen(old.dev, (k) => new Float64Array(k)),
      ino: widen(old.ino, (k) => new Float64Array(k)),
      size: widen(old.size, (k) => new Float64Array(k)),
      mtime: widen(old.mtime, (k) => new Float64Array(k)),
      ctime: widen(old.ctime, (k) => new Float64Array(k)),
      found: widen(old.found, (k) => new Uint8Array(k)),
      used: widen(old.used, (k) => new Uint8Array(k)),
      day: widen(old.day, (k) => new Uint16Array(k)),
      table: old.table,
      count: old.count,
    };
  }
}

/** The first `length` bytes of a typed array (which may be a view into a larger buffer). */
function bytesOf(a: Float64Array | Int32Array | Uint16Array | Uint8Array, length: number): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, length);
}

/** A power of two at least twice the entries, so probes stay short. */
function tableSizeFor(entries: number): number {
  let size = 32;
  while (size < entries * 2) size *= 2;
  return size;
}

/** Mixes device and inode (either may exceed 32 bits) into 32 bits; native/dirstat.c has its twin. */
export function indexHash(dev: number, ino: number): number {
  const lo = ino >>> 0;
  const hi = (ino / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(dev >>> 0, 0x165667b1), 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca6b) ^ (h >>> 13);
}
