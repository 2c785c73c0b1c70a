// Preloaded into the benchmarked minehunter process (`node --require`) so the benchmark reads that
// process's own peak RSS from the kernel, not a sampled guess from outside.
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a --require preload must be CommonJS
const { writeFileSync } = require('node:fs');

const out = process.env.MINEHUNTER_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    // maxRSS is in kilobytes on Linux.
    writeFileSync(out, String(process.resourceUsage().maxRSS));
  });
}
// CPU time (user + system, all threads, in ms): on a shared, loaded machine it says more about the
// work done than wall time does (bench/scale.ts prints both).
const cpuOut = process.env.MINEHUNTER_BENCH_CPU_FILE;
if (cpuOut) {
  process.on('exit', () => {
    const { userCPUTime, systemCPUTime } = process.resourceUsage();
    writeFileSync(cpuOut, String(Math.round((userCPUTime + systemCPUTime) / 1000)));
  });
}
