// The linux.containers collector: which containers the host has and which of its processes run in
// them. The process walk already read each process's cgroup (runtime and container id); this joins
// those ids with the runtimes' own records, read from disk with no runtime CLI (docker's
// config.v2.json, containers/storage for podman and CRI-O, containerd's task specs), and, on a host
// whose processes are running, asks the Engine API sockets about ids the disk did not name. It fills
// the `containers` section and hands back the processes with their container's name, image and pod.
import path from 'node:path';
import type { Container, ContainerRef, ContainerRuntime, Containers } from '../../../snapshot/container.js';
import type { CollectionRecord, ProcessInfo } from '../../../snapshot/schema.js';
import type { CollectContext } from '../../context.js';
import { CollectorLog, errorMessage } from '../../support.js';
import { DEFAULT_API_SOCKETS, readApi } from './api.js';
import { readContainerd } from './containerd.js';
import { readDocker } from './docker.js';
import { readStorage } from './storage.js';
import type { ContainerMeta, MetaRead } from './types.js';

export interface ContainersOptions {
  /**
   * minehunter's own environment, on a live host only: CONTAINERS_STORAGE_CONF (a storage.conf whose
   * graphroot is read too, as podman reads it) and DOCKER_HOST / CONTAINER_HOST (`unix://` sockets).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Ask the Engine API sockets (default: when the target's /proc is live). */
  api?: boolean;
  apiTimeoutMs?: number;
}

export interface ContainersCollection {
  /** Absent when the host shows nothing of containers: no section, no record. */
  containers?: Containers;
  /** The processes with their container refs completed (only when some process runs in one). */
  processes?: ProcessInfo[];
  record?: CollectionRecord;
}

/** What the process walk saw of one container: its runtime as the cgroup names it, pod uid, pids. */
interface Seen {
  runtime: ContainerRuntime;
  podUid?: string;
  pids: number[];
  /** The pid whose PID namespace it starts (NSpid ends in 1): the container's own init. */
  init?: number;
}

function seenContainers(processes: readonly ProcessInfo[]): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const p of processes) {
    if (!p.container) continue;
    let s = seen.get(p.container.id);
    if (!s) {
      s = { runtime: p.container.runtime, pids: [] };
      if (p.container.podUid) s.podUid = p.container.podUid;
      seen.set(p.container.id, s);
    }
    s.pids.push(p.pid);
    if (p.containerInit && (s.init === undefined || p.pid < s.init)) s.init = p.pid;
  }
  for (const s of seen.values()) s.pids.sort((a, b) => a - b);
  return seen;
}

/** Merges records of the same id, the first reader's values first (disk before API). */
function mergeMeta(into: Map<string, ContainerMeta>, read: readonly ContainerMeta[]): void {
  for (const m of read) {
    const had = into.get(m.id);
    if (!had) into.set(m.id, { ...m });
    else for (const [k, v] of Object.entries(m)) if (!(k in had)) Object.assign(had, { [k]: v });
  }
}

/** The `unix://` sockets minehunter's environment names (DOCKER_HOST, podman-remote's CONTAINER_HOST). */
export function envSockets(env: Readonly<Record<string, string | undefined>>): string[] {
  return ['DOCKER_HOST', 'CONTAINER_HOST'].flatMap((k) => {
    const m = /^unix:\/\/(\/.+)$/.exec(env[k] ?? '');
    return m ? [path.posix.normalize(m[1] as string)] : [];
  });
}

/** The API's answers for the containers the disk left unnamed; each socket that answered is a source. */
async function askApi(
  ctx: CollectContext,
  wanted: string[],
  opts: ContainersOptions,
  log: CollectorLog,
): Promise<MetaRead> {
  const out: MetaRead = { containers: [], sources: [] };
  const sockets = [...new Set([...DEFAULT_API_SOCKETS, ...envSockets(opts.env ?? {})])];
  for (const socket of sockets) {
    const read = await readApi(await ctx.fs.hostPath(socket), wanted, opts.apiTimeoutMs);
    if (read.error !== undefined) log.add(socket, new Error(`Engine API: ${errorMessage(read.error)}`));
    if (!read.answered) continue;
    out.sources.push(socket);
    out.containers.push(...read.containers);
  }
  return out;
}

