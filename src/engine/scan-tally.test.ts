import { describe, expect, it } from 'vitest';
import {
  ContentTally,
  MAX_EXTRA_BOMBS,
  MAX_LISTED_POLICY_SKIPS,
  MAX_LISTED_SKIPS,
  byPath,
} from './scan-tally.js';

describe('ContentTally', () => {
  it('lists skips up to the cap and counts all of them by reason', () => {
    const t = new ContentTally();
    for (let i = 0; i < MAX_LISTED_SKIPS + 5; i++) t.skip({ path: `/x/${i}`, reason: 'too-large' });
    t.skip({ path: '/y', reason: 'empty' });
    expect(t.skipped).toHaveLength(MAX_LISTED_SKIPS);
    expect(t.skippedByReason).toEqual({ 'too-large': MAX_LISTED_SKIPS + 5, empty: 1 });
    expect(t.skippedTotal()).toBe(MAX_LISTED_SKIPS + 6);
  });

  it('keeps room for gaps: a thousand policy skips cannot push an unreadable file out of the list', () => {
    const t = new ContentTally();
    for (let i = 0; i < 1000; i++) t.skip({ path: `/home/u/.npm/_cacache/${i}`, reason: 'package-store' });
    t.skip({ path: '/tmp/.x/miner', reason: 'unreadable' });
    expect(t.skipped).toHaveLength(MAX_LISTED_POLICY_SKIPS + 1);
    expect(t.skipped).toContainEqual({ path: '/tmp/.x/miner', reason: 'unreadable' });
    expect(t.skippedByReason['package-store']).toBe(1000);
  });

  it('keeps the entries an archive gave before it turned out damaged', () => {
    const t = new ContentTally();
    const entry = { path: '/tmp/a.tar.gz!xmrig', size: 5, sha256: 'ab', matches: [] };
    t.record(
      { path: '/tmp/a.tar.gz', size: 50 },
      { matches: [], entries: [entry], skips: [{ path: '/tmp/a.tar.gz', reason: 'archive-corrupt' }] },
    );
    expect(t.files.map((f) => f.path)).toEqual(['/tmp/a.tar.gz!xmrig']);
  });

  it('lists archive bombs beyond the cap, under a cap of their own', () => {
    const t = new ContentTally();
    for (let i = 0; i < MAX_LISTED_SKIPS; i++) t.skip({ path: `/x/${i}`, reason: 'too-large' });
    t.skip({ path: '/tmp/a.zip!zeros', reason: 'archive-bomb' });
    t.skip({ path: '/y', reason: 'empty' });
    for (let i = 0; i < MAX_EXTRA_BOMBS + 5; i++)
      t.skip({ path: `/tmp/b${i}.zip!z`, reason: 'archive-bomb' });
    expect(t.skipped).toHaveLength(MAX_LISTED_SKIPS + MAX_EXTRA_BOMBS);
    expect(t.skipped).toContainEqual({ path: '/tmp/a.zip!zeros', reason: 'archive-bomb' });
    expect(t.skipped.some((s) => s.path === '/y')).toBe(false);
    expect(t.skippedByReason['archive-bomb']).toBe(MAX_EXTRA_BOMBS + 6);
  });

  it('lists only files with matches, a hash or an exec bit, but counts every one', () => {
    const t = new ContentTally();
    t.record({ path: '/a', size: 10 }, { matches: [] });
    t.record({ path: '/b', size: 20 }, { matches: [], executable: true, sha256: 'ab' });
    expect(t.stats).toMatchObject({ files: 2, bytes: 30 });
    expect(t.files).toEqual([{ path: '/b', size: 20, matches: [], sha256: 'ab', executable: true }]);
  });

  it('does not count a file its own result skipped, and records archive entries', () => {
    const t = new ContentTally();
    t.record(
      { path: '/z.zip', size: 5 },
      { matches: [], skips: [{ path: '/z.zip', reason: 'archive-corrupt' }] },
    );
    expect(t.stats.files).toBe(0);
    expect(t.skippedByReason).toEqual({ 'archive-corrupt': 1 });
    t.record(
      { path: '/ok.zip', size: 7 },
      {
        matches: [],
        archiveEntries: 2,
        entries: [{ path: '/ok.zip!a', size: 1, sha256: 'cd', matches: [] }],
      },
    );
    expect(t.stats).toMatchObject({ files: 1, bytes: 7, archiveEntries: 2 });
    expect(t.files).toEqual([{ path: '/ok.zip!a', size: 1, sha256: 'cd', matches: [] }]);
  });

  it('counts unchanged files as cached and seen, and sorts by path', () => {
    const t = new ContentTally();
    t.unchanged(3, 300);
    expect(t.stats).toEqual({ files: 3, bytes: 300, cached: 3, archiveEntries: 0, bytesSeen: 300 });
    t.skip({ path: '/b', reason: 'empty' });
    t.skip({ path: '/a', reason: 'empty' });
    t.sort();
    expect(t.skipped.map((s) => s.path)).toEqual(['/a', '/b']);
    expect(
      ['b', 'B', 'a']
        .map((path) => ({ path }))
        .sort(byPath)
        .map((p) => p.path),
    ).toEqual(['B', 'a', 'b']);
  });
});
