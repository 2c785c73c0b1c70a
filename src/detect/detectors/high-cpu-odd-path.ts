// Detector: a process that keeps a CPU core busy while running from a place programs are not
// installed to: temporary and runtime directories, home directories, hidden directories, deleted or
// memory-only executables. Mining is the usual reason a binary there burns CPU for long. On NVIDIA
// hosts a process's GPU use (ProcessInfo.gpu, from nvidia-smi) counts the same way: GPU miners are
// dropped into the same places.
import type { ProcessInfo, Snapshot } from '../../snapshot/schema.js';
import type { Localized } from '../../model/finding.js';
import type { Detector, Hit } from '../types.js';
import {
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
} from '../util.js';

/** CPU% (100 = one core) both over the sampling window and over the process's life. */
export const HIGH_CPU_PERCENT = 50;
/** A burst shorter than this (a compiler, a package install) is not "sustained". */
export const MIN_RUNTIME_SECONDS = 5;
/** GPU% (100 = one GPU busy) that nvidia-smi shows for the process: a miner keeps its GPU near 100. */
export const HIGH_GPU_PERCENT = 50;

const WRITABLE_DIRS: { prefix: string; label: Localized }[] = [
  { prefix: '/tmp/', label: t('/tmp, a world-writable temporary directory', '/tmp（所有人可写的临时目录）') },
  {
    prefix: '/var/tmp/',
    label: t('/var/tmp, a world-writable temporary directory', '/var/tmp（所有人可写的临时目录）'),
  },
  {
    prefix: '/dev/shm/',
    label: t('/dev/shm, shared memory that lives only in RAM', '/dev/shm（只存在于内存中的共享内存）'),
  },
  { prefix: '/run/', label: t('/run, a runtime directory held in RAM', '/run（位于内存中的运行时目录）') },
  {
    prefix: '/var/run/',
    label: t('/run, a runtime directory held in RAM', '/run（位于内存中的运行时目录）'),
  },
  { prefix: '/dev/', label: t('/dev, where no programs belong', '/dev（不应存放程序的目录）') },
];

/**
 * Tool-chain directories in a home directory that legitimately run CPU-heavy binaries for hours
 * (compilers, language servers, test browsers). They only lift the home/dot-directory reason:
 * /tmp, deleted and memfd executables are odd wherever the tools live.
 */
const HOME_TOOLCHAINS = [
  '/.rustup/',
  '/.cargo/',
  '/.nvm/',
  '/.volta/',
  '/.pyenv/',
  '/.rbenv/',
  '/.sdkman/',
  '/.vscode-server/',
  '/.cursor-server/',
  '/.cache/ms-playwright/',
  '/.gradle/',
  '/.local/share/JetBrains/',
];

/**
 * Where machine-learning jobs run from in a home directory: their GPU use is the point of the host.
 * They lift the home/dot-directory reason for GPU use only (a CPU burn from there stays odd).
 */
const HOME_GPU_ENVIRONMENTS = [
  '/miniconda3/',
  '/anaconda3/',
  '/miniforge3/',
  '/mambaforge/',
  '/.conda/',
  '/.venv/',
  '/venv/',
];

