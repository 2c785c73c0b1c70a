// The hive reader against hivex as the oracle: SYSTEM-, SOFTWARE- and NTUSER-like hives built by
// `hivexregedit --merge` from .reg text, and hives from our own writer holding what hivex never writes
// (big-data db records, ri index roots, lf/li lists), each fully walked and compared key by key, value
// by value (name, type, data bytes) with hivex's export; then the typed decodings and control sets.
import { describe, expect, it } from 'vitest';
import { controlSets, currentControlSet, openHive, REG, type Hive } from './index.js';
import { dumpHive, hasHivex, hivexDump, mergeReg, reg, valueLine } from './test-helpers.js';
import { writeHive, type TreeKey, type WriteHiveOptions } from './writer.js';

type RegKeySpec = [path: string, values?: Array<[name: string, encoded: string]>];

/** .reg text for `keys` under `prefix` (names quoted with .reg escapes, '' as the default value). */
function regText(prefix: string, keys: RegKeySpec[]): string {
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return keys
    .map(([p, values = []]) =>
      [`[${prefix}\\${p}]`, ...values.map(([n, v]) => `${n === '' ? '@' : q(n)}=${v}`)].join('\n'),
    )
    .join('\n\n');
}

const SYSTEM_PREFIX = 'HKEY_LOCAL_MACHINE\\SYSTEM';
const systemKeys: RegKeySpec[] = [
  [
    'Select',
    [
      ['Current', reg.dword(1)],
      ['Default', reg.dword(1)],
      ['Failed', reg.dword(0)],
      ['LastKnownGood', reg.dword(2)],
    ],
  ],
  ['ControlSet001'],
  ['ControlSet001\\Control'],
  ['ControlSet001\\Control\\ComputerName'],
  ['ControlSet001\\Control\\ComputerName\\ComputerName', [['ComputerName', reg.sz('WIN-MINER01')]]],
  ['ControlSet001\\Services'],
  [
    'ControlSet001\\Services\\hy5.5',
    [
      ['Type', reg.dword(1)],
      ['Start', reg.dword(3)],
      ['ErrorControl', reg.dword(1)],
      ['ImagePath', reg.expandSz('\\??\\C:\\Windows\\Temp\\hy5.5.sys')],
      ['DisplayName', reg.sz('hy5.5')],
    ],
  ],
  [
    'ControlSet001\\Services\\W32Time',
    [
      ['Type', reg.dword(0x20)],
      ['Start', reg.dword(3)],
      ['ImagePath', reg.expandSz('%SystemRoot%\\system32\\svchost.exe -k LocalService')],
      ['DependOnService', reg.multiSz(['RpcSs'])],
      ['FailureActions', reg.binary(Buffer.from('80510100000000000000000003000000', 'hex'))],
      ['FailureCommand', reg.sz('')],
    ],
  ],
  [
    'ControlSet001\\Services\\W32Time\\Parameters',
    [['ServiceDll', reg.expandSz('%systemroot%\\system32\\w32time.dll')]],
  ],
  ['ControlSet002'],
  ['ControlSet002\\Services'],
  [
    'ControlSet002\\Services\\WinRing0_1_2_0',
    [
      ['Type', reg.dword(1)],
      ['ImagePath', reg.expandSz('\\??\\C:\\ProgramData\\WinRing0x64.sys')],
    ],
  ],
  ['MountedDevices', [['\\DosDevices\\C:', reg.binary(Buffer.from('44d3a1b20000100000000000', 'hex'))]]],
];

