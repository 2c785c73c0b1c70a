// The scan cache's in-memory index: for each scanned file (device, inode) its size, mtime and ctime
// when scanned and the encoded result (see cache.ts: empty for "nothing found", the common case).
// Columns of numbers, an open-addressing hash table and the few non-empty results, stored whole as
// one blob: a warm rescan reads 22,000 entries in a millisecond, where reading them as SQLite rows
// and building maps took 50-80 ms, as long as the walk itself.
import type { CacheKey } from './cache.js';

const MAGIC = 0x5849484d; // "MHIX"
const VERSION = 4;
const HEADER = 16;
const EMPTY = Buffer.alloc(0);

export class FileIndex {
  // Full columns: set() grows them when count reaches their length.
  private dev: Float64Array;
  private ino: Float64Array;
  private size: Float64Array;
  private mtime: Float64Array;
  private ctime: Float64Array;
  /** 1 when the result is not empty (it is in `results`), 0 for "nothing found". */
  private found: Uint8Array;
  private readonly results = new Map<number, Buffer>();
  /** Slot + 1 of the entry hashed there, 0 when free. */
  private table: Int32Array;
  count = 0;

  constructor(capacity = 1024) {
    const n = Math.max(16, capacity);
    this.dev = new Float64Array(n);
    this.ino = new Float64Array(n);
    this.size = new Float64Array(n);
    this.mtime = new Float64Array(n);
    this.ctime = new Float64Array(n);
    this.found = new Uint8Array(n);
    this.table = new Int32Array(tableSizeFor(n));
  }

  /** The entry's slot, or -1. */
  find(dev: number, ino: number): number {
    const mask = this.table.length - 1;
    // Bounded, so a damaged stored table cannot hang a scan; a wrong slot cannot give a wrong
    // answer either: the slot's own device and inode must match.
    for (let probes = 0, h = hash(dev, ino) & mask; probes <= mask; probes++, h = (h + 1) & mask) {
      const s = this.table[h] as number;
      if (s === 0) return -1;
      if (s <= this.count && this.ino[s - 1] === ino && this.dev[s - 1] === dev) return s - 1;
    }
    return -1;
  }

  /** True when slot `i` was recorded for exactly this state of the file. */
  sameState(i: number, size: number, mtimeMs: number, ctimeMs: number): boolean {
    return this.size[i] === size && this.mtime[i] === mtimeMs && this.ctime[i] === ctimeMs;
  }

  /** True when (dev, ino) is here in exactly this state and nothing was found: one call per file. */
  cleanAndUnchanged(dev: number, ino: number, size: number, mtimeMs: number, ctimeMs: number): boolean {
    const i = this.find(dev, ino);
    return i >= 0 && this.found[i] === 0 && this.sameState(i, size, mtimeMs, ctimeMs);
  }

  /** The encoded result of slot `i` (empty for "nothing found"). */
  result(i: number): Buffer {
    return this.found[i] === 1 ? (this.results.get(i) ?? EMPTY) : EMPTY;
  }

  set(key: CacheKey, result: Buffer): void {
    let i = this.find(key.dev, key.ino);
    if (i < 0) {
      if (this.count === this.dev.length || (this.count + 1) * 2 > this.table.length) this.grow();
      i = this.count++;
      this.dev[i] = key.dev;
      this.ino[i] = key.ino;
      this.insert(i);
    }
    this.size[i] = key.size;
    this.mtime[i] = key.mtimeMs;
    this.ctime[i] = key.ctimeMs;
    this.found[i] = result.length > 0 ? 1 : 0;
    if (result.length > 0) this.results.set(i, result);
    else this.results.delete(i);
  }

  /**
   * Header (magic, version, count, hash table size), five Float64 columns, the hash table (Int32),
   * the flags, then each result (u32 slot, u32 length, bytes). The table is stored so loading is
   * only copies.
   */
  toBlob(): Buffer {
    const n = this.count;
    const slots = [...this.results.keys()].sort((a, b) => a - b);
    const resultBytes = slots.reduce((sum, i) => sum + 8 + (this.results.get(i) as Buffer).length, 0);
    const out = Buffer.alloc(HEADER + n * 8 * 5 + this.table.length * 4 + n + resultBytes);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(VERSION, 4);
    out.writeUInt32LE(n, 8);
    out.writeUInt32LE(this.table.length, 12);
    let o = HEADER;
    for (const col of [this.dev, this.ino, this.size, this.mtime, this.ctime]) {
      Buffer.from(col.buffer, 0, n * 8).copy(out, o);
      o += n * 8;
    }
    Buffer.from(this.table.buffer).copy(out, o);
    o += this.table.length * 4;
    Buffer.from(this.found.buffer, 0, n).copy(out, o);
    o += n;
    for (const i of slots) {
      const r = this.results.get(i) as Buffer;
      out.writeUInt32LE(i, o);
      out.writeUInt32LE(r.length, o + 4);
      r.copy(out, o + 8);
      o += 8 + r.length;
    }
    return out;
  }

