// The watcher's own CPU measure and budget: the use over the window in percent of one core, and the
// full-scan interval stretched while over the budget, back once well under it.
import { describe, expect, it } from 'vitest';
import { CpuMeter, describeUse, nextStretch, ownCpuSeconds } from './watch-budget.js';

describe('the watch CPU budget', () => {
  it('measures the use over the window, forgetting older samples', () => {
    let t = 0;
    let cpu = 0;
    const meter = new CpuMeter(
      60_000,
      () => cpu,
      () => t,
    );
    t = 30_000;
    cpu = 3; // 3 s of CPU in 30 s: 10%
    expect(meter.use().percent).toBeCloseTo(10);
    t = 200_000;
    cpu = 3.6; // 0.6 s over the last 170 s: the window keeps one sample from before its start
    const use = meter.use();
    expect(use.percent).toBeCloseTo((0.6 / 170) * 100);
    expect(describeUse({ percent: 0.42, minutes: 10 })).toBe('cpu 0.42% of one core over the last 10 min');
    expect(ownCpuSeconds()).toBeGreaterThan(0);
  });

  it('stretches the full-scan interval over the budget and brings it back under half of it', () => {
    expect(nextStretch(1, { percent: 3, minutes: 5 }, 1)).toBe(2);
    expect(nextStretch(8, { percent: 3, minutes: 5 }, 1)).toBe(16);
    expect(nextStretch(16, { percent: 3, minutes: 5 }, 1)).toBe(16);
    expect(nextStretch(4, { percent: 0.3, minutes: 5 }, 1)).toBe(2);
    expect(nextStretch(2, { percent: 0.8, minutes: 5 }, 1)).toBe(2);
    // The start-up scan alone does not count: less than a minute measured.
    expect(nextStretch(1, { percent: 40, minutes: 0.1 }, 1)).toBe(1);
  });
});
