// End-to-end: halfway through a `scan --path` of a generated 5 GiB tree, the time left the progress
// bar shows is within ±30% of the time the scan really has left (the estimate's logic is unit-tested
// in src/util/eta.test.ts; this checks it against a real scan). The tree (random 1 MiB blocks in
// files of 1–8 MiB, and small files of 4–64 KiB) was just written, so it is read from the page
// cache: the scan is bound by the rules' CPU work, which is what a second scan of a real disk costs
// too. That is fast: the CLI is pinned to one CPU (`taskset -c 0`), which it then takes as all the
// cores it has (one scan worker), and the tree is 5 GiB, so that the scan lasts long enough for a
// bar redrawn four times a second to show a time left near halfway (measured on this machine kind:
// 1.3 s for 2 GiB on one core since the scan got faster, 2026-12-03; the estimator needs a second of
// progress first). The reading judged is the one with a time left nearest to half the scan's real duration,
// from its first line of counts to the bar cleared at its end; it must lie between 35% and 65% of
// it. Random data carries no miner strings: no host lock. The progress bar is forced on the pipe
// with MINEHUNTER_PROGRESS=tty. ESTIMATE_REPEATS=N runs the scan N more times on the same tree, to
// see how the estimate fares on a busy machine.
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli.js';
import { generateTree, type TreeInfo } from '../helpers/big-tree.js';
import { makeTempDir } from '../helpers/lookalike.js';
import { runWithProgress, type ProgressReading } from '../helpers/progress-run.js';

const GiB = 1024 * 1024 * 1024;

let dir: string;
let tree: TreeInfo;

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-estimate-');
  tree = await generateTree(dir, { totalBytes: 5 * GiB, dirs: 64, bigShare: 0.9 });
  // The kernel writes a freshly written tree back to disk over the next seconds; a scan started at
  // once would share the machine with that writeback (measured: a scan twice as slow in its first
  // half). `sync` waits for it, so the scan runs as a second scan of a real disk would.
  spawnSync('sync', { stdio: 'ignore' });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The reading with a time left whose moment is nearest to `at`. */
function nearest(readings: ProgressReading[], at: number): ProgressReading | undefined {
  let best: ProgressReading | undefined;
  for (const r of readings)
    if (r.secondsLeft !== undefined && (!best || Math.abs(r.atMs - at) < Math.abs(best.atMs - at))) best = r;
  return best;
}

describe('the time-left estimate of a 5 GiB --path scan', () => {
  it(
    'halfway through the scan, shows a time left within ±30% of the real one',
    { timeout: 240_000, repeats: Number(process.env.ESTIMATE_REPEATS ?? 0) },
    async () => {
      const readings: ProgressReading[] = [];
      const run = await runWithProgress(
        ['--lang', 'en', 'scan', '--path', dir, '--no-cache', '--format', 'json'],
        (r) => readings.push(r),
        { cpus: '0' },
      );
      const result = await run.done;
      const lines = readings.map((r) => `${(r.atMs / 1000).toFixed(2)} s  ${r.line}`).join('\n');
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as { collection: { collector: string; note?: string }[] };
      const note = report.collection.find((c) => c.collector === 'content.scan')?.note ?? '';
      expect(note).toContain(`${tree.files} files, ${tree.bytes} bytes`);

      // The scan proper starts with its first line of counts and ends when the bar is cleared.
      const start = readings.find((r) => r.files !== undefined);
      expect(start, `no line of counts:\n${lines}`).toBeDefined();
      expect(result.clearedAtMs, 'the bar was never cleared').toBeDefined();
      const end = result.clearedAtMs!;
      const duration = end - start!.atMs;
      const half = nearest(readings, start!.atMs + duration / 2);
      expect(half, `no reading shows a time left:\n${lines}`).toBeDefined();
      const position = (half!.atMs - start!.atMs) / duration;
      const realLeft = (end - half!.atMs) / 1000;
      // The bar shows whole seconds: a shown "2 s" stands for anything from 1.5 to 2.5 s, so the
      // half second of rounding is not counted against the estimate (it matters on a fast machine,
      // where the whole scan takes a few seconds).
      const error = Math.max(0, Math.abs(half!.secondsLeft! - realLeft) - 0.5) / realLeft;
      console.log(
        `scan ${(duration / 1000).toFixed(1)} s wall, ${result.cpuSecondsAtClear?.toFixed(1) ?? '?'} s CPU ` +
          `(pinned to CPU ${run.pinnedTo ?? 'none'}), ${readings.length} readings; ` +
          `reading at ${(position * 100).toFixed(0)}% of the scan (${half!.percent}% on the bar): ` +
          `about ${half!.secondsLeft} s left, really ${realLeft.toFixed(1)} s (${(error * 100).toFixed(0)}% off)`,
      );
      expect(
        position,
        `the reading nearest halfway came at ${(position * 100).toFixed(0)}% of a ${(duration / 1000).toFixed(1)} s scan: too few readings with a time left to judge the estimate halfway\n${lines}`,
      ).toBeGreaterThanOrEqual(0.35);
      expect(
        position,
        `the reading nearest halfway came at ${(position * 100).toFixed(0)}%\n${lines}`,
      ).toBeLessThanOrEqual(0.65);
      expect(
        error,
        `time left ${half!.secondsLeft} s against ${realLeft.toFixed(1)} s\n${lines}`,
      ).toBeLessThanOrEqual(0.3);
    },
  );
});
