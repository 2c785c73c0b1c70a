// The scan's progress on standard error: a walk of a --path tree counts exactly the bytes the content
// scan then reads (the estimate's denominator), statfs gives --full's at once; a terminal gets one
// redrawn line with percent and time left that never outgrows it, a log one line per phase, --quiet
// nothing.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanContent, type ContentProgress } from '../engine/content-scan.js';
import { displayWidth } from '../report/wrap.js';
import {
  ScanProgress,
  contentLine,
  filesystemTotals,
  fullScanTotals,
  progressMode,
  treeTotals,
} from './progress.js';

let dir: string;
let tree: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-progress-'));
  tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'a', 'b'), { recursive: true });
  // 24 files of 1 MiB of varied bytes (not constant: scanned whole) and a few small ones.
  for (let i = 0; i < 24; i++) {
    const buf = Buffer.alloc(MiB);
    for (let j = 0; j < buf.length; j += 4) buf.writeUInt32LE((i * 2654435761 + j * 40503) >>> 0, j);
    await writeFile(path.join(tree, i % 2 ? 'a' : path.join('a', 'b'), `blob${i}.bin`), buf);
  }
  for (let i = 0; i < 10; i++) await writeFile(path.join(tree, `note${i}.txt`), `plain text ${i}\n`);
  // A link is not followed: what it points to is not counted twice.
  await symlink(path.join(tree, 'a'), path.join(tree, 'link'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake stderr that keeps what was written. */
function sink(columns?: number) {
  const writes: string[] = [];
  return { writes, out: { write: (s: string) => writes.push(s), ...(columns ? { columns } : {}) } };
}

describe('expected totals', () => {
  it('counts the files and bytes a --path scan reads, without following links', async () => {
    const totals = await treeTotals([tree], false);
    const { content } = await scanContent({
      scope: 'paths',
      roots: [tree],
      oneFileSystem: true,
      maxFileSize: 64 * MiB,
      exclude: [],
      workers: 2,
    });
    expect(totals).toEqual({ bytes: content.stats.bytes, files: content.stats.files });
    expect(totals?.files).toBe(34);
  }, 60_000);

  it('stops when the scan ended first, and reads statfs for --full', async () => {
    expect(await treeTotals([tree], false, { aborted: true })).toBeUndefined();
    const fs = await filesystemTotals([dir, dir]);
    expect(fs?.bytes).toBeGreaterThan(0);
    // The same filesystem named twice counts once (other tests write to it meanwhile: not twice).
    const once = await filesystemTotals([dir]);
    expect(fs?.bytes).toBeLessThan((once?.bytes ?? 0) * 1.5);
  });

  it('counts an offline --full root that is a directory of a larger disk by its tree, not the disk', async () => {
    expect(await fullScanTotals(tree)).toEqual(await treeTotals([tree], false));
    expect((await fullScanTotals('/'))?.bytes).toBeGreaterThan(0);
  });
});

describe('ScanProgress', () => {
  const files = (bytes: number, walking = false): ContentProgress => ({
    phase: 'files',
    files: Math.floor(bytes / MiB),
    bytes,
    bytesSeen: 100 * MiB,
    walking,
  });

  it('on a terminal: one redrawn line with the bar, percent and time left, cut to the width', () => {
    let now = 0;
    const { writes, out } = sink(60);
    const p = new ScanProgress('en', 'tty', out, () => now);
    p.phase('linux.processes');
    for (let mib = 0; mib <= 50; mib += 5) {
      now += 1000;
      p.content(files(mib * MiB));
    }
    p.end();
    expect(writes[0]).toBe('\r\x1b[Kreading processes…');
    const last = writes.at(-2)!;
    expect(last.startsWith('\r\x1b[K')).toBe(true);
    expect(last.slice(4)).toMatch(/^\[█+░+\] 50% · /);
    for (const w of writes) expect(displayWidth(w.replace('\r\x1b[K', ''))).toBeLessThan(60);
    expect(writes.at(-1)).toBe('\r\x1b[K');
    const full = contentLine('en', files(50 * MiB), 10_000, { fraction: 0.5, secondsLeft: 10 });
    expect(full).toBe('[██████████░░░░░░░░░░] 50% · 50 files, 50.0 MiB, 5.0 MiB/s · about 10 s left');
    expect(contentLine('zh-CN', files(50 * MiB), 10_000, { fraction: 0.5, secondsLeft: 130 })).toContain(
      '预计还需 2 分 10 秒',
    );
  });

  it('draws nothing once ended (a scan stopped by Ctrl-C lands its last batches unseen)', () => {
    let now = 0;
    const { writes, out } = sink(80);
    const p = new ScanProgress('en', 'tty', out, () => now);
    p.content(files(MiB));
    p.end();
    const count = writes.length;
    now += 1000;
    p.content(files(2 * MiB));
    p.phase('linux.stealth');
    expect(writes.length).toBe(count);
  });

  it('redraws a few times a second, not on every report', () => {
    let now = 0;
    const { writes, out } = sink();
    const p = new ScanProgress('en', 'tty', out, () => now);
    for (let i = 0; i < 40; i++) {
      now += 100;
      p.content(files(i * MiB, true));
    }
    expect(writes.length).toBeLessThanOrEqual(40 / 2.5 + 1);
    // Walking with nothing expected: no percent is made up.
    expect(writes.at(-1)).toContain('estimating the time left…');
  });

  it('not on a terminal: one plain line per phase; quiet: nothing', () => {
    const { writes, out } = sink();
    const p = new ScanProgress('zh-CN', 'lines', out);
    p.phase('linux.processes');
    p.phase('linux.processes');
    p.phase('content.scan');
    for (let i = 0; i < 5; i++) p.content(files(i * MiB));
    p.content({ ...files(5 * MiB), phase: 'memory' });
    p.content({ ...files(5 * MiB), phase: 'memory' });
    p.end();
    expect(writes).toEqual([
      'minehunter: 正在读取进程……\n',
      'minehunter: 正在扫描文件内容和进程内存……\n',
      'minehunter: 正在扫描进程内存……\n',
    ]);
    const quiet = sink();
    const q = new ScanProgress('en', progressMode(true, { isTTY: true }), quiet.out);
    q.phase('linux.processes');
    q.content(files(MiB));
    q.end();
    expect(quiet.writes).toEqual([]);
    expect(progressMode(false, { isTTY: false }, {})).toBe('lines');
    expect(progressMode(false, { isTTY: true }, {})).toBe('tty');
  });

  it('MINEHUNTER_PROGRESS chooses the form on any stream; --quiet still wins; other values are ignored', () => {
    expect(progressMode(false, { isTTY: false }, { MINEHUNTER_PROGRESS: 'tty' })).toBe('tty');
    expect(progressMode(false, { isTTY: true }, { MINEHUNTER_PROGRESS: 'lines' })).toBe('lines');
    expect(progressMode(false, { isTTY: true }, { MINEHUNTER_PROGRESS: 'off' })).toBe('off');
    expect(progressMode(true, { isTTY: false }, { MINEHUNTER_PROGRESS: 'tty' })).toBe('off');
    expect(progressMode(false, { isTTY: false }, { MINEHUNTER_PROGRESS: 'bar' })).toBe('lines');
  });
});
