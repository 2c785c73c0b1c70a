// The content-scan collector: decides what to scan (the running processes' executables and the
// places miners hide by default, with the web roots the host's server configurations name, on the
// host and inside each running container, shown as `<container>:/path`; every local filesystem
// with --full; or the user's --path list),
// runs the YARA content scan over files and process memory, and returns the snapshot's `content`
// section with a collection record that names every rule file that could not be loaded. On an
// offline root every place it derives (the default directories, the processes' executables, a
// --path under the root) is resolved inside the root first: a symlink that leads out of it is not
// followed but recorded (`linksOutsideRoot`), so the analyst's own files are never reported as the
// target's.
import { readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CollectionRecord, Content, LinkOutsideRoot, ProcessInfo } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { lookupInRoot, type TargetFs } from '../../target/fs.js';
import { containerPath, containerPathLabel, type Container } from '../../snapshot/container.js';
import { CollectorLog, isGone } from '../support.js';
import { runCollector } from '../runner.js';
import {
  DEFAULT_MAX_FILE_SIZE,
  compileAllRules,
  scanContent,
  type ContentProgress,
  type DeferredInputs,
  type ExtraFile,
  type LabelledRoot,
  type MemoryCoverage,
  type MemoryTarget,
} from '../../engine/content-scan.js';
import { PACKAGE_STORES, isPseudoPath } from '../../engine/walker.js';
import { cacheFiles, defaultCachePath } from '../../engine/cache.js';
import { scansMemory } from './prestart.js';
import { EngineUnavailableError, bundledRulesDir, type RuleProblem } from '../../engine/yara.js';
import { ownExecutable, projectRoot } from '../../util/paths.js';
import { bundleStoreDir } from '../../iocs/bundle-store.js';
import { findOutput, loadOutputRegistry, type OutputRegistry } from '../../util/output-registry.js';
import { windowsContentDirs } from '../windows/places.js';

/** Where miners and their droppers live; scanned by default, each root on its own filesystem. */
export const DEFAULT_CONTENT_DIRS = [
  '/tmp',
  '/var/tmp',
  '/dev/shm',
  '/run',
  '/root',
  '/home',
  '/etc',
  '/opt',
  '/usr/local',
  '/var/www',
  '/srv',
  '/var/spool/cron',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];

/** Filesystems --full walks: disks and memory-backed ones miners drop into; not network or pseudo. */
const LOCAL_FS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'jfs',
  'reiserfs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'tmpfs',
  'overlay',
  'squashfs',
  'erofs',
]);

export interface ContentCollectOptions {
  enabled: boolean;
  scope: Content['scope'];
  /** --path values (scope `paths`). */
  paths: string[];
  userRuleDirs: string[];
  crossFs: boolean;
  maxFileSize?: number;
  /** Undefined: no cache. */
  cachePath?: string;
  /** Scan process memory; default on for the default and --full scopes, off for --path. */
  memory?: boolean;
  memoryPerProcessBytes?: number;
  memoryTotalBytes?: number;
  onProgress?: (p: ContentProgress) => void;
  /** Stops the scan part-way (Ctrl-C): what was scanned so far is returned (see ContentScanOptions.signal). */
  signal?: AbortSignal;
  /** minehunter's own outputs (tests inject one); default: the registry of the user running it. */
  outputRegistry?: OutputRegistry;
}

export const DEFAULT_MEMORY_PER_PROCESS = 32 * 1024 * 1024;
export const DEFAULT_MEMORY_TOTAL = 256 * 1024 * 1024;

/** Mount points of local filesystems, from a mounts table (/proc/self/mounts format). */
export function localMountPoints(mounts: string): string[] {
  const out = new Set<string>();
  for (const line of mounts.split('\n')) {
    const [, mountPoint, fsType] = line.split(' ');
    if (!mountPoint || !fsType || !LOCAL_FS.has(fsType)) continue;
    // Octal escapes (\040 for a space) as the kernel writes them.
    const mp = mountPoint.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (!isPseudoPath(mp) || mp === '/dev/shm') out.add(mp);
  }
  return [...out].sort();
}

