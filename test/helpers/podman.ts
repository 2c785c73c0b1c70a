// A private podman for the end-to-end tests, set up as ../shared/notes/containers-on-this-machine.md
// measured it: every bit of state in one temp dir (storage.conf and containers.conf through
// CONTAINERS_STORAGE_CONF / CONTAINERS_CONF), runc with the cgroupfs manager, default_ulimits the
// sandbox accepts, no network. Images are built from local files only (a static look-alike compiled
// here, a rootfs tar, `podman import`): nothing is pulled. The temp dir is named like every test
// fixture dir (<tmp>/minehunter-podman-XXXXXX) and the containers `mh-test-…`, which is how
// test/helpers/cli.ts tells them from the host when other test files scan it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './lookalike.js';

const execFileP = promisify(execFile);

/** The prefix of every container and image the tests start: test/helpers/cli.ts recognises it. */
export const TEST_CONTAINER_PREFIX = 'mh-test-';

/**
 * A harmless look-alike miner for a container: miner-like strings and argv, no hashing, no network;
 * it sleeps, answers SIGTERM (as pid 1 of its namespace it would otherwise ignore it) and exits by
 * itself after --seconds (at most 300), so a container left behind stops on its own.
 */
const MINER_C = String.raw`
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static const char banner[] =
  " * ABOUT        XMRig/6.21.0 gcc/12.2.0 (minehunter container look-alike, no hashing code)\n"
  " * ALGO         randomx rx/0 (RandomX), cryptonight cn/r\n"
  " * POOL #1      stratum+tcp://127.0.0.1:3333 algo rx/0\n"
  " * DONATE       --donate-level 1\n";
static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }
int main(int argc, char **argv) {
  long seconds = 120;
  for (int i = 1; i + 1 < argc; i++) if (strcmp(argv[i], "--seconds") == 0) seconds = atol(argv[i + 1]);
  if (seconds < 1 || seconds > 300) seconds = 120;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  fputs(banner, stdout);
  fflush(stdout);
  time_t end = time(NULL) + seconds;
  while (!stop && time(NULL) < end) sleep(1);
  return 0;
}
`;

/** The clean twin: a static program that only sleeps, with no miner string in it or its argv. */
const IDLE_C = String.raw`
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }
int main(int argc, char **argv) {
  long seconds = argc > 1 ? atol(argv[1]) : 120;
  if (seconds < 1 || seconds > 300) seconds = 120;
  signal(SIGTERM, on_signal);
  time_t end = time(NULL) + seconds;
  while (!stop && time(NULL) < end) sleep(1);
  return 0;
}
`;

/** An XMRig-style config the container carries in /opt: found only by scanning the container's root. */
export const CONTAINER_MINER_CONFIG = JSON.stringify(
  {
    background: true,
    'donate-level': 1,
    randomx: { mode: 'auto' },
    pools: [
      {
        url: 'stratum+tcp://127.0.0.1:3333',
        user: '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere',
        pass: 'x',
      },
    ],
  },
  null,
  2,
);

/** Why podman cannot run here, or undefined when it can (root, podman, runc and a C compiler present). */
export async function podmanUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: this podman setup runs rootful containers';
  for (const [tool, args] of [
    ['podman', ['--version']],
    ['runc', ['--version']],
    ['cc', ['--version']],
  ] as const) {
    try {
      await execFileP(tool, [...args]);
    } catch {
      return `${tool} is not installed (scripts/ensure-deps.sh installs podman, runc and a C compiler)`;
    }
  }
  return undefined;
}

export interface RunningContainer {
  name: string;
  image: string;
  /** The full 64-hex id. */
  id: string;
  /** The host pid of its first process. */
  pid: number;
}

export interface PrivatePodman {
  /** The temp dir that holds all of its state. */
  dir: string;
  /** The two variables that point podman (and minehunter) at this state. */
  env: { CONTAINERS_STORAGE_CONF: string; CONTAINERS_CONF: string };
  podman(args: string[], timeoutMs?: number): Promise<string>;
  /** Builds `localhost/<name>:e2e` from a rootfs holding the given program at `exe` (and extra files). */
  buildImage(
    name: string,
    program: 'miner' | 'idle',
    exe: string,
    files?: Record<string, string>,
  ): Promise<string>;
  /** `podman run -d --network none --name NAME IMAGE ARGV…`, then its id and host pid. */
  run(name: string, image: string, argv: string[]): Promise<RunningContainer>;
  /** `podman system service` on a unix socket in the dir (Docker Engine API 1.41); returns the socket path. */
  startApi(): Promise<string>;
  /** Stops and removes every container and image, stops the API service and removes the dir. */
  cleanup(): Promise<void>;
}

