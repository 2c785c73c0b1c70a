// End-to-end: a real PostgreSQL cluster (initdb in a temp dir, run as the postgres user, 127.0.0.1 and
// a free high port, scram-sha-256 for TCP). A role with a weak password fails postgresql-auth naming
// the role; after it gets a strong password the check passes. The server is stopped even on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../helpers/host-lock.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { assertNoneRunning, startPostgres, type Postgres } from '../helpers/audit-servers.js';

interface CheckJson {
  id: string;
  status: string;
  message: { en: string; 'zh-CN': string };
  evidence: Array<{ field?: string; value?: string }>;
}

let pg: Postgres | undefined;
let release: (() => Promise<void>) | undefined;
let weak: Map<string, CheckJson>;
let strong: Map<string, CheckJson>;
let weakCode: number | null;

async function audit(): Promise<{ code: number | null; checks: Map<string, CheckJson> }> {
  const r = await runCli([
    'audit',
    '--format',
    'json',
    '--only',
    'postgresql-auth,exposed-postgresql',
    '--fail-on',
    'critical',
  ]);
  let report: { checks: CheckJson[] };
  try {
    report = JSON.parse(r.stdout) as { checks: CheckJson[] };
  } catch {
    throw new Error(`audit exited ${r.code}: ${r.stderr}`);
  }
  return { code: r.code, checks: new Map(report.checks.map((c) => [c.id, c])) };
}

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  try {
    assertNoneRunning('postgres');
    pg = await startPostgres();
    await pg.sql(`ALTER ROLE postgres PASSWORD 'Zk8-${Math.random().toString(36).slice(2)}-long-random'`);
    await pg.sql(`CREATE ROLE admin LOGIN PASSWORD 'admin'`);
    const a = await audit();
    weak = a.checks;
    weakCode = a.code;
    await pg.sql(`ALTER ROLE admin PASSWORD 'Pq7-${Math.random().toString(36).slice(2)}-long-random'`);
    strong = (await audit()).checks;
  } finally {
    await pg?.stop();
  }
}, 240_000);

afterAll(async () => {
  await pg?.stop();
  await release?.();
});

describe('postgresql login tests against a real server', () => {
  it('a role with a weak password fails, naming the role and the password', () => {
    const c = weak.get('postgresql-auth');
    expect(c?.status, c?.message.en).toBe('fail');
    expect(c?.evidence.map((e) => e.value)).toContain(
      `127.0.0.1:${pg!.port}: user "admin" password "admin" accepted`,
    );
    expect(weakCode).toBe(1);
  });

  it('with strong passwords on every role the check passes', () => {
    const c = strong.get('postgresql-auth');
    expect(c?.status, c?.message.en).toBe('pass');
    expect(c?.evidence[0]?.value).toMatch(new RegExp(`^127\\.0\\.0\\.1:${pg!.port}: protected`));
  });

  it('a server bound to 127.0.0.1 is not exposed', () => {
    expect(weak.get('exposed-postgresql')?.status).toBe('pass');
  });
});
