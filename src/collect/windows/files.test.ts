// The Windows files collector on fake volumes built here: ProtectionX's Fonts subfolders, a driver in
// Windows\Temp, a look-alike and a masquerading system name, programs in AppData and the Recycle Bin,
// and a clean twin with the same layout; plus links that loop, empty programs and too many files.
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../../../test/helpers/host-lock.js';
import { peStub } from '../../../test/helpers/pe-stub.js';
import { WindowsSchema, type WindowsFile } from '../../snapshot/windows.js';
import { makeContext } from '../context.js';
import { targetFs } from '../../target/fs.js';
import { CollectorLog } from '../support.js';
import { attributeReader, parseGetfattr } from './files-attrs.js';
import { walkFolder } from './files-walk.js';
import { MAX_FILES, NO_ATTRIBUTES_LIMIT, NO_RUNNING_STATE_LIMIT, collectWindowsFiles } from './files.js';

const NOW = (): Date => new Date('2026-12-01T00:00:00Z');
const MINER = peStub({
  extra: 'xmrig stratum+tcp://pool.supportxmr.com:3333 --donate-level=1 -o pool -u 4AdUndX',
});
const TTF = Buffer.from([0, 1, 0, 0, 0, 0x10, 0x80, 0, 3, 0, 0x70]);

/** A Windows bitmap font: `MZ` with an NE header, as Fonts\*.fon are. */
function fonFont(): Buffer {
  const b = Buffer.alloc(0x100);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('NE', 0x80, 'latin1');
  return b;
}

let tmp: string;
let releaseHost: (() => Promise<void>) | undefined;
beforeAll(async () => {
  // Miner-like files under /tmp: tests that scan this host must not see them, so they exist only
  // while the host lock is held (test/helpers/host-lock.ts).
  releaseHost = await acquireHostLock();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'minehunter-winfiles-'));
}, 200_000);
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await releaseHost?.();
});

