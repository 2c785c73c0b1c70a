// The watch mode's own CPU use, measured by itself (its process and the children it waited for) over
// a sliding window, and the CPU budget it keeps: over budget, the periodic full scan is spaced out
// (up to 16 times its interval) until the use is back well under it.
import { readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux architecture Node supports. */
const HZ = 100;
const MAX_STRETCH = 16;

/** CPU seconds of this process and of its reaped children (/proc/self/stat cutime, cstime). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): cutime and cstime are the 14th and 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(f[13]) + Number(f[14])) / HZ;
  } catch {
    // not Linux: the process's own use is all there is
  }
  return (u.user + u.system) / 1e6 + (Number.isFinite(children) ? children : 0);
}

export class CpuMeter {
  private readonly samples: { at: number; cpu: number }[] = [];

  constructor(
    private readonly windowMs: number,
    private readonly read: () => number = ownCpuSeconds,
    private readonly clock: () => number = Date.now,
  ) {
    this.sample();
  }

  sample(): void {
    const at = this.clock();
    this.samples.push({ at, cpu: this.read() });
    // One sample older than the window stays as its start.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
  }

  /** Percent of one core over the window (or since the start), and the minutes it covers. */
  use(): { percent: number; minutes: number } {
    this.sample();
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const ms = last.at - first.at;
    return {
      percent: ms > 0 ? ((last.cpu - first.cpu) * 1000 * 100) / ms : 0,
      minutes: ms / 60_000,
    };
  }
}

/** The health line's words for a use. */
export function describeUse(u: { percent: number; minutes: number }): string {
  const span =
    u.minutes >= 1 ? `${Math.round(u.minutes)} min` : `${Math.max(1, Math.round(u.minutes * 60))} s`;
  return `cpu ${u.percent.toFixed(2)}% of one core over the last ${span}`;
}

/**
 * How many times the full-scan interval is stretched: doubled while over the budget (after a
 * minute of measure, so the start-up scan does not count alone), halved back under half of it.
 */
export function nextStretch(
  stretch: number,
  use: { percent: number; minutes: number },
  budget: number,
): number {
  if (budget <= 0 || use.minutes < 1) return stretch;
  if (use.percent > budget) return Math.min(MAX_STRETCH, stretch * 2);
  if (use.percent < budget / 2) return Math.max(1, stretch / 2);
  return stretch;
}
