// 'container-runtime-socket': each runtime's socket open to everyone or to a stranger group fails,
// with the fix for exactly that socket; the clean twins pass (root:root 0660, docker's root:docker,
// a rootless socket in its owner's group); no socket at all is not applicable; no facts, unknown.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { RuntimeSocket } from '../../snapshot/audit.js';
import { runCheck } from '../run.js';
import { describeSocket, runtimeSocketCheck, socketProblem } from './runtime-sockets.js';

const check = runtimeSocketCheck;
const run = (sockets: RuntimeSocket[]) =>
  runCheck(check, makeSnapshot({ audit: { runtimeSockets: { sockets } } }));

const PODMAN: RuntimeSocket = {
  runtime: 'podman',
  path: '/run/podman/podman.sock',
  mode: 0o660,
  uid: 0,
  gid: 0,
  owner: 'root',
  group: 'root',
};
const CONTAINERD: RuntimeSocket = {
  runtime: 'containerd',
  path: '/run/containerd/containerd.sock',
  mode: 0o660,
  uid: 0,
  gid: 0,
  owner: 'root',
  group: 'root',
};
const DOCKER: RuntimeSocket = {
  runtime: 'docker',
  path: '/run/docker.sock',
  mode: 0o660,
  uid: 0,
  gid: 998,
  owner: 'root',
  group: 'docker',
  groupMembers: ['deploy'],
};
const ROOTLESS: RuntimeSocket = {
  runtime: 'podman',
  path: '/run/user/1000/podman/podman.sock',
  mode: 0o660,
  uid: 1000,
  gid: 1000,
  owner: 'deploy',
  group: 'deploy',
  rootlessGid: 1000,
};

describe("'container-runtime-socket'", () => {
  it('passes the clean twins: root only, docker’s own group, a rootless owner’s group', () => {
    const r = run([PODMAN, CONTAINERD, DOCKER, ROOTLESS]);
    expect(r.status).toBe('pass');
    expect(r.message.en).toContain('group docker: deploy, each as good as root');
    expect(r.evidence).toContainEqual({
      type: 'match',
      field: '/run/docker.sock',
      value: 'srw-rw---- root:docker',
    });
  });

  const failing: [string, RuntimeSocket, RegExp][] = [
    [
      'podman world-writable',
      { ...PODMAN, mode: 0o666 },
      /podman\.sock \(podman\) is writable by every user/,
    ],
    [
      'containerd group-writable by a user group',
      { ...CONTAINERD, gid: 1000, group: 'deploy' },
      /writable by group deploy/,
    ],
    [
      'podman group-writable by an unnamed gid',
      { ...PODMAN, gid: 4242, group: undefined },
      /writable by group 4242/,
    ],
    ['docker world-writable', { ...DOCKER, mode: 0o666 }, /writable by every user/],
    ['docker with a stranger group', { ...DOCKER, group: 'developers' }, /writable by group developers/],
    [
      'rootless socket opened to another group',
      { ...ROOTLESS, gid: 100, group: 'users' },
      /writable by group users/,
    ],
  ];
  for (const [name, socket, message] of failing) {
    it(`fails: ${name}`, () => {
      const r = run([socket]);
      expect(r.status).toBe('fail');
      expect(r.message.en).toMatch(message);
      expect(r.message['zh-CN']).toMatch(/可写/);
      expect(r.fixCommand).toContain(`chmod 0660 '${socket.path}'`);
    });
  }

  it('gives each socket its runtime’s owner in the fix', () => {
    expect(run([{ ...DOCKER, mode: 0o666 }]).fixCommand).toBe(
      "chown root:docker '/run/docker.sock' && chmod 0660 '/run/docker.sock'",
    );
    expect(run([{ ...ROOTLESS, mode: 0o666 }]).fixCommand).toContain(
      "chown 1000:1000 '/run/user/1000/podman/podman.sock'",
    );
  });

  it('is not applicable without sockets, unknown without the facts', () => {
    const none = run([]);
    expect(none).toMatchObject({ status: 'pass', notApplicable: true });
    expect(runCheck(check, makeSnapshot({})).status).toBe('unknown');
  });

  it('reads modes as ls does', () => {
    expect(describeSocket({ ...PODMAN, mode: 0o755 })).toBe('srwxr-xr-x root:root');
    expect(socketProblem({ ...PODMAN, mode: 0o600, gid: 1000 })).toBeUndefined();
  });
});
