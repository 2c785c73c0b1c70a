// Tests for the process collector: exact parsing of the fixture /proc trees, and the real /proc with
// children this test starts (weird argv, a deleted executable, a CPU burner, processes that exit).
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSchema, type ProcessInfo } from '../../snapshot/schema.js';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, fixtureRoot, killChildren, sleepBinary, startChild } from '../test-helpers.js';
import { acquireHostLock } from '../../../test/helpers/host-lock.js';
import { takeCpuBaseline, type CpuBaseline } from './cpu-baseline.js';
import { builtNativeAddon } from '../../util/paths.js';
import { CLK_TCK } from './proc-walk.js';
import {
  prestartProcWorker,
  standbyProcWorker,
  walkShards,
  WORKER_MIN_PIDS,
  WORKER_SPLIT_PIDS,
} from './proc-worker-start.js';
import { WORKER_YOUNG_GENERATION_MB } from '../../util/worker-heap.js';
import {
  collectProcesses,
  isNamespaceInit,
  parseMaps,
  parseStat,
  parseStatus,
  readProcText,
  splitNul,
  type ProcessCollection,
} from './processes.js';

const byPid = (list: ProcessInfo[] | undefined, pid: number): ProcessInfo | undefined =>
  list?.find((p) => p.pid === pid);

describe('parseStat', () => {
  it('takes the fields after the last ")" so a name with spaces and parentheses cannot shift them', () => {
    const st = parseStat(
      '2024 (bad) (name) S 1 2024 2024 0 -1 4194560 0 0 0 0 4000 1000 0 0 20 0 2 0 8500000 0',
    );
    expect(st).toEqual({
      pid: 2024,
      comm: 'bad) (name',
      state: 'S',
      ppid: 1,
      flags: 4194560,
      utime: 4000,
      stime: 1000,
      numThreads: 2,
      starttime: 8500000,
    });
  });
  it('rejects a truncated line instead of inventing zeros', () => {
    expect(parseStat('42 (x) S 1')).toBeUndefined();
    expect(parseStat('garbage')).toBeUndefined();
  });
});

describe('splitNul', () => {
  it.each([
    ['a\0b\0', ['a', 'b']],
    ['a\0\0b\0', ['a', '', 'b']],
    ['a\0b\0\0', ['a', 'b', '']],
    ['\0', ['']],
    ['', []],
    ['sshd: /usr/sbin/sshd -D [listener]', ['sshd: /usr/sbin/sshd -D [listener]']],
  ])('%j → %j', (raw, argv) => {
    expect(splitNul(Buffer.from(raw))).toEqual(argv);
  });
});

describe('parseMaps', () => {
  it('keeps shared objects and executable file mappings, drops the exe itself and pseudo-mappings', () => {
    const maps = [
      '55d0c6a24000-55d0c6b02000 r-xp 00024000 08:01 1311 /usr/bin/app',
      '55d0c7c52000-55d0c7c73000 rw-p 00000000 00:00 0                          [heap]',
      '7f3a1c000000-7f3a1c028000 r--p 00000000 08:01 2000 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f3a1c028000-7f3a1c1bd000 r-xp 00028000 08:01 2000 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f3a1b000000-7f3a1b020000 r-xp 00000000 00:01 4097 /memfd:lib (deleted)',
      '7f3a1b100000-7f3a1b120000 r--p 00000000 08:01 77 /usr/share/locale/locale archive',
      '7f3a1b200000-7f3a1b220000 r--p 00000000 08:01 78 /opt/my app/libfoo.so.1.2',
      '7f3a1b300000-7f3a1b320000 rw-s 00000000 00:01 4098 /dev/zero (deleted)',
      '7ffd4a3f6000-7ffd4a3f8000 r-xp 00000000 00:00 0                          [vdso]',
    ].join('\n');
    expect(parseMaps(maps, '/usr/bin/app')).toEqual([
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/memfd:lib (deleted)',
      '/opt/my app/libfoo.so.1.2',
    ]);
  });

  it('finds the libraries among long runs of anonymous mappings, and a last line without a newline', () => {
    const anon = (i: number): string =>
      `7f00${(1000 + i).toString(16)}000-7f00${(1000 + i).toString(16)}fff rw-p 00000000 00:00 0 `;
    const maps = [
      ...Array.from({ length: 500 }, (_, i) => anon(i)),
      '7f3a1c028000-7f3a1c1bd000 r-xp 00028000 08:01 2000 /usr/lib/x86_64-linux-gnu/libc.so.6',
      ...Array.from({ length: 500 }, (_, i) => anon(600 + i)),
      '7f3a1c300000-7f3a1c301000 r--p 00000000 08:01 2001 /usr/lib/locale/C.utf8/LC_CTYPE',
      '7f3a1c400000-7f3a1c401000 r-xp 00000000 08:01 2002 /home/u/.cache/x',
    ].join('\n');
    expect(parseMaps(maps)).toEqual(['/usr/lib/x86_64-linux-gnu/libc.so.6', '/home/u/.cache/x']);
  });
});

