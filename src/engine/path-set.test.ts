// The content scan's set of queued paths: answers like a Set of the paths, at any size.
import { describe, expect, it } from 'vitest';
import { PathSet } from './path-set.js';

describe('PathSet', () => {
  it('answers like a Set of the paths, across the move from strings to hashes and growth', () => {
    const set = new PathSet(4);
    const reference = new Set<string>();
    for (let i = 0; i < 50_000; i++) {
      // Near neighbours, repeats and non-ASCII names: what a tree walk gives.
      const p = i % 7 === 0 ? `/srv/日志/f${i >> 1}` : `/var/lib/d${i % 300}/f${i}.txt`;
      expect(set.add(p)).toBe(!reference.has(p));
      reference.add(p);
    }
    expect(set.size).toBe(reference.size);
    for (const p of reference) expect(set.has(p)).toBe(true);
    expect(set.has('/var/lib/d1/f1.tx')).toBe(false);
    expect(set.has('')).toBe(false);
    expect(set.add('')).toBe(true);
    expect(set.has('')).toBe(true);
  });

  it('keeps a million paths in typed arrays, not in the heap', () => {
    const set = new PathSet();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) set.add(`/tmp/tree/d${Math.floor(i / 100)}/f${i}.txt`);
    expect(set.size).toBe(1_000_000);
    // The strings are garbage as soon as they are hashed; a Set of them held about 70 MB.
    global.gc?.();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
    expect(set.has('/tmp/tree/d0/f0.txt')).toBe(true);
    expect(set.has('/tmp/tree/d0/f1000000.txt')).toBe(false);
  });
});
