// Tests for the CPU baseline's own stat parser: it agrees with the process walk's parser on real
// stat lines of this host and on a command name with spaces and parentheses, and refuses garbage.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtNativeAddon } from '../../util/paths.js';
import { killChildren, sleepBinary, startChild } from '../test-helpers.js';
import { listProc, statTicks, takeCpuBaseline } from './cpu-baseline.js';
import { loadReadProcs, NativeProcReads } from './proc-read.js';
import { parseStat } from './proc-walk.js';

describe('CPU baseline', () => {
  it("reads each process's start time and CPU ticks as the walk's parser does", () => {
    const odd = '4242 (a) (b c)) S 1 4242 4242 0 -1 4194560 10 0 0 0 17 5 0 0 20 0 1 0 987654 1 2 3';
    expect(statTicks(odd)).toEqual([987654, 22]);
    const st = parseStat(odd);
    expect([st?.starttime, (st?.utime ?? 0) + (st?.stime ?? 0)]).toEqual([987654, 22]);
    expect(statTicks('not a stat line')).toBeUndefined();
    expect(statTicks('1 (x) S 1 2')).toBeUndefined();
    let compared = 0;
    for (const name of readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .slice(0, 50)) {
      let text: string;
      try {
        text = readFileSync(`/proc/${name}/stat`, 'latin1');
      } catch {
        continue; // gone meanwhile
      }
      const walked = parseStat(text);
      if (!walked) continue;
      expect(statTicks(text)).toEqual([walked.starttime, walked.utime + walked.stime]);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('holds this process and its parent, and nothing for a directory that is not a proc', () => {
    const baseline = takeCpuBaseline();
    expect(baseline?.ticks.has(process.pid)).toBe(true);
    expect(baseline?.ticks.has(process.ppid)).toBe(true);
    expect(takeCpuBaseline('/nonexistent-proc')).toBeUndefined();
  });

  it('read by the native addon, holds what Node reads: the same processes and start times', async () => {
    const readProcs = loadReadProcs(builtNativeAddon());
    if (!readProcs) throw new Error('dist/native/dirstat.node has no readProcs: run npm run build');
    const child = await startChild(sleepBinary(), ['30']);
    try {
      const names = listProc() ?? [];
      const native = takeCpuBaseline('/proc', names, new NativeProcReads(readProcs, '/proc'));
      const node = takeCpuBaseline('/proc', names);
      // Processes that live through both reads are in both (others come and go while the suite
      // runs), with the same start times; CPU ticks move.
      for (const pid of [process.ppid, process.pid, child.pid as number]) {
        expect(native?.ticks.get(pid)?.[0]).toBeDefined();
        expect(native?.ticks.get(pid)?.[0]).toBe(node?.ticks.get(pid)?.[0]);
      }
      const both = [...(node?.ticks.keys() ?? [])].filter((pid) => native?.ticks.has(pid));
      for (const pid of both) expect(native?.ticks.get(pid)?.[0]).toBe(node?.ticks.get(pid)?.[0]);
    } finally {
      await killChildren();
    }
  });
});