/**
 * The symlinks of an offline root that lead out of it (see TargetFs.lookup), each with the places
 * the scan left out because of it.
 */
class OutsideLinks {
  private readonly links = new Map<string, LinkOutsideRoot>();

  constructor(private readonly fs: TargetFs) {}

  /**
   * The host path of `targetPath` inside the root, or undefined when nothing is there or the way
   * there leaves the root (the link is then recorded with `targetPath`).
   */
  async hostPath(targetPath: string): Promise<string | undefined> {
    const found = await this.fs.lookup(targetPath);
    if (found.outside) {
      const key = `${found.outside.path}\0${found.outside.target}`;
      const link = this.links.get(key) ?? { ...found.outside, notScanned: [] };
      if (!link.notScanned.includes(targetPath)) link.notScanned.push(targetPath);
      this.links.set(key, link);
      return undefined;
    }
    return found.missing ? undefined : found.hostPath;
  }

  list(): LinkOutsideRoot[] {
    return [...this.links.values()]
      .map((l) => ({ ...l, notScanned: [...l.notScanned].sort() }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.target < b.target ? -1 : 1));
  }
}

async function exeFiles(
  ctx: CollectContext,
  processes: readonly ProcessInfo[],
  links: OutsideLinks | undefined,
  containerRoots: ReadonlyMap<string, string>,
): Promise<ExtraFile[]> {
  const out = new Map<string, ExtraFile>();
  for (const p of processes) {
    if (!p.exe || p.kernelThread || p.pid === process.pid) continue;
    // A container's /usr/bin/x is not the host's: it is shown, and scanned once, under its container.
    const shown = p.container ? containerPath(p.container, p.exe) : p.exe;
    // A replaced executable still running (its old inode, "(deleted)") is another file than the one
    // now at its path: each is scanned once.
    const seenKey = p.exeDeleted ? `${shown} (deleted)` : shown;
    if (out.has(seenKey)) continue;
    // /proc/PID/exe opens the running image even when the file was deleted or is a memfd. Offline,
    // the path a copied proc/ names (its link text, which the disk's owner wrote) is the target's.
    const io = p.container
      ? await containerExe(ctx, p, containerRoots.get(p.container.id))
      : ctx.live
        ? `/proc/${p.pid}/exe`
        : links
          ? await links.hostPath(p.exe)
          : p.exe;
    if (io !== undefined) out.set(seenKey, { path: shown, io, size: p.exeSize ?? 0, seenKey });
  }
  return [...out.values()];
}

/** What opens a container process's executable: its /proc link, else its path inside the container's root. */
async function containerExe(
  ctx: CollectContext,
  p: ProcessInfo,
  root: string | undefined,
): Promise<string | undefined> {
  if (ctx.proc === 'live') return path.join(ctx.procDir, String(p.pid), 'exe');
  if (root === undefined || p.exe === undefined || p.exeDeleted || p.exeMemfd) return undefined;
  const found = await lookupInRoot(root, p.exe);
  return found.missing || found.outside ? undefined : found.hostPath;
}

/**
 * The host directory that is a running container's `/`. /proc/PID/root is the kernel's link into the
 * container and is taken as it is (its text is `/`: resolving it inside the target would give the
 * target's own root); a merged overlay directory is a directory of the target like any other.
 */
async function containerHostRoot(
  ctx: CollectContext,
  c: Container,
  links: OutsideLinks | undefined,
): Promise<string | undefined> {
  if (!c.rootfs) return undefined;
  const pid = /^\/proc\/(\d+)\/root$/.exec(c.rootfs)?.[1];
  if (pid !== undefined) return ctx.proc === 'live' ? path.join(ctx.procDir, pid, 'root') : undefined;
  return links ? links.hostPath(c.rootfs) : c.rootfs;
}

/**
 * The running containers' roots for the default scope: in each, the default directories it has,
 * walked as that container sees them and shown as `<container>:/path`. A root that cannot be
 * entered (not root, the container just stopped) is logged, not walked.
 */
