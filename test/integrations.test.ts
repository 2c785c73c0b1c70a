// Checks integrations/: the Velociraptor artifact is YAML of the artifact shape, the Wazuh decoders
// and rules are well-formed XML, and every field they read exists in what minehunter really writes
// (the built CLI's JSON report and jsonl lines on the miner-host fixture, and watch events from its
// findings folded by the watch's own state code); the Wazuh rules' field patterns match those lines.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Finding } from '../src/model/finding.js';
import { applyScan, emptyState, REPEAT_EVERY_MS } from '../src/pipeline/watch-state.js';
import { REPO_ROOT, ensureBuilt, runCli } from './helpers/cli.js';

const DIR = path.join(REPO_ROOT, 'integrations');
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'miner-host');

type Json = Record<string, unknown>;
let report: Json;
/** Every JSON line minehunter writes for a log pipeline: scan jsonl and watch events. */
let lines: Json[];

beforeAll(async () => {
  await ensureBuilt();
  const json = await runCli(['scan', '--root', FIXTURE, '--format', 'json', '--fail-on', 'none', '-q']);
  expect(json.code, json.stderr).toBe(0);
  report = JSON.parse(json.stdout) as Json;
  const jsonl = await runCli(['scan', '--root', FIXTURE, '--format', 'jsonl', '--fail-on', 'none', '-q']);
  expect(jsonl.code, jsonl.stderr).toBe(0);
  const scanLines = jsonl.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Json);
  // Watch's events for these findings: raised, repeated an interval later, resolved after two misses.
  const findings = report.findings as Finding[];
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  let state = emptyState();
  const events: Json[] = [];
  for (const [dt, seen] of [
    [0, findings],
    [REPEAT_EVERY_MS + 1000, findings],
    [REPEAT_EVERY_MS + 2000, []],
    [REPEAT_EVERY_MS + 3000, []],
  ] as const) {
    const r = applyScan(state, seen, new Date(t0 + dt));
    state = r.state;
    events.push(...(JSON.parse(JSON.stringify(r.events)) as Json[]));
  }
  lines = [...scanLines, ...events];
}, 600_000);

/** The dotted paths of an object's fields, through objects (arrays are leaves, as Wazuh reads them). */
function paths(value: unknown, prefix = ''): Set<string> {
  const out = new Set<string>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.add(p);
    for (const q of paths(v, p)) out.add(q);
  }
  return out;
}
const valueAt = (o: unknown, p: string): unknown =>
  p.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o);

/**
 * A small XML well-formedness check (no XML parser is a dependency, xmllint may be missing): comments
 * closed and without "--", tags balanced and properly nested, attributes quoted, no stray "<" or "&".
 */
function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const body = text.replace(/<!--([\s\S]*?)-->/g, (_m, c: string) => {
    if (c.includes('--')) problems.push(`comment holds "--": ${c.slice(0, 40)}`);
    return '';
  });
  if (body.includes('<!--')) problems.push('unclosed comment');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<&]*"|'[^'<&]*'))*)\s*(\/?)>/g;
  let last = 0;
  for (const m of body.matchAll(tag)) {
    const text = body.slice(last, m.index);
    if (/[<>]/.test(text) || /&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(text))
      problems.push(`stray markup in text: ${text.trim().slice(0, 60)}`);
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m as unknown as string[];
    if (selfClose) continue;
    if (!close) stack.push(name!);
    else if (stack.pop() !== name) problems.push(`</${name}> does not close the open element`);
  }
  if (/[<>]/.test(body.slice(last))) problems.push('stray markup after the last element');
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('Velociraptor artifact', () => {
  let artifact: Json;
  beforeAll(async () => {
    artifact = parseYaml(await readFile(path.join(DIR, 'velociraptor', 'minehunter.yaml'), 'utf8')) as Json;
  });

  it('is a client artifact with a name, parameters and a source query that runs and uploads minehunter', () => {
    expect(artifact).toMatchObject({ name: 'Linux.Detection.Minehunter', type: 'CLIENT' });
    expect(artifact.required_permissions).toEqual(['EXECVE']);
    const params = (artifact.parameters as Json[]).map((p) => p.name);
    expect(params).toEqual(['MinehunterPath', 'ExtraArgs', 'MaxReportBytes']);
    const sources = artifact.sources as { name: string; query: string }[];
    expect(sources).toHaveLength(1);
    const query = sources[0]!.query;
    expect(query).toMatch(/execve\(argv=\(MinehunterPath, 'scan', '--format', 'json'/);
    expect(query).toContain("upload(file=ReportFile, name='minehunter-report.json')");
    // Every parameter is used by the query.
    for (const p of params) expect(query).toContain(p as string);
  });

  it('reads only fields that the JSON report and its findings have', () => {
    const query = (artifact.sources as { query: string }[])[0]!.query;
    const reportPaths = paths(report);
    const fromReport = [...query.matchAll(/\bReport\.([\w.]+)/g)].map((m) => m[1]!);
    expect(fromReport.length).toBeGreaterThan(5);
    for (const p of fromReport) expect(reportPaths, `Report.${p}`).toContain(p);
    // The columns of each finding row: `field AS Column` inside the foreach over Report.findings.
    const perFinding = query.slice(query.indexOf('then={'), query.indexOf('FROM foreach'));
    const fields = [...perFinding.matchAll(/(?<![\w.])([a-z][\w.]*) AS [A-Z]\w*/g)].map((m) => m[1]!);
    expect(fields).toEqual(expect.arrayContaining(['ruleId', 'level', 'title.en', 'fingerprint']));
    const findingPaths = new Set((report.findings as Json[]).flatMap((f) => [...paths(f)]));
    for (const f of fields) expect(findingPaths, `finding field ${f}`).toContain(f);
  });
});

interface WazuhRule {
  id: string;
  level: number;
  ifSid: string[];
  fields: { name: string; pattern: string }[];
  description: string;
}

function wazuhRules(xml: string): WazuhRule[] {
  return [...xml.matchAll(/<rule id="(\d+)" level="(\d+)">([\s\S]*?)<\/rule>/g)].map((m) => ({
    id: m[1]!,
    level: Number(m[2]),
    ifSid: (/<if_sid>([^<]*)<\/if_sid>/.exec(m[3]!)?.[1] ?? '').split(/[,\s]+/).filter(Boolean),
    fields: [...m[3]!.matchAll(/<field name="([^"]+)">([^<]*)<\/field>/g)].map((f) => ({
      name: f[1]!,
      pattern: f[2]!,
    })),
    description: /<description>([^<]*)<\/description>/.exec(m[3]!)?.[1] ?? '',
  }));
}