function oddPlace(p: ProcessInfo, homeTools: readonly string[] = HOME_TOOLCHAINS): Localized | undefined {
  if (p.exeMemfd)
    return t(
      'an anonymous memory file (memfd) that never existed on disk',
      '从未落盘的匿名内存文件（memfd）',
    );
  if (!p.exe) return undefined;
  if (p.exeDeleted) return t('an executable that has been deleted from disk', '已从磁盘删除的可执行文件');
  const exe = p.exe;
  const writable = WRITABLE_DIRS.find((d) => exe.startsWith(d.prefix));
  if (writable) return writable.label;
  const dirs = exe.split('/').slice(1, -1);
  const odd = dirs.find((d) => d === '' || /^\s+$/.test(d) || /^\.{3,}$/.test(d));
  if (odd !== undefined) return t('a directory with a blank or dots-only name', '名称为空白或全是点的目录');
  if (homeTools.some((dir) => exe.includes(dir))) return undefined;
  const hidden = dirs.find((d) => d.startsWith('.'));
  if (hidden) return t(`a hidden directory (${hidden})`, `隐藏目录（${hidden}）`);
  if (/^\/home\/[^/]+\//.test(exe) || exe.startsWith('/root/')) return t('a home directory', '用户主目录');
  return undefined;
}

/** Seconds the process has run: from its start time when both clocks are known, else from CPU time. */
function runtimeSeconds(p: ProcessInfo, snapshot: Snapshot): number | undefined {
  const collected = Date.parse(snapshot.collectedAt);
  const started = p.startTime ? Date.parse(p.startTime) : NaN;
  if (Number.isFinite(collected) && Number.isFinite(started)) return (collected - started) / 1000;
  if (p.cpuPercentLifetime && p.cpuPercentLifetime > 0) return (p.cpuTimeSec * 100) / p.cpuPercentLifetime;
  return undefined;
}

/** The GPU facts of a process that keeps its GPU(s) busy, from nvidia-smi; else undefined. */
function busyGpu(p: ProcessInfo): Hit['data'] | undefined {
  const g = p.gpu;
  if (g?.utilizationPercent === undefined || g.utilizationPercent < HIGH_GPU_PERCENT) return undefined;
  const mib = g.memoryMiB;
  return {
    gpu: Math.round(g.utilizationPercent),
    devices: g.devices.join(', ') || '?',
    gpuMemory:
      mib === undefined
        ? t('GPU memory not reported', '显存占用未报告')
        : t(`${Math.round(mib)} MiB of GPU memory`, `占用 ${Math.round(mib)} MiB 显存`),
    ...(mib === undefined ? {} : { gpuMemoryMiB: Math.round(mib) }),
  };
}

function duration(seconds: number): Localized {
  if (seconds < 120) return t(`${Math.round(seconds)} s`, `${Math.round(seconds)} 秒`);
  if (seconds < 7200) return t(`${Math.round(seconds / 60)} min`, `${Math.round(seconds / 60)} 分钟`);
  return t(`${Math.round(seconds / 3600)} h`, `${Math.round(seconds / 3600)} 小时`);
}

export const highCpuOddPath: Detector = {
  id: 'high-cpu-odd-path',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'medium',
  title: t('Sustained high CPU from a binary in an odd place', '可疑位置的程序持续占用大量 CPU'),
  description: t(
    `Flags a userland process that used at least ${HIGH_CPU_PERCENT}% of a core both during the collection's sampling window and on average over its whole life, has run for at least ${MIN_RUNTIME_SECONDS} seconds, and whose executable sits where software is not installed: /tmp, /var/tmp, /dev/shm, /run or elsewhere under /dev, a home directory, a hidden (dot) directory or one with a blank or dots-only name, or an executable that was deleted after start or lives only in memory (memfd). Miners need sustained CPU and are usually dropped into exactly these writable places. Well-known tool-chain directories in home directories (~/.rustup, ~/.cargo, ~/.nvm, ~/.vscode-server …) are not counted as odd. On NVIDIA hosts GPU use counts the same way: a process that nvidia-smi shows using at least ${HIGH_GPU_PERCENT}% of a GPU (its own share from \`nvidia-smi pmon\`, or the whole GPU's utilisation when it is that GPU's only compute process) for at least ${MIN_RUNTIME_SECONDS} seconds from one of these places is flagged too; conda and virtualenv directories in a home directory (~/miniconda3, ~/.venv …), where machine-learning jobs run, are not counted as odd for GPU use. On its own this is a medium finding; together with another signal on the same process it escalates.`,
    `标记满足以下条件的用户态进程：在采集的采样窗口内和整个生命周期的平均值都至少占用一个核心的 ${HIGH_CPU_PERCENT}%，已运行至少 ${MIN_RUNTIME_SECONDS} 秒，且可执行文件位于通常不安装软件的位置：/tmp、/var/tmp、/dev/shm、/run 或 /dev 下其他位置、用户主目录、隐藏（点开头）目录或名称为空白或全是点的目录，或者启动后已被删除、只存在于内存中（memfd）的可执行文件。挖矿程序需要持续的 CPU，通常正是被投放到这些可写位置。用户主目录中常见的工具链目录（~/.rustup、~/.cargo、~/.nvm、~/.vscode-server 等）不算可疑。在 NVIDIA 主机上，GPU 占用按同样方式计算：nvidia-smi 显示从上述位置运行、至少 ${MIN_RUNTIME_SECONDS} 秒且占用至少 ${HIGH_GPU_PERCENT}% GPU（取 \`nvidia-smi pmon\` 给出的该进程份额，或当它是该 GPU 上唯一的计算进程时取整块 GPU 的利用率）的进程同样会被标记；用户主目录中的 conda 和 virtualenv 目录（~/miniconda3、~/.venv 等）是机器学习任务的常见运行位置，就 GPU 占用而言不算可疑。单独命中时为中级发现；与同一进程的其他信号同时出现时会升级。`,
  ),
  tags: ['attack.t1496', 'attack.t1564.001'],
  needs: ['processes'],
  verify: t(
    'Watch the process with `top -p <pid>` for a minute to confirm the load is sustained; `ls -la /proc/<pid>/exe` shows where the binary is (or that it was deleted); `cat /proc/<pid>/status` shows its threads, and `ss -tnp | grep pid=<pid>` its connections. Ask whoever owns the directory whether they run the program.',
    '用 `top -p <pid>` 观察一分钟，确认负载是持续的；`ls -la /proc/<pid>/exe` 显示二进制的位置（或已被删除）；`cat /proc/<pid>/status` 显示线程信息，`ss -tnp | grep pid=<pid>` 显示其网络连接。向该目录的所有者确认是否在运行这个程序。',
  ),
  remediation: t(
    'If the program is not known, kill the process tree and quarantine its executable (for a deleted or memfd executable, copy /proc/<pid>/exe before killing: it is the only copy). Then look for the dropper and its persistence.',
    '如果无法确认该程序，结束进程树并隔离其可执行文件（对已删除或 memfd 的可执行文件，请在结束进程前复制 /proc/<pid>/exe：那是唯一的副本）。然后排查投放器及其持久化机制。',
  ),
  messages: {
    busy: t(
      '{process} has used {cpu}% CPU ({cpuLifetime}% over its {runtime} life) running from {place}',
      '{process}占用 {cpu}% CPU（运行 {runtime}，平均 {cpuLifetime}%），其程序位于{place}',
    ),
    gpuBusy: t(
      '{process} has kept GPU {devices} {gpu}% busy ({gpuMemory}) for {runtime}, running from {place}',
      '{process}已使 GPU {devices} 保持 {gpu}% 的占用（{gpuMemory}），运行 {runtime}，其程序位于{place}',
    ),
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p)) continue;
      const hit = cpuHit(p, snapshot) ?? gpuHit(p, snapshot);
      if (hit) hits.push(hit);
    }
    return hits;
  },
};

