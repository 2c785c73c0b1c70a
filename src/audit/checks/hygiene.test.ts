// Patch, anti-virus and cloud-agent checks over literal facts (apt and rpm hosts).
import { describe, expect, it } from 'vitest';
import { COLLECTED_AT, makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import type { AgentFacts, AuditFacts, PackageFacts } from '../../snapshot/audit.js';
import { runCheck } from '../run.js';
import {
  antivirusPresent,
  antivirusSignaturesFresh,
  kernelCurrent,
  packageListsFresh,
  securityAgentTampered,
  securityUpdates,
} from './hygiene.js';

const daysAgo = (d: number) => new Date(Date.parse(COLLECTED_AT) - d * 86_400_000).toISOString();
const snap = (audit: AuditFacts, processes = [makeProcess()]) => makeSnapshot({ audit, processes });
const pk = (p: Partial<PackageFacts>): AuditFacts => ({
  packages: {
    manager: 'apt',
    securityLists: ['x_bookworm-security_main_binary-amd64_Packages'],
    candidates: [],
    ...p,
  },
});
const agents = (a: Partial<AgentFacts>): AuditFacts => ({
  agents: { agents: [], clamav: { installed: false, databases: [] }, ...a },
});

describe('security-updates', () => {
  const cand = (installed: string, candidate: string) => ({
    name: 'libssl3',
    arch: 'amd64',
    installed,
    candidate,
    list: 'x_bookworm-security_main_binary-amd64_Packages',
  });
  it('fails when a security list has a newer version than the installed one', () => {
    const o = runCheck(
      securityUpdates,
      snap(pk({ candidates: [cand('3.0.11-1~deb12u2', '3.0.13-1~deb12u1')] })),
    );
    expect(o.status).toBe('fail');
    expect(o.evidence[0]).toEqual({
      type: 'match',
      field: 'pending',
      value: 'libssl3 3.0.11-1~deb12u2 → 3.0.13-1~deb12u1',
    });
  });
  it('passes when installed versions are current (or newer)', () => {
    const o = runCheck(
      securityUpdates,
      snap(
        pk({
          candidates: [cand('3.0.13-1~deb12u1', '3.0.13-1~deb12u1'), { ...cand('2.0', '1.9'), name: 'x' }],
        }),
      ),
    );
    expect(o.status).toBe('pass');
    expect(o.message.en).toContain('1 list(s) read');
  });
  it('is unknown without dpkg, or without any security list', () => {
    expect(runCheck(securityUpdates, snap(pk({ manager: 'none' }))).status).toBe('unknown');
    expect(runCheck(securityUpdates, snap(pk({ securityLists: [] }))).message.en).toMatch(
      /^No security package list/,
    );
    expect(
      runCheck(securityUpdates, snap(pk({ securityLists: [], error: 'apt-helper: boom' }))).message.en,
    ).toContain('apt-helper: boom');
  });
});

describe('package-lists-fresh', () => {
  it('fails on lists older than a week and when they never were downloaded', () => {
    expect(runCheck(packageListsFresh, snap(pk({ listsUpdatedAt: daysAgo(30) }))).message.en).toBe(
      'Package lists are 30 days old.',
    );
    expect(runCheck(packageListsFresh, snap(pk({}))).status).toBe('fail');
  });
  it('passes on lists from yesterday', () => {
    expect(runCheck(packageListsFresh, snap(pk({ listsUpdatedAt: daysAgo(1) }))).status).toBe('pass');
  });
});

describe('security-updates and package-lists-fresh on rpm hosts', () => {
  const rpm = (p: Partial<PackageFacts>): AuditFacts => ({
    packages: {
      manager: 'dnf',
      securityLists: ['/var/cache/dnf/baseos-0123456789abcdef/repodata/x-updateinfo.xml.gz'],
      candidates: [],
      rpmDatabase: '/var/lib/rpm/rpmdb.sqlite',
      repoCaches: 1,
      ...p,
    },
  });
  const openssl = {
    name: 'openssl-libs',
    arch: 'x86_64',
    installed: '1:3.0.7-24.el9',
    candidate: '1:3.0.7-25.el9_3',
    list: 'baseos',
    advisories: ['RHSA-2024:0310'],
  };
  it('fails with the packages and advisory ids, in rpm version order, with a dnf fix', () => {
    const o = runCheck(securityUpdates, snap(rpm({ candidates: [openssl] })));
    expect(o.status).toBe('fail');
    expect(o.message.en).toBe(
      '1 package(s) have a pending security update: openssl-libs (advisories RHSA-2024:0310).',
    );
    expect(o.message['zh-CN']).toContain('RHSA-2024:0310');
    expect(o.evidence[0]).toEqual({
      type: 'match',
      field: 'pending',
      value: 'openssl-libs.x86_64 1:3.0.7-24.el9 → 1:3.0.7-25.el9_3 (RHSA-2024:0310)',
    });
    expect(o.fixCommand).toMatch(/^dnf -y upgrade --security/);
    const yum = runCheck(securityUpdates, snap(rpm({ manager: 'yum', candidates: [openssl] })));
    expect(yum.fixCommand).toMatch(/^yum -y update --security/);
  });
  it('passes when installed versions are at or past the fixed ones (tilde and release order)', () => {
    const same = { ...openssl, installed: openssl.candidate, advisories: undefined };
    const newer = { ...openssl, name: 'x', installed: '2.0-1.el9', candidate: '2.0~rc1-1.el9' };
    const o = runCheck(securityUpdates, snap(rpm({ candidates: [same, newer] })));
    expect(o.status).toBe('pass');
    expect(o.message.en).toContain('1 updateinfo file(s) read');
  });
  it('is unknown, and says why, without a repository cache, without updateinfo, or without dnf/yum', () => {
    const none = runCheck(securityUpdates, snap(rpm({ securityLists: [], repoCaches: 0 })));
    expect(none.status).toBe('unknown');
    expect(none.message.en).toMatch(/^No repository metadata cache on disk \(\/var\/cache\/dnf\)/);
    const bare = runCheck(securityUpdates, snap(rpm({ securityLists: [], repoCaches: 3 })));
    expect(bare.message.en).toMatch(/^The 3 cached repositories carry no security advisories/);
    const broken = runCheck(securityUpdates, snap(rpm({ securityLists: [], error: 'x.xz: not read' })));
    expect(broken.message.en).toContain('x.xz: not read');
    expect(runCheck(securityUpdates, snap(rpm({ manager: 'rpm' }))).status).toBe('unknown');
    expect(runCheck(securityUpdates, snap(pk({ manager: 'none' }))).message.en).toMatch(/dpkg or rpm/);
  });
  it('dates the metadata by the newer of the repo cache and the last transaction', () => {
    const history = {
      file: '/var/lib/dnf/history.sqlite',
      lastTransactionAt: daysAgo(2),
      command: 'upgrade -y',
    };
    const fresh = runCheck(packageListsFresh, snap(rpm({ listsUpdatedAt: daysAgo(30), history })));
    expect(fresh.status).toBe('pass');
    expect(fresh.message.en).toBe('The last successful dnf transaction was 2 day(s) ago.');
    expect(fresh.evidence).toContainEqual({
      type: 'match',
      field: 'last transaction',
      value: `${daysAgo(2)} (upgrade -y)`,
    });
    const stale = runCheck(packageListsFresh, snap(rpm({ listsUpdatedAt: daysAgo(30) })));
    expect(stale.message.en).toBe('Repository metadata is 30 days old.');
    expect(stale.fixCommand).toBe('dnf makecache');
    const oldTx = runCheck(
      packageListsFresh,
      snap(rpm({ manager: 'yum', history: { ...history, lastTransactionAt: daysAgo(40) } })),
    );
    expect(oldTx.status).toBe('fail');
    expect(oldTx.message.en).toMatch(/^The last successful yum transaction was 40 days ago/);
  });
  it('falls back to the newest install time when there is neither cache nor history', () => {
    expect(runCheck(packageListsFresh, snap(rpm({ newestInstallAt: daysAgo(90) }))).status).toBe('fail');
    expect(runCheck(packageListsFresh, snap(rpm({ newestInstallAt: daysAgo(1) }))).status).toBe('unknown');
    expect(runCheck(packageListsFresh, snap(rpm({ manager: 'rpm' }))).status).toBe('unknown');
  });
});

describe('kernel-current', () => {
  it('fails when a newer kernel is installed', () => {
    const o = runCheck(
      kernelCurrent,
      snap({ kernel: { running: '6.1.0-18-amd64', installed: ['6.1.0-18-amd64', '6.1.0-28-amd64'] } }),
    );
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('6.1.0-28-amd64 is installed');
  });
  it('passes when the newest runs (numeric, not text, order)', () => {
    expect(
      runCheck(
        kernelCurrent,
        snap({ kernel: { running: '6.1.0-10-amd64', installed: ['6.1.0-9-amd64', '6.1.0-10-amd64'] } }),
      ).status,
    ).toBe('pass');
  });
  it('is unknown when no kernel is installed (containers)', () => {
    expect(runCheck(kernelCurrent, snap({ kernel: { running: '6.18.0', installed: [] } })).status).toBe(
      'unknown',
    );
  });
});

describe('antivirus-present', () => {
  it('passes with a running cloud agent or an installed ClamAV', () => {
    const aegis = agents({ agents: [{ agent: 'aliyun-aegis', present: ['/usr/local/aegis'], traces: [] }] });
    expect(
      runCheck(
        antivirusPresent,
        snap(aegis, [makeProcess({ exe: '/usr/local/aegis/aegis_client/AliYunDun' })]),
      ).status,
    ).toBe('pass');
    const clam = agents({ agents: [{ agent: 'clamav', present: ['/usr/bin/clamscan'], traces: [] }] });
    expect(runCheck(antivirusPresent, snap(clam)).status).toBe('pass');
  });
  it('fails with nothing, or with an agent installed but not running', () => {
    expect(runCheck(antivirusPresent, snap(agents({}))).status).toBe('fail');
    const stopped = agents({ agents: [{ agent: 'crowdstrike', present: ['/opt/CrowdStrike'], traces: [] }] });
    expect(runCheck(antivirusPresent, snap(stopped)).status).toBe('fail');
  });
});

describe('antivirus-signatures-fresh', () => {
  it('fails on week-old signatures and on none', () => {
    const old = agents({
      clamav: { installed: true, databases: [{ file: '/var/lib/clamav/daily.cvd', builtAt: daysAgo(20) }] },
    });
    expect(runCheck(antivirusSignaturesFresh, snap(old)).message.en).toBe(
      'The newest ClamAV signatures are 20 days old.',
    );
    expect(
      runCheck(antivirusSignaturesFresh, snap(agents({ clamav: { installed: true, databases: [] } }))).status,
    ).toBe('fail');
  });
  it('passes on fresh signatures; not applicable without ClamAV', () => {
    const fresh = agents({
      clamav: { installed: true, databases: [{ file: '/var/lib/clamav/daily.cld', builtAt: daysAgo(1) }] },
    });
    expect(runCheck(antivirusSignaturesFresh, snap(fresh)).status).toBe('pass');
    expect(runCheck(antivirusSignaturesFresh, snap(agents({}))).notApplicable).toBe(true);
  });
});

describe('security-agent-tampered', () => {
  it('fails on a stopped aegis and on a removed YunJing', () => {
    const facts = agents({
      agents: [
        { agent: 'aliyun-aegis', present: ['/usr/local/aegis'], traces: [] },
        { agent: 'qcloud-yunjing', present: [], traces: ['/etc/systemd/system/YDService.service'] },
      ],
    });
    const o = runCheck(securityAgentTampered, snap(facts));
    expect(o.status).toBe('fail');
    expect(o.evidence.map((e) => (e.type === 'match' ? e.field : ''))).toEqual(['stopped', 'removed']);
  });
  it('passes with a running agent, and with none at all', () => {
    const facts = agents({
      agents: [{ agent: 'qcloud-yunjing', present: ['/usr/local/qcloud/YunJing'], traces: [] }],
    });
    expect(
      runCheck(
        securityAgentTampered,
        snap(facts, [makeProcess({ exe: '/usr/local/qcloud/YunJing/YDEyes/YDService' })]),
      ).status,
    ).toBe('pass');
    expect(runCheck(securityAgentTampered, snap(agents({}))).status).toBe('pass');
  });
});
