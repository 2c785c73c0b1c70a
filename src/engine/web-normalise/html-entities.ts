// Undoes HTML character references (&#99;&#x6f;…, &lt;…) that spell out a script tag or a miner's
// name in a page or in a string written with document.write / innerHTML.
import { rewrite } from './literals.js';
import { searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

const NAMED: Record<string, string> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  sol: '/',
  colon: ':',
  period: '.',
  lpar: '(',
  rpar: ')',
  equals: '=',
};

/**
 * Pages use a few references on purpose (&amp;, &copy;, an accented letter); obfuscation spells
 * whole words with numeric ones. Only a text with this many numeric references to ASCII letters,
 * digits or punctuation is rewritten.
 */
const MIN_NUMERIC_ASCII = 8;

export function decodeHtmlEntities(
  text: string,
  _budget?: Budget,
  has: Has = searchText(text),
): DecodeStep[] {
  if (!has('&#')) return [];
  let ascii = 0;
  const re = /&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([a-zA-Z]{2,8}));?/g;
  const r = rewrite(text, re, (m) => {
    if (m[3] !== undefined) {
      const named = NAMED[m[3].toLowerCase()];
      return named !== undefined && m[0].endsWith(';') ? named : undefined;
    }
    const code = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (code === 0 || code > 0x10ffff) return undefined;
    if (code > 0x20 && code < 0x7f) ascii++;
    return String.fromCodePoint(code);
  });
  if (ascii < MIN_NUMERIC_ASCII) return [];
  return [{ technique: 'html-entities', text: r.text, spans: r.spans, edits: r.edits }];
}
