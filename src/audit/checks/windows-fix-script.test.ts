// The hardening script of `audit --fix-script` (issue 22): for the exposed twin it holds each
// expected fix once, every step guarded and commented in both languages; for the hardened twin it
// holds no step; a share and a task named with quotes, `$()`, backticks and a newline stay inside
// single-quoted strings (checked by a PowerShell tokenizer for quotes and comments).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../../collect/index.js';
import { collectAuditFacts } from '../../collect/audit/index.js';
import { BUILTIN } from '../../collect/audit/logins/dictionary.js';
import {
  ALLOW_RULE_ID,
  buildWindowsAuditVolume,
  HOSTILE_NAME,
  type WindowsAuditVolumeOptions,
} from '../../../test/helpers/windows-audit-volume.js';
import { runAudit } from '../run.js';
import { renderFixScript } from './windows-fix-script.js';

let dir: string;

async function script(name: string, o: WindowsAuditVolumeOptions): Promise<string> {
  const root = path.join(dir, name);
  await buildWindowsAuditVolume(root, o);
  const snapshot = await collectSnapshot({
    root,
    cpuWindowMs: 0,
    hashExecutables: false,
    toolVersion: 'test',
  });
  const { audit } = await collectAuditFacts(snapshot, { loginTests: false, dictionary: BUILTIN });
  snapshot.audit = audit;
  const report = runAudit(snapshot, { toolVersion: 'test', now: new Date('2026-12-01T00:00:00Z') });
  return renderFixScript(report, snapshot);
}

/**
 * Splits PowerShell text into what runs (code) and single-quoted string contents, dropping comments.
 * PowerShell also takes the typographic single quotes as quotes, so they are handled the same way.
 */
function tokenize(text: string): { code: string; strings: string[] } {
  const Q = /['\u2018\u2019\u201a\u201b]/;
  let code = '';
  const strings: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      code += '\n';
      continue;
    }
    if (Q.test(ch)) {
      let s = '';
      for (i++; i < text.length; i++) {
        if (Q.test(text[i]!)) {
          if (i + 1 < text.length && Q.test(text[i + 1]!)) {
            s += text[i];
            i++;
            continue;
          }
          break;
        }
        s += text[i];
      }
      if (i >= text.length) throw new Error('unterminated string');
      strings.push(s);
      code += "''";
      continue;
    }
    code += ch;
  }
  return { code, strings };
}

let exposed: string;
let hardened: string;
let hostile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mh-fix-script-'));
  [exposed, hardened, hostile] = await Promise.all([
    script('exposed', { exposed: true }),
    script('hardened', { exposed: false }),
    script('hostile', { exposed: true, hostile: true }),
  ]);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('audit --fix-script', () => {
  it('holds each expected fix of the exposed twin once', () => {
    const expected = [
      'Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True',
      "New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC inbound TCP' -Direction Inbound -Protocol TCP -LocalPort 135,137-139,445 -Action Block -Profile Any",
      "New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC inbound UDP' -Direction Inbound -Protocol UDP -LocalPort 135,137-139,445 -Action Block -Profile Any",
      "New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC outbound TCP' -Direction Outbound -Protocol TCP -RemotePort 135,137-139,445 -Action Block -Profile Any",
      "New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC outbound UDP' -Direction Outbound -Protocol UDP -RemotePort 135,137-139,445 -Action Block -Profile Any",
      `Disable-NetFirewallRule -Name '${ALLOW_RULE_ID}'`,
      "Set-Service -Name 'LanmanServer' -StartupType Disabled",
      'Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force',
      'Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol -NoRestart',
      "Remove-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender' -Name 'DisableAntiSpyware'",
      "Remove-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Real-Time Protection' -Name 'DisableRealtimeMonitoring'",
      'Set-MpPreference -DisableRealtimeMonitoring $false',
      "Remove-MpPreference -ExclusionPath 'C:\\Windows\\Fonts'",
      "Remove-MpPreference -ExclusionPath 'C:\\Windows\\Temp'",
      'Update-MpSignature',
      "Remove-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon' -Name 'DefaultPassword'",
      "Unregister-ScheduledTask -TaskPath '\\' -TaskName 'SystemHealthCheck' -Confirm:$false",
    ];
    for (const fix of expected) expect(count(exposed, fix), fix).toBe(1);
    // Checks that passed give no step.
    expect(exposed).not.toContain('AutoShareWks');
    expect(exposed).not.toContain('UserAuthentication');
    expect(exposed).not.toContain('Browser');
  });

  it('guards every step and comments it in English and Chinese', () => {
    const lines = exposed.split('\n');
    const steps = lines.filter((l) => /^# \d+\. \[windows-/.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(14);
    for (const [i, l] of lines.entries()) {
      if (!/^# \d+\. \[windows-/.test(l)) continue;
      expect(lines[i + 1]).toMatch(/^# {4}.*[\u4e00-\u9fff]/);
      // Every step of the exposed twin has a guard: run twice, the second run changes nothing.
      expect(lines[i + 2]).toMatch(/^if \(.+\) \{$/);
      expect(lines[i + 4]).toBe('}');
    }
    expect(exposed).toContain('#Requires -RunAsAdministrator');
    // The guard the brief names: a rule looked up by its display name before it is created.
    expect(exposed).toContain(
      "if (-not (Get-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC inbound TCP' -ErrorAction SilentlyContinue)) {",
    );
    expect(exposed).toContain(
      "if ((Get-Service -Name 'LanmanServer' -ErrorAction SilentlyContinue) -and (Get-Service -Name 'LanmanServer').StartType -ne 'Disabled') {",
    );
  });

  it('the hardened twin needs no step', () => {
    expect(hardened).toContain('# Nothing to fix');
    expect(hardened).not.toMatch(/^if /m);
  });

  it('keeps hostile share and task names inert', () => {
    const { code, strings } = tokenize(hostile);
    // What runs holds none of the name's pieces: no expansion, no escape, no second command.
    for (const bad of ['PWNED', '$(', '`', '"', 'Start-Process calc', 'whoami'])
      expect(code, bad).not.toContain(bad);
    // The name reaches the commands whole, inside single quotes, its newline joined as [char]10.
    const [head, tail] = HOSTILE_NAME.split('\n') as [string, string];
    expect(strings).toContain(head);
    expect(strings).toContain(tail);
    expect(hostile).toContain('[char]10');
    expect(hostile).toContain('Remove-SmbShare -Name (');
    expect(count(hostile, 'Unregister-ScheduledTask')).toBe(2);
    // Comments show the name on one line: the newline cannot start a line of code.
    expect(hostile.split('\n').some((l) => l.startsWith('PWNED2'))).toBe(false);
  });

  it('the exposed script tokenizes cleanly: no double quote, backtick or subexpression in code', () => {
    const { code } = tokenize(exposed);
    expect(code).not.toContain('"');
    expect(code).not.toContain('`');
    expect(code).not.toContain('$(');
  });
});
