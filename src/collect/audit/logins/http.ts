// HTTP login tests with fetch, to 127.0.0.1/::1 only: Tomcat's manager with default basic-auth
// credentials, and Jenkins's script console anonymously or with default credentials.
import type { LoginResult } from '../../../snapshot/audit.js';
import { type Credential, ATTEMPT_GAP_MS } from './dictionary.js';
import { Pacer, assertLoopback, type Target } from './loopback.js';

/** What a service answered to one request. */
interface HttpAnswer {
  status: number;
  body: string;
}

async function get(t: Target, pathname: string, cred?: Credential): Promise<HttpAnswer | { error: string }> {
  assertLoopback(t.host);
  const url = `http://${t.host === '::1' ? '[::1]' : t.host}:${t.port}${pathname}`;
  const headers: Record<string, string> = { 'user-agent': 'minehunter-audit' };
  if (cred)
    headers.authorization = `Basic ${Buffer.from(`${cred.user}:${cred.password}`).toString('base64')}`;
  try {
    // No redirects: a redirect could point anywhere, and a redirect to a login page is itself the answer.
    const res = await fetch(url, { headers, redirect: 'manual', signal: AbortSignal.timeout(3000) });
    const body = (await res.text()).slice(0, 20_000);
    return { status: res.status, body };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export async function testTomcatManager(t: Target, creds: Credential[]): Promise<LoginResult> {
  const { result, pacer, anon } = await askAnonymously(t, 'tomcat-manager', '/manager/html');
  if (!anon) return result;
  if (anon.status === 200) {
    result.outcome = 'open';
    result.detail = '/manager/html answers 200 without credentials';
    return result;
  }
  if (anon.status === 404) {
    result.outcome = 'protected';
    result.detail = 'no manager application deployed (404)';
    return result;
  }
  if (anon.status !== 401) {
    result.detail = `/manager/html answered ${anon.status}`;
    return result;
  }
  return tryCredentials(t, '/manager/html', creds, pacer, result, (r) => r.status === 200, {
    weak: '/manager/html accepted default credentials',
    refused: 'every dictionary credential was refused',
  });
}

const CONSOLE = /Script Console|scriptText|groovy/i;

export async function testJenkins(t: Target, creds: Credential[]): Promise<LoginResult> {
  const { result, pacer, anon } = await askAnonymously(t, 'jenkins', '/script');
  if (!anon) return result;
  if (anon.status === 200 && CONSOLE.test(anon.body)) {
    result.outcome = 'open';
    result.detail = '/script (the Groovy console) opens without logging in';
    return result;
  }
  if (![401, 403, 302, 303].includes(anon.status)) {
    result.detail = `/script answered ${anon.status}`;
    return result;
  }
  return tryCredentials(t, '/script', creds, pacer, result, (r) => r.status === 200 && CONSOLE.test(r.body), {
    weak: '/script opened with default credentials',
    refused: 'anonymous access and every dictionary credential were refused',
  });
}

/**
 * The start of every HTTP login test: the result to fill in, the pacer for the attempts to come,
 * and the first, anonymous request. No answer (a connection error, in the result's detail) ends
 * the test there.
 */
async function askAnonymously(
  t: Target,
  service: LoginResult['service'],
  urlPath: string,
): Promise<{ result: LoginResult; pacer: Pacer; anon?: HttpAnswer }> {
  const result: LoginResult = { service, endpoint: t.endpoint, outcome: 'unknown', attempts: 0, detail: '' };
  const pacer = new Pacer(ATTEMPT_GAP_MS);
  await pacer.wait();
  result.attempts++;
  const anon = await get(t, urlPath);
  if ('error' in anon) {
    result.detail = anon.error;
    return { result, pacer };
  }
  return { result, pacer, anon };
}

/**
 * Tries each dictionary credential on one path, paced, stopping at the first one `accepted` (the
 * account is weak) or at a connection error; otherwise the service is protected.
 */
async function tryCredentials(
  t: Target,
  urlPath: string,
  creds: Credential[],
  pacer: Pacer,
  result: LoginResult,
  accepted: (r: HttpAnswer) => boolean,
  detail: { weak: string; refused: string },
): Promise<LoginResult> {
  for (const cred of creds) {
    await pacer.wait();
    result.attempts++;
    const r = await get(t, urlPath, cred);
    if ('error' in r) {
      result.detail = r.error;
      return result;
    }
    if (accepted(r)) {
      result.outcome = 'weak';
      result.user = cred.user;
      result.password = cred.password;
      result.detail = detail.weak;
      return result;
    }
  }
  result.outcome = 'protected';
  result.detail = detail.refused;
  return result;
}
