// Real database servers for the audit's login tests, started on 127.0.0.1 and free high ports from
// the Debian packages (redis-server, postgresql), with their data in a temporary directory. Every
// `stop()` is safe to call twice, and tests call it in afterAll/finally so a failing test stops them too.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode} before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function stopper(child: ChildProcess, cleanup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await cleanup();
    })());
}

export interface Server {
  port: number;
  pid: number;
  stop: () => Promise<void>;
}

export async function startRedis(
  opts: { password?: string; protectedConfigs?: boolean } = {},
): Promise<Server> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  if (opts.password) args.push('--requirepass', opts.password);
  if (opts.protectedConfigs) args.push('--enable-protected-configs', 'yes');
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const stop = stopper(child, () => rm(dir, { recursive: true, force: true }));
  try {
    await waitForPort(port, child, 'redis-server');
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, pid: child.pid!, stop };
}

function pgBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const p = `/usr/lib/postgresql/${v}/bin/${name}`;
    if (existsSync(p)) return p;
  }
  throw new Error(`no ${name} under /usr/lib/postgresql`);
}

export interface Postgres extends Server {
  /** Runs SQL as the superuser over the unix socket in the temp dir. */
  sql: (statement: string) => Promise<string>;
}

/**
 * A PostgreSQL cluster in a temp dir, run as the `postgres` system user (the server refuses root),
 * listening on 127.0.0.1 only with password (scram) authentication for TCP and trust on its own socket.
 */
export async function startPostgres(): Promise<Postgres> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-pg-'));
  await chmod(dir, 0o755);
  const data = path.join(dir, 'data');
  const { stdout: ids } = await exec('id', ['-u', 'postgres']);
  const uid = Number(ids.trim());
  const gid = Number((await exec('id', ['-g', 'postgres'])).stdout.trim());
  await chown(dir, uid, gid);
  const asPg = (file: string, args: string[]) =>
    exec('runuser', ['-u', 'postgres', '--', file, ...args], { cwd: dir });
  await asPg(pgBin('initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
  ]);
  await writeFile(
    path.join(data, 'pg_hba.conf'),
    'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n',
  );
  await appendFile(
    path.join(data, 'postgresql.conf'),
    `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\nfsync = off\n`,
  );
  const child = spawn('runuser', ['-u', 'postgres', '--', pgBin('postgres'), '-D', data], {
    stdio: 'ignore',
    cwd: dir,
  });
  const stop = stopper(child, () => rm(dir, { recursive: true, force: true }));
  try {
    await waitForPort(port, child, 'postgres');
  } catch (err) {
    await stop();
    throw err;
  }
  const sql = async (statement: string) =>
    (
      await asPg(pgBin('psql'), [
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-Atc',
        statement,
      ])
    ).stdout;
  return { port, pid: child.pid!, stop, sql };
}

/**
 * Fails fast when the machine already runs such a server: the "strong password passes" cases judge
 * every instance on the host, so a system redis or postgres would make them fail for another reason.
 */
export function assertNoneRunning(comm: string): void {
  const pids = readdirSync('/proc').filter((d) => {
    if (!/^\d+$/.test(d)) return false;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // A zombie waiting to be reaped serves nothing.
      return (
        readFileSync(`/proc/${d}/comm`, 'utf8').trim() === comm && stat[stat.lastIndexOf(')') + 2] !== 'Z'
      );
    } catch {
      return false;
    }
  });
  if (pids.length) {
    throw new Error(
      `${comm} is already running on this machine (pid ${pids.join(', ')}); stop it before running this test`,
    );
  }
}