async function containerScanRoots(
  ctx: CollectContext,
  containers: readonly Container[],
  links: OutsideLinks | undefined,
  log: CollectorLog,
): Promise<{ labelled: LabelledRoot[]; roots: Map<string, string> }> {
  const labelled: LabelledRoot[] = [];
  const roots = new Map<string, string>();
  for (const c of containers) {
    const root = await containerHostRoot(ctx, c, links);
    if (root === undefined) continue;
    try {
      await stat(root);
    } catch (err) {
      // A container that stopped since its processes were read is no error; a root we may not enter is.
      if (!isGone(err)) log.add(root, err);
      continue;
    }
    roots.set(c.id, root);
    const dirs: string[] = [];
    for (const d of DEFAULT_CONTENT_DIRS) {
      // Its own links resolve inside it, as the walker resolves them: none leads to the host's files.
      const found = await lookupInRoot(root, d);
      if (!found.missing && !found.outside) dirs.push(path.join(root, d));
    }
    if (dirs.length > 0) labelled.push({ label: containerPathLabel(c), root, dirs });
  }
  return { labelled, roots };
}

const INSTALLED = /^\/(?:usr|bin|sbin|lib(?:32|64|x32)?|opt|snap|nix)\//;

/**
 * The order the total memory budget is spent in: programs whose file is gone or never existed
 * first, then programs outside the installed system directories, then everything else, so a
 * busy host's large services cannot use up the budget before the odd process is reached.
 */
function memoryRank(p: ProcessInfo): number {
  if (p.exeDeleted || p.exeMemfd) return 0;
  return p.exe && INSTALLED.test(p.exe) ? 2 : 1;
}

function memoryTargets(processes: readonly ProcessInfo[]): MemoryTarget[] {
  return processes
    .filter((p) => !p.kernelThread && p.exe !== undefined && p.pid !== process.pid)
    .sort((a, b) => memoryRank(a) - memoryRank(b) || a.pid - b.pid)
    .map((p) => (p.exe ? { pid: p.pid, exe: p.exe } : { pid: p.pid }));
}

/** The memory scan's targets and budgets: on a live host with a process list, unless turned off. */
function memoryOf(
  ctx: CollectContext,
  opts: ContentCollectOptions,
  processes: readonly ProcessInfo[] | undefined,
): DeferredInputs['memory'] {
  if (!scansMemory(ctx, opts) || !processes) return undefined;
  return {
    targets: memoryTargets(processes),
    perProcessBytes: opts.memoryPerProcessBytes ?? DEFAULT_MEMORY_PER_PROCESS,
    totalBytes: opts.memoryTotalBytes ?? DEFAULT_MEMORY_TOTAL,
  };
}

/**
 * Marks the matched files that minehunter itself wrote (same path, same sha256 as recorded when it
 * wrote them), so the detector reports them as our outputs instead of as miners. Archive entries are
 * never marked: only a whole file is vouched for.
 */
export function markOwnOutputs(content: Content, root: string, registry: OutputRegistry): void {
  if (registry.size === 0) return;
  for (const file of content.files) {
    if (file.matches.length === 0 || !file.sha256 || file.path.includes('!')) continue;
    const hostPath = root === '/' ? file.path : path.join(root, file.path);
    const record = findOutput(registry, hostPath, file.sha256);
    if (record) file.ownOutput = { writtenAt: record.writtenAt, what: record.what };
  }
}

/**
 * The web roots (collect/linux/web-roots.ts) the default directories do not already cover, as host
 * paths: a site under /srv/sites is walked with /srv, one under /data/www only when added here. A
 * root under a default directory but on a filesystem of its own is added too: the walk of the
 * default directory stays on its own filesystem, and a directory reached twice is walked once.
 */
