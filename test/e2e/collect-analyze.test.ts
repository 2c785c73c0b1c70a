// End-to-end: `collect -o snap.json` then `analyze snap.json` gives the same findings as a live
// `scan`, and keeps giving them from the file after the look-alike is gone (analysis reads no host).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { SnapshotSchema } from '../../src/snapshot/schema.js';
import {
  SERIOUS,
  describeFinding,
  ensureBuilt,
  findingsForPid,
  processEvidence,
  runCli,
  runCliJson,
  startedByTestRun,
  type CliResult,
  type ReportJson,
  writtenByTestSuite,
} from '../helpers/cli.js';
import { startRunningScenario, type RunningScenario } from '../helpers/lookalike.js';

let scenario: RunningScenario | undefined;
let snapFile: string;
let collected: CliResult;
let analyzed: CliResult & { json: ReportJson };
let scanned: CliResult & { json: ReportJson };

function env(): RunningScenario {
  if (!scenario) throw new Error('scenario not started');
  return scenario;
}

/** What must agree between two analyses of the same host state. */
function essence(f: Finding): { ruleId: string; level: string; fingerprint: string; pids: number[] } {
  return {
    ruleId: f.ruleId,
    level: f.level,
    fingerprint: f.fingerprint,
    pids: processEvidence(f)
      .map((e) => e.pid)
      .sort((a, b) => a - b),
  };
}

/** Serious findings about this host; fixtures that other test files run in parallel come and go. */
function seriousFingerprints(report: ReportJson): string[] {
  const keep = [env().lookalike.pid];
  // Files other test files write into their fixture dirs come and go between the two runs.
  const serious = report.findings.filter(
    (f) => SERIOUS.includes(f.level) && !startedByTestRun(f, keep) && !writtenByTestSuite(f),
  );
  return [...new Set(serious.map((f) => f.fingerprint))].sort();
}

beforeAll(async () => {
  await ensureBuilt();
  scenario = await startRunningScenario({ cpuSeconds: 2 });
  snapFile = path.join(scenario.dir, 'snap.json');
  collected = await runCli(['collect', '-o', snapFile]);
  analyzed = await runCliJson(['analyze', snapFile, '--format', 'json']);
  scanned = await runCliJson(['scan', '--format', 'json']);
}, 300_000);

afterAll(async () => {
  await scenario?.teardown();
});

describe('collect then analyze', () => {
  it('writes a valid snapshot that holds the look-alike', async () => {
    expect(collected.code, collected.stderr).toBe(0);
    const snapshot = SnapshotSchema.parse(JSON.parse(await readFile(snapFile, 'utf8')));
    const proc = snapshot.processes?.find((p) => p.pid === env().lookalike.pid);
    expect(proc?.argv).toEqual(env().lookalike.argv);
    expect(proc?.exe).toBe(env().binary);
  });

  it('gives the same serious findings as scan', () => {
    expect(analyzed.code, analyzed.stderr).toBe(1);
    expect(scanned.code, scanned.stderr).toBe(1);
    // CPU is sampled in each run, so lower findings may come and go; serious ones must not.
    expect(
      seriousFingerprints(analyzed.json),
      `analyze:\n${analyzed.json.findings.map(describeFinding).join('\n')}\n` +
        `scan:\n${scanned.json.findings.map(describeFinding).join('\n')}`,
    ).toEqual(seriousFingerprints(scanned.json));
    expect(seriousFingerprints(analyzed.json).length).toBeGreaterThanOrEqual(1);
  });

  it('reports the look-alike with the same rule, level, fingerprint and pids as scan', () => {
    const pid = env().lookalike.pid;
    const fromAnalyze = findingsForPid(analyzed.json, pid).filter((f) => SERIOUS.includes(f.level));
    const fromScan = findingsForPid(scanned.json, pid).filter((f) => SERIOUS.includes(f.level));
    expect(fromAnalyze.length).toBeGreaterThanOrEqual(1);
    expect(fromAnalyze.some((f) => f.kind === 'open-source-miner')).toBe(true);
    expect(fromAnalyze.map(essence)).toEqual(fromScan.map(essence));
  });

  it('analyzes the file, not the host: same findings after the look-alike is gone, run after run', async () => {
    await env().lookalike.stop();
    const again = await runCliJson(['analyze', snapFile, '--format', 'json']);
    expect(again.code, again.stderr).toBe(1);
    // The same snapshot must give exactly the same findings (only generatedAt may differ).
    expect(again.json.findings).toEqual(analyzed.json.findings);
    expect(findingsForPid(again.json, env().lookalike.pid).length).toBeGreaterThanOrEqual(1);
  });
});
