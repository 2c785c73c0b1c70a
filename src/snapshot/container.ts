// The snapshot's container facts (source §4.7): which container a process runs in, as read from its
// cgroup and the runtime's own metadata on disk or API socket, and the containers found on a host.
// The container's name (ContainerRef) lives in model/container.ts, which findings share.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { ContainerRefSchema, type ContainerRef } from '../model/container.js';

export {
  CONTAINER_RUNTIMES,
  ContainerRefSchema,
  ContainerRuntimeSchema,
  type ContainerRef,
  type ContainerRuntime,
} from '../model/container.js';

export const ContainerSchema = builtOnFirstUse(() =>
  ContainerRefSchema.extend({
    /** Host pids of its processes seen in this collection. */
    pids: z.array(z.number().int().positive()),
    /** running, exited, …, as the runtime's metadata says. */
    state: z.string().optional(),
    /** Where the container's root filesystem is read from the host (`/proc/PID/root` or the merged dir). */
    rootfs: z.string().optional(),
    /** Where its name and image were read: the runtime's metadata file, its API, or only the cgroup. */
    source: z.enum(['metadata', 'api', 'cgroup']),
  }),
);
export type Container = z.infer<typeof ContainerSchema>;

export const ContainersSchema = builtOnFirstUse(() =>
  z.object({
    containers: z.array(ContainerSchema),
    /** Runtime state directories and sockets that were read, e.g. `/var/lib/docker/containers`. */
    sources: z.array(z.string()),
  }),
);
export type Containers = z.infer<typeof ContainersSchema>;

/**
 * The name a container's files are shown under, `<label>:/path`: its name, and under Kubernetes
 * `namespace/pod/name` (a container name alone repeats across pods); the short id when no metadata
 * named it. Never starts with `/`, so a labelled path cannot be taken for a host path.
 */
export function containerPathLabel(c: ContainerRef): string {
  const name = c.name ?? c.id.slice(0, 12);
  return c.pod ? `${c.namespace ? `${c.namespace}/` : ''}${c.pod}/${name}` : name;
}

/** A path inside a container as the content scan shows it: `web-1:/tmp/x`. */
export function containerPath(c: ContainerRef, p: string): string {
  return `${containerPathLabel(c)}:${p}`;
}

/** The path a file has inside its own system: `/tmp/x` of `web-1:/tmp/x`; a host path unchanged. */
export function pathInContainer(p: string): string {
  if (p.startsWith('/')) return p;
  const at = p.indexOf(':/');
  return at > 0 ? p.slice(at + 1) : p;
}