const SOFTWARE_PREFIX = 'HKEY_LOCAL_MACHINE\\SOFTWARE';
const CV = 'Microsoft\\Windows\\CurrentVersion';
const NTCV = 'Microsoft\\Windows NT\\CurrentVersion';
const TC = `${NTCV}\\Schedule\\TaskCache`;
const softwareKeys: RegKeySpec[] = [
  ['Microsoft'],
  ['Microsoft\\Windows'],
  [CV, [['ProgramFilesDir', reg.sz('C:\\Program Files')]]],
  [
    `${CV}\\Run`,
    [
      ['SecurityHealth', reg.expandSz('%windir%\\system32\\SecurityHealthSystray.exe')],
      ['WindowsUpdate', reg.sz('C:\\ProgramData\\win1logon.exe -o pool.example.com:3333')],
    ],
  ],
  [`${CV}\\RunOnce`, [['Cleanup', reg.sz('cmd /c del C:\\Windows\\Temp\\x.bat')]]],
  ['Microsoft\\Windows NT'],
  [
    NTCV,
    [
      ['InstallTime', reg.qword(133485408000000000n)],
      ['ProductName', reg.sz('Windows 10 Pro')],
    ],
  ],
  [
    `${NTCV}\\Winlogon`,
    [
      ['Shell', reg.sz('explorer.exe, C:\\Windows\\Fonts\\temp\\wuauc1t.exe')],
      ['Userinit', reg.sz('C:\\Windows\\system32\\userinit.exe,')],
    ],
  ],
  [`${NTCV}\\Image File Execution Options`],
  [
    `${NTCV}\\Image File Execution Options\\sethc.exe`,
    [['Debugger', reg.sz('C:\\Windows\\System32\\cmd.exe')]],
  ],
  [
    `${NTCV}\\Windows`,
    [
      ['AppInit_DLLs', reg.sz('C:\\ProgramData\\ProcessExtended.dll')],
      ['LoadAppInit_DLLs', reg.dword(1)],
    ],
  ],
  [`${NTCV}\\Schedule`],
  [TC],
  [`${TC}\\Tree`],
  [
    `${TC}\\Tree\\Visible`,
    [
      ['Id', reg.sz('{11111111-2222-3333-4444-555555555555}')],
      ['Index', reg.dword(3)],
      ['SD', reg.binary(Buffer.from('010004801400000024000000000000003000000001020000', 'hex'))],
    ],
  ],
  [
    `${TC}\\Tree\\Hidden`,
    [
      ['Id', reg.sz('{66666666-7777-8888-9999-000000000000}')],
      ['Index', reg.dword(3)],
    ],
  ],
  [`${TC}\\Tasks`],
  [
    `${TC}\\Tasks\\{66666666-7777-8888-9999-000000000000}`,
    [
      ['Path', reg.sz('\\Hidden')],
      ['Actions', reg.binary(Buffer.from('0300aaaa', 'hex'))],
    ],
  ],
  ['Wow6432Node'],
  ['Wow6432Node\\Microsoft'],
  ['Wow6432Node\\Microsoft\\Windows'],
  ['Wow6432Node\\Microsoft\\Windows\\CurrentVersion'],
  [
    'Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
    [['Updater', reg.sz('C:\\Users\\Public\\svch0st.exe')]],
  ],
  // Names outside Latin-1, in keys and values, and non-ASCII data.
  [
    '中文软件',
    [
      ['名称', reg.sz('矿工程序')],
      ['', reg.sz('默认值')],
    ],
  ],
  ['中文软件\\子键', [['路径', reg.expandSz('C:\\Windows\\Fonts\\字体\\x.exe')]]],
  // Odd but legal values: empty REG_NONE, a string without its NUL, odd-length string data,
  // a name with a quote and a backslash, an unknown type, an empty default value.
  [
    'Quirks',
    [
      ['none', reg.none()],
      [
        'nonul',
        `hex(1):${'ab'
          .split('')
          .map((c) => `${c.charCodeAt(0).toString(16)},00`)
          .join(',')}`,
      ],
      ['odd', 'hex(1):61,00,62'],
      ['a"b\\c', reg.sz('quoted')],
      ['weird', 'hex(1234):01,02,03,04,05'],
      ['', reg.sz('')],
      ['big', reg.binary(Buffer.alloc(20000, 0x5a))],
      ['multi', reg.multiSz(['one', '', 'three'])],
      ['maxq', reg.qword(0xfffffffffffffffen)],
      ['dwbe', 'hex(5):00,00,01,00'],
    ],
  ],
];

const NTUSER_PREFIX = 'HKEY_CURRENT_USER';
const ntuserKeys: RegKeySpec[] = [
  ['Environment', [['Path', reg.expandSz('%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;')]]],
  ['Software'],
  ['Software\\Microsoft'],
  ['Software\\Microsoft\\Windows'],
  ['Software\\Microsoft\\Windows\\CurrentVersion'],
  [
    'Software\\Microsoft\\Windows\\CurrentVersion\\Run',
    [
      [
        'OneDrive',
        reg.sz('"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'),
      ],
      ['svc', reg.sz('powershell -nop -w hidden -enc SQBFAFgA')],
    ],
  ],
];

const open = (buf: Buffer, name = 'test') => openHive(buf, { name });

