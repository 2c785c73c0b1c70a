// The registry collector on Windows volumes built here: SYSTEM merged by hivex from .reg text (our
// own writer when hivex is not installed), SOFTWARE and NTUSER.DAT from the test writer, laid out as
// a system drive with the files they name. Services and drivers, autostarts, TaskCache, hive
// records, a truncated or missing hive, a lower-case copy, and the whole collectSnapshot path.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../../snapshot/schema.js';
import { WindowsSchema } from '../../snapshot/windows.js';
import { REG } from '../../target/windows/registry/index.js';
import { hasHivex, mergeReg, seeded } from '../../target/windows/registry/test-helpers.js';
import { writeHive, type TreeKey, type TreeValue } from '../../target/windows/registry/writer.js';
import { makeContext } from '../context.js';
import { collectSnapshot } from '../index.js';
import { collectRegistry } from './registry.js';
import { serviceStart, serviceType } from './registry-services.js';
import { decodeTaskActions } from './registry-task-actions.js';

// ---- hive building: keys by path, written by our writer or merged by hivex ----

const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');
const sz = (name: string, s: string): TreeValue => ({ name, type: REG.SZ, data: utf16z(s) });
const expand = (name: string, s: string): TreeValue => ({ name, type: REG.EXPAND_SZ, data: utf16z(s) });
const bin = (name: string, data: Buffer): TreeValue => ({ name, type: REG.BINARY, data });
function dword(name: string, n: number): TreeValue {
  const data = Buffer.alloc(4);
  data.writeUInt32LE(n);
  return { name, type: REG.DWORD, data };
}

type Spec = Record<string, TreeValue[]>;

/** A key tree from `path → values`, every missing parent made on the way. */
function tree(spec: Spec): TreeKey {
  const root: TreeKey = { name: 'ROOT', subkeys: [] };
  for (const [p, values] of Object.entries(spec)) {
    let key = root;
    for (const part of p.split('\\')) {
      let next = key.subkeys!.find((k) => k.name === part);
      if (!next) {
        next = { name: part, subkeys: [], values: [] };
        key.subkeys!.push(next);
      }
      key = next;
    }
    key.values = [...(key.values ?? []), ...values];
  }
  return root;
}

/** .reg text of a tree, parents before children, every value as `hex(type):` bytes. */
function regText(key: TreeKey, prefix: string): string {
  const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
  const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [
    `[${prefix}]`,
    ...(key.values ?? []).map((v) => `${q(v.name)}=hex(${v.type.toString(16)}):${hex(v.data)}`),
  ];
  const kids = (key.subkeys ?? []).map((k) => regText(k, `${prefix}\\${k.name}`));
  return [lines.join('\n'), ...kids].join('\n\n');
}

/** The hive by hivex (`hivexregedit --merge`) when installed, else by our writer. */
function hivexHive(spec: Spec, prefix: string): Buffer {
  const root = tree(spec);
  if (!hasHivex) return writeHive(root);
  return mergeReg(root.subkeys!.map((k) => regText(k, `${prefix}\\${k.name}`)).join('\n\n'), prefix);
}

function filetime(iso: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Date.parse(iso)) + 11644473600000n) * 10000n);
  return b;
}

function bstr(s: string): Buffer {
  const text = Buffer.from(s, 'utf16le');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(text.length);
  return Buffer.concat([len, text]);
}
const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);

/** A version 3 `Actions` value with exec actions. */
function execActions(actions: Array<[string, string]>): Buffer {
  return Buffer.concat([
    u16(3),
    bstr('LocalSystem'),
    ...actions.flatMap(([cmd, args]) => [u16(0x6666), bstr(''), bstr(cmd), bstr(args), bstr(''), u16(0)]),
  ]);
}

// ---- the volume ----

const CV = 'Microsoft\\Windows\\CurrentVersion';
const NTCV = 'Microsoft\\Windows NT\\CurrentVersion';
const TC = `${NTCV}\\Schedule\\TaskCache`;
const HIDDEN_ID = '{66666666-7777-8888-9999-000000000000}';
const VISIBLE_ID = '{11111111-2222-3333-4444-555555555555}';
const SD = Buffer.from('010004801400000024000000000000003000000001020000', 'hex');

