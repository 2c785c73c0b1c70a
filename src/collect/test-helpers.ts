// Helpers for the collector tests: fixture paths and real child processes that are always cleaned up.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const FIXTURE_ROOTS = fileURLToPath(new URL('../../test/fixtures/roots', import.meta.url));
export const fixtureRoot = (name: 'miner-host' | 'clean-host' | 'offline-disk'): string =>
  path.join(FIXTURE_ROOTS, name);

/** The clock the fixtures were written for: one day after their boot time (btime 1700000000). */
export const FIXTURE_NOW = (): Date => new Date('2023-11-15T22:13:20.000Z');

export function sleepBinary(): string {
  const found = ['/usr/bin/sleep', '/bin/sleep'].find((p) => existsSync(p));
  if (!found) throw new Error('no sleep binary on this machine');
  return realpathSync(found);
}

const started: ChildProcess[] = [];

/** Starts a child and resolves once it has exec'd; `killChildren` ends every child started here. */
export async function startChild(
  command: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], ...options });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  return child;
}

/** Reads the first line the child prints (e.g. the port it listens on). */
export async function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(buf.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing a line`)));
  });
}

export async function killChildren(): Promise<void> {
  await Promise.all(
    started.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
