// Builders for literal Windows snapshots in detector and respond tests: a stock-looking Windows 10
// system volume (drivers in System32\drivers, Windows Defender's service in ProgramData, Winlogon
// defaults, OneDrive and SecurityHealth at logon, Microsoft's tasks, the stock SCM Event Log WMI
// consumer, Fonts with fonts only) that no Windows detector may flag at medium or above, and the
// planted objects of issue 14 (the hy5.5 driver in Temp, an encoded PowerShell task, a task starting
// win1logon.exe, a Run value, a WMI consumer, a Fonts subfolder) to add to it.
import {
  SnapshotSchema,
  type CollectionRecord,
  type Section,
  type Snapshot,
} from '../../src/snapshot/schema.js';
import type {
  ScheduledTask,
  Windows,
  WindowsAutostart,
  WindowsFile,
  WindowsService,
  WmiSubscription,
} from '../../src/snapshot/windows.js';
import { COLLECTED_AT } from './snapshot-builders.js';

const CS = 'HKLM\\SYSTEM\\ControlSet001\\Services';
const RUN = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run';
const HKCU_RUN = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run';
const WINLOGON = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon';
export const DEFENDER = 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0';

export function service(partial: Partial<WindowsService> & { name: string }): WindowsService {
  return {
    key: `${CS}\\${partial.name}`,
    controlSet: 'ControlSet001',
    type: 'own-process',
    start: 'auto',
    ...partial,
  };
}

export function driver(name: string, imagePath: string, file?: string, exists = true): WindowsService {
  return service({
    name,
    type: 'kernel-driver',
    typeValue: 1,
    start: 'system',
    startValue: 1,
    imagePath,
    ...(file ? { image: { file, exists } } : {}),
  });
}

export function runValue(
  partial: Partial<WindowsAutostart> & { value: string; data: string },
): WindowsAutostart {
  return { place: 'run', hive: 'HKLM', key: RUN, ...partial };
}

export function task(
  path: string,
  command: string,
  args?: string,
  more: Partial<ScheduledTask> = {},
): ScheduledTask {
  return {
    path,
    file: `/Windows/System32/Tasks${path.replace(/\\/g, '/')}`,
    encoding: 'utf-16le',
    hidden: false,
    enabled: true,
    userId: 'S-1-5-18',
    triggers: [{ kind: 'calendar' }],
    actions: [{ type: 'exec', command, ...(args !== undefined ? { arguments: args } : {}) }],
    ...more,
  };
}

export function windowsFile(
  partial: Partial<WindowsFile> & { file: string; place: WindowsFile['place'] },
): WindowsFile {
  const windowsPath = `C:\\${partial.file.replace(/^\//, '').replace(/\//g, '\\')}`;
  return { windowsPath, type: 'file', ...partial };
}

/** The stock SCM Event Log consumer every Windows has. */
export const SCM_CONSUMER: WmiSubscription = {
  source: 'objects-data',
  file: '/Windows/System32/wbem/Repository/OBJECTS.DATA',
  consumer: { class: 'NTEventLogEventConsumer', name: 'SCM Event Log Consumer' },
  filter: {
    name: 'SCM Event Log Filter',
    query: 'select * from MSFT_SCMEventLogEvent',
  },
  bound: true,
  mayBeDeleted: true,
};

