// PostgreSQL login test with pg: first a probe as a role that cannot exist (a server that asks no
// password reveals itself by answering "role does not exist"), then dictionary credentials.
import pg from 'pg';
import type { LoginResult } from '../../../snapshot/audit.js';
import { type Credential, ATTEMPT_GAP_MS } from './dictionary.js';
import { Pacer, assertLoopback, type Target } from './loopback.js';

type Attempt = 'ok' | 'refused' | 'no-such-role' | { error: string };

async function tryLogin(t: Target, user: string, password: string): Promise<Attempt> {
  assertLoopback(t.host);
  const client = new pg.Client({
    host: t.host,
    port: t.port,
    user,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 2500,
    ssl: false,
    application_name: 'minehunter-audit',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return 'ok';
  } catch (err) {
    const e = err as { code?: string; message?: string };
    // 3D000: authenticated, but the database does not exist: the credential works.
    if (e.code === '3D000') return 'ok';
    if (e.code === '28P01') return 'refused';
    if (e.code === '28000' && /does not exist/.test(e.message ?? '')) return 'no-such-role';
    if (e.code === '28000') return 'refused';
    return { error: e.message ?? String(err) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function testPostgres(t: Target, creds: Credential[]): Promise<LoginResult> {
  const result: LoginResult = {
    service: 'postgresql',
    endpoint: t.endpoint,
    outcome: 'unknown',
    attempts: 0,
    detail: '',
  };
  const pacer = new Pacer(ATTEMPT_GAP_MS);
  await pacer.wait();
  result.attempts++;
  const probe = await tryLogin(
    t,
    `minehunter_probe_${process.pid}`,
    `x-${Math.random().toString(36).slice(2)}`,
  );
  if (probe === 'no-such-role' || probe === 'ok') {
    result.outcome = 'open';
    result.detail = 'the server did not ask for a password (pg_hba.conf "trust")';
    return result;
  }
  if (typeof probe === 'object') {
    result.detail = probe.error;
    return result;
  }
  for (const cred of creds) {
    await pacer.wait();
    result.attempts++;
    const a = await tryLogin(t, cred.user, cred.password);
    if (a === 'ok') {
      result.outcome = 'weak';
      result.user = cred.user;
      result.password = cred.password;
      result.detail = 'a dictionary password was accepted';
      return result;
    }
    if (typeof a === 'object') {
      result.detail = a.error;
      return result;
    }
  }
  result.outcome = 'protected';
  result.detail = 'every dictionary password was refused';
  return result;
}