async function webScanRoots(
  ctx: CollectContext,
  webRoots: readonly string[],
  reachable: (targetPath: string) => Promise<boolean>,
): Promise<string[]> {
  const host = (p: string): string => (ctx.root === '/' ? p : path.join(ctx.root, p));
  const devOf = (p: string): Promise<number | undefined> =>
    ctx.fs.stat(p).then(
      (s) => s.dev,
      () => undefined,
    );
  const out: string[] = [];
  for (const web of [...new Set(webRoots)].sort()) {
    const covering = DEFAULT_CONTENT_DIRS.find((d) => web === d || web.startsWith(`${d}/`));
    if (!(await reachable(web))) continue;
    if (covering !== undefined && (await devOf(web)) === (await devOf(covering))) continue;
    out.push(host(web));
  }
  return out;
}

/**
 * The memory scan's coverage in the record's note: what was read, the untouched (all-zero) pages
 * that were read but not handed to the rules, and the processes the total budget did not reach.
 */
export function memoryNote(content: Content, coverage: MemoryCoverage): string {
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
  const parts = [
    `memory of ${content.stats.memoryProcesses} processes, ${mib(content.stats.memoryBytes)} read`,
  ];
  if (coverage.zeroBytes > 0) parts.push(`${mib(coverage.zeroBytes)} of it zero pages not scanned`);
  if (coverage.absentBytes)
    parts.push(`${mib(coverage.absentBytes)} of pages never touched not read (zeros)`);
  if (coverage.overBudget > 0)
    parts.push(`${coverage.overBudget} processes not read (total memory budget spent)`);
  return parts.join(', ');
}

export interface ContentCollection {
  content?: Content;
  record: CollectionRecord;
  ruleProblems: RuleProblem[];
}

/** What the content scan takes from the other collectors: it starts before they are done (see DeferredInputs). */
export interface ContentInputs {
  processes?: readonly ProcessInfo[];
  containers?: readonly Container[];
  webRoots?: readonly string[];
}

/**
 * Whether the target has something at a path that can be reached without leaving it. Its own root's
 * answer is a stat on the spot: through the thread pool, queued behind the other collectors' reads,
 * the default scan's fourteen places took ~0.1 s of a warm scan (issue 17).
 */
function reachableIn(
  ctx: CollectContext,
  links: OutsideLinks | undefined,
): (targetPath: string) => Promise<boolean> {
  return async (targetPath) => {
    if (links) return (await links.hostPath(targetPath)) !== undefined;
    try {
      return ctx.fs.statSync(targetPath) !== undefined;
    } catch {
      return false;
    }
  };
}

