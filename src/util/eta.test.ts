// The scan's time-left estimate: halfway through a synthetic 2 GiB scan (a rate that wanders, a walk
// that runs ahead of the scan, expected totals that are a little off, as statfs's are) the time left
// it gives is within ±30% of the time the scan really has left; it says nothing it cannot know, and never claims the scan is done.
import { describe, expect, it } from 'vitest';
import {
  EtaEstimator,
  formatDuration,
  fractionDone,
  type ExpectedTotals,
  type ProgressPoint,
} from './eta.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A deterministic wobble in [-1, 1]: the same series on every run. */
function wobble(i: number): number {
  return Math.sin(i * 1.7) * 0.6 + Math.sin(i * 0.31) * 0.4;
}

interface Series {
  points: ProgressPoint[];
  durationMs: number;
}

/**
 * A scan of `total` bytes in files of `fileSize`, read every 250 ms: 3 s of start-up with nothing
 * done, then a rate of `rate` bytes/s varying by ±`jitter`, the walker `ahead` bytes ahead of it.
 */
function series(total: number, rate: number, jitter: number, ahead: number, fileSize = MiB): Series {
  const points: ProgressPoint[] = [];
  let at = 0;
  let bytes = 0;
  for (; at < 3000; at += 250) points.push({ atMs: at, bytes: 0, files: 0, bytesSeen: 0, walking: true });
  for (let i = 0; bytes < total; i++) {
    at += 250;
    bytes = Math.min(total, bytes + rate * 0.25 * (1 + jitter * wobble(i)));
    const bytesSeen = Math.min(total, bytes + ahead);
    points.push({
      atMs: at,
      bytes,
      files: Math.floor(bytes / fileSize),
      bytesSeen,
      walking: bytesSeen < total,
    });
  }
  return { points, durationMs: at };
}

/**
 * The time left the estimator gives when the scan is halfway through its bytes, over the time the
 * scan really has left then (1 is exact).
 */
function leftAtHalf(s: Series, total: number, expected?: ExpectedTotals): number {
  const eta = new EtaEstimator(expected);
  for (const p of s.points) {
    const e = eta.update(p);
    if (p.bytes >= total / 2) {
      expect(e?.secondsLeft, 'an estimate halfway').toBeDefined();
      return (e!.secondsLeft! * 1000) / (s.durationMs - p.atMs);
    }
  }
  throw new Error('never halfway');
}

