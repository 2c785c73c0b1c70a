// Waits for the machine to settle before a benchmark times anything. CI starts the benchmarks the
// moment the suite ends, while its last workers, servers and temporary trees still hold the CPUs:
// in the CI log of 12-05 05:53 the default scan's seven runs went 932, 957, 845, 854, 812, 761,
// 774 ms, slower the earlier they came. This waits until the CPUs were at least 90% idle over one
// second (at most `maxS` seconds), and says what it saw, so a figure taken on a busy machine is
// marked as such rather than passed off as the program's.
import { readFileSync } from 'node:fs';

/** Idle and total jiffies of all CPUs (/proc/stat's first line; iowait counts as idle). */
function cpuTimes() {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.reduce((a, b) => a + b, 0) };
}

export async function settle({ maxS = 60, idleAtLeast = 0.9 } = {}) {
  const started = performance.now();
  for (;;) {
    const a = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const b = cpuTimes();
    const idle = b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 1;
    const waitedS = (performance.now() - started) / 1000;
    if (idle >= idleAtLeast || waitedS >= maxS) return { waitedS, idle, settled: idle >= idleAtLeast };
  }
}

/** One line for a benchmark's header: how long it waited and how idle the CPUs were. */
export function settleNote(s) {
  const idle = `${(s.idle * 100).toFixed(0)}% idle`;
  return s.settled
    ? `machine settled: CPUs ${idle} over a second, after ${s.waitedS.toFixed(0)} s of waiting`
    : `machine did not settle in ${s.waitedS.toFixed(0)} s (CPUs ${idle} over the last second): the figures share it with other work`;
}
