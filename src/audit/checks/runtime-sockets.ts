// Container runtime API sockets (issue 13, source §4.7): anyone who can write to docker's, podman's
// or containerd's socket starts a privileged container with the host's root mounted, which is how
// miner campaigns that reach a local account turn it into root and a cluster-wide foothold. The TCP
// Docker API is the services check `docker-api`; this one is the unix sockets' permissions.
import type { RuntimeSocket } from '../../snapshot/audit.js';
import type { AuditCheck } from '../types.js';
import { absent, fact, fail, listSome, pass, t } from '../util.js';

/** The group a socket may be writable by without failing: root's, docker's own `docker` group, a rootless owner's. */
function expectedGroup(s: RuntimeSocket): boolean {
  if (s.gid === 0) return true;
  // The docker group is how dockerd is meant to be shared (CIS Docker 3.15: root:docker, 660).
  if (s.runtime === 'docker' && s.group === 'docker') return true;
  return s.rootlessGid !== undefined && s.gid === s.rootlessGid;
}

/** Why a socket is too open, or undefined when it is not. */
export function socketProblem(s: RuntimeSocket): string | undefined {
  if ((s.mode & 0o002) !== 0) return 'writable by every user';
  if ((s.mode & 0o020) !== 0 && !expectedGroup(s)) return `writable by group ${s.group ?? s.gid}`;
  return undefined;
}

/** `srw-rw---- root:docker`: how `ls -l` would show the socket's mode and owners. */
export function describeSocket(s: RuntimeSocket): string {
  const bits = 'rwxrwxrwx';
  let mode = 's';
  for (let i = 0; i < 9; i++) mode += s.mode & (1 << (8 - i)) ? bits[i] : '-';
  return `${mode} ${s.owner ?? s.uid}:${s.group ?? s.gid}`;
}

/** The fix for one socket: its runtime's expected owner and mode. */
function fixFor(s: RuntimeSocket): string {
  const owner =
    s.rootlessGid !== undefined
      ? `${s.uid}:${s.rootlessGid}`
      : s.runtime === 'docker'
        ? 'root:docker'
        : 'root:root';
  return `chown ${owner} '${s.path}' && chmod 0660 '${s.path}'`;
}

export const runtimeSocketCheck: AuditCheck = {
  id: 'container-runtime-socket',
  area: 'services',
  level: 'critical',
  title: t(
    'Container runtime sockets are writable by root (and docker’s own group) only',
    '容器运行时套接字仅 root（以及 docker 自己的用户组）可写',
  ),
  description: t(
    "Fails when the API socket of docker (/run/docker.sock), podman (/run/podman/podman.sock, each user's /run/user/UID/podman/podman.sock) or containerd (/run/containerd/containerd.sock) is writable by every user, or by a group other than root's (docker's socket: other than `docker`; a rootless socket: other than its owner's group). Writing to it starts a privileged container with the host's / mounted: root on the host for any local account, which miner campaigns use to spread.",
    '当 docker（/run/docker.sock）、podman（/run/podman/podman.sock 以及各用户的 /run/user/UID/podman/podman.sock）或 containerd（/run/containerd/containerd.sock）的 API 套接字对所有用户可写，或对 root 以外的用户组可写（docker 套接字：除 `docker` 组以外；无根套接字：除其所有者的组以外）时判为不通过。能写入它就能启动挂载主机根目录的特权容器：任何本地账户都等于拿到主机 root，挖矿团伙借此扩散。',
  ),
  fix: {
    command:
      'chown root:root /run/podman/podman.sock /run/containerd/containerd.sock && chmod 0660 /run/podman/podman.sock /run/containerd/containerd.sock  # docker: chown root:docker /run/docker.sock; make it last: SocketMode=0660 in the .socket unit, [grpc] gid in /etc/containerd/config.toml',
    text: t(
      'Gives each socket back to root (docker: root:docker) with mode 0660, then sets the same in the socket unit or the daemon configuration, which recreate it on restart. Remove from the docker group anyone who should not be root.',
      '把每个套接字的属主改回 root（docker：root:docker），权限设为 0660，再在 socket 单元或守护进程配置中做同样设置（重启时会重建套接字）。把不应拥有 root 权限的人移出 docker 组。',
    ),
  },
  tags: ['attack.t1610', 'attack.t1611'],
  needs: ['runtimeSockets'],
  run(snapshot) {
    const sockets = snapshot.audit!.runtimeSockets!.sockets;
    if (sockets.length === 0)
      return absent(
        'No docker, podman or containerd API socket on this host.',
        '本主机上没有 docker、podman 或 containerd 的 API 套接字。',
      );
    const bad = sockets.flatMap((s) => {
      const problem = socketProblem(s);
      return problem ? [{ s, problem }] : [];
    });
    const evidence = sockets.map((s) => fact(s.path, describeSocket(s)));
    if (bad.length === 0) {
      const docker = sockets.find((s) => s.group === 'docker' && (s.groupMembers?.length ?? 0) > 0);
      const members = docker
        ? ` (group docker: ${listSome(docker.groupMembers ?? [], 6)}, each as good as root)`
        : '';
      return pass(
        `${sockets.length} runtime socket(s), none writable beyond root${docker ? ' and the docker group' : ''}${members}.`,
        `${sockets.length} 个运行时套接字，除 root${docker ? '和 docker 组' : ''}外均不可写${docker ? `（docker 组成员：${listSome(docker.groupMembers ?? [], 6)}，均等同 root）` : ''}。`,
        evidence,
      );
    }
    return fail(
      `${bad.map((b) => `${b.s.path} (${b.s.runtime}) is ${b.problem}`).join('; ')}: anyone in it can start a privileged container.`,
      `${bad.map((b) => `${b.s.path}（${b.s.runtime}）${b.problem.startsWith('writable by every') ? '对所有用户可写' : `对用户组 ${b.s.group ?? b.s.gid} 可写`}`).join('；')}：能写入的人都能启动特权容器。`,
      evidence,
      bad.map((b) => fixFor(b.s)).join(' && '),
    );
  },
};
