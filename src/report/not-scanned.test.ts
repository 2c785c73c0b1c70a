// The report's "Not scanned": every content skip counted by reason, gaps (not policy) counted apart,
// a capped list that shows gaps first and every reason, and the same grouping for every renderer.
import { describe, expect, it } from 'vitest';
import { COLLECTED_AT, makeContent, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import type { Content } from '../snapshot/schema.js';
import { buildReport, ReportSchema } from './model.js';
import { notScannedGroups, notScannedOf } from './not-scanned.js';

type Skip = Content['skipped'][number];

function content(skipped: Skip[], byReason: Record<string, number>): Content {
  const c = makeContent({ skipped });
  c.stats.skippedByReason = byReason;
  c.stats.skipped = Object.values(byReason).reduce((a, b) => a + b, 0);
  return c;
}

const many = (n: number, reason: string, prefix: string): Skip[] =>
  Array.from({ length: n }, (_, i) => ({ path: `${prefix}/${String(i).padStart(3, '0')}`, reason }));

describe('notScannedOf', () => {
  it('counts every skip by reason and the gaps apart, listing gaps before policy skips', () => {
    const ns = notScannedOf(
      content(
        [
          { path: '/srv/pipe', reason: 'special-file', detail: 'fifo' },
          { path: '/srv/big.img', reason: 'too-large', detail: '10737418240 bytes > limit 67108864' },
          { path: '/srv/bomb.zip', reason: 'archive-bomb', detail: 'compression ratio 1024:1' },
        ],
        { 'special-file': 1, 'too-large': 1, 'archive-bomb': 1, empty: 40 },
      ),
    );
    expect(ns.total).toBe(43);
    expect(ns.gaps).toBe(2);
    expect(ns.entries.map((e) => e.reason)).toEqual(['archive-bomb', 'too-large', 'special-file']);
    expect(ns.entries[1]).toEqual({
      path: '/srv/big.img',
      reason: 'too-large',
      detail: '10737418240 bytes > limit 67108864',
    });
  });

  it('caps the list, and a reason with hundreds of skips cannot crowd out the one zip bomb', () => {
    const ns = notScannedOf(
      content(
        [
          ...many(150, 'unreadable', '/home/a'),
          { path: '/srv/bomb.zip', reason: 'archive-bomb' },
          ...many(40, 'special-file', '/run'),
        ],
        { unreadable: 900, 'archive-bomb': 1, 'special-file': 40 },
      ),
      50,
    );
    expect(ns.entries).toHaveLength(50);
    expect(ns.entries.filter((e) => e.reason === 'archive-bomb')).toHaveLength(1);
    expect(ns.entries.filter((e) => e.reason === 'unreadable')).toHaveLength(49);
    // Gaps take the room first; what is left over goes to policy skips.
    expect(ns.entries.filter((e) => e.reason === 'special-file')).toHaveLength(0);
    expect(ns.gaps).toBe(901);
    expect(ns.total).toBe(941);
  });

  it('counts a listed skip its snapshot forgot to count, and drops reasons counted zero', () => {
    const ns = notScannedOf(content([{ path: '/x', reason: 'partly-scanned' }], { empty: 0 }));
    expect(ns.byReason).toEqual({ 'partly-scanned': 1 });
    expect(ns.gaps).toBe(1);
  });
});

describe('notScannedGroups', () => {
  it('groups by reason: gaps first, most first, then by name; counts beyond what is listed', () => {
    const ns = notScannedOf(
      content([...many(3, 'special-file', '/run'), { path: '/srv/a.bin', reason: 'too-large' }], {
        'special-file': 3,
        'too-large': 7,
        'archive-bomb': 7,
        'some-new-reason': 1,
        empty: 9,
      }),
    );
    const groups = notScannedGroups(ns);
    expect(groups.map((g) => [g.reason, g.count, g.policy, g.entries.length])).toEqual([
      ['archive-bomb', 7, false, 0],
      ['too-large', 7, false, 1],
      ['some-new-reason', 1, false, 0],
      ['empty', 9, true, 0],
      ['special-file', 3, true, 3],
    ]);
  });
});

describe('buildReport', () => {
  const build = (c?: Content) =>
    buildReport({
      snapshot: makeSnapshot(c ? { content: c } : {}),
      findings: [],
      skipped: [],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date(COLLECTED_AT),
    });

  it('carries notScanned whenever content was scanned, and not without a content scan', () => {
    expect(build().notScanned).toBeUndefined();
    expect(build(makeContent()).notScanned).toEqual({ total: 0, gaps: 0, byReason: {}, entries: [] });
    expect(build(makeContent()).verdict.status).toBe('clean');
  });

  it('calls a scan with a file it could not scan incomplete, and one with only a FIFO skipped clean', () => {
    const big = build(content([{ path: '/srv/big.img', reason: 'too-large' }], { 'too-large': 1 }));
    expect(big.verdict.status).toBe('incomplete');
    expect(big.verdict.scanGaps).toEqual([{ reason: 'too-large', count: 1 }]);
    expect(() => ReportSchema.parse(big)).not.toThrow();
    const fifo = build(content([{ path: '/srv/pipe', reason: 'special-file' }], { 'special-file': 1 }));
    expect(fifo.verdict.status).toBe('clean');
    expect(fifo.notScanned?.total).toBe(1);
  });
});
