// End-to-end: `scan --format jsonl` of a fixture root prints only JSON lines, one per finding and a
// summary last, with the same findings, verdict and counts as `--format json` of the same root; the
// help names the format in both languages, and respond (which prints a plan) does not take it.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { JsonlFindingLine, JsonlSummaryLine } from '../../src/report/render-jsonl.js';
import { ensureBuilt, runCli, runCliJson } from '../helpers/cli.js';

const ROOT = 'test/fixtures/roots/miner-host';
const ARGS = ['scan', '--root', ROOT, '--no-cache', '--fail-on', 'none', '--no-color'];

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('scan --format jsonl', () => {
  it('prints one JSON object per finding and a summary that matches the JSON report', async () => {
    const [jsonl, json] = await Promise.all([
      runCli([...ARGS, '--format', 'jsonl']),
      runCliJson([...ARGS, '--format', 'json']),
    ]);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(json.code, json.stderr).toBe(0);

    expect(jsonl.stdout.endsWith('\n')).toBe(true);
    const lines = jsonl.stdout.slice(0, -1).split('\n');
    // Every line parses on its own: nothing else is on stdout.
    const objects = lines.map((l, i) => {
      try {
        return JSON.parse(l) as JsonlFindingLine | JsonlSummaryLine;
      } catch (cause) {
        throw new Error(`line ${i + 1} is not JSON: ${l.slice(0, 200)}`, { cause });
      }
    });
    const findings = objects.slice(0, -1) as JsonlFindingLine[];
    const summary = objects.at(-1) as JsonlSummaryLine;
    expect(findings.every((l) => l.event === 'finding')).toBe(true);
    expect(summary.event).toBe('summary');

    const report = json.json;
    expect(report.findings.length).toBeGreaterThan(0);
    expect(summary.summary).toEqual(report.summary);
    expect(summary.verdict).toBe(report.verdict.status);
    expect(summary.findings).toBe(report.findings.length);
    expect(summary.kinds).toEqual(report.verdict.kinds.map((k) => k.kind));
    const fp = (fs: Finding[]) => fs.map((f) => f.fingerprint);
    expect(fp(findings.map((l) => l.finding))).toEqual(fp(report.findings));

    const target = report.target as { kind: string; root: string };
    const host = report.host as { hostname?: string };
    for (const line of objects) {
      expect(line.target).toEqual({ kind: target.kind, root: target.root });
      expect(line.host).toEqual({ hostname: host.hostname ?? null });
      expect(line.tool).toEqual({ name: 'minehunter', version: report.tool.version });
      expect(line.verdict).toBe(report.verdict.status);
      expect(Date.parse(line['@timestamp'])).not.toBeNaN();
    }
  });

  it('is named in the help of scan and analyze, in English and Chinese', async () => {
    for (const cmd of ['scan', 'analyze']) {
      const en = await runCli([cmd, '--help', '--lang', 'en']);
      expect(en.stdout).toMatch(/"jsonl"/);
      expect(en.stdout).toContain('one JSON object per finding');
      const zh = await runCli([cmd, '--help', '--lang', 'zh-CN']);
      expect(zh.stdout).toContain('每条发现一行 JSON');
    }
  });

  it('is not offered where a plan, not findings, is printed', async () => {
    const run = await runCli(['respond', '--root', ROOT, '--format', 'jsonl']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/jsonl/);
  });
});
