// End-to-end acceptance for a response plan that is safe by default: a process that only earns a
// medium finding (an idle program run from an anonymous memory file, like a sandbox's sealed memfd
// helper; here `sleep` started through test/lookalike/memfd-launcher.c) is listed as a review step.
// `respond --apply -y` kills nothing; with `--select` of its kill step, or of its finding's
// fingerprint, it is killed and the journal says so. The report given to respond names only the
// processes this test started, so nothing else on the host is ever acted on.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { levelRank } from '../../src/model/finding.js';
import {
  describeFinding,
  ensureBuilt,
  findingsForPid,
  runCli,
  runCliJson,
  type ReportJson,
} from '../helpers/cli.js';
import { acquireHostLock, makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const LAUNCHER_SOURCE = fileURLToPath(new URL('../lookalike/memfd-launcher.c', import.meta.url));

interface Helper {
  child: ChildProcess;
  pid: number;
  exited: Promise<void>;
}

let release: (() => Promise<void>) | undefined;
let dir: string | undefined;
const helpers: Helper[] = [];
let first: Helper;
let second: Helper;
let reportFile: string;
let findings: Map<number, Finding>;

interface PlanStepJson {
  n: number;
  kind: string;
  action?: { type: string; pid?: number };
  findings: string[];
  requestedBy: { fingerprint: string; level: string }[];
  review: boolean;
  skip?: { en: string; 'zh-CN': string };
  process?: { pid: number; user?: string; exe?: string; argv?: string[] };
}

function sleepBinary(): string {
  const found = ['/usr/bin/sleep', '/bin/sleep'].find((p) => existsSync(p));
  if (!found) throw new Error('no sleep binary on this machine');
  return realpathSync(found);
}

/** `sleep SECONDS` run from a memfd; argv[0] is kept by fexecve, so each helper can be told apart. */
function startHelper(launcher: string, argv0: string, seconds: string): Helper {
  const child = spawn(launcher, [seconds], { argv0, stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`cannot start ${launcher}`);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const helper = { child, pid: child.pid, exited };
  helpers.push(helper);
  return helper;
}

/** Waits until /proc/PID/exe is the memfd (fexecve done). */
async function waitForMemfd(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
    if (exe.startsWith('/memfd:')) return;
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not exec from a memfd (exe ${exe})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Running and not stopped: a review step must neither kill nor freeze. */
function runningState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function journal(out: string): Promise<Record<string, unknown>[]> {
  return readFile(path.join(out, 'journal.jsonl'), 'utf8').then((text) =>
    text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-review-');
  const launcher = path.join(dir, 'launcher');
  await execFileP('cc', ['-O1', '-Wall', `-DPAYLOAD="${sleepBinary()}"`, '-o', launcher, LAUNCHER_SOURCE]);
  first = startHelper(launcher, 'sandbox-helper-a', '300');
  second = startHelper(launcher, 'sandbox-helper-b', '301');
  await Promise.all([waitForMemfd(first.pid), waitForMemfd(second.pid)]);

  const scan = await runCliJson(['scan', '--format', 'json', '--no-content', '--fail-on', 'none']);
  const report: ReportJson = scan.json;
  findings = new Map();
  for (const h of [first, second]) {
    const hits = findingsForPid(report, h.pid);
    const context = report.findings.map(describeFinding).join('\n');
    // The premise of the test: exactly one finding, below high, that asks to kill the helper.
    expect(hits, context).toHaveLength(1);
    expect(levelRank(hits[0]!.level), describeFinding(hits[0]!)).toBeLessThan(levelRank('high'));
    expect(hits[0]!.remediate).toContainEqual(
      expect.objectContaining({ type: 'kill-process-tree', pid: h.pid }),
    );
    findings.set(h.pid, hits[0]!);
  }
  expect(findings.get(first.pid)!.fingerprint).not.toBe(findings.get(second.pid)!.fingerprint);
  reportFile = path.join(dir, 'report.json');
  await writeFile(reportFile, JSON.stringify({ ...report, findings: [...findings.values()] }));
}, 300_000);

afterAll(async () => {
  for (const h of helpers) {
    if (h.child.exitCode === null && h.child.signalCode === null) {
      h.child.kill('SIGCONT');
      h.child.kill('SIGKILL');
    }
    await h.exited;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

async function plan(): Promise<{ plan: PlanStepJson[]; selected: number[] }> {
  const run = await runCli(['respond', '--report', reportFile, '--format', 'json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { plan: PlanStepJson[]; selected: number[] };
}

const stepFor = (steps: PlanStepJson[], kind: string, pid: number): PlanStepJson =>
  steps.find((s) => s.kind === kind && s.action?.pid === pid)!;

describe('respond on a machine whose only findings are medium', () => {
  it('plans the kills as review steps, selected by nothing, with the process facts and levels', async () => {
    const { plan: steps, selected } = await plan();
    expect(selected).toEqual([]);
    for (const h of [first, second]) {
      for (const kind of ['freeze', 'kill']) {
        const s = stepFor(steps, kind, h.pid);
        expect(s, JSON.stringify(steps)).toBeDefined();
        expect(s.review).toBe(true);
        expect(s.skip).toBeUndefined();
        expect(s.requestedBy).toEqual([
          { fingerprint: findings.get(h.pid)!.fingerprint, level: findings.get(h.pid)!.level },
        ]);
        expect(s.process).toMatchObject({ pid: h.pid, exe: '/memfd:kworker' });
        expect(s.process!.argv![0]).toMatch(/^sandbox-helper-[ab]$/);
        expect(s.process!.user).toBeTruthy();
      }
    }
    const text = await runCli(['respond', '--report', reportFile, '--lang', 'en']);
    expect(text.stdout).toContain('review — not run unless selected');
    const zh = await runCli(['respond', '--report', reportFile, '--lang', 'zh-CN']);
    expect(zh.stdout).toContain('待复核 — 未选择则不执行');
  });

  it('`respond --apply -y` kills nothing and freezes nothing', async () => {
    const out = path.join(dir!, 'out-default');
    const run = await runCli([
      'respond',
      '--report',
      reportFile,
      '--apply',
      '-y',
      '--out',
      out,
      '--lang',
      'en',
    ]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('Nothing runs by default');
    expect(run.stderr).not.toContain('will be killed');
    expect(existsSync(out)).toBe(false);
    for (const h of [first, second]) {
      expect(h.child.exitCode).toBeNull();
      expect(h.child.signalCode).toBeNull();
      expect(runningState(h.pid)).toMatch(/^[RS]$/);
    }
  });

  it('with --select of its kill step it is killed (freeze included), and the other one is left alone', async () => {
    const { plan: steps } = await plan();
    const killStep = stepFor(steps, 'kill', first.pid);
    const out = path.join(dir!, 'out-step');
    const run = await runCli([
      'respond',
      '--report',
      reportFile,
      '--apply',
      '-y',
      '--select',
      String(killStep.n),
      '--out',
      out,
      '--lang',
      'en',
    ]);
    const context = `exit ${run.code}\n${run.stdout}\n${run.stderr}`;
    expect(run.code, context).toBe(0);
    // With --yes the processes about to be killed are on stderr, for the log.
    expect(run.stderr, context).toContain('These processes will be killed');
    expect(run.stderr, context).toContain(`pid ${first.pid}, user `);
    expect(run.stderr, context).toContain('sandbox-helper-a 300');
    expect(run.stderr, context).not.toContain(`pid ${second.pid}`);
    await first.exited;
    expect(first.child.signalCode, context).toBe('SIGKILL');
    const steps2 = (await journal(out)).filter((r) => r.type === 'step');
    expect(
      steps2.map((s) => `${String(s.kind)}:${String(s.status)}`),
      context,
    ).toEqual(['freeze:done', 'kill:done']);
    const killed = steps2.find((s) => s.kind === 'kill') as { message: string; processes: { pid: number }[] };
    expect(killed.message).toBe('killed 1 process(es)');
    expect(killed.processes.map((p) => p.pid)).toEqual([first.pid]);
    // The other medium-only helper was not selected: still running, not frozen.
    expect(second.child.exitCode).toBeNull();
    expect(runningState(second.pid)).toMatch(/^[RS]$/);
  });

  it('with --select of its finding fingerprint it is killed', async () => {
    const out = path.join(dir!, 'out-fingerprint');
    const fp = findings.get(second.pid)!.fingerprint;
    const run = await runCli([
      'respond',
      '--report',
      reportFile,
      '--apply',
      '-y',
      '--select',
      fp,
      '--out',
      out,
    ]);
    const context = `exit ${run.code}\n${run.stdout}\n${run.stderr}`;
    expect(run.code, context).toBe(0);
    await second.exited;
    expect(second.child.signalCode, context).toBe('SIGKILL');
    const killed = (await journal(out)).find((r) => r.kind === 'kill') as {
      status: string;
      processes: { pid: number }[];
    };
    expect(killed.status).toBe('done');
    expect(killed.processes.map((p) => p.pid)).toEqual([second.pid]);
  });

  it('refuses a fingerprint that no step of the plan was asked for by', async () => {
    const run = await runCli(['respond', '--report', reportFile, '--select', '0000000000000000']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no step of this plan');
  });
});
