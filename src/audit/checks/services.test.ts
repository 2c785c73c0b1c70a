// Exposed-service checks: every service table entry is exercised with a socket on its default port
// (or its process), bound to the network, to loopback, and behind a firewall that drops it.
import { describe, expect, it } from 'vitest';
import { makeProcess, makeSnapshot, makeSocket } from '../../../test/helpers/snapshot-builders.js';
import { runCheck } from '../run.js';
import { serviceChecks } from './services.js';

const byId = new Map(serviceChecks.map((c) => [c.id, c]));

/** How each service shows itself: a default port, or the process that identifies it. */
const CASES: Record<string, { port: number; argv?: string[] }> = {
  'exposed-redis': { port: 6379 },
  'exposed-docker-api': { port: 2375 },
  'exposed-jenkins': { port: 8080, argv: ['/usr/bin/java', '-jar', '/usr/share/java/jenkins.war'] },
  'exposed-tomcat': { port: 8080, argv: ['/usr/bin/java', 'org.apache.catalina.startup.Bootstrap', 'start'] },
  'exposed-weblogic': { port: 7001 },
  'exposed-jboss': { port: 9990 },
  'exposed-hadoop-yarn': { port: 8088 },
  'exposed-elasticsearch': { port: 9200 },
  'exposed-kubelet': { port: 10250 },
  'exposed-kube-apiserver': { port: 6443 },
  'exposed-etcd': { port: 2379 },
  'exposed-postgresql': { port: 5432 },
  'exposed-mysql': { port: 3306 },
  'exposed-mongodb': { port: 27017 },
  'exposed-memcached': { port: 11211 },
};

function scenario(id: string, address: string, firewall?: unknown) {
  const c = CASES[id]!;
  const proc = c.argv ? [makeProcess({ pid: 900, exe: c.argv[0], argv: c.argv })] : [];
  const sock = makeSocket({
    localAddress: address,
    localPort: c.port,
    state: 'LISTEN',
    pids: c.argv ? [900] : [],
  });
  return makeSnapshot({
    sockets: [sock],
    processes: proc,
    ...(firewall
      ? { audit: { firewall: { nft: firewall, iptables: [], iptablesErrors: [], ipv6Enabled: true } } }
      : {}),
  });
}

function dropPort(port: number): unknown {
  return {
    nftables: [
      {
        chain: {
          family: 'inet',
          table: 'f',
          name: 'in',
          type: 'filter',
          hook: 'input',
          prio: 0,
          policy: 'accept',
        },
      },
      {
        rule: {
          family: 'inet',
          table: 'f',
          chain: 'in',
          expr: [
            { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: port } },
            { drop: null },
          ],
        },
      },
    ],
  };
}

describe('exposed-* checks', () => {
  it('cover every service in the table', () => {
    expect([...byId.keys()].sort()).toEqual(Object.keys(CASES).sort());
  });

  for (const id of Object.keys(CASES)) {
    describe(id, () => {
      it('fails when listening on 0.0.0.0 with no firewall', () => {
        const o = runCheck(byId.get(id)!, scenario(id, '0.0.0.0'));
        expect(o.status).toBe('fail');
        expect(o.evidence[0]).toMatchObject({ type: 'socket', local: `0.0.0.0:${CASES[id]!.port}` });
      });
      it('passes when listening on loopback only', () => {
        const o = runCheck(byId.get(id)!, scenario(id, '127.0.0.1'));
        expect(o.status).toBe('pass');
        expect(o.message.en).toContain('loopback only');
      });
      it('passes when the firewall drops new connections to it', () => {
        const o = runCheck(byId.get(id)!, scenario(id, '::', dropPort(CASES[id]!.port)));
        expect(o.status, o.message.en).toBe('pass');
        expect(o.message.en).toContain('the firewall drops new connections');
      });
    });
  }

  it('a non-default port counts when the process is recognised (redis-server on 16379)', () => {
    const p = makeProcess({ pid: 42, exe: '/usr/bin/redis-server', argv: ['/usr/bin/redis-server *:16379'] });
    const s = makeSocket({ localAddress: '0.0.0.0', localPort: 16379, state: 'LISTEN', pids: [42] });
    expect(runCheck(byId.get('exposed-redis')!, makeSnapshot({ sockets: [s], processes: [p] })).status).toBe(
      'fail',
    );
  });

  it('a default port held by another known process is not that service', () => {
    const p = makeProcess({ pid: 43, exe: '/usr/sbin/nginx' });
    const s = makeSocket({ localAddress: '0.0.0.0', localPort: 6379, state: 'LISTEN', pids: [43] });
    expect(
      runCheck(byId.get('exposed-redis')!, makeSnapshot({ sockets: [s], processes: [p] })).message.en,
    ).toBe('Redis is not listening.');
  });
});
