// End-to-end (issue 14): the built CLI on a Windows system drive built by
// test/helpers/windows-volume.ts. `scan --root` recognises the volume and reports each planted
// object (driver service hy5.5 and its driver, the Run key, the hidden TaskCache task, the
// encoded-PowerShell task, the task starting win1logon.exe, the WMI consumer, the Fonts folders and
// the miner files) with its kind and the Windows object named in the evidence; the clean twin gives
// nothing at medium or above; `collect --root` then `analyze` gives the same findings; `respond
// --root` prints PowerShell commands and changes nothing; `--apply` only quarantines files (hives
// untouched) and `undo` puts them back.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../helpers/host-lock.js';
import type { Finding, Level, MinerKind } from '../../src/model/finding.js';
import { SnapshotSchema } from '../../src/snapshot/schema.js';
import {
  describeFinding,
  ensureBuilt,
  runCli,
  runCliJson,
  type CliResult,
  type ReportJson,
} from '../helpers/cli.js';
import { CRADLE, DRIVER_NAME, PLANTED, buildWindowsVolume } from '../helpers/windows-volume.js';

/** Medium and above: what the clean twin must not give and every planted object must. */
const NOTABLE: readonly Level[] = ['critical', 'high', 'medium'];

let dir: string;
let infected: string;
let clean: string;
let snapFile: string;
let scanned: CliResult & { json: ReportJson };
let scannedClean: CliResult & { json: ReportJson };
let textZh: CliResult;
let textEnClean: CliResult;
let collected: CliResult;
let analyzed: CliResult & { json: ReportJson };
let responded: CliResult;
let applyVolume: string;
let applyOut: string;
let applied: CliResult;
let applyHashes: Map<string, string>;
let hashesBefore: Map<string, string>;

/** Every string in a finding's evidence, joined: where the Windows object must be named. */
function evidenceText(f: Finding): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(f.evidence);
  return out.join('\n');
}

/** Evidence, message and data: where a decoded script may be shown. */
const findingText = (f: Finding): string =>
  `${evidenceText(f)}\n${f.message.en}\n${JSON.stringify(f.data ?? {})}`;

/** A volume path in evidence: `/Windows/Fonts/arial` (target path) or `C:\Windows\Fonts\arial`. */
function namesFile(f: Finding, rel: string): boolean {
  const text = evidenceText(f).toLowerCase();
  return (
    text.includes(`/${rel}`.toLowerCase()) || text.includes(`c:\\${rel.replace(/\//g, '\\')}`.toLowerCase())
  );
}

const notable = (r: ReportJson): Finding[] =>
  r.findings.filter((f) => NOTABLE.includes(f.level) && !f.allowed);

function listing(r: ReportJson): string {
  return r.findings
    .map((f) => `${describeFinding(f)}\n    evidence: ${evidenceText(f).replace(/\n/g, ' | ')}`)
    .join('\n');
}

/** The notable findings whose evidence names `what`, for an assertion with the whole report in its message. */
function about(r: ReportJson, what: (f: Finding) => boolean): Finding[] {
  return notable(r).filter(what);
}

function expectKind(
  r: ReportJson,
  label: string,
  kind: MinerKind | undefined,
  what: (f: Finding) => boolean,
): Finding[] {
  const found = about(r, what);
  expect(
    found.length,
    `no finding at medium or above for ${label}; the report has:\n${listing(r)}`,
  ).toBeGreaterThan(0);
  if (kind)
    expect(
      found.map((f) => f.kind),
      `${label} is reported, but not as ${kind}:\n${found.map(describeFinding).join('\n')}`,
    ).toContain(kind);
  return found;
}

/** sha256 of every planted and stock file that respond must leave alone (plan only). */
async function hashes(root: string, rels: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of rels)
    out.set(
      rel,
      createHash('sha256')
        .update(await readFile(path.join(root, rel)))
        .digest('hex'),
    );
  return out;
}

const WATCHED = [
  'Windows/System32/config/SYSTEM',
  'Windows/System32/config/SOFTWARE',
  PLANTED.driverService.file,
  PLANTED.typosquat.file,
  PLANTED.encodedTask.file,
  ...PLANTED.minerFiles,
];