function cleanServices(): WindowsService[] {
  return [
    driver('disk', 'System32\\drivers\\disk.sys', '/Windows/System32/drivers/disk.sys'),
    driver('Tcpip', 'System32\\drivers\\tcpip.sys', '/Windows/System32/drivers/tcpip.sys'),
    driver('b57nd60a', 'System32\\drivers\\b57nd60a.sys', '/Windows/System32/drivers/b57nd60a.sys'),
    driver(
      'MpKslDrv',
      '\\??\\C:\\ProgramData\\Microsoft\\Windows Defender\\Definition Updates\\{6AF2E4A1-3C1B-4F8E-9A7D-2B5C8E1F0A3D}\\MpKslDrv.sys',
    ),
    driver(
      'i8042prt',
      '\\SystemRoot\\System32\\drivers\\i8042prt.sys',
      '/Windows/System32/drivers/i8042prt.sys',
    ),
    driver('Wdf01000', 'system32\\drivers\\Wdf01000.sys', '/Windows/System32/drivers/Wdf01000.sys'),
    driver(
      'nvlddmkm',
      '\\SystemRoot\\System32\\DriverStore\\FileRepository\\nv_dispi.inf_amd64_5c0f1d2a\\nvlddmkm.sys',
      '/Windows/System32/DriverStore/FileRepository/nv_dispi.inf_amd64_5c0f1d2a/nvlddmkm.sys',
    ),
    driver('VBoxSup', '\\??\\C:\\Program Files\\Oracle\\VirtualBox\\drivers\\vboxsup\\VBoxSup.sys'),
    // An uninstalled driver's leftover key: missing image, nothing else.
    driver('oldprinter', 'System32\\drivers\\oldprn.sys', '/Windows/System32/drivers/oldprn.sys', false),
    service({
      name: 'WinDefend',
      imagePath: `"${DEFENDER}\\MsMpEng.exe"`,
      objectName: 'LocalSystem',
      image: {
        file: '/ProgramData/Microsoft/Windows Defender/Platform/4.18.24090.11-0/MsMpEng.exe',
        exists: true,
      },
    }),
    service({
      name: 'wuauserv',
      type: 'share-process',
      start: 'demand',
      imagePath: '%systemroot%\\system32\\svchost.exe -k netsvcs -p',
      serviceDll: '%systemroot%\\system32\\wuaueng.dll',
      image: { file: '/Windows/System32/wuaueng.dll', exists: true },
    }),
    service({
      name: 'Schedule',
      type: 'share-process',
      imagePath: '%systemroot%\\system32\\svchost.exe -k netsvcs -p',
      serviceDll: '%systemroot%\\system32\\schedsvc.dll',
    }),
    service({
      name: 'edgeupdate',
      imagePath: '"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe" /svc',
    }),
    service({ name: 'Spooler', imagePath: '%SystemRoot%\\System32\\spoolsv.exe' }),
  ];
}

function cleanAutostarts(): WindowsAutostart[] {
  return [
    runValue({ value: 'SecurityHealth', data: '%windir%\\system32\\SecurityHealthSystray.exe' }),
    runValue({ value: 'RtkAudUService', data: '"C:\\Windows\\System32\\RtkAudUService64.exe" -background' }),
    runValue({
      value: 'Logitech Download Assistant',
      data: 'C:\\Windows\\system32\\rundll32.exe C:\\Windows\\System32\\LogiLDA.dll,LogiFetch',
    }),
    runValue({
      hive: 'HKCU',
      user: 'alice',
      key: HKCU_RUN,
      value: 'OneDrive',
      data: '"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background',
      image: { file: '/Users/alice/AppData/Local/Microsoft/OneDrive/OneDrive.exe', exists: true },
    }),
    runValue({
      hive: 'HKCU',
      user: 'alice',
      key: HKCU_RUN,
      value: 'com.squirrel.Teams.Teams',
      data: 'C:\\Users\\alice\\AppData\\Local\\Microsoft\\Teams\\Update.exe --processStart "Teams.exe" --process-start-args "--system-initiated"',
    }),
    { place: 'winlogon-shell', hive: 'HKLM', key: WINLOGON, value: 'Shell', data: 'explorer.exe' },
    {
      place: 'winlogon-userinit',
      hive: 'HKLM',
      key: WINLOGON,
      value: 'Userinit',
      data: 'C:\\Windows\\system32\\userinit.exe,',
    },
    {
      place: 'ifeo-debugger',
      hive: 'HKLM',
      key: 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\taskmgr.exe',
      value: 'taskmgr.exe',
      data: '"C:\\Tools\\Sysinternals\\procexp64.exe"',
    },
    {
      place: 'startup-folder',
      hive: 'file',
      user: 'alice',
      key: 'C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup',
      value: 'Send to OneNote.lnk',
      data: 'C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\Send to OneNote.lnk',
    },
  ];
}

