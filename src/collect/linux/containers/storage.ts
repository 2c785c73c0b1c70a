// Containers in containers/storage, the store podman and CRI-O share, read without either one:
// <graphroot>/overlay-containers/containers.json (id, names, image id, layer, and a `metadata` JSON
// string with the image name) and each container's OCI spec, userdata/config.json, whose annotations
// tell a CRI-O container (Kubernetes pod, namespace, container and image names) from a podman one.
// Graph roots: the rootful default, those storage.conf files name (and, on a live host, the one
// CONTAINERS_STORAGE_CONF points minehunter at, as podman itself honours it), and rootless users'.
import path from 'node:path';
import type { TargetFs } from '../../../target/fs.js';
import type { CollectorLog } from '../../support.js';
import {
  MAX_CONTAINERS_PER_SOURCE,
  CONTAINER_ID,
  defined,
  field,
  listNames,
  readJson,
  str,
  type ContainerMeta,
  type MetaRead,
} from './types.js';

export const DEFAULT_GRAPHROOT = '/var/lib/containers/storage';
export const STORAGE_CONFS = ['/etc/containers/storage.conf', '/usr/share/containers/storage.conf'];
const ROOTLESS_STORE = '.local/share/containers/storage';

/** `graphroot` and `runroot` of a storage.conf's [storage] table (the TOML subset these files use). */
export function parseStorageConf(text: string): { graphroot?: string; runroot?: string } {
  const out: { graphroot?: string; runroot?: string } = {};
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\s+|\s+$/g, '');
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      table = (header[1] as string).trim();
      continue;
    }
    if (table !== 'storage') continue;
    const kv = /^(graphroot|runroot)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (kv) out[kv[1] as 'graphroot' | 'runroot'] = kv[2] ?? kv[3];
  }
  return out;
}

/** The graph roots to read: the default, each storage.conf's, and every rootless user's. */
export async function graphRoots(
  fs: TargetFs,
  log: CollectorLog,
  storageConfEnv: string | undefined,
): Promise<string[]> {
  const roots = [DEFAULT_GRAPHROOT];
  const confs = storageConfEnv ? [...STORAGE_CONFS, storageConfEnv] : STORAGE_CONFS;
  for (const conf of confs) {
    let text: string;
    try {
      text = await fs.text(conf, { maxBytes: 1024 * 1024 });
    } catch {
      continue; // no storage.conf: the defaults apply
    }
    const { graphroot } = parseStorageConf(text);
    if (graphroot && path.posix.isAbsolute(graphroot)) roots.push(path.posix.normalize(graphroot));
  }
  roots.push(`/root/${ROOTLESS_STORE}`);
  for (const user of await listNames(fs, '/home', log)) roots.push(`/home/${user}/${ROOTLESS_STORE}`);
  return [...new Set(roots)];
}

/** The runtime and Kubernetes names an OCI spec's annotations give (CRI-O's, or podman's own). */
export function fromAnnotations(spec: unknown): Partial<ContainerMeta> & { runtime: 'podman' | 'cri-o' } {
  const a = field(spec, 'annotations');
  // podman sets io.container.manager=libpod (and, being CRI-O's cousin, some io.kubernetes.cri-o.* too).
  const crio =
    str(a, 'io.container.manager') !== 'libpod' &&
    (str(a, 'io.kubernetes.pod.name') !== undefined ||
      str(a, 'io.kubernetes.cri-o.ContainerType') !== undefined);
  if (!crio) return { runtime: 'podman' };
  return defined<Partial<ContainerMeta> & { runtime: 'cri-o' }>(
    { runtime: 'cri-o' },
    {
      name: str(a, 'io.kubernetes.container.name'),
      pod: str(a, 'io.kubernetes.pod.name'),
      namespace: str(a, 'io.kubernetes.pod.namespace'),
      podUid: str(a, 'io.kubernetes.pod.uid'),
      image: str(a, 'io.kubernetes.cri-o.ImageName'),
    },
  );
}

/** One containers.json entry as a ContainerMeta, before its spec's annotations are read. */
export function parseStorageEntry(entry: unknown): ContainerMeta | undefined {
  const id = str(entry, 'id');
  if (!id || !CONTAINER_ID.test(id)) return undefined;
  const names = field(entry, 'names');
  let metadata: unknown;
  try {
    metadata = JSON.parse(str(entry, 'metadata') ?? '{}') as unknown;
  } catch {
    metadata = undefined; // the names and ids are still worth having
  }
  const imageHex = str(entry, 'image');
  return defined<ContainerMeta>(
    { runtime: 'podman', id, source: 'metadata' },
    {
      name: Array.isArray(names) && typeof names[0] === 'string' ? names[0] : str(metadata, 'name'),
      image: str(metadata, 'image-name'),
      imageId: imageHex && /^[0-9a-f]{64}$/.test(imageHex) ? `sha256:${imageHex}` : imageHex,
      pod: str(metadata, 'pod-name'),
    },
  );
}

/** The containers of one graph root. */
async function readGraphRoot(fs: TargetFs, root: string, log: CollectorLog): Promise<MetaRead> {
  const file = `${root}/overlay-containers/containers.json`;
  const list = await readJson(fs, file, log);
  if (!Array.isArray(list)) return { containers: [], sources: [] };
  const containers: ContainerMeta[] = [];
  for (const entry of list.slice(0, MAX_CONTAINERS_PER_SOURCE)) {
    const meta = parseStorageEntry(entry);
    if (!meta) continue;
    const spec = await readJson(fs, `${root}/overlay-containers/${meta.id}/userdata/config.json`, log);
    // A CRI-O container's Kubernetes names beat the generated k8s_… name in containers.json.
    const merged: ContainerMeta = { ...meta, ...fromAnnotations(spec) };
    const layer = str(entry, 'layer');
    if (layer && /^[0-9a-f]{64}$/.test(layer)) merged.mergedDir = `${root}/overlay/${layer}/merged`;
    containers.push(merged);
  }
  return { containers, sources: [file] };
}

/** podman's and CRI-O's containers in every graph root there is. */
export async function readStorage(
  fs: TargetFs,
  log: CollectorLog,
  storageConfEnv: string | undefined,
): Promise<MetaRead> {
  const out: MetaRead = { containers: [], sources: [] };
  for (const root of await graphRoots(fs, log, storageConfEnv)) {
    const read = await readGraphRoot(fs, root, log);
    out.containers.push(...read.containers);
    out.sources.push(...read.sources);
  }
  return out;
}
