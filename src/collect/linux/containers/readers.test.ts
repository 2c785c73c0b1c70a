// The runtime metadata readers one by one: docker's config.v2.json and data roots, containers/storage
// (storage.conf, containers.json, podman vs CRI-O annotations), containerd's CRI task specs, with the
// broken and hostile inputs a disk can hold (bad JSON, a record for another id, a relative data-root).
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { targetFs } from '../../../target/fs.js';
import { CollectorLog } from '../../support.js';
import { parseTaskSpec } from './containerd.js';
import { dockerDataRoots, dockerState, parseDockerConfig, readDocker } from './docker.js';
import { fromAnnotations, graphRoots, parseStorageConf, parseStorageEntry } from './storage.js';

const ID = 'fb6a9e7e1f16edaa59cc3f3bf64aa04529f5cfd4ee3f88ce52492dd6c12a7dfd';
const log = (): CollectorLog => new CollectorLog('linux.containers', ['containers']);

let tmp: string | undefined;
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function root(files: Record<string, string>): Promise<string> {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'mh-container-readers-'));
  for (const [p, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(tmp, p)), { recursive: true });
    await writeFile(path.join(tmp, p), text);
  }
  return tmp;
}

describe('docker', () => {
  it('reads name, image, state, pid and dockershim labels from config.v2.json', () => {
    expect(
      parseDockerConfig(
        {
          ID,
          Name: '/k8s_app_web-1_default_0b5f_0',
          Image: 'sha256:' + 'a'.repeat(64),
          Config: {
            Image: 'nginx:1.25',
            Labels: { 'io.kubernetes.pod.name': 'web-1', 'io.kubernetes.pod.namespace': 'default' },
          },
          State: { Running: true, Paused: false, Pid: 4242 },
        },
        ID,
      ),
    ).toEqual({
      runtime: 'docker',
      id: ID,
      name: 'k8s_app_web-1_default_0b5f_0',
      image: 'nginx:1.25',
      imageId: 'sha256:' + 'a'.repeat(64),
      pod: 'web-1',
      namespace: 'default',
      state: 'running',
      pid: 4242,
      source: 'metadata',
    });
  });

  it('refuses a record for another id, and says what state flags mean', () => {
    expect(parseDockerConfig({ ID: 'f'.repeat(64) }, ID)).toBeUndefined();
    expect(parseDockerConfig('not an object', ID)).toBeUndefined();
    expect(dockerState({ Running: true, Paused: true })).toBe('paused');
    expect(dockerState({ Restarting: true })).toBe('restarting');
    expect(dockerState({ Dead: true })).toBe('dead');
    expect(dockerState({ Running: false, Pid: 0 })).toBe('exited');
    expect(dockerState(undefined)).toBeUndefined();
  });

  it('takes data-root from daemon.json only when absolute', async () => {
    const r = await root({ 'etc/docker/daemon.json': '{"data-root": "../../escape"}' });
    expect(await dockerDataRoots(targetFs(r), log())).toEqual([
      '/var/lib/docker',
      '/var/snap/docker/common/var-lib-docker',
    ]);
  });

  it('logs a broken config.v2.json and reads the rest', async () => {
    const other = 'e'.repeat(64);
    const r = await root({
      [`var/lib/docker/containers/${ID}/config.v2.json`]: '{"ID": "' + ID.slice(0, 10),
      [`var/lib/docker/containers/${other}/config.v2.json`]: JSON.stringify({ ID: other, Name: '/ok' }),
      'var/lib/docker/containers/not-an-id/config.v2.json': '{}',
    });
    const l = log();
    const read = await readDocker(targetFs(r), l);
    expect(read.containers.map((c) => c.name)).toEqual(['ok']);
    expect(read.sources).toEqual(['/var/lib/docker/containers']);
    expect(l.errors).toHaveLength(1);
    expect(l.errors[0]?.path).toBe(`/var/lib/docker/containers/${ID}/config.v2.json`);
  });
});

