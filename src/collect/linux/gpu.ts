// GPU facts on NVIDIA hosts (issue 16): where `nvidia-smi` is installed on the running system, its
// per-GPU utilisation, its compute processes with their memory and `pmon`'s per-process SM share are
// read and joined to the process list as `ProcessInfo.gpu`, so a GPU miner's process can be flagged
// as a CPU miner's is. Where nvidia-smi is absent (or the target is not this machine) nothing runs
// and the snapshot is exactly what it was. nvidia-smi's output is parsed defensively: a line that is
// not what we expect is skipped, never a crash.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessInfo } from '../../snapshot/schema.js';
import type { ProcessGpu } from '../../snapshot/gpu.js';
import type { Collector } from '../runner.js';
import { CollectorLog } from '../support.js';

/**
 * Where nvidia-smi is looked for: the system's own directories (NVIDIA's driver packages, the
 * container toolkit's mount, WSL), never $PATH, so a scan run as root cannot be steered into
 * running a program from a writable directory.
 */
export const NVIDIA_SMI_DIRS = [
  '/usr/bin',
  '/usr/local/bin',
  '/bin',
  '/usr/local/nvidia/bin',
  '/usr/lib/wsl/lib',
];
/** nvidia-smi answers in well under a second; a hung driver must not hold up the scan. */
const TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 1 << 20;

export const GPU_QUERY = [
  '--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total',
  '--format=csv,noheader,nounits',
];
export const APPS_QUERY = [
  '--query-compute-apps=gpu_uuid,pid,process_name,used_memory',
  '--format=csv,noheader,nounits',
];
export const PMON_QUERY = ['pmon', '-c', '1'];

export interface GpuDevice {
  index: number;
  uuid: string;
  name?: string;
  utilizationPercent?: number;
  memoryUsedMiB?: number;
  memoryTotalMiB?: number;
}

export interface GpuComputeApp {
  gpuUuid: string;
  pid: number;
  processName: string;
  usedMemoryMiB?: number;
}

export interface GpuPmonRow {
  gpu: number;
  pid: number;
  /** C (compute), G (graphics), C+G, M (MIG)… */
  type: string;
  smPercent?: number;
  memPercent?: number;
  command: string;
}

/** A number, or undefined for nvidia-smi's "[N/A]", "[Not Supported]", "-" and anything else. */
function num(field: string | undefined): number | undefined {
  const s = field?.trim() ?? '';
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** `--format=csv,noheader,nounits` lines: fields separated by ", " (names never contain a comma here). */
function csvRows(text: string, fields: number): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(',').map((f) => f.trim()))
    .filter((f) => f.length >= fields);
}

/** `--query-gpu=index,uuid,name,utilization.gpu,memory.used,memory.total`. */
export function parseGpuQuery(text: string): GpuDevice[] {
  const out: GpuDevice[] = [];
  for (const f of csvRows(text, 6)) {
    // A GPU name may carry a comma in theory: the last three fields are the numbers.
    const index = num(f[0]);
    const uuid = f[1] ?? '';
    if (index === undefined || !uuid.startsWith('GPU-')) continue;
    const tail = f.slice(-3);
    const d: GpuDevice = { index, uuid };
    const name = f.slice(2, -3).join(', ');
    if (name) d.name = name;
    const [util, used, total] = tail.map(num);
    if (util !== undefined) d.utilizationPercent = util;
    if (used !== undefined) d.memoryUsedMiB = used;
    if (total !== undefined) d.memoryTotalMiB = total;
    out.push(d);
  }
  return out;
}

/** `--query-compute-apps=gpu_uuid,pid,process_name,used_memory`; empty output when none runs. */
export function parseComputeApps(text: string): GpuComputeApp[] {
  const out: GpuComputeApp[] = [];
  for (const f of csvRows(text, 4)) {
    const pid = num(f[1]);
    const gpuUuid = f[0] ?? '';
    if (pid === undefined || pid < 1 || !Number.isInteger(pid) || !gpuUuid.startsWith('GPU-')) continue;
    const app: GpuComputeApp = { gpuUuid, pid, processName: f.slice(2, -1).join(', ') };
    const mem = num(f[f.length - 1]);
    if (mem !== undefined) app.usedMemoryMiB = mem;
    out.push(app);
  }
  return out;
}

