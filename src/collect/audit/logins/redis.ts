// Redis login test with ioredis: PING without credentials, then AUTH with dictionary passwords on
// the same connection; once in, `CONFIG GET dir` and `CONFIG SET dir <the same value>` show whether
// the cron-write trick is possible without changing anything.
import { Redis } from 'ioredis';
import type { LoginResult } from '../../../snapshot/audit.js';
import { type Credential, ATTEMPT_GAP_MS } from './dictionary.js';
import { Pacer, assertLoopback, type Target } from './loopback.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function testRedis(t: Target, creds: Credential[]): Promise<LoginResult> {
  assertLoopback(t.host);
  const client = new Redis({
    host: t.host,
    port: t.port,
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
    // RESP2: ioredis would otherwise open with HELLO 3, which a password-protected server refuses
    // before we get to test AUTH ourselves.
    protocol: 2,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  const result: LoginResult = {
    service: 'redis',
    endpoint: t.endpoint,
    outcome: 'unknown',
    attempts: 0,
    detail: '',
  };
  const pacer = new Pacer(ATTEMPT_GAP_MS);
  try {
    await client.connect();
    try {
      result.attempts++;
      await pacer.wait();
      await client.ping();
      result.outcome = 'open';
      result.detail = 'PING answered without AUTH';
    } catch (err) {
      if (!/NOAUTH|Authentication required/i.test(message(err))) {
        result.detail = `unexpected answer to PING: ${message(err)}`;
        return result;
      }
      for (const cred of creds.filter((c) => c.user === '')) {
        result.attempts++;
        await pacer.wait();
        try {
          await client.call('AUTH', cred.password);
          result.outcome = 'weak';
          result.password = cred.password;
          result.detail = 'AUTH accepted a dictionary password';
          break;
        } catch (authErr) {
          if (!/WRONGPASS|invalid password|invalid username-password/i.test(message(authErr))) {
            result.detail = `unexpected answer to AUTH: ${message(authErr)}`;
            return result;
          }
        }
      }
      if (result.outcome === 'unknown') {
        result.outcome = 'protected';
        result.detail = 'AUTH refused every dictionary password';
      }
    }
    if (result.outcome === 'open' || result.outcome === 'weak')
      result.configSetDir = await configSetDir(client);
    return result;
  } catch (err) {
    result.detail = `cannot connect: ${message(err)}`;
    return result;
  } finally {
    client.disconnect();
  }
}

/** Sets `dir` to the value it already has: accepted means an attacker could set it to /var/spool/cron. */
async function configSetDir(client: Redis): Promise<'allowed' | 'denied' | 'not-tested'> {
  let dir: string | undefined;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'dir')) as unknown;
    if (Array.isArray(reply) && typeof reply[1] === 'string') dir = reply[1];
  } catch {
    // CONFIG renamed away or forbidden by ACL: the trick is not available to this login.
    return 'denied';
  }
  if (dir === undefined) return 'not-tested';
  try {
    await client.call('CONFIG', 'SET', 'dir', dir);
    return 'allowed';
  } catch {
    return 'denied';
  }
}
