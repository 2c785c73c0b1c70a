// Inputs both content benchmarks build their generated trees from: a deterministic PRNG, so every
// run builds the same tree, and real ELF files of this machine for realistic binary content.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** mulberry32: small, fast and deterministic for a given seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to `limit` ELF files between 64 KiB and `maxBytes` from /usr/bin and the library directory. */
export function elfSources({ maxBytes, limit }) {
  const out = [];
  for (const dir of ['/usr/bin', '/usr/lib/x86_64-linux-gnu']) {
    let names = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        const st = statSync(file);
        if (!st.isFile() || st.size < 64 * 1024 || st.size > maxBytes) continue;
        if (readFileSync(file).subarray(0, 4).toString('latin1') === '\x7fELF') out.push(file);
      } catch {
        // unreadable: skip
      }
      if (out.length >= limit) return out;
    }
  }
  return out;
}