const systemSpec: Spec = {
  Select: [dword('Current', 1), dword('Default', 1), dword('LastKnownGood', 2)],
  'ControlSet001\\Control\\ComputerName\\ComputerName': [sz('ComputerName', 'WIN-MINER01')],
  'ControlSet001\\Control\\Windows': [bin('ShutdownTime', filetime('2024-05-01T12:00:00Z'))],
  'ControlSet001\\Services\\hy5.5': [
    dword('Type', 1),
    dword('Start', 1),
    expand('ImagePath', 'C:\\Windows\\Temp\\x.sys'),
    sz('DisplayName', 'hy5.5'),
  ],
  'ControlSet001\\Services\\W32Time': [
    dword('Type', 0x20),
    dword('Start', 3),
    expand('ImagePath', '%SystemRoot%\\system32\\svchost.exe -k LocalService'),
    sz('DisplayName', '@%SystemRoot%\\system32\\w32time.dll,-200'),
    sz('ObjectName', 'NT AUTHORITY\\LocalService'),
    sz('FailureCommand', 'C:\\ProgramData\\fix.exe'),
  ],
  'ControlSet001\\Services\\W32Time\\Parameters': [
    expand('ServiceDll', '%systemroot%\\system32\\w32time.dll'),
  ],
  'ControlSet001\\Services\\Disk': [
    dword('Type', 1),
    dword('Start', 0),
    expand('ImagePath', 'System32\\drivers\\disk.sys'),
  ],
  'ControlSet001\\Services\\Updater': [
    dword('Type', 0x10),
    dword('Start', 2),
    expand('ImagePath', 'svchost.exe -k netsvcs'),
  ],
  'ControlSet002\\Services\\hy5.5': [dword('Type', 0x10), dword('Start', 4)],
  'ControlSet002\\Services\\WinRing0_1_2_0': [
    dword('Type', 1),
    expand('ImagePath', '\\??\\C:\\ProgramData\\WinRing0x64.sys'),
  ],
};

const softwareSpec: Spec = {
  [`${CV}\\Run`]: [
    expand('SecurityHealth', '%windir%\\system32\\SecurityHealthSystray.exe'),
    sz('WindowsUpdate', 'C:\\ProgramData\\win1logon.exe -o pool.example.com:3333'),
    sz('Empty', ''),
  ],
  [`${CV}\\RunOnce`]: [sz('Cleanup', 'cmd /c del C:\\Windows\\Temp\\x.bat')],
  [NTCV]: [sz('ProductName', 'Windows 10 Pro'), sz('CurrentBuild', '19045')],
  [`${NTCV}\\Winlogon`]: [
    sz('Shell', 'explorer.exe'),
    sz('Userinit', 'C:\\Windows\\system32\\userinit.exe,'),
  ],
  [`${NTCV}\\Image File Execution Options\\sethc.exe`]: [sz('Debugger', 'C:\\Windows\\System32\\cmd.exe')],
  [`${NTCV}\\Image File Execution Options\\notepad.exe`]: [dword('GlobalFlag', 0)],
  [`${NTCV}\\Windows`]: [
    sz('AppInit_DLLs', 'C:\\ProgramData\\ProcessExtended.dll'),
    dword('LoadAppInit_DLLs', 1),
  ],
  [`WOW6432Node\\${CV}\\Run`]: [sz('Updater', 'C:\\Users\\Public\\svch0st.exe')],
  [`${TC}\\Tree\\Microsoft\\Windows\\Visible`]: [sz('Id', VISIBLE_ID), dword('Index', 3), bin('SD', SD)],
  [`${TC}\\Tree\\Hidden`]: [sz('Id', HIDDEN_ID), dword('Index', 3)],
  [`${TC}\\Tasks\\${HIDDEN_ID}`]: [
    sz('Path', '\\Hidden'),
    bin('Actions', execActions([['powershell.exe', '-nop -w hidden -enc SQBFAFgA']])),
  ],
  [`${TC}\\Tasks\\${VISIBLE_ID}`]: [bin('Actions', Buffer.from('0300ffff', 'hex'))],
};

