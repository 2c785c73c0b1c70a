// Writes docs/schema/*.json from the zod schemas (npm run docs); a test fails when they are stale.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { schemaDocuments } from '../src/report/json-schema.js';

const dir = path.join(import.meta.dirname, '..', 'docs', 'schema');
await mkdir(dir, { recursive: true });
for (const [name, text] of Object.entries(schemaDocuments())) {
  await writeFile(path.join(dir, name), text);
  console.log(`wrote docs/schema/${name}`);
}