describe('readProcText', () => {
  it('reads a file larger than its buffer whole, and a small one after it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-procread-'));
    try {
      const big = Array.from({ length: 20_000 }, (_, i) => `line ${i} of a long maps file`).join('\n');
      writeFileSync(path.join(dir, 'big'), big);
      writeFileSync(path.join(dir, 'small'), '42 (sleep) S 1\n');
      expect(big.length).toBeGreaterThan(256 * 1024);
      expect(readProcText(path.join(dir, 'big'))).toBe(big);
      expect(readProcText(path.join(dir, 'small'))).toBe('42 (sleep) S 1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NSpid: the init of a container', () => {
  it('reads the pid in every PID namespace, outermost first', () => {
    expect(parseStatus('Name:\tsh\nNSpid:\t7001\t1\nThreads:\t1\n').nsPid).toEqual([7001, 1]);
    expect(parseStatus('NSpid:\t812\n').nsPid).toEqual([812]);
    expect(parseStatus('Name:\told-kernel\n').nsPid).toBeUndefined();
  });
  it('is a container init only when nested and 1 in the innermost namespace', () => {
    expect(isNamespaceInit([7001, 1])).toBe(true);
    expect(isNamespaceInit([7001, 40, 1])).toBe(true);
    expect(isNamespaceInit([1])).toBe(false); // the host's (or our own namespace's) init
    expect(isNamespaceInit([7002, 5])).toBe(false); // a process inside a container
    expect(isNamespaceInit(undefined)).toBe(false);
  });
});

describe('collectProcesses on a fake /proc with a container', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-proc-ns-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** One fake /proc/PID: stat, status with NSpid, cmdline and comm (no exe link: read errors are fine). */
  const fakeProcess = (pid: number, ppid: number, comm: string, nsPid: number[]): void => {
    const dir = path.join(root, 'proc', String(pid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'stat'),
      `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 0 0 0 0 10 5 0 0 20 0 1 0 5000 0 0\n`,
    );
    writeFileSync(
      path.join(dir, 'status'),
      `Name:\t${comm}\nPid:\t${pid}\nPPid:\t${ppid}\nUid:\t0\t0\t0\t0\nThreads:\t1\nNSpid:\t${nsPid.join('\t')}\n`,
    );
    writeFileSync(path.join(dir, 'cmdline'), `${comm}\0`);
    writeFileSync(path.join(dir, 'comm'), `${comm}\n`);
  };

  it('marks the container init (NSpid ends in 1, nested) and nothing else', async () => {
    fakeProcess(1, 0, 'systemd', [1]);
    fakeProcess(700, 1, 'containerd-shim', [700]);
    fakeProcess(7001, 700, 'tini', [7001, 1]);
    fakeProcess(7002, 7001, 'memfd-helper', [7002, 5]);
    const ctx = await makeContext(root, FIXTURE_NOW);
    const result = await collectProcesses(ctx, { cpuWindowMs: 0, hashExecutables: false });
    expect(result.processes?.map((p) => p.pid)).toEqual([1, 700, 7001, 7002]);
    expect(result.processes?.filter((p) => p.containerInit).map((p) => p.pid)).toEqual([7001]);
    // Only set when true: other records keep the shape they had before the field existed.
    for (const p of result.processes ?? []) {
      if (p.pid !== 7001) expect(p).not.toHaveProperty('containerInit');
      expect(() => ProcessSchema.parse(p)).not.toThrow();
    }
  });
});

describe('collectProcesses on the miner-host fixture', () => {
  let result: ProcessCollection;
  let procs: ProcessInfo[] | undefined;
  beforeAll(async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    result = await collectProcesses(ctx, { cpuWindowMs: 300, hashExecutables: true });
    procs = result.processes;
  });

  it('lists every readable pid in order and silently drops the one that vanished', () => {
    expect(procs?.map((p) => p.pid)).toEqual([1, 2, 9, 412, 1337, 2024, 4200, 4242]);
    // The fixture has no NSpid lines: no process is taken for a container's init.
    expect(procs?.some((p) => 'containerInit' in p)).toBe(false);
    expect(result.record).toMatchObject({ collector: 'linux.processes', status: 'ok', errors: [] });
    expect(result.record.note).toContain('1 exited while being read');
    for (const p of procs ?? []) expect(() => ProcessSchema.parse(p)).not.toThrow();
  });

  it('keeps a miner argv byte-exact: spaces, colons and an empty argument', () => {
    const xmrig = byPid(procs, 4242);
    expect(xmrig?.argv).toEqual([
      '/opt/miner/xmrig',
      '-o',
      'stratum+tcp://pool.example:3333',
      '--pass',
      'x y:z',
      '',
      '--donate-level=1',
    ]);
    expect(xmrig).toMatchObject({
      ppid: 4200,
      comm: 'xmrig',
      exe: '/opt/miner/xmrig',
      exeDeleted: false,
      exeMemfd: false,
      cwd: '/opt/miner',
      cwdDeleted: false,
      uid: 0,
      user: 'root',
      env: { LD_LIBRARY_PATH: '/opt/miner/lib' },
      maps: [
        '/opt/miner/lib/libuv.so.1',
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      ],
      threads: 3,
      rssBytes: 2350000 * 1024,
      cpuTimeSec: 12000,
      startTime: '2023-11-15T20:26:40.000Z',
      cpuPercentLifetime: 187.5,
    });
    // A static copy of /proc cannot be sampled over time.
    expect(xmrig?.cpuPercent).toBeUndefined();
  });

  it('hashes an executable present inside the offline root, never the analyst’s file of the same name', () => {
    const file = path.join(fixtureRoot('miner-host'), 'opt/miner/xmrig');
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(byPid(procs, 4242)).toMatchObject({ exeSha256: sha, exeSize: readFileSync(file).length });
    // /usr/sbin/sshd is not in the fixture; the host's own sshd must not be hashed instead.
    expect(byPid(procs, 412)?.exeSha256).toBeUndefined();
    expect(byPid(procs, 412)?.exeSize).toBeUndefined();
  });

  it('flags a deleted executable, a deleted cwd and LD_PRELOAD for the fake kernel thread', () => {
    expect(byPid(procs, 1337)).toMatchObject({
      comm: 'kworker/0:2',
      argv: ['[kworker/0:2]'],
      exe: '/tmp/.x/kworker',
      exeDeleted: true,
      exeMemfd: false,
      cwd: '/tmp/.x',
      cwdDeleted: true,
      kernelThread: false,
      uid: 33,
      user: 'www-data',
      env: { LD_PRELOAD: '/tmp/.x/libhide.so' },
      maps: [
        '/tmp/.x/libhide.so',
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      ],
      cpuTimeSec: 10000,
      startTime: '2023-11-15T01:00:00.000Z',
      cpuPercentLifetime: 13.09,
    });
    expect(byPid(procs, 1337)?.exeSha256).toBeUndefined();
  });

  it('flags a memfd executable and keeps a name with ") (" intact', () => {
    expect(byPid(procs, 2024)).toMatchObject({
      comm: 'bad) (name',
      argv: ['bad) (name'],
      exe: '/memfd:payload',
      exeDeleted: true,
      exeMemfd: true,
      cwd: '/dev/shm/.cache',
      cwdDeleted: true,
      maps: [
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
        '/memfd:lib (deleted)',
      ],
    });
  });

  it('recognises kernel threads and does not mistake the look-alike for one', () => {
    expect(byPid(procs, 2)).toMatchObject({ comm: 'kthreadd', argv: [], kernelThread: true, ppid: 0 });
    expect(byPid(procs, 9)).toMatchObject({
      comm: 'kworker/0:1-events',
      argv: [],
      kernelThread: true,
      ppid: 2,
    });
    expect(byPid(procs, 9)?.exe).toBeUndefined();
    expect(procs?.filter((p) => p.kernelThread).map((p) => p.pid)).toEqual([2, 9]);
  });

  it('keeps a setproctitle-style single argument and hands the socket inodes to the socket join', () => {
    expect(byPid(procs, 412)?.argv).toEqual(['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups']);
    expect(result.join?.inodePids.get(21000)).toEqual([412]);
    expect(result.join?.inodePids.get(42420)).toEqual([4242]);
    expect([...(result.join?.namespaces.keys() ?? [])].sort()).toEqual(['4026531840', '4026532286']);
    expect(result.join?.namespaces.get('4026532286')).toEqual([4200, 4242]);
  });
});

