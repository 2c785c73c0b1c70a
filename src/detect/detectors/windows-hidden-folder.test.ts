// Tests for windows-hidden-folder: Fonts holding fonts and desktop.ini gives nothing; the source's
// arial and Logs folders inside Fonts are high with their entries listed (critical when they hold
// executables or are hidden and system), and a program in Fonts itself is high.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanWindows,
  failedWindowsSnapshot,
  windowsFile,
  windowsSnapshot,
} from '../../../test/helpers/windows-detect-builders.js';
import { runDetectors } from '../run.js';
import { windowsHiddenFolder } from './windows-hidden-folder.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('windows-hidden-folder', () => {
  it('clean: Fonts with font files and desktop.ini only', () => {
    expect(runDetectors(windowsSnapshot(cleanWindows()), ruleset, [windowsHiddenFolder])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: Fonts\\arial with a miner, Fonts\\Logs hidden and system, a program in Fonts', () => {
    const w = cleanWindows();
    w.files!.push(
      windowsFile({
        file: '/Windows/Fonts/arial',
        place: 'fonts-subdir',
        type: 'dir',
        entries: ['svchost.exe', 'config.json', 'WinRing0x64.sys'],
        entryCount: 3,
        executables: 2,
      }),
      windowsFile({
        file: '/Windows/Fonts/Logs',
        place: 'fonts-subdir',
        type: 'dir',
        entries: ['log.txt'],
        entryCount: 1,
        executables: 0,
        attributes: { hidden: true, system: true },
      }),
      windowsFile({
        file: '/Windows/Fonts/ttf',
        place: 'fonts-subdir',
        type: 'dir',
        entries: [],
        entryCount: 0,
        executables: 0,
      }),
      windowsFile({
        file: '/Windows/Fonts/fontdrvhost.exe',
        place: 'fonts',
        pe: { signed: false, subsystem: 'windows-gui' },
      }),
    );
    const { findings } = runDetectors(windowsSnapshot(w), ruleset, [windowsHiddenFolder]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const by = new Map(findings.map((f) => [f.data?.folder ?? f.data?.file, f]));
    expect(by.get('C:\\Windows\\Fonts\\arial')).toMatchObject({
      kind: 'hidden-directory',
      level: 'critical',
      data: { count: 3, executables: 2 },
    });
    expect(by.get('C:\\Windows\\Fonts\\arial')!.message.en).toBe(
      'Hidden folder C:\\Windows\\Fonts\\arial inside Windows\\Fonts (3 entries, 2 executables): svchost.exe, config.json, WinRing0x64.sys',
    );
    expect(by.get('C:\\Windows\\Fonts\\arial')!.evidence).toContainEqual(
      expect.objectContaining({ ioc: expect.stringMatching(/windows-names\.json: arial/) }),
    );
    expect(by.get('C:\\Windows\\Fonts\\arial')!.remediate).toEqual([
      expect.objectContaining({
        type: 'windows-command',
        object: 'folder',
        command: expect.stringContaining(
          "Remove-Item -LiteralPath 'C:\\Windows\\Fonts\\arial' -Recurse -Force",
        ),
      }),
      { type: 'quarantine-file', path: '/Windows/Fonts/arial/svchost.exe' },
      { type: 'quarantine-file', path: '/Windows/Fonts/arial/config.json' },
      { type: 'quarantine-file', path: '/Windows/Fonts/arial/WinRing0x64.sys' },
    ]);
    expect(by.get('C:\\Windows\\Fonts\\Logs')).toMatchObject({
      level: 'critical',
      data: { attributes: 'hidden system' },
    });
    expect(by.get('C:\\Windows\\Fonts\\ttf')).toMatchObject({ level: 'high', data: { entries: '(empty)' } });
    expect(by.get('C:\\Windows\\Fonts\\fontdrvhost.exe')).toMatchObject({
      level: 'high',
      messageId: 'fontsProgram',
    });
    expect(findings).toHaveLength(4);
  });

  it('skipped: the files could not be listed', () => {
    expect(runDetectors(failedWindowsSnapshot(), ruleset, [windowsHiddenFolder]).skipped).toEqual([
      { ruleId: 'windows-hidden-folder', missing: ['windows-files'] },
    ]);
  });
});
