// The file times of running programs and of the config files their command lines name: read for a
// real child process through the live /proc (its exe, a config relative to its cwd), and for a fake
// offline root through the root's door; shells' `-c CODE` is not taken for a file.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../snapshot/schema.js';
import { TargetFs } from '../target/fs.js';
import { configArgs, fileTimes, stampProcessFiles } from './file-times.js';
import { collectSnapshot } from './index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from './test-helpers.js';

const PLANTED = new Date('2026-01-02T03:04:05.000Z');

function proc(p: Partial<ProcessInfo> & Pick<ProcessInfo, 'pid' | 'argv'>): ProcessInfo {
  return {
    ppid: 1,
    comm: 'x',
    exeDeleted: false,
    exeMemfd: false,
    cpuTimeSec: 0,
    kernelThread: false,
    env: {},
    maps: [],
    ...p,
  };
}

/** The times the file has, as fileTimes records them: birth time only where the filesystem keeps one. */
async function timesOf(file: string): Promise<{ mtime: string; birthtime?: string }> {
  return fileTimes(await stat(file));
}

describe('configArgs', () => {
  it('reads -c FILE, --config FILE, --config=FILE and --config-file, not a shell’s -c CODE', () => {
    expect(configArgs(['xmrig', '-o', 'pool:3333', '-c', '/opt/x/config.json'])).toEqual([
      '/opt/x/config.json',
    ]);
    expect(configArgs(['[kworker/0:2]', '--config', 'c.json'], '/tmp/.x/kworker')).toEqual(['c.json']);
    expect(configArgs(['m', '--config=/a.json', '--config-file', 'b.json'])).toEqual(['/a.json', 'b.json']);
    expect(configArgs(['sh', '-c', 'echo hi'], '/usr/bin/dash')).toEqual([]);
    expect(configArgs(['python3', '-c', 'print(1)'], '/usr/bin/python3.11')).toEqual([]);
    // An option after -c is not its value.
    expect(configArgs(['m', '-c', '--help'])).toEqual([]);
  });
});

describe('stampProcessFiles', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-proc-times-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dates a live process’s program through /proc/PID/exe and its relative config through its cwd', async () => {
    const config = path.join(dir, 'settings.json');
    await writeFile(config, '{}\n');
    await utimes(config, PLANTED, PLANTED);
    const child = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
    try {
      const exe = '/proc/' + String(child.pid) + '/exe';
      // The process as the collector records it; the argv is a miner's (sleep's own has no config).
      const p = proc({ pid: child.pid!, argv: ['worker', '-c', 'settings.json'], exe: 'sleep', cwd: dir });
      await stampProcessFiles([p], { proc: 'live', procDir: '/proc', fs: new TargetFs('/') });
      expect(p.exeTimes).toEqual(await timesOf(exe));
      expect(p.configFiles).toEqual([{ path: config, ...(await timesOf(config)) }]);
      expect(p.configFiles![0]!.mtime).toBe(PLANTED.toISOString());
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('dates an offline root’s programs and configs inside the root, and leaves what is not there', async () => {
    const root = path.join(dir, 'root');
    await mkdir(path.join(root, 'opt', 'm'), { recursive: true });
    await writeFile(path.join(root, 'opt', 'm', 'worker'), 'ELF', { mode: 0o755 });
    await writeFile(path.join(root, 'opt', 'm', 'c.json'), '{}');
    for (const f of ['opt/m/worker', 'opt/m/c.json']) await utimes(path.join(root, f), PLANTED, PLANTED);
    const running = proc({
      pid: 10,
      argv: ['./worker', '--config=c.json', '-c', '/etc/none.json'],
      exe: '/opt/m/worker',
      cwd: '/opt/m',
    });
    const deleted = proc({ pid: 11, argv: ['x'], exe: '/opt/m/worker', exeDeleted: true });
    const kernel = proc({ pid: 12, argv: [], kernelThread: true });
    await stampProcessFiles([running, deleted, kernel], {
      proc: 'copy',
      procDir: path.join(root, 'proc'),
      fs: new TargetFs(root),
    });
    expect(running.exeTimes).toEqual(await timesOf(path.join(root, 'opt', 'm', 'worker')));
    expect(running.exeTimes!.mtime).toBe(PLANTED.toISOString());
    expect(running.configFiles).toEqual([
      { path: '/opt/m/c.json', ...(await timesOf(path.join(root, 'opt', 'm', 'c.json'))) },
    ]);
    // A deleted program has no file in a copy of the disk; a kernel thread has none at all.
    expect(deleted).not.toHaveProperty('exeTimes');
    expect(kernel).not.toHaveProperty('exeTimes');
    expect(kernel).not.toHaveProperty('configFiles');
  });
});

describe('a collection of the miner-host fixture, content scan off', () => {
  it('dates the running miner’s program, which no content match names, and not a deleted one', async () => {
    const root = path.join(FIXTURE_ROOTS, 'miner-host');
    const snapshot = await collectSnapshot({
      root,
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      content: { enabled: false, scope: 'default', paths: [], userRuleDirs: [], crossFs: false },
    });
    const byPid = new Map(snapshot.processes?.map((p) => [p.pid, p]));
    expect(byPid.get(4242)?.exeTimes).toEqual(await timesOf(path.join(root, 'opt', 'miner', 'xmrig')));
    // /tmp/.x/kworker (deleted) and a memfd program have no file in a copy of the disk.
    expect(byPid.get(1337)).not.toHaveProperty('exeTimes');
    expect(byPid.get(2024)).not.toHaveProperty('exeTimes');
  }, 60_000);
});
