// Every audit check is complete: unique kebab-case id, bilingual title, description and fix text
// (the Chinese really Chinese), a fix command, a fixture-based test that names it, and an entry in
// docs/audit.md, which must equal what scripts/gen-audit-docs.ts generates.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderAuditDoc } from './docs.js';
import { auditChecks } from './index.js';

const CJK = /[\u4e00-\u9fff]/;
const testsDir = new URL('./checks/', import.meta.url);
const testText = readdirSync(testsDir)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => readFileSync(new URL(f, testsDir), 'utf8'))
  .join('\n');
const doc = readFileSync(new URL('../../docs/audit.md', import.meta.url), 'utf8');

describe('audit check metadata', () => {
  it('ids are unique kebab-case', () => {
    const ids = auditChecks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });

  for (const c of auditChecks) {
    it(`${c.id}: bilingual texts, a fix command, a test and a doc entry`, () => {
      for (const text of [c.title, c.description, c.fix.text]) {
        expect(text.en.length).toBeGreaterThan(10);
        expect(text['zh-CN']).toMatch(CJK);
      }
      expect(c.fix.command.trim().length).toBeGreaterThan(5);
      // The check's own test file names it (services and credentials are table-driven by id).
      expect(testText).toContain(`'${c.id}'`);
      expect(doc).toContain(`### ${c.id}\n`);
      expect(doc).toContain(c.fix.command);
    });
  }

  it('docs/audit.md is current (run `npx tsx scripts/gen-audit-docs.ts`)', () => {
    expect(doc).toBe(renderAuditDoc(auditChecks));
  });
});
