// The published JSON Schemas match the code: regenerate with `npm run docs` after a schema change.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaDocuments } from './json-schema.js';
import { projectRoot } from '../util/paths.js';

describe('docs/schema', () => {
  for (const [name, text] of Object.entries(schemaDocuments())) {
    it(`${name} is up to date`, () => {
      const file = path.join(projectRoot(), 'docs', 'schema', name);
      expect(readFileSync(file, 'utf8'), `run npm run docs to regenerate ${name}`).toBe(text);
    });
  }
});