  /** The index a blob holds, or undefined when it is not one this version wrote. */
  static fromBlob(blob: Buffer): FileIndex | undefined {
    if (blob.length < HEADER || blob.readUInt32LE(0) !== MAGIC || blob.readUInt32LE(4) !== VERSION)
      return undefined;
    const n = blob.readUInt32LE(8);
    const tableSize = blob.readUInt32LE(12);
    // A table that is not a power of two above the count would break the probing arithmetic.
    if (tableSize < n + 1 || (tableSize & (tableSize - 1)) !== 0) return undefined;
    const flagsAt = HEADER + n * 40 + tableSize * 4;
    if (blob.length < flagsAt + n) return undefined;
    const index = new FileIndex(0);
    // Copied out, so the arrays are aligned whatever the blob's offset.
    const copy = (from: number, bytes: number): ArrayBuffer =>
      new Uint8Array(blob.subarray(from, from + bytes)).buffer;
    index.dev = new Float64Array(copy(HEADER, n * 8));
    index.ino = new Float64Array(copy(HEADER + n * 8, n * 8));
    index.size = new Float64Array(copy(HEADER + n * 16, n * 8));
    index.mtime = new Float64Array(copy(HEADER + n * 24, n * 8));
    index.ctime = new Float64Array(copy(HEADER + n * 32, n * 8));
    index.table = new Int32Array(copy(HEADER + n * 40, tableSize * 4));
    index.found = new Uint8Array(copy(flagsAt, n));
    index.count = n;
    // The table is not checked cell by cell: find() and insert() are bounded and verify slots.
    let o = flagsAt + n;
    while (o < blob.length) {
      if (o + 8 > blob.length) return undefined;
      const slot = blob.readUInt32LE(o);
      const length = blob.readUInt32LE(o + 4);
      if (slot >= n || index.found[slot] !== 1 || o + 8 + length > blob.length) return undefined;
      index.results.set(slot, blob.subarray(o + 8, o + 8 + length));
      o += 8 + length;
    }
    // Every slot flagged as found must have come with its result.
    if (index.results.size !== index.found.reduce((sum, f) => sum + f, 0)) return undefined;
    return index;
  }

  private insert(i: number): void {
    const mask = this.table.length - 1;
    let h = hash(this.dev[i] as number, this.ino[i] as number) & mask;
    for (let probes = 0; this.table[h] !== 0; probes++, h = (h + 1) & mask)
      if (probes > mask) return this.rebuildTable(); // a damaged stored table left no free cell
    this.table[h] = i + 1;
  }

  /** A fresh table from the columns, which are the truth. */
  private rebuildTable(): void {
    this.table = new Int32Array(tableSizeFor(this.dev.length));
    for (let i = 0; i < this.count; i++) this.insert(i);
  }

  private grow(): void {
    const n = Math.max(16, this.dev.length * 2);
    const widen = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.dev = widen(this.dev, (k) => new Float64Array(k));
    this.ino = widen(this.ino, (k) => new Float64Array(k));
    this.size = widen(this.size, (k) => new Float64Array(k));
    this.mtime = widen(this.mtime, (k) => new Float64Array(k));
    this.ctime = widen(this.ctime, (k) => new Float64Array(k));
    this.found = widen(this.found, (k) => new Uint8Array(k));
    this.rebuildTable();
  }
}

/** A power of two at least twice the entries, so probes stay short. */
function tableSizeFor(entries: number): number {
  let size = 32;
  while (size < entries * 2) size *= 2;
  return size;
}

/** Mixes device and inode (either may exceed 32 bits) into 32 bits. */
function hash(dev: number, ino: number): number {
  const lo = ino >>> 0;
  const hi = (ino / 4294967296) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(dev >>> 0, 0x165667b1), 0x9e3779b1);
  h ^= h >>> 15;
  return Math.imul(h, 0x85ebca6b) ^ (h >>> 13);
}
