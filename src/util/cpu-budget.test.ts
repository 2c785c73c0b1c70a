// The CPU budget under a cgroup quota: v1 and v2 trees laid out as the kernel does, in a temp dir.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupCpuQuota, cpuBudget, parseCfs, parseCpuMax } from './cpu-budget.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mh-cgroup-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

describe('cpu budget', () => {
  it('parses both kernel spellings of a quota and of no limit', () => {
    expect(parseCpuMax('max 100000\n')).toBeUndefined();
    expect(parseCpuMax('50000 100000\n')).toEqual({ quota: 50000, period: 100000 });
    expect(parseCfs('-1\n', '100000\n')).toBeUndefined();
    expect(parseCfs('150000\n', '100000\n')).toEqual({ quota: 150000, period: 100000 });
  });

  it('reads a Kubernetes pod quota on cgroup v2, the tightest on the way up', () => {
    const pod =
      '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-ab.scope';
    const root = tree({
      'kubepods.slice/cpu.max': 'max 100000\n',
      'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cpu.max': '50000 100000\n',
      [`${pod.slice(1)}/cpu.max`]: '200000 100000\n',
    });
    expect(cgroupCpuQuota(`0::${pod}\n`, root)).toEqual({ quota: 50000, period: 100000 });
  });

  it('reads a docker --cpus quota on cgroup v1 and ignores other controllers', () => {
    const root = tree({
      'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '250000\n',
      'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      'cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    });
    const cg = '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n';
    expect(cgroupCpuQuota(cg, root)).toEqual({ quota: 250000, period: 100000 });
  });

  it('has no quota when the tree states none', () => {
    expect(cgroupCpuQuota('0::/user.slice\n', tree({ 'cpu.max': 'max 100000\n' }))).toBeUndefined();
  });

  it('never answers less than one worker or more than the cores', () => {
    const n = cpuBudget();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(os.availableParallelism());
  });
});
