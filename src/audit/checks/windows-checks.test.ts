// The Windows audit checks (issue 22) on fixture volumes built by the test: the hardened twin passes
// every Windows check and the Linux checks are not applicable there; the exposed twin fails exactly
// the expected checks, each with its registry evidence; the parsers and rules behind the checks on
// the cases a volume can hold (rule strings, port ranges, allow-rule precedence, exclusions).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../collect/index.js';
import { collectAuditFacts } from '../../collect/audit/index.js';
import { parseFirewallRule } from '../../collect/audit/windows-firewall.js';
import { BUILTIN } from '../../collect/audit/logins/dictionary.js';
import type { Snapshot } from '../../snapshot/schema.js';
import {
  AUTOLOGON_PASSWORD,
  buildWindowsAuditVolume,
  EXPOSED_FAILS,
  HIDDEN_TASK,
  ALLOW_RULE_ID,
} from '../../../test/helpers/windows-audit-volume.js';
import { auditChecks } from '../index.js';
import { runAudit, type AuditReport } from '../run.js';
import { riskyExclusion } from './windows-defender.js';
import { coversPort, windowsSmbPortsBlocked } from './windows-network.js';
import { windowsLocalAccounts, windowsPasswordExpiry } from './windows-accounts.js';
import { hasEncodedFlag } from './windows-system.js';

/** Every Windows check, by id (the metadata test looks for each id in a test file). */
const WINDOWS_IDS = [
  'windows-firewall-profiles',
  'windows-smb-ports-blocked',
  'windows-smb-outbound-blocked',
  'windows-sharing-services-disabled',
  'windows-smb1-disabled',
  'windows-admin-shares',
  'windows-shares',
  'windows-defender-enabled',
  'windows-defender-exclusions',
  'windows-defender-signatures',
  'windows-update-policy',
  'windows-patch-age',
  'windows-rdp-nla',
  'windows-autologon-password',
  'windows-scheduled-tasks',
  'windows-local-accounts',
  'windows-password-expiry',
];

let dir: string;

async function audit(name: string, exposed: boolean): Promise<{ snapshot: Snapshot; report: AuditReport }> {
  const root = path.join(dir, name);
  await buildWindowsAuditVolume(root, { exposed });
  const snapshot = await collectSnapshot({
    root,
    cpuWindowMs: 0,
    hashExecutables: false,
    toolVersion: 'test',
  });
  const { audit: facts, records } = await collectAuditFacts(snapshot, {
    loginTests: false,
    dictionary: BUILTIN,
  });
  snapshot.audit = facts;
  snapshot.collection.push(...records);
  return {
    snapshot,
    report: runAudit(snapshot, { toolVersion: 'test', now: new Date('2026-12-01T00:00:00Z') }),
  };
}

let hardened: { snapshot: Snapshot; report: AuditReport };
let exposed: { snapshot: Snapshot; report: AuditReport };

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mh-audit-win-'));
  hardened = await audit('hardened', false);
  exposed = await audit('exposed', true);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const windowsResults = (r: AuditReport) => r.checks.filter((c) => c.id.startsWith('windows-'));
const result = (r: AuditReport, id: string) => r.checks.find((c) => c.id === id)!;
const evidenceText = (r: AuditReport, id: string) => JSON.stringify(result(r, id).evidence);

