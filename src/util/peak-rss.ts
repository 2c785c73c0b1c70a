// This process's peak resident set size. getrusage's maxRSS survives execve: a process started by a
// larger one (a benchmark's driver, a test runner, a Node orchestrator) reports its parent's peak
// until it exceeds it (measured here: 311 MB for a 40 MB child of a 311 MB parent). The kernel's
// VmHWM belongs to the process's own memory map, made new at exec, so it says what this one used.
import { readFileSync } from 'node:fs';

/** Peak RSS in KiB: VmHWM from /proc/self/status, or getrusage's maxRSS where there is none. */
export function peakRssKb(): number {
  try {
    const m = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux, or no procfs: the only figure there is
  }
  return process.resourceUsage().maxRSS;
}
