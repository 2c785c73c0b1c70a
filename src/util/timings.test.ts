// Tests the MINEHUNTER_TIMINGS=1 lines: nothing when off; with it on, each phase's wall and CPU time
// in the order marked, each collector's duration (also of one that made no record), and the totals
// with the peak RSS.
import { afterEach, describe, expect, it } from 'vitest';
import {
  TIMINGS_ENV,
  TIMINGS_PREFIX,
  markCollector,
  markPhase,
  resetTimings,
  timingsLines,
} from './timings.js';

afterEach(() => {
  delete process.env[TIMINGS_ENV];
  resetTimings();
});

describe('phase timings', () => {
  it('are off unless MINEHUNTER_TIMINGS=1: no marks, no lines', () => {
    process.env[TIMINGS_ENV] = '0';
    markPhase('start-up');
    expect(timingsLines([{ collector: 'linux.processes', durationMs: 12 }])).toEqual([]);
  });

  it('list the phases, the collectors and the totals when on', () => {
    process.env[TIMINGS_ENV] = '1';
    markPhase('start-up');
    let x = 0;
    for (let i = 0; i < 1e6; i++) x += i;
    expect(x).toBeGreaterThan(0);
    markPhase('collect');
    const lines = timingsLines([
      { collector: 'linux.processes', durationMs: 396.5 },
      { collector: 'linux.modules' },
    ]);
    expect(lines.every((l) => l.startsWith(TIMINGS_PREFIX))).toBe(true);
    expect(lines[0]).toMatch(/^minehunter timings: phase start-up \d+ ms wall, \d+ ms cpu$/);
    expect(lines[1]).toMatch(/^minehunter timings: phase collect \d+ ms wall, \d+ ms cpu$/);
    expect(lines[2]).toBe('minehunter timings: collector linux.processes 397 ms wall');
    expect(lines[3]).toMatch(/^minehunter timings: total \d+ ms wall, \d+ ms cpu, peak RSS [\d.]+ MB$/);
    expect(lines).toHaveLength(4);
  });

  it('also name the collectors that ran without making a record, with their wall time', () => {
    process.env[TIMINGS_ENV] = '1';
    markPhase('collect');
    markCollector('linux.processes', 396.5);
    markCollector('linux.web', 1204.2);
    const lines = timingsLines([{ collector: 'linux.processes', durationMs: 396.5 }]);
    expect(lines.slice(1, 3)).toEqual([
      'minehunter timings: collector linux.processes 397 ms wall',
      'minehunter timings: collector linux.web 1204 ms wall (no record)',
    ]);
  });
});
