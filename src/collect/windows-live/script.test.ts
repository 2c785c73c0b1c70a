// Tests for the live-Windows PowerShell text, at the string level (the CI has no PowerShell): every
// part is read inside its own try/catch that records an error entry, the document is printed once
// with ConvertTo-Json -Depth 6 -Compress in UTF-8, the script only reads (no Set-/Remove-/Stop-…),
// is ASCII (it travels through the console's input code page) and its brackets balance.
import { describe, expect, it } from 'vitest';
import { LIVE_PARTS, liveScript, POWERSHELL_ARGS } from './script.js';

const script = liveScript();

describe('liveScript', () => {
  it('wraps every part in try/catch that records an error entry for it', () => {
    // The script as blocks from one `try {` to the next: each holds one part and its catch.
    const blocks = script.split(/^try \{$/m).slice(1);
    expect(blocks).toHaveLength(LIVE_PARTS.length);
    LIVE_PARTS.forEach((part, i) => {
      const block = blocks[i]!;
      expect(block, part).toContain(`$out.${part} = `);
      expect(block.indexOf('} catch {'), part).toBeGreaterThan(block.indexOf(`$out.${part} = `));
      expect(block, part).toContain(`$out.errors += [ordered]@{ part = '${part}'`);
    });
    expect(script.match(/^try \{$/gm)).toHaveLength(LIVE_PARTS.length);
    expect(script.match(/^\} catch \{$/gm)).toHaveLength(LIVE_PARTS.length);
  });

  it('reads the cmdlets and classes the snapshot needs', () => {
    for (const source of [
      'Win32_Process',
      'CommandLine',
      'ExecutablePath',
      'Get-NetTCPConnection',
      'OwningProcess',
      'Win32_Service',
      'Win32_SystemDriver',
      'Get-ScheduledTask',
      '$_.Settings.Hidden',
      '-Namespace root\\subscription -ClassName __EventFilter',
      '-ClassName __EventConsumer',
      '-ClassName __FilterToConsumerBinding',
      'CurrentVersion\\Run',
      'Get-MpComputerStatus',
      'Get-MpPreference',
      'Win32_OperatingSystem',
    ])
      expect(script, source).toContain(source);
  });

  it('prints one UTF-8 JSON document at the end, and stops on errors so that catch sees them', () => {
    expect(script.startsWith('[Console]::OutputEncoding = [Text.Encoding]::UTF8\n')).toBe(true);
    expect(script).toContain("$ErrorActionPreference = 'Stop'");
    expect(script.trimEnd().split('\n').at(-1)).toBe('$out | ConvertTo-Json -Depth 6 -Compress');
    expect(script.match(/ConvertTo-Json/g)).toHaveLength(1);
  });

  it('only reads: no cmdlet that changes the system, no network fetch', () => {
    expect(script).not.toMatch(
      /\b(?:Set|Remove|Stop|Start|New|Invoke|Disable|Enable|Register|Unregister|Add)-[A-Z]/,
    );
    expect(script).not.toMatch(/Net\.WebClient|DownloadString|iex\b/i);
  });

  it('is ASCII with balanced brackets and quotes', () => {
    expect([...script].filter((c) => c !== '\n' && (c < ' ' || c > '~'))).toEqual([]);
    const stack: string[] = [];
    const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
    let quote: string | undefined;
    for (const c of script) {
      if (quote) {
        if (c === quote) quote = undefined;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if ('({['.includes(c)) stack.push(c);
      else if (c in pairs) expect(stack.pop()).toBe(pairs[c]);
    }
    expect(quote).toBeUndefined();
    expect(stack).toEqual([]);
  });

  it('is run by powershell.exe reading the script from stdin as one script block', () => {
    expect(POWERSHELL_ARGS.slice(0, 4)).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
    ]);
    expect(POWERSHELL_ARGS.at(-1)).toBe('& ([ScriptBlock]::Create([Console]::In.ReadToEnd()))');
    expect(POWERSHELL_ARGS).not.toContain('-EncodedCommand');
  });
});