describe('containers/storage', () => {
  it('parses graphroot and runroot from the [storage] table only', () => {
    const conf = [
      '# comment',
      '[storage]',
      'driver = "overlay"',
      `graphroot = "/srv/store"`,
      "runroot = '/run/store'",
      '[storage.options]',
      'graphroot = "/not/this/one"',
    ].join('\n');
    expect(parseStorageConf(conf)).toEqual({ graphroot: '/srv/store', runroot: '/run/store' });
    expect(parseStorageConf('')).toEqual({});
  });

  it('lists the default, storage.conf, the environment’s and rootless graph roots', async () => {
    const r = await root({
      'etc/containers/storage.conf': '[storage]\ngraphroot = "/data/containers"\n',
      'opt/mine.conf': '[storage]\ngraphroot = "/opt/podman"\n',
      'home/alice/.bashrc': '',
    });
    expect(await graphRoots(targetFs(r), log(), '/opt/mine.conf')).toEqual([
      '/var/lib/containers/storage',
      '/data/containers',
      '/opt/podman',
      '/root/.local/share/containers/storage',
      '/home/alice/.local/share/containers/storage',
    ]);
  });

  it('reads a containers.json entry as podman writes it (measured with podman 4.3)', () => {
    expect(
      parseStorageEntry({
        id: ID,
        names: ['mh-try'],
        image: '6464803e83b3603e1bc9f3cac35861875a205a0b172f126f0c4b0fd30c008abf',
        layer: 'dadc137c4ac4640bfc53131afba62a387d3ed0534d8d8cef53caa858303f2c71',
        metadata:
          '{"image-name":"localhost/mh-try:1","image-id":"6464803e83b3603e1bc9f3cac35861875a205a0b172f126f0c4b0fd30c008abf","name":"mh-try","created-at":1796258473}',
      }),
    ).toEqual({
      runtime: 'podman',
      id: ID,
      name: 'mh-try',
      image: 'localhost/mh-try:1',
      imageId: 'sha256:6464803e83b3603e1bc9f3cac35861875a205a0b172f126f0c4b0fd30c008abf',
      source: 'metadata',
    });
    expect(parseStorageEntry({ id: ID, metadata: '{broken' })).toEqual({
      runtime: 'podman',
      id: ID,
      source: 'metadata',
    });
    expect(parseStorageEntry({ id: '../../etc' })).toBeUndefined();
  });

  it('tells CRI-O from podman by the spec’s annotations', () => {
    // podman 4.3 writes some io.kubernetes.cri-o.* annotations too: io.container.manager decides.
    expect(
      fromAnnotations({
        annotations: {
          'io.container.manager': 'libpod',
          'io.kubernetes.cri-o.Created': '2026-12-03T00:41:13Z',
        },
      }),
    ).toEqual({ runtime: 'podman' });
    expect(
      fromAnnotations({
        annotations: {
          'io.kubernetes.container.name': 'api',
          'io.kubernetes.cri-o.ContainerType': 'container',
          'io.kubernetes.cri-o.ImageName': 'registry.example/prod/api:2.4',
          'io.kubernetes.pod.name': 'api-5c8b',
          'io.kubernetes.pod.namespace': 'prod',
          'io.kubernetes.pod.uid': '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
        },
      }),
    ).toEqual({
      runtime: 'cri-o',
      name: 'api',
      image: 'registry.example/prod/api:2.4',
      pod: 'api-5c8b',
      namespace: 'prod',
      podUid: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
    });
    expect(fromAnnotations(undefined)).toEqual({ runtime: 'podman' });
  });
});

describe('containerd', () => {
  it('reads the CRI annotations of a task spec', () => {
    expect(
      parseTaskSpec(
        {
          annotations: {
            'io.kubernetes.cri.container-name': 'worker',
            'io.kubernetes.cri.image-name': 'docker.io/evil/worker:latest',
            'io.kubernetes.cri.sandbox-name': 'miner-7d9f',
            'io.kubernetes.cri.sandbox-namespace': 'default',
            'io.kubernetes.cri.sandbox-uid': '5e0c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
          },
        },
        ID,
        'k8s.io',
      ),
    ).toEqual({
      runtime: 'containerd',
      id: ID,
      name: 'worker',
      image: 'docker.io/evil/worker:latest',
      pod: 'miner-7d9f',
      namespace: 'default',
      podUid: '5e0c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
      state: 'running',
      source: 'metadata',
    });
  });

  it('takes nerdctl’s name, and docker’s own tasks (namespace moby) as docker', () => {
    expect(parseTaskSpec({ annotations: { 'nerdctl/name': 'web' } }, ID, 'default')).toMatchObject({
      runtime: 'containerd',
      name: 'web',
    });
    expect(parseTaskSpec({}, ID, 'moby')).toEqual({
      runtime: 'docker',
      id: ID,
      state: 'running',
      source: 'metadata',
    });
  });
});
