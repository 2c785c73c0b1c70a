// The bundled Windows name indicators load with their provenance, match the way the Windows
// collectors will ask (case-insensitive, a Fonts folder only under Fonts), refuse entries without
// source or date, and reach the ruleset beside the YAML lists.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, IocLoadError, loadRuleset } from './load.js';
import { loadWindowsNames, matchWindowsName, parseWindowsNames } from './windows-names.js';

describe('iocs/windows-names.json', () => {
  it('holds the source document names, each with source and date', async () => {
    const entries = await loadWindowsNames();
    expect(entries.map((e) => `${e.type}:${e.value}`)).toEqual([
      'service:hy5.5',
      'file:win1logon.exe',
      'file:wuauc1t.exe',
      'file:ProcessExtended.dll',
      'directory:arial',
      'directory:Logs',
      'directory:temp',
      'directory:ttf',
    ]);
    for (const e of entries) {
      expect(e.source).toMatch(/source document, section 4/);
      expect(e.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(e.file).toBe('iocs/windows-names.json');
    }
  });

  it('matches names case-insensitively and Fonts folders only under Fonts', async () => {
    const entries = await loadWindowsNames();
    expect(matchWindowsName(entries, { type: 'service', name: 'HY5.5' })?.family).toBe('ProtectionX');
    expect(matchWindowsName(entries, { type: 'file', name: 'processextended.DLL' })?.kind).toBe('driver');
    expect(matchWindowsName(entries, { type: 'file', name: 'winlogon.exe' })).toBeUndefined();
    expect(
      matchWindowsName(entries, { type: 'directory', name: 'Logs', parent: 'C:\\Windows\\Fonts' })?.kind,
    ).toBe('hidden-directory');
    expect(
      matchWindowsName(entries, { type: 'directory', name: 'ttf', parent: 'windows/fonts/' }),
    ).toBeDefined();
    expect(matchWindowsName(entries, { type: 'directory', name: 'Logs', parent: 'Windows' })).toBeUndefined();
    expect(matchWindowsName(entries, { type: 'directory', name: 'temp' })).toBeUndefined();
  });

  it("reaches the detectors as the ruleset's windowsNames, beside the YAML lists", async () => {
    const ruleset = await loadRuleset([defaultIocDir()]);
    expect(ruleset.files.some((f) => f.endsWith('.json'))).toBe(false);
    const hy = matchWindowsName(ruleset.windowsNames ?? [], { type: 'service', name: 'HY5.5' });
    expect(hy).toMatchObject({ value: 'hy5.5', family: 'ProtectionX', file: 'iocs/windows-names.json' });
    expect(hy?.source).not.toBe('');
    // The same data hashes alike on every load.
    expect((await loadRuleset([defaultIocDir()])).hash).toBe(ruleset.hash);
  });

  it('refuses entries without provenance, unknown fields and bad JSON', () => {
    const file = (entry: object) => JSON.stringify({ kind: 'windows-names', entries: [entry] });
    expect(() =>
      parseWindowsNames(file({ value: 'x.exe', type: 'file', date: '2026-12-03' }), 't.json'),
    ).toThrow(/no "source"/);
    expect(() => parseWindowsNames(file({ value: 'x.exe', type: 'file', source: 's' }), 't.json')).toThrow(
      /no "date"/,
    );
    expect(() =>
      parseWindowsNames(
        file({ value: 'x.exe', type: 'file', source: 's', date: '2026-12-03', extra: 1 }),
        't.json',
      ),
    ).toThrow(IocLoadError);
    expect(() =>
      parseWindowsNames(file({ value: 'a\\b.exe', type: 'file', source: 's', date: '2026-12-03' }), 't.json'),
    ).toThrow(/no "\/" or "\\"/);
    expect(() => parseWindowsNames('{', 't.json')).toThrow(/not valid JSON/);
    expect(() => parseWindowsNames('{"kind":"miner-names","entries":[]}', 't.json')).toThrow(/windows-names/);
    const twice = JSON.stringify({
      kind: 'windows-names',
      entries: [1, 2].map(() => ({ value: 'x.exe', type: 'file', source: 's', date: '2026-12-03' })),
    });
    expect(() => parseWindowsNames(twice, 't.json')).toThrow(/repeats/);
  });
});
