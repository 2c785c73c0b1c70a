// Preloaded into the benchmarked minehunter process (`node --require`) so the benchmark reads that
// process's own peak RSS from the kernel, not a sampled guess from outside.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a --require preload must be CommonJS
const { readFileSync, writeFileSync } = require('node:fs');

/**
 * Peak RSS in KiB. getrusage's maxRSS survives execve, so a child of a larger process (this
 * benchmark's driver, a test runner) reported its parent's peak: the warm content rescan "used"
 * 122-135 MiB, its driver's size, where it used 60. VmHWM is this process's own memory map's
 * (src/util/peak-rss.ts says the same for the CLI).
 */
function peakRssKb() {
  try {
    const m = /^VmHWM:\s*(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: the only figure there is
  }
  return process.resourceUsage().maxRSS;
}

const out = process.env.MINEHUNTER_BENCH_RSS_FILE;
if (out) process.on('exit', () => writeFileSync(out, String(peakRssKb())));
// CPU time (user + system, all threads, in ms): on a shared, loaded machine it says more about the
// work done than wall time does (bench/scale.ts prints both).
const cpuOut = process.env.MINEHUNTER_BENCH_CPU_FILE;
if (cpuOut) {
  process.on('exit', () => {
    const { userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(cpuOut, String(Math.round((userCPUTime + systemCPUTime) / 1000)));
  });
}