describe.skipIf(!hasHivex)('hives built by hivexregedit, read against hivex', () => {
  const system = hasHivex ? mergeReg(regText(SYSTEM_PREFIX, systemKeys), SYSTEM_PREFIX) : Buffer.alloc(0);
  const software = hasHivex
    ? mergeReg(regText(SOFTWARE_PREFIX, softwareKeys), SOFTWARE_PREFIX)
    : Buffer.alloc(0);
  const ntuser = hasHivex ? mergeReg(regText(NTUSER_PREFIX, ntuserKeys), NTUSER_PREFIX) : Buffer.alloc(0);

  it.each([
    ['SYSTEM', () => system, systemKeys.length],
    ['SOFTWARE', () => software, softwareKeys.length],
    ['NTUSER.DAT', () => ntuser, ntuserKeys.length],
  ])('%s: every key, value name, type and data equal hivex export', (_, buf, keys) => {
    const hive = open(buf());
    const ours = dumpHive(hive);
    expect(ours).toEqual(hivexDump(buf()));
    // The root, every listed key, and the parents the .reg list leaves implicit (none: all listed).
    expect(ours.filter((l) => l.startsWith('['))).toHaveLength(keys + 1);
    expect(hive.problems).toEqual([]);
    expect(hive.dirty).toBe(false);
  });

  it('SYSTEM: the planted driver service, current and every control set', () => {
    const hive = open(system);
    const cs = currentControlSet(hive)!;
    expect(cs).toMatchObject({ name: 'ControlSet001', number: 1, from: 'Current' });
    expect(controlSets(hive).map((k) => k.name)).toEqual(['ControlSet001', 'ControlSet002']);
    const svc = cs.key.subkey('services')!.subkey('HY5.5')!;
    expect(svc.path).toBe('ControlSet001\\Services\\hy5.5');
    expect(svc.value('type')!.number()).toBe(1);
    expect(svc.value('ImagePath')!.type).toBe(REG.EXPAND_SZ);
    expect(svc.value('imagepath')!.string()).toBe('\\??\\C:\\Windows\\Temp\\hy5.5.sys');
    expect(hive.lookup('controlset002\\SERVICES\\winring0_1_2_0')!.value('ImagePath')!.string()).toBe(
      '\\??\\C:\\ProgramData\\WinRing0x64.sys',
    );
    const w32 = hive.lookup('ControlSet001\\Services\\W32Time')!;
    expect(w32.value('DependOnService')!.strings()).toEqual(['RpcSs']);
    expect(w32.value('FailureCommand')!.string()).toBe('');
    expect(w32.value('FailureActions')!.bytes().toString('hex')).toBe('80510100000000000000000003000000');
    expect(w32.value('nope')).toBeUndefined();
    expect(hive.lookup('ControlSet003')).toBeUndefined();
    expect(hive.lookup('')).toBe(hive.root());
  });

  it('SOFTWARE: Run values, Winlogon, IFEO, TaskCache SD presence, Wow6432Node', () => {
    const hive = open(software);
    const run = hive.lookup(`${CV}\\Run`)!;
    expect(run.values().map((v) => [v.name, v.string()])).toEqual([
      ['SecurityHealth', '%windir%\\system32\\SecurityHealthSystray.exe'],
      ['WindowsUpdate', 'C:\\ProgramData\\win1logon.exe -o pool.example.com:3333'],
    ]);
    expect(hive.lookup(`${NTCV}\\Winlogon`)!.value('Shell')!.string()).toContain('wuauc1t.exe');
    expect(hive.lookup(`${NTCV}\\Image File Execution Options\\sethc.exe`)!.value('Debugger')!.string()).toBe(
      'C:\\Windows\\System32\\cmd.exe',
    );
    const tree = hive.lookup(`${TC}\\Tree`)!;
    expect(tree.subkeys().map((k) => [k.name, k.value('SD') !== undefined])).toEqual([
      ['Hidden', false],
      ['Visible', true],
    ]);
    // Keys hivex adds inherit the root's security descriptor.
    expect(tree.subkey('Hidden')!.hasSecurity).toBe(true);
    expect(
      hive.lookup('wow6432node\\microsoft\\windows\\currentversion\\run')!.value('updater')!.string(),
    ).toBe('C:\\Users\\Public\\svch0st.exe');
    expect(hive.lookup(NTCV)!.value('InstallTime')!.bigint()).toBe(133485408000000000n);
    // Past 2^53 a QWORD has no exact number: bigint() only.
    expect(hive.lookup(NTCV)!.value('InstallTime')!.number()).toBeUndefined();
  });

  it('SOFTWARE: UTF-16 names, default values and odd data decode as Windows shows them', () => {
    const hive = open(software);
    const cn = hive.root().subkey('中文软件')!;
    expect(cn.value('名称')!.string()).toBe('矿工程序');
    expect(cn.value('')!.string()).toBe('默认值');
    expect(cn.subkey('子键')!.path).toBe('中文软件\\子键');
    const q = hive.lookup('quirks')!;
    expect(q.value('none')!.bytes()).toHaveLength(0);
    expect(q.value('none')!.string()).toBeUndefined();
    expect(q.value('nonul')!.string()).toBe('ab');
    expect(q.value('odd')!.string()).toBe('a');
    expect(q.value('A"B\\C')!.string()).toBe('quoted');
    expect(q.value('weird')!.typeName).toBe('REG_0x1234');
    expect(q.value('')!.string()).toBe('');
    expect(q.value('big')!.bytes()).toEqual(Buffer.alloc(20000, 0x5a));
    expect(q.value('multi')!.strings()).toEqual(['one', '', 'three']);
    expect(q.value('multi')!.string()).toBe('one\n\nthree');
    expect(q.value('maxq')!.number()).toBeUndefined();
    expect(q.value('maxq')!.bigint()).toBe(0xfffffffffffffffen);
    expect(q.value('dwbe')!.number()).toBe(256);
    expect(q.value('big')!.number()).toBeUndefined();
  });

  it('NTUSER.DAT: the user Run key', () => {
    const hive = open(ntuser);
    expect(hive.lookup('Software\\Microsoft\\Windows\\CurrentVersion\\Run')!.value('svc')!.string()).toBe(
      'powershell -nop -w hidden -enc SQBFAFgA',
    );
  });
});