describe('collectProcesses in its worker thread', () => {
  it('gives the same processes, join, errors and note as the walk on the main thread', async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    const walk = (worker: boolean) =>
      collectProcesses(ctx, { cpuWindowMs: 300, hashExecutables: true, worker });
    const [inWorker, inline] = [await walk(true), await walk(false)];
    expect(inWorker.processes).toEqual(inline.processes);
    expect(inWorker.join).toEqual(inline.join);
    expect(inWorker.record.errors).toEqual(inline.record.errors);
    // The worker started (no fallback to this thread), and said nothing else.
    expect(inWorker.record.note).toBe(inline.record.note);
  });

  it('takes the worker started ahead of it (as a scan starts one), which walks as one started with the walk', async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    const walk = (worker: boolean) =>
      collectProcesses(ctx, { cpuWindowMs: 300, hashExecutables: true, worker });
    const inline = await walk(false);
    // None on a host whose walk would not use a worker.
    prestartProcWorker(() => WORKER_MIN_PIDS - 1);
    expect(standbyProcWorker()).toBeUndefined();
    prestartProcWorker(() => WORKER_MIN_PIDS);
    expect(standbyProcWorker()).toBeDefined();
    // Its heap's young generation is bounded as the scan workers' (util/worker-heap.ts).
    expect(standbyProcWorker()!.resourceLimits?.maxYoungGenerationSizeMb).toBe(WORKER_YOUNG_GENERATION_MB);
    const ahead = await walk(true);
    expect(standbyProcWorker()).toBeUndefined();
    expect(ahead.processes).toEqual(inline.processes);
    expect(ahead.join).toEqual(inline.join);
    expect(ahead.record.note).toBe(inline.record.note);
  });

  it('split between two workers, gives the same processes, join, errors and note as one walk', async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    const walk = (workers: number) =>
      collectProcesses(ctx, { cpuWindowMs: 300, hashExecutables: true, worker: true, workers });
    const [split, one] = [await walk(2), await walk(1)];
    expect(split.processes?.length).toBeGreaterThan(3);
    expect(split.processes).toEqual(one.processes);
    expect(split.join).toEqual(one.join);
    expect(split.record.errors).toEqual(one.record.errors);
    expect(split.record.note).toBe(one.record.note);
  });

  it('splits the walk from WORKER_SPLIT_PIDS processes on, with two cores or more, and starts both ahead', async () => {
    expect(walkShards(WORKER_SPLIT_PIDS - 1, () => 2)).toBe(1);
    expect(walkShards(WORKER_SPLIT_PIDS, () => 2)).toBe(2);
    expect(walkShards(WORKER_SPLIT_PIDS * 5, () => 1)).toBe(1);
    prestartProcWorker(
      () => WORKER_SPLIT_PIDS,
      () => 1,
    );
    expect(standbyProcWorker(1)).toBeUndefined();
    prestartProcWorker(
      () => WORKER_SPLIT_PIDS,
      () => 2,
    );
    expect(standbyProcWorker(0)).toBeDefined();
    expect(standbyProcWorker(1)).toBeDefined();
    // The walk takes both.
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    const split = await collectProcesses(ctx, {
      cpuWindowMs: 0,
      hashExecutables: false,
      worker: true,
      workers: 2,
    });
    expect(split.processes?.length).toBeGreaterThan(3);
    expect(standbyProcWorker(0)).toBeUndefined();
    expect(standbyProcWorker(1)).toBeUndefined();
  });

  it('hands the walk to onWalked before the hashes are in, the same objects it returns', async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    let early: ProcessInfo[] | undefined;
    let hashedEarly = -1;
    const result = await collectProcesses(ctx, {
      cpuWindowMs: 0,
      hashExecutables: true,
      onWalked: ({ processes }) => {
        early = processes;
        hashedEarly = processes.filter((p) => p.exeSha256 !== undefined).length;
      },
    });
    expect(hashedEarly).toBe(0);
    expect(early).toBe(result.processes);
    expect(result.processes?.some((p) => p.exeSha256 !== undefined)).toBe(true);
  });
});

