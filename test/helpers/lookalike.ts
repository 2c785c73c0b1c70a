// Builds and runs the harmless look-alike miner (test/lookalike/miner.c) from a disguised path, and
// serialises the tests that depend on what runs on this host (a clean scan must not see a look-alike).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startStratumPool, type StratumPool } from './stratum-pool.js';
import { acquireHostLock } from './host-lock.js';

export { acquireHostLock };

const execFileP = promisify(execFile);

export const LOOKALIKE_SOURCE = fileURLToPath(new URL('../lookalike/miner.c', import.meta.url));

/** The Monero-shaped wallet the look-alike logs in with: valid format, not a real address. */
export const FAKE_WALLET =
  '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111';
export const LOOKALIKE_AGENT = 'XMRig/6.21.0';

/** A fresh temp directory; remove it with `rm(dir, { recursive: true, force: true })`. */
export function makeTempDir(prefix = 'minehunter-e2e-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Compiles the look-alike into `<dir>/.cache/.X11-unix/kworker`: a dot-directory and a kernel-thread
 * name, as droppers do. Returns the real path, the one /proc/PID/exe will show.
 */
export async function buildLookalike(dir: string): Promise<string> {
  const hidden = path.join(dir, '.cache', '.X11-unix');
  await mkdir(hidden, { recursive: true });
  const binary = path.join(hidden, 'kworker');
  try {
    await execFileP('cc', ['-O1', '-Wall', '-o', binary, LOOKALIKE_SOURCE]);
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? '';
    throw new Error(`cannot compile ${LOOKALIKE_SOURCE} with cc (is a C compiler installed?)\n${stderr}`, {
      cause,
    });
  }
  return realpath(binary);
}

export interface LookalikeOptions {
  binary: string;
  /** argv[0] as `ps` will show it; "[name]" also makes the look-alike set its comm to "name". */
  argv0?: string;
  poolPort: number;
  /** How long it burns CPU before exiting by itself (the program caps this at 300). */
  seconds?: number;
  wallet?: string;
}

export interface Lookalike {
  child: ChildProcess;
  pid: number;
  /** The executable as /proc/PID/exe shows it. */
  exe: string;
  /** The exact argv the process holds, argv[0] included. */
  argv: string[];
  /** Resolves once the pool answered the login and the CPU burn has started. */
  running: Promise<void>;
  /** Everything it printed so far (banner, pool reply), for failure messages. */
  output(): string;
  /** Kills it (SIGTERM, then SIGKILL) and waits until it is gone. Safe to call more than once. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function startLookalike(options: LookalikeOptions): Lookalike {
  const argv0 = options.argv0 ?? '[kworker/0:2]';
  const args = [
    '-o',
    `stratum+tcp://127.0.0.1:${options.poolPort}`,
    '-u',
    options.wallet ?? FAKE_WALLET,
    '-p',
    'x',
    '--donate-level',
    '1',
    '-a',
    'rx/0',
    '--seconds',
    String(options.seconds ?? 60),
  ];
  const child = spawn(options.binary, args, { argv0, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${options.binary}`);
  live.add(child);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const running = new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (out.includes('[cpu] burning')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code, signal) =>
      reject(new Error(`look-alike exited early (code ${code}, signal ${signal}):\n${out}`)),
    );
  });
  // Callers that only await `stop()` must not see an unhandled rejection from `running`.
  running.catch(() => undefined);

  return {
    child,
    pid: child.pid,
    exe: options.binary,
    argv: [argv0, ...args],
    running,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** CPU seconds (user + system) the process has used, from /proc/PID/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the comm, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on every Linux architecture Node supports
}

/** Waits until the process has burned at least `seconds` of CPU time. */
export async function waitForCpu(pid: number, seconds: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const used = await cpuSeconds(pid);
    if (used >= seconds) return used;
    if (Date.now() > deadline) throw new Error(`pid ${pid} used only ${used} s CPU in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningScenario {
  dir: string;
  binary: string;
  pool: StratumPool;
  lookalike: Lookalike;
  /** Stops the look-alike and the pool, removes the temp dir, releases the host lock. */
  teardown(): Promise<void>;
}

/**
 * The setting the miner e2e tests share: host lock taken, look-alike built into a dot-directory,
 * fake pool up, look-alike running under a kernel-thread name, logged in and ~`cpuSeconds` into
 * its CPU burn. Teardown is safe after a partial setup.
 */
export async function startRunningScenario(options: { cpuSeconds?: number } = {}): Promise<RunningScenario> {
  const release = await acquireHostLock();
  let dir: string | undefined;
  let pool: StratumPool | undefined;
  let lookalike: Lookalike | undefined;
  const teardown = async (): Promise<void> => {
    await lookalike?.stop();
    await pool?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await release();
  };
  try {
    dir = await makeTempDir();
    const binary = await buildLookalike(dir);
    pool = await startStratumPool();
    lookalike = startLookalike({ binary, poolPort: pool.port, seconds: 180 });
    await pool.waitForLogin((l) => l.login === FAKE_WALLET);
    await lookalike.running;
    await waitForCpu(lookalike.pid, options.cpuSeconds ?? 2);
    return { dir, binary, pool, lookalike, teardown };
  } catch (error) {
    await teardown();
    throw error;
  }
}
