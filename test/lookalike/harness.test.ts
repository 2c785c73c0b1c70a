// Tests the e2e harness itself: the look-alike looks like a miner from outside (strings, disguised
// name, Stratum login), the fake pool records that login, and the look-alike always stops by itself.
import { spawnSync } from 'node:child_process';
import { readFile, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_WALLET,
  LOOKALIKE_AGENT,
  acquireHostLock,
  buildLookalike,
  makeTempDir,
  startLookalike,
  waitForCpu,
  type Lookalike,
} from '../helpers/lookalike.js';
import { POOL_PORTS, startStratumPool, type StratumPool } from '../helpers/stratum-pool.js';

let dir: string;
let binary: string;
let pool: StratumPool;
let release: () => Promise<void>;
const started: Lookalike[] = [];

beforeAll(async () => {
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-harness-');
  binary = await buildLookalike(dir);
  pool = await startStratumPool();
}, 240_000);

afterAll(async () => {
  await Promise.all(started.map((l) => l.stop()));
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

function start(options: Partial<Parameters<typeof startLookalike>[0]> = {}): Lookalike {
  const lookalike = startLookalike({ binary, poolPort: pool.port, seconds: 30, ...options });
  started.push(lookalike);
  return lookalike;
}

describe('look-alike miner', () => {
  it('is built into a dot-directory under a kernel-thread name', () => {
    expect(binary).toContain(path.basename(dir));
    expect(binary).toMatch(/\/\.cache\/\.X11-unix\/kworker$/);
  });

  it('carries the strings a content scanner looks for', async () => {
    const content = (await readFile(binary)).toString('latin1');
    for (const needle of [
      'XMRig 6.21.0',
      'randomx',
      'cryptonight',
      'stratum+tcp://',
      '--donate-level',
      FAKE_WALLET,
    ]) {
      expect(content, needle).toContain(needle);
    }
  });

  it('logs in to the fake pool with its wallet and agent, disguised as a kernel thread', async () => {
    const lookalike = start();
    const login = await pool.waitForLogin((l) => l.login === FAKE_WALLET);
    await lookalike.running;
    expect(login).toMatchObject({ login: FAKE_WALLET, pass: 'x', agent: LOOKALIKE_AGENT });
    expect(JSON.parse(login.raw)).toEqual({
      id: 1,
      jsonrpc: '2.0',
      method: 'login',
      params: { login: FAKE_WALLET, pass: 'x', agent: LOOKALIKE_AGENT },
    });
    // It read the pool's job-shaped reply.
    expect(lookalike.output()).toMatch(/pool replied: .*"job":\{"blob":/);

    const pid = lookalike.pid;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline.split('\0').slice(0, -1)).toEqual(lookalike.argv);
    expect(lookalike.argv[0]).toBe('[kworker/0:2]');
    expect(lookalike.argv).toContain(`stratum+tcp://127.0.0.1:${pool.port}`);
    expect((await readFile(`/proc/${pid}/comm`, 'utf8')).trim()).toBe('kworker/0:2');
    expect(await readlink(`/proc/${pid}/exe`)).toBe(binary);
    // It burns CPU while the pool connection stays open.
    expect(await waitForCpu(pid, 0.5)).toBeGreaterThanOrEqual(0.5);
    const [, port] = login.remote.split(':');
    const tcp = await readFile('/proc/net/tcp', 'utf8');
    const hexPort = (p: number): string => p.toString(16).toUpperCase().padStart(4, '0');
    // 0100007F is 127.0.0.1; state 01 is ESTABLISHED.
    expect(tcp).toMatch(new RegExp(`0100007F:${hexPort(Number(port))} 0100007F:${hexPort(pool.port)} 01 `));
  });

  it('stops on SIGTERM', async () => {
    const lookalike = start();
    await lookalike.running;
    const t0 = Date.now();
    const exited = new Promise<[number | null, string | null]>((r) =>
      lookalike.child.once('exit', (code, signal) => r([code, signal])),
    );
    lookalike.child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops by itself after --seconds', async () => {
    const lookalike = start({ seconds: 1 });
    const exited = new Promise<number | null>((r) => lookalike.child.once('exit', (code) => r(code)));
    await lookalike.running;
    expect(await exited).toBe(0);
    expect(lookalike.output()).toContain('[cpu] stopped after');
  });

  it('refuses to connect anywhere but loopback', () => {
    const result = spawnSync(binary, ['-o', 'stratum+tcp://192.0.2.1:3333', '--seconds', '1'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('only connects to 127.0.0.0/8');
  });
});

describe('fake stratum pool', () => {
  it('listens on a mining-pool port', () => {
    if (!pool.ephemeral) expect(POOL_PORTS).toContain(pool.port);
    else expect(pool.port).toBeGreaterThan(0);
  });

  it('answers other methods with a JSON-RPC error and records no login', async () => {
    const before = pool.logins.length;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(pool.port, '127.0.0.1', () => {
        socket.write('{"id":7,"jsonrpc":"2.0","method":"submit","params":{}}\n');
      });
      socket.setEncoding('utf8');
      socket.once('data', (d: string) => {
        socket.destroy();
        resolve(d);
      });
      socket.once('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ id: 7, error: { message: 'Unsupported method submit' } });
    expect(pool.logins.length).toBe(before);
  });

  it('falls back to an ephemeral port when every pool port is busy, and says so', async () => {
    const second = await startStratumPool([pool.port]);
    try {
      expect(second.ephemeral).toBe(true);
      expect(second.port).not.toBe(pool.port);
    } finally {
      await second.close();
    }
  });
});