describe('collectProcesses on a root without proc/', () => {
  it('is skipped with a note, not reported as an empty list', async () => {
    const ctx = await makeContext(fixtureRoot('offline-disk'), FIXTURE_NOW);
    const result = await collectProcesses(ctx, { cpuWindowMs: 300, hashExecutables: true });
    expect(result.processes).toBeUndefined();
    expect(result.record.status).toBe('skipped');
    expect(result.record.note).toMatch(/without proc/);
  });
});

describe('collectProcesses on the live /proc', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-proc-test-'));
  // CPU measurements and argv checks need the host to themselves (see test/helpers/host-lock.ts).
  let release: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    release = await acquireHostLock();
  });
  afterEach(killChildren);
  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    await release();
  });

  // One walk whatever this host's process count (a split walk's note gives a range of windows).
  const collectLive = async (cpuWindowMs = 300, hashExecutables = true) =>
    collectProcesses(await makeContext('/', () => new Date()), { cpuWindowMs, hashExecutables, workers: 1 });

  it('reports the exact argv and exe of a child with spaces, colons and empty arguments', async () => {
    const weird = [
      '-e',
      'setTimeout(() => {}, 30000)',
      '--',
      '-o',
      'stratum+tcp://pool.example:3333',
      '--pass',
      'x y:z',
      '',
    ];
    const node = await startChild(process.execPath, weird, { argv0: 'kworker/0:1 [fake]: x' });
    const sleep = await startChild(sleepBinary(), ['30'], {
      argv0: '-o stratum+tcp://pool.example:3333 "x y:z"',
    });
    const result = await collectLive(100);
    expect(byPid(result.processes, node.pid as number)).toMatchObject({
      argv: ['kworker/0:1 [fake]: x', ...weird],
      exe: realpathSync(process.execPath),
      exeDeleted: false,
      exeMemfd: false,
      ppid: process.pid,
      kernelThread: false,
      uid: process.getuid?.(),
      cwd: process.cwd(),
    });
    expect(byPid(result.processes, sleep.pid as number)).toMatchObject({
      argv: ['-o stratum+tcp://pool.example:3333 "x y:z"', '30'],
      exe: sleepBinary(),
      comm: 'sleep',
      exeSha256: createHash('sha256').update(readFileSync(sleepBinary())).digest('hex'),
    });
  });

  it('sees a deleted executable and still hashes it through /proc/PID/exe', async () => {
    const dir = path.join(tmp, '.x');
    const copy = path.join(dir, 'kworker');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(sleepBinary(), copy);
    const child = await startChild(copy, ['30']);
    unlinkSync(copy);
    const result = await collectLive(50);
    expect(byPid(result.processes, child.pid as number)).toMatchObject({
      exe: realpathSync(tmp) + '/.x/kworker',
      exeDeleted: true,
      exeMemfd: false,
      exeSha256: createHash('sha256').update(readFileSync(sleepBinary())).digest('hex'),
      exeSize: readFileSync(sleepBinary()).length,
    });
  });

  it('hashes an executable once for all its processes, and again once it is replaced on disk', async () => {
    const dir = path.join(tmp, 'replaced');
    const exe = path.join(dir, 'worker');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    copyFileSync(sleepBinary(), exe);
    const before = [await startChild(exe, ['30']), await startChild(exe, ['30'])];
    // Replaced as package managers do: a new file renamed over the old path, so a new inode.
    const other = realpathSync(['/usr/bin/tail', '/bin/tail'].find((p) => existsSync(p)) ?? '/usr/bin/tail');
    copyFileSync(other, `${exe}.new`);
    renameSync(`${exe}.new`, exe);
    const after = await startChild(exe, ['-f', '/dev/null']);
    const result = await collectLive(50);
    const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
    for (const child of before) {
      expect(byPid(result.processes, child.pid as number)).toMatchObject({
        exeDeleted: true,
        exeSha256: sha(sleepBinary()),
      });
    }
    expect(byPid(result.processes, after.pid as number)).toMatchObject({
      exe: realpathSync(exe),
      exeDeleted: false,
      exeSha256: sha(other),
    });
  });

  it('split between two workers, hashes, samples CPU and probes as one walk does', async () => {
    const busy = await startChild(process.execPath, [
      '-e',
      'const end = Date.now() + 20000; while (Date.now() < end) {}',
    ]);
    const idle = await startChild(sleepBinary(), ['30']);
    const pids = [process.pid, busy.pid as number, idle.pid as number].sort((a, b) => a - b);
    let probe: Promise<unknown> | undefined;
    const result = await collectProcesses(await makeContext('/', () => new Date()), {
      cpuWindowMs: 500,
      hashExecutables: true,
      pids,
      worker: true,
      workers: 2,
      pidProbe: {},
      onWalked: (w) => {
        probe = w.pidProbe;
      },
    });
    expect(result.processes?.map((p) => p.pid)).toEqual(pids);
    const sleeper = byPid(result.processes, idle.pid as number);
    expect(sleeper?.exeSha256).toBe(createHash('sha256').update(readFileSync(sleepBinary())).digest('hex'));
    // Sampled in both workers: the busy child well above the sleeper (loose: the suite shares the cores).
    expect(byPid(result.processes, busy.pid as number)?.cpuPercent).toBeGreaterThan(10);
    expect(sleeper?.cpuPercent).toBeLessThan(5);
    // Two windows, each closed by its worker: the note gives both ends, or one when they agree.
    expect(result.record.note).toMatch(/CPU% sampled over \d+(–\d+)? ms/);
    // The PID probe, asked of the first worker only, still comes.
    expect(await probe).toMatchObject({ pidMax: expect.any(Number) });
  });

  it('read in its worker by the native addon, gives the processes Node reads give', async () => {
    // A copy of the addon under a name of this test's own: the worker is a thread of this process,
    // so while it holds the addon (it is let go when the worker ends) this process maps that file.
    const built = builtNativeAddon();
    if (!built) throw new Error('dist/native/dirstat.node is not built: run npm run build');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-read-addon-'));
    const addon = path.join(dir, 'dirstat-copy.node');
    copyFileSync(built, addon);
    try {
      const child = await startChild(sleepBinary(), ['30'], {
        env: { ...process.env, LD_PRELOAD: '', LD_LIBRARY_PATH: '/opt/lookalike' },
      });
      const pids = [process.pid, child.pid as number].sort((a, b) => a - b);
      let mapped = false;
      const collect = async (withAddon: boolean) =>
        (
          await collectProcesses(await makeContext('/', () => new Date()), {
            // The worker waits out the window after the walk: the addon is still loaded then.
            cpuWindowMs: 300,
            hashExecutables: true,
            pids,
            worker: true,
            ...(withAddon ? { addon } : {}),
            onWalked: () => {
              mapped ||= readFileSync('/proc/self/maps', 'utf8').includes(addon);
            },
          })
        ).processes ?? [];
      const viaAddon = await collect(true);
      expect(mapped).toBe(true);
      const viaNode = await collect(false);
      // CPU, memory and threads move between the two walks, and this process maps the addon while
      // the first reads it; nothing else may differ.
      const steady = (p: ProcessInfo) => ({
        ...p,
        rssBytes: undefined,
        threads: undefined,
        state: undefined,
        cpuPercent: undefined,
        cpuTimeSec: undefined,
        cpuPercentLifetime: undefined,
        maps: p.pid === process.pid ? p.maps.filter((m) => m !== addon) : p.maps,
      });
      expect(viaAddon.map(steady)).toEqual(viaNode.map(steady));
      expect(byPid(viaAddon, child.pid as number)).toMatchObject({
        exe: sleepBinary(),
        argv: [sleepBinary(), '30'],
        env: { LD_PRELOAD: '', LD_LIBRARY_PATH: '/opt/lookalike' },
        // Both CPU samples were read by the addon too.
        cpuPercent: expect.any(Number),
        maps: expect.arrayContaining([expect.stringMatching(/libc\.so/)]),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('measures CPU over the window: a busy child near a full core, a sleeping one near zero', async () => {
    const busy = await startChild(process.execPath, [
      '-e',
      'const end = Date.now() + 20000; while (Date.now() < end) {}',
    ]);
    const idle = await startChild(sleepBinary(), ['30']);
    const result = await collectLive(500, false);
    const busyCpu = byPid(result.processes, busy.pid as number)?.cpuPercent;
    const idleCpu = byPid(result.processes, idle.pid as number)?.cpuPercent;
    // Loose bounds: other test workers share the cores, but a sleeper never gets near 25 %.
    expect(busyCpu).toBeGreaterThan(25);
    expect(busyCpu).toBeLessThan(130);
    expect(idleCpu).toBeLessThan(5);
    expect(result.record.note).toMatch(/CPU% sampled over (\d+) ms/);
    const windowMs = Number(/sampled over (\d+) ms/.exec(result.record.note ?? '')?.[1]);
    expect(windowMs).toBeGreaterThanOrEqual(500);
  });

  it.each([
    ['in its worker', true, 1],
    ['on this thread', false, 1],
    // Each of two workers gets the baseline of its own PIDs.
    ['split between two workers', true, 2],
  ])(
    '%s, measures CPU from a baseline taken earlier, but not for a pid reused since',
    async (_, worker, workers) => {
      const busy = await startChild(process.execPath, [
        '-e',
        'const end = Date.now() + 20000; while (Date.now() < end) {}',
      ]);
      const idle = await startChild(sleepBinary(), ['30']);
      const reused = await startChild(sleepBinary(), ['30']);
      const baseline = takeCpuBaseline() as CpuBaseline;
      // The idle process's entry claims it had used one second of CPU less: only a window counted
      // from the baseline shows that second. The same claim for a pid whose process started at
      // another time (reused meanwhile) must not be believed.
      const [idleStart, idleTicks] = baseline.ticks.get(idle.pid as number) as [number, number];
      baseline.ticks.set(idle.pid as number, [idleStart, idleTicks - CLK_TCK]);
      const [reusedStart, reusedTicks] = baseline.ticks.get(reused.pid as number) as [number, number];
      baseline.ticks.set(reused.pid as number, [reusedStart + 1, reusedTicks - CLK_TCK]);
      await new Promise((r) => setTimeout(r, 350));
      const result = await collectProcesses(await makeContext('/', () => new Date()), {
        cpuWindowMs: 300,
        hashExecutables: false,
        cpuBaseline: baseline,
        worker,
        workers,
      });
      // One window, or the range of the two workers' windows.
      const window = /sampled over (\d+)(?:–(\d+))? ms/.exec(result.record.note ?? '');
      const windowMs = Number(window?.[1]);
      const longestMs = Number(window?.[2] ?? window?.[1]);
      expect(windowMs).toBeGreaterThanOrEqual(350);
      const cpu = (pid: number | undefined) => byPid(result.processes, pid as number)?.cpuPercent;
      expect(cpu(busy.pid)).toBeGreaterThan(25);
      expect(cpu(busy.pid)).toBeLessThan(130);
      // One second of CPU over the window, plus the sleeper's own (nothing).
      expect(cpu(idle.pid)).toBeGreaterThan((100 * 1000) / longestMs - 5);
      expect(cpu(idle.pid)).toBeLessThan((100 * 1000) / windowMs + 5);
      expect(cpu(reused.pid)).toBeLessThan(5);
    },
  );

  it('split between two workers claiming batches as they go, reads each process once, in PID order', async () => {
    // More than two claims' worth (64 each), so both workers claim several.
    const children = await Promise.all(Array.from({ length: 150 }, () => startChild(sleepBinary(), ['30'])));
    const pids = children.map((c) => c.pid as number).sort((a, b) => a - b);
    const walk = async (workers: number) =>
      (
        await collectProcesses(await makeContext('/', () => new Date()), {
          cpuWindowMs: 300,
          hashExecutables: true,
          // A baseline makes the workers claim their batches from a shared counter.
          cpuBaseline: takeCpuBaseline() as CpuBaseline,
          pids,
          worker: true,
          workers,
        })
      ).processes ?? [];
    const split = await walk(2);
    expect(split.map((p) => p.pid)).toEqual(pids);
    expect(split.every((p) => p.exe === sleepBinary() && p.exeSha256 !== undefined)).toBe(true);
    expect(split.every((p) => p.cpuPercent !== undefined)).toBe(true);
    const one = await walk(1);
    // CPU, memory and state move between the two walks; nothing else may differ.
    const steady = (p: ProcessInfo) => ({
      ...p,
      cpuPercent: undefined,
      cpuPercentLifetime: undefined,
      cpuTimeSec: undefined,
      rssBytes: undefined,
      state: undefined,
      threads: undefined,
    });
    expect(split.map(steady)).toEqual(one.map(steady));
  });

  it('marks the init of a new PID namespace as a container init, and only it', async (ctx) => {
    const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((p) => existsSync(p));
    if (!unshare) return ctx.skip();
    const child = await startChild(unshare, ['--pid', '--fork', sleepBinary(), '20']);
    // The forked sleep is pid 1 of the new namespace; unshare itself stays in ours.
    const deadline = Date.now() + 5000;
    let init: ProcessInfo | undefined;
    let result: ProcessCollection | undefined;
    while (!init && Date.now() < deadline) {
      result = await collectLive(0, false);
      init = result.processes?.find((p) => p.ppid === child.pid);
      if (!init) await new Promise((r) => setTimeout(r, 50));
    }
    try {
      // Without CAP_SYS_ADMIN unshare exits at once: nothing to look at.
      if (!init && child.exitCode !== null) return ctx.skip();
      expect(init).toMatchObject({ exe: sleepBinary(), containerInit: true });
      expect(byPid(result!.processes, child.pid as number)).not.toHaveProperty('containerInit');
      expect(byPid(result!.processes, process.pid)).not.toHaveProperty('containerInit');
    } finally {
      // killChildren ends unshare; the sleep it forked would outlive it.
      if (init) process.kill(init.pid, 'SIGKILL');
    }
  });

  it('does not fail or log errors when children exit while the collection runs', async () => {
    let stop = false;
    const churn = (async () => {
      while (!stop) {
        const kids = await Promise.all(Array.from({ length: 8 }, () => startChild(sleepBinary(), ['0.02'])));
        await Promise.all(
          kids.map((k) => new Promise((r) => (k.exitCode !== null ? r(null) : k.once('exit', r)))),
        );
      }
    })();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await collectLive(150));
    stop = true;
    await churn;
    for (const r of results) {
      expect(r.processes).toBeDefined();
      expect(r.record.status === 'ok' || r.record.status === 'partial').toBe(true);
      // Exits are facts of a live system, never collection errors.
      expect(r.record.errors.filter((e) => e.code === 'ENOENT' || e.code === 'ESRCH')).toEqual([]);
      expect(byPid(r.processes, process.pid)).toBeDefined();
    }
  });
});
