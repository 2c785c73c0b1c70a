// The cgroup parser against the /proc/PID/cgroup text each runtime and driver writes (v1, v2 and
// hybrid), and the clean twins a host process shows: none of them may name a container.
import { describe, expect, it } from 'vitest';
import { containerOfPath, parseCgroup } from './cgroup.js';

const ID = 'fb6a9e7e1f16edaa59cc3f3bf64aa04529f5cfd4ee3f88ce52492dd6c12a7dfd';
const ID2 = '3c1d5e0a9b8f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d';
const POD = '0b5f2c4e-7d1a-4b6e-9c3f-2a8d1e5f7c90';
const POD_ = POD.replace(/-/g, '_');

/** A v1 hybrid file as this machine's kernel prints it: every controller line plus the v2 line. */
function hybrid(p: string, v2 = p): string {
  const controllers = [
    'name=systemd',
    'pids',
    'blkio',
    'freezer',
    'devices',
    'memory',
    'cpuset',
    'cpuacct',
    'cpu',
  ];
  return [...controllers.map((c, i) => `${9 - i}:${c}:${p}`), `0::${v2}`, ''].join('\n');
}

describe('parseCgroup: container forms', () => {
  const cases: [string, string, ReturnType<typeof parseCgroup>][] = [
    // Measured on this machine kind: podman 4.3 with cgroupfs, cgroup v1 hybrid.
    ['podman cgroupfs', hybrid(`/libpod_parent/libpod-${ID}`), { runtime: 'podman', id: ID }],
    ['podman in a pod', hybrid(`/libpod_parent/${ID2}/libpod-${ID}`), { runtime: 'podman', id: ID }],
    ['podman systemd', `0::/machine.slice/libpod-${ID}.scope\n`, { runtime: 'podman', id: ID }],
    [
      'rootless podman',
      `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container\n`,
      { runtime: 'podman', id: ID },
    ],
    [
      'podman pod, systemd',
      `0::/machine.slice/machine-libpod_pod_${ID2}.slice/libpod-${ID}.scope\n`,
      { runtime: 'podman', id: ID },
    ],
    ['docker cgroupfs v1', hybrid(`/docker/${ID}`, '/'), { runtime: 'docker', id: ID }],
    ['docker cgroupfs v2', `0::/docker/${ID}\n`, { runtime: 'docker', id: ID }],
    ['docker systemd', `0::/system.slice/docker-${ID}.scope\n`, { runtime: 'docker', id: ID }],
    ['docker-in-docker: the outer one', `0::/docker/${ID}/docker/${ID2}\n`, { runtime: 'docker', id: ID }],
    [
      'podman inside a docker container: the outer one',
      `0::/docker/${ID}/libpod-${ID2}\n`,
      { runtime: 'docker', id: ID },
    ],
    ['GitHub Actions job container', `0::/actions_job/${ID}\n`, { runtime: 'docker', id: ID }],
    ['ECS task', `0::/ecs/4a1c2b3d5e6f47a8b9c0d1e2f3a4b5c6/${ID}\n`, { runtime: 'docker', id: ID }],
    ['CRI-O systemd', `0::/kubepods.slice/crio-${ID}.scope\n`, { runtime: 'cri-o', id: ID }],
    [
      'kubepods cgroupfs (v1): runtime unknown until metadata',
      hybrid(`/kubepods/burstable/pod${POD}/${ID}`),
      { runtime: 'unknown', id: ID, podUid: POD },
    ],
    [
      'kubepods besteffort cgroupfs',
      `0::/kubepods/besteffort/pod${POD}/${ID}\n`,
      { runtime: 'unknown', id: ID, podUid: POD },
    ],
    [
      'kubepods systemd with containerd',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${ID}.scope\n`,
      { runtime: 'containerd', id: ID, podUid: POD },
    ],
    [
      'kubepods systemd, guaranteed, with CRI-O',
      `0::/kubepods.slice/kubepods-pod${POD_}.slice/crio-${ID}.scope\n`,
      { runtime: 'cri-o', id: ID, podUid: POD },
    ],
    [
      'kind node (kubelet.slice)',
      `0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${POD_}.slice/cri-containerd-${ID}.scope\n`,
      { runtime: 'containerd', id: ID, podUid: POD },
    ],
    [
      "runc's slice:prefix:id path",
      `0::/system.slice/containerd.service/kubepods-burstable-pod${POD_}.slice:cri-containerd:${ID}\n`,
      { runtime: 'containerd', id: ID, podUid: POD },
    ],
    [
      'static pod (32-hex uid)',
      `0::/kubepods/burstable/pod8d3f9e0c1b2a4f5e6d7c8b9a0f1e2d3c/${ID}\n`,
      { runtime: 'unknown', id: ID, podUid: '8d3f9e0c1b2a4f5e6d7c8b9a0f1e2d3c' },
    ],
    [
      'read from inside a private cgroup namespace',
      `0::/../../kubepods-besteffort-pod${POD_}.slice/cri-containerd-${ID}.scope\n`,
      { runtime: 'containerd', id: ID, podUid: POD },
    ],
    [
      'hybrid host: v2 line is / and v1 lines carry the id',
      `12:memory:/kubepods/pod${POD}/${ID}\n0::/\n`,
      { runtime: 'unknown', id: ID, podUid: POD },
    ],
  ];
  for (const [name, text, want] of cases) {
    it(name, () => expect(parseCgroup(text)).toEqual(want));
  }
});

describe('parseCgroup: clean twins name no container', () => {
  const clean: [string, string][] = [
    ['root cgroup v2', '0::/\n'],
    ['root on every v1 line', hybrid('/')],
    ['a login session', '0::/user.slice/user-1000.slice/session-3.scope\n'],
    ['a user service', '0::/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service\n'],
    ['systemd itself', '0::/init.scope\n'],
    ['a system service', '0::/system.slice/nginx.service\n'],
    ['the docker daemon', '0::/system.slice/docker.service\n'],
    ['containerd with its shims', '0::/system.slice/containerd.service\n'],
    ['podman conmon (cgroupfs)', hybrid('/libpod_parent/conmon', '/')],
    ['podman conmon (systemd)', `0::/machine.slice/libpod-conmon-${ID}.scope\n`],
    ['CRI-O conmon', `0::/system.slice/crio-conmon-${ID}.scope\n`],
    ['the kubelet', '0::/kubepods.slice\n'],
    ['a pod cgroup without a container', `0::/kubepods/burstable/pod${POD}\n`],
    // This sandbox's own memory cgroup: a 32-hex name, not a container id.
    ['a 32-hex job cgroup', '4:memory:/process_api/c89de13b992466cf3068eb91cfe7630a\n0::/\n'],
    ['an id-like name one character short', `0::/docker/${ID.slice(1)}\n`],
    ['upper-case hex is not what runtimes write', `0::/docker/${ID.toUpperCase()}\n`],
    ['empty file', ''],
    ['garbage', 'not a cgroup file\n'],
  ];
  for (const [name, text] of clean) {
    it(name, () => expect(parseCgroup(text)).toBeUndefined());
  }
});

describe('containerOfPath', () => {
  it('reads a path of 100,000 components in one pass, and a docker id at its end', () => {
    // Each component once cost a copy of all those before it (5.6 s for 23,000 components).
    const id = 'a'.repeat(64);
    const started = Date.now();
    expect(containerOfPath(`/docker/${'x/'.repeat(100_000)}${id}`)).toEqual({ runtime: 'docker', id });
    expect(parseCgroup(`0::/${'http:'.repeat(50_000)}/${'b/'.repeat(100_000)}\n`)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('ignores a pod-looking name outside kubepods', () => {
    expect(containerOfPath(`/pod${POD}/${ID}`)).toEqual({ runtime: 'unknown', id: ID });
  });
});
