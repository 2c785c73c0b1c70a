// Tests for the scan cache's file index: entries are found by device and inode (inodes past 32 and
// 53 bits, the same inode on two devices), updated in place, kept through growth and through a
// round trip as a blob (aligned, unaligned, and stored again after changes), new entries of an
// index read back go in without rehashing it and older views stay true; a damaged or foreign
// blob is refused rather than trusted, and a found slot missing its result reads as a miss.
import { describe, expect, it } from 'vitest';
import { prng } from '../../bench/tree-inputs.mjs';
import { FileIndex, findIn } from './file-index.js';

const key = (dev: number, ino: number, size = 1, mtimeMs = 2, ctimeMs = 3) => ({
  dev,
  ino,
  size,
  mtimeMs,
  ctimeMs,
});
const SHA = Buffer.concat([Buffer.from([1]), Buffer.alloc(32, 7)]);

describe('file index', () => {
  it('finds entries by device and inode, and updates them in place', () => {
    const index = new FileIndex(4);
    index.set(key(1, 10), Buffer.alloc(0));
    index.set(key(2, 10, 5), SHA); // same inode, another device
    index.set(key(1, 2 ** 40 + 10), Buffer.alloc(0)); // past 32 bits: the low bits collide with 10
    const a = index.find(1, 10);
    const b = index.find(2, 10);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(b).not.toBe(a);
    expect(index.find(1, 2 ** 40 + 10)).not.toBe(a);
    expect(index.find(3, 10)).toBe(-1);
    expect(index.result(a)?.length).toBe(0);
    expect(index.result(b)).toEqual(SHA);
    expect(index.sameState(b, 5, 2, 3)).toBe(true);
    expect(index.sameState(b, 5, 2, 4)).toBe(false);

    index.set(key(2, 10, 6, 7, 8), Buffer.alloc(0));
    expect(index.find(2, 10)).toBe(b);
    expect(index.sameState(b, 6, 7, 8)).toBe(true);
    expect(index.result(b)?.length).toBe(0);
    expect(index.count).toBe(3);
  });

  it('keeps every entry through growth and a round trip as a blob', () => {
    const rand = prng(7);
    const index = new FileIndex(16);
    const keys: ReturnType<typeof key>[] = [];
    for (let i = 0; i < 20_000; i++) {
      // Inodes up to 2^53, a few devices, times with fractions: what a real tree gives.
      const k = key(
        Math.floor(rand() * 4) + 64768,
        Math.floor(rand() * 2 ** 53),
        Math.floor(rand() * 1e9),
        1.7e12 + rand() * 1e9,
        1.7e12 + rand() * 1e9,
      );
      keys.push(k);
      index.set(k, i % 100 === 0 ? Buffer.from(`result ${i}`) : Buffer.alloc(0));
    }
    const blob = index.toBlob();
    const restored = FileIndex.fromBlob(blob);
    expect(restored).toBeDefined();
    // From a blob that does not start on 8 bytes (the arrays are then copies, not views).
    const unaligned = FileIndex.fromBlob(Buffer.concat([Buffer.alloc(1), blob]).subarray(1));
    // A restored index changed in place and stored again: its views of the first blob are written
    // back whole.
    const again = FileIndex.fromBlob(blob) as FileIndex;
    again.set(keys[1] as ReturnType<typeof key>, Buffer.alloc(0));
    const second = FileIndex.fromBlob(again.toBlob());
    // Every entry as it was set, in the index and in its restored copy.
    const wrong: string[] = [];
    for (const [i, k] of keys.entries()) {
      for (const [name, ix] of [
        ['built', index],
        ['restored', restored as FileIndex],
        ['unaligned', unaligned as FileIndex],
        ['stored again', second as FileIndex],
      ] as const) {
        const slot = ix.find(k.dev, k.ino);
        const ok =
          slot >= 0 &&
          ix.sameState(slot, k.size, k.mtimeMs, k.ctimeMs) &&
          ix.result(slot)?.toString() === (i % 100 === 0 ? `result ${i}` : '');
        if (!ok) wrong.push(`${name} #${i}`);
      }
    }
    expect(wrong).toEqual([]);
    // A restored index takes new entries like any other.
    (restored as FileIndex).set(key(1, 1), Buffer.alloc(0));
    expect((restored as FileIndex).find(1, 1)).toBeGreaterThanOrEqual(0);
    expect((restored as FileIndex).find(keys[0]!.dev, keys[0]!.ino)).toBeGreaterThanOrEqual(0);
  });

  it('takes new entries into an index read back without hashing the others again; older views stay true', () => {
    const built = new FileIndex(16);
    for (let i = 0; i < 1000; i++) built.set(key(1, i), Buffer.alloc(0));
    const index = FileIndex.fromBlob(built.toBlob()) as FileIndex;
    const before = index.arrays();
    // Its columns are exactly full: the first new file widens them and keeps the table, which has room.
    index.set(key(2, 5), Buffer.alloc(0));
    const after = index.arrays();
    expect(after.dev).not.toBe(before.dev);
    expect(after.table).toBe(before.table);
    expect(findIn(after, 2, 5)).toBe(1000);
    expect(findIn(after, 1, 7)).toBe(7);
    // The view taken before answers for its own entries only.
    expect(findIn(before, 2, 5)).toBe(-1);
    expect(findIn(before, 1, 7)).toBe(7);
    // Past half the table it is rebuilt, and every entry is still found.
    for (let i = 0; i < 2000; i++) index.set(key(3, i), Buffer.alloc(0));
    expect(index.arrays().table).not.toBe(before.table);
    const missing = [
      ...Array.from({ length: 1000 }, (_, i) => key(1, i)),
      ...Array.from({ length: 2000 }, (_, i) => key(3, i)),
      key(2, 5),
    ].filter((k) => index.find(k.dev, k.ino) < 0);
    expect(missing).toEqual([]);
    expect(findIn(before, 1, 999)).toBe(999);
    expect(findIn(before, 3, 0)).toBe(-1);
  });

  it('refuses a blob that is damaged or not an index', () => {
    const index = new FileIndex();
    for (let i = 0; i < 100; i++) index.set(key(1, i), i === 5 ? SHA : Buffer.alloc(0));
    const blob = index.toBlob();
    expect(FileIndex.fromBlob(blob)).toBeDefined();
    expect(FileIndex.fromBlob(Buffer.alloc(0))).toBeUndefined();
    expect(FileIndex.fromBlob(Buffer.from('{"not":"an index"}'))).toBeUndefined();
    expect(FileIndex.fromBlob(blob.subarray(0, blob.length - 1))).toBeUndefined();
    expect(FileIndex.fromBlob(Buffer.concat([blob, Buffer.from([0])]))).toBeUndefined();
    // A table size that is not a power of two; a result for a slot not flagged as found.
    const badSize = Buffer.from(blob);
    badSize.writeUInt32LE(100, 12);
    expect(FileIndex.fromBlob(badSize)).toBeUndefined();
    // Header, five columns, the table, the days of last use (2 bytes each), then the flags.
    const flagsAt = 16 + 100 * 40 + blob.readUInt32LE(12) * 4 + 100 * 2;
    const unflagged = Buffer.from(blob);
    unflagged[flagsAt + 5] = 0;
    expect(FileIndex.fromBlob(unflagged)).toBeUndefined();
    // A slot flagged as found whose result is missing: the index loads, and that slot is a miss.
    const orphan = Buffer.from(blob);
    orphan[flagsAt + 6] = 1;
    const withOrphan = FileIndex.fromBlob(orphan) as FileIndex;
    expect(withOrphan.result(withOrphan.find(1, 6))).toBeUndefined();
    expect(withOrphan.result(withOrphan.find(1, 5))).toEqual(SHA);
  });

  it('answers a miss, never a wrong slot or a hang, from a damaged hash table', () => {
    const index = new FileIndex();
    for (let i = 0; i < 100; i++) index.set(key(1, i, i), Buffer.alloc(0));
    const blob = index.toBlob();
    const tableAt = 16 + 100 * 40;
    const cells = blob.readUInt32LE(12);
    const rand = prng(11);
    for (const fill of ['random', 'no free cell'] as const) {
      const damaged = Buffer.from(blob);
      for (let c = 0; c < cells; c++)
        damaged.writeInt32LE(fill === 'random' ? Math.floor(rand() * 300) - 50 : 1, tableAt + 4 * c);
      const restored = FileIndex.fromBlob(damaged) as FileIndex;
      for (let i = 0; i < 100; i++) {
        const slot = restored.find(1, i);
        if (slot >= 0) expect(restored.sameState(slot, i, 2, 3)).toBe(true);
      }
      // New entries still go in (the table is rebuilt from the columns when it has no room).
      restored.set(key(2, 5), Buffer.alloc(0));
      expect(restored.find(2, 5)).toBeGreaterThanOrEqual(0);
    }
  });
});
