// The one entry point that reads a target: runs the Linux collectors against a root (`/` for this
// machine, any directory for an offline copy) and assembles a Snapshot. It never changes the host.
import {
  SNAPSHOT_SCHEMA_VERSION,
  type CollectionRecord,
  type Incomplete,
  type Section,
  type Snapshot,
  type TargetKind,
} from '../snapshot/schema.js';
import { makeContext } from './context.js';
import { stampMatchedFiles, stampProcessFiles } from './file-times.js';
import { collectHost, collectHostsFile } from './linux/host.js';
import { collectProcesses, type Walked as ProcessesWalked } from './linux/processes.js';
import { collectSockets } from './linux/sockets.js';
import { collectPersistence } from './linux/persistence/index.js';
import { collectIntegrity } from './linux/integrity.js';
import { collectStealth } from './linux/stealth.js';
import { builtNativeAddon } from '../util/paths.js';
import type { ContentCollection, ContentCollectOptions } from './content/index.js';
import { prestartContentScan } from './content/prestart.js';
import { CollectRootError } from './root-error.js';
import { collectContainers } from './linux/containers/index.js';
import { collectWeb, scannableRoots } from './linux/web-roots.js';
import { gpuCollector } from './linux/gpu.js';
import { notApplicable, runCollectors, type Collector, type CollectorDeps } from './runner.js';
import { CollectorLog } from './support.js';
import type { imageCollectors, ImageCollectOptions } from './image/index.js';
import type { windowsCollectors } from './windows/index.js';
import type { windowsLiveCollectors } from './windows-live/index.js';
import type { RuleProblem } from '../engine/yara.js';
import type { CpuBaseline } from './linux/cpu-baseline.js';

export interface CollectOptions {
  /** The directory treated as `/`. */
  root: string;
  /** How long CPU use is sampled on a live /proc; default 300 ms. */
  cpuWindowMs?: number;
  /** The CPU window's first sample, taken as the command line started (linux/cpu-baseline.ts). */
  cpuBaseline?: CpuBaseline;
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
  /**
   * Stops the collection (Ctrl-C): collectors still running are recorded as `skipped` (interrupted),
   * the content scan stops part-way and keeps the files scanned so far, and the snapshot says so in
   * `incomplete`.
   */
  signal?: AbortSignal;
  /** Only the collectors with these ids run (the watch mode's quick looks); default all. */
  only?: readonly string[];
  /** The process walk reads only these pids (the watch mode's new processes); default all. */
  pids?: readonly number[];
}

export const DEFAULT_CPU_WINDOW_MS = 300;

export { CollectRootError };

/**
 * The process walk's list and socket join, as collectProcesses hands them to onWalked, and the PID
 * probe its worker runs for the hidden-process check; each missing when the walk ended without them.
 */
type Walked = Partial<ProcessesWalked>;

/**
 * The process walk as soon as it is read, before its hashes and its CPU window's second sample: the
 * collectors that need neither (sockets, preload, hidden files, the content scan's walk) go on
 * meanwhile instead of waiting out the window (issue 17). Whichever comes first: the early list, or
 * the collector's result (skipped, crashed, not applicable, stopped by Ctrl-C).
 */
class EarlyWalk {
  private resolve: (w: Walked) => void = () => undefined;
  private readonly walked = new Promise<Walked>((resolve) => (this.resolve = resolve));

  // Given to collectProcesses as its onWalked.
  readonly done = (w: Walked): void => this.resolve(w);

  // For a collector that overlaps linux.processes.
  get(deps: CollectorDeps): Promise<Walked> {
    const final = deps
      .later('linux.processes')
      .then((r) => ({ processes: r?.part?.processes, join: r?.join }));
    return Promise.race([this.walked, final]);
  }
}

/**
 * The Linux collectors, in the order of their collection records. The process walk samples CPU use
 * for a window; every collector that does not need its result (host facts, /etc/hosts, persistence,
 * checksums, and the first reads of the stealth checks) starts at once and fits in that window, and
 * those that need only the list and the socket join (EarlyWalk) go on once the walk is read.
 */