describe('Windows audit on fixture volumes', () => {
  it('lists every Windows check', () => {
    expect(
      auditChecks
        .filter((c) => c.needs.includes('windows'))
        .map((c) => c.id)
        .sort(),
    ).toEqual([...WINDOWS_IDS].sort());
  });

  it('collects the Windows facts with an ok record and no Linux audit part', () => {
    const rec = hardened.snapshot.collection.filter((r) => r.collector.startsWith('audit.'));
    expect(rec.map((r) => `${r.collector}:${r.status}`)).toEqual(['audit.windows:ok']);
    expect(Object.keys(hardened.snapshot.audit ?? {})).toEqual(['windows']);
  });

  it('the hardened twin passes every Windows check', () => {
    const bad = windowsResults(hardened.report).filter((c) => c.status !== 'pass' || !c.applicable);
    expect(bad.map((c) => `${c.id}: ${c.status} ${c.message.en}`)).toEqual([]);
    expect(hardened.report.score.value).toBe(100);
  });

  it('the Linux checks are not applicable on a Windows volume', () => {
    const linux = hardened.report.checks.filter((c) => !c.id.startsWith('windows-'));
    expect(linux.length).toBeGreaterThan(10);
    for (const c of linux) {
      expect(c.status).toBe('pass');
      expect(c.applicable).toBe(false);
    }
  });

  it('the exposed twin fails exactly the expected checks', () => {
    const failed = exposed.report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed.sort()).toEqual(EXPOSED_FAILS);
    expect(windowsResults(exposed.report).filter((c) => c.status === 'unknown')).toEqual([]);
  });

  it('names the evidence: hive keys, values and the allow rule', () => {
    const r = exposed.report;
    expect(evidenceText(r, 'windows-firewall-profiles')).toContain(
      'HKLM\\\\SYSTEM\\\\ControlSet001\\\\Services\\\\SharedAccess\\\\Parameters\\\\FirewallPolicy\\\\PublicProfile\\\\EnableFirewall',
    );
    expect(result(r, 'windows-smb-ports-blocked').message.en).toContain('Open SMB');
    expect(evidenceText(r, 'windows-smb-ports-blocked')).toContain(ALLOW_RULE_ID);
    expect(result(r, 'windows-sharing-services-disabled').message.en).toContain('LanmanServer (auto)');
    expect(result(r, 'windows-smb1-disabled').message.en).toBe('SMBv1 is on: server, client.');
    expect(result(r, 'windows-defender-enabled').message.en).toContain('DisableAntiSpyware (policy)');
    expect(result(r, 'windows-defender-exclusions').message.en).toContain(
      'C:\\Windows\\Fonts (Windows\\Fonts)',
    );
    expect(result(r, 'windows-defender-exclusions').message.en).toContain('C:\\Windows\\Temp (Temp)');
    expect(result(r, 'windows-defender-signatures').message.en).toContain('200 days old');
    expect(result(r, 'windows-autologon-password').message.en).toContain('for alice and autologon is on');
    const tasks = result(r, 'windows-scheduled-tasks');
    expect(tasks.message.en).toContain(HIDDEN_TASK);
    expect(tasks.message.en).toContain('hidden');
    expect(tasks.message.en).toContain('SYSTEM runs powershell.exe');
    expect(tasks.message.en).toContain('encoded command');
    // The stock Defrag task (SYSTEM, System32) is not named.
    expect(tasks.message.en).not.toContain('ScheduledDefrag');
  });

  it('never keeps the autologon password', () => {
    expect(JSON.stringify(exposed.snapshot)).not.toContain(AUTOLOGON_PASSWORD);
    expect(JSON.stringify(exposed.report)).not.toContain(AUTOLOGON_PASSWORD);
    expect(exposed.snapshot.audit?.windows?.winlogon?.defaultPasswordStored).toBe(true);
  });

  it('shows build, UBR and patch age on the patch checks', () => {
    expect(result(hardened.report, 'windows-update-policy').message.en).toContain(
      'Windows 10 Pro build 19045.5131',
    );
    expect(result(hardened.report, 'windows-patch-age').message.en).toContain('8 days');
  });

  it('the Windows checks are not applicable on a Linux snapshot', () => {
    const linux = {
      ...hardened.snapshot,
      target: { ...hardened.snapshot.target, kind: 'linux-root' as const },
    };
    const report = runAudit(linux, { toolVersion: 'test', now: new Date() });
    for (const id of WINDOWS_IDS) {
      const c = result(report, id);
      expect([c.status, c.applicable]).toEqual(['pass', false]);
    }
  });
});

