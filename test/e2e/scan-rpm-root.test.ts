// End-to-end on an rpm host (issue 23): roots built with the real rpm (procps-ng installed under
// --root/--dbpath in a temp dir, never the host's database), one with /usr/bin/ps replaced. The built
// CLI's `scan --root R --format json` names the replaced ps with package procps-ng and the expected
// and actual sha256; the clean twin has nothing at medium or above; `audit --root R` shows the
// distribution and package manager, and its SELinux check says why it applies.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditReportSchema } from '../../src/audit/run.js';
import { buildProcpsRpm, makeSqliteRoot, rpmQuery, tempDir } from '../../src/collect/linux/rpm/test-roots.js';
import { describeFinding, ensureBuilt, runCli, runCliJson } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';

const MEDIUM_OR_ABOVE = new Set(['medium', 'high', 'critical']);

let work = '';
let replaced = '';
let clean = '';
let release: (() => Promise<void>) | undefined;

/** The sha256 rpm recorded for a file, from rpm's own query of the root (the oracle). */
function recordedSha256(root: string, file: string): string {
  const lines = rpmQuery(root, ['-q', '--qf', '[%{FILENAMES} %{FILEDIGESTS}\n]', 'procps-ng']).split('\n');
  const digest = lines.find((l) => l.startsWith(`${file} `))?.split(' ')[1];
  if (!digest) throw new Error(`rpm lists no digest for ${file}:\n${lines.join('\n')}`);
  return digest;
}

beforeAll(async () => {
  await ensureBuilt();
  // The replaced ps holds miner-hiding text: a live scan elsewhere in the run must not see it, so the
  // host lock is held from the roots' creation to their removal.
  release = await acquireHostLock();
  work = tempDir('minehunter-rpm-e2e-');
  const rpmFile = buildProcpsRpm(work);
  replaced = makeSqliteRoot(work, 'replaced', rpmFile);
  clean = makeSqliteRoot(work, 'clean', rpmFile);
  writeFileSync(path.join(replaced, 'usr/bin/ps'), '#!/bin/sh\nexec /tmp/.x/ps "$@" | grep -v xmrig\n');
}, 180_000);

afterAll(async () => {
  if (work) rmSync(work, { recursive: true, force: true });
  await release?.();
});

describe('scan --root on an rpm root', () => {
  it('reports the replaced /usr/bin/ps with package procps-ng and the expected and actual sha256', async () => {
    const expected = recordedSha256(replaced, '/usr/bin/ps');
    const actual = createHash('sha256')
      .update(readFileSync(path.join(replaced, 'usr/bin/ps')))
      .digest('hex');
    expect(actual).not.toBe(expected);
    const scan = await runCliJson(['scan', '--root', replaced, '--format', 'json']);
    const listing = scan.json.findings.map(describeFinding).join('\n');
    const ps = scan.json.findings.filter((f) =>
      [f.ruleId, ...f.signals.map((s) => s.ruleId)].includes('system-binary-modified'),
    );
    expect(ps, listing).toHaveLength(1);
    const f = ps[0]!;
    expect(f.level).toBe('high');
    expect(f.message.en).toBe(
      `/usr/bin/ps differs from what package procps-ng installed (sha256 ${actual}, expected ${expected})`,
    );
    expect(f.evidence).toContainEqual({ type: 'file', path: '/usr/bin/ps', sha256: actual });
    expect(f.evidence).toContainEqual(
      expect.objectContaining({
        type: 'match',
        field: 'sha256',
        value: actual,
        ioc: `rpm procps-ng: /usr/bin/ps ${expected}`,
      }),
    );
    expect(scan.code, scan.stderr).toBe(1);
  });

  it('clean twin: nothing at medium or above', async () => {
    const scan = await runCliJson(['scan', '--root', clean, '--format', 'json']);
    const serious = scan.json.findings.filter((f) => MEDIUM_OR_ABOVE.has(f.level));
    expect(serious.map(describeFinding)).toEqual([]);
    expect(scan.code, scan.stderr).toBe(0);
  });
});

describe('audit --root on an rpm root', () => {
  it('shows the distribution and package manager in the report and its text', async () => {
    const json = await runCli(['audit', '--root', replaced, '--format', 'json', '--fail-on', 'none']);
    expect(json.code, json.stderr).toBe(0);
    const report = AuditReportSchema.parse(JSON.parse(json.stdout));
    expect(report.host.distribution).toEqual({
      id: 'rocky',
      version: '9.3',
      idLike: ['rhel', 'centos', 'fedora'],
      packageManager: 'rpm',
    });
    // The SELinux check applies because of that family, and says so: no config in this root.
    const selinux = report.checks.find((c) => c.id === 'selinux-enabled');
    expect(selinux).toMatchObject({ status: 'fail', applicable: true });
    expect(selinux?.evidence).toContainEqual({ type: 'match', field: 'package manager', value: 'rpm' });

    const en = await runCli(['audit', '--root', replaced, '--lang', 'en', '--no-color', '--fail-on', 'none']);
    expect(en.stdout).toContain('Distribution rocky 9.3 (like rhel centos fedora) · package manager rpm');
    const zh = await runCli([
      'audit',
      '--root',
      replaced,
      '--lang',
      'zh-CN',
      '--no-color',
      '--fail-on',
      'none',
    ]);
    expect(zh.stdout).toContain('发行版 rocky 9.3 (同系 rhel centos fedora) · 包管理器 rpm');
  });
});