function linuxCollectors(opts: CollectOptions): Collector[] {
  const early = new EarlyWalk();
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
        const addon = builtNativeAddon();
        const { processes, join, record } = await collectProcesses(ctx, {
          cpuWindowMs: opts.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS,
          ...(opts.cpuBaseline ? { cpuBaseline: opts.cpuBaseline } : {}),
          hashExecutables: opts.hashExecutables ?? true,
          ...(opts.pids ? { pids: opts.pids } : {}),
          // The hidden-process check's PID probe runs in the walk's worker (pid-probe.ts).
          pidProbe: addon !== undefined ? { addon } : {},
          // The walk's worker reads /proc/PID with it too (proc-read.ts).
          ...(addon !== undefined ? { addon } : {}),
          onWalked: early.done,
        });
        return { part: { processes }, records: [record], join };
      },
    },
    {
      id: 'linux.sockets',
      sections: ['sockets'],
      // Sockets are joined to the processes that hold them; without the walk they are listed unjoined.
      overlaps: ['linux.processes'],
      run: async (ctx, deps) => {
        const { sockets, record } = await collectSockets(ctx, (await early.get(deps)).join);
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
  // The content scan reads the process list (executables, memory) once the walk is done.
  if (opts.content) list.push(contentCollector(opts.content, opts.onRuleProblems, true, early));
  list.push({
    id: 'linux.stealth',
    sections: ['preload', 'hidden', 'modules', 'dirs'],
    // Preload, hidden PIDs/files, kernel modules, odd directories: they start at once and read the
    // process list only once their own first reads are done.
    overlaps: ['linux.processes'],
    run: (ctx, deps) =>
      collectStealth(
        ctx,
        early.get(deps).then((w) => w.processes),
        early.get(deps).then((w) => w.pidProbe),
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

/**
 * The content scan's record under --no-content, as collectContent gives it, without loading YARA-X,
 * the scan cache (SQLite) and the walker (issue 17: start-up time and memory).
 */
function contentSkipped(): ContentCollection {
  return {
    record: new CollectorLog('content.scan', ['content']).record('skipped', '--no-content'),
    ruleProblems: [],
  };
}

function contentCollector(
  content: ContentCollectOptions,
  onRuleProblems: CollectOptions['onRuleProblems'],
  withContainers = true,
  early?: EarlyWalk,
): Collector {
  // The default scope scans the web roots the configurations name too, wherever they are.
  const withWeb = content.scope === 'default';
  // Running containers' roots are scanned too, named as their containers are.
  const inputs = [
    ...(withContainers ? ['linux.processes', 'linux.containers'] : ['linux.processes']),
    ...(withWeb ? ['linux.web'] : []),
  ];
  return {
    id: 'content.scan',
    sections: ['content'],
    // The walk of the default places needs nothing from the containers or the web roots, and the
    // executables, memory, containers' roots and web roots join the scan once their collectors are
    // done (issue 20: the scan used to wait for all of them, then walk, then read memory).
    overlaps: inputs,
    run: async (ctx, deps) => {
      // Stopped before it began: not collected at all.
      if (content.signal?.aborted) return { records: [interruptedRecord('content.scan', ['content'], 0)] };
      const later = (async () => {
        const found = withContainers ? (await deps.later('linux.containers'))?.part : undefined;
        const processes = found?.processes ?? (await deps.later('linux.processes'))?.part?.processes;
        const webRoots = withWeb ? scannableRoots((await deps.later('linux.web'))?.part?.web) : [];
        return { processes, containers: found?.containers?.containers, webRoots };
      })();
      // Its first worker starts now, while the content scan's modules load and the walk is read.
      prestartContentScan(ctx, content);
      const scan = content.enabled ? (await import('./content/index.js')).collectContent : undefined;
      // The walk of the files waits for the process walk to be read all the same: sharing the cores
      // with it only delayed the memory scan, which then runs on the workers while the main thread
      // walks the files (before, it came after the whole walk). Not for its CPU window, though. The
      // rules load and the roots are settled meanwhile (~0.1 s of a warm scan's critical path).
      const read = early
        ? early.get(deps).then((w) => w.processes)
        : deps.later('linux.processes').then((r) => r?.part?.processes);
      const run = scan ? await scan(ctx, later, content, read) : contentSkipped();
      onRuleProblems?.(run.ruleProblems);
      // When the miner's binary and config files landed: the incident timeline's first-seen.
      if (run.content) await stampMatchedFiles(run.content.files, (p) => ctx.fs.lstat(p));
      // And when each running program and the config its argv names landed, matched or not.
      const { processes } = await later;
      if (processes) await stampProcessFiles(processes, ctx);
      if (content.signal?.aborted && run.content) {
        // The files scanned so far stand; the rest of the tree was never read.
        run.record.status = 'partial';
        run.record.note = `${INTERRUPTED}: stopped part-way; ${run.record.note ?? ''}`;
      }
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
/**
 * The readers of the other target kinds. Each is loaded only when the target is of its kind: a Linux
 * scan does not pay at start-up for the image, Windows volume and PowerShell modules (issue 17).
 */
interface KindReaders {
  image?: typeof imageCollectors;
  windows?: typeof windowsCollectors;
  windowsLive?: typeof windowsLiveCollectors;
}

async function readersFor(kind: TargetKind): Promise<KindReaders> {
  if (kind === 'container-image') return { image: (await import('./image/index.js')).imageCollectors };
  if (kind === 'windows-volume') return { windows: (await import('./windows/index.js')).windowsCollectors };
  if (kind === 'windows-live')
    return { windowsLive: (await import('./windows-live/index.js')).windowsLiveCollectors };
  return {};
}

function collectorsFor(kind: TargetKind, opts: CollectOptions, readers: KindReaders): Collector[] {
  switch (kind) {
    case 'linux-live':
    case 'linux-root':
      // GPU facts (collect/linux/gpu.ts) join the process list where nvidia-smi runs; listed last.
      return opts.scope === 'paths' ? linuxPathCollectors(opts) : [...linuxCollectors(opts), gpuCollector()];
    case 'container-image': {
      // The host's collectors have nothing to read in an image: recorded, never reported as clean.
      const note = 'container-image target: the image is read layer by layer instead';
      const host = linuxCollectors(opts).map((c) => notApplicable(c.id, c.sections, note));
      return [...(readers.image?.(opts) ?? []), ...host];
    }
    case 'windows-volume': {
      // A Windows volume is read as Windows: the Linux collectors are recorded, never reported as clean.
      const note = 'windows-volume target: read by the Windows collectors instead';
      const linux = linuxCollectors({ ...opts, content: undefined })
        .filter((c) => c.id !== 'linux.containers' && c.id !== 'linux.host')
        .map((c) => notApplicable(c.id, c.sections, note));
      const list = [...(readers.windows?.(opts) ?? []), ...linux];
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
      return [...(readers.windowsLive?.(opts) ?? []), files, ...linux];
    }
    case 'web-page':
      // Live pages are opened by `minehunter web` (collect/web/snapshot.ts), never found at a root.
      return [];
  }
}

/** The note of a collector cut short by Ctrl-C: `incomplete` is computed from these records. */
const INTERRUPTED = 'interrupted (Ctrl-C)';

function interruptedRecord(id: string, sections: Section[], durationMs: number): CollectionRecord {
  return {
    collector: id,
    sections,
    status: 'skipped',
    durationMs: Math.round(durationMs),
    errors: [],
    note: `${INTERRUPTED} before it finished`,
  };
}

/**
 * A collector that gives way to Ctrl-C: when `signal` fires before it is done, it is recorded as
 * interrupted at once and what it would have found is dropped (its reads are short and end by
 * themselves). The content scan stops itself instead, keeping what it scanned; host facts finish.
 */
function interruptible(c: Collector, signal: AbortSignal): Collector {
  // Host facts head the report and take a moment; the content scan keeps what it scanned.
  if (c.id === 'content.scan' || c.id === 'linux.host') return c;
  return {
    ...c,
    run: (ctx, deps) => {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const stop = (): void =>
          resolve({ records: [interruptedRecord(c.id, c.sections, performance.now() - started)] });
        // Already stopped: one turn later, so a collector that answers at once (not-applicable) keeps its record.
        if (signal.aborted) setImmediate(stop);
        else signal.addEventListener('abort', stop, { once: true });
        c.run(ctx, deps)
          .then(resolve, reject)
          .finally(() => signal.removeEventListener('abort', stop));
      });
    },
  };
}

/** What a collection stopped by Ctrl-C did not collect, from its records; undefined when nothing was cut. */
function incompleteOf(collection: CollectionRecord[], afterMs: number): Incomplete | undefined {
  const cut = collection.filter((r) => r.note?.startsWith(INTERRUPTED));
  if (cut.length === 0) return undefined;
  const of = (status: CollectionRecord['status']): Section[] =>
    [...new Set(cut.filter((r) => r.status === status).flatMap((r) => r.sections))].sort();
  return {
    reason: 'interrupted',
    afterMs: Math.round(afterMs),
    missing: of('skipped'),
    partial: of('partial'),
  };
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
  const { signal } = opts;
  let stoppedAt: number | undefined;
  const started = performance.now();
  signal?.addEventListener('abort', () => (stoppedAt = performance.now()), { once: true });
  const withSignal = signal && opts.content ? { ...opts, content: { ...opts.content, signal } } : opts;
  const readers = await readersFor(ctx.kind);
  const collectors = collectorsFor(ctx.kind, withSignal, readers)
    .filter((c) => !opts.only || opts.only.includes(c.id))
    .map((c) => (signal ? interruptible(c, signal) : c));
  const { part, collection } = await runCollectors(ctx, collectors, opts.onProgress);
  const incomplete = signal?.aborted ? incompleteOf(collection, (stoppedAt ?? started) - started) : undefined;
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
    ...(incomplete ? { incomplete } : {}),
  };
}