async function writeConfigs(dir: string): Promise<PrivatePodman['env']> {
  await mkdir(path.join(dir, 'conf'), { recursive: true });
  const storage = path.join(dir, 'conf', 'storage.conf');
  const containers = path.join(dir, 'conf', 'containers.conf');
  await writeFile(
    storage,
    `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/storage"\nrunroot = "${dir}/runroot"\n`,
  );
  // crun refuses cgroup v1 hybrid; the default nofile limit is refused without CAP_SYS_RESOURCE.
  await writeFile(
    containers,
    [
      '[containers]',
      'default_ulimits = ["nofile=1024:20000", "nproc=4096:4096"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `tmp_dir = "${dir}/libpod-tmp"`,
      '[network]',
      `network_config_dir = "${dir}/networks"`,
      '',
    ].join('\n'),
  );
  return { CONTAINERS_STORAGE_CONF: storage, CONTAINERS_CONF: containers };
}

/** Sets up a private podman in a fresh fixture temp dir. */
export async function startPrivatePodman(): Promise<PrivatePodman> {
  const dir = await makeTempDir('minehunter-podman-');
  const env = await writeConfigs(dir);
  const names = new Set<string>();
  let service: ChildProcess | undefined;
  const podman = async (args: string[], timeoutMs = 60_000): Promise<string> => {
    try {
      const { stdout } = await execFileP('podman', args, {
        env: { ...process.env, ...env },
        timeout: timeoutMs,
      });
      return stdout.trim();
    } catch (cause) {
      const stderr = (cause as { stderr?: string }).stderr ?? '';
      throw new Error(`podman ${args.join(' ')} failed:\n${stderr}`, { cause });
    }
  };
  const self: PrivatePodman = {
    dir,
    env,
    podman,
    buildImage: (name, program, exe, files = {}) => buildImage(self, name, program, exe, files),
    async run(name, image, argv) {
      names.add(name);
      const id = await podman(['run', '-d', '--network', 'none', '--name', name, image, ...argv]);
      const pid = Number(await podman(['inspect', '-f', '{{.State.Pid}}', name]));
      if (!/^[0-9a-f]{64}$/.test(id) || !(pid > 0))
        throw new Error(`podman run ${name}: id ${id}, pid ${pid}`);
      return { name, image, id, pid };
    },
    async startApi() {
      const socket = path.join(dir, 'podman.sock');
      service = spawn('podman', ['system', 'service', '--time=0', `unix://${socket}`], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      });
      // Ready in about 0.15 s here.
      await waitForSocket(socket);
      return socket;
    },
    async cleanup() {
      for (const name of names) await podman(['stop', '-t', '1', name]).catch(() => '');
      for (const name of names) await podman(['rm', '-f', name]).catch(() => '');
      await podman(['rmi', '-a', '-f']).catch(() => '');
      if (service && service.exitCode === null && service.signalCode === null) {
        const exited = new Promise((r) => service?.once('exit', r));
        service.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Waits up to 10 s for the service to create its socket. */
async function waitForSocket(socket: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await stat(socket).catch(() => undefined))?.isSocket()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`podman system service did not create ${socket} within 10 s`);
}

/** Compiles `program` statically, lays out a rootfs around it, tars it and imports it. */
async function buildImage(
  p: PrivatePodman,
  name: string,
  program: 'miner' | 'idle',
  exe: string,
  files: Record<string, string>,
): Promise<string> {
  const work = path.join(p.dir, 'build', name);
  const rootfs = path.join(work, 'rootfs');
  await mkdir(path.join(rootfs, path.dirname(exe)), { recursive: true });
  const source = path.join(work, `${program}.c`);
  await writeFile(source, program === 'miner' ? MINER_C : IDLE_C);
  try {
    await execFileP('cc', ['-static', '-O1', '-o', path.join(rootfs, exe), source]);
  } catch (cause) {
    throw new Error(`cc -static ${source}: ${(cause as { stderr?: string }).stderr ?? ''}`, { cause });
  }
  await chmod(path.join(rootfs, exe), 0o755);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.join(rootfs, path.dirname(file)), { recursive: true });
    await writeFile(path.join(rootfs, file), text);
  }
  // The directories a real image has, so the content scan finds the ones it looks in.
  for (const d of ['tmp', 'etc', 'root']) await mkdir(path.join(rootfs, d), { recursive: true });
  const tar = path.join(work, 'rootfs.tar');
  await execFileP('tar', ['-C', rootfs, '-cf', tar, '.']);
  const image = `localhost/${name}:e2e`;
  await p.podman(['import', tar, image]);
  // The image holds it now: left here, the host scan would find the look-alike twice.
  await rm(work, { recursive: true, force: true });
  return image;
}
