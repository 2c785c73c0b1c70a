// A temporary target root for respond/evidence/report tests: a small fake system tree whose proc/ is
// the real /proc and whose copy of the look-alike's directory is the real one, both bind-mounted only
// inside a private mount namespace (`unshare -m`) that lives as long as one CLI run. Paths the kernel
// reports for the look-alike (/proc/PID/exe) are then the same inside the root as outside, and every
// change respond makes lands in the temp directory, never on the host.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, lstat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CLI_PATH, REPO_ROOT, type CliResult } from './cli.js';

export interface TestRoot {
  /** The directory given as --root. */
  root: string;
  /** Host directories bind-mounted at the same path inside the root. */
  binds: string[];
}

/** Lays out etc/ (hostname, hosts, passwd, os-release, a crontab) and the mount points. */
export async function makeTestRoot(root: string, binds: string[]): Promise<TestRoot> {
  await mkdir(path.join(root, 'proc'), { recursive: true });
  await mkdir(path.join(root, 'etc', 'cron.d'), { recursive: true });
  await writeFile(path.join(root, 'etc', 'hostname'), 'victim-01\n');
  await writeFile(path.join(root, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  await writeFile(
    path.join(root, 'etc', 'os-release'),
    'ID=debian\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n',
  );
  for (const b of binds) await mkdir(path.join(root, b), { recursive: true });
  return { root, binds };
}

/** Runs the built CLI inside a private mount namespace where the root's binds are mounted. */
export function runCliInRoot(t: TestRoot, args: string[], timeoutMs = 90_000): Promise<CliResult> {
  const home = path.join(os.tmpdir(), `minehunter-test-home-${process.getuid?.() ?? 'user'}`);
  const mounts = [
    `mount --bind /proc "$ROOT/proc"`,
    ...t.binds.map((_, i) => `mount --bind "$B${i}" "$ROOT$B${i}"`),
  ].join(' && ');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    ROOT: t.root,
    NODE: process.execPath,
    CLI: CLI_PATH,
  };
  t.binds.forEach((b, i) => (env[`B${i}`] = b));
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', `${mounts} && exec "$NODE" "$CLI" "$@"`, 'sh', ...args],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - t0 });
    });
  });
}

/** path → "mode sha256" of every file and link under `dir`, for before/after comparisons. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const st = await lstat(full);
    if (st.isFile()) {
      out[path.relative(dir, full)] = `${(st.mode & 0o7777).toString(8)} ${createHash('sha256')
        .update(await readFile(full))
        .digest('hex')}`;
    } else if (st.isSymbolicLink() || st.isDirectory()) {
      out[path.relative(dir, full) + (st.isDirectory() ? '/' : '')] = (st.mode & 0o7777).toString(8);
    }
  }
  return out;
}

export function sha256File(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
