// Docker's containers as dockerd records them on disk, read without dockerd or its CLI:
// <data-root>/containers/<id>/config.v2.json (name, image, state, host pid, labels) and the overlay2
// layer that is the container's root (<data-root>/image/overlay2/layerdb/mounts/<id>/mount-id). The
// data roots are the default one, the snap package's, and any `data-root` /etc/docker/daemon.json sets.
import path from 'node:path';
import type { TargetFs } from '../../../target/fs.js';
import type { CollectorLog } from '../../support.js';
import {
  CONTAINER_ID,
  MAX_CONTAINERS_PER_SOURCE,
  defined,
  field,
  kubeLabels,
  listNames,
  readJson,
  str,
  type ContainerMeta,
  type MetaRead,
} from './types.js';

export const DEFAULT_DOCKER_ROOTS = ['/var/lib/docker', '/var/snap/docker/common/var-lib-docker'];
export const DOCKER_DAEMON_JSON = '/etc/docker/daemon.json';

/** The data roots to read: the defaults and daemon.json's `data-root` (or the old `graph` key). */
export async function dockerDataRoots(fs: TargetFs, log: CollectorLog): Promise<string[]> {
  const roots = [...DEFAULT_DOCKER_ROOTS];
  const daemon = await readJson(fs, DOCKER_DAEMON_JSON, log);
  for (const key of ['data-root', 'graph']) {
    const value = str(daemon, key);
    if (value && path.posix.isAbsolute(value)) roots.push(path.posix.normalize(value));
  }
  return [...new Set(roots)];
}

/** dockerd's state flags as the word `docker ps` prints. */
export function dockerState(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  if (field(state, 'Running') === true) return field(state, 'Paused') === true ? 'paused' : 'running';
  if (field(state, 'Restarting') === true) return 'restarting';
  if (field(state, 'Dead') === true) return 'dead';
  return 'exited';
}

/** One config.v2.json as a ContainerMeta (undefined when it is not a container's record). */
export function parseDockerConfig(json: unknown, id: string): ContainerMeta | undefined {
  if (str(json, 'ID') !== id) return undefined;
  const config = field(json, 'Config');
  const state = field(json, 'State');
  const pid = field(state, 'Pid');
  const name = str(json, 'Name')?.replace(/^\//, '');
  const { pod, namespace, podUid } = kubeLabels(field(config, 'Labels'));
  return defined<ContainerMeta>(
    { runtime: 'docker', id, source: 'metadata' },
    {
      name,
      image: str(config, 'Image'),
      imageId: str(json, 'Image'),
      pod,
      namespace,
      podUid,
      state: dockerState(state),
      pid: typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined,
    },
  );
}

/** The overlay2 merged directory of a container, from the layer store's mount-id. */
async function mergedDir(fs: TargetFs, root: string, id: string): Promise<string | undefined> {
  try {
    const mountId = (
      await fs.text(`${root}/image/overlay2/layerdb/mounts/${id}/mount-id`, { maxBytes: 256 })
    ).trim();
    return /^[0-9a-zA-Z_-]+$/.test(mountId) ? `${root}/overlay2/${mountId}/merged` : undefined;
  } catch {
    // No layer record (another storage driver, a half-removed container): no merged dir to offer.
    return undefined;
  }
}

/** The containers of one data root. */
async function readDataRoot(fs: TargetFs, root: string, log: CollectorLog): Promise<MetaRead> {
  const dir = `${root}/containers`;
  const ids = (await listNames(fs, dir, log)).filter((n) => CONTAINER_ID.test(n));
  if (ids.length === 0) return { containers: [], sources: [] };
  const containers: ContainerMeta[] = [];
  for (const id of ids.slice(0, MAX_CONTAINERS_PER_SOURCE)) {
    const meta = parseDockerConfig(await readJson(fs, `${dir}/${id}/config.v2.json`, log), id);
    if (!meta) continue;
    const merged = await mergedDir(fs, root, id);
    containers.push(merged ? { ...meta, mergedDir: merged } : meta);
  }
  return { containers, sources: [dir] };
}

/** Docker's containers in every data root there is. */
export async function readDocker(fs: TargetFs, log: CollectorLog): Promise<MetaRead> {
  const out: MetaRead = { containers: [], sources: [] };
  for (const root of await dockerDataRoots(fs, log)) {
    const read = await readDataRoot(fs, root, log);
    out.containers.push(...read.containers);
    out.sources.push(...read.sources);
  }
  return out;
}
