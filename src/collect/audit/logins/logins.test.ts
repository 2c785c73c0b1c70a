// Login-test plumbing: the loopback-only gate, the dictionary and its caps, and the HTTP testers
// against a small HTTP server on 127.0.0.1 that answers like Tomcat's manager and Jenkins's console.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN,
  DictionaryError,
  MAX_PER_ACCOUNT,
  parseDictionary,
  plan,
  type Dictionary,
} from './dictionary.js';
import { testJenkins, testTomcatManager } from './http.js';
import { NotLoopbackError, assertLoopback, loopbackFor, target } from './loopback.js';
import { testMongo } from './mongodb.js';

describe('loopback gate', () => {
  it('accepts exactly 127.0.0.1 and ::1', () => {
    expect(() => assertLoopback('127.0.0.1')).not.toThrow();
    expect(() => assertLoopback('::1')).not.toThrow();
    for (const h of ['10.0.0.5', 'localhost', '127.0.0.2', '0.0.0.0', '::', '::ffff:127.0.0.1', '']) {
      expect(() => assertLoopback(h), h).toThrow(NotLoopbackError);
    }
    expect(() => target('192.168.1.1', 6379)).toThrow(/only contact 127\.0\.0\.1 and ::1/);
  });

  it('maps listening sockets to a loopback target, or says why not', () => {
    const s = (localAddress: string) => ({
      protocol: 'tcp' as const,
      localAddress,
      localPort: 6379,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: 'LISTEN',
      inode: 1,
      pids: [],
    });
    expect(loopbackFor(s('0.0.0.0'))).toEqual({
      target: { host: '127.0.0.1', port: 6379, endpoint: '127.0.0.1:6379' },
    });
    expect(loopbackFor(s('::'))).toEqual({ target: { host: '::1', port: 6379, endpoint: '[::1]:6379' } });
    expect(loopbackFor(s('10.0.0.5'))).toEqual({
      reason: 'bound to 10.0.0.5 only; login tests contact 127.0.0.1 and ::1, nothing else',
    });
  });
});

describe('dictionary', () => {
  it('caps tries per account and per endpoint', () => {
    const many: Dictionary = {
      ...BUILTIN,
      postgresql: Array.from({ length: 20 }, (_, i) => ({ user: 'postgres', password: `p${i}` })),
    };
    expect(plan(many, 'postgresql')).toHaveLength(MAX_PER_ACCOUNT.postgresql);
    for (const service of Object.keys(BUILTIN) as Array<keyof Dictionary>) {
      const counts = new Map<string, number>();
      for (const c of plan(BUILTIN, service)) counts.set(c.user, (counts.get(c.user) ?? 0) + 1);
      for (const n of counts.values()) expect(n).toBeLessThanOrEqual(MAX_PER_ACCOUNT[service]);
    }
    expect(plan(BUILTIN, 'redis')[0]).toEqual({ user: '', password: '123456' });
  });

  it('parses a user file and rejects a malformed one with the line number', () => {
    expect(parseDictionary('# mine\nredis - hunter2\n* admin Admin@2024\n', 'f')).toEqual([
      { service: 'redis', cred: { user: '', password: 'hunter2' } },
      { service: '*', cred: { user: 'admin', password: 'Admin@2024' } },
    ]);
    expect(() => parseDictionary('ftp root root\n', 'extra.txt')).toThrow(DictionaryError);
    expect(() => parseDictionary('redis onlyuser\n', 'extra.txt')).toThrow(/^extra\.txt:1: expected/);
  });
});

describe('HTTP login tests against a basic-auth server on 127.0.0.1', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(`${req.url} ${auth}`);
      const user = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString();
      if (req.url === '/manager/html') {
        if (user === 'tomcat:s3cret') return res.writeHead(200).end('<title>/manager</title>');
        return res.writeHead(401, { 'www-authenticate': 'Basic realm="Tomcat Manager Application"' }).end();
      }
      if (req.url === '/script') {
        if (user === 'jenkins:jenkins') return res.writeHead(200).end('<h1>Script Console</h1>');
        return res.writeHead(403).end('Authentication required');
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it('Tomcat manager: finds tomcat/s3cret after a refused tomcat/tomcat, and stops there', async () => {
    seen.length = 0;
    const r = await testTomcatManager(target('127.0.0.1', port), plan(BUILTIN, 'tomcat-manager'));
    expect(r).toMatchObject({ outcome: 'weak', user: 'tomcat', password: 's3cret', attempts: 3 });
    expect(seen).toHaveLength(3);
  });

  it('Jenkins: a refused anonymous /script, then the default jenkins/jenkins', async () => {
    const r = await testJenkins(target('127.0.0.1', port), plan(BUILTIN, 'jenkins'));
    expect(r).toMatchObject({ outcome: 'weak', user: 'jenkins', password: 'jenkins' });
  });

  it('a server that refuses everything is protected', async () => {
    const r = await testJenkins(target('127.0.0.1', port), [{ user: 'admin', password: 'nope' }]);
    expect(r).toMatchObject({ outcome: 'protected', attempts: 2 });
  });
});

describe('MongoDB without a client', () => {
  it('is unknown and says why, without contacting anything', async () => {
    const r = await testMongo(target('127.0.0.1', 1));
    expect(r.outcome).toBe('unknown');
    expect(r.detail).toMatch(/no MongoDB client installed|connect/i);
  });
});
