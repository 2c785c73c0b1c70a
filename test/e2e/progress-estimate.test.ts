// End-to-end: halfway through a `scan --path` of a generated 2 GiB tree, the progress bar's time left
// puts the end of the scan within ±30% of when it really ends (the estimate's logic is unit-tested
// in src/util/eta.test.ts; this checks it against a real scan). The tree (random 1 MiB blocks in
// files of 1–8 MiB, and small files of 4–64 KiB) was just written, so it is read from the page
// cache: the scan is bound by the rules' CPU work, which is what a second scan of a real disk costs
// too; at 2 GiB that is tens of seconds on two cores, long enough for the estimate to mean
// something and short enough for the suite. Random data carries no miner strings: no host lock.
// The progress bar is forced on the pipe with MINEHUNTER_PROGRESS=tty.
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
  tree = await generateTree(dir, { totalBytes: 2 * GiB, dirs: 64, bigShare: 0.9 });
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the time-left estimate of a 2 GiB --path scan', () => {
  it('predicts, at half way, an end within ±30% of the real one', async () => {
    const readings: ProgressReading[] = [];
    const run = await runWithProgress(
      ['--lang', 'en', 'scan', '--path', dir, '--no-cache', '--format', 'json'],
      (r) => readings.push(r),
    );
    const result = await run.done;
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { collection: { collector: string; note?: string }[] };
    const note = report.collection.find((c) => c.collector === 'content.scan')?.note ?? '';
    expect(note).toContain(`${tree.files} files, ${tree.bytes} bytes`);

    // The scan proper starts with its first line of counts; the bar shows a percent once the walk
    // of the tree has measured it.
    const start = readings.find((r) => r.files !== undefined);
    const half = readings.find((r) => (r.percent ?? 0) >= 50 && r.secondsLeft !== undefined);
    expect(start, readings.map((r) => r.line).join('\n')).toBeDefined();
    expect(half, readings.map((r) => r.line).join('\n')).toBeDefined();
    const real = result.atMs - start!.atMs;
    const predicted = half!.atMs + half!.secondsLeft! * 1000 - start!.atMs;
    const error = Math.abs(predicted - real) / real;
    console.log(
      `estimate at ${half!.percent}%: ${(predicted / 1000).toFixed(1)} s in all; real ${(real / 1000).toFixed(1)} s (${(error * 100).toFixed(0)}% off)`,
    );
    expect(error).toBeLessThanOrEqual(0.3);
  }, 240_000);
});
