// End-to-end: on this machine without the look-alike, `minehunter scan` reports nothing at level
// high or above; lower findings are printed so false positives stay visible in CI logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SERIOUS,
  describeFinding,
  ensureBuilt,
  expectedExit,
  hostSeriousUnallowed,
  runCliJson,
  startedByTestRun,
  type CliResult,
  type ReportJson,
} from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/lookalike.js';

let release: (() => Promise<void>) | undefined;
let scan: CliResult & { json: ReportJson };

beforeAll(async () => {
  await ensureBuilt();
  // Waits for any test file that runs a look-alike in another worker to finish with it.
  release = await acquireHostLock();
  scan = await runCliJson(['scan', '--format', 'json', '--fail-on', 'high']);
  const lower = scan.json.findings.filter((f) => !SERIOUS.includes(f.level));
  const fixtures = scan.json.findings.filter((f) => SERIOUS.includes(f.level) && startedByTestRun(f));
  console.log(
    `clean-host scan: ${scan.json.findings.length} finding(s), verdict ${scan.json.verdict.status}, ` +
      `${Math.round(scan.durationMs)} ms` +
      (lower.length ? `\nlower-level findings on this host:\n${lower.map(describeFinding).join('\n')}` : '') +
      (fixtures.length
        ? `\nserious findings about processes other test files started (not the host's):\n` +
          fixtures.map(describeFinding).join('\n')
        : ''),
  );
}, 300_000);

afterAll(async () => {
  await release?.();
});

describe('scan of a clean host', () => {
  it('reports no finding at level high or critical about the host', () => {
    expect(hostSeriousUnallowed(scan.json).map(describeFinding)).toEqual([]);
  });

  it('exits as --fail-on high requires: 0 unless a parallel test file left a miner-like fixture', () => {
    expect(scan.code, scan.stderr).toBe(expectedExit(scan.json));
    if (expectedExit(scan.json) === 0) expect(scan.json.verdict.status).not.toBe('infected');
  });

  it('actually covered the host: no detector skipped for lack of data', () => {
    // A clean verdict from a scan that could not read processes or sockets would mean nothing.
    expect(scan.json.skipped).toEqual([]);
    expect(scan.json.verdict.status).not.toBe('incomplete');
  });
});
