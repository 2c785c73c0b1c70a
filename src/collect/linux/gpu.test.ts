// Tests for the GPU facts: nvidia-smi's recorded output (test/data/nvidia-smi/, the formats NVIDIA's
// docs show, old and new pmon columns) parses into per-process GPU use; the collector joins it to the
// process list through a stand-in nvidia-smi that prints the recordings; and where nvidia-smi is
// absent, or the target is not this machine, nothing runs and nothing changes.
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProcess } from '../../../test/helpers/snapshot-builders.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import { makeContext } from '../context.js';
import { runCollectors, type Collector } from '../runner.js';
import { fixtureRoot } from '../test-helpers.js';
import {
  findNvidiaSmi,
  gpuCollector,
  gpuUseByPid,
  joinGpu,
  parseComputeApps,
  parseGpuQuery,
  parsePmon,
  type NvidiaSmiOutput,
} from './gpu.js';

const DATA = fileURLToPath(new URL('../../../test/data/nvidia-smi/', import.meta.url));
const read = (scenario: string, file: string): Promise<string> =>
  readFile(path.join(DATA, scenario, file), 'utf8').catch(() => '');
async function recorded(scenario: string): Promise<NvidiaSmiOutput> {
  return {
    gpus: await read(scenario, 'query-gpu.csv'),
    apps: await read(scenario, 'query-compute-apps.csv'),
    pmon: await read(scenario, 'pmon.txt'),
  };
}

const temps: string[] = [];
afterAll(async () => {
  for (const d of temps) await rm(d, { recursive: true, force: true });
});

/**
 * A directory holding an `nvidia-smi` that prints a recording (by its arguments, as the real one
 * answers each query) and logs each call, so a test can tell whether it ran at all.
 */
