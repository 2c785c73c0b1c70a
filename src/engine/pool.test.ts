// Tests for the content scan's worker pool: it starts one worker, and a second only when work keeps
// waiting for a free one, so a warm rescan with little to read pays for one worker's start, while a
// scan with much to read still uses every worker it may; every batch is answered either way. A worker
// started ahead of its rules is taken by the next pool, or stopped when none takes it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_LIMITS } from './archives.js';
import { compileAllRules } from './content-scan.js';
import { ScanPool, discardStandbyWorker, prestartScanWorker, standbyWorker } from './pool.js';
import { WORKER_YOUNG_GENERATION_MB } from '../util/worker-heap.js';
import type { FileJob } from './scan-job.js';

let dir: string;
let jobs: FileJob[];
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-pool-'));
  jobs = Array.from({ length: 40 }, (_, id) => {
    const file = path.join(dir, `f${id}.txt`);
    // Big enough that a batch of them keeps a worker busy for a while.
    const text = `${'plain text line\n'.repeat(64 * 1024)}${id === 7 ? 'stratum+tcp://pool.example:3333\n' : ''}`;
    writeFileSync(file, text);
    return { id, path: file, io: file, execBit: false, size: Buffer.byteLength(text) };
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startPool(): Promise<ScanPool> {
  const { scanner } = compileAllRules();
  return ScanPool.start(scanner, { size: 2, scan: { timeoutMs: 30_000 }, limits: DEFAULT_ARCHIVE_LIMITS });
}

describe('scan pool', () => {
  it('takes the worker started ahead of its rules, which scans as one started with them', async () => {
    prestartScanWorker();
    expect(standbyWorker()).toBeDefined();
    const pool = await startPool();
    try {
      expect(standbyWorker()).toBeUndefined();
      expect(pool.size).toBe(1);
      expect((await pool.scanFiles(jobs.slice(5, 9))).map((a) => a.id)).toEqual([7]);
    } finally {
      await pool.close();
    }
    // One that no pool takes is stopped; the next pool starts its own.
    prestartScanWorker();
    discardStandbyWorker();
    expect(standbyWorker()).toBeUndefined();
    const next = await startPool();
    try {
      expect((await next.scanFiles(jobs.slice(5, 9))).map((a) => a.id)).toEqual([7]);
    } finally {
      await next.close();
    }
  });

  it('starts its workers with a young generation of 8 MiB, not the 48 MiB Node allows a thread', async () => {
    prestartScanWorker();
    try {
      expect(standbyWorker()!.resourceLimits?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
    } finally {
      discardStandbyWorker();
    }
  });

  it('starts a new worker when the prestarted one dies as the pool takes it', async () => {
    prestartScanWorker();
    // Stopped, but its exit not yet seen: the pool takes a worker that will never be ready.
    void standbyWorker()!.terminate();
    const pool = await startPool();
    try {
      expect(pool.size).toBe(1);
      expect((await pool.scanFiles(jobs.slice(5, 9))).map((a) => a.id)).toEqual([7]);
    } finally {
      await pool.close();
    }
  });

  it('keeps one worker for work that never waits', async () => {
    const pool = await startPool();
    try {
      expect(pool.size).toBe(1);
      // One batch at a time: none ever waits. Only results that say something come back.
      for (const job of jobs.slice(5, 9))
        expect((await pool.scanFiles([job])).map((a) => a.id)).toEqual(job.id === 7 ? [7] : []);
      await new Promise((r) => setTimeout(r, 100));
      expect(pool.size).toBe(1);
      expect(pool.capacity).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('keeps one worker for a steady stream of short tasks, none of which waits long', async () => {
    const pool = await startPool();
    try {
      // Fed as the content scan feeds memory jobs: a few outstanding at a time, for well over the
      // time a queued task may wait, so the queue is seldom empty yet no task waits long.
      const until = Date.now() + 600;
      const feed = async () => {
        while (Date.now() < until) await pool.scanFiles([jobs[5]!]);
      };
      await Promise.all([feed(), feed(), feed()]);
      await new Promise((r) => setTimeout(r, 200));
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('hands a worker its next batch with the one it runs, so a busy main thread does not hold it up', async () => {
    const pool = await startPool();
    try {
      const batch = jobs.slice(0, 20);
      const timed = async (): Promise<number> => {
        const t0 = performance.now();
        await pool.scanFiles(batch);
        return performance.now() - t0;
      };
      // What one batch takes this worker, warm.
      await timed();
      const one = Math.min(await timed(), await timed());
      // Two batches sent, then the main thread busy for longer than both take: the worker had both,
      // so both answers are waiting when it is free again, not the first alone.
      const answers = [pool.scanFiles(batch), pool.scanFiles(batch)];
      const busyUntil = performance.now() + 3 * one + 200;
      while (performance.now() < busyUntil) {
        // the main thread walking files
      }
      const freed = performance.now();
      await Promise.all(answers);
      expect(performance.now() - freed).toBeLessThan(one / 2);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('starts the second worker when batches wait, and answers every one', async () => {
    const pool = await startPool();
    try {
      const batches = Array.from({ length: 8 }, (_, b) => jobs.slice(b * 5, b * 5 + 5));
      const answers = await Promise.all(batches.map((batch) => pool.scanFiles(batch)));
      expect(answers.flat().map((a) => a.id)).toEqual([7]);
      // A backlog (as a cold scan's files make): the last batches wait longer than the pool lets
      // work wait, so the second worker is started (it may join after the last batch, since starting
      // one can take longer than scanning these).
      const backlog = Array.from({ length: 50 }, () => batches).flat();
      const started = Date.now();
      while (pool.size < 2 && Date.now() - started < 20_000)
        await Promise.all(backlog.map((batch) => pool.scanFiles(batch)));
      expect(pool.size).toBe(2);
      // And it scans: more batches than one worker takes at once, all answered.
      const again = await Promise.all(batches.map((batch) => pool.scanFiles(batch)));
      expect(again.flat().map((a) => a.id)).toEqual([7]);
    } finally {
      await pool.close();
    }
  });
});
