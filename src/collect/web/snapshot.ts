// The Snapshot of a live page check (`minehunter web URL --save-snapshot FILE`): target kind
// `web-page`, the pages in its `page` section, one collection record for the check and one saying
// the host collectors had nothing to read. `analyze`, `report --snapshot` and `evidence --snapshot`
// then judge the pages through the rule runner (detector web-live-page) like any other target.
import type { Localized } from '../../model/finding.js';
import type { Page, PageObservation } from '../../snapshot/page.js';
import {
  SECTIONS,
  SNAPSHOT_SCHEMA_VERSION,
  type CollectionRecord,
  type Snapshot,
} from '../../snapshot/schema.js';

export interface PageSnapshotInput {
  /** The URLs as the user gave them (checked), in order. */
  urls: string[];
  pages: PageObservation[];
  browser: Page['browser'];
  options: Page['options'];
  notes: Localized[];
  toolVersion: string;
  /** When the check started. */
  collectedAt: Date;
  durationMs: number;
}

/** Errors kept per record, as the collectors keep theirs: a crawl of failing pages cannot bloat it. */
const MAX_ERRORS = 50;

/** The check's record: ok, partial when some page could not be checked, failed when none could. */
function checkRecord(input: PageSnapshotInput): CollectionRecord {
  const failed = input.pages.filter((p) => p.error !== undefined);
  const status =
    input.pages.length > 0 && failed.length === input.pages.length
      ? 'failed'
      : failed.length > 0
        ? 'partial'
        : 'ok';
  const record: CollectionRecord = {
    collector: 'web.live',
    sections: ['page'],
    status,
    durationMs: Math.round(input.durationMs),
    errors: failed.slice(0, MAX_ERRORS).map((p) => ({ path: p.url, message: p.error ?? '' })),
  };
  if (failed.length > MAX_ERRORS) record.droppedErrors = failed.length - MAX_ERRORS;
  if (input.notes.length > 0) record.note = input.notes.map((n) => n.en).join(' ');
  return record;
}

export function pageSnapshot(input: PageSnapshotInput): Snapshot {
  const first = input.urls[0] ?? input.pages[0]?.url ?? '';
  let hostname: string | undefined;
  try {
    hostname = new URL(first).hostname;
  } catch {
    hostname = undefined;
  }
  const page: Page = {
    browser: input.browser,
    options: input.options,
    urls: input.urls,
    notes: input.notes,
    pages: input.pages,
  };
  // Nothing of this machine was read: its collectors are recorded as such, never as clean.
  const hostSections = SECTIONS.filter((s) => s !== 'page' && s !== 'host');
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: input.toolVersion },
    collectedAt: input.collectedAt.toISOString(),
    // `root` is the first page: what the report's scope line names.
    target: { kind: 'web-page', root: first, live: false },
    // The host is the web server the pages came from, known only by the name in their URL.
    host: { ...(hostname ? { hostname } : {}), addresses: [] },
    page,
    collection: [
      checkRecord(input),
      {
        collector: 'host',
        sections: hostSections,
        status: 'not-applicable',
        durationMs: 0,
        errors: [],
        note: 'web-page target: the pages were opened in a headless browser; no host was read',
      },
    ],
  };
}
