// Tests for reading a Windows volume from Linux: recognising one in any case, finding paths whatever
// case a copy kept, and turning the paths Windows writes into paths of the volume.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { targetFs } from '../fs.js';
import { recognizeTarget } from '../recognize.js';
import { findOnVolume, isWindowsVolume, programOf, volumeRelative, windowsPathOf } from './volume.js';

describe('a Windows volume', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-winvol-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // A copy onto ext4 that lower-cased some names, as triage tools do.
  mkdirSync(path.join(root, 'windows/System32/CONFIG'), { recursive: true });
  writeFileSync(path.join(root, 'windows/System32/CONFIG/system'), 'regf');
  mkdirSync(path.join(root, 'Windows2'));

  it('is recognised by its SYSTEM hive in any case, and is not a Linux root', async () => {
    expect(await isWindowsVolume(targetFs(root))).toBe(true);
    const target = await recognizeTarget(root);
    expect(target).toMatchObject({ kind: 'windows-volume', live: false, proc: 'absent' });
  });

  it('finds paths case-insensitively and says when nothing is there', async () => {
    const fs = targetFs(root);
    expect(await findOnVolume(fs, 'Windows/system32/config/SYSTEM')).toBe('/windows/System32/CONFIG/system');
    expect(await findOnVolume(fs, 'Windows/Fonts')).toBeUndefined();
    expect(await findOnVolume(fs, 'Windows/../Windows2')).toBeUndefined();
  });

  it('a Linux root without the hive stays a Linux root', async () => {
    const linux = mkdtempSync(path.join(os.tmpdir(), 'minehunter-notwin-'));
    try {
      mkdirSync(path.join(linux, 'etc'));
      expect((await recognizeTarget(linux)).kind).toBe('linux-root');
    } finally {
      rmSync(linux, { recursive: true, force: true });
    }
  });
});

describe('Windows paths on the volume', () => {
  it('resolves the forms registry values and tasks use', () => {
    expect(volumeRelative('\\??\\C:\\Windows\\Temp\\abc.sys')).toBe('Windows/Temp/abc.sys');
    expect(volumeRelative('\\SystemRoot\\System32\\drivers\\disk.sys')).toBe(
      'Windows/System32/drivers/disk.sys',
    );
    expect(volumeRelative('System32\\drivers\\tcpip.sys')).toBe('Windows/System32/drivers/tcpip.sys');
    expect(volumeRelative('%SystemRoot%\\system32\\svchost.exe')).toBe('Windows/system32/svchost.exe');
    expect(volumeRelative('"C:\\Program Files\\App\\a.exe"')).toBe('Program Files/App/a.exe');
    expect(volumeRelative('%LOCALAPPDATA%\\Microsoft\\OneDrive\\OneDrive.exe', 'alice')).toBe(
      'Users/alice/AppData/Local/Microsoft/OneDrive/OneDrive.exe',
    );
  });

  it('refuses other drives, shares, bare names and climbing paths', () => {
    expect(volumeRelative('D:\\tools\\x.exe')).toBeUndefined();
    expect(volumeRelative('\\\\server\\share\\x.exe')).toBeUndefined();
    expect(volumeRelative('svchost.exe')).toBeUndefined();
    expect(volumeRelative('C:\\Windows\\..\\..\\etc\\passwd')).toBeUndefined();
  });

  it('takes the program out of a command line, quoted or with spaces in its path', () => {
    expect(programOf('"C:\\Program Files\\A B\\x.exe" -k run')).toBe('C:\\Program Files\\A B\\x.exe');
    expect(programOf('C:\\Program Files\\App\\app.exe /background')).toBe('C:\\Program Files\\App\\app.exe');
    expect(programOf('rundll32.exe shell32.dll,Control_RunDLL')).toBe('rundll32.exe');
    expect(programOf('cmd /c start x')).toBe('cmd');
    expect(windowsPathOf('/Windows/Fonts/arial')).toBe('C:\\Windows\\Fonts\\arial');
  });
});
