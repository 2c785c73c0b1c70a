// End-to-end test of deploy/ansible/scan.yml: Debian's ansible-playbook runs it against localhost with
// a local connection, the checkout's dist/cli/main.js standing in for the installed tool and
// `--root` on the miner-host fixture so the report is deterministic. Every directory the playbook or
// Ansible itself writes (work dir, reports, Ansible's temp and home) is inside a temp dir.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, ensureBuilt, type ReportJson } from '../helpers/cli.js';

const execFileP = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'deploy', 'ansible', 'scan.yml');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'miner-host');

let tmp: string;

beforeAll(async () => {
  await ensureBuilt();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'minehunter-ansible-'));
}, 600_000);
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** ansible-playbook with the test's variables, Ansible's home and temp dirs kept inside `tmp`. */
async function playbook(vars: Record<string, unknown>): Promise<Run> {
  const varsFile = path.join(tmp, `vars-${Date.now()}.json`);
  await writeFile(varsFile, JSON.stringify(vars));
  const home = path.join(tmp, 'home');
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    ANSIBLE_LOCAL_TEMP: path.join(tmp, 'ansible-local'),
    ANSIBLE_REMOTE_TEMP: path.join(tmp, 'ansible-remote'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: 'false',
    ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  };
  try {
    const r = await execFileP(
      'ansible-playbook',
      ['-i', 'localhost,', '-c', 'local', '-e', `@${varsFile}`, PLAYBOOK],
      { cwd: tmp, env, maxBuffer: 1 << 24, timeout: 240_000 },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const testVars = (name: string) => ({
  minehunter_install: 'none',
  minehunter_command: `${process.execPath} ${CLI_PATH}`,
  minehunter_become: false,
  minehunter_work_dir: path.join(tmp, name, 'work'),
  minehunter_reports_dir: path.join(tmp, name, 'reports'),
  minehunter_scan_args: ['--root', FIXTURE],
});

describe('deploy/ansible/scan.yml', () => {
  it('scans the inventory and gathers one report per host, ready for summarize', async () => {
    const vars = testVars('scan');
    const r = await playbook(vars);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/localhost\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0/);
    expect(r.stdout).toContain(`minehunter summarize ${vars.minehunter_reports_dir}/*.json`);
    expect(await readdir(vars.minehunter_reports_dir)).toEqual(['localhost.json']);
    const report = JSON.parse(
      await readFile(path.join(vars.minehunter_reports_dir, 'localhost.json'), 'utf8'),
    ) as ReportJson;
    expect(report.schemaVersion).toBe(1);
    expect(report.verdict.status).toBe('infected');
    expect(report.findings.length).toBeGreaterThan(0);
    // The host keeps no copy of the report (it lists processes and paths).
    expect(existsSync(vars.minehunter_work_dir)).toBe(false);
  }, 240_000);

  it('keeps the host copy when asked, and refuses an npm install without a package', async () => {
    const keep = { ...testVars('keep'), minehunter_keep_remote_report: true };
    const kept = await playbook(keep);
    expect(kept.code, `${kept.stdout}\n${kept.stderr}`).toBe(0);
    expect(await readdir(keep.minehunter_work_dir)).toEqual(['localhost.json']);

    const bad = { ...testVars('bad'), minehunter_install: 'npm' };
    const refused = await playbook(bad);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('set minehunter_package to the `npm pack` tarball');
    expect(existsSync(bad.minehunter_reports_dir)).toBe(false);
  }, 240_000);
});