/** The OS_Regex subset the rules use, as a JavaScript RegExp (`\.` any character, `\w` with - and @). */
const osRegex = (p: string): RegExp => new RegExp(p.replace(/\\\./g, '.').replace(/\\w/g, '[A-Za-z0-9_@-]'));

describe('Wazuh decoders and rules', () => {
  let decodersXml: string;
  let rulesXml: string;
  let rules: WazuhRule[];
  beforeAll(async () => {
    decodersXml = await readFile(path.join(DIR, 'wazuh', 'minehunter_decoders.xml'), 'utf8');
    rulesXml = await readFile(path.join(DIR, 'wazuh', 'minehunter_rules.xml'), 'utf8');
    rules = wazuhRules(rulesXml);
  });

  it('are well-formed XML (a decoders file holds several top-level decoders, as Wazuh reads it)', () => {
    expect(xmlProblems(rulesXml)).toEqual([]);
    expect(xmlProblems(`<decoders>${decodersXml}</decoders>`)).toEqual([]);
    // The check itself catches what breaks Wazuh's parser.
    expect(xmlProblems('<group><rule id="1"></group></rule>')).not.toEqual([]);
    expect(xmlProblems('<a>x < y</a>')).not.toEqual([]);
    expect(xmlProblems('<!-- a -- b --><a/>')).not.toEqual([]);
  });

  it('decode syslog lines of the program "minehunter" with the JSON decoder', () => {
    expect(decodersXml).toMatch(/<decoder name="minehunter">\s*<program_name>\^minehunter<\/program_name>/);
    expect(decodersXml).toMatch(
      /<parent>minehunter<\/parent>[\s\S]*<plugin_decoder>JSON_Decoder<\/plugin_decoder>/,
    );
  });

  it('have unique ids in the custom range, each child after its parents', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of rules) {
      expect(Number(r.id)).toBeGreaterThanOrEqual(100000);
      for (const parent of r.ifSid)
        expect(ids.indexOf(parent), `${r.id} if_sid ${parent}`).toBeLessThan(ids.indexOf(r.id));
    }
  });

  it('read only fields that minehunter writes, in fields and in descriptions', () => {
    const written = new Set(lines.flatMap((l) => [...paths(l)]));
    for (const r of rules) {
      for (const f of r.fields) expect(written, `rule ${r.id} field ${f.name}`).toContain(f.name);
      for (const m of r.description.matchAll(/\$\(([\w.]+)\)/g))
        expect(written, `rule ${r.id} description $(${m[1]})`).toContain(m[1]);
    }
  });

  it("match minehunter's real lines: a critical miner finding, a repeat, a resolved and the summary", () => {
    const byId = new Map(rules.map((r) => [r.id, r]));
    const matches = (r: WazuhRule, line: Json): boolean =>
      r.fields.every((f) => {
        const v = valueAt(line, f.name);
        return v !== undefined && typeof v !== 'object' && osRegex(f.pattern).test(String(v));
      }) &&
      (r.ifSid.length === 0 || r.ifSid.some((p) => matches(byId.get(p)!, line)));
    const hits = (id: string) => lines.filter((l) => matches(byId.get(id)!, l));
    expect(hits('100710').length).toBeGreaterThan(0); // critical findings (jsonl and watch)
    expect(hits('100714').length).toBeGreaterThan(0); // ... of which the miner itself
    expect(hits('100720').map((l) => l.event)).toContain('repeat');
    expect(hits('100721').map((l) => l.event)).toContain('resolved');
    expect(hits('100725').map((l) => l.verdict)).toEqual(['infected']);
    // Each line falls under one base rule and one level rule at most.
    for (const l of lines) {
      const level = ['100710', '100711', '100712', '100713'].filter((id) => matches(byId.get(id)!, l));
      expect(level.length).toBeLessThanOrEqual(1);
    }
    expect(hits('100726')).toEqual([]);
  });
});
