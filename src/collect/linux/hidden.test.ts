// Tests for the hidden-process and hidden-file collector on this live machine: the full PID probe
// finds nothing hidden (threads of listed processes are not processes) within its time budget (the
// native addon's probe finds an unlisted PID and stops at its budget), an
// interpreter whose script was deleted is noticed, and an offline root is skipped, not "clean".
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../../../test/helpers/host-lock.js';
import { makeProcess } from '../../../test/helpers/snapshot-builders.js';
import { makeContext } from '../context.js';
import { CollectorLog } from '../support.js';
import { FIXTURE_NOW, FIXTURE_ROOTS, sleepBinary } from '../test-helpers.js';
import { builtNativeAddon, loadNativeFile, ownNativeAddon } from '../../util/paths.js';
import {
  collectHidden,
  findDeletedScripts,
  findHiddenFiles,
  findHiddenProcesses,
  parseStatusIds,
  scriptOperand,
} from './hidden.js';
import { FULL_PROBE_LIMIT, listProcPids, probeBound, type PidProbe } from './pid-probe.js';
import { collectProcesses } from './processes.js';

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

/** The host lock for the live probes, taken once for this file (it is not reentrant) and released at the end. */
let hostLock: Promise<void> | undefined;
const holdHostLock = (): Promise<void> =>
  (hostLock ??= acquireHostLock().then((release) => void cleanup.push(release)));

describe('findHiddenProcesses (live)', () => {
  it('probes every PID up to pid_max and finds nothing hidden on this host', async () => {
    await holdHostLock();
    const ctx = await makeContext('/', () => new Date());
    const log = new CollectorLog('linux.hidden', ['hidden']);
    const result = await findHiddenProcesses(ctx, log);
    expect(result.processes.map((p) => `${p.pid} ${p.comm} ${p.missingFrom.join(',')}`)).toEqual([]);
    expect(result.pidProbe.probedUpTo).toBe(
      result.pidProbe.pidMax <= FULL_PROBE_LIMIT ? result.pidProbe.pidMax : result.pidProbe.probedUpTo,
    );
    expect(result.pidProbe.listed).toBeGreaterThan(5);
    // Node itself runs several threads whose /proc/TID exists unlisted: none may come back as hidden.
    // ~50–120 ms on an idle machine; a loose bound, since CI shares its two cores.
    expect(result.pidProbe.durationMs).toBeLessThan(10_000);
    // The same answer without the native addon (one existsSync per PID).
    process.env.MINEHUNTER_NATIVE = '0';
    try {
      const js = await findHiddenProcesses(ctx, new CollectorLog('linux.hidden', ['hidden']));
      expect(js.processes).toEqual([]);
      expect(js.pidProbe.probedUpTo).toBe(result.pidProbe.probedUpTo);
    } finally {
      delete process.env.MINEHUNTER_NATIVE;
    }
  }, 300_000);
});

