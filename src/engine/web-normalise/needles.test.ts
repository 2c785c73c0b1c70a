// The words that let a decoder run: the engine's one pass over a file's bytes must say what a
// search of its text says, or a decoder would skip a file it has work in.
import { describe, expect, it } from 'vitest';
import { NEEDLES, PHP_NEEDLES, scanNeedles, searchText } from './needles.js';

const SAMPLES = [
  "var _0x1a2b=['a','b','c'];(function(a,b){a['push'](a['shift']());}(_0x1a2b,0x1));",
  'eval(function(p,a,c,k,e,d){return p}("0",10,1,"x".split("|"),0,{}))',
  'document.write(atob("PHNjcmlwdD4=")); Buffer.from("QUJD", "base64"); String.fromCharCode(72,105);',
  'url(data:image/png;base64,iVBORw0KGgo=) \\x41\\u0042 &#99;',
  '<?php echo Base64_Decode(StrRev("=8GbsVGa")); eval(GZINFLATE(x)); hex2bin("41");',
  'plain text with nothing to decode',
];

describe('scanNeedles', () => {
  it('finds the same words in a file as a search of its text', () => {
    for (const text of SAMPLES) {
      const has = scanNeedles(Buffer.from(text, 'latin1'), text, true);
      expect(has).toBeDefined();
      const search = searchText(text);
      for (const word of [...NEEDLES, ...PHP_NEEDLES, '\\x', '\\u', '&#'])
        expect([word, has?.(word)]).toEqual([word, search(word)]);
    }
  });

  it('matches PHP function names in any case, as PHP calls them', () => {
    const text = '<?php eval(GzInflate(BASE64_DECODE("x")));';
    const has = scanNeedles(Buffer.from(text, 'latin1'), text, true);
    expect(has?.('gzinflate')).toBe(true);
    expect(has?.('base64_decode')).toBe(true);
    expect(has?.('str_rot13')).toBe(false);
  });
});
