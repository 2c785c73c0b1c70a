// Keeps the detector set honest: every registered detector lives in detectors/<id>.ts with a test
// beside it whose clean, findings and skipped cases each assert something, and a current docs page;
// every detector file is registered, and all text is bilingual.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORIES, LEVELS, MINER_KINDS, type Localized } from '../model/finding.js';
import { SECTIONS } from '../snapshot/schema.js';
import { renderDetectorDoc } from './docs.js';
import { CHAIN_PARAMETER } from './messages.js';
import { placeholders } from '../model/localized.js';
import { detectors } from './index.js';
import { caseProblems } from '../../test/helpers/test-cases.js';

const DETECTOR_DIR = fileURLToPath(new URL('./detectors/', import.meta.url));
const DOCS_DIR = fileURLToPath(new URL('../../docs/detectors/', import.meta.url));

describe('detector set', () => {
  it('registers every module in src/detect/detectors/ exactly once', () => {
    const files = readdirSync(DETECTOR_DIR)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
    const ids = detectors.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(files);
  });

  for (const detector of detectors) {
    describe(detector.id, () => {
      it('is exported by detectors/<id>.ts, whose name is its kebab-case id', async () => {
        expect(detector.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
        const file = pathToFileURL(path.join(DETECTOR_DIR, `${detector.id}.ts`)).href;
        const module = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
        expect(Object.values(module)).toContain(detector);
      });

      it('has a test beside it with clean, findings and skipped cases that each assert something', () => {
        const test = path.join(DETECTOR_DIR, `${detector.id}.test.ts`);
        expect(existsSync(test), `${detector.id}.test.ts is missing`).toBe(true);
        // Parsed, not searched: the cases must be real it()/test() calls, and each one of these
        // kinds must reach an expect(…).matcher(…), so an empty `clean:` case cannot pass.
        const source = readFileSync(test, 'utf8');
        for (const kind of ['clean', 'findings', 'skipped'])
          expect(caseProblems(source, kind, test), `${detector.id}.test.ts`).toEqual([]);
      });

      it('uses each of its message ids, and only those', () => {
        // Hits name their message with a string literal (`messageId: 'x'`, or `cond ? 'x' : 'y'`),
        // so the source tells which ids are used.
        const source = readFileSync(path.join(DETECTOR_DIR, `${detector.id}.ts`), 'utf8');
        const used = new Set([...source.matchAll(/messageId: '(\w+)'/g)].map((m) => m[1]));
        const keys = Object.keys(detector.messages);
        for (const id of used) expect(keys, `messageId '${id}' has no template`).toContain(id);
        for (const id of keys) expect(source.includes(`'${id}'`), `messages.${id} is never used`).toBe(true);
      });

      it('has a docs page that matches the generator (run `npm run docs` after changing metadata)', () => {
        const page = path.join(DOCS_DIR, `${detector.id}.md`);
        expect(existsSync(page), `docs/detectors/${detector.id}.md is missing`).toBe(true);
        expect(readFileSync(page, 'utf8')).toBe(renderDetectorDoc(detector));
      });

      it('has complete metadata in both languages', () => {
        const texts: [string, Localized | undefined][] = [
          ['title', detector.title],
          ['description', detector.description],
          ['verify', detector.verify],
          ['remediation', detector.remediation],
        ];
        for (const [field, text] of texts) {
          expect(text, `${field} is missing`).toBeDefined();
          expect(text?.en.trim(), `${field}.en is empty`).not.toBe('');
          expect(text?.['zh-CN'].trim(), `${field}.zh-CN is empty`).not.toBe('');
          // The Chinese text must really be Chinese, not a copy of the English.
          expect(text?.['zh-CN'], `${field}.zh-CN has no Chinese`).toMatch(/[\u4e00-\u9fff]/);
        }
        expect(Object.keys(detector.messages).length, 'no messages').toBeGreaterThan(0);
        for (const [id, template] of Object.entries(detector.messages)) {
          expect(id, 'message ids are camelCase').toMatch(/^[a-z][a-zA-Z0-9]*$/);
          expect(template['zh-CN'], `messages.${id}.zh-CN has no Chinese`).toMatch(/[\u4e00-\u9fff]/);
          // Both languages are filled from the same facts, and the chain is told after the message.
          expect(new Set(placeholders(template['zh-CN'])), `messages.${id} holes differ`).toEqual(
            new Set(placeholders(template.en)),
          );
          expect(placeholders(template.en)).not.toContain(CHAIN_PARAMETER);
        }
        expect(LEVELS).toContain(detector.level);
        expect(CATEGORIES).toContain(detector.category);
        if (detector.kind) expect(MINER_KINDS).toContain(detector.kind);
        expect(detector.needs.length).toBeGreaterThan(0);
        for (const s of detector.needs) expect(SECTIONS).toContain(s);
        expect(
          detector.tags.some((t) => /^attack\.t\d{4}(?:\.\d{3})?$/.test(t)),
          'no ATT&CK technique tag',
        ).toBe(true);
      });
    });
  }
});
