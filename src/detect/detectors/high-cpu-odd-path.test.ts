// Tests for high-cpu-odd-path: busy services in system paths, a developer's compiler in ~/.rustup and
// idle binaries in odd places never hit; sustained CPU from /tmp, dot-directories, deleted or memfd
// executables does, but not a short burst; without a process list the detector is skipped. GPU use
// (nvidia-smi's recorded output joined as collect/linux/gpu.ts joins it) counts the same way.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, type Finding } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import { runDetectors } from '../run.js';
import {
  COLLECTED_AT,
  cleanHostSnapshot,
  makeProcess,
  makeSnapshot,
} from '../../../test/helpers/snapshot-builders.js';
import { HIGH_CPU_PERCENT, highCpuOddPath } from './high-cpu-odd-path.js';
import { readFile } from 'node:fs/promises';
import { gpuUseByPid, joinGpu } from '../../collect/linux/gpu.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const secondsAgo = (s: number) => new Date(Date.parse(COLLECTED_AT) - s * 1000).toISOString();
/** A process burning a whole core for the last ten minutes. */
const busy = (partial: Partial<ProcessInfo>) =>
  makeProcess({
    cpuPercent: 99,
    cpuPercentLifetime: 98,
    cpuTimeSec: 588,
    startTime: secondsAgo(600),
    ...partial,
  });

function run(...processes: ProcessInfo[]): Finding[] {
  return runDetectors(makeSnapshot({ processes }), ruleset, [highCpuOddPath]).findings;
}
const pidOf = (f: Finding) => (f.evidence[0]?.type === 'process' ? f.evidence[0].pid : 0);

describe('high-cpu-odd-path', () => {
  it('clean: finds nothing on a normal host with busy services and a compiling developer', () => {
    expect(runDetectors(cleanHostSnapshot(), ruleset, [highCpuOddPath])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: sustained CPU from /tmp is medium, with the measurements in its data', () => {
    const [finding, ...rest] = run(
      busy({ pid: 4242, user: 'www-data', exe: '/tmp/.x/kworker', argv: ['[kworker/0:2]'] }),
    );
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      ruleId: 'high-cpu-odd-path',
      level: 'medium',
      messageId: 'busy',
      data: {
        pid: 4242,
        exe: '/tmp/.x/kworker',
        cpu: 99,
        cpuLifetime: 98,
        runtime: { en: '10 min', 'zh-CN': '10 分钟' },
        seconds: 600,
        place: {
          en: '/tmp, a world-writable temporary directory',
          'zh-CN': '/tmp（所有人可写的临时目录）',
        },
      },
      remediate: [
        { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
        { type: 'quarantine-file', path: '/tmp/.x/kworker' },
      ],
    });
    expect(finding?.evidence[1]).toEqual({
      type: 'match',
      field: 'exe',
      value: '/tmp/.x/kworker',
      ioc: 'odd place: /tmp, a world-writable temporary directory',
    });
    expect(finding?.message.en).toBe(
      'PID 4242 (/tmp/.x/kworker) has used 99% CPU (98% over its 10 min life) running from /tmp, a world-writable temporary directory',
    );
  });

  it('findings: every odd place is named; ordinary places and tool-chain directories are not odd', () => {
    const findings = run(
      busy({ pid: 1, exe: '/dev/shm/.s/x' }),
      busy({ pid: 2, exe: '/home/bob/.local/share/.hidden/srv' }),
      busy({ pid: 3, exe: '/root/miner/run' }),
      busy({ pid: 4, exe: '/usr/lib/.../x' }),
      busy({ pid: 5, exe: '/usr/bin/gzip', exeDeleted: true }),
      busy({ pid: 6, exe: '/memfd:payload', exeMemfd: true, argv: ['sshd'] }),
      busy({ pid: 7, exe: '/run/user/1000/x' }),
      busy({ pid: 20, exe: '/usr/bin/ffmpeg' }),
      busy({ pid: 21, exe: '/opt/app/bin/worker' }),
      busy({ pid: 22, exe: '/home/bob/.cargo/bin/cargo' }),
      busy({ pid: 23, exe: '/home/bob/.vscode-server/bin/abc/node' }),
    );
    expect(
      findings
        .map((f) => [pidOf(f), f.evidence[1]?.type === 'match' ? f.evidence[1].ioc : ''])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [1, 'odd place: /dev/shm, shared memory that lives only in RAM'],
      [2, 'odd place: a hidden directory (.local)'],
      [3, 'odd place: a home directory'],
      [4, 'odd place: a directory with a blank or dots-only name'],
      [5, 'odd place: an executable that has been deleted from disk'],
      [6, 'odd place: an anonymous memory file (memfd) that never existed on disk'],
      [7, 'odd place: /run, a runtime directory held in RAM'],
    ]);
    // Deleted and memory-only executables cannot be quarantined from a path: kill only.
    expect(findings.find((f) => pidOf(f) === 6)?.remediate).toEqual([
      { type: 'kill-process-tree', pid: 6, exe: '/memfd:payload' },
    ]);
  });

  it('needs CPU that is high now and over the process life, and a run of a few seconds', () => {
    const findings = run(
      busy({ pid: 1, exe: '/tmp/a', cpuPercent: HIGH_CPU_PERCENT - 1 }),
      busy({ pid: 2, exe: '/tmp/b', cpuPercentLifetime: 10 }),
      busy({ pid: 3, exe: '/tmp/c', startTime: secondsAgo(2), cpuTimeSec: 2 }),
      busy({ pid: 4, exe: '/tmp/d', cpuPercent: undefined }),
      // No start time: the run length comes from CPU time over lifetime CPU%.
      busy({ pid: 5, exe: '/tmp/e', startTime: undefined, cpuTimeSec: 60, cpuPercentLifetime: 100 }),
      busy({ pid: 6, exe: '/tmp/f', startTime: undefined, cpuTimeSec: 2, cpuPercentLifetime: 100 }),
      busy({ pid: 7, exe: '/tmp/g', cpuPercent: HIGH_CPU_PERCENT, cpuPercentLifetime: HIGH_CPU_PERCENT }),
    );
    expect(findings.map(pidOf).sort()).toEqual([5, 7]);
    expect(findings.find((f) => pidOf(f) === 5)?.data).toMatchObject({
      seconds: 60,
      runtime: { en: '60 s', 'zh-CN': '60 秒' },
    });
  });

  it('skipped: without a process list the detector is skipped, not clean', () => {
    expect(runDetectors(makeSnapshot({ sockets: [] }), ruleset, [highCpuOddPath])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'high-cpu-odd-path', missing: ['processes'] }],
    });
  });
});

