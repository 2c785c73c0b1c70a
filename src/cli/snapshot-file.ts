// Reads a snapshot file another run wrote (`collect -o`), for `analyze`, `audit --snapshot`,
// `respond`, `evidence` and `report`: one reader, so every command refuses a bad file the same way.
import { readFile } from 'node:fs/promises';
import { SNAPSHOT_SCHEMA_VERSION, SnapshotSchema, type Snapshot } from '../snapshot/schema.js';
import { UsageError } from './errors.js';

export async function readSnapshot(file: string): Promise<Snapshot> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read snapshot ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== SNAPSHOT_SCHEMA_VERSION) {
    throw new UsageError(
      `${file}: snapshot schema version ${String(version)} is not supported (this minehunter reads version ${SNAPSHOT_SCHEMA_VERSION})`,
    );
  }
  const parsed = SnapshotSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new UsageError(`${file} is not a valid minehunter snapshot:\n${issues}`);
  }
  return parsed.data;
}