export async function collectContent(
  ctx: CollectContext,
  inputs: Promise<ContentInputs>,
  opts: ContentCollectOptions,
  /**
   * The process list as soon as it is read (before its CPU sample): the memory scan starts from it
   * at once instead of waiting with the other inputs for the whole process collection, the
   * containers and the web roots; on a warm default scan it is the end of the critical path. The
   * walk of the files waits for it too (sharing the cores with the process walk only delayed the
   * memory scan), but not the rules and the roots: they are ready by the time it comes.
   */
  processesRead?: Promise<readonly ProcessInfo[] | undefined>,
): Promise<ContentCollection> {
  const log = new CollectorLog('content.scan', ['content']);
  if (!opts.enabled) return { record: log.record('skipped', '--no-content'), ruleProblems: [] };
  let compiled;
  try {
    compiled = compileAllRules(opts.userRuleDirs, opts.cachePath);
  } catch (err) {
    log.add(undefined, err);
    const note = err instanceof EngineUnavailableError ? err.localized.en : 'rules could not be compiled';
    return { record: log.record('failed', note), ruleProblems: [] };
  }
  const { problems } = compiled;
  for (const p of problems)
    if (p.severity === 'error') log.add(p.file, Object.assign(new Error(p.message.en), { code: p.code }));

  // The root `/` is this machine's own: its paths mean what they say. Any other root is a target
  // whose symlinks are resolved inside it (here, and again by the walker, which shows a root under
  // its own name and walks where it leads).
  const links = ctx.root === '/' ? undefined : new OutsideLinks(ctx.fs);
  const reachable = reachableIn(ctx, links);
  let roots: string[] = [];
  if (opts.scope === 'paths') {
    for (const named of opts.paths.map((p) => path.resolve(p))) {
      // A named path under the root is a path of the target; one elsewhere is the user's own.
      const rel = links ? path.relative(ctx.root, named) : '..';
      if (rel === '..' || rel.startsWith('../') || (await reachable(`/${rel}`))) roots.push(named);
    }
  } else if (opts.scope === 'full') {
    roots = ctx.live ? localMountPoints(readFileSync('/proc/self/mounts', 'utf8')) : [ctx.root];
  } else {
    // A Windows volume has its own hiding places (Fonts, Temp, ProgramData, profiles' AppData…).
    const dirs = ctx.kind === 'windows-volume' ? await windowsContentDirs(ctx.fs) : DEFAULT_CONTENT_DIRS;
    for (const d of dirs) if (await reachable(d)) roots.push(ctx.root === '/' ? d : path.join(ctx.root, d));
  }
  // Our own rules and samples would match themselves; the user's rule files too.
  // The whole bundle store: every kept version and its iocs/, not only the active rules/.
  const exclude = [
    projectRoot(),
    ...ownExecutable(),
    bundledRulesDir(),
    bundleStoreDir(),
    ...opts.userRuleDirs,
  ];
  // The cache keeps excerpts of what matched, so it would match too; the default one always.
  exclude.push(path.dirname(defaultCachePath()));
  if (opts.cachePath) exclude.push(...cacheFiles(opts.cachePath));

  // What needs the process walk, the containers and the web roots is handed over when they are done:
  // the walk of the roots above does not wait for them.
  const deferred = inputs.then(async ({ processes, containers = [], webRoots = [] }) => {
    if (opts.scope !== 'default') return { memory: memoryOf(ctx, opts, processes) };
    const extraRoots = await webScanRoots(ctx, webRoots, reachable);
    // Running containers: their roots, their processes' executables under their names.
    const inContainers = await containerScanRoots(ctx, containers, links, log);
    return {
      roots: extraRoots,
      labelledRoots: inContainers.labelled,
      extraFiles: await exeFiles(ctx, processes ?? [], links, inContainers.roots),
      memory: memoryOf(ctx, opts, processes),
    };
  });

  const scan = async (): Promise<ContentCollection> => {
    const processes = await processesRead;
    const { content, memoryCoverage } = await scanContent(
      {
        scope: opts.scope,
        roots,
        deferred,
        memory: processes && memoryOf(ctx, opts, processes),
        oneFileSystem: opts.scope === 'full' ? true : !opts.crossFs,
        maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
        exclude,
        prune: opts.scope === 'default' ? PACKAGE_STORES : undefined,
        skipArchiveNames: opts.scope === 'default',
        skipOwnInstalls: opts.scope !== 'paths',
        cachePath: opts.cachePath,
        displayRoot: ctx.root === '/' ? undefined : ctx.root,
        onProgress: opts.onProgress,
        signal: opts.signal,
      },
      compiled,
    );
    // The registry is read only when some file matched: a clean scan never opens it.
    if (content.files.some((f) => f.matches.length > 0))
      markOwnOutputs(content, ctx.root, opts.outputRegistry ?? loadOutputRegistry());
    // Only when there is one, so the snapshots of every other target stay as they were.
    const outside = links?.list() ?? [];
    if (outside.length > 0) content.linksOutsideRoot = outside;
    const unreadable =
      (content.stats.skippedByReason.unreadable ?? 0) + (content.stats.skippedByReason.error ?? 0);
    const status = log.errorCount > 0 || unreadable > 0 ? 'partial' : 'ok';
    const note = [
      `${content.stats.files} files, ${content.stats.bytes} bytes, ${content.stats.cached} from cache`,
      unreadable > 0 ? `${unreadable} unreadable` : '',
      memoryCoverage ? memoryNote(content, memoryCoverage) : '',
    ]
      .filter(Boolean)
      .join('; ');
    return { content, record: log.record(status, note), ruleProblems: problems };
  };
  return runCollector(log, scan, (record) => ({ record, ruleProblems: problems }), 'content scan crashed');
}
