// The one entry point that reads a target: runs the Linux collectors against a root (`/` for this
// machine, any directory for an offline copy) and assembles a Snapshot. It never changes the host.
import { readdir } from 'node:fs/promises';
import { SNAPSHOT_SCHEMA_VERSION, type CollectionRecord, type Snapshot } from '../snapshot/schema.js';
import { makeContext } from './context.js';
import { collectHost, collectHostsFile } from './linux/host.js';
import { collectProcesses } from './linux/processes.js';
import { collectSockets } from './linux/sockets.js';
import { collectPersistence } from './linux/persistence/index.js';
import { collectIntegrity } from './linux/integrity.js';
import { applyStealth, collectStealth } from './linux/stealth.js';
import { CollectorLog } from './support.js';
import { collectContent, type ContentCollectOptions } from './content/index.js';
import type { RuleProblem } from '../engine/yara.js';

export interface CollectOptions {
  /** The directory treated as `/`. */
  root: string;
  /** How long CPU use is sampled on a live /proc; default 300 ms. */
  cpuWindowMs?: number;
  /** sha256 of every distinct executable; default true. */
  hashExecutables?: boolean;
  /** Injected clock, so fixtures give the same snapshot on every run. */
  now?: () => Date;
  toolVersion: string;
  /** Receives the id of each collector as it starts (e.g. `linux.processes`), for a progress line. */
  onProgress?: (msg: string) => void;
  /** The YARA content scan (files and process memory); absent means not run. */
  content?: ContentCollectOptions;
  /** Receives rule files that failed to load or warned, so the CLI can name them. */
  onRuleProblems?: (problems: RuleProblem[]) => void;
  /**
   * `paths`: only the content scan of `content.paths` runs (plus host facts for the report's
   * header); the host's processes, sockets, persistence and stealth checks are `not-applicable`.
   * Default `host`: everything.
   */
  scope?: 'host' | 'paths';
}

/** The collectors a `scan --path` leaves out, with the sections they would fill. */
const HOST_COLLECTORS: { collector: string; sections: CollectionRecord['sections'] }[] = [
  { collector: 'linux.hosts-file', sections: ['hosts-file'] },
  { collector: 'linux.processes', sections: ['processes'] },
  { collector: 'linux.sockets', sections: ['sockets'] },
  { collector: 'linux.persistence', sections: ['persistence'] },
  { collector: 'linux.integrity', sections: ['integrity'] },
  { collector: 'linux.stealth', sections: ['preload', 'hidden', 'modules', 'dirs'] },
];

/** A snapshot of the named paths alone: host facts for the header, then the content scan. */
async function collectPaths(
  opts: CollectOptions,
  ctx: Awaited<ReturnType<typeof makeContext>>,
  collectedAt: string,
): Promise<Snapshot> {
  opts.onProgress?.('linux.host');
  const hostResult = await collectHost(ctx).catch((err: unknown) => {
    const log = new CollectorLog('linux.host', ['host']);
    log.add(undefined, err);
    return { host: { addresses: [] }, record: log.record('failed', 'collector crashed') };
  });
  const snapshot: Snapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: opts.toolVersion },
    collectedAt,
    target: {
      kind: ctx.kind,
      root: ctx.root,
      live: ctx.live,
      scope: 'paths',
      paths: opts.content?.paths ?? [],
    },
    host: hostResult.host,
    collection: [
      hostResult.record,
      ...HOST_COLLECTORS.map(({ collector, sections }) => ({
        collector,
        sections,
        status: 'not-applicable' as const,
        durationMs: 0,
        errors: [],
        note: 'scan --path: only the named paths are scanned (add --host for this host too)',
      })),
    ],
  };
  if (opts.content) {
    opts.onProgress?.('content.scan');
    const run = await guarded('content.scan', ['content'], () =>
      collectContent(ctx, undefined, opts.content as ContentCollectOptions),
    );
    if ('ruleProblems' in run) opts.onRuleProblems?.(run.ruleProblems);
    snapshot.collection.push(run.record);
    if ('content' in run && run.content) snapshot.content = run.content;
  }
  return snapshot;
}

export const DEFAULT_CPU_WINDOW_MS = 300;

