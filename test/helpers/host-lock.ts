// The host lock: every test that starts look-alike processes, measures CPU or scans this host holds
// it, so test files running in parallel workers cannot see or disturb each other's processes.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const HOST_LOCK = path.join(os.tmpdir(), 'minehunter-e2e-host.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the host lock that every test starting a look-alike or scanning this host holds, so test
 * files running in parallel workers cannot see each other's look-alikes. A lock left by a dead
 * process is taken over. Returns the release function.
 */
export async function acquireHostLock(timeoutMs = 180_000): Promise<() => Promise<void>> {
  const token = `${process.pid} ${randomBytes(6).toString('hex')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(HOST_LOCK);
      await writeFile(path.join(HOST_LOCK, 'owner'), token);
      return async () => {
        const owner = await readFile(path.join(HOST_LOCK, 'owner'), 'utf8').catch(() => '');
        if (owner === token) await rm(HOST_LOCK, { recursive: true, force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readFile(path.join(HOST_LOCK, 'owner'), 'utf8').catch(() => '');
    const ownerPid = Number(owner.split(' ')[0]);
    // An empty owner file is a lock being taken right now, unless it stayed empty for long.
    const age = Date.now() - ((await stat(HOST_LOCK).catch(() => null))?.mtimeMs ?? Date.now());
    const stale = owner ? Number.isInteger(ownerPid) && !alive(ownerPid) : age > 10_000;
    if (stale) {
      await rm(HOST_LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`host lock ${HOST_LOCK} still held by "${owner}"`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