/** Stock files respond must never touch. */
const STOCK = [
  'Users/alice/NTUSER.DAT',
  'Windows/System32/svchost.exe',
  'Windows/System32/drivers/disk.sys',
  'Windows/Fonts/arial.ttf',
  'Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag',
  'Windows/System32/wbem/Repository/OBJECTS.DATA',
];

/** Files the plan quarantines on the volume: the programs and files in the planted places. */
const QUARANTINED: string[] = [PLANTED.driverService.file, PLANTED.typosquat.file, ...PLANTED.minerFiles];

let releaseHost: (() => Promise<void>) | undefined;

beforeAll(async () => {
  await ensureBuilt();
  // Miner-like files under /tmp: tests that scan this host must not see them, so they exist only
  // while the host lock is held (test/helpers/host-lock.ts).
  releaseHost = await acquireHostLock();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-winvol-'));
  infected = path.join(dir, 'infected');
  clean = path.join(dir, 'clean');
  applyVolume = path.join(dir, 'apply');
  applyOut = path.join(dir, 'respond-out');
  for (const [root, planted] of [
    [infected, true],
    [clean, false],
    [applyVolume, true],
  ] as const) {
    await mkdir(root);
    await buildWindowsVolume(root, { infected: planted });
  }
  hashesBefore = await hashes(infected, WATCHED);
  applyHashes = await hashes(applyVolume, [...WATCHED, ...STOCK]);
  snapFile = path.join(dir, 'snap.json');
  // Run from the temp dir so nothing a command might write lands in the checkout; a loaded
  // machine running the whole suite gets more than the default minute per run.
  const opts = { cwd: dir, timeoutMs: 180_000 };
  const en = ['--no-cache', '--lang', 'en'];
  [scanned, scannedClean, textZh, textEnClean, collected] = await Promise.all([
    runCliJson(['scan', '--root', infected, '--format', 'json', ...en], opts),
    runCliJson(['scan', '--root', clean, '--format', 'json', ...en], opts),
    runCli(['scan', '--root', infected, '--no-cache', '--lang', 'zh-CN'], opts),
    runCli(['scan', '--root', clean, ...en], opts),
    runCli(['collect', '--root', infected, '--no-cache', '-o', snapFile], opts),
  ]);
  [analyzed, responded, applied] = await Promise.all([
    runCliJson(['analyze', snapFile, '--format', 'json', '--lang', 'en'], opts),
    // Plan only.
    runCli(['respond', '--root', infected, ...en], opts),
    // --apply on a volume of its own, so the scans above read the volume as planted.
    runCli(['respond', '--root', applyVolume, '--apply', '--yes', '--out', applyOut, ...en], opts),
  ]);
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await releaseHost?.();
});

