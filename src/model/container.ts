// The name of a container as a finding's process evidence and the snapshot's processes both carry
// it (runtime, id, name, image, pod): a leaf of the model layer, so findings need not import the
// snapshot. snapshot/container.ts builds the containers section on it.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

export const CONTAINER_RUNTIMES = ['docker', 'podman', 'containerd', 'cri-o', 'unknown'] as const;
export const ContainerRuntimeSchema = builtOnFirstUse(() => z.enum(CONTAINER_RUNTIMES));
export type ContainerRuntime = z.infer<typeof ContainerRuntimeSchema>;

/** A container named the way a responder finds it again: runtime, id, name, image, pod. */
export const ContainerRefSchema = builtOnFirstUse(() =>
  z.object({
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
  }),
);
export type ContainerRef = z.infer<typeof ContainerRefSchema>;
