// The snapshot's container facts (source §4.7): which container a process runs in, as read from its
// cgroup and the runtime's own metadata on disk or API socket, and the containers found on a host.
// A leaf module (as persistence.ts): the process schema, the evidence of findings and the collectors
// all import it, so it imports nothing of theirs.
import { z } from 'zod';

export const CONTAINER_RUNTIMES = ['docker', 'podman', 'containerd', 'cri-o', 'unknown'] as const;
export const ContainerRuntimeSchema = z.enum(CONTAINER_RUNTIMES);
export type ContainerRuntime = z.infer<typeof ContainerRuntimeSchema>;

/** A container named the way a responder finds it again: runtime, id, name, image, pod. */
export const ContainerRefSchema = z.object({
  runtime: ContainerRuntimeSchema,
  /** The full 64-hex container id (the cgroup path carries it). */
  id: z.string(),
  /** Its name (`docker ps` NAMES, without the leading slash); absent when no metadata was found. */
  name: z.string().optional(),
  /** The image as the container was created from it, e.g. `docker.io/library/nginx:1.25`. */
  image: z.string().optional(),
  /** The image id (`sha256:…`), when the metadata has it. */
  imageId: z.string().optional(),
  /** Kubernetes: the pod's name and namespace (from CRI labels), or its uid from the cgroup path. */
  pod: z.string().optional(),
  namespace: z.string().optional(),
  podUid: z.string().optional(),
});
export type ContainerRef = z.infer<typeof ContainerRefSchema>;

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