describe('scan --root on a Windows volume', () => {
  it('recognises the volume and runs the Windows collectors', () => {
    expect(scanned.stderr).not.toMatch(/TypeError|ReferenceError|at .*\.js:\d+/);
    expect((scanned.json.target as { kind?: string }).kind).toBe('windows-volume');
    const records = scanned.json.collection as { collector: string; status: string }[];
    for (const id of ['windows.registry', 'windows.tasks', 'windows.wmi', 'windows.files'])
      expect(
        records.find((r) => r.collector === id)?.status,
        `collector ${id}: ${JSON.stringify(records.find((r) => r.collector === id))}`,
      ).toBe('ok');
    expect(scanned.code).toBe(1);
  });

  it('reports the driver service hy5.5 and its random-named driver in Temp as a driver', () => {
    const found = expectKind(scanned.json, 'service hy5.5', 'driver', (f) =>
      evidenceText(f).includes(PLANTED.driverService.service),
    );
    const driver = found.filter((f) => f.kind === 'driver');
    expect(driver.some((f) => evidenceText(f).includes(PLANTED.driverService.key))).toBe(true);
    expect(driver.some((f) => evidenceText(f).includes(DRIVER_NAME))).toBe(true);
  });

  it('reports the WMI CommandLineEventConsumer as fileless', () => {
    const found = expectKind(scanned.json, `WMI consumer ${PLANTED.wmi.consumer}`, 'fileless', (f) =>
      evidenceText(f).includes(PLANTED.wmi.consumer),
    );
    expect(found.some((f) => findingText(f).includes('http://127.0.0.1/w.ps1'))).toBe(true);
  });

  it('reports every folder under Windows\\Fonts as a hidden directory', () => {
    for (const name of PLANTED.fontsDirs)
      expectKind(scanned.json, `Windows/Fonts/${name}`, 'hidden-directory', (f) =>
        namesFile(f, `Windows/Fonts/${name}`),
      );
  });

  it('reports the miner files as an open-source miner', () => {
    for (const file of PLANTED.minerFiles)
      expectKind(scanned.json, file, 'open-source-miner', (f) => namesFile(f, file));
  });

  it('reports the hidden PowerShell -enc task as fileless, with the decoded cradle', () => {
    const found = expectKind(scanned.json, `task ${PLANTED.encodedTask.path}`, 'fileless', (f) =>
      evidenceText(f).includes(PLANTED.encodedTask.path),
    );
    expect(
      found.some((f) => findingText(f).includes(CRADLE)),
      `the decoded script is not shown:\n${found.map((f) => findingText(f)).join('\n---\n')}`,
    ).toBe(true);
  });

  it('reports the Run value that starts the typosquatted miner', () => {
    const found = expectKind(scanned.json, `Run value ${PLANTED.runKey.value}`, undefined, (f) =>
      evidenceText(f).includes(PLANTED.runKey.value),
    );
    expect(found.some((f) => evidenceText(f).includes(PLANTED.runKey.key))).toBe(true);
  });

  it('reports the task hidden in the TaskCache (Tree key without SD)', () => {
    expectKind(scanned.json, `hidden task ${PLANTED.hiddenTask.path}`, undefined, (f) =>
      evidenceText(f).includes(PLANTED.hiddenTask.path),
    );
  });

  it('reports the task that starts win1logon.exe and the typosquat itself', () => {
    expectKind(scanned.json, `task ${PLANTED.typosquatTask.path}`, undefined, (f) =>
      evidenceText(f).includes(PLANTED.typosquatTask.path),
    );
    expectKind(scanned.json, PLANTED.typosquat.file, 'driver', (f) => namesFile(f, PLANTED.typosquat.file));
  });

  it('reports nothing at medium or above that is not a planted object', () => {
    const planted = [
      PLANTED.driverService.service,
      DRIVER_NAME,
      PLANTED.runKey.value,
      'wuauc1t.exe',
      PLANTED.hiddenTask.path,
      PLANTED.encodedTask.path,
      'SyncTask',
      PLANTED.typosquatTask.path,
      'WinLogonCheck',
      PLANTED.typosquat.name,
      PLANTED.wmi.consumer,
      ...PLANTED.fontsDirs.map((d) => `Fonts/${d}`),
      ...PLANTED.fontsDirs.map((d) => `Fonts\\${d}`),
    ];
    const stray = notable(scanned.json).filter((f) => !planted.some((p) => evidenceText(f).includes(p)));
    expect(stray.map(describeFinding)).toEqual([]);
  });

  it('tells how to verify each Windows finding on the Windows host', () => {
    const windowsFindings = notable(scanned.json).filter((f) => f.ruleId.startsWith('windows-'));
    expect(windowsFindings.length).toBeGreaterThan(0);
    for (const f of windowsFindings)
      expect(f.verify.en, describeFinding(f)).toMatch(
        /Get-[A-Z]\w+|sc(\.exe)? (query|qc)|schtasks|reg(\.exe)? query|Get-CimInstance|Get-AuthenticodeSignature/,
      );
  });

  it('prints the report in Chinese with the Windows objects named', () => {
    expect(textZh.code, textZh.stderr).toBe(1);
    expect(textZh.stdout).toMatch(/[\u4e00-\u9fff]/);
    for (const name of [PLANTED.driverService.service, 'SyncTask', PLANTED.wmi.consumer, 'win1logon.exe'])
      expect(textZh.stdout, `zh-CN text does not name ${name}`).toContain(name);
  });
});

describe('the clean twin', () => {
  it('is a Windows volume with nothing at medium or above', () => {
    expect((scannedClean.json.target as { kind?: string }).kind).toBe('windows-volume');
    expect(notable(scannedClean.json).map(describeFinding)).toEqual([]);
    expect(scannedClean.code, scannedClean.stderr).toBe(0);
  });
});

