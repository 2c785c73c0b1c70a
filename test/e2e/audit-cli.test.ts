// End-to-end: `minehunter audit` on this machine as a user runs it: every check reported, within 10 s,
// in text (en, zh-CN), JSON and SARIF, exit codes following --fail-on, usage errors as exit 2, and a
// saved snapshot audited elsewhere giving the same results.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditChecks } from '../../src/audit/index.js';
import { AuditReportSchema, type AuditReport } from '../../src/audit/run.js';
import { acquireHostLock } from '../helpers/host-lock.js';
import { ensureBuilt, runCli, type CliResult } from '../helpers/cli.js';

let release: (() => Promise<void>) | undefined;
let dir: string;
let json: CliResult;
let report: AuditReport;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'mh-audit-cli-'));
  release = await acquireHostLock();
  json = await runCli([
    'audit',
    '--format',
    'json',
    '--fail-on',
    'high',
    '--save-snapshot',
    path.join(dir, 'snap.json'),
  ]);
  report = AuditReportSchema.parse(JSON.parse(json.stdout));
  console.log(
    `audit of this machine: ${Math.round(json.durationMs)} ms, score ${report.score.value}/100 ` +
      `(${report.score.fail} failed, ${report.score.unknown} unknown, ${report.score.pass} passed)\n` +
      report.checks
        .filter((c) => c.status !== 'pass')
        .map((c) => `  ${c.status} ${c.level} ${c.id}: ${c.message.en}`)
        .join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await release?.();
  await rm(dir, { recursive: true, force: true });
});

describe('minehunter audit on this machine', () => {
  it('completes within 10 seconds with every check and login tests on', () => {
    expect(json.durationMs).toBeLessThan(10_000);
    expect(report.checks.map((c) => c.id).sort()).toEqual(auditChecks.map((c) => c.id).sort());
    expect(report.loginTests).toBe('on');
  });

  it('reads what it needs: no audit collector failed', () => {
    const audit = report.collection.filter((r) => r.collector.startsWith('audit.'));
    expect(audit.map((r) => r.collector).sort()).toEqual([
      'audit.agents',
      'audit.cron',
      'audit.firewall',
      'audit.kernel',
      'audit.logins',
      'audit.packages',
      'audit.runtimeSockets',
      'audit.selinux',
      'audit.sshd',
    ]);
    expect(audit.filter((r) => r.status === 'failed')).toEqual([]);
  });

  it('exits as --fail-on high says', () => {
    const failing = report.checks.some(
      (c) => c.status === 'fail' && (c.level === 'high' || c.level === 'critical'),
    );
    expect(json.code, json.stderr).toBe(failing ? 1 : 0);
  });

  it('orders results failures first and gives every failure a fix command', () => {
    const order = report.checks.map((c) => ({ fail: 0, unknown: 1, pass: 2 })[c.status]);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const c of report.checks.filter((x) => x.status === 'fail'))
      expect(c.fix.command.length).toBeGreaterThan(5);
  });

  it('prints text in English and Chinese, --fail-on none exiting 0', async () => {
    const en = await runCli(['audit', '--fail-on', 'none', '--no-login-tests', '--lang', 'en']);
    expect(en.code).toBe(0);
    expect(en.stdout).toMatch(/^Score \d+\/100 · \d+ failed · \d+ unknown · \d+ passed$/m);
    expect(en.stdout).toContain('Login tests were turned off');
    const zh = await runCli([
      'audit',
      '--fail-on',
      'none',
      '--lang',
      'zh-CN',
      '--only',
      'firewall-active,sshd-root-login',
    ]);
    expect(zh.stdout).toMatch(/^得分 \d+\/100/m);
    expect(zh.stdout).toMatch(/主机防火墙|root 不能通过 SSH/);
  });

  it('writes SARIF 2.1.0 with a result for every check it ran', async () => {
    const r = await runCli([
      'audit',
      '--format',
      'sarif',
      '--fail-on',
      'none',
      '--no-login-tests',
      '--only',
      'firewall-active,smb-ports-blocked',
    ]);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: Array<{ results: Array<{ ruleId: string; kind: string }> }>;
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((x) => x.ruleId).sort()).toEqual([
      'firewall-active',
      'smb-ports-blocked',
    ]);
  });

  it('a saved snapshot audited again gives the same results', async () => {
    const again = await runCli([
      'audit',
      '--format',
      'json',
      '--fail-on',
      'none',
      '--snapshot',
      path.join(dir, 'snap.json'),
    ]);
    const r2 = AuditReportSchema.parse(JSON.parse(again.stdout));
    const strip = (r: AuditReport) => r.checks.map((c) => [c.id, c.status, c.message.en]);
    expect(strip(r2)).toEqual(strip(report));
  });

  it('usage errors exit 2 with a clear message', async () => {
    const only = await runCli(['audit', '--only', 'no-such-check']);
    expect(only.code).toBe(2);
    expect(only.stderr).toContain('--only: no such check: no-such-check');
    const creds = await runCli(['audit', '--credentials', path.join(dir, 'missing.txt')]);
    expect(creds.code).toBe(2);
    expect(creds.stderr).toContain('cannot read credentials file');
    await writeFile(path.join(dir, 'bad.txt'), 'telnet root root\n');
    const bad = await runCli(['audit', '--credentials', path.join(dir, 'bad.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad.txt:1: expected "service user password"');
    const fmt = await runCli(['audit', '--format', 'xml']);
    expect(fmt.code).toBe(2);
  });
});

describe('minehunter audit --root (an offline copy)', () => {
  it('audits what files show and leaves firewall and login tests unknown, not passed', async () => {
    const r = await runCli([
      'audit',
      '--root',
      'test/fixtures/roots/clean-host',
      '--format',
      'json',
      '--fail-on',
      'none',
    ]);
    const rep = AuditReportSchema.parse(JSON.parse(r.stdout));
    expect(r.code).toBe(0);
    expect(rep.loginTests).toBe('not-run');
    const status = new Map(rep.checks.map((c) => [c.id, c.status]));
    expect(status.get('firewall-active')).toBe('unknown');
    expect(status.get('redis-auth')).toBe('unknown');
    expect(rep.collection.find((c) => c.collector === 'audit.firewall')?.status).toBe('skipped');
  });
});