function cleanTasks(): ScheduledTask[] {
  return [
    task('\\Microsoft\\Windows\\Defrag\\ScheduledDefrag', '%windir%\\system32\\defrag.exe', '-c -h -o -$'),
    task(
      '\\Microsoft\\Windows\\Servicing\\StartComponentCleanup',
      '%windir%\\system32\\rundll32.exe',
      'pnpclean.dll,RunDLL_PnpClean /DRIVERS /MAXCLEAN',
      {
        hidden: true,
      },
    ),
    task(
      '\\Microsoft\\Windows\\Windows Defender\\Windows Defender Scheduled Scan',
      `${DEFENDER}\\MpCmdRun.exe`,
      'Scan -ScheduleJob -ScanTrigger 55 -IdleScheduledJob',
    ),
    task(
      '\\MicrosoftEdgeUpdateTaskMachineCore',
      'C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe',
      '/c',
      {
        triggers: [{ kind: 'logon' }, { kind: 'calendar' }],
      },
    ),
    task(
      '\\OneDrive Standalone Update Task-S-1-5-21-1004336348-1177238915-682003330-1001',
      '%localappdata%\\Microsoft\\OneDrive\\OneDriveStandaloneUpdater.exe',
      '/reporting',
      { userId: 'alice' },
    ),
    task(
      '\\Microsoft\\Windows\\WindowsUpdate\\Scheduled Start',
      'C:\\Windows\\system32\\sc.exe',
      'start wuauserv',
      {
        triggers: [{ kind: 'boot' }],
      },
    ),
    {
      ...task('\\Microsoft\\Windows\\Shell\\CreateObjectTask', '', undefined),
      actions: [{ type: 'com', classId: '{8D1B7E0E-4A8E-4F8B-9E5C-5D7A2E0D3C1B}' }],
    },
  ];
}

function cleanFiles(): WindowsFile[] {
  return [
    windowsFile({ file: '/Windows/Fonts/arial.ttf', place: 'fonts' }),
    windowsFile({ file: '/Windows/Fonts/desktop.ini', place: 'fonts' }),
    windowsFile({
      file: '/Windows/Temp/setup_7z2301.exe',
      place: 'temp',
      pe: { signed: false, subsystem: 'windows-gui', companyName: 'Igor Pavlov' },
    }),
    windowsFile({
      file: '/ProgramData/Microsoft/Windows Defender/Platform/4.18.24090.11-0/MsMpEng.exe',
      place: 'programdata',
      pe: { signed: true, subsystem: 'windows-cui', companyName: 'Microsoft Corporation' },
    }),
    windowsFile({
      file: '/Users/alice/AppData/Local/Microsoft/OneDrive/OneDrive.exe',
      place: 'appdata',
      pe: { signed: true, subsystem: 'windows-gui', companyName: 'Microsoft Corporation' },
    }),
    windowsFile({
      file: '/Users/alice/AppData/Local/Temp/vc_redist.x64.exe',
      place: 'temp',
      pe: { signed: true, subsystem: 'windows-gui', companyName: 'Microsoft Corporation' },
    }),
  ];
}

/** The stock-looking volume's facts: nothing a Windows detector may report at medium or above. */
export function cleanWindows(): Windows {
  return {
    system: { computerName: 'DESKTOP-7Q2M4', currentControlSet: 'ControlSet001', hives: [] },
    users: [{ name: 'alice', profile: '/Users/alice', ntuser: true }],
    services: cleanServices(),
    autostarts: cleanAutostarts(),
    taskCache: [
      {
        path: '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag',
        id: '{0E1F3D4C-1111-4C1D-9A7E-8F5C1B2A3D4E}',
        sdMissing: false,
        xmlExists: true,
      },
    ],
    tasks: cleanTasks(),
    wmi: [SCM_CONSUMER],
    files: cleanFiles(),
  };
}

const SECTIONS: Section[] = ['windows-registry', 'windows-tasks', 'windows-wmi', 'windows-files'];

/** A windows-volume snapshot of `windows`; sections whose fields are absent are recorded as failed. */
export function windowsSnapshot(windows: Windows, collection?: CollectionRecord[]): Snapshot {
  return SnapshotSchema.parse({
    schemaVersion: 1,
    tool: { name: 'minehunter', version: '0.0.0-test' },
    collectedAt: COLLECTED_AT,
    target: { kind: 'windows-volume', root: '/mnt/c', live: false },
    host: { hostname: 'DESKTOP-7Q2M4', addresses: [] },
    windows,
    collection: collection ?? [
      { collector: 'test-builder', sections: ['host', ...SECTIONS], status: 'ok', durationMs: 1, errors: [] },
    ],
  });
}

/** A Windows snapshot whose collectors failed: nothing to read, so every Windows detector is skipped. */
export function failedWindowsSnapshot(): Snapshot {
  return windowsSnapshot({}, [
    { collector: 'test-builder', sections: ['host'], status: 'ok', durationMs: 1, errors: [] },
    { collector: 'windows', sections: SECTIONS, status: 'failed', durationMs: 1, errors: [] },
  ]);
}

/** `powershell -nop -w hidden -enc <script>`, the script encoded as Windows does (UTF-16LE, base64). */
export function encodedPowerShell(script: string): string {
  return `-nop -w hidden -enc ${Buffer.from(script, 'utf16le').toString('base64')}`;
}