describe('firewall rules', () => {
  it('parses a rule string with repeated ports and profiles', () => {
    const r = parseFirewallRule(
      'x',
      'v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|Profile=Public|LPort=135|LPort=137-139|LPort2_10=RPC-EPMap|Name=Block|',
    );
    expect(r).toMatchObject({
      action: 'block',
      active: true,
      direction: 'in',
      protocol: 6,
      localPorts: ['135', '137-139', 'RPC-EPMap'],
      profiles: ['Domain', 'Public'],
      name: 'Block',
    });
    expect(parseFirewallRule('y', 'not a rule')).toBeUndefined();
    expect(parseFirewallRule('z', 'v2.30|Protocol=999|LPort|=|')).toMatchObject({
      action: 'other',
      localPorts: [],
    });
  });

  it('covers ports by number, range, keyword and "any"', () => {
    const r = (lp: string[]) =>
      parseFirewallRule('r', `v2.30|Action=Block|${lp.map((p) => `LPort=${p}`).join('|')}|`)!;
    expect(coversPort(r(['137-139']), 138)).toBe(true);
    expect(coversPort(r(['137-139']), 445)).toBe(false);
    expect(coversPort(r(['RPC-EPMap']), 135)).toBe(true);
    expect(coversPort(r([]), 445)).toBe(true);
    expect(coversPort(r(['Any']), 445)).toBe(true);
  });

  it('an active allow rule for 445 fails the check even next to the block rules', () => {
    const snap = structuredClone(hardened.snapshot);
    snap.audit!.windows!.firewall!.rules.push(
      parseFirewallRule('{ALLOW}', 'v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Share|')!,
    );
    const o = windowsSmbPortsBlocked.run(snap);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('Share ({ALLOW})');
    expect(o.message.en).not.toContain('not blocked');
  });

  it('outbound rules match on remote ports', () => {
    const out = parseFirewallRule(
      'o',
      'v2.30|Action=Block|Active=TRUE|Dir=Out|Protocol=6|RPort=445|LPort=1-2|',
    )!;
    expect(out.remotePorts).toEqual(['445']);
    expect(coversPort(out, 445, 'out')).toBe(true);
    expect(coversPort(out, 445, 'in')).toBe(false);
    expect(result(exposed.report, 'windows-smb-outbound-blocked').message.en).toContain(
      'No active outbound block rule covers TCP/135',
    );
    expect(result(hardened.report, 'windows-smb-outbound-blocked').message.en).toBe(
      'Outbound TCP and UDP 135,137-139,445 are blocked and no allow rule opens them.',
    );
  });

  it('a UDP-only block leaves the TCP ports named', () => {
    const snap = structuredClone(hardened.snapshot);
    const fw = snap.audit!.windows!.firewall!;
    fw.rules = fw.rules.filter((r) => r.protocol !== 6);
    const o = windowsSmbPortsBlocked.run(snap);
    expect(o.status).toBe('fail');
    expect(o.message.en).toContain('TCP/445');
    expect(o.message.en).not.toContain('UDP/');
  });
});

describe('Defender exclusions', () => {
  const ex = (kind: 'Paths' | 'Processes' | 'Extensions', value: string) =>
    riskyExclusion({ kind, value, key: 'k' });
  it('fails folders users can write to, script hosts and executable extensions', () => {
    expect(ex('Paths', 'C:\\Windows\\Fonts')).toBe('Windows\\Fonts');
    expect(ex('Paths', '%TEMP%')).toBe('Temp');
    expect(ex('Paths', 'C:\\ProgramData\\Miner')).toBe('ProgramData');
    expect(ex('Paths', 'C:\\Users\\bob\\Downloads')).toBe('a user folder');
    expect(ex('Paths', 'C:\\')).toBe('a whole drive');
    expect(ex('Processes', 'powershell.exe')).toBe('a script host');
    expect(ex('Extensions', '.exe')).toBe('every .exe file');
  });
  it('lets ordinary exclusions pass', () => {
    expect(ex('Paths', 'D:\\Builds')).toBeUndefined();
    expect(ex('Processes', 'sqlservr.exe')).toBeUndefined();
    expect(ex('Extensions', 'mdf')).toBeUndefined();
  });
});

