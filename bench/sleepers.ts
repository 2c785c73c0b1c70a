// Harmless load for the benchmarks that need a host with many processes (bench/scale.ts,
// bench/watch.ts): idle copies of `sleep` under a few daemon-like names, started in process groups
// so they can be killed at once.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Stand-ins for a server's daemons: copies of `sleep` under a few names. */
const SLEEPER_NAMES = ['queue-worker', 'cache-agent', 'log-shipper', 'metrics-exporter', 'job-runner'];

/** The numeric entries of /proc: the pids this host has now. */
export const pidNames = (): number[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
export const processCount = (): number => pidNames().length;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sleepers started by one shell per executable name, each shell its own process group to kill. */
export class Sleepers {
  private readonly groups: ChildProcess[] = [];
  private readonly bins: string[];

  constructor(dir: string) {
    const sleepBin = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();
    this.bins = SLEEPER_NAMES.map((name) => {
      const bin = path.join(dir, name);
      copyFileSync(sleepBin, bin);
      return bin;
    });
  }

  /** Starts `n` more sleepers (spread over the names) for `seconds`, and waits until the host has them. */
  async add(n: number, seconds = 900): Promise<void> {
    const target = processCount() + n;
    this.bins.forEach((bin, i) => {
      const count = Math.floor(n / this.bins.length) + (i < n % this.bins.length ? 1 : 0);
      if (count === 0) return;
      const script = `i=0; while [ $i -lt ${count} ]; do "$0" ${seconds} & i=$((i+1)); done; wait`;
      this.groups.push(spawn('sh', ['-c', script, bin], { stdio: 'ignore', detached: true }));
    });
    // A few processes of others may end meanwhile: "nearly all" is enough.
    for (let waited = 0; processCount() < target - 5 && waited < 120_000; waited += 200) await pause(200);
    await pause(500); // let the last ones exec
  }

  kill(): void {
    for (const g of this.groups) {
      try {
        if (g.pid !== undefined) process.kill(-g.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.groups.length = 0;
  }
}
