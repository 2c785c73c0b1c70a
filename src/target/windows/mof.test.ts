// MOF text as mofcomp input and WMI's AutoRecover copies hold it: a subscription declared with
// aliases, strings with escapes and adjacent literals, class declarations and qualifiers to skip,
// UTF-16LE with a BOM; and broken text (unterminated strings and comments, a missing brace,
// random bytes) giving what could be read and a problem, never an exception.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeMofBytes, parseMof } from './mof.js';

const SUBSCRIPTION = `// persistence
#pragma namespace ("\\\\\\\\.\\\\root\\\\subscription")

[Locale(1033)]
class MyHelper : __EventConsumer { [key] string Name; };

instance of ActiveScriptEventConsumer as $Cons
{
    Name = "Updater";
    ScriptingEngine = "VBScript";
    ScriptText = "Set s = CreateObject(\\"WScript.Shell\\")\\n"
                 "s.Run \\"C:\\\\Windows\\\\Fonts\\\\temp\\\\xmr.exe\\", 0";
    KillTimeout = 0;
    CreatorSID = {1,1,0,0,0,0,0,5,18,0,0,0};
};

instance of __EventFilter as $Filt
{
    Name = "UpdaterFilter";
    EventNamespace = "root\\\\cimv2";
    QueryLanguage = "WQL";
    Query = "SELECT * FROM __InstanceModificationEvent WITHIN 60 "
            "WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'";
};

instance of __FilterToConsumerBinding
{
    Consumer = $Cons;
    Filter = $Filt;
    DeliverSynchronously = FALSE;
};
`;

describe('parseMof', () => {
  it('reads instances with aliases, concatenated strings and escapes; skips classes and qualifiers', () => {
    const { instances, namespaces, problems } = parseMof(SUBSCRIPTION);
    expect(problems).toEqual([]);
    expect(namespaces).toEqual(['\\\\.\\root\\subscription']);
    expect(instances.map((i) => [i.className, i.alias])).toEqual([
      ['ActiveScriptEventConsumer', 'Cons'],
      ['__EventFilter', 'Filt'],
      ['__FilterToConsumerBinding', undefined],
    ]);
    const [cons, filt, bind] = instances;
    expect(cons?.props.ScriptText).toBe(
      'Set s = CreateObject("WScript.Shell")\ns.Run "C:\\Windows\\Fonts\\temp\\xmr.exe", 0',
    );
    expect(cons?.props.KillTimeout).toBe(0);
    expect(cons?.props.CreatorSID).toEqual([1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
    expect(filt?.props.Query).toBe(
      "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA 'Win32_PerfFormattedData_PerfOS_System'",
    );
    expect(bind?.props).toEqual({
      Consumer: { alias: 'Cons' },
      Filter: { alias: 'Filt' },
      DeliverSynchronously: false,
    });
  });

  it('reads UTF-16LE with a BOM, UTF-8 with a BOM and UTF-16LE without one alike', () => {
    const forms = [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SUBSCRIPTION, 'utf16le')]),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SUBSCRIPTION, 'utf8')]),
      Buffer.from(SUBSCRIPTION, 'utf16le'),
    ];
    for (const bytes of forms) expect(parseMof(decodeMofBytes(bytes)).instances).toHaveLength(3);
  });

  it('reads string references to instances', () => {
    const { instances } = parseMof(
      'instance of __FilterToConsumerBinding { Consumer = "CommandLineEventConsumer.Name=\\"X\\""; Filter = "__EventFilter.Name=\\"Y\\""; };',
    );
    expect(instances[0]?.props).toEqual({
      Consumer: 'CommandLineEventConsumer.Name="X"',
      Filter: '__EventFilter.Name="Y"',
    });
  });

  it('keeps what it could read from broken text and names the problem', () => {
    const cut = SUBSCRIPTION.slice(0, SUBSCRIPTION.indexOf('KillTimeout'));
    const r1 = parseMof(cut);
    expect(r1.instances[0]?.props.Name).toBe('Updater');
    const r2 = parseMof('instance of CommandLineEventConsumer { Name = "a; /* never closed');
    expect(r2.problems.length).toBeGreaterThan(0);
    const r3 = parseMof('instance of X { Name = "unterminated ');
    expect(r3.problems.some((p) => p.includes('unterminated'))).toBe(true);
  });

  it('ends on random bytes and on deep nesting without an exception', () => {
    for (let i = 0; i < 50; i++) parseMof(decodeMofBytes(randomBytes(4096)));
    const deep = `instance of X { A = ${'{'.repeat(100_000)} };`;
    expect(() => parseMof(deep)).not.toThrow();
    expect(parseMof('instance of X { A = 1; };'.repeat(50), { maxInstances: 10 }).instances).toHaveLength(10);
  });
});
