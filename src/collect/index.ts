// The one entry point that reads a target: runs the Linux collectors against a root (`/` for this
// machine, any directory for an offline copy) and assembles a Snapshot. It never changes the host.
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type TargetKind } from '../snapshot/schema.js';
import { makeContext } from './context.js';
import { collectHost, collectHostsFile } from './linux/host.js';
import { collectProcesses } from './linux/processes.js';
import { collectSockets } from './linux/sockets.js';
import { collectPersistence } from './linux/persistence/index.js';
import { collectIntegrity } from './linux/integrity.js';
import { collectStealth } from './linux/stealth.js';
import { collectContent, type ContentCollectOptions } from './content/index.js';
import { collectContainers } from './linux/containers/index.js';
import { collectWeb, scannableRoots } from './linux/web-roots.js';
import { notApplicable, runCollectors, type Collector } from './runner.js';
import { imageCollectors, type ImageCollectOptions } from './image/index.js';
import { windowsCollectors } from './windows/index.js';
import { windowsLiveCollectors } from './windows-live/index.js';
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
  /** A container-image target's reader: per-layer progress, limits (collect/image/). */
  image?: ImageCollectOptions;
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

/**
 * The Linux collectors, in the order of their collection records. The process walk samples CPU use
 * for a window; every collector that does not need its result (host facts, /etc/hosts, persistence,
 * checksums, and the first reads of the stealth checks) starts at once and fits in that window.
 */
function linuxCollectors(opts: CollectOptions): Collector[] {
  const list: Collector[] = [
    {
      id: 'linux.host',
      sections: ['host'],
      run: async (ctx) => {
        const { host, record } = await collectHost(ctx);
        return { part: { host }, records: [record] };
      },
    },
    {
      id: 'linux.hosts-file',
      sections: ['hosts-file'],
      run: async (ctx) => {
        const { hostsFile, record } = await collectHostsFile(ctx);
        return { part: { hostsFile }, records: [record] };
      },
    },
    {
      id: 'linux.processes',
      sections: ['processes'],
      run: async (ctx) => {
        const { processes, join, record } = await collectProcesses(ctx, {
          cpuWindowMs: opts.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS,
          hashExecutables: opts.hashExecutables ?? true,
        });
        return { part: { processes }, records: [record], join };
      },
    },
    {
      id: 'linux.sockets',
      sections: ['sockets'],
      // Sockets are joined to the processes that hold them; without the walk they are listed unjoined.
      needs: ['linux.processes'],
      run: async (ctx, deps) => {
        const { sockets, record } = await collectSockets(ctx, deps.get('linux.processes')?.join);
        return { part: { sockets }, records: [record] };
      },
    },
    containersCollector(),
    {
      id: 'linux.persistence',
      sections: ['persistence'],
      run: async (ctx) => {
        const { persistence, record } = await collectPersistence(ctx);
        return { part: { persistence }, records: [record] };
      },
    },
    webCollector({ discover: true, sites: opts.content?.scope === 'paths' ? opts.content.paths : [] }),
    {
      id: 'linux.integrity',
      sections: ['integrity'],
      run: async (ctx) => {
        const { integrity, record } = await collectIntegrity(ctx);
        return { part: record.status === 'skipped' ? {} : { integrity }, records: [record] };
      },
    },
  ];
  // The content scan needs the process list (executables, memory) and runs after the walk.
  if (opts.content) list.push(contentCollector(opts.content, opts.onRuleProblems));
  list.push({
    id: 'linux.stealth',
    sections: ['preload', 'hidden', 'modules', 'dirs'],
    // Preload, hidden PIDs/files, kernel modules, odd directories: they start at once and read the
    // process list only once their own first reads are done.
    overlaps: ['linux.processes'],
    run: (ctx, deps) =>
      collectStealth(
        ctx,
        deps.later('linux.processes').then((p) => p?.part?.processes),
      ),
  });
  return list;
}

/**
 * Containers: the process walk's cgroup ids joined with the runtimes' records. Its processes (with
 * their container's name, image and pod) replace the walk's in the snapshot: it is listed after it.
 * A host without containers gets no record, so its snapshot stays as it was.
 */
function containersCollector(): Collector {
  return {
    id: 'linux.containers',
    sections: ['containers'],
    needs: ['linux.processes'],
    announce: false,
    run: async (ctx, deps) => {
      // minehunter's own environment names the runtime state only when the target is this machine.
      const env = ctx.live ? process.env : {};
      const found = await collectContainers(ctx, deps.get('linux.processes')?.part?.processes, { env });
      const part = { containers: found.containers, processes: found.processes };
      return { part: found.containers ? part : {}, records: found.record ? [found.record] : [] };
    },
  };
}

/**
 * The web roots a host's server configurations name and the usual places (`discover`), or the
 * `scan --path` directories read as sites: CMS installs and injection places. A target with none
 * gets no record (as one without containers), so its snapshot stays as it was.
 */
function webCollector(opts: Parameters<typeof collectWeb>[1]): Collector {
  return {
    id: 'linux.web',
    sections: ['web'],
    // Short beside the process walk it overlaps; the content scan that follows has its own progress.
    announce: false,
    run: async (ctx) => {
      const { web, record } = await collectWeb(ctx, opts);
      return { part: web ? { web } : {}, records: record ? [record] : [] };
    },
  };
}

