// Builders for literal snapshots with the persistence and integrity sections, for the persistence
// detector tests (the data itself is in persistence-data.ts).
import type { CollectionRecord, Section, Snapshot } from '../../src/snapshot/schema.js';
import { COLLECTED_AT, makeSnapshot } from './snapshot-builders.js';

export * from './persistence-data.js';

/**
 * A snapshot whose collection records say exactly the given sections were collected; the
 * foundation's builder only knows its own sections.
 */
export function snapshotWith(partial: Partial<Snapshot>): Snapshot {
  const sections: Section[] = ['host'];
  if (partial.processes) sections.push('processes');
  if (partial.sockets) sections.push('sockets');
  if (partial.hostsFile) sections.push('hosts-file');
  if (partial.persistence) sections.push('persistence');
  if (partial.integrity) sections.push('integrity');
  const collection: CollectionRecord[] = [
    { collector: 'test-builder', sections, status: 'ok', durationMs: 1, errors: [] },
  ];
  return makeSnapshot({ ...partial, collection });
}

export { COLLECTED_AT };