/** The ref a process carries: the container's identity, without its pids, state and rootfs. */
export function refOf(c: Container): ContainerRef {
  const { pids: _pids, state: _state, rootfs: _rootfs, source: _source, ...ref } = c;
  return ref;
}

/** Where the container's root is read: its init's /proc/PID/root while it runs, else (offline) the merged dir. */
async function rootfsOf(
  ctx: CollectContext,
  seen: Seen | undefined,
  meta: ContainerMeta | undefined,
): Promise<string | undefined> {
  if (ctx.proc === 'live') return seen ? `/proc/${seen.init ?? seen.pids[0]}/root` : undefined;
  if (meta?.mergedDir && (await ctx.fs.exists(meta.mergedDir))) return meta.mergedDir;
  return undefined;
}

/** One container's entry: the records' names (else the cgroup's runtime), the walk's pids, its root. */
async function toContainer(
  ctx: CollectContext,
  id: string,
  meta: ContainerMeta | undefined,
  seen: Seen | undefined,
): Promise<Container> {
  const runtime = meta && meta.runtime !== 'unknown' ? meta.runtime : (seen?.runtime ?? 'unknown');
  const ref: ContainerRef = { runtime, id };
  for (const k of ['name', 'image', 'imageId', 'pod', 'namespace', 'podUid'] as const) {
    const v = meta?.[k] ?? (k === 'podUid' ? seen?.podUid : undefined);
    if (v !== undefined) ref[k] = v;
  }
  // Processes in it were seen: it runs, whatever an older record on disk says.
  const state = seen ? 'running' : meta?.state;
  const rootfs = await rootfsOf(ctx, seen, meta);
  return {
    ...ref,
    pids: seen?.pids ?? [],
    ...(state !== undefined ? { state } : {}),
    ...(rootfs !== undefined ? { rootfs } : {}),
    source: meta?.source ?? 'cgroup',
  };
}

/** Collects the containers section and the processes with their container refs completed. */
export async function collectContainers(
  ctx: CollectContext,
  processes: readonly ProcessInfo[] | undefined,
  opts: ContainersOptions = {},
): Promise<ContainersCollection> {
  const log = new CollectorLog('linux.containers', ['containers']);
  const seen = seenContainers(processes ?? []);
  const env = opts.env ?? {};
  const reads = await Promise.all([
    readDocker(ctx.fs, log),
    readStorage(ctx.fs, log, env.CONTAINERS_STORAGE_CONF),
    readContainerd(ctx.fs, log),
  ]);
  const metas = new Map<string, ContainerMeta>();
  for (const r of reads) mergeMeta(metas, r.containers);
  const sources = reads.flatMap((r) => r.sources);
  const wanted = [...seen.keys()].filter((id) => metas.get(id)?.name === undefined);
  if (wanted.length > 0 && (opts.api ?? ctx.proc === 'live')) {
    const api = await askApi(ctx, wanted, opts, log);
    mergeMeta(metas, api.containers);
    sources.push(...api.sources);
  }
  // A host without containers keeps the snapshot it had: no section and no record.
  if (seen.size === 0 && metas.size === 0 && sources.length === 0 && log.errorCount === 0) return {};
  const ids = [...new Set([...seen.keys(), ...metas.keys()])].sort();
  const containers = await Promise.all(ids.map((id) => toContainer(ctx, id, metas.get(id), seen.get(id))));
  const byId = new Map(containers.map((c) => [c.id, refOf(c)]));
  const joined =
    seen.size > 0
      ? (processes ?? []).map((p) =>
          p.container ? { ...p, container: byId.get(p.container.id) ?? p.container } : p,
        )
      : undefined;
  const unnamed = containers.filter((c) => c.pids.length > 0 && c.source === 'cgroup').length;
  const notes = [`${containers.length} containers, ${seen.size} with processes`];
  if (unnamed > 0) notes.push(`${unnamed} named by no runtime metadata`);
  return {
    containers: { containers, sources: [...new Set(sources)] },
    ...(joined ? { processes: joined } : {}),
    record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')),
  };
}
