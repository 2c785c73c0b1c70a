// End-to-end: a disguised look-alike miner talking to a fake pool is reported by `minehunter scan`
// with its pid, exe, argv and pool socket; allowlisted by exe or fingerprint it stays visible as allowed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FindingSchema, type Finding } from '../../src/model/finding.js';
import {
  SERIOUS,
  describeFinding,
  ensureBuilt,
  findingsForPid,
  hostSeriousUnallowed,
  processEvidence,
  runCli,
  runCliJson,
  socketEvidence,
  startedByTestRun,
  type ReportJson,
} from '../helpers/cli.js';
import { startRunningScenario, type RunningScenario } from '../helpers/lookalike.js';

let scenario: RunningScenario | undefined;
let first: { code: number | null; json: ReportJson; stderr: string };

function env(): RunningScenario {
  if (!scenario) throw new Error('scenario not started');
  return scenario;
}

/** The look-alike's serious open-source-miner finding, or a failure listing what the scan did report. */
function minerFinding(report: ReportJson): Finding {
  const { lookalike } = env();
  const hits = findingsForPid(report, lookalike.pid).filter(
    (f) => f.kind === 'open-source-miner' && SERIOUS.includes(f.level),
  );
  expect(
    hits,
    `expected one serious open-source-miner finding for pid ${lookalike.pid}; the scan reported:\n` +
      report.findings.map(describeFinding).join('\n'),
  ).toHaveLength(1);
  return hits[0]!;
}

async function writeAllowlist(name: string, yaml: string): Promise<string> {
  const file = path.join(env().dir, name);
  await writeFile(file, yaml);
  return file;
}

/**
 * With the look-alike allowed nothing serious is left on this host, so the scan exits 0. Only a
 * look-alike another test file runs in parallel (a fixture with a stratum URL in argv) may be left
 * serious; then, and only then, 1 is right.
 */
function expectAllowedExit(run: { code: number | null; json: ReportJson }): void {
  const listing = run.json.findings.map(describeFinding).join('\n');
  expect(hostSeriousUnallowed(run.json, [env().lookalike.pid]).map(describeFinding), listing).toEqual([]);
  const othersFixtures = run.json.findings.filter((f) => SERIOUS.includes(f.level) && !f.allowed);
  expect(run.code, listing).toBe(othersFixtures.length === 0 ? 0 : 1);
}

beforeAll(async () => {
  await ensureBuilt();
  scenario = await startRunningScenario({ cpuSeconds: 2 });
  first = await runCliJson(['scan', '--format', 'json', '--fail-on', 'high']);
}, 300_000);

afterAll(async () => {
  await scenario?.teardown();
});

describe('scan with a running look-alike miner', () => {
  it('reports it as a serious open-source-miner finding with pid, exe, argv and the pool socket', () => {
    const { lookalike, binary, pool } = env();
    expect(first.json.schemaVersion).toBe(1);
    expect(() => FindingSchema.array().parse(first.json.findings)).not.toThrow();

    const finding = minerFinding(first.json);
    expect(finding.allowed).toBeUndefined();
    expect(finding.fingerprint).not.toBe('');

    const proc = processEvidence(finding).find((e) => e.pid === lookalike.pid);
    expect(proc).toBeDefined();
    expect(proc!.exe).toBe(binary);
    expect(proc!.argv).toEqual(lookalike.argv);
    expect(proc!.argv[0]).toBe('[kworker/0:2]');

    const socket = socketEvidence(finding).find((s) => s.remote === `127.0.0.1:${pool.port}`);
    expect(socket, JSON.stringify(finding.evidence)).toBeDefined();
    expect(socket!.pids).toContain(lookalike.pid);
    expect(socket!.state).toBe('ESTABLISHED');
  });

  it('is recognised as started by this test run, which is how other e2e files tell fixtures from the host', () => {
    const finding = minerFinding(first.json);
    expect(startedByTestRun(finding)).toBe(true);
    expect(startedByTestRun(finding, [env().lookalike.pid])).toBe(false);
  });

  it('sets the verdict and exits 1 for --fail-on high', () => {
    expect(first.code, first.stderr).toBe(1);
    expect(first.json.verdict.status).toBe('infected');
    expect(first.json.verdict.kinds.map((k) => k.kind)).toContain('open-source-miner');
    const serious = (first.json.summary.critical ?? 0) + (first.json.summary.high ?? 0);
    expect(serious).toBeGreaterThanOrEqual(1);
  });

  it('shows the finding in the terminal report, in Chinese too', async () => {
    const { lookalike, binary } = env();
    const text = await runCli(['scan', '--lang', 'zh-CN', '--no-color', '--fail-on', 'high']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain(String(lookalike.pid));
    expect(text.stdout).toContain(binary);
    expect(text.stdout).toMatch(/[\u4e00-\u9fff]/);
    expect(text.stdout).not.toContain('\x1b[');
  });

  it('reports it as allowed, not hidden, when the allowlist names its exe', async () => {
    const { lookalike, binary } = env();
    const allow = await writeAllowlist(
      'allow-exe.yml',
      `- exe: ${binary}\n  reason: harmless look-alike started by the e2e test\n`,
    );
    const run = await runCliJson(['scan', '--format', 'json', '--fail-on', 'high', '--allow', allow]);
    const allowed = findingsForPid(run.json, lookalike.pid).filter((f) => f.kind === 'open-source-miner');
    expect(allowed.length, run.json.findings.map(describeFinding).join('\n')).toBeGreaterThanOrEqual(1);
    for (const f of allowed) {
      expect(f.allowed).toMatchObject({
        by: 'exe',
        value: binary,
        reason: 'harmless look-alike started by the e2e test',
      });
      expect(f.allowed!.source).toContain('allow-exe.yml');
      // Still the same serious finding, only marked.
      expect(SERIOUS).toContain(f.level);
    }
    expectAllowedExit(run);
  });

  it('reports it as allowed when the allowlist names its fingerprint from an earlier scan', async () => {
    const { lookalike } = env();
    // Every serious finding about the look-alike (correlation should make that one).
    const fingerprints = findingsForPid(first.json, lookalike.pid)
      .filter((f) => SERIOUS.includes(f.level))
      .map((f) => f.fingerprint);
    expect(fingerprints).toContain(minerFinding(first.json).fingerprint);
    const allow = await writeAllowlist(
      'allow-fingerprint.yml',
      fingerprints.map((fp) => `- fingerprint: ${fp}\n  reason: sanctioned test miner\n`).join(''),
    );
    const run = await runCliJson(['scan', '--format', 'json', '--fail-on', 'high', '--allow', allow]);
    const finding = minerFinding(run.json);
    expect(finding.fingerprint).toBe(minerFinding(first.json).fingerprint);
    expect(finding.allowed).toMatchObject({ by: 'fingerprint', value: finding.fingerprint });
    expectAllowedExit(run);
  });
});
