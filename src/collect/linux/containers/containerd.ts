// containerd's running containers as its runc v2 shims keep them, read without containerd or crictl:
// <state>/io.containerd.runtime.v2.task/<namespace>/<id>/config.json, the OCI spec the task was
// started with. Kubernetes' CRI plugin (namespace k8s.io) annotates it with the container, pod,
// namespace and image names; nerdctl with its own name. These directories live under /run and exist
// only while the task runs, so their presence also says "running". Docker's own tasks (namespace
// moby) carry none of this: dockerd's config.v2.json is read for those.
import type { TargetFs } from '../../../target/fs.js';
import type { CollectorLog } from '../../support.js';
import {
  CONTAINER_ID,
  MAX_CONTAINERS_PER_SOURCE,
  defined,
  field,
  listNames,
  readJson,
  str,
  type ContainerMeta,
  type MetaRead,
} from './types.js';

/** Task state directories: containerd's, and k3s's bundled containerd. */
export const CONTAINERD_TASK_DIRS = [
  '/run/containerd/io.containerd.runtime.v2.task',
  '/run/k3s/containerd/io.containerd.runtime.v2.task',
];

/** One task's OCI spec as a ContainerMeta. */
export function parseTaskSpec(spec: unknown, id: string, namespace: string): ContainerMeta {
  const a = field(spec, 'annotations');
  return defined<ContainerMeta>(
    { runtime: namespace === 'moby' ? 'docker' : 'containerd', id, state: 'running', source: 'metadata' },
    {
      name: str(a, 'io.kubernetes.cri.container-name') ?? str(a, 'nerdctl/name'),
      pod: str(a, 'io.kubernetes.cri.sandbox-name'),
      namespace: str(a, 'io.kubernetes.cri.sandbox-namespace'),
      podUid: str(a, 'io.kubernetes.cri.sandbox-uid'),
      image: str(a, 'io.kubernetes.cri.image-name'),
    },
  );
}

/** The tasks of one state directory, every namespace. */
async function readTaskDir(fs: TargetFs, dir: string, log: CollectorLog): Promise<MetaRead> {
  const containers: ContainerMeta[] = [];
  for (const ns of await listNames(fs, dir, log)) {
    const ids = (await listNames(fs, `${dir}/${ns}`, log)).filter((n) => CONTAINER_ID.test(n));
    for (const id of ids.slice(0, MAX_CONTAINERS_PER_SOURCE)) {
      const spec = await readJson(fs, `${dir}/${ns}/${id}/config.json`, log);
      if (spec === undefined) continue;
      // The bundle's rootfs is the container's root, mounted while the task runs.
      containers.push({ ...parseTaskSpec(spec, id, ns), mergedDir: `${dir}/${ns}/${id}/rootfs` });
    }
  }
  return { containers, sources: containers.length > 0 ? [dir] : [] };
}

/** containerd's tasks in every state directory there is. */
export async function readContainerd(fs: TargetFs, log: CollectorLog): Promise<MetaRead> {
  const out: MetaRead = { containers: [], sources: [] };
  for (const dir of CONTAINERD_TASK_DIRS) {
    const read = await readTaskDir(fs, dir, log);
    out.containers.push(...read.containers);
    out.sources.push(...read.sources);
  }
  return out;
}
