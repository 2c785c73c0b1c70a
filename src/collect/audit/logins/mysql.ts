// MySQL/MariaDB login test with mysql2: the anonymous account first, then dictionary credentials.
import mysql from 'mysql2/promise';
import type { LoginResult } from '../../../snapshot/audit.js';
import { type Credential, ATTEMPT_GAP_MS } from './dictionary.js';
import { Pacer, assertLoopback, type Target } from './loopback.js';

async function tryLogin(
  t: Target,
  user: string,
  password: string,
): Promise<'ok' | 'refused' | { error: string }> {
  assertLoopback(t.host);
  try {
    const conn = await mysql.createConnection({
      host: t.host,
      port: t.port,
      user,
      password,
      connectTimeout: 2500,
    });
    await conn.end().catch(() => undefined);
    return 'ok';
  } catch (err) {
    const e = err as { code?: string; errno?: number; message?: string };
    if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045 || e.errno === 1698) return 'refused';
    // 1049 unknown database cannot happen (none is named); anything else is not an answer about the password.
    return { error: e.message ?? String(err) };
  }
}

export async function testMysql(t: Target, creds: Credential[]): Promise<LoginResult> {
  const result: LoginResult = {
    service: 'mysql',
    endpoint: t.endpoint,
    outcome: 'unknown',
    attempts: 0,
    detail: '',
  };
  const pacer = new Pacer(ATTEMPT_GAP_MS);
  for (const cred of [{ user: '', password: '' }, ...creds]) {
    await pacer.wait();
    result.attempts++;
    const a = await tryLogin(t, cred.user, cred.password);
    if (a === 'ok') {
      result.outcome = cred.user === '' ? 'open' : 'weak';
      if (cred.user) result.user = cred.user;
      result.password = cred.password;
      result.detail =
        cred.user === '' ? 'the anonymous account logs in' : 'a dictionary password was accepted';
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
