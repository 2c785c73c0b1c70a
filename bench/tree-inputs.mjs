// Inputs both content benchmarks build their generated trees from: a deterministic PRNG, so every
// run builds the same tree; text lines of common source, config and log words; slices of this
// machine's real ELF files for realistic binary content; and random bytes.
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

const WORDS = (
  'the of and to in is for on that with as by this from server config user path error value ' +
  'function return const let var import export class public private static void int char ' +
  'if else while switch case break default true false null undefined new delete http https json ' +
  'yaml xml html body head div span script style select insert update kernel module driver process ' +
  'thread memory socket network timeout retry cache index install remove service start stop status'
).split(' ');

/** `size` bytes of text: lines of 4-15 words, some indented, some ending in `= number`. */
export function textContent(rand, size) {
  let s = '';
  while (s.length < size) {
    const len = 4 + Math.floor(rand() * 12);
    const words = [];
    for (let i = 0; i < len; i++) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    s +=
      (rand() < 0.3 ? '  ' : '') +
      words.join(' ') +
      (rand() < 0.2 ? ` = ${Math.floor(rand() * 1e6)}` : '') +
      '\n';
  }
  return Buffer.from(s.slice(0, size));
}

/**
 * File contents drawn from one PRNG: text, a slice of one of `elves` (the files read once and
 * kept, at most 33 at a time), or random bytes.
 */
export function contentSources(rand, elves) {
  const elfCache = new Map();
  return {
    text: (size) => textContent(rand, size),
    elfSlice(size) {
      const src = elves[Math.floor(rand() * elves.length)];
      let buf = elfCache.get(src);
      if (!buf) {
        buf = readFileSync(src);
        if (elfCache.size > 32) elfCache.clear();
        elfCache.set(src, buf);
      }
      const start = Math.floor(rand() * Math.max(1, buf.length - size));
      return buf.subarray(start, start + size);
    },
    random(size) {
      const data = Buffer.alloc(size);
      for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE(Math.floor(rand() * 2 ** 32), i);
      return data;
    },
  };
}
