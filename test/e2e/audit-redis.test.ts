// End-to-end: real redis-server instances on 127.0.0.1 and free high ports. One without a password
// and one with `requirepass 123456` fail redis-auth with the right evidence; a strong password passes.
// CONFIG SET dir is accepted where protected configs are enabled and refused where they are not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../helpers/host-lock.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { assertNoneRunning, startRedis, type Server } from '../helpers/audit-servers.js';

interface CheckJson {
  id: string;
  status: string;
  message: { en: string; 'zh-CN': string };
  evidence: Array<{ field?: string; value?: string }>;
}

const servers: Server[] = [];
let release: (() => Promise<void>) | undefined;

async function audit(
  extra: string[] = [],
): Promise<{ code: number | null; checks: Map<string, CheckJson>; ms: number }> {
  const r = await runCli([
    'audit',
    '--format',
    'json',
    '--only',
    'redis-auth,redis-config-set-dir,exposed-redis',
    ...extra,
  ]);
  let report: { checks: CheckJson[] };
  try {
    report = JSON.parse(r.stdout) as { checks: CheckJson[] };
  } catch {
    throw new Error(`audit exited ${r.code}: ${r.stderr}`);
  }
  return { code: r.code, checks: new Map(report.checks.map((c) => [c.id, c])), ms: r.durationMs };
}

let open: Server;
let weak: Server;
let strong: Server;
let mixed: Awaited<ReturnType<typeof audit>>;
let strongOnly: Awaited<ReturnType<typeof audit>>;
let noLogin: Awaited<ReturnType<typeof audit>>;

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  try {
    assertNoneRunning('redis-server');
    open = await startRedis({ protectedConfigs: true });
    servers.push(open);
    weak = await startRedis({ password: '123456' });
    servers.push(weak);
    strong = await startRedis({ password: 'Vq3-strong-9f2c7b1e6d4a-not-in-any-dictionary' });
    servers.push(strong);
    mixed = await audit();
    noLogin = await audit(['--no-login-tests']);
    await open.stop();
    await weak.stop();
    strongOnly = await audit();
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await release?.();
});

const evidence = (c: CheckJson | undefined) => (c?.evidence ?? []).map((e) => e.value ?? '');

describe('redis login tests against real servers', () => {
  it('a Redis without a password fails with "no credentials needed"', () => {
    const c = mixed.checks.get('redis-auth');
    expect(c?.status).toBe('fail');
    expect(evidence(c)).toContain(
      `127.0.0.1:${open.port}: no credentials needed (PING answered without AUTH)`,
    );
  });

  it('a Redis with requirepass 123456 fails naming the accepted password', () => {
    const c = mixed.checks.get('redis-auth');
    expect(evidence(c)).toContain(`127.0.0.1:${weak.port}: password "123456" accepted`);
    expect(c?.message['zh-CN']).toContain(`口令 "123456" 登录成功`);
    expect(mixed.code).toBe(1);
  });

  it('the strong-password Redis refused every dictionary password, within the attempt cap', () => {
    const line = evidence(mixed.checks.get('redis-auth')).find((v) =>
      v.startsWith(`127.0.0.1:${strong.port}:`),
    );
    expect(line).toMatch(/protected \(AUTH refused every dictionary password, \d+ attempt\(s\)\)/);
    const attempts = Number(/(\d+) attempt/.exec(line ?? '')?.[1]);
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(10);
  });

  it('with only the strong-password Redis running, redis-auth passes', () => {
    const c = strongOnly.checks.get('redis-auth');
    expect(c?.status, c?.message.en).toBe('pass');
    expect(strongOnly.code).toBe(0);
  });

  it('CONFIG SET dir (to its own value) is accepted with protected configs on, refused by default', () => {
    const c = mixed.checks.get('redis-config-set-dir');
    expect(c?.status).toBe('fail');
    expect(evidence(c)).toContain(`127.0.0.1:${open.port}: allowed`);
    expect(evidence(c)).toContain(`127.0.0.1:${weak.port}: denied`);
  });

  it('servers on loopback only are not exposed', () => {
    expect(mixed.checks.get('exposed-redis')?.status).toBe('pass');
    expect(mixed.checks.get('exposed-redis')?.message.en).toMatch(/loopback only/);
  });

  it('--no-login-tests makes the credential check unknown instead of trying anything', () => {
    const c = noLogin.checks.get('redis-auth');
    expect(c?.status).toBe('unknown');
    expect(evidence(c).join('\n')).toContain('login tests turned off');
  });
});
