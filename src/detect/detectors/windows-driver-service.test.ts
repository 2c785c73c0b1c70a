// Tests for windows-driver-service: a stock volume's drivers (System32\drivers, the DriverStore,
// VirtualBox under Program Files, a leftover key without its file) give nothing; ProtectionX's hy5.5
// loading a random-named driver from Windows\Temp is critical and merges with the driver file's own
// finding; WinRing0 from Temp is high, from a hardware monitor under Program Files only info.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, levelRank } from '../../model/finding.js';
import {
  cleanWindows,
  driver,
  failedWindowsSnapshot,
  windowsFile,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { windowsDriverService, randomLookingName } from './windows-driver-service.js';
import { windowsOddBinary } from './windows-odd-binary.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('windows-driver-service', () => {
  it('clean: stock drivers, the DriverStore, a Program Files driver and a leftover key', () => {
    const { findings, skipped } = runDetectors(windowsSnapshot(cleanWindows()), ruleset, [
      windowsDriverService,
    ]);
    expect(skipped).toEqual([]);
    expect(findings).toEqual([]);
    for (const name of [
      'e1i63x64',
      'WinRing0x64',
      'i8042prt',
      'Wdf01000',
      'b06bdrv',
      '1394ohci',
      'ws2ifsl',
      'Tcpip6',
      'mlx4_bus',
    ])
      expect(randomLookingName(name), name).toBeUndefined();
    for (const name of ['hy5.5', '3f9a2c7d1e']) expect(randomLookingName(name), name).toBe('strong');
    for (const name of ['x9k3j7', 'b57nd60a']) expect(randomLookingName(name), name).toBe('weak');
  });

  it('findings: hy5.5 loads a random-named driver from Windows\\Temp, one finding with the file', () => {
    const w = cleanWindows();
    w.services!.push(driver('hy5.5', '\\??\\C:\\Windows\\Temp\\qzx81kd.sys', '/Windows/Temp/qzx81kd.sys'));
    w.files!.push(
      windowsFile({
        file: '/Windows/Temp/qzx81kd.sys',
        place: 'temp',
        pe: { signed: false, subsystem: 'native' },
      }),
    );
    const { findings: all } = runDetectors(windowsSnapshot(w), ruleset, [
      windowsDriverService,
      windowsOddBinary,
    ]);
    // The stock volume's unsigned installer in Temp is only noted (info).
    const findings = all.filter((f) => levelRank(f.level) >= levelRank('medium'));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'windows-driver-service',
      kind: 'driver',
      level: 'critical',
      messageId: 'driverService',
    });
    expect(f.data).toMatchObject({
      service: 'hy5.5',
      key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\hy5.5',
      type: 'kernel-driver',
    });
    expect(f.message.en).toMatch(
      /^Driver service hy5\.5 \(kernel-driver, start system\) loads \\\?\?\\C:\\Windows\\Temp\\qzx81kd\.sys: /,
    );
    expect(f.signals.map((s) => s.ruleId).sort()).toEqual(['windows-driver-service', 'windows-odd-binary']);
    // The service name's provenance is in the evidence.
    expect(f.evidence).toContainEqual(
      expect.objectContaining({
        type: 'match',
        value: 'hy5.5',
        ioc: expect.stringMatching(/windows-names\.json: hy5\.5 \(ProtectionX\)/),
      }),
    );
    expect(f.evidence).toContainEqual({ type: 'file', path: '/Windows/Temp/qzx81kd.sys' });
    expect(f.remediate).toContainEqual(
      expect.objectContaining({
        type: 'windows-command',
        object: 'service',
        command: "sc.exe stop 'hy5.5'; sc.exe delete 'hy5.5'",
      }),
    );
    expect(f.remediate).toContainEqual({ type: 'quarantine-file', path: '/Windows/Temp/qzx81kd.sys' });
  });

  it('findings: WinRing0 from Temp is high; from a hardware monitor under Program Files only info', () => {
    const w = cleanWindows();
    w.services!.push(
      driver('WinRing0_1_2_0', '\\??\\C:\\Windows\\Temp\\WinRing0x64.sys', '/Windows/Temp/WinRing0x64.sys'),
    );
    w.services!.push(driver('WinRing0x64', '\\??\\C:\\Program Files\\OpenHardwareMonitor\\WinRing0x64.sys'));
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsDriverService]);
    const byService = new Map(findings.map((f) => [f.data?.service, f]));
    expect(byService.get('WinRing0_1_2_0')?.level).toBe('high');
    expect(byService.get('WinRing0x64')?.level).toBe('info');
    expect(findings.filter((f) => levelRank(f.level) >= levelRank('medium'))).toHaveLength(1);
  });

  it('skipped: a Windows volume whose registry could not be read; not applicable elsewhere', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsDriverService]).skipped).toEqual([
      { ruleId: 'windows-driver-service', missing: ['windows-registry'] },
    ]);
    expect(runDetectors(makeSnapshot({}), ruleset, [windowsDriverService]).findings).toEqual([]);
  });
});