/**
 * `nvidia-smi pmon -c 1`: a `# gpu pid type sm mem enc dec [jpg ofa] [fb] command` header, a units
 * line, then one row per process per GPU (`-` where a value is not known; a GPU with no process has a
 * row of dashes). Columns are found by the header's names, which changed across driver versions.
 */
export function parsePmon(text: string): GpuPmonRow[] {
  const lines = text.split('\n');
  const header = lines.find((l) => /^#\s*gpu\s/i.test(l));
  if (!header) return [];
  const cols = header.replace(/^#/, '').trim().toLowerCase().split(/\s+/);
  const at = (name: string): number => cols.indexOf(name);
  const [gpuI, pidI, typeI, smI, memI, cmdI] = ['gpu', 'pid', 'type', 'sm', 'mem', 'command'].map(at);
  if ([gpuI, pidI, smI].some((i) => i === undefined || i < 0)) return [];
  const out: GpuPmonRow[] = [];
  for (const line of lines) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const f = line.trim().split(/\s+/);
    const gpu = num(f[gpuI!]);
    const pid = num(f[pidI!]);
    if (gpu === undefined || pid === undefined || pid < 1 || !Number.isInteger(pid)) continue;
    const row: GpuPmonRow = {
      gpu,
      pid,
      type: typeI !== undefined && typeI >= 0 ? (f[typeI] ?? '') : '',
      // The command is the last column and may hold spaces.
      command: cmdI !== undefined && cmdI >= 0 ? f.slice(cmdI).join(' ') : '',
    };
    const sm = num(f[smI!]);
    if (sm !== undefined) row.smPercent = sm;
    const mem = memI !== undefined && memI >= 0 ? num(f[memI]) : undefined;
    if (mem !== undefined) row.memPercent = mem;
    out.push(row);
  }
  return out;
}

/** What nvidia-smi said, each part possibly missing (a query that failed or gave nothing). */
export interface NvidiaSmiOutput {
  gpus: string;
  apps: string;
  pmon: string;
}

/**
 * The GPU facts of each process that uses a GPU, by pid: its GPUs, its memory, and its utilisation
 * (pmon's SM share; else its GPU's utilisation when it is that GPU's only compute process).
 */
export function gpuUseByPid(out: NvidiaSmiOutput): Map<number, ProcessGpu> {
  const devices = parseGpuQuery(out.gpus);
  const byUuid = new Map(devices.map((d) => [d.uuid, d]));
  const apps = parseComputeApps(out.apps);
  const pmon = parsePmon(out.pmon);
  const use = new Map<number, ProcessGpu>();
  const entry = (pid: number): ProcessGpu => {
    let e = use.get(pid);
    if (!e) use.set(pid, (e = { devices: [] }));
    return e;
  };
  const addDevice = (e: ProcessGpu, index: number): void => {
    if (!e.devices.includes(index)) e.devices.push(index);
  };
  for (const app of apps) {
    const e = entry(app.pid);
    const device = byUuid.get(app.gpuUuid);
    if (device) addDevice(e, device.index);
    if (app.usedMemoryMiB !== undefined) e.memoryMiB = (e.memoryMiB ?? 0) + app.usedMemoryMiB;
  }
  for (const row of pmon) {
    const e = entry(row.pid);
    addDevice(e, row.gpu);
    if (row.smPercent !== undefined) {
      e.utilizationPercent = (e.utilizationPercent ?? 0) + row.smPercent;
      e.utilizationSource = 'pmon';
    }
  }
  // No per-process share: a GPU's utilisation is its only compute process's.
  for (const device of devices) {
    if (device.utilizationPercent === undefined) continue;
    const users = apps.filter((a) => a.gpuUuid === device.uuid).map((a) => a.pid);
    const only = new Set(users);
    if (only.size !== 1) continue;
    const e = use.get(users[0]!);
    if (e && e.utilizationSource !== 'pmon') {
      e.utilizationPercent = (e.utilizationPercent ?? 0) + device.utilizationPercent;
      e.utilizationSource = 'device';
    }
  }
  for (const e of use.values()) e.devices.sort((a, b) => a - b);
  return use;
}

/** The processes with their GPU facts joined; the others unchanged (the same objects). */
export function joinGpu(processes: ProcessInfo[], use: Map<number, ProcessGpu>): ProcessInfo[] {
  return processes.map((p) => {
    const gpu = use.get(p.pid);
    return gpu ? { ...p, gpu } : p;
  });
}

/** The first nvidia-smi in the system directories that this user may run, or undefined. */
export async function findNvidiaSmi(dirs: readonly string[] = NVIDIA_SMI_DIRS): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = path.join(dir, 'nvidia-smi');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(bin: string, args: string[]): Promise<{ stdout: string; error?: Error }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout) => resolve(error ? { stdout: stdout ?? '', error } : { stdout }),
    );
  });
}