// ---- Hives from our writer: structures hivex reads but never writes ----

const pattern = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

function writerTree(): TreeKey {
  return {
    name: 'CsiTool-CreateHive-{00000000-0000-0000-0000-000000000000}',
    subkeys: [
      {
        name: 'Big',
        className: 'BigClass',
        values: [
          { name: 'bin40000', type: REG.BINARY, data: pattern(40000, 1) },
          { name: 'exact16344', type: REG.BINARY, data: pattern(16344, 2) },
          { name: 'over16345', type: REG.BINARY, data: pattern(16345, 3) },
          { name: 'longtext', type: REG.SZ, data: Buffer.from(`${'矿'.repeat(12000)}\0`, 'utf16le') },
          { name: 'small', type: REG.DWORD, data: Buffer.from([1, 0, 0, 0]) },
          { name: 'three', type: REG.BINARY, data: Buffer.from([1, 2, 3]) },
          { name: 'empty', type: REG.SZ, data: Buffer.alloc(0) },
        ],
      },
      {
        name: 'Many',
        subkeys: Array.from({ length: 50 }, (_, i) => ({
          name: `Sub${String(i).padStart(3, '0')}`,
          values: [{ name: 'n', type: REG.DWORD, data: Buffer.from([i, 0, 0, 0]) }],
        })),
      },
      { name: 'café', values: [{ name: 'naïve', type: REG.SZ, data: Buffer.from('é\0', 'utf16le') }] },
      { name: '中文键名', subkeys: [{ name: '下一级', values: [] }] },
    ],
  };
}

/** The dump lines a tree should read as (same shape as dumpHive). */
function treeDump(root: TreeKey): string[] {
  const keys = new Map<string, string[]>();
  const visit = (k: TreeKey, p: string) => {
    keys.set(
      p,
      (k.values ?? []).map((v) => valueLine(v.name, v.type, v.data.toString('hex'))),
    );
    for (const s of k.subkeys ?? []) visit(s, p ? `${p}\\${s.name}` : s.name);
  };
  visit(root, '');
  const out: string[] = [];
  for (const p of [...keys.keys()].sort()) out.push(`[${p}]`, ...keys.get(p)!.sort());
  return out;
}

