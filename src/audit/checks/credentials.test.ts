// Weak-credential checks over literal login-test results: open and weak fail with the evidence a
// user needs, refused passes, untested (turned off, other address) is unknown, no service passes.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { LoginFacts, LoginResult } from '../../snapshot/audit.js';
import { runCheck } from '../run.js';
import { credentialChecks, redisConfigSetDir } from './credentials.js';

const byId = new Map(credentialChecks.map((c) => [c.id, c]));

const SERVICE_OF: Record<string, LoginResult['service']> = {
  'redis-auth': 'redis',
  'postgresql-auth': 'postgresql',
  'mysql-auth': 'mysql',
  'tomcat-manager-auth': 'tomcat-manager',
  'jenkins-script-console': 'jenkins',
  'mongodb-auth': 'mongodb',
};

function logins(partial: Partial<LoginFacts>) {
  return makeSnapshot({ audit: { logins: { enabled: true, results: [], notTested: [], ...partial } } });
}

function result(
  service: LoginResult['service'],
  outcome: LoginResult['outcome'],
  extra: Partial<LoginResult> = {},
): LoginResult {
  return { service, endpoint: '127.0.0.1:7777', outcome, attempts: 2, detail: 'test', ...extra };
}

describe('credential checks', () => {
  it('cover every login service', () => {
    expect(Object.keys(SERVICE_OF).sort()).toEqual(
      credentialChecks
        .filter((c) => c !== redisConfigSetDir)
        .map((c) => c.id)
        .sort(),
    );
  });

  for (const [id, service] of Object.entries(SERVICE_OF)) {
    describe(id, () => {
      const check = byId.get(id)!;
      it('fails on a service that needs no credentials', () => {
        const o = runCheck(check, logins({ results: [result(service, 'open', { detail: 'no auth' })] }));
        expect(o.status).toBe('fail');
        expect(o.evidence[0]).toMatchObject({ value: '127.0.0.1:7777: no credentials needed (no auth)' });
      });
      it('fails on a dictionary password, naming user and password', () => {
        const o = runCheck(
          check,
          logins({ results: [result(service, 'weak', { user: 'admin', password: 'admin' })] }),
        );
        expect(o.status).toBe('fail');
        expect(o.message.en).toContain('user "admin" password "admin" accepted');
        expect(o.message['zh-CN']).toContain('用户 "admin" 口令 "admin" 登录成功');
      });
      it('passes when every try was refused', () => {
        expect(runCheck(check, logins({ results: [result(service, 'protected')] })).status).toBe('pass');
      });
      it('passes, not applicable, when no such service listens', () => {
        const o = runCheck(check, logins({}));
        expect(o.status).toBe('pass');
        expect(o.notApplicable).toBe(true);
      });
      it('is unknown when it could not tell, when tests were off, or when bound elsewhere', () => {
        expect(runCheck(check, logins({ results: [result(service, 'unknown')] })).status).toBe('unknown');
        const off = logins({
          enabled: false,
          notTested: [{ service, endpoint: '127.0.0.1:7777', reason: 'login tests turned off' }],
        });
        expect(runCheck(check, off).message.en).toContain('login tests were turned off');
        const elsewhere = logins({
          notTested: [{ service, endpoint: '10.0.0.2:7777', reason: 'bound to 10.0.0.2 only' }],
        });
        expect(runCheck(check, elsewhere).status).toBe('unknown');
      });
    });
  }
});

describe('redis-config-set-dir', () => {
  it('fails when CONFIG SET dir was accepted', () => {
    const o = runCheck(
      redisConfigSetDir,
      logins({ results: [result('redis', 'open', { configSetDir: 'allowed' })] }),
    );
    expect(o.status).toBe('fail');
    expect(o.evidence).toEqual([
      { type: 'match', field: 'redis CONFIG SET dir', value: '127.0.0.1:7777: allowed' },
    ]);
  });
  it('passes when refused, or when nobody got in', () => {
    expect(
      runCheck(redisConfigSetDir, logins({ results: [result('redis', 'weak', { configSetDir: 'denied' })] }))
        .status,
    ).toBe('pass');
    expect(runCheck(redisConfigSetDir, logins({ results: [result('redis', 'protected')] })).status).toBe(
      'pass',
    );
  });
  it('is unknown when logged in but not tested', () => {
    expect(
      runCheck(
        redisConfigSetDir,
        logins({ results: [result('redis', 'open', { configSetDir: 'not-tested' })] }),
      ).status,
    ).toBe('unknown');
  });
});
