// End-to-end: every generated positive sample is caught by its intended rule and classified to the
// right kind through `minehunter scan --path <dir> --format json`, exactly as a user would run it.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { generateSamples, type GeneratedSample } from '../samples/generate.js';
import { ensureBuilt, runCliJson, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

let dir: string;
let samples: GeneratedSample[];
let report: ReportJson;
let code: number | null;

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-content-samples-');
  samples = await generateSamples(dir);
  const run = await runCliJson(['scan', '--path', dir, '--format', 'json', '--no-cache'], {
    timeoutMs: 120_000,
  });
  report = run.json;
  code = run.code;
}, 180_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function fileFinding(path: string): Finding | undefined {
  return report.findings.find((f) => f.evidence.some((e) => e.type === 'file' && e.path === path));
}

describe('scan --path over the generated samples', () => {
  it('exits 1 with an infected verdict', () => {
    expect(code).toBe(1);
    expect(report.verdict.status).toBe('infected');
  });

  it('catches every sample with its intended rules, the sha256 and the matched strings', () => {
    const missed: string[] = [];
    for (const s of samples) {
      const f = fileFinding(s.path);
      if (!f) {
        missed.push(`${s.id}: no finding`);
        continue;
      }
      const fields = f.evidence.flatMap((e) => (e.type === 'match' ? [e.field] : []));
      for (const rule of s.rules) {
        if (!fields.some((x) => x.endsWith(`.${rule}`)))
          missed.push(`${s.id}: ${rule} not in ${fields.join(', ')}`);
      }
      const file = f.evidence.find((e) => e.type === 'file');
      if (file?.type !== 'file' || !/^[0-9a-f]{64}$/.test(file.sha256 ?? ''))
        missed.push(`${s.id}: no sha256`);
    }
    expect(missed).toEqual([]);
  });

  it('classifies every sample to the kind its rules declare; records of a miner are mentions', () => {
    const wrong = samples
      .map((s) => ({ s, f: fileFinding(s.path) }))
      .filter(({ s, f }) =>
        s.mention
          ? f?.kind !== undefined || f?.level !== 'low' || f?.basis !== 'mention'
          : f?.kind !== s.kind,
      )
      .map(
        ({ s, f }) => `${s.id}: expected ${s.kind}, got ${f?.kind ?? 'no finding'} (${f?.message.en ?? ''})`,
      );
    expect(wrong).toEqual([]);
  });
});
