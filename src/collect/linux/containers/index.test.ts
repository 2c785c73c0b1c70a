// The containers collector on the container-node fixture (a Kubernetes node's disk with docker,
// containerd's CRI, CRI-O and podman records and a /proc copy whose cgroups name them), its clean
// twins (hosts without containers keep their snapshot), the CONTAINERS_STORAGE_CONF store, and the
// Engine API asked over a real unix socket: answering, dead and hung.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../../snapshot/schema.js';
import { makeContext } from '../../context.js';
import { collectSnapshot } from '../../index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS, fixtureRoot } from '../../test-helpers.js';
import { collectContainers, envSockets } from './index.js';

const NODE = path.join(FIXTURE_ROOTS, 'container-node');
const IDS = {
  dockerWeb: '9371cf599d9c82137822dd5e2c8f26940db36f224bae3a1c3628306df1b39476',
  dockerExited: 'd51dee30c28ab7318a9d1b9b08382bba5759c98fdaa7e21f77e5d6ffb4b581e8',
  criWorker: '7d088d429d135c28d268b18742dafb8e32caffacb1ecb0c2972c21ca4e03b168',
  podmanDb: 'f23a4112047a243cff7cd1aa573c727f4101c9b34141112d486f30c8ea91db53',
  crioApi: 'da24b43ded5d7767feccc6efafcaa6e876a825e93bdd197b52ece36f12416bbe',
  unnamed: '329691a29c5c209ec5e90e0af235ab550152e67313791886316b5845a7b0d939',
  privatePodman: '9c99d0a7241e2668dcacb34e1bbc12cc02aa49c6a24ff0c35a1f94867d65bdae',
};

describe('linux.containers on the container-node fixture', () => {
  it('names every container the cgroups show, from each runtime’s own records', async () => {
    const snap = await collectSnapshot({ root: NODE, now: FIXTURE_NOW, toolVersion: '9.9.9' });
    const byId = new Map((snap.containers?.containers ?? []).map((c) => [c.id, c]));
    expect(byId.get(IDS.dockerWeb)).toEqual({
      runtime: 'docker',
      id: IDS.dockerWeb,
      name: 'web',
      image: 'nginx:1.25',
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      pids: [3100, 3101],
      state: 'running',
      // Offline: the overlay2 merged directory daemon.json's data root holds.
      rootfs: '/data/docker/overlay2/c2f0b7a1e9d84c3b5a6f7e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a4f5e6d7c8b/merged',
      source: 'metadata',
    });
    expect(byId.get(IDS.dockerExited)).toMatchObject({ name: 'old-job', state: 'exited', pids: [] });
    expect(byId.get(IDS.dockerExited)?.rootfs).toBeUndefined();
    expect(byId.get(IDS.criWorker)).toMatchObject({
      runtime: 'containerd',
      name: 'worker',
      image: 'docker.io/evil/worker:latest',
      pod: 'miner-7d9f',
      namespace: 'default',
      podUid: '5e0c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
      pids: [3300],
    });
    expect(byId.get(IDS.podmanDb)).toMatchObject({
      runtime: 'podman',
      name: 'db',
      image: 'docker.io/library/redis:7',
      pids: [3500],
    });
    expect(byId.get(IDS.crioApi)).toMatchObject({
      runtime: 'cri-o',
      name: 'api',
      image: 'registry.example/prod/api:2.4',
      pod: 'api-5c8b',
      namespace: 'prod',
      pids: [3700],
    });
    // Only the cgroup named it: runtime from the path, no name.
    expect(byId.get(IDS.unnamed)).toEqual({
      runtime: 'docker',
      id: IDS.unnamed,
      pids: [3900],
      state: 'running',
      source: 'cgroup',
    });
    expect(byId.size).toBe(6);
    expect(snap.containers?.sources).toEqual([
      '/var/lib/docker/containers',
      '/data/docker/containers',
      '/var/lib/containers/storage/overlay-containers/containers.json',
      '/run/containerd/io.containerd.runtime.v2.task',
    ]);
    expect(snap.collection.find((r) => r.collector === 'linux.containers')).toMatchObject({
      status: 'ok',
      note: '6 containers, 5 with processes; 1 named by no runtime metadata',
    });
  });

  it('joins the container into the processes that run in it, and only those', async () => {
    const snap = await collectSnapshot({ root: NODE, now: FIXTURE_NOW, toolVersion: '9.9.9' });
    const byPid = new Map((snap.processes ?? []).map((p) => [p.pid, p]));
    expect(byPid.get(3300)?.container).toEqual({
      runtime: 'containerd',
      id: IDS.criWorker,
      name: 'worker',
      image: 'docker.io/evil/worker:latest',
      pod: 'miner-7d9f',
      namespace: 'default',
      podUid: '5e0c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
    });
    expect(byPid.get(3101)?.container).toMatchObject({ name: 'web', id: IDS.dockerWeb });
    // The host's own processes, conmon and the shims included, run in no container.
    for (const pid of [1, 2, 700, 710, 3090, 3490]) expect(byPid.get(pid)?.container).toBeUndefined();
  });

  it('reads the store CONTAINERS_STORAGE_CONF names when given minehunter’s environment', async () => {
    const ctx = await makeContext(NODE, FIXTURE_NOW);
    const without = await collectContainers(ctx, [], {});
    expect(without.containers?.containers.some((c) => c.id === IDS.privatePodman)).toBe(false);
    const found = await collectContainers(ctx, [], {
      env: { CONTAINERS_STORAGE_CONF: '/srv/podman-private/conf/storage.conf' },
    });
    expect(found.containers?.containers.find((c) => c.id === IDS.privatePodman)).toEqual({
      runtime: 'podman',
      id: IDS.privatePodman,
      name: 'mh-test-private',
      image: 'localhost/private:1',
      imageId: expect.stringMatching(/^sha256:/),
      pids: [],
      source: 'metadata',
    });
    expect(found.containers?.sources).toContain(
      '/srv/podman-private/storage/overlay-containers/containers.json',
    );
    // No process ran in one: the walk's list is not handed back.
    expect(found.processes).toBeUndefined();
  });
});