describe('hives from our writer (db big data, ri index roots, lf/li lists)', () => {
  const variants: Array<[string, WriteHiveOptions]> = [
    ['lh lists, ri of 7', { riChunk: 7 }],
    ['lf lists, ri of 3', { list: 'lf', riChunk: 3 }],
    ['li lists', { list: 'li' }],
    ['big data as one cell (version 1.3)', { bigData: false, minor: 3 }],
    ['an ri inside an ri', { riChunk: 4, nestedRi: true }],
  ];

  it.each(variants)('%s: our walk equals the tree written', (_, opts) => {
    const hive = open(writeHive(writerTree(), opts));
    expect(dumpHive(hive)).toEqual(treeDump(writerTree()));
    expect(hive.problems).toEqual([]);
  });

  it.skipIf(!hasHivex).each(variants)('%s: hivex reads the same', (_, opts) => {
    const buf = writeHive(writerTree(), opts);
    expect(dumpHive(open(buf))).toEqual(hivexDump(buf));
  });

  it('reads the key metadata: class name, last-write time, flags, counts', () => {
    const hive = open(writeHive(writerTree(), { time: new Date('2023-05-06T07:08:09.123Z') }));
    const big = hive.root().subkey('BIG')!;
    expect(big.className).toBe('BigClass');
    expect(big.lastWritten?.toISOString()).toBe('2023-05-06T07:08:09.123Z');
    expect(big.valueCount).toBe(7);
    expect(big.subkeyCount).toBe(0);
    expect(hive.root().flags & 0x4).toBe(4);
    expect(hive.root().subkey('Many')!.className).toBeUndefined();
    expect(hive.info.embeddedName).toBe('minehunter-test');
    expect(hive.info.version).toEqual({ major: 1, minor: 5 });
    expect(hive.root().subkey('café')!.value('NAÏVE')!.string()).toBe('é');
  });
});

describe('base block', () => {
  const tree: TreeKey = {
    name: 'ROOT',
    subkeys: [
      { name: 'Select', values: [{ name: 'Current', type: REG.DWORD, data: Buffer.from([2, 0, 0, 0]) }] },
    ],
  };

  it('a dirty hive (sequence numbers differ) is read as it lies, marked dirty', () => {
    const hive = open(writeHive(tree, { sequence: [7, 6] }));
    expect(hive.dirty).toBe(true);
    expect(hive.info.sequence).toEqual([7, 6]);
    expect(hive.problems).toEqual([]);
    expect(hive.lookup('Select')!.value('Current')!.number()).toBe(2);
  });

  it('a bad checksum is a problem, not a refusal', () => {
    const buf = writeHive(tree);
    buf.writeUInt32LE(buf.readUInt32LE(508) ^ 1, 508);
    const hive = open(buf);
    expect(hive.info.checksumOk).toBe(false);
    expect(hive.problems.map((p) => p.reason)).toEqual(['checksum']);
    expect(hive.lookup('select')).toBeDefined();
  });
});

describe('control sets', () => {
  const dword = (n: number) => Buffer.from([n, 0, 0, 0]);
  const sys = (select: Array<[string, number]> | undefined, sets: number[]): Hive =>
    open(
      writeHive({
        name: 'SYSTEM',
        subkeys: [
          ...(select
            ? [
                {
                  name: 'Select',
                  values: select.map(([n, v]) => ({ name: n, type: REG.DWORD, data: dword(v) })),
                },
              ]
            : []),
          ...sets.map((n) => ({ name: `ControlSet00${n}`, subkeys: [{ name: 'Services' }] })),
        ],
      }),
    );

  it('Current names the set; Default stands in when Current names a missing one', () => {
    expect(
      currentControlSet(
        sys(
          [
            ['Current', 2],
            ['Default', 1],
          ],
          [1, 2],
        ),
      ),
    ).toMatchObject({ name: 'ControlSet002', from: 'Current' });
    expect(
      currentControlSet(
        sys(
          [
            ['Current', 3],
            ['Default', 1],
          ],
          [1, 2],
        ),
      ),
    ).toMatchObject({ name: 'ControlSet001', from: 'Default' });
    expect(currentControlSet(sys([['Default', 2]], [1, 2]))).toMatchObject({ number: 2, from: 'Default' });
  });

  it('no Select key, or one naming nothing present: no current set, every set still listed', () => {
    expect(currentControlSet(sys(undefined, [1]))).toBeUndefined();
    const h = sys([['Current', 5]], [1, 3]);
    expect(currentControlSet(h)).toBeUndefined();
    expect(controlSets(h).map((k) => k.name)).toEqual(['ControlSet001', 'ControlSet003']);
  });
});
