// The short built-in credential dictionary of the login tests, per service, and the loader of a
// user's extra entries (`--credentials FILE`, lines "service user password"; `*` for any service,
// `-` for an empty user or password). Short on purpose: this finds defaults, it is not a brute forcer.
import { readFile } from 'node:fs/promises';
import type { LoginService } from '../../../snapshot/audit.js';

export interface Credential {
  user: string;
  password: string;
}

export type Dictionary = Record<LoginService, Credential[]>;

const c = (user: string, ...passwords: string[]): Credential[] =>
  passwords.map((password) => ({ user, password }));

export const BUILTIN: Dictionary = {
  // Redis has no users before 6 and never locks out: a few more passwords are harmless.
  redis: c('', '123456', 'redis', 'password', 'foobared', 'admin', '12345678'),
  postgresql: [...c('postgres', 'postgres', '123456', 'password'), ...c('admin', 'admin', '123456')],
  mysql: [...c('root', '', 'root', '123456'), ...c('admin', 'admin', '123456')],
  'tomcat-manager': [
    ...c('tomcat', 'tomcat', 's3cret', '123456'),
    ...c('admin', 'admin', 'tomcat', '123456'),
  ],
  jenkins: [...c('admin', 'admin', '123456', 'password'), ...c('jenkins', 'jenkins')],
  mongodb: [],
};

/** At most this many wrong passwords per account: below every lockout threshold we know of (Tomcat's LockOutRealm: 5). */
export const MAX_PER_ACCOUNT: Record<LoginService, number> = {
  redis: 8,
  postgresql: 3,
  mysql: 3,
  'tomcat-manager': 3,
  jenkins: 3,
  mongodb: 1,
};

/** At most this many attempts per endpoint in all. */
export const MAX_PER_ENDPOINT = 10;

/** Minimum gap between two attempts on one endpoint. */
export const ATTEMPT_GAP_MS = 150;

export class DictionaryError extends Error {
  override name = 'DictionaryError';
}

/** Parses a user dictionary; entries come before the built-in ones. */
export function parseDictionary(
  text: string,
  file: string,
): Array<{ service: LoginService | '*'; cred: Credential }> {
  const services = new Set<string>(['*', ...Object.keys(BUILTIN)]);
  const out: Array<{ service: LoginService | '*'; cred: Credential }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [service, user, ...rest] = line.split(/\s+/);
    if (!service || user === undefined || rest.length !== 1 || !services.has(service)) {
      throw new DictionaryError(
        `${file}:${i + 1}: expected "service user password" with service one of ${[...services].join(', ')}`,
      );
    }
    const dash = (v: string) => (v === '-' ? '' : v);
    out.push({
      service: service as LoginService | '*',
      cred: { user: dash(user), password: dash(rest[0]!) },
    });
  });
  return out;
}

export async function loadDictionary(files: string[]): Promise<Dictionary> {
  const dict: Dictionary = {
    redis: [],
    postgresql: [],
    mysql: [],
    'tomcat-manager': [],
    jenkins: [],
    mongodb: [],
  };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new DictionaryError(`cannot read credentials file ${file}: ${(err as Error).message}`);
    }
    for (const { service, cred } of parseDictionary(text, file)) {
      for (const s of Object.keys(dict) as LoginService[])
        if (service === '*' || service === s) dict[s].push(cred);
    }
  }
  for (const s of Object.keys(dict) as LoginService[]) dict[s].push(...BUILTIN[s]);
  return dict;
}

/** The attempts to make on one endpoint: dictionary order, capped per account and in all. */
export function plan(dict: Dictionary, service: LoginService): Credential[] {
  const perUser = new Map<string, number>();
  const seen = new Set<string>();
  const out: Credential[] = [];
  for (const cred of dict[service]) {
    const key = `${cred.user}\u0000${cred.password}`;
    if (seen.has(key)) continue;
    const n = perUser.get(cred.user) ?? 0;
    if (n >= MAX_PER_ACCOUNT[service] || out.length >= MAX_PER_ENDPOINT) continue;
    seen.add(key);
    perUser.set(cred.user, n + 1);
    out.push(cred);
  }
  return out;
}