describe('linux.containers: clean twins', () => {
  for (const name of ['clean-host', 'miner-host', 'offline-disk'] as const) {
    it(`${name}: no containers, no section and no record`, async () => {
      const snap = await collectSnapshot({ root: fixtureRoot(name), now: FIXTURE_NOW, toolVersion: '9.9.9' });
      expect('containers' in snap).toBe(false);
      expect(snap.collection.map((r) => r.collector)).not.toContain('linux.containers');
      expect((snap.processes ?? []).filter((p) => p.container !== undefined)).toEqual([]);
    });
  }
});

describe('envSockets', () => {
  it('takes unix:// sockets only', () => {
    expect(
      envSockets({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock', CONTAINER_HOST: 'tcp://10.0.0.1:2375' }),
    ).toEqual(['/run/user/1000/docker.sock']);
    expect(envSockets({ DOCKER_HOST: 'unix://relative.sock' })).toEqual([]);
    expect(envSockets({})).toEqual([]);
  });
});

/** A process in a container the disk knows nothing of, as the walk hands it over. */
function inContainer(pid: number, id: string): ProcessInfo {
  return {
    pid,
    ppid: 1,
    comm: 'sleep',
    argv: ['sleep', 'infinity'],
    exeDeleted: false,
    exeMemfd: false,
    cpuTimeSec: 0,
    state: 'S',
    kernelThread: false,
    env: {},
    maps: [],
    container: { runtime: 'docker', id },
  };
}

describe('linux.containers: the Engine API for ids the disk did not name', () => {
  let root: string;
  let hung: http.Server | undefined;
  const api = http.createServer((req, res) => {
    res.setHeader('Server', 'Docker/20.10.24 (linux)');
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/v1.41/containers/json') {
      res.end(
        JSON.stringify([
          {
            Id: IDS.unnamed,
            Names: ['/batch-7'],
            Image: 'registry.example/batch:3',
            ImageID: 'sha256:' + 'b'.repeat(64),
            State: 'running',
            Labels: {},
          },
        ]),
      );
    } else {
      res.statusCode = 404;
      res.end('{"message":"no such container"}');
    }
  });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'mh-containers-api-'));
    await new Promise<void>((resolve) => api.listen(path.join(root, 'api.sock'), resolve));
    // A socket path nobody listens on: a plain file connect() refuses.
    await writeFile(path.join(root, 'dead.sock'), '');
    hung = http.createServer(() => undefined);
    await new Promise<void>((resolve) => hung?.listen(path.join(root, 'hung.sock'), resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => api.close(resolve));
    hung?.closeAllConnections();
    await new Promise((resolve) => hung?.close(resolve));
    await rm(root, { recursive: true, force: true });
  });

  it('names the container from the socket DOCKER_HOST points at, and records the socket', async () => {
    const ctx = await makeContext(root, FIXTURE_NOW);
    const found = await collectContainers(ctx, [inContainer(77, IDS.unnamed)], {
      api: true,
      env: { DOCKER_HOST: 'unix:///api.sock' },
    });
    expect(found.containers?.containers).toEqual([
      {
        runtime: 'docker',
        id: IDS.unnamed,
        name: 'batch-7',
        image: 'registry.example/batch:3',
        imageId: 'sha256:' + 'b'.repeat(64),
        pids: [77],
        state: 'running',
        source: 'api',
      },
    ]);
    expect(found.containers?.sources).toEqual(['/api.sock']);
    expect(found.processes?.[0]?.container).toMatchObject({
      name: 'batch-7',
      image: 'registry.example/batch:3',
    });
    expect(found.record?.status).toBe('ok');
  });

  it('a dead or hung socket costs a record entry, not the scan', async () => {
    const ctx = await makeContext(root, FIXTURE_NOW);
    const t0 = performance.now();
    const found = await collectContainers(ctx, [inContainer(77, IDS.unnamed)], {
      api: true,
      apiTimeoutMs: 300,
      env: { DOCKER_HOST: 'unix:///dead.sock', CONTAINER_HOST: 'unix:///hung.sock' },
    });
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(found.containers?.containers).toEqual([
      { runtime: 'docker', id: IDS.unnamed, pids: [77], state: 'running', source: 'cgroup' },
    ]);
    expect(found.record?.status).toBe('partial');
    expect(found.record?.errors.map((e) => e.path)).toEqual(['/dead.sock', '/hung.sock']);
    expect(found.record?.errors[1]?.message).toMatch(/no answer within 300 ms/);
  });

  it('does not ask the API when the disk named every container, or offline by default', async () => {
    const ctx = await makeContext(root, FIXTURE_NOW);
    // proc is absent in this root: not a running system, so no socket is asked unless told to.
    const found = await collectContainers(ctx, [inContainer(77, IDS.unnamed)], {
      env: { DOCKER_HOST: 'unix:///api.sock' },
    });
    expect(found.containers?.sources).toEqual([]);
    expect(found.containers?.containers[0]?.source).toBe('cgroup');
  });
});