describe('local accounts (SAM, read-only)', () => {
  it('reads names, RIDs and flags from the SAM hive', () => {
    const users = hardened.snapshot.audit?.windows?.accounts?.users ?? [];
    expect(
      users.map((u) => [u.name, u.rid, u.disabled, u.passwordNotRequired, u.passwordNeverExpires]),
    ).toEqual([
      ['Administrator', 500, true, false, true],
      ['alice', 1001, false, false, false],
      ['Guest', 501, true, true, true],
    ]);
  });

  it('fails an enabled built-in Administrator and an account without a required password', () => {
    const snap = structuredClone(hardened.snapshot);
    const users = snap.audit!.windows!.accounts!.users;
    users[0]!.disabled = false;
    users[1]!.passwordNotRequired = true;
    const o = windowsLocalAccounts.run(snap);
    expect(o.status).toBe('fail');
    expect(o.message.en).toBe(
      'Exposed accounts: Administrator (built-in Administrator enabled), alice (no password required).',
    );
    expect(o.fixCommand).toBe(
      "Disable-LocalUser -Name 'Administrator'; net.exe user 'alice' /passwordreq:yes",
    );
    // A disabled account whose password never expires is not listed; an enabled one is.
    expect(windowsPasswordExpiry.run(hardened.snapshot).status).toBe('pass');
    users[1]!.passwordNeverExpires = true;
    expect(windowsPasswordExpiry.run(snap).message.en).toBe(
      'Passwords that never expire: Administrator, alice.',
    );
  });

  it('is not applicable without a SAM hive', () => {
    const snap = structuredClone(hardened.snapshot);
    delete snap.audit!.windows!.accounts;
    expect(windowsLocalAccounts.run(snap)).toMatchObject({ status: 'pass', notApplicable: true });
  });
});

describe('damaged hives', () => {
  async function damaged(name: string, software: (b: Buffer) => Buffer) {
    const root = path.join(dir, name);
    await buildWindowsAuditVolume(root, { exposed: false });
    const config = path.join(root, 'Windows', 'System32', 'config');
    await writeFile(path.join(config, 'SYSTEM'), Buffer.alloc(8192, 0x41));
    await writeFile(path.join(config, 'SOFTWARE'), software(await readFile(path.join(config, 'SOFTWARE'))));
    const snapshot = await collectSnapshot({
      root,
      cpuWindowMs: 0,
      hashExecutables: false,
      toolVersion: 'test',
    });
    const { audit: facts, records } = await collectAuditFacts(snapshot, {
      loginTests: false,
      dictionary: BUILTIN,
    });
    snapshot.audit = facts;
    return { facts, records, report: runAudit(snapshot, { toolVersion: 'test', now: new Date() }) };
  }

  it('a SYSTEM hive that is not one leaves its checks unknown and the SOFTWARE ones decided', async () => {
    const { facts, report } = await damaged('damaged-system', (b) => b);
    expect(facts.windows?.hives.find((h) => h.name === 'SYSTEM')?.error).toBeTruthy();
    for (const id of ['windows-firewall-profiles', 'windows-smb-ports-blocked', 'windows-rdp-nla'])
      expect(result(report, id).status, id).toBe('unknown');
    expect(result(report, 'windows-firewall-profiles').message.en).toContain('could not be read');
    expect(result(report, 'windows-defender-enabled').status).toBe('pass');
    expect(result(report, 'windows-autologon-password').status).toBe('pass');
  });

  it('with no readable hive the part is skipped and every Windows check is unknown', async () => {
    const { facts, records, report } = await damaged('damaged-both', (b) => b.subarray(0, 4096 + 100));
    expect(facts.windows).toBeUndefined();
    expect(records.map((r) => [r.collector, r.status])).toEqual([['audit.windows', 'skipped']]);
    for (const id of WINDOWS_IDS) expect(result(report, id).status, id).toBe('unknown');
  });
});

describe('encoded PowerShell flags', () => {
  it('knows every abbreviation of -EncodedCommand and nothing else', () => {
    for (const cmd of [
      '-e AAAA',
      '-ec AAAA',
      '-enc AAAA',
      '-EncodedCommand AAAA',
      '/enc AAAA',
      '-nop -w hidden -encodedc AAAA',
    ])
      expect(hasEncodedFlag(cmd), cmd).toBe(true);
    for (const cmd of [
      '-ExecutionPolicy Bypass -File x.ps1',
      '-exec bypass',
      '-nop -c Get-Date',
      'C:\\enc\\x.exe',
    ])
      expect(hasEncodedFlag(cmd), cmd).toBe(false);
  });
});
