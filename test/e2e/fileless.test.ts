// End-to-end: the look-alike miner started the fileless way, from an anonymous memory file
// (test/lookalike/memfd-launcher.c: memfd_create + fexecve), is reported by `minehunter scan` as
// kind `fileless`; a second copy deleted from disk after it started carries the fileless signal too.
import { execFile } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import {
  describeFinding,
  ensureBuilt,
  findingsForPid,
  processEvidence,
  runCliJson,
  type ReportJson,
} from '../helpers/cli.js';
import {
  FAKE_WALLET,
  acquireHostLock,
  buildLookalike,
  makeTempDir,
  startLookalike,
  waitForCpu,
  type Lookalike,
} from '../helpers/lookalike.js';
import { startStratumPool, type StratumPool } from '../helpers/stratum-pool.js';

const execFileP = promisify(execFile);
const LAUNCHER_SOURCE = fileURLToPath(new URL('../lookalike/memfd-launcher.c', import.meta.url));

let release: (() => Promise<void>) | undefined;
let dir: string | undefined;
let pool: StratumPool | undefined;
let fromMemory: Lookalike | undefined;
let deleted: Lookalike | undefined;
let deletedPath = '';
let report: ReportJson;

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-fileless-');
  const binary = await buildLookalike(dir);
  const launcher = path.join(dir, 'launcher');
  await execFileP('cc', ['-O1', '-Wall', `-DPAYLOAD="${binary}"`, '-o', launcher, LAUNCHER_SOURCE]);
  deletedPath = path.join(dir, 'dbus-daemon-helper');
  await copyFile(binary, deletedPath);
  pool = await startStratumPool();
  fromMemory = startLookalike({
    binary: launcher,
    argv0: '[kworker/1:3]',
    poolPort: pool.port,
    seconds: 120,
  });
  deleted = startLookalike({
    binary: deletedPath,
    argv0: 'dbus-daemon-helper',
    poolPort: pool.port,
    seconds: 120,
  });
  await pool.waitForLogin((l) => l.login === FAKE_WALLET);
  await Promise.all([fromMemory.running, deleted.running]);
  // Deleted after start, as droppers do: the process keeps running from the unlinked inode.
  await rm(deletedPath);
  await Promise.all([waitForCpu(fromMemory.pid, 1.5), waitForCpu(deleted.pid, 1.5)]);
  report = (await runCliJson(['scan', '--format', 'json', '--fail-on', 'none'])).json;
}, 300_000);

afterAll(async () => {
  await fromMemory?.stop();
  await deleted?.stop();
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

function only(pid: number): Finding {
  const hits = findingsForPid(report, pid);
  expect(hits, report.findings.map(describeFinding).join('\n')).toHaveLength(1);
  return hits[0]!;
}

describe('a look-alike miner running without a file on disk', () => {
  it('started from a memfd: reported as kind fileless with the memfd executable and its argv', () => {
    const finding = only(fromMemory!.pid);
    expect(finding.kind, describeFinding(finding) + JSON.stringify(processEvidence(finding))).toBe(
      'fileless',
    );
    expect(finding.ruleId).toBe('fileless');
    expect(finding.level).toBe('critical');
    const proc = processEvidence(finding).find((e) => e.pid === fromMemory!.pid)!;
    expect(proc.exe).toBe('/memfd:kworker');
    expect(proc.exeDeleted).toBe(true);
    expect(proc.argv).toEqual(fromMemory!.argv);
    expect(finding.evidence).toContainEqual({
      type: 'match',
      field: 'exe',
      value: '/memfd:kworker',
      ioc: 'memfd executable',
    });
    // Nothing on disk to quarantine: the plan kills the tree and keeps /proc/PID/exe as evidence.
    expect(finding.remediate).toEqual([
      { type: 'kill-process-tree', pid: fromMemory!.pid, exe: '/memfd:kworker' },
    ]);
    expect(report.verdict.kinds.map((k) => k.kind)).toContain('fileless');
  });

  it('deleted after start: the fileless signal names the deleted executable', () => {
    const finding = only(deleted!.pid);
    const signal = finding.signals.find((s) => s.ruleId === 'fileless');
    expect(signal, describeFinding(finding)).toBeDefined();
    expect(signal!.level).toBe('high');
    expect(signal!.message.en).toContain(`its executable ${deletedPath} was deleted after it started`);
    expect(finding.evidence).toContainEqual({
      type: 'match',
      field: 'exe',
      value: `${deletedPath} (deleted)`,
      ioc: 'deleted executable',
    });
  });
});
