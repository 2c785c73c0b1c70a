// Tests for the stamp-keyed derived cache: nothing kept without a cache directory (--no-cache), a
// value answered only for the stamp it was saved with, entries a scan did not look up kept for a day
// (a library mapped now and then is not hashed again each time it comes back) unless their file has
// another stamp now, a damaged or older file ignored, and a file of entries without a time of use read.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serialize } from 'node:v8';
import { deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setDerivedCacheDir } from './derived-cache.js';
import { fileStamp, StampCache } from './stamp-cache.js';

const isText = (v: unknown): v is string => typeof v === 'string';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-stamp-cache-'));
  setDerivedCacheDir(dir);
});

afterEach(() => {
  vi.restoreAllMocks();
  setDerivedCacheDir(undefined);
  rmSync(dir, { recursive: true, force: true });
});

const open = (format = 1) => StampCache.open('test', '/root-a', format, isText)!;
/** One scan: looks up `get`, sets `set`, saves; returns what the lookups answered. */
const scan = (get: [string, string][], set: [string, string, string][] = []) => {
  const c = open();
  const got = get.map(([f, s]) => c.get(f, s));
  for (const [f, s, v] of set) c.set(f, s, v);
  c.save();
  return got;
};

describe('StampCache', () => {
  it('keeps nothing without a cache directory, and answers only for the saved stamp', () => {
    setDerivedCacheDir(undefined);
    expect(StampCache.open('test', '/root-a', 1, isText)).toBeUndefined();
    setDerivedCacheDir(dir);
    scan([], [['/a', 's1', 'A']]);
    expect(scan([['/a', 's1']])).toEqual(['A']);
    expect(scan([['/a', 's2']])).toEqual([undefined]);
    // Another target root and another format have caches of their own.
    expect(StampCache.open('test', '/root-b', 1, isText)!.get('/a', 's1')).toBeUndefined();
    expect(open(2).get('/a', 's1')).toBeUndefined();
    expect(fileStamp({ dev: 1, ino: 2, size: 3, mtimeMs: 4.5, ctimeMs: 6 })).toBe('1:2:3:4.5:6');
  });

  it('keeps an entry a scan did not look up for a day, and drops one whose file has another stamp', () => {
    const now = vi.spyOn(Date, 'now');
    const t0 = 1_800_000_000_000;
    now.mockReturnValue(t0);
    scan(
      [],
      [
        ['/lib/a.so', 's1', 'A'],
        ['/lib/b.so', 's1', 'B'],
      ],
    );
    // A scan that maps only a.so: b.so is still answered by the next one.
    now.mockReturnValue(t0 + 60_000);
    expect(scan([['/lib/a.so', 's1']])).toEqual(['A']);
    now.mockReturnValue(t0 + 120_000);
    expect(scan([['/lib/b.so', 's1']])).toEqual(['B']);
    // a.so changed: its new facts replace the old ones, which are gone even for the old stamp.
    scan([['/lib/a.so', 's2']], [['/lib/a.so', 's2', 'A2']]);
    expect(scan([['/lib/a.so', 's1']])).toEqual([undefined]);
    expect(scan([['/lib/a.so', 's2']])).toEqual(['A2']);
    // Unused for more than a day: dropped at the next save.
    now.mockReturnValue(t0 + 120_000 + 25 * 60 * 60 * 1000);
    scan([['/lib/a.so', 's2']]);
    expect(scan([['/lib/b.so', 's1']])).toEqual([undefined]);
    // Used every scan, an entry is saved again before it could expire.
    for (let day = 2; day < 6; day++) {
      now.mockReturnValue(t0 + day * 20 * 60 * 60 * 1000);
      expect(scan([['/lib/a.so', 's2']])).toEqual(['A2']);
    }
  });

  it('ignores a damaged file or one of another layout, and reads entries saved without a time of use', () => {
    scan([], [['/a', 's1', 'A']]);
    const [name] = readdirSync(dir);
    writeFileSync(path.join(dir, name!), 'not a cache');
    expect(scan([['/a', 's1']])).toEqual([undefined]);
    writeFileSync(path.join(dir, name!), deflateRawSync(serialize({ format: 1, entries: [['s1\0/a', 7]] })));
    expect(scan([['/a', 's1']])).toEqual([undefined]);
    writeFileSync(
      path.join(dir, name!),
      deflateRawSync(serialize({ format: 1, entries: [['s1\0/a', 'A']] })),
    );
    expect(scan([['/a', 's1']])).toEqual(['A']);
    expect(scan([['/a', 's1']])).toEqual(['A']);
  });
});
