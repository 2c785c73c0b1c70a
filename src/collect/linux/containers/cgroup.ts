// Which container a process runs in, read from /proc/PID/cgroup: every runtime puts the container's
// 64-hex id into the cgroup path it creates (docker, podman, containerd/CRI, CRI-O, with the
// cgroupfs or the systemd driver, under Kubernetes' kubepods tree or not). The id is what the
// runtime's metadata is keyed by, so this is the one fact that ties a host pid to a container.
import type { ContainerRuntime } from '../../../snapshot/container.js';

/** What the cgroup path alone tells: the runtime (when its naming gives it away), the id, the pod uid. */
export interface CgroupContainer {
  runtime: ContainerRuntime;
  id: string;
  /** Kubernetes pod uid (`pod<uid>` or `kubepods-…-pod<uid_with_underscores>.slice`). */
  podUid?: string;
}

const ID = '([0-9a-f]{64})';

/**
 * One path component naming a container, as each runtime writes it. The conmon monitors
 * (`libpod-conmon-<id>.scope`, `crio-conmon-<id>.scope`) run outside the container and are left out
 * on purpose: killing them does not stop the miner, and they hold none of its files.
 */
const COMPONENT_FORMS: { re: RegExp; runtime: ContainerRuntime }[] = [
  // systemd driver: docker-<id>.scope, libpod-<id>.scope, crio-<id>.scope, cri-containerd-<id>.scope.
  { re: new RegExp(`^docker-${ID}\\.scope$`), runtime: 'docker' },
  // cgroupfs driver of podman: /libpod_parent/libpod-<id> (systemd: libpod-<id>.scope).
  { re: new RegExp(`^libpod-${ID}(?:\\.scope)?$`), runtime: 'podman' },
  { re: new RegExp(`^crio-${ID}(?:\\.scope)?$`), runtime: 'cri-o' },
  { re: new RegExp(`^cri-containerd-${ID}(?:\\.scope)?$`), runtime: 'containerd' },
  // runc's "slice:prefix:name" cgroupsPath, seen as is when no systemd made the scope.
  { re: new RegExp(`^[^:]*\\.slice:cri-containerd:${ID}$`), runtime: 'containerd' },
  { re: new RegExp(`^[^:]*\\.slice:crio:${ID}$`), runtime: 'cri-o' },
  { re: new RegExp(`^[^:]*\\.slice:docker:${ID}$`), runtime: 'docker' },
];

/** Ancestors under which a bare 64-hex component is docker's: `/docker/<id>`, GitHub's `/actions_job/<id>`, `/ecs/<task>/<id>`. */
const DOCKER_PARENTS = new Set(['docker', 'actions_job', 'ecs']);

const BARE_ID = new RegExp(`^${ID}$`);
/**
 * `pod<uid>` (cgroupfs) or `kubepods-burstable-pod<uid_with_underscores>.slice` (systemd); a static
 * pod's uid is the 32-hex hash of its manifest, without dashes.
 */
const POD_UID =
  /^(?:.*-)?pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice)?$/;

/**
 * The container a cgroup path names, outermost first: docker-in-docker's outer container is the one
 * the host's runtime knows. A bare id right under `libpod_parent` is a podman pod's cgroup
 * (`/libpod_parent/<pod id>/libpod-<id>`), not a container.
 */
export function containerOfPath(cgroupPath: string): CgroupContainer | undefined {
  const parts = cgroupPath.split('/').filter((p) => p !== '' && p !== '.' && p !== '..');
  let podUid: string | undefined;
  let kube = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    // runc's `slice:prefix:id` carries the pod's slice in the same component as the id.
    const slice = part.includes(':') ? part.slice(0, part.indexOf(':')) : part;
    if (slice.startsWith('kubepods') || slice.includes('-kubepods')) kube = true;
    const pod = kube ? POD_UID.exec(slice) : null;
    if (pod) podUid = (pod[1] as string).replace(/_/g, '-');
    const found =
      namedContainer(part) ??
      (parts[i - 1] === 'libpod_parent' ? undefined : bareContainer(part, parts, i, kube));
    if (found) return podUid ? { ...found, podUid } : found;
  }
  return undefined;
}

/** A component in a runtime's own naming, which tells the runtime. */
function namedContainer(part: string): CgroupContainer | undefined {
  for (const form of COMPONENT_FORMS) {
    const m = form.re.exec(part);
    if (m) return { runtime: form.runtime, id: m[1] as string };
  }
  return undefined;
}

/**
 * A bare 64-hex component (parts[i]): docker's under /docker (and the like), any runtime's
 * elsewhere. Its ancestors are looked at only for an id (not copied for every component: a path
 * of thousands of components cost a copy each).
 */
function bareContainer(
  part: string,
  parts: readonly string[],
  i: number,
  kube: boolean,
): CgroupContainer | undefined {
  const m = BARE_ID.exec(part);
  if (!m) return undefined;
  const id = m[1] as string;
  // Under kubepods the cgroupfs driver names only the id: docker, containerd or CRI-O alike.
  if (!kube && parts.slice(0, i).some((a) => DOCKER_PARENTS.has(a))) return { runtime: 'docker', id };
  // A 64-hex cgroup name is what every runtime uses for a container; its metadata tells which one.
  return { runtime: 'unknown', id };
}

/**
 * The container of a process from its /proc/PID/cgroup text (cgroup v1 `N:controllers:path` and v2
 * `0::path` lines). The unified (v2) line is asked first, then the v1 lines in file order: on a hybrid
 * host one of them may still be `/` while the others carry the container.
 */
export function parseCgroup(text: string): CgroupContainer | undefined {
  const paths: string[] = [];
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    // The path may itself hold colons (runc's `slice:prefix:id`): everything after the second one.
    const p = line.slice(second + 1);
    if (line.startsWith('0::')) paths.unshift(p);
    else paths.push(p);
  }
  for (const p of paths) {
    const found = containerOfPath(p);
    if (found) return found;
  }
  return undefined;
}
