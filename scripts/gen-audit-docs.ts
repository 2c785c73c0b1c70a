// Writes docs/audit.md from the audit checks' metadata (`npx tsx scripts/gen-audit-docs.ts`, also run
// by `npm run docs`); src/audit/checks.meta.test.ts fails when the page is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderAuditDoc } from '../src/audit/docs.js';
import { auditChecks } from '../src/audit/index.js';

const file = fileURLToPath(new URL('../docs/audit.md', import.meta.url));
const text = renderAuditDoc(auditChecks);
if ((await readFile(file, 'utf8').catch(() => '')) !== text) {
  await writeFile(file, text);
  console.log('wrote docs/audit.md');
}