describe("the PID probe in the process walk's worker", () => {
  it('runs there and gives findHiddenProcesses the same answer as a probe here', async () => {
    await holdHostLock();
    const ctx = await makeContext('/', () => new Date());
    let fromWalk: Promise<PidProbe | undefined> | undefined;
    const addon = builtNativeAddon();
    await collectProcesses(ctx, {
      cpuWindowMs: 50,
      hashExecutables: false,
      worker: true,
      pidProbe: addon !== undefined ? { addon } : {},
      onWalked: (w) => (fromWalk = w.pidProbe),
    });
    const probe = await fromWalk;
    if (!probe) throw new Error('the walk did not probe');
    expect(probe.listed).toContain(process.pid);
    expect(probe.reached).toBe(probe.pidMax <= FULL_PROBE_LIMIT ? probe.pidMax : probe.reached);
    // This process's other threads exist as /proc/TID unlisted: none is a leader.
    expect(probe.leaders.filter((pid) => existsSync(`/proc/${process.pid}/task/${pid}`))).toEqual([]);
    if (probe.ps) expect(probe.ps).toContain(process.pid);
    const log = new CollectorLog('linux.hidden', ['hidden']);
    const viaWalk = await findHiddenProcesses(ctx, log, Promise.resolve(probe));
    const here = await findHiddenProcesses(ctx, new CollectorLog('linux.hidden', ['hidden']));
    expect(viaWalk.processes).toEqual([]);
    expect(viaWalk.pidProbe.listed).toBe(probe.listed.length);
    expect(viaWalk.pidProbe.probedUpTo).toBe(here.pidProbe.probedUpTo);
    expect(here.processes).toEqual([]);
  }, 300_000);

  it('probes while the CPU window still runs, instead of after its sample', async () => {
    await holdHostLock();
    const ctx = await makeContext('/', () => new Date());
    const addon = builtNativeAddon();
    let probedAt: number | undefined;
    const { processes } = await collectProcesses(ctx, {
      cpuWindowMs: 3000,
      hashExecutables: false,
      worker: true,
      pidProbe: addon !== undefined ? { addon } : {},
      onWalked: (w) => void w.pidProbe?.then(() => (probedAt = performance.now())),
    });
    const sampledAt = performance.now();
    expect(processes?.find((p) => p.pid === process.pid)?.cpuPercent).toBeDefined();
    // The walk and the probe take a fraction of the window; the sample comes at its end.
    expect(probedAt).toBeDefined();
    expect(sampledAt - (probedAt ?? sampledAt)).toBeGreaterThan(1000);
  }, 300_000);

  it("takes the walk's probe as it is, and probes here when the walk's worker failed", async () => {
    await holdHostLock();
    const ctx = await makeContext('/', () => new Date());
    const given: PidProbe = {
      listed: [...listProcPids('/proc')],
      pidMax: 32768,
      leaders: [],
      errors: [],
      reached: 100,
      ps: null,
      durationMs: 5,
    };
    const taken = await findHiddenProcesses(
      ctx,
      new CollectorLog('linux.hidden', ['hidden']),
      Promise.resolve(given),
    );
    expect(taken.notes).toEqual([
      'ps not available: compared with our own /proc listing only',
      'PIDs probed up to 100 of pid_max 32768',
    ]);
    const failed = Promise.reject(new Error('process walk worker exited with code 1'));
    const here = await findHiddenProcesses(ctx, new CollectorLog('linux.hidden', ['hidden']), failed);
    expect(here.pidProbe.probedUpTo).toBeGreaterThan(100);
    expect(here.pidProbe.probedUpTo).toBe(
      here.pidProbe.pidMax <= FULL_PROBE_LIMIT ? here.pidProbe.pidMax : here.pidProbe.probedUpTo,
    );
  }, 300_000);
});

describe("the native addon's PID probe", () => {
  type ProbePids = (
    procDir: string,
    listed: Int32Array,
    upTo: number,
    budgetMs: number,
  ) => [Int32Array, number];
  const probePids = (() => {
    try {
      return (loadNativeFile(ownNativeAddon()) as { probePids?: ProbePids }).probePids;
    } catch {
      return undefined;
    }
  })();
  const listing = (): number[] =>
    readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);

  it('finds a PID the listing lacks, and not once it is listed; the threads of this process too', async (ctx) => {
    if (!probePids) return ctx.skip(); // not built here: the worker's existsSync probe serves
    const child = spawn(sleepBinary(), ['30'], { stdio: 'ignore' });
    cleanup.push(async () => void child.kill('SIGKILL'));
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid as number;
    const all = listing();
    const upTo = Math.max(...all) + 10;
    const [found, reached] = probePids('/proc', Int32Array.from(all.filter((p) => p !== pid)), upTo, 60_000);
    expect(reached).toBe(upTo);
    expect([...found]).toContain(pid);
    // This process's other threads exist as /proc/TID without being listed.
    const threads = readdirSync(`/proc/${process.pid}/task`)
      .map(Number)
      .filter((t) => t !== process.pid);
    for (const tid of threads.filter((t) => t <= upTo && existsSync(`/proc/${t}`)))
      expect([...found]).toContain(tid);
    const [again] = probePids('/proc', Int32Array.from(listing()), upTo, 60_000);
    expect([...again]).not.toContain(pid);
  });

  it('stops at its time budget and says how far it got', (ctx) => {
    if (!probePids) return ctx.skip();
    const [, reached] = probePids('/proc', Int32Array.from(listing()), 4_000_000, 0);
    // The budget is checked every 4096 PIDs.
    expect(reached).toBe(4096);
    expect(() => probePids('/proc', new Int32Array(0), 5_000_000, 10)).toThrow(/upTo out of range/);
  });
});

