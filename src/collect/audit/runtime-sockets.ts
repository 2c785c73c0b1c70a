// The container runtimes' API sockets as the audit needs them: docker's, podman's (rootful and each
// user's rootless one) and containerd's, each with its mode, owner and group, read through the
// target's door. Writing to any of them starts a privileged container, so who may write is the fact;
// whether that is acceptable is for src/audit/checks/runtime-sockets.ts to decide.
import type { RuntimeSocket, RuntimeSocketFacts } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import { parseAccounts } from '../passwd.js';

/** Where each runtime listens by default; `*` stands for every entry of that directory. */
export const RUNTIME_SOCKETS: { runtime: RuntimeSocket['runtime']; path: string }[] = [
  { runtime: 'docker', path: '/run/docker.sock' },
  { runtime: 'docker', path: '/var/run/docker.sock' },
  { runtime: 'podman', path: '/run/podman/podman.sock' },
  { runtime: 'podman', path: '/run/user/*/podman/podman.sock' },
  { runtime: 'containerd', path: '/run/containerd/containerd.sock' },
  { runtime: 'containerd', path: '/run/k3s/containerd/containerd.sock' },
];

/** /etc/group: gid → name and the members its fourth field lists. */
export function parseGroups(text: string): Map<number, { name: string; members: string[] }> {
  const groups = new Map<number, { name: string; members: string[] }>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    const gid = Number(f[2]);
    if (!f[0] || f[2] === undefined || f[2] === '' || !Number.isInteger(gid) || groups.has(gid)) continue;
    groups.set(gid, { name: f[0], members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return groups;
}

/** The candidate paths, `*` expanded to the entries of its directory (the users of /run/user). */
async function candidates(fs: TargetFs): Promise<{ runtime: RuntimeSocket['runtime']; path: string }[]> {
  const out: { runtime: RuntimeSocket['runtime']; path: string }[] = [];
  for (const c of RUNTIME_SOCKETS) {
    const star = c.path.indexOf('*');
    if (star < 0) {
      out.push(c);
      continue;
    }
    const dir = c.path.slice(0, star - 1);
    const names = await fs.names(dir).catch(() => [] as string[]);
    for (const n of names) out.push({ runtime: c.runtime, path: c.path.replace('*', n) });
  }
  return out;
}

/** Reads `/etc/<name>` through the door, '' when it cannot be read. */
function etc(fs: TargetFs, name: string): Promise<string> {
  return fs.text(`/etc/${name}`).catch(() => '');
}

/**
 * The runtime sockets the target has. A path reached twice (/var/run is a link to /run) is listed
 * once, under the first name; anything at a socket's path that is not a socket is not one.
 */
export async function collectRuntimeSockets(fs: TargetFs): Promise<RuntimeSocketFacts> {
  const [passwd, group] = await Promise.all([etc(fs, 'passwd'), etc(fs, 'group')]);
  const accounts = parseAccounts(passwd);
  const users = new Map(accounts.map((a) => [a.uid, a.name]));
  const primaryGid = new Map(
    passwd
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length > 3 && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? ''))
      .map((f) => [Number(f[2]), Number(f[3])] as const),
  );
  const groups = parseGroups(group);
  const seen = new Set<string>();
  const sockets: RuntimeSocket[] = [];
  for (const c of await candidates(fs)) {
    const st = await fs.stat(c.path).catch(() => undefined);
    if (!st?.isSocket() || seen.has(`${st.dev}:${st.ino}`)) continue;
    seen.add(`${st.dev}:${st.ino}`);
    const s: RuntimeSocket = {
      runtime: c.runtime,
      path: c.path,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    };
    const owner = users.get(st.uid);
    if (owner !== undefined) s.owner = owner;
    const g = groups.get(st.gid);
    if (g) {
      s.group = g.name;
      if (g.members.length > 0) s.groupMembers = g.members;
    }
    const rootless = /^\/run\/user\/(\d+)\//.exec(c.path);
    const gid = rootless ? primaryGid.get(Number(rootless[1])) : undefined;
    if (gid !== undefined) s.rootlessGid = gid;
    sockets.push(s);
  }
  return { sockets };
}
