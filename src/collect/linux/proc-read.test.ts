// Tests of the process walk's two readers of /proc/PID (proc-read.ts): the native addon's readProcs,
// many processes per call, must give what Node's reads give, file for file and error for error, on
// a fake /proc (every kind of part, missing and unreadable ones, a process gone, a kernel thread, a
// maps file larger than the reused buffer) and on the live /proc (a child holding a socket).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killChildren, startChild } from '../test-helpers.js';
import { builtNativeAddon } from '../../util/paths.js';
import {
  loadReadProcs,
  NativeProcReads,
  readProcFiles,
  readProcText,
  type ProcFiles,
  type Settled,
} from './proc-read.js';

/** The addon's readProcs: the build makes it, so a missing one fails here rather than skips. */
function readProcs() {
  const found = loadReadProcs(builtNativeAddon());
  if (!found) throw new Error('dist/native/dirstat.node has no readProcs: run npm run build');
  return found;
}

/** One read's value, or its error as the fields a user and the walk see (message, code, path). */
function plainOne(v: Settled<unknown>): Record<string, unknown> {
  const err = v.err as NodeJS.ErrnoException | undefined;
  return v.ok
    ? { value: v.value }
    : { message: err?.message, code: err?.code, path: err?.path, syscall: err?.syscall };
}

/** A ProcFiles with each part as plainOne shows it. */
function plain(files: ProcFiles): Record<string, unknown> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, plainOne(v)]));
}

/** Node's read of one file, its error kept. */
function settleRead(file: string): Settled<string> {
  try {
    return { ok: true, value: readProcText(file) };
  } catch (err) {
    return { ok: false, err };
  }
}

/** Both readers over `pids` of `procDir`; kthread[i] marks a kernel thread. */
function bothReads(
  procDir: string,
  pids: number[],
  kthread: boolean[],
  rooms?: { first: number; max: number },
) {
  const native = [...new NativeProcReads(readProcs(), procDir, rooms).read(pids, kthread)].map(plain);
  const node = pids.map((pid, i) => plain(readProcFiles(`${procDir}/${pid}`, kthread[i] === true)));
  return { native, node };
}