describe('EtaEstimator', () => {
  it('gives the time left of a 2 GiB scan with a wandering rate within 30% halfway, from a walk of the tree', () => {
    const s = series(2 * GiB, 120 * MiB, 0.4, 256 * MiB);
    const left = leftAtHalf(s, 2 * GiB, { bytes: 2 * GiB, files: 2048 });
    expect(left).toBeGreaterThan(0.7);
    expect(left).toBeLessThan(1.3);
  });

  it('does as well from statfs totals that count 15% more than the walk will find', () => {
    const s = series(2 * GiB, 80 * MiB, 0.3, 128 * MiB, 64 * 1024);
    const left = leftAtHalf(s, 2 * GiB, { bytes: 2.3 * GiB, files: 32768 * 1.15 });
    expect(left).toBeGreaterThan(0.7);
    expect(left).toBeLessThan(1.3);
  });

  it('needs no expected totals once the walk is over: the bytes it found are the total', () => {
    // The walker finishes early (a tree smaller than its lead): from then on the total is exact.
    const s = series(2 * GiB, 100 * MiB, 0.2, 4 * GiB);
    const left = leftAtHalf(s, 2 * GiB);
    expect(left).toBeGreaterThan(0.7);
    expect(left).toBeLessThan(1.3);
  });

  it('gives no fraction while the walk goes on with nothing expected, and no time before any progress', () => {
    const eta = new EtaEstimator();
    expect(eta.update({ atMs: 0, bytes: 10, files: 1, bytesSeen: 100, walking: true })).toBeUndefined();
    eta.setExpected({ bytes: 1000 });
    expect(eta.update({ atMs: 100, bytes: 10, files: 1, bytesSeen: 100, walking: true })).toEqual({
      fraction: 0.01,
    });
    // Under a second since the first reading: a fraction but no time yet.
    expect(
      eta.update({ atMs: 900, bytes: 500, files: 2, bytesSeen: 900, walking: true })?.secondsLeft,
    ).toBeUndefined();
    const later = eta.update({ atMs: 1100, bytes: 510, files: 3, bytesSeen: 1000, walking: false });
    expect(later?.fraction).toBe(0.51);
    expect(later?.secondsLeft).toBeCloseTo((0.49 * 1) / 0.5, 5);
  });

  it('takes the rate from when late expected totals arrive, not from the slower start before', () => {
    const eta = new EtaEstimator();
    const total = 1000 * MiB;
    // The scan's own walk is over at once (its bytes are the total), but for 10 s the walk that
    // measures the tree for the estimate competes with it: 20 MiB/s, then 100 MiB/s once it ends.
    const point = (atMs: number, bytes: number) => ({
      atMs,
      bytes,
      files: 0,
      bytesSeen: total,
      walking: false,
    });
    let at = 0;
    let bytes = 0;
    for (; at <= 10_000; at += 250, bytes += 5 * MiB) eta.update(point(at, bytes));
    eta.setExpected({ bytes: total });
    let e;
    for (; bytes < total / 2; at += 250, bytes += 25 * MiB) e = eta.update(point(at, bytes));
    // Half left at 100 MiB/s is 5 s; the average since the start (about 36 MiB/s) would say 14 s.
    expect(e?.secondsLeft).toBeGreaterThan(5 * 0.7);
    expect(e?.secondsLeft).toBeLessThan(5 * 1.3);
  });

  it('follows a scan that speeds up: the rate of the recent half, not the average since the start', () => {
    // Measured on one core: a freshly written tree's writeback ends and the scan goes from 150 to
    // 600 MiB/s over its first seconds. Here the rate climbs from 100 to 400 MiB/s over 4 s, then holds.
    const total = 3 * GiB;
    const points: ProgressPoint[] = [];
    let bytes = 0;
    let at = 0;
    for (; bytes < total; at += 250) {
      points.push({ atMs: at, bytes, files: 0, bytesSeen: total, walking: false });
      bytes = Math.min(total, bytes + 0.25 * MiB * Math.min(400, 100 + (300 * at) / 4000));
    }
    const ratio = leftAtHalf({ points, durationMs: at }, total);
    // The average since the start says a third more than the real time left (measured: 1.33).
    expect(ratio).toBeGreaterThan(0.7);
    expect(ratio).toBeLessThan(1.3);
  });

  it('keeps giving a time while one huge file holds the counts still', () => {
    const eta = new EtaEstimator();
    const point = (atMs: number, bytes: number) => ({
      atMs,
      bytes,
      files: 0,
      bytesSeen: 1000,
      walking: false,
    });
    eta.update(point(0, 0));
    for (let at = 250; at <= 4000; at += 250) eta.update(point(at, (at / 4000) * 400));
    // 40% in 4 s, then nothing counted for 6 s: the rate since the origin, 60% left at 4%/s.
    let e;
    for (let at = 4250; at <= 10_000; at += 250) e = eta.update(point(at, 400));
    expect(e?.secondsLeft).toBeCloseTo(0.6 * 25, 5);
  });

  it('never says done while running, and never goes past what the walker found', () => {
    expect(fractionDone({ atMs: 0, bytes: 100, files: 9, bytesSeen: 100, walking: false })).toBe(0.99);
    // Expected totals below what the walk already found: the walk's count wins.
    expect(
      fractionDone({ atMs: 0, bytes: 50, files: 1, bytesSeen: 200, walking: true }, { bytes: 100 }),
    ).toBe(0.25);
    // Bytes and files both expected: the average of the two fractions.
    expect(
      fractionDone(
        { atMs: 0, bytes: 100, files: 90, bytesSeen: 100, walking: true },
        { bytes: 1000, files: 100 },
      ),
    ).toBeCloseTo(0.5, 5);
  });
});

describe('formatDuration', () => {
  it('is short, in both languages', () => {
    expect(formatDuration(42.4, 'en')).toBe('42 s');
    expect(formatDuration(185, 'en')).toBe('3 min 05 s');
    expect(formatDuration(3720, 'en')).toBe('1 h 02 min');
    expect(formatDuration(185, 'zh-CN')).toBe('3 分 05 秒');
  });
});
