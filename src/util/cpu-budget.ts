// How many CPUs this process may really use: the cores its affinity allows, lowered by a cgroup CPU
// quota (a Kubernetes `limits.cpu`, `docker run --cpus`, a systemd CPUQuota). Node's
// availableParallelism() sees affinity only, so a pod limited to 0.5 CPU on a 64-core node would
// start 64 scan workers and be throttled into uselessness; this answers 1 instead.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A quota as the kernel states it: `quota` µs of CPU time per `period` µs, or no limit. */
export interface CpuQuota {
  quota: number;
  period: number;
}

/** Parses cgroup v2 `cpu.max` ("max 100000" or "50000 100000"); undefined when unlimited or malformed. */
export function parseCpuMax(text: string): CpuQuota | undefined {
  const [q, p] = text.trim().split(/\s+/);
  if (q === undefined || q === 'max') return undefined;
  const quota = Number(q);
  const period = Number(p ?? 100000);
  return quota > 0 && period > 0 ? { quota, period } : undefined;
}

/** Parses cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; -1 means unlimited. */
export function parseCfs(quotaText: string, periodText: string): CpuQuota | undefined {
  const quota = Number(quotaText.trim());
  const period = Number(periodText.trim());
  return quota > 0 && period > 0 ? { quota, period } : undefined;
}

/** The CPU-controller path of this process in each hierarchy, from /proc/self/cgroup. */
function cgroupPaths(procCgroup: string): { v2?: string; v1?: string } {
  const out: { v2?: string; v1?: string } = {};
  for (const line of procCgroup.split('\n')) {
    const [id, controllers, p] = line.split(':');
    if (p === undefined) continue;
    if (id === '0' && controllers === '') out.v2 = p;
    else if (controllers!.split(',').includes('cpu')) out.v1 = p;
  }
  return out;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The tightest quota on the way from this process's cgroup up to the root (a parent's limit binds
 * its children too), read under `fsRoot` (the live /sys/fs/cgroup by default; a fake tree in tests).
 */
export function cgroupCpuQuota(procCgroup: string, fsRoot = '/sys/fs/cgroup'): CpuQuota | undefined {
  const { v2, v1 } = cgroupPaths(procCgroup);
  let best: CpuQuota | undefined;
  const consider = (q: CpuQuota | undefined): void => {
    if (q && (!best || q.quota / q.period < best.quota / best.period)) best = q;
  };
  // A namespaced cgroup sees its own cgroup as "/"; walking up also covers the paths it cannot see.
  const ancestors = (p: string): string[] => {
    const parts = p.split('/').filter(Boolean);
    return parts.map((_, i) => '/' + parts.slice(0, parts.length - i).join('/')).concat('/');
  };
  if (v1 !== undefined) {
    for (const dir of [path.join(fsRoot, 'cpu'), path.join(fsRoot, 'cpu,cpuacct')])
      for (const p of ancestors(v1)) {
        const quota = read(path.join(dir, p, 'cpu.cfs_quota_us'));
        const period = read(path.join(dir, p, 'cpu.cfs_period_us'));
        if (quota !== undefined && period !== undefined) consider(parseCfs(quota, period));
      }
  }
  if (v2 !== undefined) {
    for (const p of ancestors(v2)) {
      const max = read(path.join(fsRoot, p, 'cpu.max'));
      if (max !== undefined) consider(parseCpuMax(max));
    }
  }
  return best;
}

let cached: number | undefined;

/** Worker threads worth starting: affinity cores, capped by the cgroup quota (rounded up, ≥ 1). */
export function cpuBudget(): number {
  if (cached !== undefined) return cached;
  const cores = os.availableParallelism();
  const quota = cgroupCpuQuota(read('/proc/self/cgroup') ?? '');
  cached = Math.max(1, quota ? Math.min(cores, Math.ceil(quota.quota / quota.period)) : cores);
  return cached;
}