describe('the text report of a Windows volume', () => {
  it('names the target as a Windows volume and says what a copy cannot show', async () => {
    expect(textEnClean.code, textEnClean.stderr).toBe(0);
    expect(textEnClean.stdout).toMatch(/^Scope: .*Windows/m);
    const snapshot = SnapshotSchema.parse(JSON.parse(await readFile(snapFile, 'utf8')));
    const limits = snapshot.windows?.limits ?? [];
    expect(limits.length).toBeGreaterThan(0);
    // Each limit in the report's own words (report/i18n.ts `limit.*`).
    const said: Record<string, RegExp> = {
      'no-attributes': /keeps no DOS attributes/,
      'no-running-state': /holds no running processes/,
    };
    for (const limit of limits)
      expect(textEnClean.stdout, `the report does not say: ${limit}`).toMatch(said[limit]!);
  });
});

describe('collect --root then analyze', () => {
  it('writes a snapshot holding the Windows facts', async () => {
    expect(collected.code, collected.stderr).toBe(0);
    const snapshot = SnapshotSchema.parse(JSON.parse(await readFile(snapFile, 'utf8')));
    expect(snapshot.target?.kind).toBe('windows-volume');
    const windows = snapshot.windows;
    expect(windows?.services?.map((s) => s.name)).toContain(PLANTED.driverService.service);
    expect(windows?.tasks?.map((t) => t.path)).toContain(PLANTED.encodedTask.path);
    expect(windows?.taskCache?.find((t) => t.path === PLANTED.hiddenTask.path)?.sdMissing).toBe(true);
    expect(windows?.wmi?.map((w) => w.consumer.name)).toContain(PLANTED.wmi.consumer);
    expect(windows?.autostarts?.map((a) => a.value)).toContain(PLANTED.runKey.value);
  });

  it('gives the same findings as scan', () => {
    expect(analyzed.code, analyzed.stderr).toBe(1);
    const fingerprints = (r: ReportJson): string[] =>
      notable(r)
        .map((f) => `${f.ruleId} ${f.fingerprint}`)
        .sort();
    expect(fingerprints(analyzed.json)).toEqual(fingerprints(scanned.json));
  });
});

describe('respond --root (plan only)', () => {
  it('prints PowerShell commands for the Windows host', () => {
    expect(responded.code, responded.stderr).not.toBe(2);
    const out = responded.stdout;
    expect(out, out).toMatch(/sc(\.exe)? (stop|delete) ["']?hy5\.5/i);
    expect(out, out).toMatch(/Unregister-ScheduledTask/);
    expect(out, out).toMatch(/Remove-ItemProperty[^\n]*WindowsUpdateSvc/);
    expect(out, out).toMatch(/Remove-CimInstance|Remove-WmiObject/);
    expect(out, out).toContain(PLANTED.hiddenTask.path);
  });

  it('changes nothing on the volume', async () => {
    expect(await hashes(infected, WATCHED)).toEqual(hashesBefore);
  });
});

describe('respond --root --apply on a Windows volume', () => {
  it('quarantines only files and never edits a hive', async () => {
    // 1: the rescan still finds what only the PowerShell steps on the Windows host remove.
    expect([0, 1], `${applied.stdout}\n${applied.stderr}`).toContain(applied.code);
    expect(applied.stdout).not.toContain('[FAILED]');
    for (const rel of QUARANTINED)
      expect(existsSync(path.join(applyVolume, rel)), `${rel} is still on the volume`).toBe(false);
    const after = await hashes(applyVolume, [
      ...STOCK,
      ...WATCHED.filter((rel) => !QUARANTINED.includes(rel)),
    ]);
    for (const [rel, sha] of after) expect(sha, `${rel} changed`).toBe(applyHashes.get(rel));
  });

  it('is undone byte for byte', async () => {
    const undo = await runCli(['undo', path.join(applyOut, 'journal.jsonl')], { cwd: dir });
    expect(undo.code, `${undo.stdout}\n${undo.stderr}`).toBe(0);
    expect(await hashes(applyVolume, [...WATCHED, ...STOCK])).toEqual(applyHashes);
  });
});
