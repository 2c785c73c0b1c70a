// Attacker-controlled text must not drive the analyst's terminal.
import { describe, expect, it } from 'vitest';
import { formatArgv, inertForTerminal } from './sanitize.js';

describe('inertForTerminal', () => {
  it('escapes ANSI sequences, control characters and bidi overrides', () => {
    const hostile = '\x1b[2J\x1b]0;pwned\x07ok\r\n\u202etxt.exe';
    const out = inertForTerminal(hostile);
    expect(out).toBe('\\x1b[2J\\x1b]0;pwned\\x07ok\\x0d\\x0a\\u202etxt.exe');
    // eslint-disable-next-line no-control-regex -- no raw control character may survive
    expect(out).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('leaves Chinese and ordinary punctuation alone', () => {
    expect(inertForTerminal('挖矿 -o stratum+tcp://x:3333')).toBe('挖矿 -o stratum+tcp://x:3333');
  });
});

describe('formatArgv', () => {
  it('quotes arguments with spaces or quotes so the line can be read back', () => {
    expect(formatArgv(['xmrig', '--pass', 'x y:z', "it's", ''])).toBe(`xmrig --pass 'x y:z' 'it'\\''s' ''`);
  });
});