/** The processes joined with a recording of nvidia-smi (test/data/nvidia-smi/<scenario>/). */
async function withGpu(scenario: string, ...processes: ProcessInfo[]): Promise<ProcessInfo[]> {
  const dir = new URL(`../../../test/data/nvidia-smi/${scenario}/`, import.meta.url);
  const read = (f: string) => readFile(new URL(f, dir), 'utf8').catch(() => '');
  const out = {
    gpus: await read('query-gpu.csv'),
    apps: await read('query-compute-apps.csv'),
    pmon: await read('pmon.txt'),
  };
  return joinGpu(processes, gpuUseByPid(out));
}
/** A process that has run for ten minutes on little CPU: a GPU miner's host thread. */
const idleCpu = (partial: Partial<ProcessInfo>) =>
  makeProcess({
    cpuPercent: 3,
    cpuPercentLifetime: 4,
    cpuTimeSec: 24,
    startTime: secondsAgo(600),
    ...partial,
  });

describe('high-cpu-odd-path: GPU use (nvidia-smi)', () => {
  it('findings: a GPU miner in /dev/shm that keeps two GPUs busy is flagged like a CPU miner', async () => {
    const processes = await withGpu(
      'gpu-miner',
      idleCpu({ pid: 48213, user: 'www-data', exe: '/dev/shm/.x/xmrig-gpu' }),
    );
    const [finding, ...rest] = run(...processes);
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      ruleId: 'high-cpu-odd-path',
      level: 'medium',
      messageId: 'gpuBusy',
      data: { pid: 48213, gpu: 195, devices: '0, 1', gpuMemoryMiB: 10244, seconds: 600 },
      remediate: [
        { type: 'kill-process-tree', pid: 48213 },
        { type: 'quarantine-file', path: '/dev/shm/.x/xmrig-gpu' },
      ],
    });
    expect(finding?.message.en).toBe(
      'PID 48213 (/dev/shm/.x/xmrig-gpu) has kept GPU 0, 1 195% busy (10244 MiB of GPU memory) for 10 min, running from /dev/shm, shared memory that lives only in RAM',
    );
    expect(finding?.message['zh-CN']).toContain('10244 MiB 显存');
  });

  it("findings: without pmon's share, the GPU's own utilisation flags its only compute process", async () => {
    const processes = await withGpu(
      'gpu-miner-no-pmon',
      idleCpu({ pid: 48213, exe: '/dev/shm/.x/xmrig-gpu' }),
    );
    expect(run(...processes).map((f) => [pidOf(f), f.messageId, f.data?.gpu])).toEqual([
      [48213, 'gpuBusy', 100],
    ]);
  });

  it('findings: a process busy on both CPU and GPU gets the one CPU finding', async () => {
    const processes = await withGpu('gpu-miner', busy({ pid: 48213, exe: '/dev/shm/.x/xmrig-gpu' }));
    expect(run(...processes).map((f) => [pidOf(f), f.messageId])).toEqual([[48213, 'busy']]);
  });

  it('clean: a training job from ~/miniconda3 and a health check using 2% of the GPU from /tmp are not flagged', async () => {
    const processes = await withGpu(
      'ml-host',
      idleCpu({ pid: 52001, user: 'alice', exe: '/home/alice/miniconda3/envs/train/bin/python3.11' }),
      idleCpu({ pid: 52877, exe: '/tmp/nv-probe/gpu-healthcheck' }),
    );
    expect(processes.map((p) => p.gpu?.utilizationPercent)).toEqual([94, 2]);
    expect(run(...processes)).toEqual([]);
  });

  it('clean: a GPU burst of a few seconds, and busy GPUs used from system paths, are not flagged', async () => {
    const processes = await withGpu(
      'gpu-miner',
      idleCpu({ pid: 48213, exe: '/dev/shm/.x/xmrig-gpu', startTime: secondsAgo(2), cpuTimeSec: 0 }),
      idleCpu({ pid: 1422, exe: '/usr/lib/xorg/Xorg' }),
    );
    expect(run(...processes)).toEqual([]);
    expect(
      run(idleCpu({ pid: 9, exe: '/usr/bin/python3', gpu: { devices: [0], utilizationPercent: 99 } })),
    ).toEqual([]);
  });
});