function contentCollector(
  content: ContentCollectOptions,
  onRuleProblems: CollectOptions['onRuleProblems'],
  withContainers = true,
): Collector {
  // The default scope scans the web roots the configurations name too, wherever they are.
  const withWeb = content.scope === 'default';
  return {
    id: 'content.scan',
    sections: ['content'],
    // Running containers' roots are scanned too, named as their containers are.
    needs: [
      ...(withContainers ? ['linux.processes', 'linux.containers'] : ['linux.processes']),
      ...(withWeb ? ['linux.web'] : []),
    ],
    run: async (ctx, deps) => {
      const found = withContainers ? deps.get('linux.containers')?.part : undefined;
      const processes = found?.processes ?? deps.get('linux.processes')?.part?.processes;
      const webRoots = withWeb ? scannableRoots(deps.get('linux.web')?.part?.web) : [];
      const run = await collectContent(ctx, processes, content, found?.containers?.containers, webRoots);
      onRuleProblems?.(run.ruleProblems);
      return { part: { content: run.content }, records: [run.record] };
    },
  };
}

/**
 * `scan --path`: host facts for the report's header, then the content scan of the named paths (with
 * no process list); the other host collectors are recorded as `not-applicable`.
 */
function linuxPathCollectors(opts: CollectOptions): Collector[] {
  const note = 'scan --path: only the named paths are scanned (add --host for this host too)';
  const list = linuxCollectors({ ...opts, content: undefined })
    // No containers are looked for, so none is recorded (as before containers were collected).
    .filter((c) => c.id !== 'linux.containers')
    .map((c) =>
      c.id === 'linux.host'
        ? c
        : // The named directories are read as sites: a site copy gets the web analysis a host's roots get.
          c.id === 'linux.web'
          ? webCollector({ discover: false, sites: opts.content?.paths ?? [] })
          : notApplicable(c.id, c.sections, note),
    );
  if (opts.content) list.push(contentCollector(opts.content, opts.onRuleProblems, false));
  return list;
}

/** The collectors of a target kind: a Linux host or root, an image, a Windows volume. */
function collectorsFor(kind: TargetKind, opts: CollectOptions): Collector[] {
  switch (kind) {
    case 'linux-live':
    case 'linux-root':
      return opts.scope === 'paths' ? linuxPathCollectors(opts) : linuxCollectors(opts);
    case 'container-image': {
      // The host's collectors have nothing to read in an image: recorded, never reported as clean.
      const note = 'container-image target: the image is read layer by layer instead';
      const host = linuxCollectors(opts).map((c) => notApplicable(c.id, c.sections, note));
      return [...imageCollectors(opts), ...host];
    }
    case 'windows-volume': {
      // A Windows volume is read as Windows: the Linux collectors are recorded, never reported as clean.
      const note = 'windows-volume target: read by the Windows collectors instead';
      const linux = linuxCollectors({ ...opts, content: undefined })
        .filter((c) => c.id !== 'linux.containers' && c.id !== 'linux.host')
        .map((c) => notApplicable(c.id, c.sections, note));
      const list = [...windowsCollectors(opts), ...linux];
      // The content scan reads the volume's hiding places (collect/windows/places.ts); no processes.
      if (opts.content) list.push(contentCollector(opts.content, opts.onRuleProblems, false));
      return list;
    }
    case 'windows-live': {
      // This Windows system through PowerShell/CIM (collect/windows-live/); the Linux collectors and
      // the offline volume's folder walk are recorded, never reported as clean.
      const note = 'windows-live target: read through PowerShell by the windows-live collectors instead';
      const linux = linuxCollectors({ ...opts, content: undefined })
        .filter((c) => c.id !== 'linux.containers' && c.id !== 'linux.host')
        .filter((c) => c.id !== 'linux.processes' && c.id !== 'linux.sockets')
        .map((c) => notApplicable(c.id, c.sections, note));
      const files = notApplicable('windows.files', ['windows-files'], note);
      return [...windowsLiveCollectors(opts), files, ...linux];
    }
    case 'web-page':
      // Live pages are opened by `minehunter web` (collect/web/snapshot.ts), never found at a root.
      return [];
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
    // An image (a tarball or a layout) was opened by recognizeTarget and is read by its own reader.
    if (ctx.kind !== 'container-image') await ctx.fs.list('/');
  } catch (err) {
    throw new CollectRootError(ctx.root, { cause: err });
  }
  const collectedAt = now().toISOString();
  const { part, collection } = await runCollectors(ctx, collectorsFor(ctx.kind, opts), opts.onProgress);
  const { host, ...sections } = part;
  const target: Snapshot['target'] = { kind: ctx.kind, root: ctx.root, live: ctx.live };
  if (opts.scope === 'paths') Object.assign(target, { scope: 'paths', paths: opts.content?.paths ?? [] });
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: opts.toolVersion },
    collectedAt,
    target,
    // A crashed host collector leaves an empty host: the report's header always has one.
    host: host ?? { addresses: [] },
    collection,
    ...sections,
  };
}
