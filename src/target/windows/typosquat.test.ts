// Look-alike and misplaced system binaries (the source's win1logon.exe and wuauc1t.exe, svchost.exe
// in a Temp folder) and their clean twins: real names in their homes and in Windows' own stores,
// and real programs whose names merely resemble a system one.
import { describe, expect, it } from 'vitest';
import {
  editDistance,
  judgeBinaryPath,
  normalizeWindowsPath,
  oddWindowsLocation,
  SYSTEM_BINARIES,
  typosquatOf,
} from './typosquat.js';

describe('typosquatOf', () => {
  it.each([
    ['win1logon.exe', 'winlogon.exe', 1, false],
    ['wuauc1t.exe', 'wuauclt.exe', 1, true],
    ['svch0st.exe', 'svchost.exe', 1, true],
    ['SVCHOST64.EXE', 'svchost.exe', 2, false],
    ['scvhost.exe', 'svchost.exe', 1, false],
    ['lsas.exe', 'lsass.exe', 1, false],
    ['csrsss.exe', 'csrss.exe', 1, false],
    ['expl0rer.exe', 'explorer.exe', 1, true],
    ['svchost.scr', 'svchost.exe', 0, false],
    ['kerne132.dll', 'kernel32.dll', 1, true],
    ['svch\u043est.exe', 'svchost.exe', 1, true],
    ['5mss.exe', 'smss.exe', 1, true],
    ['winIogon.exe', 'winlogon.exe', 1, true],
    ['w1nlogon.exe', 'winlogon.exe', 1, true],
    ['rundll33.exe', 'rundll32.exe', 1, false],
  ])('%s imitates %s', (name, imitates, distance, homoglyph) => {
    expect(typosquatOf(name)).toEqual({ imitates, distance, homoglyph });
  });

  it.each([
    'svchost.exe',
    'services.msc',
    'explorer++.exe',
    'ssms.exe',
    'service.exe',
    'taskhost.exe',
    'taskhostw.exe',
    'iexplore.exe',
    'sihost.exe',
    'dashost.exe',
    'conhostv1.dll',
    'wininet.dll',
    'spoolss.dll',
    'lsasrv.dll',
    'kernelbase.dll',
    'userenv.dll',
    'certreq.exe',
    'taskkill.exe',
    'logoff.exe',
    'cttune.exe',
    'dllhst3g.exe',
    'csrstub.exe',
    'notepad.exe',
    'smartscreen.exe',
    'werfault.exe',
    'winver.exe',
    'sc.exe',
    'sms.exe',
    'secinit.exe',
    'synchost.exe',
    'tasklist.exe',
    'wevtutil.exe',
    'wlrmdr.exe',
    'ProcessExtended.dll',
    'xmrig.exe',
  ])('%s is not a typosquat', (name) => {
    expect(typosquatOf(name)).toBeUndefined();
  });
});

describe('judgeBinaryPath', () => {
  it('flags the ProtectionX names wherever they are', () => {
    expect(judgeBinaryPath('C:\\Windows\\System32\\win1logon.exe')).toMatchObject({
      kind: 'typosquat',
      name: 'win1logon.exe',
      imitates: 'winlogon.exe',
      path: '/windows/system32/win1logon.exe',
    });
    expect(judgeBinaryPath('Windows/Fonts/ttf/wuauc1t.exe')).toMatchObject({
      kind: 'typosquat',
      imitates: 'wuauclt.exe',
    });
  });

  it('flags a true system name outside its home as masquerade', () => {
    expect(judgeBinaryPath('C:\\Users\\bob\\AppData\\Roaming\\svchost.exe')).toEqual({
      kind: 'masquerade',
      name: 'svchost.exe',
      path: '/users/bob/appdata/roaming/svchost.exe',
      expectedDirs: ['/windows/system32', '/windows/syswow64'],
    });
    expect(judgeBinaryPath('%TEMP%\\csrss.exe')).toMatchObject({ kind: 'masquerade' });
    expect(judgeBinaryPath('C:\\Windows\\System32\\..\\Temp\\lsass.exe')).toMatchObject({
      kind: 'masquerade',
      path: '/windows/temp/lsass.exe',
    });
    expect(judgeBinaryPath('C:\\Windows\\explorer\\explorer.exe')).toMatchObject({ kind: 'masquerade' });
    expect(judgeBinaryPath('C:\\Windows\\System32\\explorer.exe')).toMatchObject({ kind: 'masquerade' });
  });

  it('leaves every system binary in each of its homes alone, in every spelling of the path', () => {
    for (const bin of SYSTEM_BINARIES)
      for (const home of bin.homes) {
        const windowsPath = `C:${home.replace(/\//g, '\\')}\\${bin.name.toUpperCase()}`;
        expect(judgeBinaryPath(windowsPath), windowsPath).toBeUndefined();
        expect(judgeBinaryPath(`${home.slice(1)}/${bin.name}`)).toBeUndefined();
      }
    for (const path of [
      '%SystemRoot%\\System32\\svchost.exe',
      '%windir%\\system32\\svchost.exe',
      '\\SystemRoot\\System32\\smss.exe',
      '\\??\\C:\\Windows\\system32\\winlogon.exe',
      'system32\\services.exe',
      'C:\\Windows\\Sysnative\\lsass.exe',
      '"C:\\Windows\\explorer.exe"',
      'C:\\Windows\\WinSxS\\amd64_microsoft-windows-services-svchost_31bf3856ad364e35_10.0.19041.1_none_x\\svchost.exe',
      'C:\\Windows.old\\Windows\\System32\\lsass.exe',
      'C:\\Windows\\SoftwareDistribution\\Download\\abc\\wuauclt.exe',
      'C:\\Program Files\\Internet Explorer\\iexplore.exe',
      'C:\\Windows\\System32\\services.msc',
      'C:\\Program Files\\Explorer++\\Explorer++.exe',
      'C:\\Program Files\\Microsoft SQL Server Management Studio 19\\Common7\\IDE\\Ssms.exe',
      'svchost.exe',
    ])
      expect(judgeBinaryPath(path), path).toBeUndefined();
  });
});

