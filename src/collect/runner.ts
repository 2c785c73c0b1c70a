// Runs a target's collectors as a list: each one starts as soon as the collectors it needs are done,
// a crash in any of them becomes a `failed` record naming it (the rest of the snapshot is kept), and
// the parts are put together in a fixed order, whatever order the collectors finish in.
import type { CollectionRecord, Section, Snapshot } from '../snapshot/schema.js';
import type { CollectContext } from './context.js';
import { CollectorLog } from './support.js';
import type { SocketJoin } from './linux/sockets.js';
import { markCollector } from '../util/timings.js';

/** The snapshot's sections as its keys, in the order a snapshot file lists them. */
export const PART_KEYS = [
  'host',
  'processes',
  'sockets',
  'hostsFile',
  'persistence',
  'integrity',
  'content',
  'preload',
  'hidden',
  'modules',
  'dirs',
  'containers',
  'image',
  'web',
  'windows',
  'page',
] as const;
type PartKey = (typeof PART_KEYS)[number];

/** The sections one collector fills; a section it could not read is absent. */
export type SnapshotPart = Partial<Pick<Snapshot, PartKey>>;

/** What a collector hands back: the part of the snapshot it fills and its collection record(s). */
export interface CollectorResult {
  part?: SnapshotPart;
  /** One record, or one per sub-collector (linux.stealth). */
  records: CollectionRecord[];
  /** The process walk's socket-inode join, read by linux.sockets. */
  join?: SocketJoin;
}

/** The results of the collectors a collector depends on. */
export interface CollectorDeps {
  /** The result of a collector in `needs`; `undefined` when it crashed. */
  get(id: string): CollectorResult | undefined;
  /** The result of a collector in `overlaps`, once it is done; `undefined` when it crashed. */
  later(id: string): Promise<CollectorResult | undefined>;
}

export interface Collector {
  /** Its id in collection records and on the progress line, e.g. `linux.processes`. */
  id: string;
  /** The sections it fills: named by its record when it crashes. */
  sections: Section[];
  /** Collectors whose results it reads (listed before it): it starts once they are done. */
  needs?: string[];
  /**
   * Collectors whose results it reads part-way through (listed before it): it starts at once, so its
   * first reads overlap theirs, and awaits them with `deps.later`.
   */
  overlaps?: string[];
  /** Announced on the progress line when it starts; default true. */
  announce?: boolean;
  run(ctx: CollectContext, deps: CollectorDeps): Promise<CollectorResult>;
}

/**
 * Runs `fn` so that a crash in it becomes a `failed` record of `log`'s collector, with the error,
 * handed to `crashed` for the caller's result shape, instead of losing the whole snapshot. The one
 * error wrapper: the runner, the stealth sub-collectors and the content scan all go through it.
 */
export async function runCollector<T>(
  log: CollectorLog,
  fn: () => Promise<T>,
  crashed: (record: CollectionRecord) => NoInfer<T>,
  note = 'collector crashed',
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    log.add(undefined, err);
    return crashed(log.record('failed', note));
  }
}

/** A collector that is not part of what was asked: recorded as `not-applicable`, never run. */
export function notApplicable(id: string, sections: Section[], note: string): Collector {
  return {
    id,
    sections,
    announce: false,
    run: () =>
      Promise.resolve({
        records: [{ collector: id, sections, status: 'not-applicable', durationMs: 0, errors: [], note }],
      }),
  };
}

interface Outcome {
  result: CollectorResult;
  crashed: boolean;
}

/**
 * Runs `collectors`, each as soon as its `needs` are done, and returns their parts merged in
 * `PART_KEYS` order and their records in list order, whatever order they finish in. Of those ready
 * at the same moment, the ones others wait for start first (the process walk before host facts).
 */
export async function runCollectors(
  ctx: CollectContext,
  collectors: readonly Collector[],
  onStart?: (id: string) => void,
): Promise<{ part: SnapshotPart; collection: CollectionRecord[] }> {
  const listed = new Set<string>();
  for (const c of collectors) {
    for (const id of [...(c.needs ?? []), ...(c.overlaps ?? [])]) {
      // Only earlier collectors can be depended on: the list cannot have a cycle.
      if (!listed.has(id))
        throw new Error(`collector ${c.id} depends on ${id}, which is not listed before it`);
    }
    if (listed.has(c.id)) throw new Error(`collector ${c.id} is listed twice`);
    listed.add(c.id);
  }
  const waitedFor = new Set(collectors.flatMap((c) => [...(c.needs ?? []), ...(c.overlaps ?? [])]));
  const startOrder = [
    ...collectors.filter((c) => waitedFor.has(c.id)),
    ...collectors.filter((c) => !waitedFor.has(c.id)),
  ];

  const runs = new Map<string, Promise<Outcome>>();
  const settledOf = async (id: string): Promise<CollectorResult | undefined> => {
    const outcome = await (runs.get(id) as Promise<Outcome>);
    return outcome.crashed ? undefined : outcome.result;
  };
  for (const c of startOrder) {
    const needs = c.needs ?? [];
    const overlaps = c.overlaps ?? [];
    const start = (done: Map<string, CollectorResult | undefined>): Promise<Outcome> => {
      if (c.announce !== false) onStart?.(c.id);
      const deps: CollectorDeps = {
        get: (id) => {
          if (!done.has(id)) throw new Error(`collector ${c.id} reads ${id} without needing it`);
          return done.get(id);
        },
        later: (id) => {
          if (!overlaps.includes(id))
            throw new Error(`collector ${c.id} awaits ${id} without overlapping it`);
          return settledOf(id);
        },
      };
      const started = performance.now();
      return guard(c, () => c.run(ctx, deps)).finally(() => markCollector(c.id, performance.now() - started));
    };
    runs.set(
      c.id,
      needs.length === 0
        ? start(new Map())
        : Promise.all(needs.map(async (id) => [id, await settledOf(id)] as const)).then((pairs) =>
            start(new Map(pairs)),
          ),
    );
  }
  const outcomes = await Promise.all(collectors.map((c) => runs.get(c.id) as Promise<Outcome>));
  const merged: SnapshotPart = {};
  const collection: CollectionRecord[] = [];
  for (const { result } of outcomes) collection.push(...result.records);
  for (const key of PART_KEYS) {
    for (const { result } of outcomes) {
      const value = result.part?.[key];
      if (value === undefined) continue;
      // The Windows collectors (registry, tasks, WMI, files) each fill their own fields of `windows`.
      if (key === 'windows') merged.windows = { ...merged.windows, ...(value as Snapshot['windows']) };
      else Object.assign(merged, { [key]: value });
    }
  }
  return { part: merged, collection };
}

/** Runs one collector of the list; a crash leaves its `failed` record and `undefined` for its dependents. */
function guard(c: Collector, run: () => Promise<CollectorResult>): Promise<Outcome> {
  return runCollector<Outcome>(
    new CollectorLog(c.id, c.sections),
    async () => ({ result: await run(), crashed: false }),
    (record) => ({ result: { records: [record] }, crashed: true }),
  );
}