async function standIn(scenario: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-gpu-'));
  temps.push(dir);
  for (const f of await readdir(path.join(DATA, scenario)))
    await copyFile(path.join(DATA, scenario, f), path.join(dir, f));
  const script = `#!/bin/sh
d='${dir}'
echo "$*" >> "$d/calls"
case "$1" in
  --query-gpu=*) f=query-gpu.csv ;;
  --query-compute-apps=*) f=query-compute-apps.csv ;;
  pmon) f=pmon.txt ;;
  *) f= ;;
esac
if [ -f "$d/stdout.txt" ]; then cat "$d/stdout.txt"; elif [ -n "$f" ] && [ -f "$d/$f" ]; then cat "$d/$f"; fi
if [ -f "$d/exit-code" ]; then exit "$(cat "$d/exit-code")"; fi
exit 0
`;
  await writeFile(path.join(dir, 'nvidia-smi'), script);
  await chmod(path.join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

const miner = makeProcess({ pid: 48213, exe: '/dev/shm/.x/xmrig-gpu', user: 'www-data' });
const xorg = makeProcess({ pid: 1422, exe: '/usr/lib/xorg/Xorg' });
const sshd = makeProcess({ pid: 812, exe: '/usr/sbin/sshd' });

/** The process walk's and the containers' results, as the runner hands them to linux.gpu. */
function walk(processes: ProcessInfo[]): Collector[] {
  const record = (collector: string) => ({
    collector,
    sections: ['processes' as const],
    status: 'ok' as const,
    durationMs: 0,
    errors: [],
  });
  return [
    {
      id: 'linux.processes',
      sections: ['processes'],
      run: () => Promise.resolve({ part: { processes }, records: [record('linux.processes')] }),
    },
    // A host without containers: no part, no record (as collect/index.ts's containers collector).
    { id: 'linux.containers', sections: ['containers'], run: () => Promise.resolve({ records: [] }) },
  ];
}

describe('nvidia-smi output', () => {
  it('reads the GPUs of --query-gpu: index, uuid, name, utilisation and memory', async () => {
    expect(parseGpuQuery(await read('gpu-miner', 'query-gpu.csv'))).toEqual([
      {
        index: 0,
        uuid: 'GPU-6b3e0c5a-1f9d-4a2e-8c71-2d9f40b8e613',
        name: 'NVIDIA GeForce RTX 3090',
        utilizationPercent: 100,
        memoryUsedMiB: 5301,
        memoryTotalMiB: 24576,
      },
      {
        index: 1,
        uuid: 'GPU-c1f27a4d-93b8-4e05-b6aa-7e15d2c08f94',
        name: 'NVIDIA GeForce RTX 3090',
        utilizationPercent: 99,
        memoryUsedMiB: 5287,
        memoryTotalMiB: 24576,
      },
    ]);
  });

  it('reads the compute processes of --query-compute-apps; "[N/A]" memory is left out', async () => {
    expect(parseComputeApps(await read('ml-host', 'query-compute-apps.csv'))).toEqual([
      {
        gpuUuid: 'GPU-0f4c1b7e-5a2d-4c88-9e31-b84a6d27f0c2',
        pid: 52001,
        processName: '/home/alice/miniconda3/envs/train/bin/python3.11',
        usedMemoryMiB: 30110,
      },
      {
        gpuUuid: 'GPU-0f4c1b7e-5a2d-4c88-9e31-b84a6d27f0c2',
        pid: 52877,
        processName: '/tmp/nv-probe/gpu-healthcheck',
        usedMemoryMiB: 402,
      },
    ]);
    expect(parseComputeApps('GPU-0f4c1b7e-5a2d-4c88-9e31-b84a6d27f0c2, 77, python, [N/A]\n')).toEqual([
      { gpuUuid: 'GPU-0f4c1b7e-5a2d-4c88-9e31-b84a6d27f0c2', pid: 77, processName: 'python' },
    ]);
  });

  it('reads pmon by its header: the newer jpg/ofa columns and the older layout alike', async () => {
    expect(parsePmon(await read('gpu-miner', 'pmon.txt'))).toEqual([
      { gpu: 0, pid: 1422, type: 'G', smPercent: 1, memPercent: 0, command: 'Xorg' },
      { gpu: 0, pid: 48213, type: 'C', smPercent: 98, memPercent: 71, command: 'xmrig-gpu' },
      { gpu: 1, pid: 48213, type: 'C', smPercent: 97, memPercent: 70, command: 'xmrig-gpu' },
    ]);
    // Older drivers: no jpg/ofa; "-" where pmon has no sample; an idle GPU's row of dashes.
    expect(parsePmon(await read('gpu-miner-no-pmon', 'pmon.txt'))).toEqual([
      { gpu: 0, pid: 48213, type: 'C', command: 'xmrig-gpu' },
    ]);
  });

  it('never throws on output that is not what it expects', () => {
    const junk =
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n\0\xff,,,\n# gpu\n";
    expect(parseGpuQuery(junk)).toEqual([]);
    expect(parseComputeApps(junk)).toEqual([]);
    expect(parsePmon(junk)).toEqual([]);
    expect(gpuUseByPid({ gpus: junk, apps: junk, pmon: junk }).size).toBe(0);
  });
});

describe('GPU use by process', () => {
  it("sums a miner's SM share and memory over its two GPUs (pmon)", async () => {
    const use = gpuUseByPid(await recorded('gpu-miner'));
    expect(use.get(48213)).toEqual({
      devices: [0, 1],
      utilizationPercent: 195,
      utilizationSource: 'pmon',
      memoryMiB: 10244,
    });
    // The desktop's X server is a graphics process: in pmon, not among the compute apps.
    expect(use.get(1422)).toEqual({ devices: [0], utilizationPercent: 1, utilizationSource: 'pmon' });
  });

  it("without pmon's share, the GPU's utilisation is its only compute process's", async () => {
    const use = gpuUseByPid(await recorded('gpu-miner-no-pmon'));
    expect(use.get(48213)).toEqual({
      devices: [0],
      utilizationPercent: 100,
      utilizationSource: 'device',
      memoryMiB: 5122,
    });
  });

  it('a training job and a health check on one GPU each keep their own share', async () => {
    const use = gpuUseByPid(await recorded('ml-host'));
    expect(use.get(52001)).toMatchObject({ utilizationPercent: 94, memoryMiB: 30110 });
    expect(use.get(52877)).toMatchObject({ utilizationPercent: 2, memoryMiB: 402 });
  });

  it('joins onto the processes that use a GPU and leaves the others as they were', async () => {
    const joined = joinGpu([miner, sshd], gpuUseByPid(await recorded('gpu-miner')));
    expect(joined[0]?.gpu).toMatchObject({ devices: [0, 1], utilizationPercent: 195 });
    expect(joined[1]).toBe(sshd);
  });
});

describe('linux.gpu collector', () => {
  it("joins nvidia-smi's facts to the process list on this machine, with its record", async () => {
    const dir = await standIn('gpu-miner');
    const ctx = await makeContext('/', () => new Date());
    const { part, collection } = await runCollectors(ctx, [
      ...walk([miner, xorg, sshd]),
      gpuCollector({ dirs: [dir] }),
    ]);
    const byPid = new Map(part.processes?.map((p) => [p.pid, p]));
    expect(byPid.get(48213)?.gpu).toEqual({
      devices: [0, 1],
      utilizationPercent: 195,
      utilizationSource: 'pmon',
      memoryMiB: 10244,
    });
    expect(byPid.get(1422)?.gpu).toMatchObject({ utilizationPercent: 1 });
    expect(byPid.get(812)).toEqual(sshd);
    const record = collection.find((r) => r.collector === 'linux.gpu');
    expect(record).toMatchObject({ status: 'ok', sections: ['processes'], errors: [] });
    expect(record?.note).toBe(`${dir}/nvidia-smi: 2 process(es) on 2 GPU(s)`);
  });

  it('changes nothing where nvidia-smi is absent: same processes, no record', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'minehunter-gpu-none-'));
    temps.push(empty);
    const ctx = await makeContext('/', () => new Date());
    const without = await runCollectors(ctx, walk([miner, sshd]));
    const withGpu = await runCollectors(ctx, [...walk([miner, sshd]), gpuCollector({ dirs: [empty] })]);
    expect(withGpu).toEqual(without);
    expect(withGpu.part.processes?.some((p) => 'gpu' in p)).toBe(false);
  });

  it('never runs nvidia-smi for a root that is not this machine', async () => {
    const dir = await standIn('gpu-miner');
    const ctx = await makeContext(fixtureRoot('miner-host'), () => new Date());
    const { part, collection } = await runCollectors(ctx, [...walk([miner]), gpuCollector({ dirs: [dir] })]);
    expect(existsSync(path.join(dir, 'calls'))).toBe(false);
    expect(collection.map((r) => r.collector)).toEqual(['linux.processes']);
    expect(part.processes).toEqual([miner]);
  });

  it('an nvidia-smi that cannot reach a driver is recorded as not applicable, processes untouched', async () => {
    const dir = await standIn('no-driver');
    const ctx = await makeContext('/', () => new Date());
    const { part, collection } = await runCollectors(ctx, [...walk([miner]), gpuCollector({ dirs: [dir] })]);
    expect(part.processes).toEqual([miner]);
    const record = collection.find((r) => r.collector === 'linux.gpu');
    expect(record).toMatchObject({
      status: 'not-applicable',
      note: `${dir}/nvidia-smi: no NVIDIA GPU answered`,
    });
    expect(record?.errors[0]?.message).toContain("couldn't communicate with the NVIDIA driver");
  });

  it('is looked for only in the system directories, by exact name', async () => {
    const dir = await standIn('gpu-miner');
    expect(await findNvidiaSmi([path.join(dir, 'missing'), dir])).toBe(path.join(dir, 'nvidia-smi'));
    expect(await findNvidiaSmi([path.join(dir, 'missing')])).toBeUndefined();
  });
});