describe('findDeletedScripts (live)', () => {
  it('notices a shell whose script was removed after it started', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-script-'));
    const script = path.join(dir, 'i.sh');
    await writeFile(script, 'sleep 30\n');
    const child = spawn('sh', [script], { stdio: 'ignore' });
    cleanup.push(async () => {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });
    await new Promise((r) => setTimeout(r, 200));
    await rm(script);
    const ctx = await makeContext('/', () => new Date());
    const sh = makeProcess({ pid: child.pid!, exe: '/usr/bin/dash', argv: ['sh', script], cwd: dir });
    const kept = makeProcess({ pid: process.pid, exe: '/usr/bin/bash', argv: ['bash', '-c', 'true'] });
    expect(await findDeletedScripts(ctx, [sh, kept])).toEqual([
      { pid: child.pid, interpreter: 'dash', path: script },
    ]);
  });

  it('clean: a script run by a process that ended during the scan, or an emptied argv, is not "deleted"', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-script-'));
    const script = path.join(dir, 'short.sh');
    await writeFile(script, 'exit 0\n');
    const child = spawn('sh', [script], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const ctx = await makeContext('/', () => new Date());
    // Its pid is gone (not reused this fast on a quiet test host); the script is still on disk.
    const ended = makeProcess({ pid: child.pid!, exe: '/usr/bin/dash', argv: ['sh', script], cwd: dir });
    // npm rewrites its argv: `npm exec eslint .` followed by empty strings.
    const npm = makeProcess({
      pid: process.pid,
      exe: process.execPath,
      argv: ['npm exec eslint .', '', ''],
      cwd: '/nonexistent',
    });
    expect(await findDeletedScripts(ctx, [ended, npm])).toEqual([]);
  });
});

describe('findHiddenFiles (live)', () => {
  it('finds no hidden file among real executables and working directories', async () => {
    const procs = [makeProcess({ pid: process.pid, exe: process.execPath, cwd: process.cwd() })];
    const { files, checkedDirs } = await findHiddenFiles(undefined, procs, []);
    expect(files).toEqual([]);
    expect(checkedDirs).toContain(path.dirname(process.execPath));
  });
});

describe('offline roots and parsers', () => {
  it('an offline root is skipped: hidden things exist only on a running system', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-fileless'), FIXTURE_NOW);
    const { hidden, record } = await collectHidden(
      ctx,
      undefined,
      new CollectorLog('linux.hidden', ['hidden']),
      [],
      undefined,
    );
    expect(hidden).toBeUndefined();
    expect(record.status).toBe('skipped');
  });

  it('bounds the probe for a huge pid_max by the highest PID in use', () => {
    expect(probeBound(32768, 500)).toBe(32768);
    expect(probeBound(4194304, 1000)).toBe(FULL_PROBE_LIMIT);
    expect(probeBound(4194304, 3_000_000)).toBe(3_032_768);
    expect(probeBound(4194304, 4_190_000)).toBe(4194304);
  });

  it('reads ids from status and the script operand of an interpreter', () => {
    expect(parseStatusIds('Name:\tkworker\nTgid:\t10\nPid:\t12\nPPid:\t1\nUid:\t0\t33\t0\t0\n')).toEqual({
      name: 'kworker',
      tgid: 10,
      ppid: 1,
      uid: 33,
    });
    expect(scriptOperand(['bash', '-x', '/tmp/a.sh', 'arg'])).toBe('/tmp/a.sh');
    expect(scriptOperand(['sh', '-c', 'curl x | sh'])).toBeUndefined();
    expect(scriptOperand(['python3', '-m', 'http.server'])).toBeUndefined();
  });
});
