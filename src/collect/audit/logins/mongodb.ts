// MongoDB "no authentication" test through mongosh when it is installed (minehunter bundles no
// MongoDB driver): listDatabases without credentials succeeds only when authorisation is off.
import type { LoginResult } from '../../../snapshot/audit.js';
import { run } from '../exec.js';
import { assertLoopback, type Target } from './loopback.js';

export async function testMongo(t: Target): Promise<LoginResult> {
  assertLoopback(t.host);
  const result: LoginResult = {
    service: 'mongodb',
    endpoint: t.endpoint,
    outcome: 'unknown',
    attempts: 0,
    detail: '',
  };
  const uri = `mongodb://${t.host === '::1' ? '[::1]' : t.host}:${t.port}/admin?serverSelectionTimeoutMS=2000`;
  const r = await run(
    'mongosh',
    ['--quiet', '--norc', uri, '--eval', 'JSON.stringify(db.adminCommand({listDatabases: 1}).ok)'],
    8000,
  );
  if (r.missing) {
    result.detail = 'no MongoDB client installed (mongosh); not tested';
    return result;
  }
  result.attempts = 1;
  if (!r.error && r.stdout.trim() === '1') {
    result.outcome = 'open';
    result.detail = 'listDatabases works without credentials';
  } else if (/requires authentication|Unauthorized/i.test(r.stdout + r.stderr)) {
    result.outcome = 'protected';
    result.detail = 'listDatabases requires authentication';
  } else result.detail = r.error ?? r.stdout.trim().slice(0, 200);
  return result;
}
