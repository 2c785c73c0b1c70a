// The Docker Engine API over a unix socket (dockerd's, or podman's compatible service), asked only
// for what the files on disk did not tell: `GET /containers/json` (running containers: id, names,
// image, state, labels) and `GET /containers/{id}/json` for an id the list left out. Node's own http
// client, a short timeout per request and a cap on the answer's size: a dead, hung or hostile socket
// costs the scan a moment and a record, never a crash.
import http from 'node:http';
import type { ContainerRuntime } from '../../../snapshot/container.js';
import { CONTAINER_ID, defined, field, kubeLabels, str, type ContainerMeta } from './types.js';
import { dockerState } from './docker.js';

/** The API version both dockerd 20.10+ and podman 4 serve. */
export const API_VERSION = 'v1.41';
/** Where the daemons listen by default (rootful). */
export const DEFAULT_API_SOCKETS = ['/var/run/docker.sock', '/run/podman/podman.sock'];
export const API_TIMEOUT_MS = 2000;
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export interface ApiAnswer {
  status: number;
  /** The `Server` header: `Docker/20.10.24 (linux)` or `Libpod/4.3.1 (linux)`. */
  server?: string;
  body: unknown;
}

/** One GET over the unix socket; rejects on a connection error, a timeout or an oversized answer. */
export function apiGet(socketPath: string, urlPath: string, timeoutMs = API_TIMEOUT_MS): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        socketPath,
        path: urlPath,
        headers: { Host: 'docker', Accept: 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`answer over ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? undefined : (JSON.parse(text) as unknown);
          } catch {
            body = text;
          }
          const server = res.headers.server;
          resolve({ status: res.statusCode ?? 0, body, ...(typeof server === 'string' ? { server } : {}) });
        });
      },
    );
    // `timeout` only fires on an idle socket; the caller's whole answer gets the same bound.
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
  });
}

/** podman answers with `Server: Libpod/…`; anything else speaking this API is taken for docker. */
export function runtimeOfServer(server: string | undefined): ContainerRuntime {
  return server !== undefined && /libpod/i.test(server) ? 'podman' : 'docker';
}

/** One entry of `GET /containers/json`. */
export function parseListEntry(entry: unknown, runtime: ContainerRuntime): ContainerMeta | undefined {
  const id = str(entry, 'Id');
  if (!id || !CONTAINER_ID.test(id)) return undefined;
  const names = field(entry, 'Names');
  const name = Array.isArray(names) && typeof names[0] === 'string' ? names[0].replace(/^\//, '') : undefined;
  const { pod, namespace, podUid } = kubeLabels(field(entry, 'Labels'));
  return defined<ContainerMeta>(
    { runtime, id, source: 'api' },
    {
      name,
      image: str(entry, 'Image'),
      imageId: str(entry, 'ImageID'),
      pod,
      namespace,
      podUid,
      state: str(entry, 'State'),
    },
  );
}

/** The answer of `GET /containers/{id}/json`. */
export function parseInspect(body: unknown, runtime: ContainerRuntime): ContainerMeta | undefined {
  const id = str(body, 'Id');
  if (!id || !CONTAINER_ID.test(id)) return undefined;
  const config = field(body, 'Config');
  const state = field(body, 'State');
  const pid = field(state, 'Pid');
  const { pod, namespace, podUid } = kubeLabels(field(config, 'Labels'));
  return defined<ContainerMeta>(
    { runtime, id, source: 'api' },
    {
      name: str(body, 'Name')?.replace(/^\//, ''),
      image: str(config, 'Image'),
      imageId: str(body, 'Image'),
      pod,
      namespace,
      podUid,
      state: str(state, 'Status') ?? dockerState(state),
      pid: typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined,
      mergedDir: str(field(field(body, 'GraphDriver'), 'Data'), 'MergedDir'),
    },
  );
}

export interface ApiRead {
  containers: ContainerMeta[];
  /** The socket answered: it is a source of the snapshot. */
  answered: boolean;
  /** Why it did not answer (absent socket: undefined, which is no error). */
  error?: unknown;
}

/**
 * The running containers one socket knows, plus an inspect of each of `wanted` the list left out
 * (a container created with a cgroup of its own but not in the list). At most 32 inspects.
 */
export async function readApi(
  socketPath: string,
  wanted: readonly string[],
  timeoutMs = API_TIMEOUT_MS,
): Promise<ApiRead> {
  let list: ApiAnswer;
  try {
    list = await apiGet(socketPath, `/${API_VERSION}/containers/json`, timeoutMs);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // No socket there is the normal case; a socket nobody listens on is only worth a record.
    return code === 'ENOENT'
      ? { containers: [], answered: false }
      : { containers: [], answered: false, error };
  }
  if (list.status !== 200 || !Array.isArray(list.body))
    return { containers: [], answered: false, error: new Error(`GET containers/json: HTTP ${list.status}`) };
  const runtime = runtimeOfServer(list.server);
  const containers = list.body.flatMap((e) => parseListEntry(e, runtime) ?? []);
  const listed = new Set(containers.map((c) => c.id));
  for (const id of wanted.filter((w) => !listed.has(w)).slice(0, 32)) {
    try {
      const answer = await apiGet(socketPath, `/${API_VERSION}/containers/${id}/json`, timeoutMs);
      const meta = answer.status === 200 ? parseInspect(answer.body, runtime) : undefined;
      if (meta) containers.push(meta);
    } catch {
      break; // it answered the list a moment ago: a failure now is the daemon going away
    }
  }
  return { containers, answered: true };
}
