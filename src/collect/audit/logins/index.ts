// Runs the login tests against the services the snapshot shows listening, over loopback only: one
// endpoint per service and port, attempts on an endpoint one after another, endpoints side by side.
import { readlink } from 'node:fs/promises';
import type { LoginFacts, LoginResult, LoginService } from '../../../snapshot/audit.js';
import { serviceSockets } from '../../../audit/checks/services.js';
import type { Snapshot } from '../../../snapshot/schema.js';
import { mapLimit } from '../../support.js';
import { plan, type Dictionary } from './dictionary.js';
import { testJenkins, testTomcatManager } from './http.js';
import { loopbackFor, type Target } from './loopback.js';
import { testMongo } from './mongodb.js';
import { testMysql } from './mysql.js';
import { testPostgres } from './postgres.js';
import { testRedis } from './redis.js';

/** Login service → the exposed-service id whose sockets it tests. */
const SERVICE_OF: Record<LoginService, string> = {
  redis: 'redis',
  postgresql: 'postgresql',
  mysql: 'mysql',
  'tomcat-manager': 'tomcat',
  jenkins: 'jenkins',
  mongodb: 'mongodb',
};

function tester(service: LoginService, dict: Dictionary): (t: Target) => Promise<LoginResult> {
  const creds = plan(dict, service);
  switch (service) {
    case 'redis':
      return (t) => testRedis(t, creds);
    case 'postgresql':
      return (t) => testPostgres(t, creds);
    case 'mysql':
      return (t) => testMysql(t, creds);
    case 'tomcat-manager':
      return (t) => testTomcatManager(t, creds);
    case 'jenkins':
      return (t) => testJenkins(t, creds);
    case 'mongodb':
      return (t) => testMongo(t);
  }
}

export interface LoginOptions {
  enabled: boolean;
  dictionary: Dictionary;
  /** Only these services (tests use it to stay on their own servers); default all. */
  services?: LoginService[];
}

/** The inode of this process's network namespace: only its loopback is the one we can reach. */
async function ownNetns(): Promise<string | undefined> {
  const link = await readlink('/proc/self/ns/net').catch(() => '');
  return /^net:\[(\d+)\]$/.exec(link)?.[1];
}

export async function collectLogins(snapshot: Snapshot, opts: LoginOptions): Promise<LoginFacts> {
  const facts: LoginFacts = { enabled: opts.enabled, results: [], notTested: [] };
  const here = await ownNetns();
  const jobs: Array<{ service: LoginService; target: Target }> = [];
  for (const service of opts.services ?? (Object.keys(SERVICE_OF) as LoginService[])) {
    const seenPorts = new Set<number>();
    for (const s of serviceSockets(snapshot, SERVICE_OF[service])) {
      if (seenPorts.has(s.localPort)) continue;
      // 127.0.0.1 in a container's namespace is not ours: connecting would reach something else.
      if (s.netns !== undefined && here !== undefined && s.netns !== here) {
        facts.notTested.push({
          service,
          endpoint: `${s.localAddress}:${s.localPort}`,
          reason: `in another network namespace (${s.netns}); not reachable over this machine's loopback`,
        });
        continue;
      }
      const where = loopbackFor(s);
      if ('reason' in where) {
        facts.notTested.push({ service, endpoint: `${s.localAddress}:${s.localPort}`, reason: where.reason });
        continue;
      }
      seenPorts.add(s.localPort);
      if (!opts.enabled) {
        facts.notTested.push({
          service,
          endpoint: where.target.endpoint,
          reason: 'login tests turned off (--no-login-tests)',
        });
        continue;
      }
      jobs.push({ service, target: where.target });
    }
  }
  facts.results = await mapLimit(jobs, 4, (j) => tester(j.service, opts.dictionary)(j.target));
  facts.results.sort((a, b) => a.service.localeCompare(b.service) || a.endpoint.localeCompare(b.endpoint));
  return facts;
}
