// What the runtime metadata readers (docker, containers/storage, containerd, the Engine API) hand the
// containers collector, and the reading helpers they share: every file is read through the target's
// door, a missing one is silence (the runtime is not installed), any other error goes to the log.
import type { ContainerRef, ContainerRuntime } from '../../../snapshot/container.js';
import type { TargetFs } from '../../../target/fs.js';
import { isGone, type CollectorLog } from '../../support.js';

/** One container as a runtime's own records describe it. */
export interface ContainerMeta extends Omit<ContainerRef, 'runtime'> {
  runtime: ContainerRuntime;
  /** running, paused, exited…; absent when the records do not say (podman keeps it in a Bolt DB). */
  state?: string;
  /** The host pid of its first process, when the records hold it (docker's State.Pid). */
  pid?: number;
  /** The target path of its overlay's merged root filesystem, when the storage layout tells it. */
  mergedDir?: string;
  source: 'metadata' | 'api';
}

/** What one reader found: the containers, and the state directories or sockets it read. */
export interface MetaRead {
  containers: ContainerMeta[];
  sources: string[];
}

/** Metadata files are small; anything larger is not a runtime's record and is not read whole. */
export const MAX_META_BYTES = 8 * 1024 * 1024;
/** Containers read per state directory: a node with more has a problem the scan must not inherit. */
export const MAX_CONTAINERS_PER_SOURCE = 5000;

export const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** The parsed JSON of a target file, or undefined when it is missing (silently) or unreadable (logged). */
export async function readJson(fs: TargetFs, p: string, log: CollectorLog): Promise<unknown> {
  let text: string;
  try {
    text = await fs.text(p, { maxBytes: MAX_META_BYTES });
  } catch (err) {
    if (!isGone(err) && !isNotDir(err)) log.add(p, err);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    log.add(p, err);
    return undefined;
  }
}

/** The names in a target directory, or [] when it is missing (silently) or unreadable (logged). */
export async function listNames(fs: TargetFs, dir: string, log: CollectorLog): Promise<string[]> {
  try {
    return await fs.names(dir);
  } catch (err) {
    if (!isGone(err) && !isNotDir(err)) log.add(dir, err);
    return [];
  }
}

function isNotDir(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'ENOTDIR';
}

/** A plain object's property, for JSON of unknown shape. */
export function field(obj: unknown, key: string): unknown {
  return typeof obj === 'object' && obj !== null && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

/** A non-empty string property, else undefined. */
export function str(obj: unknown, key: string): string | undefined {
  const v = field(obj, key);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Copies the defined values of `from` onto `to`, so optional fields stay absent rather than undefined. */
export function defined<T extends object>(to: T, from: Partial<T>): T {
  for (const [k, v] of Object.entries(from)) if (v !== undefined) (to as Record<string, unknown>)[k] = v;
  return to;
}

/**
 * The Kubernetes pod a container belongs to, from the labels dockershim and CRI-O write
 * (`io.kubernetes.pod.name`, `.namespace`, `.uid`; the container's own name in `io.kubernetes.container.name`).
 */
export function kubeLabels(labels: unknown): Pick<ContainerMeta, 'pod' | 'namespace' | 'podUid'> & {
  container?: string;
} {
  return defined(
    {},
    {
      pod: str(labels, 'io.kubernetes.pod.name'),
      namespace: str(labels, 'io.kubernetes.pod.namespace'),
      podUid: str(labels, 'io.kubernetes.pod.uid'),
      container: str(labels, 'io.kubernetes.container.name'),
    },
  );
}
