// End-to-end (issue 22): the built CLI's `audit --root` on the Windows system drives of
// test/helpers/windows-audit-volume.ts. The hardened twin passes every Windows check (exit 0 at
// --fail-on high); the exposed twin fails exactly the expected ones with their registry evidence
// (exit 1), in JSON, SARIF and zh-CN text; `--fix-script` writes the PowerShell hardening script and
// changes nothing on the volume; on a Linux root `--fix-script` is a usage error.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditReportSchema, type AuditReport } from '../../src/audit/run.js';
import { ensureBuilt, runCli, type CliResult } from '../helpers/cli.js';
import {
  AUTOLOGON_PASSWORD,
  buildWindowsAuditVolume,
  EXPOSED_FAILS,
} from '../helpers/windows-audit-volume.js';

let dir: string;
let hardenedRoot: string;
let exposedRoot: string;
let hardened: CliResult & { report: AuditReport };
let exposed: CliResult & { report: AuditReport };
let exposedBefore: string;

/** A digest of every file's path and content under `root`: proof nothing was written there. */
async function treeDigest(root: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = path.join(d, e.name);
      h.update(p);
      if (e.isDirectory()) await walk(p);
      else h.update(await readFile(p)).update(String((await stat(p)).mtimeMs));
    }
  };
  await walk(root);
  return h.digest('hex');
}

async function auditJson(root: string, extra: string[] = []): Promise<CliResult & { report: AuditReport }> {
  const r = await runCli(['audit', '--root', root, '--format', 'json', '--fail-on', 'high', ...extra]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`audit exited ${r.code}: ${r.stderr}`);
  return { ...r, report: AuditReportSchema.parse(JSON.parse(r.stdout)) };
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'mh-audit-windows-'));
  hardenedRoot = path.join(dir, 'hardened');
  exposedRoot = path.join(dir, 'exposed');
  await buildWindowsAuditVolume(hardenedRoot, { exposed: false });
  await buildWindowsAuditVolume(exposedRoot, { exposed: true });
  exposedBefore = await treeDigest(exposedRoot);
  [hardened, exposed] = await Promise.all([
    auditJson(hardenedRoot),
    auditJson(exposedRoot, ['--fix-script', path.join(dir, 'harden.ps1')]),
  ]);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('minehunter audit --root on a Windows volume', () => {
  it('the hardened twin passes every Windows check and exits 0', () => {
    expect(hardened.code).toBe(0);
    const windows = hardened.report.checks.filter((c) => c.id.startsWith('windows-'));
    expect(windows.length).toBeGreaterThanOrEqual(14);
    expect(windows.filter((c) => c.status !== 'pass').map((c) => c.id)).toEqual([]);
    // Linux checks do not apply to a Windows volume, and are not counted.
    const linux = hardened.report.checks.filter((c) => !c.id.startsWith('windows-'));
    expect(linux.every((c) => c.status === 'pass' && !c.applicable)).toBe(true);
    expect(hardened.report.score.value).toBe(100);
    expect(hardened.report.host.hostname).toBe('WIN-HARDENED');
  });

  it('the exposed twin fails exactly the expected checks, with evidence, and exits 1', () => {
    expect(exposed.code).toBe(1);
    const failed = exposed.report.checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id).sort()).toEqual(EXPOSED_FAILS);
    for (const c of failed) {
      expect(c.evidence.length, c.id).toBeGreaterThan(0);
      expect(c.fix.command.length, c.id).toBeGreaterThan(5);
    }
    const smb = failed.find((c) => c.id === 'windows-smb-ports-blocked')!;
    expect(JSON.stringify(smb.evidence)).toContain('FirewallPolicy\\\\FirewallRules');
    expect(exposed.report.findings.map((f) => f.ruleId).sort()).toEqual(EXPOSED_FAILS);
    expect(exposed.stdout).not.toContain(AUTOLOGON_PASSWORD);
  });

  it('writes the hardening script and leaves the volume untouched', async () => {
    const ps1 = await readFile(path.join(dir, 'harden.ps1'), 'utf8');
    expect(ps1).toContain('#Requires -RunAsAdministrator');
    expect(ps1).toContain("Set-Service -Name 'LanmanServer' -StartupType Disabled");
    expect(ps1).toContain("Remove-MpPreference -ExclusionPath 'C:\\Windows\\Fonts'");
    expect(ps1).not.toContain(AUTOLOGON_PASSWORD);
    expect(await treeDigest(exposedRoot)).toBe(exposedBefore);
  });

  it('reports in zh-CN text and SARIF', async () => {
    const zh = await runCli(['audit', '--root', exposedRoot, '--lang', 'zh-CN', '--fail-on', 'none']);
    expect(zh.code).toBe(0);
    expect(zh.stdout).toContain('Defender 被策略关闭');
    const sarif = await runCli(['audit', '--root', exposedRoot, '--format', 'sarif', '--fail-on', 'none']);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string }[] }[] }).runs[0]!
      .results;
    expect(results.map((r) => r.ruleId)).toEqual(expect.arrayContaining(EXPOSED_FAILS));
  });

  it('refuses --fix-script for a Linux root', async () => {
    const linux = path.join(dir, 'linux');
    await buildLinuxRoot(linux);
    const r = await runCli([
      'audit',
      '--root',
      linux,
      '--fix-script',
      path.join(dir, 'x.ps1'),
      '--fail-on',
      'none',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--fix-script');
  });
});

async function buildLinuxRoot(root: string): Promise<void> {
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await writeFile(path.join(root, 'etc', 'os-release'), 'ID=debian\n');
}