/** The hit of a busy process running from an odd place. */
function hitOf(p: ProcessInfo, place: Localized, messageId: string, data: Hit['data']): Hit {
  return {
    subject: processSubject(p.pid),
    messageId,
    data: { process: processRef(p), pid: p.pid, ...(p.exe ? { exe: p.exe } : {}), ...data, place },
    evidence: [
      processEvidence(p),
      { type: 'match', field: 'exe', value: p.exe ?? p.argv[0] ?? p.comm, ioc: `odd place: ${place.en}` },
    ],
    remediate: processActions(p),
    fingerprint: processFingerprint(p),
  };
}

/** Sustained CPU (window and lifetime) from an odd place. */
function cpuHit(p: ProcessInfo, snapshot: Snapshot): Hit | undefined {
  const now = p.cpuPercent;
  const life = p.cpuPercentLifetime;
  if (now === undefined || life === undefined || now < HIGH_CPU_PERCENT || life < HIGH_CPU_PERCENT)
    return undefined;
  const runtime = runtimeSeconds(p, snapshot);
  if (runtime === undefined || runtime < MIN_RUNTIME_SECONDS) return undefined;
  const place = oddPlace(p);
  if (!place) return undefined;
  return hitOf(p, place, 'busy', {
    cpu: Math.round(now),
    cpuLifetime: Math.round(life),
    runtime: duration(runtime),
    seconds: Math.round(runtime),
  });
}

/** A busy GPU (nvidia-smi) from an odd place; ML environments in a home directory are not odd here. */
function gpuHit(p: ProcessInfo, snapshot: Snapshot): Hit | undefined {
  const gpu = busyGpu(p);
  if (!gpu) return undefined;
  const runtime = runtimeSeconds(p, snapshot);
  if (runtime === undefined || runtime < MIN_RUNTIME_SECONDS) return undefined;
  const place = oddPlace(p, [...HOME_TOOLCHAINS, ...HOME_GPU_ENVIRONMENTS]);
  if (!place) return undefined;
  return hitOf(p, place, 'gpuBusy', { ...gpu, runtime: duration(runtime), seconds: Math.round(runtime) });
}
