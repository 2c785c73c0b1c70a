// The set of paths a content scan has already queued, so a file reached twice (a process's
// executable that the walk also meets, overlapping roots) is scanned and listed once. Past a few
// thousand paths it keeps a 64-bit keyed hash of each path in typed arrays, 16 bytes a path at
// most, instead of the path strings themselves: a Set of 1M paths held about 70 MB of the main
// thread's heap for the whole scan, and the garbage collector let the heap grow to several times
// that (issue 20). Below that it is a Set of the strings (see SMALL_SET).
import { randomBytes } from 'node:crypto';

/**
 * Two 32-bit halves from independent seeds, drawn at random for each set: nobody can choose paths
 * that collide, and a chance collision (about 1 in 2^64 per pair; ~3e-8 over a million paths)
 * would skip one file. The hash is murmur3's mixing over UTF-16 code units.
 */
function hash32(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    let k = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= s.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * How many paths are kept as strings before they move to the hashed table. hash32 runs in the
 * interpreter in a fresh process (~30 µs a path of 75 characters): the ~250 files a warm rescan of
 * the bench tree answers from the cache spent 7-9 ms of its ~85 ms hashing their paths, where V8
 * hashes a string natively. A few thousand paths are a few hundred KB of heap, and by the time a
 * scan has met that many, hash32 is compiled.
 */
export const SMALL_SET = 4096;

export class PathSet {
  private readonly seeds: [number, number];
  /** The paths themselves until there are more than SMALL_SET; then undefined. */
  private small: Set<string> | undefined = new Set();
  // Open addressing: slot i holds (hi[i], lo[i]); lo is never 0 in a used slot (see key()).
  private hi: Uint32Array;
  private lo: Uint32Array;
  private used = 0;

  constructor(private readonly capacity = 1024) {
    const seed = randomBytes(8);
    this.seeds = [seed.readUInt32LE(0), seed.readUInt32LE(4)];
    // Allocated when the strings move there.
    this.hi = this.lo = new Uint32Array(0);
  }

  get size(): number {
    return this.small ? this.small.size : this.used;
  }

  has(path: string): boolean {
    if (this.small) return this.small.has(path);
    const [hi, lo] = this.key(path);
    return this.slotOf(hi, lo) < 0;
  }

  /** Adds the path; false when it was there already. */
  add(path: string): boolean {
    const small = this.small;
    if (small) {
      if (small.has(path)) return false;
      small.add(path);
      if (small.size > SMALL_SET) this.hashAll(small);
      return true;
    }
    return this.addHashed(path);
  }

  /** Moves the strings to the hashed table, for good. */
  private hashAll(paths: Set<string>): void {
    const n = tableSize(Math.max(this.capacity, paths.size));
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.small = undefined;
    for (const p of paths) this.addHashed(p);
  }

  private addHashed(path: string): boolean {
    const [hi, lo] = this.key(path);
    const slot = this.slotOf(hi, lo);
    if (slot < 0) return false;
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    // Kept at most half full, so a probe meets a free slot soon.
    if (++this.used * 2 > this.hi.length) this.grow();
    return true;
  }

  private key(path: string): [number, number] {
    // lo | 1: a used slot is never all zeros, which marks a free one (it costs one bit of hash).
    return [hash32(path, this.seeds[0]), (hash32(path, this.seeds[1]) | 1) >>> 0];
  }

  /** The free slot where (hi, lo) goes, or -1 when it is already there. */
  private slotOf(hi: number, lo: number): number {
    const mask = this.hi.length - 1;
    for (let i = (hi ^ Math.imul(lo, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.lo[i] === 0) return i;
      if (this.lo[i] === lo && this.hi[i] === hi) return -1;
    }
  }

  private grow(): void {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(oldHi.length * 2);
    this.lo = new Uint32Array(oldLo.length * 2);
    for (let i = 0; i < oldHi.length; i++) {
      const lo = oldLo[i] as number;
      if (lo === 0) continue;
      const hi = oldHi[i] as number;
      const slot = this.slotOf(hi, lo);
      this.hi[slot] = hi;
      this.lo[slot] = lo;
    }
  }
}

/** A power of two at least twice the capacity. */
function tableSize(capacity: number): number {
  let n = 16;
  while (n < capacity * 2) n *= 2;
  return n;
}