describe('readProcs on a fake /proc', () => {
  let procDir: string;
  const bigMaps = Array.from(
    { length: 20_000 },
    (_, i) =>
      `${(i * 4096).toString(16)}-${(i * 4096 + 4096).toString(16)} r-xp 00000000 fe:00 1 /usr/lib/libx${i}.so\n`,
  ).join('');

  beforeAll(() => {
    procDir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-proc-read-'));
    const proc = (pid: number, files: Record<string, string>, links: Record<string, string> = {}) => {
      const dir = path.join(procDir, String(pid));
      mkdirSync(path.join(dir, 'ns'), { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
      for (const [name, target] of Object.entries(links)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        symlinkSync(target, path.join(dir, name));
      }
      return dir;
    };
    const full = {
      stat: '100 (xmrig) R 1 100 100 0 -1 4194560 10 0 0 0 9000 500 0 0 20 0 4 0 12345\n',
      status: 'Name:\txmrig\nUid:\t0\t0\t0\t0\nThreads:\t4\nVmRSS:\t 2048 kB\n',
      cmdline: './xmrig\0-o\0pool.example:3333\0\0',
      environ: 'PATH=/bin\0LD_PRELOAD=/tmp/.x/libhide.so\0SECRET=do-not-keep\0',
      maps: '00400000-00452000 r-xp 00000000 fe:00 12 /tmp/.x/xmrig\n7f00-7f10 r-xp 0 fe:00 13 /tmp/.x/libhide.so\n',
      cgroup:
        '0::/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope\n',
    };
    proc(100, full, {
      exe: '/tmp/.x/xmrig (deleted)',
      cwd: '/tmp/.x',
      'ns/net': 'net:[4026531833]',
      'fd/0': '/dev/null',
      'fd/3': 'socket:[12345]',
      'fd/4': 'pipe:[77]',
      'fd/7': 'socket:[999]',
    });
    // Parts missing, one a directory (its read fails, not its open), no fd directory at all.
    const dir101 = proc(101, { status: 'Name:\tsh\n', cmdline: 'sh\0', cgroup: '0::/\n' }, { cwd: '/' });
    mkdirSync(path.join(dir101, 'environ'));
    // A kernel thread: only status, cmdline and ns/net are asked for, whatever else is there.
    proc(
      102,
      { status: 'Name:\tkworker/0:1\n', cmdline: '', maps: 'not asked for\n' },
      { 'ns/net': 'net:[1]' },
    );
    // A maps file far larger than the buffer the reader starts with.
    proc(104, { ...full, maps: bigMaps }, { exe: '/usr/bin/big', 'ns/net': 'net:[2]' });
  });
  afterAll(() => rmSync(procDir, { recursive: true, force: true }));

  it('gives what Node reads: values, failed parts with their errors, a process gone, a kernel thread', () => {
    // 103 has no directory: it left between the listing and the read.
    const pids = [100, 101, 102, 103, 104];
    const kthread = [false, false, true, false, false];
    const { native, node } = bothReads(procDir, pids, kthread);
    expect(native).toEqual(node);
    // What the walk keeps of them, as a user would check it.
    const [full, partial, kernel, gone, big] = native;
    expect(full).toMatchObject({
      cmdline: { value: ['./xmrig', '-o', 'pool.example:3333', ''] },
      exeLink: { value: '/tmp/.x/xmrig (deleted)' },
      environ: { value: { LD_PRELOAD: '/tmp/.x/libhide.so' } },
      fds: { value: expect.arrayContaining([12345, 999]) },
      netns: { value: 'net:[4026531833]' },
    });
    expect(partial).toMatchObject({
      exeLink: { code: 'ENOENT', syscall: 'readlink', path: `${procDir}/101/exe` },
      environ: { code: 'EISDIR', syscall: 'read', message: 'EISDIR: illegal operation on a directory, read' },
      maps: { code: 'ENOENT', message: `ENOENT: no such file or directory, open '${procDir}/101/maps'` },
      fds: { code: 'ENOENT', syscall: 'scandir', path: `${procDir}/101/fd` },
    });
    expect(kernel).toMatchObject({ maps: { value: undefined }, status: { value: 'Name:\tkworker/0:1\n' } });
    expect(gone).toMatchObject({ status: { code: 'ENOENT' }, cmdline: { code: 'ENOENT' } });
    expect((big?.maps as { value: string }).value).toBe(bigMaps);
  });

  it('reads stat lines as Node does, a process gone included', () => {
    const native = [...new NativeProcReads(readProcs(), procDir).stats([100, 103, 101])].map(plainOne);
    const node = [100, 103, 101].map((pid) => plainOne(settleRead(`${procDir}/${pid}/stat`)));
    expect(native).toEqual(node);
    expect(native[0]).toEqual({
      value: '100 (xmrig) R 1 100 100 0 -1 4194560 10 0 0 0 9000 500 0 0 20 0 4 0 12345\n',
    });
    expect(native[1]).toMatchObject({ code: 'ENOENT', syscall: 'open', path: `${procDir}/103/stat` });
    expect(native[2]).toMatchObject({ code: 'ENOENT', path: `${procDir}/101/stat` });
  });

  it('reads a process too large for its most room with Node, and the rest as before', () => {
    // 104's maps (~1.2 MB) does not fit in 64 KiB: it alone is read with Node, 100 and 101 natively.
    const { native, node } = bothReads(procDir, [100, 104, 101], [false, false, false], {
      first: 4096,
      max: 64 * 1024,
    });
    expect(native).toEqual(node);
    expect((native[1]?.maps as { value: string }).value).toBe(bigMaps);
  });
});

describe('readProcs on the live /proc', () => {
  let server: Server;
  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => server.close());
  afterEach(killChildren);

  it('reads a child and this process as Node does, sockets included', async () => {
    const child = await startChild(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', 'an argument'], {
      env: { ...process.env, LD_LIBRARY_PATH: '/opt/lookalike' },
    });
    const pids = [child.pid as number, process.pid];
    const { native, node } = bothReads('/proc', pids, [false, false]);
    // status (memory, signals) and maps (this process allocates meanwhile) move between two reads,
    // and so may this process's files (the test runner's own pipes and sockets).
    const steady = (r: Record<string, unknown>, i: number) => ({
      ...r,
      status: undefined,
      maps: undefined,
      ...(i === 1 ? { fds: undefined } : {}),
    });
    expect(native.map(steady)).toEqual(node.map(steady));
    expect(native[0]).toMatchObject({
      cmdline: { value: [process.execPath, '-e', 'setTimeout(() => {}, 30000)', 'an argument'] },
      exeLink: { value: process.execPath },
      environ: { value: { LD_LIBRARY_PATH: '/opt/lookalike' } },
      status: { value: expect.stringMatching(/^Name:\tnode\n/) },
      maps: { value: expect.stringContaining(process.execPath) },
    });
    // This process's listening socket is among its socket inodes.
    expect((native[1]?.fds as { value: number[] }).value.length).toBeGreaterThan(0);
  });
});
