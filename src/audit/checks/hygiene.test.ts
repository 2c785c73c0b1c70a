// Patch, anti-virus and cloud-agent checks over literal facts.
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
