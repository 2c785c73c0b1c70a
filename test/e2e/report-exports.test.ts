// End-to-end: `scan --format ecs|splunk-hec|stix` of a fixture root writes what Elastic, Splunk and a
// STIX 2.1 platform read — ECS NDJSON whose fields are all in the ECS field list, HEC events, a
// bundle that validates against the OASIS schemas — with the same findings as `--format json`;
// `analyze` of a saved snapshot writes them too (to a file with -o), and the help names the formats
// in English and Chinese. `audit` exports its failed checks the same way.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureInputs } from '../helpers/incident-fixture.js';
import { SchemaValidator } from '../helpers/json-schema-lite.js';
import { ensureBuilt, runCli, runCliJson, type ReportJson } from '../helpers/cli.js';

const ROOT = 'test/fixtures/roots/miner-host';
const ARGS = ['scan', '--root', ROOT, '--no-cache', '--fail-on', 'none', '--no-color'];
const ECS_FIELDS = JSON.parse(
  readFileSync(new URL('../data/ecs/ecs-fields.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const STIX = new SchemaValidator(new URL('../data/stix/schemas', import.meta.url).pathname);

let dir: string;
let report: ReportJson;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-exports-'));
  const json = await runCliJson([...ARGS, '--format', 'json']);
  expect(json.code, json.stderr).toBe(0);
  report = json.json;
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
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

describe('scan exports', () => {
  it('writes ECS NDJSON: an alert per finding, every non-custom field an ECS field', async () => {
    const run = await runCli([...ARGS, '--format', 'ecs']);
    expect(run.code, run.stderr).toBe(0);
    const events = lines(run.stdout);
    expect(report.findings.length).toBeGreaterThan(0);
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
    expect(JSON.stringify(events)).toContain('"T1496"');
  });

  it('writes Splunk HEC events with the findings of the JSON report', async () => {
    const run = await runCli([...ARGS, '--format', 'splunk-hec']);
    expect(run.code, run.stderr).toBe(0);
    const events = lines(run.stdout) as Array<{
      source: string;
      sourcetype: string;
      time: number;
      event: { finding?: { fingerprint: string } };
    }>;
    expect(events.every((e) => e.source === 'minehunter' && Number.isFinite(e.time))).toBe(true);
    const findings = events.filter((e) => e.sourcetype === 'minehunter:finding');
    expect(findings.map((e) => e.event.finding!.fingerprint)).toEqual(
      report.findings.map((f) => f.fingerprint),
    );
    expect(events.at(-1)!.sourcetype).toBe('minehunter:summary');
  });

  it('writes a STIX 2.1 bundle that validates, with a sighting per finding that is not allowed', async () => {
    const run = await runCli([...ARGS, '--format', 'stix']);
    expect(run.code, run.stderr).toBe(0);
    const bundle = JSON.parse(run.stdout) as {
      objects: Array<{ type: string; x_minehunter_fingerprint?: string }>;
    };
    expect(STIX.validate('common/bundle.json', bundle)).toEqual([]);
    const sighted = bundle.objects
      .filter((o) => o.type === 'sighting')
      .map((o) => o.x_minehunter_fingerprint);
    const kinds = report.verdict.kinds.length;
    expect(bundle.objects.filter((o) => o.type === 'malware')).toHaveLength(kinds);
    expect(sighted.length).toBeGreaterThan(0);
    expect(report.findings.map((f) => f.fingerprint)).toEqual(expect.arrayContaining(sighted));
  });
});

describe('audit exports', () => {
  it('exports the failed checks of an offline root as ECS alerts and a valid STIX bundle', async () => {
    const base = ['audit', '--root', ROOT, '--fail-on', 'none', '--no-login-tests'];
    const [json, ecs, stix] = await Promise.all(
      ['json', 'ecs', 'stix'].map((f) => runCli([...base, '--format', f])),
    );
    for (const r of [json, ecs, stix]) expect(r!.code, r!.stderr).toBe(0);
    const failed = (JSON.parse(json!.stdout) as { findings: Array<{ fingerprint: string }> }).findings;
    expect(failed.length).toBeGreaterThan(0);
    const events = lines(ecs!.stdout) as Array<{
      event: { kind: string };
      minehunter: { fingerprint?: string };
    }>;
    expect(events.filter((e) => e.event.kind === 'alert').map((e) => e.minehunter.fingerprint)).toEqual(
      failed.map((f) => f.fingerprint),
    );
    expect(STIX.validate('common/bundle.json', JSON.parse(stix!.stdout))).toEqual([]);
  });
});

describe('analyze exports', () => {
  it('writes each export of a saved snapshot to the file named with -o', async () => {
    const snapshotFile = path.join(dir, 'snapshot.json');
    await writeFile(snapshotFile, JSON.stringify(fixtureInputs().snapshot));
    for (const format of ['ecs', 'splunk-hec', 'stix']) {
      const out = path.join(dir, `out.${format}`);
      const run = await runCli(['analyze', snapshotFile, '--format', format, '-o', out, '--fail-on', 'none']);
      expect(run.code, `${format}: ${run.stderr}`).toBe(0);
      const text = await readFile(out, 'utf8');
      if (format === 'stix') expect(STIX.validate('common/bundle.json', JSON.parse(text))).toEqual([]);
      else expect(lines(text).length).toBeGreaterThan(1);
    }
  });

  it('names the export formats in the help of scan and analyze, in English and Chinese', async () => {
    for (const cmd of ['scan', 'analyze']) {
      const en = await runCli([cmd, '--help', '--lang', 'en']);
      expect(en.stdout).toMatch(/"ecs", "splunk-hec", "stix"/);
      expect(en.stdout).toContain('STIX 2.1 bundle');
      const zh = await runCli([cmd, '--help', '--lang', 'zh-CN']);
      expect(zh.stdout).toContain('STIX 2.1 数据包');
    }
  });

  it('rejects an unknown export format with a usage error', async () => {
    const run = await runCli([...ARGS, '--format', 'cef']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/stix/);
  });
});