async function put(root: string, rel: string, bytes: Buffer | string): Promise<void> {
  const file = path.join(root, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** The layout both volumes share: a system drive with fonts and a genuine svchost in System32. */
async function baseVolume(name: string): Promise<string> {
  const root = path.join(tmp, name);
  await put(root, 'Windows/System32/config/SYSTEM', '');
  await put(
    root,
    'Windows/System32/svchost.exe',
    peStub({ version: { CompanyName: 'Microsoft Corporation' } }),
  );
  await put(root, 'Windows/Fonts/arial.ttf', TTF);
  await put(root, 'Windows/Fonts/times.ttf', TTF);
  await put(root, 'Windows/Fonts/vgaoem.fon', fonFont());
  await mkdir(path.join(root, 'Windows/Temp'), { recursive: true });
  await put(root, 'Windows/Temp/setup.log', 'ok\n');
  await put(root, 'ProgramData/Vendor/settings.ini', '[a]\n');
  // Installer caches are left out of ProgramData's walk; a WinSxS copy is Windows' own.
  await put(root, 'ProgramData/Package Cache/{0D8A}/setup.exe', peStub());
  await put(root, 'Windows/WinSxS/amd64_svchost_31bf/svch0st.exe', peStub());
  await put(root, 'Users/alice/NTUSER.DAT', '');
  await put(root, 'Users/alice/AppData/Roaming/notes.txt', 'hi');
  return root;
}

/** The miner volume: each planted object of issue 14's "Files" scope, and some hostile entries. */
async function minerVolume(): Promise<string> {
  const root = await baseVolume('miner');
  await put(root, 'Windows/Fonts/arial/mscore.exe', MINER);
  await put(root, 'Windows/Fonts/arial/config.json', '{"pools":[{"url":"pool.supportxmr.com:3333"}]}');
  await put(root, 'Windows/Fonts/Logs/log.txt', 'started\n');
  await put(root, 'Windows/Fonts/Logs/empty.exe', '');
  await symlink('..', path.join(root, 'Windows/Fonts/Logs/loop'));
  await put(
    root,
    'Windows/Fonts/temp/win1logon.exe',
    peStub({ version: { CompanyName: 'Microsoft Corporation' } }),
  );
  await put(root, 'Windows/Fonts/ttf/readme.txt', 'x');
  await put(root, 'Windows/Temp/k8d2f1aq.sys', peStub({ subsystem: 'native' }));
  await put(root, 'Windows/Temp/a/b/c/d/e/f/g/h/deep.exe', MINER);
  await put(root, 'Windows/Temp/wuauc1t.exe', '');
  await symlink('/bin/sh', path.join(root, 'Windows/Temp/link.exe'));
  await symlink('../../ProgramData', path.join(root, 'Windows/Temp/pd'));
  await put(root, 'ProgramData/svchost.exe', peStub());
  await put(root, 'Users/alice/AppData/Roaming/Upd/updater.dat', MINER);
  await put(root, '$Recycle.Bin/S-1-5-21-1/$RAB12CD.exe', MINER);
  return root;
}

const byFile = (files: WindowsFile[]) => new Map(files.map((f) => [f.file, f]));

describe('collectWindowsFiles on a volume with ProtectionX-style planted files', () => {
  let files: WindowsFile[];
  let result: Awaited<ReturnType<typeof collectWindowsFiles>>;
  beforeAll(async () => {
    const ctx = await makeContext(await minerVolume(), NOW);
    expect(ctx.kind).toBe('windows-volume');
    result = await collectWindowsFiles(ctx);
    files = result.files ?? [];
  });

  it('lists exactly the planted objects, not the fonts, the genuine svchost, links or what lies too deep', () => {
    expect(files.map((f) => `${f.place} ${f.type} ${f.file}`).sort()).toEqual([
      'appdata file /Users/alice/AppData/Roaming/Upd/updater.dat',
      'fonts file /Windows/Fonts/arial/mscore.exe',
      'fonts file /Windows/Fonts/temp/win1logon.exe',
      'fonts-subdir dir /Windows/Fonts/Logs',
      'fonts-subdir dir /Windows/Fonts/arial',
      'fonts-subdir dir /Windows/Fonts/temp',
      'fonts-subdir dir /Windows/Fonts/ttf',
      'programdata file /ProgramData/svchost.exe',
      'recycle-bin file /$Recycle.Bin/S-1-5-21-1/$RAB12CD.exe',
      'temp file /Windows/Temp/k8d2f1aq.sys',
      'temp file /Windows/Temp/wuauc1t.exe',
    ]);
    expect(() => WindowsSchema.parse({ files, limits: result.limits })).not.toThrow();
  });

  it('describes each Fonts subfolder: its names, how many, the programs in it', () => {
    const f = byFile(files);
    expect(f.get('/Windows/Fonts/arial')).toMatchObject({
      windowsPath: 'C:\\Windows\\Fonts\\arial',
      entries: ['config.json', 'mscore.exe'],
      entryCount: 2,
      executables: 1,
    });
    expect(f.get('/Windows/Fonts/Logs')).toMatchObject({
      entries: ['empty.exe', 'log.txt', 'loop'],
      executables: 0,
    });
    expect(f.get('/Windows/Fonts/temp')?.executables).toBe(1);
    expect(f.get('/Windows/Fonts/arial')?.mtime).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('gives each program its size, sha256 and PE facts', () => {
    const f = byFile(files);
    expect(f.get('/Windows/Fonts/arial/mscore.exe')).toMatchObject({
      windowsPath: 'C:\\Windows\\Fonts\\arial\\mscore.exe',
      size: MINER.length,
      sha256: createHash('sha256').update(MINER).digest('hex'),
      pe: { machine: 'x64', subsystem: 'windows-cui', signed: false },
    });
    expect(f.get('/Windows/Temp/k8d2f1aq.sys')?.pe).toMatchObject({ subsystem: 'native' });
    expect(f.get('/Windows/Fonts/temp/win1logon.exe')?.pe?.companyName).toBe('Microsoft Corporation');
    expect(f.get('/Users/alice/AppData/Roaming/Upd/updater.dat')?.pe?.machine).toBe('x64');
    // An empty look-alike is listed for its name, with nothing to read.
    expect(f.get('/Windows/Temp/wuauc1t.exe')).toMatchObject({
      size: 0,
      sha256: createHash('sha256').digest('hex'),
    });
    expect(f.get('/Windows/Temp/wuauc1t.exe')?.pe).toBeUndefined();
  });

  it('says what the copy cannot show, and records a clean run', () => {
    expect(result.limits).toEqual([NO_ATTRIBUTES_LIMIT, NO_RUNNING_STATE_LIMIT]);
    expect(files.some((f) => f.attributes)).toBe(false);
    expect(result.record).toMatchObject({ collector: 'windows.files', status: 'ok', errors: [] });
    expect(result.record.note).toMatch(/4 Fonts subfolder\(s\), 7 program\(s\)/);
  });
});

describe('collectWindowsFiles on the clean twin', () => {
  it('lists nothing, and still says what the copy cannot show', async () => {
    const result = await collectWindowsFiles(await makeContext(await baseVolume('clean'), NOW));
    expect(result.files).toEqual([]);
    expect(result.limits).toContain(NO_RUNNING_STATE_LIMIT);
    expect(result.record.status).toBe('ok');
  });
});

describe('collectWindowsFiles on awkward volumes', () => {
  it('finds the folders whatever case the copy kept', async () => {
    const root = path.join(tmp, 'lower');
    await put(root, 'windows/system32/config/system', '');
    await put(root, 'windows/fonts/ARIAL/x.exe', MINER);
    await put(root, 'programdata/SvcHost.exe', peStub());
    const files = (await collectWindowsFiles(await makeContext(root, NOW))).files ?? [];
    expect(files.map((f) => `${f.place} ${f.windowsPath}`).sort()).toEqual([
      'fonts C:\\windows\\fonts\\ARIAL\\x.exe',
      'fonts-subdir C:\\windows\\fonts\\ARIAL',
      'programdata C:\\programdata\\SvcHost.exe',
    ]);
  });

  it('stops the list at its cap and says so', async () => {
    const root = path.join(tmp, 'many');
    await put(root, 'Windows/System32/config/SYSTEM', '');
    await mkdir(path.join(root, 'Windows/Temp'), { recursive: true });
    const names = Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(5, '0')}.tmp`);
    await Promise.all(names.map((n) => writeFile(path.join(root, 'Windows/Temp', n), 'MZ')));
    const result = await collectWindowsFiles(await makeContext(root, NOW), { maxFiles: 20 });
    expect(result.files).toHaveLength(20);
    expect(MAX_FILES).toBe(2000);
    expect(result.record.status).toBe('partial');
    expect(result.record.note).toContain('list cut at 20 entries (10 more not listed)');
  });

  it.skipIf(process.getuid?.() === 0)('records an unreadable folder and goes on', async () => {
    const root = path.join(tmp, 'locked');
    await put(root, 'Windows/System32/config/SYSTEM', '');
    await put(root, 'Windows/Fonts/secret/x.exe', MINER);
    await put(root, 'Windows/Temp/y.exe', MINER);
    await chmod(path.join(root, 'Windows/Fonts/secret'), 0o000);
    try {
      const result = await collectWindowsFiles(await makeContext(root, NOW));
      expect(result.files?.map((f) => f.file)).toContain('/Windows/Temp/y.exe');
      expect(result.record.status).toBe('partial');
    } finally {
      await chmod(path.join(root, 'Windows/Fonts/secret'), 0o755);
    }
  });
});

describe('walkFolder', () => {
  it('stops at its entry cap, keeps to its depth and never enters a link', async () => {
    const root = path.join(tmp, 'walk');
    await put(root, 'a/b/c/d.txt', 'x');
    await put(root, 'e.txt', 'x');
    await symlink('..', path.join(root, 'a/up'));
    const fs = targetFs(root);
    const log = new CollectorLog('t', []);
    const all = await walkFolder(fs, '/', { maxDepth: 8, maxEntries: 100 }, log);
    expect(all.entries.map((e) => `${e.depth} ${e.path}`)).toEqual([
      '1 /a',
      '1 /e.txt',
      '2 /a/b',
      '2 /a/up',
      '3 /a/b/c',
      '4 /a/b/c/d.txt',
    ]);
    expect(all.cut).toBe(false);
    expect((await walkFolder(fs, '/', { maxDepth: 2, maxEntries: 100 }, log)).entries).toHaveLength(4);
    expect(await walkFolder(fs, '/', { maxDepth: 8, maxEntries: 3 }, log)).toMatchObject({ cut: true });
    expect(log.errorCount).toBe(0);
  });
});

describe('parseGetfattr', () => {
  it('reads ntfs-3g and Samba attributes', () => {
    expect(parseGetfattr('# file: x\nsystem.ntfs_attrib_be=0x00000026\n')).toEqual({
      hidden: true,
      system: true,
    });
    expect(parseGetfattr('system.ntfs_attrib_be=0x00000020\n')).toEqual({ hidden: false, system: false });
    const samba = Buffer.concat([Buffer.from('0x22\0', 'latin1'), Buffer.from([3, 0, 3, 0])]).toString('hex');
    expect(parseGetfattr(`user.DOSATTRIB=0x${samba}\n`)).toEqual({ hidden: true, system: false });
    expect(parseGetfattr('x: No such attribute')).toBeUndefined();
    expect(parseGetfattr('system.ntfs_attrib_be=0x0026\n')).toBeUndefined();
  });

  it('is not asked on a copy that is not an NTFS mount', async () => {
    expect(await attributeReader(tmp)).toBeUndefined();
  });
});