describe('path helpers', () => {
  it('normalises the ways Windows writes a path', () => {
    expect(normalizeWindowsPath('%SystemRoot%\\System32\\drivers\\x.sys')).toBe(
      '/windows/system32/drivers/x.sys',
    );
    expect(normalizeWindowsPath('\\SystemRoot\\System32\\drivers\\x.sys')).toBe(
      '/windows/system32/drivers/x.sys',
    );
    expect(normalizeWindowsPath('System32\\drivers\\x.sys')).toBe('/windows/system32/drivers/x.sys');
    expect(normalizeWindowsPath('\\??\\C:\\Windows\\Temp\\a.sys')).toBe('/windows/temp/a.sys');
    expect(normalizeWindowsPath('\\\\?\\C:\\Windows\\Temp\\a.sys')).toBe('/windows/temp/a.sys');
    expect(normalizeWindowsPath('$env:ProgramData\\x\\y.exe')).toBe('/programdata/x/y.exe');
    expect(normalizeWindowsPath('C:/Users/Public/../Public/./a.exe')).toBe('/users/public/a.exe');
    expect(normalizeWindowsPath('a.exe')).toBe('a.exe');
  });

  it('names odd places to run from, and not the ordinary ones', () => {
    expect(oddWindowsLocation('C:\\Windows\\Fonts\\ttf\\x.exe')).toEqual({
      label: 'Windows\\Fonts',
      level: 'high',
    });
    expect(oddWindowsLocation('%TEMP%\\x.exe')?.level).toBe('high');
    expect(oddWindowsLocation('C:\\Users\\bob\\AppData\\Local\\Temp\\x.exe')?.level).toBe('high');
    expect(oddWindowsLocation('C:\\$Recycle.Bin\\S-1-5-21\\x.exe')?.level).toBe('high');
    expect(oddWindowsLocation('\\\\10.0.0.5\\share\\x.exe')).toEqual({
      label: 'a network share',
      level: 'high',
    });
    expect(oddWindowsLocation('C:\\ProgramData\\x.exe')?.level).toBe('medium');
    expect(oddWindowsLocation('C:\\Users\\bob\\AppData\\Roaming\\x.exe')?.level).toBe('medium');
    for (const path of [
      'C:\\Program Files\\Vendor\\x.exe',
      'C:\\Windows\\System32\\svchost.exe',
      'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2\\MsMpEng.exe',
      '\\\\?\\C:\\Windows\\System32\\x.exe',
    ])
      expect(oddWindowsLocation(path), path).toBeUndefined();
  });

  it('measures Damerau-Levenshtein distance with adjacent swaps', () => {
    expect(editDistance('svchost', 'svchost')).toBe(0);
    expect(editDistance('svchost', 'scvhost')).toBe(1);
    expect(editDistance('winlogon', 'win1logon')).toBe(1);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('explorer', 'iexplore')).toBe(2);
    expect(editDistance('aaaaaaaa', 'bbbbbbbb', 2)).toBe(3);
  });
});
