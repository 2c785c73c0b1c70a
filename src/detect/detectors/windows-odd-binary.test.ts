// Tests for windows-odd-binary: Defender's and OneDrive's signed programs, a signed Microsoft
// redistributable in Temp and an unsigned installer in Temp (only noted, info) give nothing at medium
// or above; a native driver in ProgramData, an unsigned file claiming Microsoft, win1logon.exe and a
// system name outside its folder are reported.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, levelRank } from '../../model/finding.js';
import {
  cleanWindows,
  failedWindowsSnapshot,
  windowsFile,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsHiddenFolder } from './windows-hidden-folder.js';
import { windowsOddBinary } from './windows-odd-binary.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('windows-odd-binary', () => {
  it('clean: signed Microsoft programs in ProgramData, AppData and Temp; an unsigned installer in Temp is info', () => {
    const { findings, skipped } = runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsOddBinary]);
    expect(skipped).toEqual([]);
    expect(findings.map((f) => [f.data?.file, f.level])).toEqual([
      ['C:\\Windows\\Temp\\setup_7z2301.exe', 'info'],
    ]);
  });

  it('findings: a driver in ProgramData, a fake Microsoft file, win1logon.exe, svchost.exe in AppData', () => {
    const w = cleanWindows();
    w.files!.push(
      windowsFile({
        file: '/ProgramData/Cache/kx91.sys',
        place: 'programdata',
        pe: { signed: false, subsystem: 'native' },
      }),
      windowsFile({
        file: '/ProgramData/Oracle/Java/jusched.exe',
        place: 'programdata',
        pe: {
          signed: false,
          subsystem: 'windows-gui',
          companyName: 'Microsoft Corporation',
          productName: 'Microsoft® Windows® Operating System',
        },
      }),
      windowsFile({
        file: '/Users/Public/win1logon.exe',
        place: 'users-public',
        pe: { signed: false, subsystem: 'windows-gui' },
      }),
      windowsFile({
        file: '/Users/bob/AppData/Roaming/svchost.exe',
        place: 'appdata',
        pe: { signed: false, subsystem: 'windows-cui' },
      }),
    );
    const { findings: all } = runDetectors(windowsSnapshot(w), ruleset, [windowsOddBinary]);
    const findings = all.filter((f) => levelRank(f.level) >= levelRank('medium'));
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.file, f]));
    expect(by.get('C:\\ProgramData\\Cache\\kx91.sys')).toMatchObject({ level: 'high', kind: 'driver' });
    expect(by.get('C:\\ProgramData\\Oracle\\Java\\jusched.exe')).toMatchObject({
      level: 'high',
      data: { signed: 'no', company: 'Microsoft Corporation' },
    });
    expect(by.get('C:\\Users\\Public\\win1logon.exe')).toMatchObject({ level: 'critical', kind: 'driver' });
    expect(by.get('C:\\Users\\Public\\win1logon.exe')!.remediate).toEqual([
      expect.objectContaining({ type: 'windows-command', object: 'process' }),
      { type: 'quarantine-file', path: '/Users/Public/win1logon.exe' },
    ]);
    expect(by.get('C:\\Users\\bob\\AppData\\Roaming\\svchost.exe')!.message.en).toContain(
      'svchost.exe outside its Windows folder',
    );
    expect(findings).toHaveLength(4);
  });

  it("findings: a look-alike inside a Fonts subfolder joins the folder's finding", () => {
    const w = cleanWindows();
    w.files!.push(
      windowsFile({
        file: '/Windows/Fonts/arial',
        place: 'fonts-subdir',
        type: 'dir',
        entries: ['svchost.exe'],
        entryCount: 1,
        executables: 1,
      }),
      windowsFile({
        file: '/Windows/Fonts/arial/svchost.exe',
        place: 'fonts-subdir',
        pe: { signed: false, subsystem: 'windows-cui' },
      }),
    );
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsHiddenFolder, windowsOddBinary]);
    const serious = findings.filter((f) => levelRank(f.level) >= levelRank('medium'));
    expect(serious).toHaveLength(1);
    expect(serious[0]).toMatchObject({
      ruleId: 'windows-hidden-folder',
      kind: 'hidden-directory',
      level: 'critical',
    });
    expect(serious[0]!.signals.map((s) => s.ruleId)).toEqual(['windows-hidden-folder', 'windows-odd-binary']);
  });

  it('skipped: the files could not be listed', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsOddBinary]).skipped).toEqual([
      { ruleId: 'windows-odd-binary', missing: ['windows-files'] },
    ]);
  });
});
