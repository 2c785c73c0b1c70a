// Tests the escape decoders: JavaScript \x / \u escapes (and the quotes and backslashes they must
// leave alone) and percent-encoded strings of the kind unescape() and decodeURIComponent() undo.
import { describe, expect, it } from 'vitest';
import { decodeJsEscapes, decodePercent, escapesAlnum } from './escapes.js';
import { hexEscape } from './test-helpers.js';

describe('decodeJsEscapes', () => {
  it('decodes \\x, \\u and \\u{} escapes in place and records where', () => {
    const code = `var k = "${hexEscape('CoinHive')}.\\u0041nonymous", l = '\\u{73}etThrottle';`;
    const [step] = decodeJsEscapes(code);
    expect(step?.technique).toBe('js-escapes');
    expect(step?.text).toBe(`var k = "CoinHive.Anonymous", l = 'setThrottle';`);
    expect(step?.spans.length).toBe(10);
  });

  it('keeps escapes that would end the string or break the line, and escaped backslashes', () => {
    const code = `var s = '\\x41\\x42\\x43\\x44\\x27\\x22\\x5c\\x0a', t = "\\\\x41";`;
    expect(decodeJsEscapes(code)[0]?.text).toBe(`var s = 'ABCD\\x27\\x22\\x5c\\x0a', t = "\\\\x41";`);
  });

  it('leaves minified code with a few deliberate escapes alone', () => {
    expect(decodeJsEscapes('a="</scr\\x3cipt>"+"\\u00a0\\u2028"+"\\x41";')).toEqual([]);
  });
});

describe('decodePercent', () => {
  it('decodes a string that is mostly percent escapes, %uXXXX included', () => {
    const code = `document.write(unescape('%3C%73%63%72%69%70%74%20src%3D%22x.js%22%3E%u0041'));`;
    expect(decodePercent(code)[0]?.text).toBe(`document.write(unescape('<script src="x.js">A'));`);
  });

  it('leaves URLs with an odd escape alone, and requotes a decoded text that holds the quote', () => {
    expect(decodePercent(`fetch("https://example.invalid/a%20b?q=%2F")`)).toEqual([]);
    expect(decodePercent(`x='%41%42%43%44%45%46%27'`)[0]?.text).toBe(`x="ABCDEF'"`);
  });
});

describe('escapesAlnum', () => {
  it('counts the escaped letters and digits the pattern counts', () => {
    // An escaped backslash is a pair that escapes nothing, as decodeJsEscapes reads it.
    const pattern =
      /\\(?:\\|(x(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])|u(?:00(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])|\{0*(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])\})))/g;
    const pieces = [
      '\\',
      'x',
      'u',
      '{',
      '}',
      '0',
      '00',
      '3',
      '4',
      '6',
      '7',
      '9',
      'a',
      'A',
      'f',
      'g',
      'Z',
      ' ',
    ];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let n = 0; n < 5000; n++) {
      let text = '';
      const count = 1 + (next() % 24);
      for (let i = 0; i < count; i++) text += pieces[next() % pieces.length];
      const matches = [...text.matchAll(pattern)].filter((m) => m[1] !== undefined).length;
      for (const k of [1, 2, 4]) expect(escapesAlnum(text, k), `${text} (${k})`).toBe(matches >= k);
    }
  });
});