/** Runs the three nvidia-smi queries at once; a failed query is reported and counts as empty. */
export async function readNvidiaSmi(bin: string, log: CollectorLog): Promise<NvidiaSmiOutput | undefined> {
  const [gpus, apps, pmon] = await Promise.all([
    run(bin, GPU_QUERY),
    run(bin, APPS_QUERY),
    run(bin, PMON_QUERY),
  ]);
  for (const [what, r] of [
    ['query-gpu', gpus],
    ['query-compute-apps', apps],
    ['pmon', pmon],
  ] as const) {
    if (r.error)
      log.add(
        `${bin} ${what}`,
        new Error(`${r.error.message.split('\n')[0]} ${r.stdout.trim().split('\n')[0] ?? ''}`.trim()),
      );
  }
  // Without the device list the driver is not talking to us (no GPU, no driver loaded).
  if (gpus.error || parseGpuQuery(gpus.stdout).length === 0) return undefined;
  return { gpus: gpus.stdout, apps: apps.error ? '' : apps.stdout, pmon: pmon.error ? '' : pmon.stdout };
}

export interface GpuCollectOptions {
  /** Where nvidia-smi is looked for (tests point it at a recorded one). */
  dirs?: readonly string[];
}

/**
 * The `linux.gpu` collector, listed after the process walk and the containers' join: it starts at
 * once (nvidia-smi's sampling overlaps the CPU window), then returns their process list with the GPU
 * facts joined, which replaces theirs in the snapshot. No nvidia-smi, or not this machine: no record
 * and no part, so the snapshot is unchanged.
 */
export function gpuCollector(opts: GpuCollectOptions = {}): Collector {
  return {
    id: 'linux.gpu',
    sections: ['processes'],
    overlaps: ['linux.processes', 'linux.containers'],
    announce: false,
    run: async (ctx, deps) => {
      const bin = ctx.live ? await findNvidiaSmi(opts.dirs) : undefined;
      if (!bin) return { records: [] };
      const log = new CollectorLog('linux.gpu', ['processes']);
      const out = await readNvidiaSmi(bin, log);
      const processes =
        (await deps.later('linux.containers'))?.part?.processes ??
        (await deps.later('linux.processes'))?.part?.processes;
      // nvidia-smi without a GPU or a loaded driver (a CUDA toolkit on a plain machine): nothing to
      // read, which must not make every scan of such a host "incomplete"; the error stays on record.
      if (!out) return { records: [log.record('not-applicable', `${bin}: no NVIDIA GPU answered`)] };
      const use = gpuUseByPid(out);
      const note = `${bin}: ${use.size} process(es) on ${parseGpuQuery(out.gpus).length} GPU(s)`;
      const record = log.record('ok', note);
      if (!processes || use.size === 0) return { records: [record] };
      return { part: { processes: joinGpu(processes, use) }, records: [record] };
    },
  };
}
