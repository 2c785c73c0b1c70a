// JSON Schema documents of the report and the snapshot, generated from their zod sources so the
// published docs cannot drift from what the code writes and validates.
import { z } from 'zod';
import { ReportSchema, REPORT_SCHEMA_VERSION } from './model.js';
import { SnapshotSchema, SNAPSHOT_SCHEMA_VERSION } from '../snapshot/schema.js';

export function schemaDocuments(): Record<string, string> {
  const doc = (schema: z.ZodType, id: string, title: string) =>
    JSON.stringify({ ...z.toJSONSchema(schema, { io: 'output' }), $id: id, title }, null, 2) + '\n';
  return {
    'report.schema.json': doc(
      ReportSchema,
      `minehunter-report-v${REPORT_SCHEMA_VERSION}`,
      `minehunter JSON report, schema version ${REPORT_SCHEMA_VERSION}`,
    ),
    'snapshot.schema.json': doc(
      SnapshotSchema,
      `minehunter-snapshot-v${SNAPSHOT_SCHEMA_VERSION}`,
      `minehunter snapshot, schema version ${SNAPSHOT_SCHEMA_VERSION}`,
    ),
  };
}
