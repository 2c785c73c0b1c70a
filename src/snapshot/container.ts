// The snapshot's container facts (source §4.7): which container a process runs in, as read from its
// cgroup and the runtime's own metadata on disk or API socket, and the containers found on a host.
// The container's name (ContainerRef) lives in model/container.ts, which findings share.
import { z } from 'zod';
import { ContainerRefSchema } from '../model/container.js';

export {
  CONTAINER_RUNTIMES,
  ContainerRefSchema,
  ContainerRuntimeSchema,
  type ContainerRef,
  type ContainerRuntime,
} from '../model/container.js';

export const ContainerSchema = ContainerRefSchema.extend({
  /** Host pids of its processes seen in this collection. */
  pids: z.array(z.number().int().positive()),
  /** running, exited, …, as the runtime's metadata says. */
  state: z.string().optional(),
  /** Where the container's root filesystem is read from the host (`/proc/PID/root` or the merged dir). */
  rootfs: z.string().optional(),
  /** Where its name and image were read: the runtime's metadata file, its API, or only the cgroup. */
  source: z.enum(['metadata', 'api', 'cgroup']),
});
export type Container = z.infer<typeof ContainerSchema>;

export const ContainersSchema = z.object({
  containers: z.array(ContainerSchema),
  /** Runtime state directories and sockets that were read, e.g. `/var/lib/docker/containers`. */
  sources: z.array(z.string()),
});
export type Containers = z.infer<typeof ContainersSchema>;
