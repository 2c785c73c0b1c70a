// End-to-end: `minehunter report --format ecs|splunk-hec|stix` exports the findings of a saved JSON
// report, a snapshot or a fresh scan, as scan --format does: ECS NDJSON whose fields are all in the
// ECS field list, Splunk HEC events with the report's findings, a STIX 2.1 bundle that validates
// against the OASIS schemas; no intake questions are asked for them, and the help names them.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureInputs } from '../helpers/incident-fixture.js';
import { SchemaValidator } from '../helpers/json-schema-lite.js';
import { ensureBuilt, runCli, runCliJson, type ReportJson } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';

const ROOT = 'test/fixtures/roots/miner-host';
const ECS_FIELDS = JSON.parse(
  readFileSync(new URL('../data/ecs/ecs-fields.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const STIX = new SchemaValidator(new URL('../data/stix/schemas', import.meta.url).pathname);

let dir = '';
let reportFile = '';
let report: ReportJson;
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  await ensureBuilt();
  // The saved report holds miner command lines: no live scan of another test may see it.
  release = await acquireHostLock();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-report-exports-'));
  const scan = await runCliJson([
    'scan',
    '--root',
    ROOT,
    '--no-cache',
    '--fail-on',
    'none',
    '--format',
    'json',
  ]);
  expect(scan.code, scan.stderr).toBe(0);
  report = scan.json;
  reportFile = path.join(dir, 'host.json');
  await writeFile(reportFile, scan.stdout);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

const lines = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

function leafNames(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? leafNames(v as Record<string, unknown>, `${prefix}${k}.`)
      : [`${prefix}${k}`],
  );
}

describe('report --format ecs|splunk-hec|stix', () => {
  it('exports a saved JSON report as ECS alerts, one per finding, every field an ECS field', async () => {
    const run = await runCli(['report', '--from-report', reportFile, '--format', 'ecs', '--no-prompt']);
    expect(run.code, run.stderr).toBe(0);
    const events = lines(run.stdout);
    expect(events).toHaveLength(report.findings.length + 1);
    const alerts = events.slice(0, -1) as Array<{
      event: { kind: string };
      minehunter: { fingerprint: string };
    }>;
    expect(alerts.every((e) => e.event.kind === 'alert')).toBe(true);
    expect(alerts.map((e) => e.minehunter.fingerprint)).toEqual(report.findings.map((f) => f.fingerprint));
    const unknown = events
      .flatMap((e) => leafNames(e))
      .filter((n) => !n.startsWith('minehunter.') && !(n in ECS_FIELDS));
    expect(unknown).toEqual([]);
  });

  it('exports a saved JSON report as Splunk HEC events with its findings', async () => {
    const run = await runCli([
      'report',
      '--from-report',
      reportFile,
      '--format',
      'splunk-hec',
      '--no-prompt',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const events = lines(run.stdout) as Array<{
      source: string;
      sourcetype: string;
      event: { finding?: { fingerprint: string } };
    }>;
    expect(events.every((e) => e.source === 'minehunter')).toBe(true);
    expect(
      events.filter((e) => e.sourcetype === 'minehunter:finding').map((e) => e.event.finding!.fingerprint),
    ).toEqual(report.findings.map((f) => f.fingerprint));
    expect(events.at(-1)!.sourcetype).toBe('minehunter:summary');
  });

  it('writes a valid STIX 2.1 bundle of a snapshot and of a fresh scan to the file named with -o', async () => {
    const snapshotFile = path.join(dir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(fixtureInputs().snapshot));
    for (const source of [
      ['--snapshot', snapshotFile],
      ['--root', ROOT],
    ]) {
      const out = path.join(dir, `bundle-${source[0]!.slice(2)}.json`);
      const run = await runCli([
        'report',
        ...source,
        '--format',
        'stix',
        '-o',
        out,
        '--no-prompt',
        '--no-cache',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const bundle = JSON.parse(await readFile(out, 'utf8')) as {
        type: string;
        objects: Array<{ type: string }>;
      };
      expect(STIX.validate('common/bundle.json', bundle)).toEqual([]);
      expect(bundle.objects.some((o) => o.type === 'malware')).toBe(true);
      expect(bundle.objects.some((o) => o.type === 'sighting')).toBe(true);
    }
  }, 120_000);

  it('names the export formats in its help, in English and Chinese', async () => {
    const en = await runCli(['report', '--help', '--lang', 'en']);
    expect(en.stdout).toMatch(/"ecs",\s+"splunk-hec",\s+"stix"/);
    expect(en.stdout).toContain('minehunter report --from-report host.json --format stix');
    const zh = await runCli(['report', '--help', '--lang', 'zh-CN']);
    expect(zh.stdout).toContain('STIX 2.1 数据包');
  });
});
