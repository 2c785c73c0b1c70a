// The runtime socket collector on a root with real unix sockets where each runtime puts them (and a
// plain file where a socket should be): modes, owners, group members and rootless sockets as read
// through the door; /var/run -> /run counted once.
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetFs } from '../../target/fs.js';
import { collectRuntimeSockets, parseGroups } from './runtime-sockets.js';

let root: string;
const servers: net.Server[] = [];

async function listen(p: string, mode: number): Promise<void> {
  const full = path.join(root, p);
  await mkdir(path.dirname(full), { recursive: true });
  const server = net.createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(full, resolve));
  await chmod(full, mode);
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'mh-rt-sock-'));
  await mkdir(path.join(root, 'etc'));
  await writeFile(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/bash\ndeploy:x:1000:1000::/home/deploy:/bin/bash\n',
  );
  await writeFile(path.join(root, 'etc/group'), 'root:x:0:\ndocker:x:998:deploy,ci\n');
  await listen('run/docker.sock', 0o660);
  await mkdir(path.join(root, 'var'));
  await symlink('/run', path.join(root, 'var/run'));
  await listen('run/podman/podman.sock', 0o666);
  await listen('run/user/1000/podman/podman.sock', 0o660);
  // Not a socket: a leftover file where containerd's socket would be.
  await mkdir(path.join(root, 'run/containerd'), { recursive: true });
  await writeFile(path.join(root, 'run/containerd/containerd.sock'), '');
});

afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe('collectRuntimeSockets', () => {
  it('lists each runtime socket once with its mode and owners', async () => {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    const { sockets } = await collectRuntimeSockets(targetFs(root));
    expect(sockets.map((s) => [s.runtime, s.path, s.mode.toString(8)])).toEqual([
      ['docker', '/run/docker.sock', '660'],
      ['podman', '/run/podman/podman.sock', '666'],
      ['podman', '/run/user/1000/podman/podman.sock', '660'],
    ]);
    expect(sockets[0]).toMatchObject({ uid, gid });
    // The rootless socket's expected group is its user's primary group, from /etc/passwd.
    expect(sockets[2]?.rootlessGid).toBe(1000);
    expect(sockets[0]?.rootlessGid).toBeUndefined();
  });

  it('is empty on a root without runtimes', async () => {
    expect(await collectRuntimeSockets(targetFs(path.join(root, 'etc')))).toEqual({ sockets: [] });
  });

  it('parses /etc/group members', () => {
    expect(parseGroups('root:x:0:\ndocker:x:998:deploy,ci\nbad line\n')).toEqual(
      new Map([
        [0, { name: 'root', members: [] }],
        [998, { name: 'docker', members: ['deploy', 'ci'] }],
      ]),
    );
  });
});