const ntuserSpec: Spec = {
  [`Software\\${CV}\\Run`]: [expand('miner', '"%APPDATA%\\miner\\m.exe" --donate-level 1')],
  [`Software\\${NTCV}\\Winlogon`]: [sz('Shell', 'C:\\Users\\alice\\AppData\\Roaming\\miner\\m.exe')],
};

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function put(root: string, rel: string, data: Buffer | string): void {
  const file = path.join(root, ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
}

/** A system drive: hives, the files they name, a task XML, a Startup folder entry, Users/Public. */
function buildVolume(opts: { software?: (hive: Buffer) => Buffer | undefined } = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-winreg-'));
  temps.push(root);
  put(root, 'Windows/System32/config/SYSTEM', hivexHive(systemSpec, 'HKEY_LOCAL_MACHINE\\SYSTEM'));
  const software = opts.software
    ? opts.software(writeHive(tree(softwareSpec)))
    : writeHive(tree(softwareSpec));
  if (software) put(root, 'Windows/System32/config/SOFTWARE', software);
  put(root, 'Users/alice/NTUSER.DAT', writeHive(tree(ntuserSpec)));
  put(root, 'Users/alice/AppData/Roaming/miner/m.exe', 'MZ miner stub');
  put(root, 'Users/alice/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/updater.lnk', 'lnk');
  put(root, 'Users/alice/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup/desktop.ini', '');
  mkdirSync(path.join(root, 'Users/Public/Documents'), { recursive: true });
  put(root, 'Windows/Temp/x.sys', 'MZ driver stub');
  put(root, 'Windows/System32/svchost.exe', 'MZ');
  put(root, 'Windows/System32/w32time.dll', 'MZ');
  put(root, 'Windows/System32/drivers/disk.sys', 'MZ');
  put(root, 'ProgramData/win1logon.exe', 'MZ');
  put(root, 'Windows/System32/Tasks/Microsoft/Windows/Visible', Buffer.from('\ufeff<Task/>', 'utf16le'));
  return root;
}

async function collect(root: string) {
  return collectRegistry(await makeContext(root, () => new Date('2024-06-01T00:00:00Z')));
}

describe('collectRegistry on a Windows volume', () => {
  const root = buildVolume();

  it('reads every hive and the system facts, and names the host', async () => {
    const { windows, host, record } = await collect(root);
    expect(record).toMatchObject({ collector: 'windows.registry', status: 'ok', errors: [] });
    expect(host?.hostname).toBe('WIN-MINER01');
    expect(windows?.system).toMatchObject({
      computerName: 'WIN-MINER01',
      productName: 'Windows 10 Pro',
      currentBuild: '19045',
      currentControlSet: 'ControlSet001',
      lastShutdown: '2024-05-01T12:00:00.000Z',
    });
    expect(windows?.system?.hives).toEqual([
      { name: 'SYSTEM', file: '/Windows/System32/config/SYSTEM', ok: true },
      { name: 'SOFTWARE', file: '/Windows/System32/config/SOFTWARE', ok: true },
      { name: 'NTUSER.DAT (alice)', file: '/Users/alice/NTUSER.DAT', ok: true },
    ]);
    expect(windows?.users).toEqual([{ name: 'alice', profile: '/Users/alice', ntuser: true }]);
  });

  it('reports services and drivers of the current control set, and those only in another one', async () => {
    const services = (await collect(root)).windows?.services ?? [];
    const by = (name: string) => services.find((s) => s.name === name);
    expect(services.map((s) => [s.name, s.controlSet])).toEqual([
      ['Disk', 'ControlSet001'],
      ['hy5.5', 'ControlSet001'],
      ['Updater', 'ControlSet001'],
      ['W32Time', 'ControlSet001'],
      ['WinRing0_1_2_0', 'ControlSet002'],
    ]);
    expect(by('hy5.5')).toMatchObject({
      key: 'HKLM\\SYSTEM\\ControlSet001\\Services\\hy5.5',
      type: 'kernel-driver',
      typeValue: 1,
      start: 'system',
      imagePath: 'C:\\Windows\\Temp\\x.sys',
      lastWrite: '2024-01-01T00:00:00.000Z',
      image: { file: '/Windows/Temp/x.sys', exists: true, size: 14 },
    });
    expect(by('hy5.5')?.image?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(by('W32Time')).toMatchObject({
      type: 'share-process',
      start: 'demand',
      serviceDll: '%systemroot%\\system32\\w32time.dll',
      displayName: '@%SystemRoot%\\system32\\w32time.dll,-200',
      objectName: 'NT AUTHORITY\\LocalService',
      failureCommand: 'C:\\ProgramData\\fix.exe',
      image: { file: '/Windows/System32/w32time.dll', exists: true, size: 2 },
    });
    // System32 files are not hashed: nearly every service is there.
    expect(by('W32Time')?.image?.sha256).toBeUndefined();
    expect(by('Disk')?.image).toEqual({ file: '/Windows/System32/drivers/disk.sys', exists: true, size: 2 });
    expect(by('Updater')).toMatchObject({ type: 'own-process', start: 'auto' });
    expect(by('Updater')?.image?.file).toBe('/Windows/System32/svchost.exe');
    expect(by('WinRing0_1_2_0')?.image).toEqual({ file: '/ProgramData/WinRing0x64.sys', exists: false });
  });

  it('reports Run keys, Winlogon, IFEO, AppInit_DLLs and Startup folders with their programs', async () => {
    const autostarts = (await collect(root)).windows?.autostarts ?? [];
    const find = (value: string, hive?: string) =>
      autostarts.find((a) => a.value === value && (hive === undefined || a.hive === hive));
    expect(find('WindowsUpdate')).toMatchObject({
      place: 'run',
      hive: 'HKLM',
      key: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
      data: 'C:\\ProgramData\\win1logon.exe -o pool.example.com:3333',
      image: { file: '/ProgramData/win1logon.exe', exists: true, size: 2 },
    });
    expect(find('Empty')).toBeUndefined();
    expect(find('Cleanup')).toMatchObject({ place: 'runonce', hive: 'HKLM' });
    expect(find('Updater')).toMatchObject({
      place: 'run',
      key: 'HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
      image: { file: '/Users/Public/svch0st.exe', exists: false },
    });
    expect(find('miner')).toMatchObject({
      place: 'run',
      hive: 'HKCU',
      user: 'alice',
      key: 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run',
      image: { file: '/Users/alice/AppData/Roaming/miner/m.exe', exists: true },
    });
    expect(find('Shell', 'HKLM')).toMatchObject({ place: 'winlogon-shell', data: 'explorer.exe' });
    expect(find('Shell', 'HKCU')).toMatchObject({ place: 'winlogon-shell', user: 'alice' });
    expect(find('Userinit')).toMatchObject({
      place: 'winlogon-userinit',
      data: 'C:\\Windows\\system32\\userinit.exe,',
    });
    expect(find('sethc.exe')).toMatchObject({
      place: 'ifeo-debugger',
      data: 'C:\\Windows\\System32\\cmd.exe',
    });
    expect(find('notepad.exe')).toBeUndefined();
    expect(find('AppInit_DLLs')).toMatchObject({
      place: 'appinit-dlls',
      enabled: true,
      data: 'C:\\ProgramData\\ProcessExtended.dll',
      image: { file: '/ProgramData/ProcessExtended.dll', exists: false },
    });
    expect(autostarts.filter((a) => a.hive === 'file')).toEqual([
      expect.objectContaining({
        place: 'startup-folder',
        user: 'alice',
        key: 'C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup',
        value: 'updater.lnk',
        data: 'C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\updater.lnk',
        image: expect.objectContaining({ exists: true, size: 3 }),
      }),
    ]);
  });

  it('reports TaskCache tasks, hidden ones (no SD) and those without XML, with decoded actions', async () => {
    const taskCache = (await collect(root)).windows?.taskCache;
    expect(taskCache).toEqual([
      {
        path: '\\Hidden',
        id: HIDDEN_ID,
        sdMissing: true,
        xmlExists: false,
        lastWrite: '2024-01-01T00:00:00.000Z',
        actions: ['powershell.exe -nop -w hidden -enc SQBFAFgA'],
      },
      {
        path: '\\Microsoft\\Windows\\Visible',
        id: VISIBLE_ID,
        sdMissing: false,
        xmlExists: true,
        lastWrite: '2024-01-01T00:00:00.000Z',
      },
    ]);
  });
});

describe('collectRegistry on damaged or odd volumes', () => {
  it('records a truncated SOFTWARE hive as partial and still reads SYSTEM and NTUSER.DAT', async () => {
    const root = buildVolume({ software: (h) => h.subarray(0, 4096 + 20) });
    const { windows, record } = await collect(root);
    expect(record.status).toBe('partial');
    expect(record.errors[0]?.path).toBe('/Windows/System32/config/SOFTWARE');
    const software = windows?.system?.hives.find((h) => h.name === 'SOFTWARE');
    expect(software).toMatchObject({
      ok: false,
      problem: expect.stringContaining('smaller than a base block'),
    });
    expect(windows?.services?.find((s) => s.name === 'hy5.5')?.type).toBe('kernel-driver');
    expect(windows?.autostarts?.find((a) => a.value === 'miner')?.user).toBe('alice');
    expect(windows?.taskCache).toBeUndefined();
  });

  it('counts the damage of a hive cut in the middle, and reads what is left', async () => {
    const root = buildVolume({ software: (h) => h.subarray(0, Math.floor(h.length / 2)) });
    const { windows, record } = await collect(root);
    expect(record.status).toBe('partial');
    const software = windows?.system?.hives.find((h) => h.name === 'SOFTWARE');
    expect(software?.problems).toBeGreaterThan(0);
    expect(software?.problem).toEqual(expect.any(String));
    expect(windows?.services?.length).toBe(5);
  });

  it('records a missing SOFTWARE hive and goes on', async () => {
    const root = buildVolume({ software: () => undefined });
    const { windows, record } = await collect(root);
    expect(record.status).toBe('partial');
    expect(record.errors).toEqual([expect.objectContaining({ code: 'ENOENT' })]);
    expect(windows?.system?.hives[1]).toMatchObject({ name: 'SOFTWARE', ok: false });
    expect(windows?.system?.computerName).toBe('WIN-MINER01');
  });

  it('reads a copy whose names were lower-cased', async () => {
    const root = buildVolume();
    // Each component renamed in place, deepest first: the layout stays, the case goes.
    const lower = (rel: string) => {
      const from = path.join(root, rel);
      renameSync(from, path.join(path.dirname(from), path.basename(from).toLowerCase()));
    };
    for (const rel of [
      'Windows/System32/config/SYSTEM',
      'Windows/System32/config/SOFTWARE',
      'Windows/System32/config',
      'Windows/System32',
      'Windows/Temp',
      'Windows',
      'Users/alice/NTUSER.DAT',
      'Users',
    ])
      lower(rel);
    const { windows, record } = await collect(root);
    expect(record.status).toBe('ok');
    expect(windows?.system?.hives.map((h) => [h.file, h.ok])).toEqual([
      ['/windows/system32/config/system', true],
      ['/windows/system32/config/software', true],
      ['/users/alice/ntuser.dat', true],
    ]);
    expect(windows?.services?.find((s) => s.name === 'hy5.5')?.image).toMatchObject({
      file: '/windows/temp/x.sys',
      exists: true,
    });
    expect(windows?.taskCache?.find((t) => t.path === '\\Microsoft\\Windows\\Visible')?.xmlExists).toBe(true);
  });
});

describe('collectRegistry on fuzzed hives', () => {
  /** A few bytes or dwords of the bins overwritten, or the file cut: seeded, so every run is the same. */
  function mutate(src: Buffer, rnd: () => number): Buffer {
    const buf = Buffer.from(src);
    const pos = () => 4096 + Math.floor(rnd() * (buf.length - 4100));
    const telling = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x20, buf.length - 4096];
    const kind = Math.floor(rnd() * 3);
    if (kind === 2) return buf.subarray(0, pos());
    for (let i = 0; i < 1 + Math.floor(rnd() * 12); i++)
      if (kind === 0) buf[pos()] = Math.floor(rnd() * 256);
      else buf.writeUInt32LE(telling[Math.floor(rnd() * telling.length)]! >>> 0, pos() & ~3);
    return buf;
  }

  it('ends every one of 40 damaged SYSTEM and SOFTWARE hives in a record, facts still valid', async () => {
    const root = buildVolume();
    const config = path.join(root, 'Windows/System32/config');
    const system = readFileSync(path.join(config, 'SYSTEM'));
    const software = readFileSync(path.join(config, 'SOFTWARE'));
    const rnd = seeded(14);
    const statuses = new Set<string>();
    for (let i = 0; i < 40; i++) {
      writeFileSync(path.join(config, 'SYSTEM'), i % 2 ? system : mutate(system, rnd));
      writeFileSync(path.join(config, 'SOFTWARE'), i % 2 ? mutate(software, rnd) : software);
      const { windows, record } = await collect(root);
      expect(['ok', 'partial']).toContain(record.status);
      WindowsSchema.parse(windows);
      expect(windows?.system?.hives).toHaveLength(3);
      statuses.add(record.status);
    }
    expect(statuses.has('partial')).toBe(true);
  });
});

describe('collectSnapshot on a Windows volume', () => {
  it('recognises the volume and fills the snapshot from the registry', async () => {
    const root = buildVolume();
    const snap = await collectSnapshot({ root, toolVersion: 'test' });
    expect(SnapshotSchema.parse(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
    expect(snap.target.kind).toBe('windows-volume');
    expect(snap.host.hostname).toBe('WIN-MINER01');
    expect(snap.windows?.services?.some((s) => s.name === 'hy5.5')).toBe(true);
    expect(snap.collection.find((r) => r.collector === 'windows.registry')?.status).toBe('ok');
  });
});

describe('registry decodings', () => {
  it('maps Type and Start values', () => {
    expect([1, 2, 0x10, 0x20, 0x110, 0x50, 0x60, 0xe0, 8, undefined].map(serviceType)).toEqual([
      'kernel-driver',
      'fs-driver',
      'own-process',
      'share-process',
      'own-process',
      'user-service',
      'user-service',
      'user-service',
      'other',
      'other',
    ]);
    expect([0, 1, 2, 3, 4, 5, undefined].map(serviceStart)).toEqual([
      'boot',
      'system',
      'auto',
      'demand',
      'disabled',
      'unknown',
      'unknown',
    ]);
  });

  it('decodes task Actions values of each version and never throws on damaged ones', () => {
    expect(
      decodeTaskActions(
        execActions([
          ['a.exe', '-x'],
          ['b.exe', ''],
        ]),
      ),
    ).toEqual(['a.exe -x', 'b.exe']);
    const v1 = Buffer.concat([u16(1), u16(0x6666), bstr('id'), bstr('c.exe'), bstr('/q'), bstr('C:\\')]);
    expect(decodeTaskActions(v1)).toEqual(['c.exe /q']);
    const com = Buffer.concat([
      u16(3),
      bstr(''),
      u16(0x7777),
      bstr(''),
      Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
      bstr(''),
    ]);
    expect(decodeTaskActions(com)).toEqual(['COM handler {33221100-5544-7766-8899-AABBCCDDEEFF}']);
    const good = execActions([['a.exe', '-x']]);
    // A second action cut short: the first is kept.
    expect(
      decodeTaskActions(Buffer.concat([good, u16(0x6666), Buffer.from([0xff, 0xff, 0xff, 0x7f])])),
    ).toEqual(['a.exe -x']);
    for (let cut = 0; cut < good.length; cut++)
      expect(() => decodeTaskActions(good.subarray(0, cut))).not.toThrow();
    expect(decodeTaskActions(Buffer.from('0300ffff', 'hex'))).toBeUndefined();
    expect(decodeTaskActions(undefined)).toBeUndefined();
  });
});
