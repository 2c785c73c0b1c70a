// End-to-end: Ctrl-C during a long `scan --path` stops collecting, and the scan still prints what it
// found in the files it had scanned, marked incomplete (header line and `incomplete` in the JSON),
// ending with exit code 130 and nothing left running; a second Ctrl-C quits at once. The tree is
// generated (random blocks, with miner configs planted in some directories), so it holds the host
// lock while it exists.
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../helpers/host-lock.js';
import { FAKE_WALLET, makeTempDir } from '../helpers/lookalike.js';
import { ensureBuilt, type ReportJson } from '../helpers/cli.js';
import { generateTree, type TreeInfo } from '../helpers/big-tree.js';
import { runWithProgress, type ProgressReading } from '../helpers/progress-run.js';

const MiB = 1024 * 1024;
const CONFIG = JSON.stringify(
  {
    autosave: true,
    'donate-level': 1,
    pools: [{ url: 'stratum+tcp://pool.example.test:3333', user: FAKE_WALLET, pass: 'x', algo: 'rx/0' }],
  },
  null,
  2,
);

let release: (() => Promise<void>) | undefined;
let dir: string;
let tree: TreeInfo;

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock(480_000);
  dir = await makeTempDir('minehunter-interrupt-');
  // Big enough that the scan is still going when the signal lands on a fast idle machine (hundreds
  // of MiB/s), small enough to write in a few seconds.
  tree = await generateTree(dir, {
    totalBytes: 512 * MiB,
    dirs: 48,
    plant: { name: 'config.json', text: CONFIG, plantDirs: 48 },
  });
}, 720_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

/** Processes whose parent is `pid`, or whose command line names `needle`: what a scan might leave. */
function leftBehind(pid: number, needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (ppid === pid || (cmdline.includes(needle) && cmdline.includes('main.js'))) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Sends SIGINT (`times` of them, 50 ms apart) once the progress line shows files scanned. */
function interruptWhenScanning(times: number): (r: ProgressReading, child: ChildProcess) => void {
  let sent = false;
  return (r, child) => {
    if (sent || (r.files ?? 0) < 50) return;
    sent = true;
    for (let i = 0; i < times; i++) setTimeout(() => child.kill('SIGINT'), i * 50);
  };
}

describe('Ctrl-C during scan --path', () => {
  it('prints the findings of the files scanned so far in JSON, marked incomplete, exit 130, nothing left running', async () => {
    const run = await runWithProgress(
      ['--lang', 'en', 'scan', '--path', dir, '--no-cache', '--format', 'json'],
      interruptWhenScanning(1),
    );
    const result = await run.done;
    expect(result.stderr).toContain('interrupted: finishing the files in hand');
    expect(result.code).toBe(130);
    const report = JSON.parse(result.stdout) as Omit<ReportJson, 'collection'> & {
      incomplete?: { reason: string; afterMs: number; missing: string[]; partial: string[] };
      collection: { collector: string; status: string; note?: string }[];
    };
    expect(report.incomplete).toMatchObject({ reason: 'interrupted', partial: ['content'] });
    expect(report.incomplete!.afterMs).toBeGreaterThan(0);
    // Nothing it found is reported as clean: a scan cut short is never "clean".
    expect(report.verdict.status).not.toBe('clean');
    const record = report.collection.find((c) => c.collector === 'content.scan')!;
    expect(record.status).toBe('partial');
    const scanned = Number(/(\d+) files/.exec(record.note ?? '')?.[1]);
    expect(scanned).toBeGreaterThan(0);
    expect(scanned).toBeLessThan(tree.files);
    // The planted configs among the files it had scanned are reported; the ones it never reached are not.
    const found = new Set(
      report.findings.flatMap((f) => f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : []))),
    );
    const plantedFound = tree.planted.filter((p) => found.has(p));
    expect(plantedFound.length).toBeGreaterThan(0);
    expect(plantedFound.length).toBeLessThan(tree.planted.length);
    expect(leftBehind(run.child.pid!, dir)).toEqual([]);
  }, 120_000);

  it('says INCOMPLETE at the top of the text report, in English and Chinese', async () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const run = await runWithProgress(
        ['--lang', lang, 'scan', '--path', dir, '--no-cache', '--no-color'],
        interruptWhenScanning(1),
      );
      const result = await run.done;
      expect(result.code).toBe(130);
      const head = result.stdout.split('\n').slice(0, 4).join('\n');
      expect(head).toMatch(
        lang === 'en'
          ? /INCOMPLETE: interrupted \(Ctrl-C\) after \d+ s[^\n]*\n {2}cut short: content/
          : /未完成：扫描在 \d+ 秒后被中断（Ctrl-C）[^\n]*\n {2}中途停止: content/,
      );
      expect(result.stdout).toContain('content-match');
    }
  }, 120_000);

  it('quits at once on a second Ctrl-C, printing no report', async () => {
    const run = await runWithProgress(
      ['--lang', 'en', 'scan', '--path', dir, '--no-cache', '--format', 'json'],
      interruptWhenScanning(2),
    );
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stdout).toBe('');
    expect(leftBehind(run.child.pid!, dir)).toEqual([]);
  }, 120_000);
});
