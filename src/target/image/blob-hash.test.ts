// Large blobs are hashed on a thread of their own: the digests are the blobs' sha256 whatever the
// chunk sizes, with two blobs fed in turn, and a chunk's memory may be reused once it is given.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HashThread, OFF_THREAD_BYTES } from './blob-hash.js';

function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7 + (i >> 9)) & 0xff;
  return b;
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('HashThread', () => {
  it('hashes large blobs off the thread and small ones in place, to the same digests', async () => {
    const thread = new HashThread();
    try {
      const a = bytes(OFF_THREAD_BYTES + 12_345, 1);
      const b = bytes(OFF_THREAD_BYTES * 2 + 7, 2);
      const small = bytes(1000, 3);
      const ha = thread.open(a.length);
      const hb = thread.open(b.length);
      const hs = thread.open(small.length);
      // Odd chunk sizes, the two large blobs in turn; each chunk is overwritten once it is given.
      const scratch = Buffer.alloc(300_001);
      for (let at = 0; at < b.length; at += scratch.length) {
        for (const [blob, h] of [
          [a, ha],
          [b, hb],
        ] as const) {
          if (at >= blob.length) continue;
          const n = blob.copy(scratch, 0, at, at + scratch.length);
          const wait = h.update(scratch.subarray(0, n));
          scratch.fill(0);
          if (wait) await wait;
        }
      }
      hs.update(small);
      expect(await ha.digest()).toBe(sha(a));
      expect(await hb.digest()).toBe(sha(b));
      expect(await hs.digest()).toBe(sha(small));
      // Size unknown: hashed in place.
      const unknown = thread.open(undefined);
      unknown.update(a);
      expect(await unknown.digest()).toBe(sha(a));
    } finally {
      await thread.close();
    }
  });
});