/** The root itself is unusable (missing, not a directory): a usage error, not an empty host. */
export class CollectRootError extends Error {
  constructor(
    readonly root: string,
    options: { cause: unknown },
  ) {
    super(
      `cannot read target root ${root}: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
    this.name = 'CollectRootError';
  }
}

/** Runs a collector so that a bug in it becomes a `failed` record instead of losing the whole snapshot. */
async function guarded<T extends { record: CollectionRecord }>(
  collector: string,
  sections: CollectionRecord['sections'],
  run: () => Promise<T>,
): Promise<T | { record: CollectionRecord }> {
  try {
    return await run();
  } catch (err) {
    const log = new CollectorLog(collector, sections);
    log.add(undefined, err);
    return { record: log.record('failed', 'collector crashed') };
  }
}

/**
 * Collects a snapshot of the target. Rejects only with `CollectRootError` when the root cannot be
 * listed at all; any part that cannot be read is recorded in `collection[]` and its section left out.
 */
export async function collectSnapshot(opts: CollectOptions): Promise<Snapshot> {
  const now = opts.now ?? (() => new Date());
  const ctx = await makeContext(opts.root, now);
  try {
    await readdir(ctx.root);
  } catch (err) {
    throw new CollectRootError(ctx.root, { cause: err });
  }
  const collectedAt = now().toISOString();
  if (opts.scope === 'paths') return collectPaths(opts, ctx, collectedAt);
  const progress = (id: string): void => opts.onProgress?.(id);

  progress('linux.processes');
  const processesRun = guarded('linux.processes', ['processes'], () =>
    collectProcesses(ctx, {
      cpuWindowMs: opts.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS,
      hashExecutables: opts.hashExecutables ?? true,
    }),
  );
  // Host facts and /etc/hosts are quick reads; they run while the process walk waits on its CPU window.
  progress('linux.host');
  const hostRun = collectHost(ctx).catch((err: unknown) => {
    const log = new CollectorLog('linux.host', ['host']);
    log.add(undefined, err);
    return { host: { addresses: [] }, record: log.record('failed', 'collector crashed') };
  });
  progress('linux.hosts-file');
  const hostsRun = guarded('linux.hosts-file', ['hosts-file'], () => collectHostsFile(ctx));
  // Persistence places and system binary checksums are file reads: they overlap the CPU window too.
  progress('linux.persistence');
  const persistenceRun = guarded('linux.persistence', ['persistence'], () => collectPersistence(ctx));
  const integrityRun = guarded('linux.integrity', ['integrity'], () => collectIntegrity(ctx));
  // Preload, hidden PIDs/files, kernel modules, odd directories: they start now and overlap the CPU window.
  progress('linux.stealth');
  const stealthRun = collectStealth(
    ctx,
    processesRun.then((p) => ('processes' in p ? p.processes : undefined)),
  );

  const procs = await processesRun;
  progress('linux.sockets');
  const socks = await guarded('linux.sockets', ['sockets'], () =>
    collectSockets(ctx, 'join' in procs ? procs.join : undefined),
  );
  const [hostResult, hosts] = await Promise.all([hostRun, hostsRun]);
  // The content scan runs last: it needs the process list (executables, memory) and both cores.
  let contentRun: Awaited<ReturnType<typeof collectContent>> | undefined;
  if (opts.content) {
    progress('content.scan');
    const processes = 'processes' in procs ? procs.processes : undefined;
    const run = await guarded('content.scan', ['content'], () =>
      collectContent(ctx, processes, opts.content as ContentCollectOptions),
    );
    contentRun = 'ruleProblems' in run ? run : { ...run, ruleProblems: [] };
    opts.onRuleProblems?.(contentRun.ruleProblems);
  }

  const snapshot: Snapshot = {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: opts.toolVersion },
    collectedAt,
    target: { kind: ctx.kind, root: ctx.root, live: ctx.live },
    host: hostResult.host,
    collection: [hostResult.record, hosts.record, procs.record, socks.record],
  };
  if ('processes' in procs && procs.processes) snapshot.processes = procs.processes;
  if ('sockets' in socks && socks.sockets) snapshot.sockets = socks.sockets;
  if ('hostsFile' in hosts && hosts.hostsFile) snapshot.hostsFile = hosts.hostsFile;
  const [persist, integ] = await Promise.all([persistenceRun, integrityRun]);
  snapshot.collection.push(persist.record, integ.record);
  if ('persistence' in persist && persist.persistence) snapshot.persistence = persist.persistence;
  if ('integrity' in integ && integ.integrity && integ.record.status !== 'skipped')
    snapshot.integrity = integ.integrity;
  if (contentRun) {
    snapshot.collection.push(contentRun.record);
    if (contentRun.content) snapshot.content = contentRun.content;
  }
  applyStealth(snapshot, await stealthRun);
  return snapshot;
}
