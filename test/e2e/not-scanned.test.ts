// End-to-end: `scan --path` over a directory holding a 10 GiB sparse file and a zip bomb does not read
// "clean": the verdict is incomplete and says how to cover what was left out, and the JSON report,
// the JSON lines summary, the text report and the §5 report all name what was not scanned and why.
// The sparse file is either left out for its size (too-large, or partly-scanned when scanned by
// parts) and then listed as a gap, or settled whole by scanning it by parts (its holes are zeros),
// and then counted as scanned and not listed: never both, never neither. A twin directory holding
// only a FIFO (left out by design) stays clean. The fixture names end in .img and .zip so that a
// default-scope scan running meanwhile (clean-host) leaves them out by name.
import { execFile } from 'node:child_process';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import type { JsonlSummaryLine } from '../../src/report/render-jsonl.js';
import { ensureBuilt, runCli, type CliResult } from '../helpers/cli.js';
import { zip } from '../helpers/archive-builders.js';
import { makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const GiB = 1024 ** 3;

/** A one-entry deflated zip (local header, data, central directory, end record). */
let dir: string;
let gaps: string;
let fifoOnly: string;
let big: string;
let bomb: string;
let gapsJson: Report;
let gapsSnapshot: Snapshot;
let gapsText: CliResult;
let gapsJsonl: CliResult;
let fifoJson: Report;
let incidentMd: CliResult;

const scan = (target: string, format: string) =>
  runCli(['scan', '--path', target, '--no-cache', '--lang', 'en', '--no-color', '--format', format]);

function parse(r: CliResult, what: string): Report {
  expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-not-scanned-');
  gaps = path.join(dir, 'gaps');
  fifoOnly = path.join(dir, 'fifo');
  await mkdir(gaps);
  await mkdir(fifoOnly);
  // A hole, not data: 10 GiB that costs no disk.
  big = path.join(gaps, 'disk.img');
  await writeFile(big, '');
  await truncate(big, 10 * GiB);
  // 64 MiB of zeros deflate to about 64 KiB: a 1000:1 ratio no real archive has.
  bomb = path.join(gaps, 'bomb.zip');
  await writeFile(bomb, zip([{ name: 'zeros.bin', zeroMiB: 64 }]));
  await execFileP('mkfifo', [path.join(fifoOnly, 'pipe')]);

  const [json, text, jsonl, fifo, collected] = await Promise.all([
    scan(gaps, 'json'),
    scan(gaps, 'text'),
    scan(gaps, 'jsonl'),
    scan(fifoOnly, 'json'),
    runCli(['collect', '--path', gaps, '--no-cache']),
  ]);
  gapsJson = parse(json, 'scan of the gaps');
  expect(collected.code, collected.stderr).toBe(0);
  gapsSnapshot = JSON.parse(collected.stdout) as Snapshot;
  gapsText = text;
  gapsJsonl = jsonl;
  fifoJson = parse(fifo, 'scan of the FIFO');
  const saved = path.join(dir, 'report.json');
  await writeFile(saved, json.stdout);
  incidentMd = await runCli([
    'report',
    '--from-report',
    saved,
    '--no-prompt',
    '--lang',
    'en',
    '--format',
    'md',
  ]);
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A skip of `file` itself, or of an entry inside it (`bomb.zip!zeros.bin`). */
const inFile = (skipPath: string, file: string) => skipPath === file || skipPath.startsWith(`${file}!`);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The sparse file is skipped as too large, or (with scanning by parts) scanned only in parts. */
const SIZE_REASONS = ['too-large', 'partly-scanned'];

/** The sparse file's skip in the report, when it has one. */
const bigSkip = () => gapsJson.notScanned!.entries.find((e) => e.path === big);

describe('scan --path over a 10 GiB file and a zip bomb', () => {
  it('calls the verdict incomplete, not clean, and names the gaps', () => {
    expect(gapsJson.verdict.status).toBe('incomplete');
    // Nothing that would make it suspicious (a low note about the bomb's hiding place may come).
    const serious = gapsJson.findings.filter((f) => ['critical', 'high', 'medium'].includes(f.level));
    expect(serious.map((f) => f.message.en)).toEqual([]);
    const gapReasons = (gapsJson.verdict.scanGaps ?? []).map((g) => g.reason);
    expect(gapReasons).toContain('archive-bomb');
    if (bigSkip()) expect(gapReasons).toContain(bigSkip()!.reason);
  });

  it('lists the bomb in the JSON report with its reason and detail, and counts every skip', () => {
    const ns = gapsJson.notScanned!;
    const reasonsOf = (p: string) => ns.entries.filter((e) => inFile(e.path, p)).map((e) => e.reason);
    expect(reasonsOf(bomb)).toEqual(['archive-bomb']);
    expect(ns.entries.find((e) => inFile(e.path, bomb))?.detail).toMatch(/ratio \d+:1/);
    expect(ns.byReason['archive-bomb']).toBe(1);
    expect(ns.gaps).toBe(bigSkip() ? 2 : 1);
    expect(ns.total).toBeGreaterThanOrEqual(ns.gaps);
  });

  it('lists the 10 GiB file as a gap for its size, or counts it as scanned whole: one or the other', () => {
    const stats = gapsSnapshot.content!.stats;
    const skip = bigSkip();
    if (skip) {
      expect(SIZE_REASONS).toContain(skip.reason);
      expect(skip.detail).toMatch(/\d/);
    } else {
      // Settled by its parts: its 10 GiB count among the bytes scanned, and no skip names it.
      expect(stats.bytes).toBeGreaterThanOrEqual(10 * GiB);
      expect(gapsSnapshot.content!.skipped.filter((s) => s.path === big)).toEqual([]);
    }
    // The report counts what the snapshot counts.
    expect(gapsJson.notScanned!.byReason).toEqual(
      Object.fromEntries(Object.entries(stats.skippedByReason).filter(([, n]) => n > 0)),
    );
  });

  it('prints a Not scanned section and the way to cover the gaps in the text report', () => {
    expect(gapsText.code, gapsText.stderr).toBe(0);
    const out = gapsText.stdout;
    expect(out).toContain('Verdict: NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE');
    expect(out).toMatch(/not scanned \(archive-bomb\): unpack it by hand/);
    const section = out.slice(out.indexOf('Not scanned ('));
    expect(section).toMatch(/● archive-bomb \(1\): /);
    expect(section).toMatch(new RegExp(`\\n {4}${escapeRe(bomb)}(?:![^\\n]*)? — [^\\n]*ratio \\d+:1`));
    if (bigSkip()) {
      expect(section).toContain(`\n    ${big} — `);
      expect(out).toContain('raise --max-file-size');
    } else expect(section).not.toContain(big);
  });

  it('counts the gaps in the JSON lines summary', () => {
    expect(gapsJsonl.code, gapsJsonl.stderr).toBe(0);
    const summary = JSON.parse(gapsJsonl.stdout.trim().split('\n').at(-1)!) as JsonlSummaryLine;
    expect(summary.verdict).toBe('incomplete');
    expect(summary.notScanned).toEqual({
      total: gapsJson.notScanned!.total,
      gaps: gapsJson.notScanned!.gaps,
      byReason: gapsJson.notScanned!.byReason,
    });
  });

  it('says the same in the §5 incident report', () => {
    expect(incidentMd.code, incidentMd.stderr).toBe(0);
    const md = incidentMd.stdout;
    expect(md).toContain('**NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE**');
    expect(md).toContain('### Not scanned (');
    expect(md).toContain('**archive-bomb (1): ');
    expect(md).toContain('bomb.zip');
    if (bigSkip()) expect(md).toContain('disk.img');
  });
});

describe('scan --path over a directory holding only a FIFO', () => {
  it('stays clean: a special file is left out by design, and is still listed', () => {
    expect(fifoJson.verdict.status).toBe('clean');
    expect(fifoJson.verdict.scanGaps).toBeUndefined();
    expect(fifoJson.notScanned).toMatchObject({ total: 1, gaps: 0, byReason: { 'special-file': 1 } });
    expect(fifoJson.notScanned?.entries).toEqual([
      { path: path.join(fifoOnly, 'pipe'), reason: 'special-file', detail: 'fifo' },
    ]);
  });
});
